package runtime

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// failingReader fails every read of a contract's storage: the disk, not
// the transaction, is at fault.
type failingReader struct{ state.Reader }

var errDisk = errors.New("disk on fire")

func (r failingReader) Get(key []byte) ([]byte, bool, error) {
	if bytes.HasPrefix(key, []byte{prefixStorage}) {
		return nil, false, errDisk
	}
	return r.Reader.Get(key)
}

// TestNodeErrorAbortsTheBlock: a state read that fails inside a contract
// call (deep in the VM, through a host function) is not the transaction's
// failure — another node would not fail the same way — so it reaches the
// caller as an error instead of a receipt.
func TestNodeErrorAbortsTheBlock(t *testing.T) {
	ctx := context.Background()
	rt, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	code, err := vmtest.Wat(`(module
		(import "plinth" "storage_read" (func $storage_read (param i32 i32 i32) (result i32)))
		(memory 1 1)
		(func (export "get") (drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))))`)
	if err != nil {
		t.Fatal(err)
	}
	x := newTestCall(t, rt)
	creator := x.d.Sender
	r, err := x.deploy(tx.Deploy{Code: code})
	if err != nil {
		t.Fatal(err)
	}
	var hash [32]byte
	copy(hash[:], r.Return)
	if _, err := x.instantiate(tx.Instantiate{CodeHash: hash}); err != nil {
		t.Fatal(err)
	}
	contract := address.Contract(creator, 0)
	// The same call over a reader whose disk fails.
	x.ws = state.NewWriteSet(failingReader{x.ws})
	_, err = x.top(contract, "get", nil, canon.U256{}, false)
	var ne *nodeError
	if !errors.Is(err, errDisk) || !errors.As(err, &ne) {
		t.Fatalf("a failed read inside a call: %v", err)
	}
	if _, failed := failure(err); failed {
		t.Fatal("a disk failure was taken for the transaction's")
	}
}

func ptr[T any](v T) *T { return &v }

// newTestCall starts a chain's genesis state on a real store and returns a
// transaction context over it whose sender holds funds and gas to spare.
func newTestCall(t *testing.T, rt *Runtime) *txCall {
	t.Helper()
	ctx := context.Background()
	g := &Genesis{ChainID: "c", Time: 1, Params: params.Version1(), Validators: []Validator{{PublicKey: make([]byte, 32), Power: 1}}}
	store, err := state.Open(t.TempDir(), state.Options{ChainID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ws, err := rt.GenesisState(ctx, store, g)
	if err != nil {
		t.Fatal(err)
	}
	creator := address.Address{7}
	if err := credit(ws, creator, ptr(canon.NewU256(1))); err != nil {
		t.Fatal(err)
	}
	var used uint64
	return &txCall{ctx: ctx, rt: rt, ws: ws, p: &g.Params, d: &tx.Decoded{Tx: tx.Tx{GasLimit: 1 << 40}, Sender: creator}, gasUsed: &used}
}
