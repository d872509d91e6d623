package chain

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// TestSimulateAndQuery: a dry run reports what a transaction would do and
// writes nothing; a query returns a read and its debug log, fails when
// the method writes, and stops at its gas cap.
func TestSimulateAndQuery(t *testing.T) {
	net := newNet(t, 1)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	code, err := vmtest.Wat(counterWat)
	if err != nil {
		t.Fatal(err)
	}
	counter := address.Contract(net.addrs[0], 0)
	_, out, err := c.Propose(context.Background(), [][]byte{
		net.sign(t, 0, 0, tx.Deploy{Code: code}),
		net.sign(t, 0, 1, tx.Instantiate{CodeHash: sha256.Sum256(code), Init: le64(7)}),
	}, net.genesis.Time+1000, net.proposer)
	if err != nil || out.Receipts[1].Code != runtime.CodeOK {
		t.Fatalf("setup: %v", err)
	}
	root := s.RootHash()
	incr := &tx.Tx{ChainID: chainID, Nonce: 2, GasLimit: 10_000_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: tx.Call{Contract: counter, Method: "incr"}}}
	for i := 0; i < 2; i++ { // twice: the first wrote nothing
		sim, err := c.Simulate(context.Background(), net.addrs[0], incr)
		if err != nil || sim.Receipt.Code != runtime.CodeOK || string(sim.Receipt.Return) != string(le64(8)) || sim.Receipt.GasUsed == 0 {
			t.Fatalf("simulation %d: %+v %v", i, sim, err)
		}
	}
	if s.RootHash() != root {
		t.Fatal("a simulation wrote")
	}
	bad := *incr
	bad.Nonce = 0
	if _, err := c.Simulate(context.Background(), net.addrs[0], &bad); !errors.Is(err, runtime.ErrNonce) {
		t.Fatalf("simulating a stale nonce: %v", err)
	}
	ret, used, log, err := c.Query(context.Background(), counter, "get", nil, 1_000_000)
	if err != nil || string(ret) != string(le64(7)) || used == 0 || string(log) != "no way" {
		t.Fatalf("query get: %x %d %q %v", ret, used, log, err)
	}
	if _, _, _, err := c.Query(context.Background(), counter, "incr", nil, 1_000_000); !errors.Is(err, runtime.ErrQueryFailed) {
		t.Fatalf("a query that writes: %v", err)
	}
	if _, used, _, err := c.Query(context.Background(), counter, "get", nil, 100); !errors.Is(err, runtime.ErrQueryFailed) || used != 100 {
		t.Fatalf("a query over its gas cap: used %d, %v", used, err)
	}
}
