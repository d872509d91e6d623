package chain

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// counter2Wat is the counter's next version: incr adds 2, and migrate
// adds 100 to the count it inherits.
var counter2Wat = strings.NewReplacer(
	`(i64.const 1)`, `(i64.const 2)`,
	`(func (export "fail")`, `(func (export "migrate")
		(drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))
		(call $read_register (i32.const 0) (i32.const 100))
		(i64.store (i32.const 100) (i64.add (i64.load (i32.const 100)) (i64.const 100)))
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 8))))
	(func (export "fail")`,
).Replace(counterWat)

// adminWat administers other contracts: take(target ‖ code hash) migrates
// the target after its frame; clear(target) gives the target up.
const adminWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "dispatch_migrate" (func $dispatch_migrate (param i32 i32 i32 i32)))
	(import "plinth" "clear_admin" (func $clear_admin (param i32)))
	(memory 1 1)
	(func (export "take")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(call $dispatch_migrate (i32.const 0) (i32.const 20) (i32.const 0) (i32.const 0)))
	(func (export "clear")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(call $clear_admin (i32.const 0))))`

// TestMigrate: only the admin migrates; state survives and the new code's
// migrate runs; migrate is not a method; a contract administers another
// through dispatch_migrate and can give it up for good.
func TestMigrate(t *testing.T) {
	net := newNet(t, 2)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	var codes [][]byte
	for _, src := range []string{counterWat, counter2Wat, adminWat} {
		code, err := vmtest.Wat(src)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
	}
	v1, v2, adm := sha256.Sum256(codes[0]), sha256.Sum256(codes[1]), sha256.Sum256(codes[2])
	owner := net.addrs[0]
	byTx := address.Contract(owner, 0)       // administered by the owner's account
	adminC := address.Contract(owner, 1)     // the administering contract
	byContract := address.Contract(owner, 2) // administered by adminC
	bs := newBlocks(t, c, net)
	send := bs.send
	codesOK := func(rs []runtime.Receipt) {
		t.Helper()
		for i, r := range rs {
			if r.Code != runtime.CodeOK {
				t.Fatalf("tx %d: %v %s", i, r.Code, r.Message)
			}
		}
	}
	codesOK(send(0,
		tx.Deploy{Code: codes[0]}, tx.Deploy{Code: codes[1]}, tx.Deploy{Code: codes[2]},
		tx.Instantiate{CodeHash: v1, Init: le64(1), Admin: owner[:]},
		tx.Instantiate{CodeHash: adm},
		tx.Instantiate{CodeHash: v1, Init: le64(1), Admin: adminC[:]},
	))
	if rs := send(1, tx.Migrate{Contract: byTx, CodeHash: v2}); rs[0].Code != runtime.CodeNotAdmin {
		t.Fatalf("a stranger's migrate: %v", rs[0].Code)
	}
	rs := send(0, tx.Migrate{Contract: byTx, CodeHash: v2}, tx.Call{Contract: byTx, Method: "incr"}, tx.Call{Contract: byTx, Method: "migrate"})
	if rs[0].Code != runtime.CodeOK || string(rs[1].Return) != string(le64(103)) || rs[2].Code != runtime.CodeNoMethod {
		t.Fatalf("migrate %v, then incr %x (want 1+100+2), then calling migrate %v", rs[0].Code, rs[1].Return, rs[2].Code)
	}
	// Through the administering contract: only it may.
	target := append(append([]byte(nil), byContract[:]...), v2[:]...)
	if rs := send(0, tx.Migrate{Contract: byContract, CodeHash: v2}); rs[0].Code != runtime.CodeNotAdmin {
		t.Fatalf("the owner is not this one's admin: %v", rs[0].Code)
	}
	rs = send(1, tx.Call{Contract: adminC, Method: "take", Input: target}, tx.Call{Contract: byContract, Method: "incr"})
	if rs[0].Code != runtime.CodeOK || string(rs[1].Return) != string(le64(103)) {
		t.Fatalf("migrate by the admin contract: %v %s; incr %x", rs[0].Code, rs[0].Message, rs[1].Return)
	}
	rs = send(1, tx.Call{Contract: adminC, Method: "clear", Input: byContract[:]}, tx.Call{Contract: adminC, Method: "take", Input: target})
	if rs[0].Code != runtime.CodeOK || rs[1].Code != runtime.CodeNotAdmin {
		t.Fatalf("after clearing the admin: %v, then migrate %v", rs[0].Code, rs[1].Code)
	}
}
