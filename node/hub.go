package node

import (
	"sync"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/tx"
)

// hub fans committed blocks and contract events out to API streams. A
// subscriber that falls subscriberBuffer events behind is dropped (its
// channel closed; the client reconnects): block production never waits
// on a slow reader.
type hub struct {
	mu   sync.Mutex
	subs map[int]chan api.StreamEvent
	next int
}

const subscriberBuffer = 1024

func newHub() *hub { return &hub{subs: map[int]chan api.StreamEvent{}} }

func (h *hub) subscribe() (<-chan api.StreamEvent, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	ch := make(chan api.StreamEvent, subscriberBuffer)
	h.subs[id] = ch
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if c, ok := h.subs[id]; ok {
			delete(h.subs, id)
			close(c)
		}
	}
}

func (h *hub) publish(evs []api.StreamEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, ch := range h.subs {
		for _, ev := range evs {
			select {
			case ch <- ev:
			default:
				delete(h.subs, id)
				close(ch)
			}
			if _, ok := h.subs[id]; !ok {
				break
			}
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
