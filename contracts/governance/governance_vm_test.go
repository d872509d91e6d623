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

// TestGovernanceOnChain runs the committed governance.wasm with the real
// ownership.wasm on the real chain: shares weigh the votes, a passed
// proposal pays from the treasury, and the proposal cannot run twice.
func TestGovernanceOnChain(t *testing.T) {
	c := chaintest.New(t, 3)
	ownCode := chaintest.Module(t, "ownership")
	alice, bob := sdk.Address(c.Account(1)), sdk.Address(c.Account(2))
	shares := c.Instantiate(0, c.Deploy(0, ownCode), mustJSON(t, map[string]any{
		"name": "Roof array A", "symbol": "ROOFA",
		"holders": []map[string]any{{"address": alice, "amount": "600"}, {"address": bob, "amount": "400"}},
	}))
	sharesAddr := sdk.Address(shares)
	cfg := Config{Shares: &sharesAddr, VotingPeriod: 10_000, ExecutionWindow: 60_000,
		Quorum: 5000, Threshold: 5000, Veto: 3340, Deposit: sdk.NewAmount(100)}
	gov := c.Instantiate(0, c.Deploy(0, chaintest.Module(t, "governance")), mustJSON(t, InitMsg{Config: cfg}))

	send := func(from int, method string, in any, funds uint64) runtime.Receipt {
		t.Helper()
		r := c.Send(from, tx.Call{Contract: gov, Method: method, Input: mustJSON(t, in), Funds: canon.NewU256(funds)})
		t.Logf("%s: gas %d, code %d %s", method, r.GasUsed, r.Code, r.Message)
		return r
	}
	ok := func(r runtime.Receipt) runtime.Receipt {
		t.Helper()
		if r.Code != runtime.CodeOK {
			t.Fatalf("code %d: %s", r.Code, r.Message)
		}
		return r
	}
	ok(send(0, "fund", nil, 5000))
	var created ProposeResponse
	r := ok(send(1, "propose", ProposeMsg{Title: "Pay the roofer", Actions: []Action{{Transfer: &TransferAction{To: bob, Amount: sdk.NewAmount(1000)}}}}, 100))
	if err := json.Unmarshal(r.Return, &created); err != nil || created.ID != 1 {
		t.Fatalf("propose returned %q", r.Return)
	}
	ok(send(1, "vote", VoteMsg{1, Yes}, 0))
	ok(send(2, "vote", VoteMsg{1, No}, 0))
	if r := send(0, "vote", VoteMsg{1, Yes}, 0); r.Code != runtime.CodeAbort {
		t.Fatalf("a vote without shares: %d %s", r.Code, r.Message)
	}
	c.Advance(10_000)
	ok(send(0, "finalize", IDMsg{1}, 0))
	balance := func(a sdk.Address) uint64 {
		acc, err := runtime.LoadAccount(c.State(), address.Address(a))
		if err != nil {
			t.Fatal(err)
		}
		return acc.Balance.Uint64()
	}
	before := balance(bob)
	ok(send(0, "execute", IDMsg{1}, 0))
	if got := balance(bob); got != before+1000 {
		t.Fatalf("bob got %d from the treasury, want 1000", got-before)
	}
	if r := send(0, "execute", IDMsg{1}, 0); r.Code != runtime.CodeAbort {
		t.Fatalf("a second execution: %d", r.Code)
	}
	out, err := c.Query(gov, "proposal", mustJSON(t, IDMsg{1}))
	var p ProposalResponse
	if err != nil || json.Unmarshal(out, &p) != nil || p.Status != Executed || p.Tally.Yes != sdk.NewAmount(600) || p.Tally.No != sdk.NewAmount(400) {
		t.Fatalf("the proposal after execution: %+v (%v)", p, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
