package main

import (
	"encoding/hex"

	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Payments and maintenance flows, with real devices and attestations.

// meterDevice registers an ed25519 meter for owner in its own block and
// returns its key and id (hex).
func (b *builder) meterDevice(owner, name string) (sigs.PrivateKey, string) {
	k := b.deviceKey(name, sigs.Ed25519)
	b.block(one(b, owner, register6(k, "meter"), 1_000_000))
	id := device.NewID(sigs.Ed25519, k.Public().Bytes())
	return k, hex.EncodeToString(id[:])
}

// attest submits an attestation of k in its own block and returns its id
// (hex), as the attest receipt returns it.
func (b *builder) attest(from string, k sigs.PrivateKey, seq uint64, kind, payload string) string {
	raw := b.attestation(k, seq, kind, payload, nil)
	b.block(one(b, from, tx.Attest{Attestation: raw}, 1_000_000))
	id := device.AttestationID(mustSigned(b, raw))
	return hex.EncodeToString(id[:])
}

func init() {
	const big = 1_000_000_000_000
	pay := func(b *builder) (addr string) {
		for _, n := range []string{"consumer", "provider", "arbiter", "funder"} {
			b.fund(n, big)
		}
		return b.genesisContract("payments", obj{}, nil).String()
	}
	register("payments",
		scenario{name: "escrow", build: func(b *builder) {
			b.v.Description = "an escrow released by its arbiter, another refunded by its recipient, a stranger refused"
			c := mustAddr(b, pay(b))
			exp := b.time + 60_000
			b.block(
				b.msg("consumer", c, "escrow_create", obj{"recipient": b.addr("provider").String(), "arbiter": b.addr("arbiter").String(), "expires": exp}, 500),
				b.msg("consumer", c, "escrow_create", obj{"recipient": b.addr("provider").String(), "expires": exp}, 300),
			)
			b.block(
				b.msg("funder", c, "escrow_release", obj{"id": 1}, 0),
				b.msg("arbiter", c, "escrow_release", obj{"id": 1}, 0),
				b.msg("provider", c, "escrow_refund", obj{"id": 2}, 0),
				b.msg("consumer", c, "escrow", obj{"id": 2}, 0),
			)
		}},
		scenario{name: "stream", build: func(b *builder) {
			b.v.Description = "a stream of 10 tokens a second with a 3-second cliff: nothing before it, then withdrawn, then canceled with a refund"
			c := mustAddr(b, pay(b))
			start := b.time + 1000
			b.block(b.msg("consumer", c, "stream_create", obj{"recipient": b.addr("provider").String(), "rate": "10", "start": start, "cliff": 3000}, 1000))
			b.block(b.msg("provider", c, "stream_withdraw", obj{"id": 1}, 0))
			b.time += 5000
			b.block(b.msg("provider", c, "stream_withdraw", obj{"id": 1}, 0))
			b.block(b.msg("consumer", c, "stream_cancel", obj{"id": 1}, 0), b.msg("consumer", c, "stream_cancel", obj{"id": 1}, 0))
		}},
		scenario{name: "meter", build: func(b *builder) {
			b.v.Description = "metered billing from cumulative kWh readings: opened at the latest reading, settled twice, a replayed reading refused, closed with a refund"
			c := mustAddr(b, pay(b))
			k, dev := b.meterDevice("provider", "meter")
			b.attest("provider", k, 1, "kwh", `{"reading": "100"}`)
			b.block(b.msg("consumer", c, "meter_open", obj{"provider": b.addr("provider").String(), "device": dev, "kind": "kwh", "price": "3"}, 1000))
			a2 := b.attest("provider", k, 2, "kwh", `{"reading": "150"}`)
			a3 := b.attest("provider", k, 3, "kwh", `{"reading": "175"}`)
			b.block(
				b.msg("funder", c, "meter_settle", obj{"id": 1, "attestation": a3}, 0),
				b.msg("funder", c, "meter_settle", obj{"id": 1, "attestation": a2}, 0),
				b.msg("funder", c, "meter_settle", obj{"id": 1, "attestation": a3}, 0),
			)
			b.block(b.msg("consumer", c, "meter_close", obj{"id": 1}, 0))
		}},
		scenario{name: "rewards", build: func(b *builder) {
			b.v.Description = "an uptime epoch over two devices: reports credited, claims paid pro rata, a double report refused"
			c := mustAddr(b, pay(b))
			k1, d1 := b.meterDevice("provider", "hotspot-1")
			k2, d2 := b.meterDevice("consumer", "hotspot-2")
			start, end := b.time+1000, b.time+20_000
			b.block(b.msg("funder", c, "rewards_create_epoch", obj{"devices": []string{d1, d2}, "kind": "uptime", "start": start, "end": end, "start_seq": 1, "grace": 1000}, 900))
			r1 := b.attest("provider", k1, 1, "uptime", `{"uptime_s": "10"}`)
			r2 := b.attest("consumer", k2, 1, "uptime", `{"uptime_s": "5"}`)
			b.block(
				b.msg("funder", c, "rewards_report", obj{"epoch": 1, "attestation": r1}, 0),
				b.msg("funder", c, "rewards_report", obj{"epoch": 1, "attestation": r2}, 0),
				b.msg("funder", c, "rewards_report", obj{"epoch": 1, "attestation": r1}, 0),
			)
			b.time = end + 2000
			b.block(
				b.msg("funder", c, "rewards_claim", obj{"epoch": 1, "device": d1}, 0),
				b.msg("funder", c, "rewards_claim", obj{"epoch": 1, "device": d2}, 0),
				b.msg("funder", c, "rewards_claim", obj{"epoch": 1, "device": d2}, 0),
			)
		}},
	)
	register("maintenance",
		scenario{name: "time-task", build: func(b *builder) {
			b.v.Description = "a weekly inspection task: opened when due, claimed with a bond, proven by the panel's attestation, finalized after the dispute window"
			for _, n := range []string{"admin", "operator", "anyone"} {
				b.fund(n, big)
			}
			c := b.genesisContract("maintenance", obj{"admin": b.addr("admin").String()}, nil)
			k, dev := b.meterDevice("admin", "panel")
			b.block(b.msg("admin", c, "register_asset", obj{"name": "roof array", "devices": []string{dev}}, 0))
			b.block(b.msg("admin", c, "add_template", obj{"asset": 1, "name": "inspect", "interval": 2000, "grace": 60_000, "dispute_window": 2000,
				"reward": "500", "bond": "100", "proof_kind": "inspected"}, 1000))
			b.time += 2000
			b.block(b.msg("anyone", c, "open_due", obj{"template": 1}, 0), b.msg("anyone", c, "open_due", obj{"template": 1}, 0))
			b.block(b.msg("operator", c, "claim_task", obj{"task": 1}, 100))
			proof := b.attest("admin", k, 1, "inspected", `{"ok": true}`)
			b.block(b.msg("operator", c, "complete_task", obj{"task": 1, "attestation": proof}, 0))
			b.time += 2000
			b.block(b.msg("anyone", c, "finalize_task", obj{"task": 1}, 0), b.msg("operator", c, "withdraw_bond", obj{"amount": "100"}, 0))
		}},
		scenario{name: "slash-overdue", build: func(b *builder) {
			b.v.Description = "a claimed task not proven by its deadline: the bond is slashed to the treasury and the task reopens"
			for _, n := range []string{"admin", "operator", "anyone"} {
				b.fund(n, big)
			}
			c := b.genesisContract("maintenance", obj{"admin": b.addr("admin").String()}, nil)
			_, dev := b.meterDevice("admin", "panel")
			b.block(b.msg("admin", c, "register_asset", obj{"name": "roof array", "devices": []string{dev}}, 0))
			b.block(b.msg("admin", c, "add_template", obj{"asset": 1, "name": "inspect", "interval": 1000, "grace": 3000, "dispute_window": 1000,
				"reward": "500", "bond": "100", "proof_kind": "inspected"}, 500))
			b.block(b.msg("anyone", c, "open_due", obj{"template": 1}, 0))
			b.block(b.msg("operator", c, "claim_task", obj{"task": 1}, 100), b.msg("anyone", c, "slash_overdue", obj{"task": 1}, 0))
			b.time += 5000
			b.block(b.msg("anyone", c, "slash_overdue", obj{"task": 1}, 0), b.msg("anyone", c, "config", nil, 0))
		}},
	)
}
