package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/plinthchain/plinth/contracts/chaintest"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Accounts of the story.
const (
	coop      = 0 // the cooperative's treasurer: registers the meter, sells the power
	alice     = 1 // shareholders
	bob       = 2
	carol     = 3 // a consumer of the array's power
	operator1 = 4 // maintenance operators
	operator2 = 5
)

type obj = map[string]any

// story drives the chain and fails the test on any surprise.
type story struct {
	t *testing.T
	c *chaintest.Chain
}

func (s *story) module(name string) [32]byte {
	s.t.Helper()
	return s.c.Deploy(coop, chaintest.Module(s.t, name))
}

func (s *story) instantiate(code [32]byte, init obj) address.Address {
	s.t.Helper()
	b, _ := json.Marshal(init)
	return s.c.Instantiate(coop, code, b)
}

// call sends a JSON call and returns its decoded return value; want is
// the receipt code expected.
func (s *story) call(from int, contract address.Address, method string, in obj, funds uint64, want runtime.Code) map[string]any {
	s.t.Helper()
	var input []byte
	if in != nil {
		input, _ = json.Marshal(in)
	}
	r := s.c.Send(from, tx.Call{Contract: contract, Method: method, Input: input, Funds: canon.NewU256(funds)})
	if r.Code != want {
		s.t.Fatalf("%s: code %d (%s), want %d", method, r.Code, r.Message, want)
	}
	out := map[string]any{}
	if r.Code == runtime.CodeOK && len(r.Return) > 0 {
		_ = json.Unmarshal(r.Return, &out)
	}
	return out
}

func (s *story) balance(i int) uint64 {
	s.t.Helper()
	acc, err := runtime.LoadAccount(s.c.State(), s.c.Account(i))
	if err != nil {
		s.t.Fatal(err)
	}
	return acc.Balance.Uint64()
}

// attest has the meter sign a reading at the next block's time and
// submits it; it returns the attestation's id.
func (s *story) attest(k sigs.PrivateKey, seq uint64, kind, payload string) string {
	s.t.Helper()
	raw, err := device.Sign(&device.Attestation{ChainID: chaintest.ChainID, Device: device.NewID(k.Type(), k.Public().Bytes()),
		Seq: seq, Time: s.c.Time() + 1000, Kind: kind, Payload: []byte(payload)}, k)
	if err != nil {
		s.t.Fatal(err)
	}
	r := s.c.Send(coop, tx.Attest{Attestation: raw})
	if r.Code != runtime.CodeOK {
		s.t.Fatalf("attest: %d %s", r.Code, r.Message)
	}
	return hex.EncodeToString(r.Return)
}

