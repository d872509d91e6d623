package chain

import (
	"context"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/tx"
)

// BenchmarkApplyBlock: blocks of 10,000 signed transactions.
//   - verify-only: decoding and checking the 10,000 ed25519 signatures,
//     on every core, as Apply does: the floor.
//   - transfer: 10,000 native transfers from 10,000 distinct senders,
//     verified, executed, the state root checked and the block committed
//     to a real Pebble store.
//
// Each reports tx/s; docs/benchmarks.md has the figures (target: transfer
// at least half of verify-only).
func BenchmarkApplyBlock(b *testing.B) {
	const perBlock = 10_000
	net := newNet(b, perBlock)
	// block n: sender i pays sender i+1, at nonce n.
	sign := func(n int) [][]byte {
		txs := make([][]byte, perBlock)
		for i := range txs {
			txs[i] = net.transfer(b, i, (i+1)%perBlock, 1, uint64(n))
		}
		return txs
	}
	b.Run("verify-only", func(b *testing.B) {
		txs := sign(0)
		b.ReportAllocs()
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			decoded := make([]*tx.Decoded, len(txs))
			for i, raw := range txs {
				d, err := tx.Decode(raw, 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				decoded[i] = d
			}
			if err := runtime.VerifyAll(context.Background(), decoded); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
	})
	b.Run("transfer", func(b *testing.B) {
		c, s := openChain(b, b.TempDir(), net.genesis)
		defer s.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			b.StopTimer()
			txs := sign(n)
			head, _ := c.Head()
			b.StartTimer()
			_, out, err := c.Propose(context.Background(), txs, head.Time+1000, net.proposer)
			if err != nil {
				b.Fatal(err)
			}
			if out.Receipts[0].Code != runtime.CodeOK {
				b.Fatalf("receipt %+v", out.Receipts[0])
			}
		}
		b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
	})
}
