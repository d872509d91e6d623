package node

import (
	"sync"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/tx"
)

// hub fans committed blocks and contract events out to API streams,
// each subscriber getting what its filter selects, one batch per block.
// A subscriber that falls subscriberBlocks blocks behind is dropped (its
// channel closed; the client reconnects): block production never waits
// on a slow reader.
type hub struct {
	mu   sync.Mutex
	subs map[int]*subscriber
	next int
}

type subscriber struct {
	filter api.StreamFilter
	ch     chan []api.StreamEvent
}

const subscriberBlocks = 64

func newHub() *hub { return &hub{subs: map[int]*subscriber{}} }

func (h *hub) subscribe(f api.StreamFilter) (<-chan []api.StreamEvent, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	s := &subscriber{filter: f, ch: make(chan []api.StreamEvent, subscriberBlocks)}
	h.subs[id] = s
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if s, ok := h.subs[id]; ok {
			delete(h.subs, id)
			close(s.ch)
		}
	}
}

// publish hands one block's events to every subscriber, filtered.
func (h *hub) publish(evs []api.StreamEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, s := range h.subs {
		var batch []api.StreamEvent
		for _, ev := range evs {
			if s.filter.Match(ev) {
				batch = append(batch, ev)
			}
		}
		if len(batch) == 0 {
			continue
		}
		select {
		case s.ch <- batch:
		default:
			delete(h.subs, id)
			close(s.ch)
		}
	}
}

// blockEvents are what a committed block streams: the block, then every
// contract event of its transactions, in order.
func blockEvents(b *block.Block, hash [32]byte, out *runtime.Output) []api.StreamEvent {
	summary := &api.Block{Height: b.Header.Height, Hash: hash[:], Time: b.Header.Time, Proposer: b.Header.Proposer,
		ParentHash: b.Header.ParentHash[:], StateRoot: b.Header.StateRoot[:], TxsRoot: b.Header.TxsRoot[:]}
	for _, raw := range b.Txs {
		h := tx.Hash(raw)
		summary.Txs = append(summary.Txs, h[:])
	}
	evs := []api.StreamEvent{{Kind: "block", Block: summary}}
	for i, r := range out.Receipts {
		for _, e := range r.Events {
			// Contracts' own events carry their contract first.
			if len(e.Attributes) == 0 || e.Attributes[0].Key != "_contract" || len(e.Attributes[0].Value) != 20 {
				continue
			}
			c := address.Address(e.Attributes[0].Value)
			ev := api.Event{Type: e.Type, Attributes: []api.Attribute{}}
			for _, a := range e.Attributes[1:] {
				ev.Attributes = append(ev.Attributes, api.Attribute{Key: a.Key, Value: a.Value})
			}
			evs = append(evs, api.StreamEvent{Kind: "contract_event", Height: b.Header.Height, TxHash: summary.Txs[i], Contract: &c, Event: &ev})
		}
	}
	return evs
}
