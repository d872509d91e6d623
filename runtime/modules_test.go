package runtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// TestModuleCacheIsBounded: with room for two compiled modules, four
// contracts deployed and called in turn keep at most two compiled, and
// every call still runs its own contract's code (module i exports only
// m<i>, so a wrong module fails the call). A module dropped while a call
// holds it stays usable until released, and is closed then.
func TestModuleCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	rt, err := New(ctx, Config{MaxModules: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	x := newTestCall(t, rt)
	creator := x.d.Sender
	const n = 4
	var hashes [n][32]byte
	for i := range n {
		code, err := vmtest.Wat(fmt.Sprintf(`(module (func (export "m%d")))`, i))
		if err != nil {
			t.Fatal(err)
		}
		r, err := x.deploy(tx.Deploy{Code: code})
		if err != nil {
			t.Fatal(err)
		}
		copy(hashes[i][:], r.Return)
		if _, err := x.instantiate(tx.Instantiate{CodeHash: hashes[i]}); err != nil {
			t.Fatal(err)
		}
		if got := rt.modules.len(); got > 2 {
			t.Fatalf("after deploy %d: %d modules compiled, room for 2", i, got)
		}
	}
	for round := range 3 {
		for i := range n {
			if _, err := x.top(address.Contract(creator, uint64(i)), fmt.Sprintf("m%d", i), nil, canon.U256{}, false); err != nil {
				t.Fatalf("round %d, contract %d: %v", round, i, err)
			}
			if got := rt.modules.len(); got > 2 {
				t.Fatalf("round %d, contract %d: %d modules compiled, room for 2", round, i, got)
			}
		}
	}

	// Hold contract 3's module (the last called, so cached), then call
	// the others: it is dropped from the cache but not closed under its
	// holder.
	m, release, ok := rt.modules.get(hashes[3])
	if !ok {
		t.Fatal("the module just called is not cached")
	}
	for i := range 3 {
		if _, err := x.top(address.Contract(creator, uint64(i)), fmt.Sprintf("m%d", i), nil, canon.U256{}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := rt.modules.get(hashes[3]); ok {
		t.Fatal("module 3 still cached after three others were called")
	}
	call := func() error { _, err := m.Call(ctx, vm.Request{Func: "m3", Gas: 1 << 30}); return err }
	if err := call(); err != nil {
		t.Fatalf("a dropped module still held: %v", err)
	}
	release()
	if err := call(); err == nil {
		t.Fatal("a dropped module was not closed when its last holder released it")
	}
	release() // a second release changes nothing
}
