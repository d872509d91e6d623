package chain

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinthchain/plinth/contracts/build"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// BenchmarkApplyBlock: blocks of 10,000 signed transactions.
//   - verify-only: decoding and checking the 10,000 ed25519 signatures,
//     on every core, as Apply does: the floor.
//   - transfer: 10,000 native transfers from 10,000 distinct senders,
//     verified, executed, the state root checked and the block committed
//     to a real Pebble store.
//   - call-tiny, call-go, call-sdk: 10,000 signed calls, from 10,000
//     senders, of a counter's increment (a storage read and write) written
//     in WAT, in Go on the raw ABI (testdata/gocounter), and with the SDK
//     (contracts/examples/counter: JSON, two items, an event), committed.
//
// Each reports tx/s; docs/benchmarks.md has the figures (target: transfer
// at least half of verify-only).
func BenchmarkApplyBlock(b *testing.B) {
	const perBlock = 10_000
	net := newNet(b, perBlock+1) // the last account deploys
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
	tiny, err := vmtest.Wat(counterWat)
	if err != nil {
		b.Fatal(err)
	}
	gocode, err := os.ReadFile("testdata/gocounter/counter.wasm")
	if err != nil {
		b.Fatal(err)
	}
	// The SDK's counter example, as plinth contract build makes it.
	sdkWasm := filepath.Join(b.TempDir(), "counter.wasm")
	if _, err := build.Build(context.Background(), filepath.Join("..", "..", "contracts", "examples", "counter"), sdkWasm); err != nil {
		b.Fatal(err)
	}
	sdkcode, err := os.ReadFile(sdkWasm)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, method string
		code, init   []byte
	}{{"call-tiny", "incr", tiny, le64(0)}, {"call-go", "incr", gocode, nil}, {"call-sdk", "increment", sdkcode, nil}} {
		b.Run(bc.name, func(b *testing.B) {
			c, s := openChain(b, b.TempDir(), net.genesis)
			defer s.Close()
			deployer := perBlock
			setup := [][]byte{
				signGas(b, net, deployer, 0, tx.Deploy{Code: bc.code}, 50_000_000_000),
				signGas(b, net, deployer, 1, tx.Instantiate{CodeHash: sha256.Sum256(bc.code), Init: bc.init}, 1_000_000_000),
			}
			head, _ := c.Head()
			if _, out, err := c.Propose(context.Background(), setup, head.Time+1000, net.proposer); err != nil || out.Receipts[1].Code != runtime.CodeOK {
				b.Fatalf("setup: %v %+v", err, out)
			}
			contract := address.Contract(net.addrs[deployer], 0)
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				txs := make([][]byte, perBlock)
				for i := range txs {
					txs[i] = signGas(b, net, i, uint64(n), tx.Call{Contract: contract, Method: bc.method}, 5_000_000)
				}
				head, _ := c.Head()
				b.StartTimer()
				_, out, err := c.Propose(context.Background(), txs, head.Time+1000, net.proposer)
				if err != nil {
					b.Fatal(err)
				}
				if out.Receipts[perBlock-1].Code != runtime.CodeOK {
					b.Fatalf("receipt %+v", out.Receipts[perBlock-1])
				}
			}
			b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

func signGas(b testing.TB, n *testNet, from int, nonce uint64, body tx.Body, gas uint64) []byte {
	raw, err := tx.Sign(&tx.Tx{ChainID: chainID, Nonce: nonce, GasLimit: gas, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, n.keys[from])
	if err != nil {
		b.Fatal(err)
	}
	return raw
}
