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

// proxyWat: relay's input is target (20 bytes) ‖ op (0 call, 1 query,
// 2 dispatch) ‖ method. It writes "before" first; for a call or query it
// returns the code (u32 LE) ‖ the callee's return value or message.
const proxyWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "register_len" (func $register_len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "call" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
	(import "plinth" "query" (func $query (param i32 i32 i32 i32 i32 i32) (result i32)))
	(import "plinth" "dispatch" (func $dispatch (param i32 i32 i32 i32 i32 i32)))
	(import "plinth" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $value_return (param i32 i32)))
	(memory 1 1)
	(data (i32.const 8) "before")
	(func (export "relay") (local $n i32) (local $op i32) (local $code i32)
		(call $input (i32.const 0))
		(local.set $n (i32.sub (i32.wrap_i64 (call $register_len (i32.const 0))) (i32.const 21)))
		(call $read_register (i32.const 0) (i32.const 200))
		(drop (call $storage_write (i32.const 8) (i32.const 6) (i32.const 8) (i32.const 6)))
		(local.set $op (i32.load8_u (i32.const 220)))
		(if (i32.eq (local.get $op) (i32.const 2))
			(then
				(call $dispatch (i32.const 200) (i32.const 221) (local.get $n) (i32.const 0) (i32.const 0) (i32.const 100))
				(return)))
		(if (i32.eq (local.get $op) (i32.const 1))
			(then (local.set $code (call $query (i32.const 200) (i32.const 221) (local.get $n) (i32.const 0) (i32.const 0) (i32.const 1))))
			(else (local.set $code (call $call (i32.const 200) (i32.const 221) (local.get $n) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 1)))))
		(i32.store (i32.const 300) (local.get $code))
		(call $read_register (i32.const 1) (i32.const 304))
		(call $value_return (i32.const 300) (i32.add (i32.const 4) (i32.wrap_i64 (call $register_len (i32.const 1)))))))`

func relay(target address.Address, op byte, method string) []byte {
	return append(append(append([]byte(nil), target[:]...), op), method...)
}

// TestSubCalls: a contract calls, queries and dispatches another; a
// failed callee's writes roll back while the caller goes on; re-entry is
// refused; a query cannot write; a dispatched call runs after the frame
// and its failure fails the whole transaction.
func TestSubCalls(t *testing.T) {
	net := newNet(t, 1)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	counter, err := vmtest.Wat(counterWat)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := vmtest.Wat(proxyWat)
	if err != nil {
		t.Fatal(err)
	}
	counterAddr, proxyAddr := address.Contract(net.addrs[0], 0), address.Contract(net.addrs[0], 1)
	bs := newBlocks(t, c, net)
	send := func(bodies ...tx.Body) []runtime.Receipt { t.Helper(); return bs.send(0, bodies...) }
	rs := send(
		tx.Deploy{Code: counter},
		tx.Deploy{Code: proxy},
		tx.Instantiate{CodeHash: sha256.Sum256(counter), Init: le64(7)},
		tx.Instantiate{CodeHash: sha256.Sum256(proxy)},
	)
	for i, r := range rs {
		if r.Code != runtime.CodeOK {
			t.Fatalf("setup tx %d: %v %s", i, r.Code, r.Message)
		}
	}
	call := func(op byte, target address.Address, method string) tx.Call {
		return tx.Call{Contract: proxyAddr, Method: "relay", Input: relay(target, op, method)}
	}
	ret := func(r runtime.Receipt) (uint32, string) {
		t.Helper()
		if r.Code != runtime.CodeOK || len(r.Return) < 4 {
			t.Fatalf("relay: %v %q, return %x", r.Code, r.Message, r.Return)
		}
		return binary.LittleEndian.Uint32(r.Return), string(r.Return[4:])
	}
	rs = send(
		call(0, counterAddr, "incr"),                   // 8
		call(0, counterAddr, "fail"),                   // the counter's write of "no way" rolls back
		call(0, proxyAddr, "relay"),                    // re-entry
		call(1, counterAddr, "incr"),                   // a query cannot write
		call(2, counterAddr, "incr"),                   // dispatched: 9
		tx.Call{Contract: counterAddr, Method: "incr"}, // 10
	)
	for i, want := range []struct {
		code uint32
		out  string
	}{
		{0, string(le64(8))},
		{uint32(runtime.CodeAbort), "no way"},
		{uint32(runtime.CodeReentrant), "re-entrant call"},
		{uint32(runtime.CodeHostError), "hostfns: not allowed in a query"},
	} {
		if code, out := ret(rs[i]); code != want.code || out != want.out {
			t.Errorf("relay %d: code %d %q, want %d %q", i, code, out, want.code, want.out)
		}
	}
	if rs[4].Code != runtime.CodeOK || string(rs[5].Return) != string(le64(10)) {
		t.Fatalf("after a dispatched incr, incr returned %x (%v)", rs[5].Return, rs[4].Code)
	}
	// A dispatched call that fails fails the transaction, and the counter
	// keeps none of the failed call's writes (its "no way" would make the
	// next incr read garbage).
	rs = send(call(2, counterAddr, "fail"), tx.Call{Contract: counterAddr, Method: "incr"})
	if rs[0].Code != runtime.CodeAbort || rs[0].Message != "no way" || string(rs[1].Return) != string(le64(11)) {
		t.Fatalf("failed dispatch: %v %q; then incr %x", rs[0].Code, rs[0].Message, rs[1].Return)
	}
}
