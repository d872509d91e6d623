package main

import (
	"encoding/hex"
	"encoding/json"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// The reference contracts' main flows and failures, generated. Their
// committed modules are genesis contracts (code_path, relative to the
// vector's directory), instantiated by the genesis creator with the init
// given; every message is a JSON call.

// genesisContract adds a genesis contract and returns its address.
func (b *builder) genesisContract(name string, init any, admin *address.Address) address.Address {
	in, err := json.Marshal(init)
	if err != nil && b.err == nil {
		b.err = err
	}
	c := map[string]any{"code_path": "../../contracts/" + name + "/" + name + ".wasm", "label": name, "init": hex.EncodeToString(in)}
	if admin != nil {
		c["admin"] = admin.String()
	}
	b.contracts = append(b.contracts, c)
	a := address.Contract(runtime.GenesisCreator, uint64(len(b.contracts)-1))
	b.watch = append(b.watch, a)
	return a
}

// msg is a JSON call of a contract with 50,000,000 gas.
func (b *builder) msg(from string, c address.Address, method string, in any, funds uint64) testvectors.Hex {
	var input []byte
	if in != nil {
		var err error
		if input, err = json.Marshal(in); err != nil && b.err == nil {
			b.err = err
		}
	}
	return b.tx(from, tx.Call{Contract: c, Method: method, Input: input, Funds: canon.NewU256(funds)}, gas(50_000_000))
}

type obj = map[string]any

func init() {
	const big = 1_000_000_000_000
	shares := func(b *builder, extra obj) address.Address {
		for _, n := range []string{"alice", "bob", "carol", "admin"} {
			b.fund(n, big)
		}
		init := obj{"name": "Roof array A", "symbol": "ROOFA", "cap": "2000", "admin": b.addr("admin").String(),
			"holders": []obj{{"address": b.addr("alice").String(), "amount": "600"}, {"address": b.addr("bob").String(), "amount": "400"}}}
		for k, v := range extra {
			init[k] = v
		}
		return b.genesisContract("ownership", init, nil)
	}
	register("ownership",
		scenario{name: "transfer", build: func(b *builder) {
			b.v.Description = "shares move; an overdraft, a zero amount and malformed input are refused"
			s := shares(b, nil)
			b.block(
				b.msg("alice", s, "transfer", obj{"to": b.addr("carol").String(), "amount": "100"}, 0),
				b.msg("carol", s, "transfer", obj{"to": b.addr("bob").String(), "amount": "101"}, 0),
				b.msg("bob", s, "transfer", obj{"to": b.addr("carol").String(), "amount": "0"}, 0),
				b.tx("bob", tx.Call{Contract: s, Method: "transfer", Input: []byte(`{"to": 5}`)}, gas(50_000_000)),
				b.msg("carol", s, "balance", obj{"address": b.addr("carol").String()}, 0),
			)
		}},
		scenario{name: "allowance", build: func(b *builder) {
			b.v.Description = "an allowance spent in part, then past its expiry refused"
			s := shares(b, nil)
			b.block(b.msg("alice", s, "approve", obj{"spender": b.addr("carol").String(), "amount": "50", "expires": b.time + 3000}, 0))
			b.block(b.msg("carol", s, "transfer_from", obj{"owner": b.addr("alice").String(), "to": b.addr("carol").String(), "amount": "30"}, 0))
			b.block(b.msg("carol", s, "transfer_from", obj{"owner": b.addr("alice").String(), "to": b.addr("carol").String(), "amount": "10"}, 0))
		}},
		scenario{name: "revenue", build: func(b *builder) {
			b.v.Description = "revenue deposited, shares moved, more revenue, claims paid in the native token"
			s := shares(b, nil)
			b.block(b.msg("carol", s, "deposit_revenue", nil, 1000))
			b.block(b.msg("alice", s, "transfer", obj{"to": b.addr("bob").String(), "amount": "200"}, 0), b.msg("carol", s, "deposit_revenue", nil, 3000))
			b.block(b.msg("alice", s, "claim", nil, 0), b.msg("bob", s, "claim", nil, 0), b.msg("bob", s, "claim", nil, 0))
		}},
		scenario{name: "mint-burn-restrict", build: func(b *builder) {
			b.v.Description = "the admin mints to the cap, a holder burns, the admin freezes and restricts; strangers are refused"
			s := shares(b, nil)
			b.block(
				b.msg("admin", s, "mint", obj{"to": b.addr("carol").String(), "amount": "1000"}, 0),
				b.msg("admin", s, "mint", obj{"to": b.addr("carol").String(), "amount": "1"}, 0),
				b.msg("alice", s, "mint", obj{"to": b.addr("alice").String(), "amount": "1"}, 0),
				b.msg("bob", s, "burn", obj{"amount": "100"}, 0),
				b.msg("admin", s, "freeze", obj{"address": b.addr("bob").String(), "value": true}, 0),
				b.msg("bob", s, "transfer", obj{"to": b.addr("alice").String(), "amount": "1"}, 0),
				b.msg("admin", s, "set_restricted", obj{"restricted": true}, 0),
				b.msg("alice", s, "transfer", obj{"to": b.addr("carol").String(), "amount": "1"}, 0),
			)
		}},
		scenario{name: "checkpoints", build: func(b *builder) {
			b.v.Description = "balances checkpointed per block, read back at past heights"
			s := shares(b, nil)
			b.block(b.msg("alice", s, "transfer", obj{"to": b.addr("bob").String(), "amount": "100"}, 0))
			b.block(b.msg("bob", s, "transfer", obj{"to": b.addr("carol").String(), "amount": "300"}, 0))
			b.block(
				b.msg("carol", s, "balance_at", obj{"address": b.addr("bob").String(), "height": 0}, 0),
				b.msg("carol", s, "balance_at", obj{"address": b.addr("bob").String(), "height": 1}, 0),
				b.msg("carol", s, "balance_at", obj{"address": b.addr("bob").String(), "height": 2}, 0),
				b.msg("carol", s, "supply_at", obj{"height": 2}, 0),
			)
		}},
	)
	gov := func(b *builder, cfg obj) address.Address {
		for _, n := range []string{"alice", "bob", "carol", "dave"} {
			b.fund(n, big)
		}
		base := obj{"voting_period": 5000, "timelock": 0, "execution_window": 60000, "quorum": 5000, "threshold": 5000, "veto": 3340, "deposit": "100",
			"members": []string{b.addr("alice").String(), b.addr("bob").String(), b.addr("carol").String()}}
		for k, v := range cfg {
			base[k] = v
		}
		g := b.genesisContract("governance", base, nil)
		b.block() // proposals snapshot the block before theirs
		return g
	}
	register("governance",
		scenario{name: "pass-and-execute", build: func(b *builder) {
			b.v.Description = "a members' proposal to pay dave from the treasury passes and is executed once"
			g := gov(b, nil)
			b.block(b.msg("alice", g, "fund", nil, 5000),
				b.msg("alice", g, "propose", obj{"title": "pay dave", "actions": []obj{{"transfer": obj{"to": b.addr("dave").String(), "amount": "1200"}}}}, 100))
			b.block(b.msg("alice", g, "vote", obj{"id": 1, "option": "yes"}, 0), b.msg("bob", g, "vote", obj{"id": 1, "option": "yes"}, 0),
				b.msg("dave", g, "vote", obj{"id": 1, "option": "yes"}, 0))
			b.time += 5000
			b.block(b.msg("carol", g, "finalize", obj{"id": 1}, 0), b.msg("carol", g, "execute", obj{"id": 1}, 0), b.msg("carol", g, "execute", obj{"id": 1}, 0))
		}},
		scenario{name: "veto-and-quorum", build: func(b *builder) {
			b.v.Description = "a vetoed proposal forfeits its deposit; one without quorum too; a rejected one is refunded"
			g := gov(b, nil)
			b.block(
				b.msg("alice", g, "propose", obj{"title": "vetoed"}, 100),
				b.msg("bob", g, "propose", obj{"title": "ignored"}, 100),
				b.msg("carol", g, "propose", obj{"title": "rejected"}, 100),
			)
			b.block(
				b.msg("alice", g, "vote", obj{"id": 1, "option": "yes"}, 0), b.msg("bob", g, "vote", obj{"id": 1, "option": "veto"}, 0),
				b.msg("carol", g, "vote", obj{"id": 1, "option": "veto"}, 0),
				b.msg("alice", g, "vote", obj{"id": 3, "option": "no"}, 0), b.msg("bob", g, "vote", obj{"id": 3, "option": "no"}, 0),
			)
			b.time += 5000
			b.block(b.msg("dave", g, "finalize", obj{"id": 1}, 0), b.msg("dave", g, "finalize", obj{"id": 2}, 0), b.msg("dave", g, "finalize", obj{"id": 3}, 0))
		}},
		scenario{name: "refusals", build: func(b *builder) {
			b.v.Description = "an outsider's proposal, a wrong deposit, a vote after the end, self-only methods called directly"
			g := gov(b, nil)
			b.block(
				b.msg("dave", g, "propose", obj{"title": "x"}, 100),
				b.msg("alice", g, "propose", obj{"title": "x"}, 99),
				b.msg("alice", g, "propose", obj{"title": "x"}, 100),
				b.msg("alice", g, "treasury_pay", obj{"to": b.addr("alice").String(), "amount": "1"}, 0),
				b.msg("alice", g, "add_member", obj{"address": b.addr("dave").String()}, 0),
			)
			b.time += 5000
			b.block(b.msg("bob", g, "vote", obj{"id": 1, "option": "yes"}, 0), b.msg("bob", g, "execute", obj{"id": 1}, 0))
		}},
		scenario{name: "shares-weighted", build: func(b *builder) {
			b.v.Description = "governance over an ownership contract: votes weigh shares at the snapshot"
			s := shares(b, nil)
			b.fund("dave", big)
			g := b.genesisContract("governance", obj{"shares": s.String(), "voting_period": 5000, "timelock": 0, "execution_window": 60000,
				"quorum": 5000, "threshold": 5000, "veto": 3340, "deposit": "100"}, nil)
			b.block(b.msg("alice", s, "transfer", obj{"to": b.addr("carol").String(), "amount": "50"}, 0))
			b.block(b.msg("alice", g, "propose", obj{"title": "t"}, 100))
			b.block(b.msg("alice", g, "vote", obj{"id": 1, "option": "yes"}, 0), b.msg("bob", g, "vote", obj{"id": 1, "option": "no"}, 0),
				b.msg("carol", g, "vote", obj{"id": 1, "option": "abstain"}, 0), b.msg("dave", g, "vote", obj{"id": 1, "option": "yes"}, 0))
			b.time += 5000
			b.block(b.msg("dave", g, "finalize", obj{"id": 1}, 0), b.msg("dave", g, "proposal", obj{"id": 1}, 0))
		}},
	)
}

func mustAddr(b *builder, s string) address.Address {
	a, err := address.Parse(s)
	if err != nil && b.err == nil {
		b.err = err
	}
	return a
}
