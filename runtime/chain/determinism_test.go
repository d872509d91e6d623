package chain

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// TestDeterminism: the same blocks (transfers, deploys, calls that succeed
// and fail, sub-calls, dispatches) produced on one fresh store are applied
// on two more — one running contracts on wazero's compiler, one on its
// interpreter — and every receipt, block hash and state root agrees.
func TestDeterminism(t *testing.T) {
	net := newNet(t, 3)
	counter, err := vmtest.Wat(counterWat)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := vmtest.Wat(proxyWat)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := address.Contract(net.addrs[0], 0), address.Contract(net.addrs[0], 1)
	plan := [][]tx.Body{
		{tx.Deploy{Code: counter}, tx.Deploy{Code: proxy}, tx.Transfer{To: net.addrs[1], Amount: canon.NewU256(10)}},
		{tx.Instantiate{CodeHash: sha256.Sum256(counter), Init: le64(1)}, tx.Instantiate{CodeHash: sha256.Sum256(proxy)}},
		{tx.Call{Contract: c0, Method: "incr"}, tx.Call{Contract: c0, Method: "fail"}, tx.Call{Contract: c0, Method: "boom"}},
		{tx.Call{Contract: c1, Method: "relay", Input: relay(c0, 0, "incr")}, tx.Call{Contract: c1, Method: "relay", Input: relay(c0, 2, "incr")}, tx.Call{Contract: c1, Method: "relay", Input: relay(c0, 0, "fail")}},
		{tx.Transfer{To: c0, Amount: canon.NewU256(3)}, tx.Call{Contract: c0, Method: "nope"}},
	}
	producer, ps := openChain(t, t.TempDir(), net.genesis)
	defer ps.Close()
	var blocks []*block.Block
	var receipts [][]byte
	nonce := uint64(0)
	time := net.genesis.Time
	for _, bodies := range plan {
		var txs [][]byte
		for _, b := range bodies {
			txs = append(txs, net.sign(t, 0, nonce, b))
			nonce++
		}
		time += 1000
		b, out, err := producer.Propose(context.Background(), txs, time, net.proposer)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
		for _, r := range out.Receipts {
			enc, _ := r.Encode()
			receipts = append(receipts, enc)
		}
	}
	for _, cfg := range []runtime.Config{{}, {Interpreter: true}} {
		v, vs := openChainWith(t, t.TempDir(), net.genesis, cfg)
		var got [][]byte
		for i, b := range blocks {
			out, err := v.Apply(context.Background(), b)
			if err != nil {
				t.Fatalf("interpreter=%v: block %d: %v", cfg.Interpreter, i+1, err)
			}
			for _, r := range out.Receipts {
				enc, _ := r.Encode()
				got = append(got, enc)
			}
		}
		if vs.RootHash() != ps.RootHash() || len(got) != len(receipts) {
			t.Fatalf("interpreter=%v: root or receipt count differs", cfg.Interpreter)
		}
		for i := range got {
			if string(got[i]) != string(receipts[i]) {
				t.Fatalf("interpreter=%v: receipt %d differs: %x vs %x", cfg.Interpreter, i, got[i], receipts[i])
			}
		}
		vh, _ := v.Head()
		ph, _ := producer.Head()
		if vh != ph {
			t.Fatalf("interpreter=%v: heads differ", cfg.Interpreter)
		}
		vs.Close()
	}
}
