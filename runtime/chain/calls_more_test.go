package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// deepWat: down(addresses…) calls the first address's down with the rest
// and returns the callee's return value, or its failure code as a u32;
// with no input it returns 0. Every level also writes "seen".
// twice(target) dispatches target's a, then target's b; a and b append
// their letter to "log"; hand_over(contract ‖ admin) makes admin the
// contract's admin.
const deepWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "register_len" (func $register_len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "call" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
	(import "plinth" "dispatch" (func $dispatch (param i32 i32 i32 i32 i32 i32)))
	(import "plinth" "storage_read" (func $storage_read (param i32 i32 i32) (result i32)))
	(import "plinth" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $value_return (param i32 i32)))
	(import "plinth" "update_admin" (func $update_admin (param i32 i32)))
	(memory 1 1)
	(data (i32.const 0) "down")
	(data (i32.const 8) "seen")
	(data (i32.const 16) "log")
	(data (i32.const 24) "ab")
	(func (export "down") (local $n i32) (local $code i32)
		(drop (call $storage_write (i32.const 8) (i32.const 4) (i32.const 8) (i32.const 4)))
		(call $input (i32.const 0))
		(local.set $n (i32.wrap_i64 (call $register_len (i32.const 0))))
		(if (i32.eqz (local.get $n))
			(then (call $value_return (i32.const 300) (i32.const 4)) (return)))
		(call $read_register (i32.const 0) (i32.const 1000))
		(local.set $code (call $call (i32.const 1000) (i32.const 0) (i32.const 4) (i32.const 1020) (i32.sub (local.get $n) (i32.const 20)) (i32.const 200) (i32.const 1)))
		(if (i32.eqz (local.get $code))
			(then
				(call $read_register (i32.const 1) (i32.const 400))
				(call $value_return (i32.const 400) (i32.const 4)))
			(else
				(i32.store (i32.const 400) (local.get $code))
				(call $value_return (i32.const 400) (i32.const 4)))))
	(func $append (param $letter i32) (local $n i32)
		(if (call $storage_read (i32.const 16) (i32.const 3) (i32.const 2))
			(then
				(local.set $n (i32.wrap_i64 (call $register_len (i32.const 2))))
				(call $read_register (i32.const 2) (i32.const 2000))))
		(i32.store8 (i32.add (i32.const 2000) (local.get $n)) (i32.load8_u (local.get $letter)))
		(drop (call $storage_write (i32.const 16) (i32.const 3) (i32.const 2000) (i32.add (local.get $n) (i32.const 1)))))
	(func (export "a") (call $append (i32.const 24)))
	(func (export "b") (call $append (i32.const 25)))
	(func (export "twice")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 1000))
		(call $dispatch (i32.const 1000) (i32.const 24) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 200))
		(call $dispatch (i32.const 1000) (i32.const 25) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 200)))
	(func (export "hand_over")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 1000))
		(call $update_admin (i32.const 1000) (i32.const 1020))))`

// TestCallDepthOrderAndAdmin: a chain of calls stops at MaxCallDepth and
// the refusal comes back to the callers, each of whose writes stays;
// dispatched calls run in the order dispatched, and a contract may
// dispatch calls to itself; update_admin hands a contract to another
// admin, who alone may then migrate it.
func TestCallDepthOrderAndAdmin(t *testing.T) {
	net := newNet(t, 1)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	code, err := vmtest.Wat(deepWat)
	if err != nil {
		t.Fatal(err)
	}
	owner := net.addrs[0]
	depth := int(net.genesis.Params.MaxCallDepth)
	bodies := []tx.Body{tx.Deploy{Code: code}}
	var chainOf []address.Address
	for i := 0; i <= depth; i++ {
		// Administered by the owner's account for the first, by the first
		// contract for the rest (hand_over is tested below).
		admin := owner[:]
		bodies = append(bodies, tx.Instantiate{CodeHash: sha256.Sum256(code), Admin: admin})
		chainOf = append(chainOf, address.Contract(owner, uint64(i)))
	}
	bs := newBlocks(t, c, net)
	send := func(bodies ...tx.Body) []runtime.Receipt { t.Helper(); return bs.send(0, bodies...) }
	wantCodes(t, send(bodies...), make([]runtime.Code, len(bodies))...)
	path := func(as []address.Address) []byte {
		var b []byte
		for _, a := range as {
			b = append(b, a[:]...)
		}
		return b
	}
	rs := send(
		tx.Call{Contract: chainOf[0], Method: "down", Input: path(chainOf[1:depth])},     // depth contracts deep: fits
		tx.Call{Contract: chainOf[0], Method: "down", Input: path(chainOf[1 : depth+1])}, // one more: refused
	)
	wantCodes(t, rs, runtime.CodeOK, runtime.CodeOK)
	if got := binary.LittleEndian.Uint32(rs[0].Return); got != 0 {
		t.Fatalf("a chain of %d calls: code %d", depth, got)
	}
	if got := binary.LittleEndian.Uint32(rs[1].Return); got != uint32(runtime.CodeCallDepth) {
		t.Fatalf("a chain of %d calls: code %d, want the depth limit", depth+1, got)
	}
	// Every level that ran kept its write, though a deeper call failed.
	for i := 0; i < depth; i++ {
		if _, ok, _ := s.Get(append(append([]byte{'s'}, chainOf[i][:]...), "seen"...)); !ok {
			t.Fatalf("level %d's write is gone", i)
		}
	}
	// Dispatched calls, to itself, in order.
	self := chainOf[depth]
	send(tx.Call{Contract: self, Method: "twice", Input: self[:]}, tx.Call{Contract: self, Method: "twice", Input: self[:]})
	if v, _, _ := s.Get(append(append([]byte{'s'}, self[:]...), "log"...)); string(v) != "abab" {
		t.Fatalf("dispatched calls ran as %q, want abab", v)
	}
	// A contract administered by chainOf[0]: the owner's account may not
	// migrate it, and chainOf[1] may not hand it over; chainOf[0] hands it
	// to the owner, who then may.
	admin0 := chainOf[0]
	wantCodes(t, send(tx.Instantiate{CodeHash: sha256.Sum256(code), Admin: admin0[:]}), runtime.CodeOK)
	target := address.Contract(owner, uint64(depth+1))
	migrate := tx.Migrate{Contract: target, CodeHash: sha256.Sum256(code)}
	handOver := append(append([]byte(nil), target[:]...), owner[:]...)
	wantCodes(t, send(migrate), runtime.CodeNotAdmin)
	wantCodes(t, send(tx.Call{Contract: chainOf[1], Method: "hand_over", Input: handOver}), runtime.CodeNotAdmin)
	wantCodes(t, send(tx.Call{Contract: chainOf[0], Method: "hand_over", Input: handOver}), runtime.CodeOK)
	wantCodes(t, send(migrate), runtime.CodeOK)
}
