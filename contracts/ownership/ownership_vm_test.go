//go:build !wasip1

package main

import (
	"encoding/json"
	"testing"

	"github.com/plinthchain/plinth/contracts/chaintest"
	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// TestOwnershipOnChain runs the committed ownership.wasm on the real
// chain: shares issued at instantiation, a transfer, a revenue deposit
// in the native token, a claim that pays out, checkpoints, and the same
// state after reopening the store.
func TestOwnershipOnChain(t *testing.T) {
	c := chaintest.New(t, 3)
	code := c.Deploy(0, chaintest.Module(t, "ownership"))
	admin, alice, bob := sdk.Address(c.Account(0)), sdk.Address(c.Account(1)), sdk.Address(c.Account(2))
	init, _ := json.Marshal(InitMsg{Name: "Roof array A", Symbol: "ROOFA", Admin: &admin,
		Holders: []Grant{{alice, amt(600)}, {bob, amt(400)}}})
	shares := c.Instantiate(0, code, init)

	call := func(from int, method string, in any, funds uint64) runtime.Receipt {
		t.Helper()
		b, _ := json.Marshal(in)
		r := c.Send(from, tx.Call{Contract: shares, Method: method, Input: b, Funds: canon.NewU256(funds)})
		t.Logf("%s: gas %d", method, r.GasUsed)
		return r
	}
	query := func(method string, in any, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		ret, err := c.Query(shares, method, b)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if err := json.Unmarshal(ret, out); err != nil {
			t.Fatalf("%s returned %q: %v", method, ret, err)
		}
	}
	if r := call(1, "transfer", TransferMsg{bob, amt(100)}, 0); r.Code != runtime.CodeOK {
		t.Fatalf("transfer: %d %s", r.Code, r.Message)
	}
	if r := call(1, "transfer", TransferMsg{bob, amt(10_000)}, 0); r.Code != runtime.CodeAbort || r.Message != "insufficient shares" {
		t.Fatalf("an overdraft: %d %q", r.Code, r.Message)
	}
	if r := call(0, "deposit_revenue", nil, 1000); r.Code != runtime.CodeOK {
		t.Fatalf("deposit: %d %s", r.Code, r.Message)
	}
	var b BalanceResponse
	query("balance", AddressMsg{alice}, &b)
	if b.Balance != amt(500) || b.Claimable != amt(500) {
		t.Fatalf("alice: %+v", b)
	}
	native := func(a sdk.Address) uint64 {
		t.Helper()
		acc, err := runtime.LoadAccount(c.State(), address.Address(a))
		if err != nil {
			t.Fatal(err)
		}
		return acc.Balance.Uint64()
	}
	before := native(bob)
	r := call(2, "claim", nil, 0)
	var claimed ClaimResponse
	if err := json.Unmarshal(r.Return, &claimed); r.Code != runtime.CodeOK || err != nil || claimed.Amount != amt(500) {
		t.Fatalf("bob's claim: %d %s %q", r.Code, r.Message, r.Return)
	}
	// Bob paid the fee (gas × price 1) and received 500 native tokens.
	if after := native(bob); after != before-r.GasUsed+500 {
		t.Fatalf("bob's native balance: %d, want %d - %d + 500", after, before, r.GasUsed)
	}

	c.Reopen()
	var at AmountResponse
	query("balance_at", AtMsg{Address: bob, Height: 1 << 40}, &at)
	if at.Amount != amt(500) {
		t.Fatalf("bob's checkpoint after reopening: %s", at.Amount)
	}
	query("balance", AddressMsg{bob}, &b)
	if !b.Claimable.IsZero() {
		t.Fatalf("bob after claiming: %+v", b)
	}
}
