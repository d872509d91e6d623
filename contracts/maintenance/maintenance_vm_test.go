//go:build !wasip1

package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/plinthchain/plinth/contracts/chaintest"
	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// TestMaintenanceOnChain runs the committed maintenance.wasm on the real
// chain: an asset with two registered devices, a usage template whose
// task is opened by the meter's real attestation, claimed with a bond,
// proven by the camera's attestation and paid after the dispute window; a
// time template whose task opens when due, is claimed and missed, and
// slashed; the funds exact against the native balance, before and after
// reopening the store.
func TestMaintenanceOnChain(t *testing.T) {
	c := chaintest.New(t, 4)
	const adminN, opN, ownerN, anyN = 0, 1, 2, 3
	admin, op := sdk.Address(c.Account(adminN)), sdk.Address(c.Account(opN))

	// chaintest starts at its genesis time and moves 1000 ms per Send;
	// sends counts them, so an attestation can carry its block's time.
	genesis := uint64(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	sends := 0
	send := func(from int, body tx.Body) runtime.Receipt {
		t.Helper()
		sends++
		return c.Send(from, body)
	}
	nextBlockTime := func() uint64 { return genesis + 1000*uint64(sends+1) }

	code := c.Deploy(adminN, chaintest.Module(t, "maintenance"))
	init, _ := json.Marshal(InitMsg{Admin: admin})
	m := c.Instantiate(adminN, code, init)
	sends += 2

	gas := map[string]uint64{}
	call := func(from int, method string, in any, funds uint64) runtime.Receipt {
		t.Helper()
		b, _ := json.Marshal(in)
		r := send(from, tx.Call{Contract: m, Method: method, Input: b, Funds: canon.NewU256(funds)})
		if r.Code != runtime.CodeOK {
			t.Fatalf("%s: code %d: %s", method, r.Code, r.Message)
		}
		if _, seen := gas[method]; !seen {
			gas[method] = r.GasUsed
		}
		return r
	}
	query := func(method string, in any, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		ret, err := c.Query(m, method, b)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if err := json.Unmarshal(ret, out); err != nil {
			t.Fatalf("%s returned %q: %v", method, ret, err)
		}
	}
	key := func(kt sigs.KeyType, b byte) sigs.PrivateKey {
		seed := make([]byte, sigs.SeedSize)
		seed[0], seed[31] = b, 0x5a
		k, err := sigs.NewPrivateKey(kt, seed)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	register := func(k sigs.PrivateKey, kind string) sdk.DeviceID {
		t.Helper()
		r := send(ownerN, tx.DeviceRegister{KeyType: uint64(k.Type()), PublicKey: k.Public().Bytes(), DeviceKind: kind})
		if r.Code != runtime.CodeOK || len(r.Return) != 20 {
			t.Fatalf("register a device: %d %s", r.Code, r.Message)
		}
		return sdk.DeviceID(r.Return)
	}
	seq := uint64(0)
	attest := func(k sigs.PrivateKey, kind, payload string) AttestationID {
		t.Helper()
		seq++
		a := device.Attestation{ChainID: chaintest.ChainID, Device: device.NewID(k.Type(), k.Public().Bytes()),
			Seq: seq, Time: nextBlockTime(), Kind: kind, Payload: []byte(payload)}
		raw, err := device.Sign(&a, k)
		if err != nil {
			t.Fatal(err)
		}
		r := send(ownerN, tx.Attest{Attestation: raw})
		if r.Code != runtime.CodeOK || len(r.Return) != 32 {
			t.Fatalf("attest: %d %s", r.Code, r.Message)
		}
		gas["(attest tx)"] = r.GasUsed
		return AttestationID(r.Return)
	}
	native := func(a sdk.Address) uint64 {
		t.Helper()
		acc, err := runtime.LoadAccount(c.State(), address.Address(a))
		if err != nil {
			t.Fatal(err)
		}
		return acc.Balance.Uint64()
	}

	meterKey, camKey := key(sigs.P256, 1), key(sigs.Ed25519, 2)
	meter, cam := register(meterKey, "meter"), register(camKey, "camera")
	call(adminN, "register_asset", AssetMsg{Name: "Roof array A", Devices: []sdk.DeviceID{meter, cam}}, 0)
	call(adminN, "add_template", TemplateSpec{Asset: 1, Name: "inverter service",
		Usage: &Usage{Device: meter, Kind: "hours", Field: "hours", Every: 500},
		Grace: 60_000, DisputeWindow: 3000, Reward: amt(1000), Bond: amt(300), ProofKind: "service"}, 2000)
	call(adminN, "add_template", TemplateSpec{Asset: 1, Name: "clean panels", Interval: 8000,
		Grace: 4000, DisputeWindow: 3000, Reward: amt(700), Bond: amt(250), ProofKind: "service"}, 700)

	// Usage: the meter attests 512 operating hours, which opens task 1.
	reading := attest(meterKey, "hours", `{"hours": "512"}`)
	r := call(anyN, "report_usage", AttestationMsg{Template: 1, Attestation: reading}, 0)
	var opened IDResponse
	if err := json.Unmarshal(r.Return, &opened); err != nil || opened.ID != 1 {
		t.Fatalf("report_usage returned %q", r.Return)
	}
	before := native(op)
	var spent uint64
	spent += call(opN, "post_bond", nil, 500).GasUsed
	spent += call(opN, "claim_task", TaskMsg{1}, 0).GasUsed
	proof := attest(camKey, "service", `{"report": "sha256:9f2c…"}`)
	spent += call(opN, "complete_task", AttestationMsg{Task: 1, Attestation: proof}, 0).GasUsed
	var task Task
	query("task", TaskMsg{1}, &task)
	if task.Status != statusReview || task.Proof == nil || *task.Proof != proof || task.Counter != 512 {
		t.Fatalf("task 1: %+v", task)
	}
	// A refusal on chain: the window is still open.
	b, _ := json.Marshal(TaskMsg{1})
	if r := send(anyN, tx.Call{Contract: m, Method: "finalize_task", Input: b}); r.Code != runtime.CodeAbort || r.Message != "task 1's dispute window ends at "+u(task.ReviewEnds) {
		t.Fatalf("an early finalize: %d %q", r.Code, r.Message)
	}
	for nextBlockTime() < task.ReviewEnds {
		send(anyN, tx.Transfer{To: c.Account(anyN), Amount: canon.NewU256(1)})
	}
	call(anyN, "finalize_task", TaskMsg{1}, 0)
	// The operator paid gas and a 500 bond, and got the 1000 reward; 500
	// of free bond is withdrawable.
	if after := native(op); after != before-spent-500+1000 {
		t.Fatalf("operator's native balance %d, want %d - %d - 500 + 1000", after, before, spent)
	}
	var o OperatorResponse
	query("operator", OperatorMsg{op}, &o)
	if o.Bond != amt(500) || !o.Locked.IsZero() || o.Done != 1 {
		t.Fatalf("operator: %+v", o)
	}

	// Time: the cleaning falls due, is claimed and missed: slashed.
	var tpl Template
	query("template", TemplateMsg{2}, &tpl)
	for nextBlockTime() < tpl.LastOpened+tpl.Interval {
		send(anyN, tx.Transfer{To: c.Account(anyN), Amount: canon.NewU256(1)})
	}
	call(anyN, "open_due", TemplateMsg{2}, 0)
	call(opN, "claim_task", TaskMsg{2}, 0)
	query("task", TaskMsg{2}, &task)
	for nextBlockTime() <= task.Deadline {
		send(anyN, tx.Transfer{To: c.Account(anyN), Amount: canon.NewU256(1)})
	}
	call(anyN, "slash_overdue", TaskMsg{2}, 0)
	call(opN, "withdraw_bond", AmountMsg{amt(250)}, 0)

	check := func() {
		t.Helper()
		var cfg ConfigResponse
		query("config", nil, &cfg)
		// Escrow: template 1's 1000 unreserved, template 2's 700 reserved
		// by the reopened task 2; bonds: nothing left; treasury: the 250
		// slashed.
		if cfg.Escrow != amt(1700) || !cfg.Bonds.IsZero() || cfg.Treasury != amt(250) || cfg.Tasks != 2 {
			t.Fatalf("config %+v", cfg)
		}
		if held := native(sdk.Address(m)); held != 1700+250 {
			t.Fatalf("the contract holds %d, want escrow + bonds + treasury = 1950", held)
		}
		var due []Task
		query("tasks", TasksMsg{Status: "due"}, &due)
		if len(due) != 1 || due[0].ID != 2 || due[0].Slashes != 1 {
			t.Fatalf("due: %+v", due)
		}
	}
	check()
	c.Reopen()
	check()
	for _, method := range []string{"register_asset", "add_template", "(attest tx)", "report_usage", "post_bond", "claim_task",
		"complete_task", "finalize_task", "open_due", "slash_overdue", "withdraw_bond"} {
		t.Logf("%-15s gas %d", method, gas[method])
	}
}
