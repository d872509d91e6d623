package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/plinthchain/plinth/contracts/chaintest"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// BenchmarkMessages: the gas and the wall time of each reference
// contract's main messages on the real chain, one transaction per block
// (so ns/op includes the block's commit to Pebble: the transfer row is
// that baseline). The modules' sizes are logged. docs/benchmarks.md has
// the figures:
//
//	go test ./contracts/scenario -run XXX -bench Messages -benchmem
func BenchmarkMessages(b *testing.B) {
	c := chaintest.New(b, 6)
	deploy := func(name string) [32]byte {
		code := chaintest.Module(b, name)
		b.Logf("%s.wasm: %d bytes", name, len(code))
		return c.Deploy(coop, code)
	}
	inst := func(code [32]byte, init obj) address.Address {
		in, _ := json.Marshal(init)
		return c.Instantiate(coop, code, in)
	}
	ownCode, govCode, payCode, mntCode := deploy("ownership"), deploy("governance"), deploy("payments"), deploy("maintenance")
	shares := inst(ownCode, obj{"name": "Roof array A", "symbol": "ROOFA",
		"holders": []obj{{"address": c.Account(alice).String(), "amount": "600000"}, {"address": c.Account(bob).String(), "amount": "400000"}}})
	gov := inst(govCode, obj{"shares": shares.String(), "voting_period": 1 << 40, "timelock": 0, "execution_window": 60_000,
		"quorum": 5000, "threshold": 5000, "veto": 3340, "deposit": "100"})
	pay := inst(payCode, obj{})
	mnt := inst(mntCode, obj{"admin": c.Account(coop).String()})

	seed := sha256.Sum256([]byte("bench/meter"))
	meter, _ := sigs.NewPrivateKey(sigs.Ed25519, seed[:])
	c.Send(coop, tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: meter.Public().Bytes(), DeviceKind: "inverter"})
	devID := device.NewID(sigs.Ed25519, meter.Public().Bytes())
	dev := hex.EncodeToString(devID[:])
	seq := uint64(0)
	attest := func(kind, payload string) string {
		seq++
		raw, err := device.Sign(&device.Attestation{ChainID: chaintest.ChainID, Device: devID, Seq: seq, Time: c.Time() + 1000, Kind: kind, Payload: []byte(payload)}, meter)
		if err != nil {
			b.Fatal(err)
		}
		r := c.Send(coop, tx.Attest{Attestation: raw})
		if r.Code != runtime.CodeOK {
			b.Fatalf("attest: %s", r.Message)
		}
		return hex.EncodeToString(r.Return)
	}
	send := func(from int, to address.Address, method string, in any, funds uint64) runtime.Receipt {
		input, _ := json.Marshal(in)
		r := c.Send(from, tx.Call{Contract: to, Method: method, Input: input, Funds: canon.NewU256(funds)})
		if r.Code != runtime.CodeOK {
			b.Fatalf("%s: %d %s", method, r.Code, r.Message)
		}
		return r
	}
	var out map[string]any
	decode := func(r runtime.Receipt) map[string]any {
		out = map[string]any{}
		_ = json.Unmarshal(r.Return, &out)
		return out
	}
	reading := 1000
	attest("kwh", `{"reading": "1000"}`)
	agreement := decode(send(carol, pay, "meter_open", obj{"provider": c.Account(coop).String(), "device": dev, "kind": "kwh", "price": "2"}, 1<<40))["id"]
	asset := decode(send(coop, mnt, "register_asset", obj{"name": "array", "devices": []string{dev}}, 0))["id"]
	tmpl := decode(send(coop, mnt, "add_template", obj{"asset": asset, "name": "clean", "interval": 1000, "grace": 300_000_000_000,
		"dispute_window": 1000, "reward": "5", "bond": "1", "proof_kind": "cleaned"}, 1<<40))["id"]
	send(operator1, mnt, "post_bond", nil, 1<<40)
	proposal := decode(send(alice, gov, "propose", obj{"title": "t"}, 100))["id"]

	for _, m := range []struct {
		name  string
		setup func() // before each timed transaction, untimed
		run   func() runtime.Receipt
	}{
		{"transfer (baseline)", nil, func() runtime.Receipt {
			return c.Send(alice, tx.Transfer{To: c.Account(bob), Amount: canon.NewU256(1)})
		}},
		{"ownership/transfer", nil, func() runtime.Receipt {
			return send(alice, shares, "transfer", obj{"to": c.Account(bob).String(), "amount": "1"}, 0)
		}},
		{"ownership/deposit_revenue", nil, func() runtime.Receipt { return send(carol, shares, "deposit_revenue", nil, 1000) }},
		{"ownership/claim", func() { send(carol, shares, "deposit_revenue", nil, 1000) }, func() runtime.Receipt { return send(bob, shares, "claim", nil, 0) }},
		{"governance/vote", nil, func() runtime.Receipt {
			return send(alice, gov, "vote", obj{"id": proposal, "option": "yes"}, 0)
		}},
		{"payments/meter_settle", nil, nil},
		{"maintenance/complete_task", nil, nil},
	} {
		var task any
		var proof string
		switch m.name {
		case "payments/meter_settle":
			m.setup = func() { reading += 10; proof = attest("kwh", fmt.Sprintf(`{"reading": "%d"}`, reading)) }
			m.run = func() runtime.Receipt {
				return send(operator2, pay, "meter_settle", obj{"id": agreement, "attestation": proof}, 0)
			}
		case "maintenance/complete_task":
			m.setup = func() {
				c.Advance(1000)
				task = decode(send(operator2, mnt, "open_due", obj{"template": tmpl}, 0))["id"]
				send(operator1, mnt, "claim_task", obj{"task": task}, 0)
				proof = attest("cleaned", `{"ok": true}`)
			}
			m.run = func() runtime.Receipt {
				return send(operator1, mnt, "complete_task", obj{"task": task, "attestation": proof}, 0)
			}
		}
		b.Run(m.name, func(b *testing.B) {
			var gas uint64
			for range b.N {
				if m.setup != nil {
					b.StopTimer()
					m.setup()
					b.StartTimer()
				}
				r := m.run()
				gas = r.GasUsed
			}
			b.ReportMetric(float64(gas), "gas/op")
		})
	}
}
