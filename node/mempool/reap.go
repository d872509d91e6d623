package mempool

import (
	"bytes"
	"container/heap"
)

// Reap returns the transactions for the next block, at most maxGas in the
// sum of their gas limits and maxBytes in the sum of their sizes (and
// within the parameters' block limits). Per sender they come in nonce
// order from the account's nonce, so a sender with a gap offers nothing
// past it; across senders the highest gas price goes first, ties broken
// by the lower hash so every run over the same pool gives the same block.
// A sender whose next transaction does not fit offers nothing more, but
// smaller transactions of others may still fill the block. Reap removes
// nothing: Update does, once the block is committed. The returned slices
// are the pool's: do not modify them.
func (m *Mempool) Reap(maxGas uint64, maxBytes int) [][]byte {
	p := m.st.Params() // before the lock: the state may wait on the node's
	maxGas = min(maxGas, p.MaxBlockGas)
	maxBytes = min(maxBytes, int(p.MaxBlockBytes))
	maxCode := int(p.MaxBlockCodeBytes)

	m.mu.Lock()
	defer m.mu.Unlock()
	h := make(heads, 0, len(m.senders))
	for _, q := range m.senders {
		if i := q.search(q.nonce); i < len(q.txs) && q.txs[i].nonce == q.nonce {
			h = append(h, head{q: q, i: i})
		}
	}
	heap.Init(&h)
	var (
		out  [][]byte
		gas  uint64
		size int
		code int
	)
	for len(h) > 0 && len(out) < maxBlockTxs {
		c := h[0]
		x := c.q.txs[c.i]
		if x.gasLimit > maxGas-gas || len(x.raw) > maxBytes-size || x.code > maxCode-code {
			heap.Pop(&h) // the sender's later transactions need this one first
			continue
		}
		out = append(out, x.raw)
		gas += x.gasLimit
		size += len(x.raw)
		code += x.code
		if n := c.i + 1; n < len(c.q.txs) && c.q.txs[n].nonce == x.nonce+1 {
			h[0].i = n
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return out
}

// head is a sender's queue at the next transaction a block may take.
type head struct {
	q *queue
	i int
}

// heads is a max-heap of the senders' next transactions: highest price,
// then lowest hash.
type heads []head

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	a, b := h[i].q.txs[h[i].i], h[j].q.txs[h[j].i]
	if c := a.price.Cmp(&b.price); c != 0 {
		return c > 0
	}
	return bytes.Compare(a.hash[:], b.hash[:]) < 0
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
