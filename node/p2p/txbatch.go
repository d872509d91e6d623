package p2p

import (
	"context"
	"sync"
	"time"

	"github.com/plinthchain/plinth/runtime/canon"
)

// Transactions travel in batches: a gossiped message is the canonical
// CBOR list of up to maxBatchTxs transactions, gathered for at most
// batchDelay or until maxBatchBytes. One transaction per message made
// every transfer pay gossipsub's per-message costs — an id hash, a
// validation goroutine, framing and a write to each peer, three times
// over in a mesh of four — which under load cost more than the
// transaction's execution (docs/p2p.md, docs/benchmarks.md). A few
// milliseconds of delay are nothing beside a block interval.
const (
	batchDelay    = 5 * time.Millisecond
	maxBatchTxs   = 512
	maxBatchBytes = 1 << 20
)

// txBatcher gathers the node's accepted transactions into batches.
type txBatcher struct {
	mu      sync.Mutex
	pending [][]byte
	bytes   int
	timer   *time.Timer
	publish func(ctx context.Context, data []byte) error
	onError func(error)
}

// add queues raw; the batch goes out when full or batchDelay after its
// first transaction. A transaction as large as a batch goes alone.
// Publishing happens outside the lock: the API's handlers add here, and
// must not wait on gossipsub.
func (b *txBatcher) add(raw []byte) {
	var out [][][]byte
	b.mu.Lock()
	if b.bytes > 0 && b.bytes+len(raw) > maxBatchBytes {
		out = append(out, b.takeLocked())
	}
	b.pending = append(b.pending, raw)
	b.bytes += len(raw)
	switch {
	case len(b.pending) >= maxBatchTxs || b.bytes >= maxBatchBytes:
		out = append(out, b.takeLocked())
	case b.timer == nil:
		b.timer = time.AfterFunc(batchDelay, b.flush)
	}
	b.mu.Unlock()
	for _, batch := range out {
		b.send(batch)
	}
}

func (b *txBatcher) flush() {
	b.mu.Lock()
	batch := b.takeLocked()
	b.mu.Unlock()
	b.send(batch)
}

// stop drops the batch being gathered (the mempool keeps its
// transactions) so that no timer publishes on a closed topic.
func (b *txBatcher) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.takeLocked()
}

// takeLocked empties the batch being gathered and returns it.
func (b *txBatcher) takeLocked() [][]byte {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	batch := b.pending
	b.pending, b.bytes = nil, 0
	return batch
}

func (b *txBatcher) send(batch [][]byte) {
	if len(batch) == 0 {
		return
	}
	data, err := canon.Marshal(batch)
	if err == nil {
		err = b.publish(context.Background(), data)
	}
	if err != nil && b.onError != nil {
		b.onError(err)
	}
}

// decodeBatch reads a gossiped batch strictly: a non-empty list of at
// most maxBatchTxs transactions.
func decodeBatch(data []byte) ([][]byte, bool) {
	var txs [][]byte
	if err := canon.Unmarshal(data, &txs); err != nil || len(txs) == 0 || len(txs) > maxBatchTxs {
		return nil, false
	}
	return txs, true
}

// judgeBatch is the transactions topic's verdict on a batch: each
// transaction goes to accept; one rejected rejects the batch (an honest
// peer relays only batches it accepted whole), one accepted accepts it
// (and relays it, known transactions and all); otherwise it is ignored.
func judgeBatch(data []byte, accept func([]byte) Verdict) Verdict {
	txs, ok := decodeBatch(data)
	if !ok {
		return Reject
	}
	v := Ignore
	for _, raw := range txs {
		switch accept(raw) {
		case Reject:
			return Reject
		case Accept:
			v = Accept
		}
	}
	return v
}
