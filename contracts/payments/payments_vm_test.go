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
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// TestPaymentsOnChain runs the committed payments.wasm on the real chain:
// an escrow released to its recipient; a stream withdrawn from and
// canceled; a meter registered as a device whose signed readings (real
// attest transactions) open an agreement and settle it, paying the
// provider, refusing the same reading twice; a reward epoch with a
// reported uptime attestation and a claim paying the device's owner; the books
// equal to the contract's native balance, also after reopening the store.
// Each message's gas is logged.
func TestPaymentsOnChain(t *testing.T) {
	c := chaintest.New(t, 4)
	code := c.Deploy(0, chaintest.Module(t, "payments"))
	pay := sdk.Address(c.Instantiate(0, code, []byte(`{}`)))
	payer, recipient, provider, arbiter := 0, 1, 2, 3
	addr := func(i int) sdk.Address { return sdk.Address(c.Account(i)) }
	native := func(a sdk.Address) uint64 {
		t.Helper()
		acc, err := runtime.LoadAccount(c.State(), address.Address(a))
		if err != nil {
			t.Fatal(err)
		}
		return acc.Balance.Uint64()
	}
	// now is the last block's time: each transaction is a block one
	// second after the last (set from the first escrow's creation time).
	var now uint64
	send := func(from int, body tx.Body) runtime.Receipt {
		t.Helper()
		now += 1000
		return c.Send(from, body)
	}
	gas := map[string]uint64{}
	call := func(from int, method string, in any, funds uint64) runtime.Receipt {
		t.Helper()
		b, _ := json.Marshal(in)
		r := send(from, tx.Call{Contract: address.Address(pay), Method: method, Input: b, Funds: canon.NewU256(funds)})
		if r.Code == runtime.CodeOK {
			gas[method] = r.GasUsed
		}
		return r
	}
	ok := func(r runtime.Receipt, out any) {
		t.Helper()
		if r.Code != runtime.CodeOK {
			t.Fatalf("code %d: %s", r.Code, r.Message)
		}
		if out != nil {
			if err := json.Unmarshal(r.Return, out); err != nil {
				t.Fatalf("returned %q: %v", r.Return, err)
			}
		}
	}
	query := func(method string, in any, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		ret, err := c.Query(address.Address(pay), method, b)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if err := json.Unmarshal(ret, out); err != nil {
			t.Fatalf("%s returned %q: %v", method, ret, err)
		}
	}
	checkBooks := func() {
		t.Helper()
		var tot TotalsResponse
		query("totals", nil, &tot)
		if held, _ := tot.Held.Uint64(); held != native(pay) {
			t.Fatalf("the contract holds %d, its books say %s", native(pay), tot.Held)
		}
	}

	// Escrow: created by the payer, released to the recipient (who sends
	// nothing, so pays no fee).
	var created IDResponse
	ok(call(payer, "escrow_create", EscrowCreateMsg{Recipient: addr(recipient), Arbiter: ptr(addr(arbiter)), Expires: 1 << 62}, 5000), &created)
	var e EscrowResponse
	query("escrow", IDMsg{created.ID}, &e)
	if e.Status != statusOpen || e.Amount != amt(5000) {
		t.Fatalf("escrow: %+v", e)
	}
	now = e.Created
	before := native(addr(recipient))
	ok(call(payer, "escrow_release", IDMsg{created.ID}, 0), nil)
	if got := native(addr(recipient)); got != before+5000 {
		t.Fatalf("the recipient got %d, want 5000", got-before)
	}
	if r := call(arbiter, "escrow_release", IDMsg{created.ID}, 0); r.Code != runtime.CodeAbort || r.Message != "escrow 1 is already released" {
		t.Fatalf("a second release: %d %q", r.Code, r.Message)
	}
	checkBooks()

	// A stream: 10 tokens a second for 100 s.
	ok(call(payer, "stream_create", StreamCreateMsg{Recipient: addr(recipient), Rate: amt(10)}, 1000), &created)
	streamID := created.ID
	var got AmountResponse
	ok(call(recipient, "stream_withdraw", IDMsg{streamID}, 0), &got)
	if got.Amount != amt(10) {
		t.Fatalf("withdrew %s one second in", got.Amount)
	}
	var cancel CancelResponse
	ok(call(payer, "stream_cancel", IDMsg{streamID}, 0), &cancel)
	if cancel.Recipient != amt(10) || cancel.Refund != amt(980) {
		t.Fatalf("cancel two seconds in: %+v", cancel)
	}
	checkBooks()

	// A meter: the provider registers it; its readings are attest
	// transactions (anyone may submit them).
	seed := make([]byte, 32)
	seed[31] = 7
	key, err := sigs.NewPrivateKey(sigs.Ed25519, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := send(provider, tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: key.Public().Bytes(), DeviceKind: "meter"})
	ok(r, nil)
	dev := sdk.DeviceID(device.NewID(sigs.Ed25519, key.Public().Bytes()))
	if string(r.Return) != string(dev[:]) {
		t.Fatalf("registered %x, want %s", r.Return, dev)
	}
	attest := func(kind string, seq uint64, payload []byte) Hash {
		t.Helper()
		raw, err := device.Sign(&device.Attestation{ChainID: chaintest.ChainID, Device: device.ID(dev), Seq: seq, Time: now + 1000, // the block it goes in
			Kind: kind, Payload: payload}, key)
		if err != nil {
			t.Fatal(err)
		}
		r := send(arbiter, tx.Attest{Attestation: raw})
		if r.Code != runtime.CodeOK {
			t.Fatalf("attest %d: code %d: %s", seq, r.Code, r.Message)
		}
		return Hash(r.Return)
	}
	base := attest("kwh", 1, []byte(`{"reading": "1000"}`))
	ok(call(payer, "meter_open", MeterOpenMsg{Provider: addr(provider), Device: dev, Kind: "kwh", Price: amt(2)}, 500), &created)
	meterID := created.ID
	var m MeterResponse
	query("meter", IDMsg{meterID}, &m)
	if m.Attestation != base || m.Reading != amt(1000) || m.Balance != amt(500) {
		t.Fatalf("a new agreement: %+v (baseline %s)", m, base)
	}
	reading := attest("kwh", 2, []byte(`{"reading": "1100"}`))
	before = native(addr(provider))
	var settled SettleResponse
	ok(call(arbiter, "meter_settle", SettleMsg{ID: meterID, Attestation: reading}, 0), &settled)
	if settled.Bill != amt(200) || settled.Paid != amt(200) || native(addr(provider)) != before+200 {
		t.Fatalf("settle: %+v; the provider got %d", settled, native(addr(provider))-before)
	}
	if r := call(arbiter, "meter_settle", SettleMsg{ID: meterID, Attestation: reading}, 0); r.Code != runtime.CodeAbort ||
		r.Message != "the attestation's seq 2 is not above the last settled 2" {
		t.Fatalf("the same reading again: %d %q", r.Code, r.Message)
	}
	ok(call(payer, "meter_topup", IDMsg{meterID}, 100), nil)
	attest("kwh", 3, []byte(`{"reading": "1150"}`))
	var closed CloseResponse
	ok(call(payer, "meter_close", IDMsg{meterID}, 0), &closed)
	if closed.Settled == nil || closed.Settled.Bill != amt(100) || closed.Refund != amt(300) {
		t.Fatalf("close: %+v", closed)
	}
	checkBooks()

	// Rewards: an epoch over the next few blocks, the meter's uptime
	// reported, then claimed for its owner.
	ok(call(arbiter, "rewards_create_epoch", EpochCreateMsg{Devices: []sdk.DeviceID{dev}, Kind: "uptime", Start: now,
		End: now + 10_000, Grace: ptr[uint64](0)}, 1001), &created)
	epochID := created.ID
	up := attest("uptime", 4, []byte(`{"uptime_s": "3"}`))
	var rep ReportResponse
	ok(call(recipient, "rewards_report", ReportMsg{Epoch: epochID, Attestation: up}, 0), &rep)
	if rep.Credited != 3 {
		t.Fatalf("report: %+v", rep)
	}
	var ep EpochResponse
	query("epoch", EpochMsg{epochID}, &ep)
	for now+1000 < ep.ClaimFrom { // blocks until the claim's is at claim_from
		ok(send(payer, tx.Transfer{To: c.Account(recipient), Amount: canon.NewU256(1)}), nil)
	}
	before = native(addr(provider))
	var claim ClaimResponse
	ok(call(recipient, "rewards_claim", ClaimMsg{Epoch: epochID, Device: dev}, 0), &claim)
	if claim.Owner != addr(provider) || claim.Amount != amt(1001) || native(addr(provider)) != before+1001 {
		t.Fatalf("claim: %+v", claim)
	}
	checkBooks()

	c.Reopen()
	query("meter", IDMsg{meterID}, &m)
	if m.Status != "closed" || m.Seq != 3 || m.Paid != amt(300) {
		t.Fatalf("the agreement after reopening: %+v", m)
	}
	checkBooks()
	for _, method := range []string{"escrow_create", "escrow_release", "stream_create", "stream_withdraw", "stream_cancel",
		"meter_open", "meter_settle", "meter_topup", "meter_close", "rewards_create_epoch", "rewards_report", "rewards_claim"} {
		t.Logf("gas %-21s %d", method, gas[method])
	}
}
