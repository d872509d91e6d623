package mempool

import (
	"container/heap"
	"fmt"
)

// makeRoomLocked returns the transactions to evict so that the pool, with
// e's sender's queue replaced by list (which holds e), would hold count
// transactions and bytes bytes within its limits. Only the last
// transaction of a sender's queue is ever a candidate, so eviction never
// opens a nonce gap; the cheapest candidate goes first (among equal
// prices the newest, so the newcomer loses a tie). If e itself would be
// the one to go, nothing is evicted and e is refused: a pool full of
// better-paying transactions is not churned for it.
func (m *Mempool) makeRoomLocked(e *entry, list []*entry, count, bytes int) ([]*entry, error) {
	if len(e.raw) > m.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: tx %x of %d bytes, the pool holds %d", ErrPoolFull, e.hash[:8], len(e.raw), m.cfg.MaxBytes)
	}
	if count <= m.cfg.MaxTxs && bytes <= m.cfg.MaxBytes {
		return nil, nil
	}
	h := make(tails, 0, len(m.senders)+1)
	for sender, q := range m.senders {
		if sender != e.sender && len(q.txs) > 0 {
			h = append(h, &tail{txs: q.txs, i: len(q.txs) - 1})
		}
	}
	h = append(h, &tail{txs: list, i: len(list) - 1})
	heap.Init(&h)
	var evict []*entry
	for count > m.cfg.MaxTxs || bytes > m.cfg.MaxBytes {
		t := h[0]
		x := t.txs[t.i]
		if x == e {
			return nil, fmt.Errorf("%w: %d txs, %d bytes; tx %x at gas price %s pays no more than the cheapest evictable", ErrPoolFull, len(m.byHash), m.bytes, e.hash[:8], e.price.Dec())
		}
		evict = append(evict, x)
		count--
		bytes -= len(x.raw)
		if t.i--; t.i < 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return evict, nil
}

// tail is a sender's queue with its last not-yet-evicted transaction.
type tail struct {
	txs []*entry
	i   int
}

// tails is a min-heap of eviction candidates: lowest price, then newest.
type tails []*tail

func (h tails) Len() int { return len(h) }
func (h tails) Less(i, j int) bool {
	a, b := h[i].txs[h[i].i], h[j].txs[h[j].i]
	if c := a.price.Cmp(&b.price); c != 0 {
		return c < 0
	}
	return a.seq > b.seq
}
func (h tails) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *tails) Push(x any)   { *h = append(*h, x.(*tail)) }
func (h *tails) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
