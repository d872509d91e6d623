package chain

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// counterWat: init stores its input (8 bytes) under "n"; incr adds one and
// returns it; get returns it (and logs); fail aborts after writing; boom
// traps after writing.
const counterWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "storage_read" (func $storage_read (param i32 i32 i32) (result i32)))
	(import "plinth" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $value_return (param i32 i32)))
	(import "plinth" "abort" (func $abort (param i32 i32)))
	(import "plinth" "log" (func $log (param i32 i32)))
	(memory 1 1)
	(data (i32.const 0) "n")
	(data (i32.const 16) "no way")
	(func (export "init")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 100))
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 8))))
	(func (export "incr")
		(drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))
		(call $read_register (i32.const 0) (i32.const 100))
		(i64.store (i32.const 100) (i64.add (i64.load (i32.const 100)) (i64.const 1)))
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 8)))
		(call $value_return (i32.const 100) (i32.const 8)))
	(func (export "fail")
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 6)))
		(call $abort (i32.const 16) (i32.const 6)))
	(func (export "get")
		(call $log (i32.const 16) (i32.const 6))
		(drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))
		(call $read_register (i32.const 0) (i32.const 100))
		(call $value_return (i32.const 100) (i32.const 8)))
	(func (export "boom")
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 6)))
		unreachable))`

func (n *testNet) sign(t testing.TB, from int, nonce uint64, body tx.Body) []byte {
	t.Helper()
	raw, err := tx.Sign(&tx.Tx{ChainID: chainID, Nonce: nonce, GasLimit: 200_000_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, n.keys[from])
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// TestContractLifecycle: deploy, instantiate (init runs), calls that
// succeed and calls that fail each way, on a real store; a failed call
// keeps none of its writes but pays its fee and bumps its nonce.
func TestContractLifecycle(t *testing.T) {
	net := newNet(t, 2)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	code, err := vmtest.Wat(counterWat)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(code)
	contract := address.Contract(net.addrs[0], 0)
	next := net.genesis.Time
	propose := func(txs ...[]byte) *runtime.Output {
		t.Helper()
		next += 1000
		_, out, err := c.Propose(context.Background(), txs, next, net.proposer)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := propose(
		net.sign(t, 0, 0, tx.Deploy{Code: code}),
		net.sign(t, 0, 1, tx.Instantiate{CodeHash: hash, Init: le64(7), Label: "counter"}),
		net.sign(t, 1, 0, tx.Call{Contract: contract, Method: "incr"}),
		net.sign(t, 1, 1, tx.Call{Contract: contract, Method: "incr"}),
	)
	for i, r := range out.Receipts {
		if r.Code != runtime.CodeOK {
			t.Fatalf("tx %d: %v %s", i, r.Code, r.Message)
		}
	}
	if string(out.Receipts[0].Return) != string(hash[:]) || string(out.Receipts[1].Return[:20]) != string(contract[:]) {
		t.Fatalf("deploy returned %x, instantiate %x", out.Receipts[0].Return, out.Receipts[1].Return)
	}
	if string(out.Receipts[3].Return) != string(le64(9)) {
		t.Fatalf("the second incr returned %x, want 9", out.Receipts[3].Return)
	}
	p := net.genesis.Params
	cost, err := deployCost(code, &p)
	if err != nil {
		t.Fatal(err)
	}
	if want := p.TxBaseGas + p.TxByteGas*uint64(len(net.sign(t, 0, 0, tx.Deploy{Code: code}))) + cost; out.Receipts[0].GasUsed != want {
		t.Fatalf("deploy used %d gas, want %d", out.Receipts[0].GasUsed, want)
	}

	bal0, nonce0 := balance(t, s, net.addrs[1])
	failures := []struct {
		body tx.Body
		code runtime.Code
		msg  string
	}{
		{tx.Call{Contract: contract, Method: "fail"}, runtime.CodeAbort, "no way"},
		{tx.Call{Contract: contract, Method: "boom"}, runtime.CodeTrap, "trap: unreachable"},
		{tx.Call{Contract: contract, Method: "init"}, runtime.CodeNoMethod, "no such method"},
		{tx.Call{Contract: contract, Method: "missing"}, runtime.CodeNoMethod, "no such method"},
		{tx.Call{Contract: address.Address{7}, Method: "incr"}, runtime.CodeUnknownContract, "unknown contract"},
		{tx.Call{Contract: contract, Method: "incr", Funds: canon.NewU256(2 * genesisBalance)}, runtime.CodeInsufficientFunds, "insufficient funds"},
		{tx.Instantiate{CodeHash: [32]byte{1}}, runtime.CodeUnknownCode, "unknown code"},
		{tx.Deploy{Code: []byte("not wasm")}, runtime.CodeInvalidCode, "invalid code"},
	}
	var txs [][]byte
	for i, f := range failures {
		txs = append(txs, net.sign(t, 1, nonce0+uint64(i), f.body))
	}
	out = propose(txs...)
	var fees uint64
	for i, f := range failures {
		r := out.Receipts[i]
		if r.Code != f.code || r.Message != f.msg {
			t.Errorf("%d: %v %q, want %v %q", i, r.Code, r.Message, f.code, f.msg)
		}
		fees += r.GasUsed
	}
	bal1, nonce1 := balance(t, s, net.addrs[1])
	if nonce1 != nonce0+uint64(len(failures)) || bal1 != bal0-fees {
		t.Fatalf("after failures: balance %d nonce %d, want %d %d", bal1, nonce1, bal0-fees, nonce0+uint64(len(failures)))
	}
	// The failed calls wrote "no way" before failing: none of it stayed.
	out = propose(net.sign(t, 0, 2, tx.Call{Contract: contract, Method: "incr"}))
	if string(out.Receipts[0].Return) != string(le64(10)) {
		t.Fatalf("incr after the failures returned %x, want 10", out.Receipts[0].Return)
	}
}

func deployCost(code []byte, p *params.Params) (uint64, error) {
	c, err := vm.DeployCost(code, p.VM)
	return c + p.CodeStorePerByte*uint64(len(code)), err
}
