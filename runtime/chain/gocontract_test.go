package chain

import (
	"context"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
)

// TestGoContract: a contract built by the standard Go toolchain on the
// real host ABI (testdata/gocounter) deploys, instantiates and counts.
func TestGoContract(t *testing.T) {
	code, err := os.ReadFile("testdata/gocounter/counter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	net := newNet(t, 1)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	contract := address.Contract(net.addrs[0], 0)
	txs := [][]byte{
		signGas(t, net, 0, 0, tx.Deploy{Code: code}, 20_000_000_000),
		signGas(t, net, 0, 1, tx.Instantiate{CodeHash: sha256.Sum256(code)}, 1_000_000_000),
		signGas(t, net, 0, 2, tx.Call{Contract: contract, Method: "incr"}, 5_000_000),
		signGas(t, net, 0, 3, tx.Call{Contract: contract, Method: "incr"}, 5_000_000),
	}
	_, out, err := c.Propose(context.Background(), txs, net.genesis.Time+1000, net.proposer)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out.Receipts {
		if r.Code != runtime.CodeOK {
			t.Fatalf("tx %d: %v %s", i, r.Code, r.Message)
		}
	}
	if string(out.Receipts[3].Return) != string(le64(2)) {
		t.Fatalf("the second incr returned %x", out.Receipts[3].Return)
	}
}