// TestCommunitySolarArray: a community buys a solar array as shares,
// schedules its maintenance, bills a consumer from the meter's
// attestations, distributes the revenue to the shareholders, and votes
// to replace the operator whose work was bad — the four reference
// contracts, as committed, on the real chain.
func TestCommunitySolarArray(t *testing.T) {
	s := &story{t: t, c: chaintest.New(t, 6)}
	c := s.c
	ownCode, govCode, payCode, mntCode := s.module("ownership"), s.module("governance"), s.module("payments"), s.module("maintenance")

	// The array, bought as 1,000 shares.
	shares := s.instantiate(ownCode, obj{"name": "Roof array A", "symbol": "ROOFA", "asset": "40 kWp, site 7",
		"holders": []obj{{"address": c.Account(alice).String(), "amount": "600"}, {"address": c.Account(bob).String(), "amount": "400"}}})
	gov := s.instantiate(govCode, obj{"shares": shares.String(), "voting_period": 10_000, "timelock": 0, "execution_window": 60_000,
		"quorum": 5000, "threshold": 5000, "veto": 3340, "deposit": "100"})
	pay := s.instantiate(payCode, obj{})
	mnt := s.instantiate(mntCode, obj{"admin": c.Account(coop).String()})

	// The array's meter: an ed25519 device key the inverter holds.
	seed := sha256.Sum256([]byte("story/meter"))
	meter, err := sigs.NewPrivateKey(sigs.Ed25519, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Send(coop, tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: meter.Public().Bytes(), DeviceKind: "inverter"}); r.Code != runtime.CodeOK {
		t.Fatalf("register the meter: %d %s", r.Code, r.Message)
	}
	devID := device.NewID(sigs.Ed25519, meter.Public().Bytes())
	dev := hex.EncodeToString(devID[:])

	// Carol buys power: she prepays an agreement billed per kWh from the
	// meter's cumulative readings.
	s.attest(meter, 1, "kwh", `{"reading": "1000"}`)
	agreement := s.call(carol, pay, "meter_open", obj{"provider": c.Account(coop).String(), "device": dev, "kind": "kwh", "price": "2"}, 10_000, runtime.CodeOK)["id"]
	reading := s.attest(meter, 2, "kwh", `{"reading": "1500"}`)
	coopBefore := s.balance(coop)
	bill := s.call(operator2, pay, "meter_settle", obj{"id": agreement, "attestation": reading}, 0, runtime.CodeOK)
	if bill["bill"] != "1000" || s.balance(coop) != coopBefore+1000 {
		t.Fatalf("settling 500 kWh at 2: %v; the coop got %d", bill, s.balance(coop)-coopBefore)
	}
	s.call(operator2, pay, "meter_settle", obj{"id": agreement, "attestation": reading}, 0, runtime.CodeAbort) // never billed twice

	// The coop pays the sale into the array's revenue; holders claim pro rata.
	s.call(coop, shares, "deposit_revenue", nil, 1000, runtime.CodeOK)
	if got := s.call(alice, shares, "claim", nil, 0, runtime.CodeOK)["amount"]; got != "600" {
		t.Fatalf("alice's revenue: %v", got)
	}
	if got := s.call(bob, shares, "claim", nil, 0, runtime.CodeOK)["amount"]; got != "400" {
		t.Fatalf("bob's revenue: %v", got)
	}

	// Maintenance: a cleaning every 2 s of block time, proven by the
	// meter's "cleaned" attestation, paid 500, with a bond of 100; the
	// schedule is handed to the community's governance.
	asset := s.call(coop, mnt, "register_asset", obj{"name": "roof array A", "devices": []string{dev}}, 0, runtime.CodeOK)["id"]
	tmpl := s.call(coop, mnt, "add_template", obj{"asset": asset, "name": "clean panels", "interval": 2000, "grace": 600_000,
		"dispute_window": 60_000, "reward": "500", "bond": "100", "proof_kind": "cleaned"}, 1500, runtime.CodeOK)["id"]
	s.call(coop, mnt, "update_admin", obj{"admin": gov.String()}, 0, runtime.CodeOK)
	c.Advance(2000)
	task := s.call(operator1, mnt, "open_due", obj{"template": tmpl}, 0, runtime.CodeOK)["id"]
	s.call(operator1, mnt, "claim_task", obj{"task": task}, 100, runtime.CodeOK)
	proof := s.attest(meter, 3, "cleaned", `{"ok": true}`)
	s.call(operator1, mnt, "complete_task", obj{"task": task, "attestation": proof}, 0, runtime.CodeOK)

	// The panels were not clean: the shareholders vote to dispute the work,
	// slashing operator1's bond and reopening the task for another.
	reason, _ := json.Marshal(obj{"task": task, "reason": "the panels were not cleaned"})
	id := s.call(alice, gov, "propose", obj{"title": "replace the cleaning operator", "actions": []obj{{"call": obj{
		"contract": mnt.String(), "method": "dispute_task", "input": json.RawMessage(reason)}}}}, 100, runtime.CodeOK)["id"]
	s.call(alice, gov, "vote", obj{"id": id, "option": "yes"}, 0, runtime.CodeOK)
	s.call(bob, gov, "vote", obj{"id": id, "option": "no"}, 0, runtime.CodeOK)
	c.Advance(10_000)
	s.call(carol, gov, "finalize", obj{"id": id}, 0, runtime.CodeOK)
	s.call(carol, gov, "execute", obj{"id": id}, 0, runtime.CodeOK)
	op1 := s.call(carol, mnt, "operator", obj{"address": c.Account(operator1).String()}, 0, runtime.CodeOK)
	if op1["slashed"] == float64(0) || op1["slashed"] == nil {
		t.Fatalf("operator1 after the vote: %v", op1)
	}

	// Operator2 takes the reopened task, does the work, and is paid after
	// the dispute window.
	s.call(operator2, mnt, "claim_task", obj{"task": task}, 100, runtime.CodeOK)
	proof2 := s.attest(meter, 4, "cleaned", `{"ok": true}`)
	s.call(operator2, mnt, "complete_task", obj{"task": task, "attestation": proof2}, 0, runtime.CodeOK)
	c.Advance(60_000)
	before := s.balance(operator2)
	r := c.Send(operator2, tx.Call{Contract: mnt, Method: "finalize_task", Input: mustJSON(t, obj{"task": task})})
	if r.Code != runtime.CodeOK || s.balance(operator2) != before-r.GasUsed+500 {
		t.Fatalf("finalizing: code %d %s; operator2 got %d", r.Code, r.Message, s.balance(operator2)+r.GasUsed-before)
	}
	done := s.call(carol, mnt, "task", obj{"task": task}, 0, runtime.CodeOK)
	if done["operator"] != c.Account(operator2).String() || done["status"] != "done" || done["slashes"] != float64(1) {
		t.Fatalf("the task at the end: %v", done)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
