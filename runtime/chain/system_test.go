package chain

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// govWat: params(height u64 LE ‖ encoded params) and vals(encoded set).
const govWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "register_len" (func $register_len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "set_params" (func $set_params (param i32 i32 i64)))
	(import "plinth" "set_validators" (func $set_validators (param i32 i32)))
	(memory 2 2)
	(func (export "params")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(call $set_params (i32.const 8) (i32.sub (i32.wrap_i64 (call $register_len (i32.const 0))) (i32.const 8)) (i64.load (i32.const 0))))
	(func (export "vals")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(call $set_validators (i32.const 0) (i32.wrap_i64 (call $register_len (i32.const 0))))))`

// TestSystemCalls: only the address genesis names may set parameters and
// validators; new parameters apply from their height and not before (a
// validator replaying the blocks agrees); a new validator set is in the
// next header.
func TestSystemCalls(t *testing.T) {
	net := newNet(t, 2) // genesis governance: account 0's first contract
	gov := address.Contract(net.addrs[0], 0)
	net.genesis.Governance = gov
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	code, err := vmtest.Wat(govWat)
	if err != nil {
		t.Fatal(err)
	}
	bs := newBlocks(t, c, net)
	send := func(bodies ...tx.Body) []runtime.Receipt { t.Helper(); return bs.send(0, bodies...) }
	rs := send(tx.Deploy{Code: code}, tx.Instantiate{CodeHash: sha256.Sum256(code)}, tx.Instantiate{CodeHash: sha256.Sum256(code)})
	for i, r := range rs {
		if r.Code != runtime.CodeOK {
			t.Fatalf("setup %d: %v %s", i, r.Code, r.Message)
		}
	}
	impostor := address.Contract(net.addrs[0], 1)
	p := net.genesis.Params
	p.TransferGas += 1000
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	at := func(h uint64) []byte { return append(binary.LittleEndian.AppendUint64(nil, h), enc...) }
	// Block 2: the impostor is refused; a past height is refused; the
	// governance contract schedules the new parameters from block 4.
	rs = send(
		tx.Call{Contract: impostor, Method: "params", Input: at(4)},
		tx.Call{Contract: gov, Method: "params", Input: at(2)},
		tx.Call{Contract: gov, Method: "params", Input: append(binary.LittleEndian.AppendUint64(nil, 9), 0xff)},
		tx.Call{Contract: gov, Method: "params", Input: at(4)},
	)
	for i, want := range []runtime.Code{runtime.CodeNotPrivileged, runtime.CodeBadSystemCall, runtime.CodeBadSystemCall, runtime.CodeOK} {
		if rs[i].Code != want {
			t.Fatalf("call %d: %v %s, want %v", i, rs[i].Code, rs[i].Message, want)
		}
	}
	transferGas := func() uint64 {
		t.Helper()
		raw := net.sign(t, 0, bs.nonces[0], tx.Transfer{To: net.addrs[1], Amount: canon.NewU256(1)})
		rs := send(tx.Transfer{To: net.addrs[1], Amount: canon.NewU256(1)})
		return rs[0].GasUsed - net.genesis.Params.TxBaseGas - net.genesis.Params.TxByteGas*uint64(len(raw))
	}
	if g := transferGas(); g != net.genesis.Params.TransferGas { // block 3
		t.Fatalf("block 3: transfer gas %d, want the old %d", g, net.genesis.Params.TransferGas)
	}
	if g := transferGas(); g != p.TransferGas { // block 4
		t.Fatalf("block 4: transfer gas %d, want the new %d", g, p.TransferGas)
	}
	// A new validator set is in force from the next block.
	vs := []runtime.Validator{{PublicKey: key(777).Public().(ed25519.PublicKey), Power: 3, Name: "new"}}
	vb, _ := canon.Marshal(vs)
	if rs := send(tx.Call{Contract: gov, Method: "vals", Input: vb}); rs[0].Code != runtime.CodeOK {
		t.Fatalf("vals: %v %s", rs[0].Code, rs[0].Message)
	}
	send()
	want, _ := runtime.ValidatorsHash(vs)
	if head, _ := c.Head(); head.ValidatorsHash != want {
		t.Fatal("the next header does not carry the new validator set")
	}
	// A validator replays every block and agrees.
	v, vstore := openChain(t, t.TempDir(), net.genesis)
	defer vstore.Close()
	for i, b := range bs.made {
		if _, err := v.Apply(context.Background(), b); err != nil {
			t.Fatalf("replay block %d: %v", i+1, err)
		}
	}
	if vstore.RootHash() != s.RootHash() {
		t.Fatalf("replay root %x, proposer %x", vstore.RootHash(), s.RootHash())
	}
}
