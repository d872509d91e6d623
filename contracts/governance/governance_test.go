//go:build !wasip1

package main

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
)

func amt(v uint64) sdk.Amount { return sdk.NewAmount(v) }

const (
	period = 60_000 // a minute of voting
	lock   = 10_000
	window = 30_000
)

func rules() Config {
	return Config{VotingPeriod: period, Timelock: lock, ExecutionWindow: window,
		Quorum: 5000, Threshold: 5000, Veto: 3340, Deposit: amt(100)}
}

type town struct {
	t          *testing.T
	ch         *sdktest.Chain
	gov        sdk.Address
	a, b, c, d sdk.Address
}

// newTown is a one-member-one-vote community of a, b and c (d is an
// outsider), each funded for deposits, the treasury holding 10,000.
func newTown(t *testing.T) *town {
	c := sdktest.New(t)
	k := &town{t: t, ch: c, a: c.Account("a"), b: c.Account("b"), c: c.Account("c"), d: c.Account("d")}
	for _, x := range []sdk.Address{k.a, k.b, k.c, k.d} {
		c.Fund(x, 10_000)
	}
	var r *sdktest.Result
	k.gov, r = c.Instantiate(k.a, &Contract, InitMsg{Config: rules(), Members: []sdk.Address{k.a, k.b, k.c}}, 0)
	r.OK(t)
	c.Fund(k.a, 10_000)
	c.Execute(k.a, k.gov, "fund", nil, 10_000).OK(t)
	c.NextBlock()
	return k
}

func (k *town) exec(from sdk.Address, method string, in any) *sdktest.Result {
	return k.ch.Execute(from, k.gov, method, in, 0)
}

func (k *town) propose(from sdk.Address, actions ...Action) uint64 {
	k.t.Helper()
	r := k.ch.Execute(from, k.gov, "propose", ProposeMsg{Title: "t", Actions: actions}, 100).OK(k.t)
	return sdktest.Decode[ProposeResponse](k.t, r).ID
}

func (k *town) proposal(id uint64) ProposalResponse {
	k.t.Helper()
	return sdktest.Decode[ProposalResponse](k.t, k.ch.Query(k.gov, "proposal", IDMsg{id}).OK(k.t))
}

func (k *town) after(ms uint64) {
	b := k.ch.Block()
	k.ch.SetBlock(b.Height+1, b.Time+ms)
}

func failsWith(t *testing.T, r *sdktest.Result, substr string) {
	t.Helper()
	r.Fails(t, 9)
	if !strings.Contains(r.Message, substr) {
		t.Fatalf("message %q, want it to contain %q", r.Message, substr)
	}
}

func TestInitRefuses(t *testing.T) {
	c := sdktest.New(t)
	a := c.Account("a")
	shares := c.Account("shares")
	for name, tc := range map[string]struct {
		m    InitMsg
		want string
	}{
		"neither":       {InitMsg{Config: rules()}, "either"},
		"both":          {InitMsg{Config: func() Config { r := rules(); r.Shares = &shares; return r }(), Members: []sdk.Address{a}}, "either"},
		"no period":     {InitMsg{Config: Config{ExecutionWindow: 1, Threshold: 1}, Members: []sdk.Address{a}}, "voting_period"},
		"no window":     {InitMsg{Config: Config{VotingPeriod: 1, Threshold: 1}, Members: []sdk.Address{a}}, "execution_window"},
		"bps":           {InitMsg{Config: Config{VotingPeriod: 1, ExecutionWindow: 1, Threshold: 1, Quorum: 10_001}, Members: []sdk.Address{a}}, "basis points"},
		"no threshold":  {InitMsg{Config: Config{VotingPeriod: 1, ExecutionWindow: 1}, Members: []sdk.Address{a}}, "threshold"},
		"double member": {InitMsg{Config: rules(), Members: []sdk.Address{a, a}}, "already a member"},
	} {
		t.Run(name, func(t *testing.T) {
			_, r := c.Instantiate(a, &Contract, tc.m, 0)
			failsWith(t, r, tc.want)
		})
	}
}

func TestProposeAndVoteRefusals(t *testing.T) {
	k := newTown(t)
	failsWith(t, k.ch.Execute(k.d, k.gov, "propose", ProposeMsg{Title: "t"}, 100), "holder or member")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{Title: "t"}, 99), "exactly the deposit")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{}, 100), "title")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{Title: "t", Actions: []Action{{}}}, 100), "exactly one")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{Title: "t", Actions: []Action{{Call: &CallAction{Contract: k.gov}}}}, 100), "method")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{Title: "t", Actions: []Action{{Transfer: &TransferAction{To: k.d}}}}, 100), "nothing")
	failsWith(t, k.ch.Execute(k.a, k.gov, "propose", ProposeMsg{Title: "t", Actions: make([]Action, 17)}, 100), "at most 16")

	id := k.propose(k.a)
	failsWith(t, k.exec(k.d, "vote", VoteMsg{id, Yes}), "no voting weight")
	failsWith(t, k.exec(k.a, "vote", VoteMsg{id, "maybe"}), "option")
	failsWith(t, k.exec(k.a, "vote", VoteMsg{id + 1, Yes}), "no proposal")
	// Changing one's vote moves one's weight.
	k.exec(k.a, "vote", VoteMsg{id, No}).OK(t)
	k.exec(k.a, "vote", VoteMsg{id, Yes}).OK(t)
	if p := k.proposal(id); p.Tally.Yes != amt(1) || !p.Tally.No.IsZero() {
		t.Fatalf("tally after a change of vote: %+v", p.Tally)
	}
	failsWith(t, k.exec(k.a, "finalize", IDMsg{id}), "not ended")
	failsWith(t, k.exec(k.a, "execute", IDMsg{id}), "not passed")
	k.after(period)
	failsWith(t, k.exec(k.b, "vote", VoteMsg{id, Yes}), "closed")
	failsWith(t, k.exec(k.a, "cancel", IDMsg{id}), "closed")
}

// TestOutcomes: each way a vote can end, and where the deposit goes.
func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		votes  map[string]Option // by member: a, b, c
		want   Status
		refund bool
	}{
		{"passed", map[string]Option{"a": Yes, "b": Yes, "c": No}, Passed, true},
		{"rejected", map[string]Option{"a": Yes, "b": No, "c": No}, Rejected, true},
		{"tie is rejected", map[string]Option{"a": Yes, "b": No}, Rejected, true},
		{"abstain counts for quorum only", map[string]Option{"a": Yes, "b": Abstain}, Passed, true},
		{"vetoed", map[string]Option{"a": Yes, "b": Veto, "c": Veto}, Vetoed, false},
		{"a third is not a veto", map[string]Option{"a": Yes, "b": Yes, "c": Veto}, Passed, true},
		{"no quorum", map[string]Option{"a": Yes}, NoQuorum, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newTown(t)
			who := map[string]sdk.Address{"a": k.a, "b": k.b, "c": k.c}
			id := k.propose(k.a)
			before := k.ch.Balance(k.a)
			for name, o := range tc.votes {
				k.exec(who[name], "vote", VoteMsg{id, o}).OK(t)
			}
			if got := k.proposal(id).Outcome; got != tc.want {
				t.Fatalf("outcome before the end: %s, want %s", got, tc.want)
			}
			k.after(period)
			k.exec(k.d, "finalize", IDMsg{id}).OK(t)
			if got := k.proposal(id).Status; got != tc.want {
				t.Fatalf("status %s, want %s", got, tc.want)
			}
			refunded := k.ch.Balance(k.a) == before.Add(amt(100))
			if refunded != tc.refund {
				t.Fatalf("deposit refunded: %v, want %v (balance %s, was %s)", refunded, tc.refund, k.ch.Balance(k.a), before)
			}
			failsWith(t, k.exec(k.d, "finalize", IDMsg{id}), "already")
		})
	}
}

// target is a contract the community administers: it records calls, and
// fails on "boom".
var target = sdk.Contract{Methods: map[string]sdk.Handler{
	"record": sdk.Exec(func(ctx *sdk.Context, m struct {
		Note string `json:"note"`
	}) (sdk.None, error) {
		if m.Note == "boom" {
			return sdk.None{}, errString("boom")
		}
		notes.Save(ctx, append(notes.Get(ctx), m.Note))
		return sdk.None{}, nil
	}),
	"notes": sdk.Query(func(ctx *sdk.Context, _ sdk.None) ([]string, error) { return notes.Get(ctx), nil }),
}}

// target2 is the code target migrates to.
var target2 = sdk.Contract{Methods: map[string]sdk.Handler{
	"migrate": sdk.Exec(func(ctx *sdk.Context, _ sdk.None) (sdk.None, error) { return sdk.None{}, nil }),
	"version": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (int, error) { return 2, nil }),
}}

var notes = sdk.NewItem[[]string]("notes")

type errString string

func (e errString) Error() string { return string(e) }

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (k *town) pass(actions ...Action) uint64 {
	k.t.Helper()
	id := k.propose(k.a, actions...)
	k.exec(k.a, "vote", VoteMsg{id, Yes}).OK(k.t)
	k.exec(k.b, "vote", VoteMsg{id, Yes}).OK(k.t)
	k.after(period)
	k.exec(k.c, "finalize", IDMsg{id}).OK(k.t)
	return id
}

// TestExecute: a passed proposal's actions run once, in order, after the
// timelock and before its window closes: a treasury payment, a call, a
// member added through a call to itself, a migration and an admin change
// of a contract it administers, and new parameters.
func TestExecute(t *testing.T) {
	k := newTown(t)
	tgt, r := k.ch.Instantiate(k.a, &target, nil, 0, sdktest.WithAdmin(k.gov))
	r.OK(t)
	code2 := k.ch.Deploy(&target2)
	k.ch.SetGovernance(k.gov)
	p := params.Version1()
	encoded, err := canon.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	id := k.pass(
		Action{Transfer: &TransferAction{To: k.d, Amount: amt(2500)}},
		Action{Call: &CallAction{Contract: tgt, Method: "record", Input: raw(map[string]string{"note": "first"})}},
		Action{Call: &CallAction{Contract: k.gov, Method: "add_member", Input: raw(MemberMsg{k.d})}},
		Action{Call: &CallAction{Contract: tgt, Method: "record", Input: raw(map[string]string{"note": "second"})}},
		Action{SetParams: &SetParamsAction{Encoded: encoded, Height: k.ch.Block().Height + 100}},
	)
	failsWith(t, k.exec(k.d, "execute", IDMsg{id}), "timelock")
	k.after(lock)
	dBefore := k.ch.Balance(k.d)
	k.exec(k.d, "execute", IDMsg{id}).OK(t)
	if got := k.ch.Balance(k.d); got != dBefore.Add(amt(2500)) {
		t.Fatalf("the treasury paid d %s", got.Sub(dBefore))
	}
	if got := sdktest.Decode[[]string](t, k.ch.Query(tgt, "notes", nil).OK(t)); len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Fatalf("the calls ran as %v", got)
	}
	if ms := sdktest.Decode[[]MemberEntry](t, k.ch.Query(k.gov, "members", MembersMsg{}).OK(t)); len(ms) != 4 {
		t.Fatalf("members after the proposal: %+v", ms)
	}
	if got, h, ok := k.ch.Params(); !ok || string(got) != string(encoded) || h != k.ch.Block().Height-2+100 {
		t.Fatalf("parameters: %v at %d", ok, h)
	}
	failsWith(t, k.exec(k.d, "execute", IDMsg{id}), "executed")

	// A migration and an admin change, in a later proposal.
	k.ch.NextBlock()
	id = k.pass(
		Action{Migrate: &MigrateAction{Contract: tgt, CodeHash: code2}},
		Action{SetAdmin: &SetAdminAction{Contract: tgt, Admin: &k.a}},
	)
	k.after(lock)
	k.exec(k.c, "execute", IDMsg{id}).OK(t)
	if v := sdktest.Decode[int](t, k.ch.Query(tgt, "version", nil).OK(t)); v != 2 {
		t.Fatalf("after the migration: version %d", v)
	}
	if admin, ok := k.ch.AdminOf(tgt); !ok || admin != k.a {
		t.Fatalf("admin after the proposal: %s %v", admin, ok)
	}
}

// TestExecuteFailsWhole: one failing action undoes the others; the
// proposal stays passed until its window closes, then expires.
func TestExecuteFailsWhole(t *testing.T) {
	k := newTown(t)
	tgt, r := k.ch.Instantiate(k.a, &target, nil, 0)
	r.OK(t)
	id := k.pass(
		Action{Transfer: &TransferAction{To: k.d, Amount: amt(1000)}},
		Action{Call: &CallAction{Contract: tgt, Method: "record", Input: raw(map[string]string{"note": "boom"})}},
	)
	k.after(lock)
	dBefore := k.ch.Balance(k.d)
	k.exec(k.d, "execute", IDMsg{id}).Fails(t, 9)
	if k.ch.Balance(k.d) != dBefore || k.proposal(id).Status != Passed {
		t.Fatalf("a failed execution left d with %s, status %s", k.ch.Balance(k.d), k.proposal(id).Status)
	}
	// A treasury spend beyond the treasury fails the same way.
	k.after(window)
	if p := k.proposal(id); p.Status != Expired {
		t.Fatalf("past the window the proposal reads %s", p.Status)
	}
	k.exec(k.d, "execute", IDMsg{id}).OK(t) // records the expiry
	failsWith(t, k.exec(k.d, "execute", IDMsg{id}), "expired")
}

func TestSelfOnlyAndCancel(t *testing.T) {
	k := newTown(t)
	for _, m := range []string{"update_config", "add_member", "remove_member", "treasury_pay", "sys_set_admin", "sys_set_params", "sys_set_validators"} {
		failsWith(t, k.exec(k.a, m, nil), "only a passed proposal")
	}
	id := k.propose(k.b)
	failsWith(t, k.exec(k.a, "cancel", IDMsg{id}), "only the proposer")
	before := k.ch.Balance(k.b)
	k.exec(k.b, "cancel", IDMsg{id}).OK(t)
	if k.proposal(id).Status != Canceled || k.ch.Balance(k.b) != before {
		t.Fatalf("after cancel: %s, b holds %s (was %s)", k.proposal(id).Status, k.ch.Balance(k.b), before)
	}
	failsWith(t, k.exec(k.b, "vote", VoteMsg{id, Yes}), "closed")
	failsWith(t, k.exec(k.a, "fund", nil), "funds")

	// Rules change only by proposal; the kind of voting never.
	newRules := rules()
	newRules.Quorum = 6000
	id = k.pass(Action{Call: &CallAction{Contract: k.gov, Method: "update_config", Input: raw(newRules)}})
	k.after(lock)
	k.exec(k.a, "execute", IDMsg{id}).OK(t)
	if got := sdktest.Decode[ConfigResponse](t, k.ch.Query(k.gov, "config", nil).OK(t)); got.Quorum != 6000 {
		t.Fatalf("quorum after the proposal: %d", got.Quorum)
	}
	// Removing a member through a proposal.
	k.ch.NextBlock()
	id = k.pass(Action{Call: &CallAction{Contract: k.gov, Method: "remove_member", Input: raw(MemberMsg{k.c})}})
	k.after(lock)
	k.exec(k.a, "execute", IDMsg{id}).OK(t)
	k.ch.NextBlock()
	failsWith(t, k.ch.Execute(k.c, k.gov, "propose", ProposeMsg{Title: "t"}, 100), "holder or member")
}

// shares is a stand-in for the ownership contract (a main package cannot
// be imported): balances set by "set", checkpointed per height, read by
// balance_at and supply_at as ownership answers them. The real-chain
// test runs the real ownership.wasm.
var shares = sdk.Contract{Methods: map[string]sdk.Handler{
	"set": sdk.Exec(func(ctx *sdk.Context, m struct {
		Address sdk.Address `json:"address"`
		Amount  sdk.Amount  `json:"amount"`
	}) (sdk.None, error) {
		h := ctx.Block().Height
		old := latest(ctx, string(m.Address[:]), h)
		checkpoints.Save(ctx, key(string(m.Address[:]), h), m.Amount)
		total := latest(ctx, "supply", h).Sub(old).Add(m.Amount)
		checkpoints.Save(ctx, key("supply", h), total)
		return sdk.None{}, nil
	}),
	"balance_at": sdk.Query(func(ctx *sdk.Context, m atMsg) (amountResponse, error) {
		return amountResponse{latest(ctx, string(m.Address[:]), m.Height)}, nil
	}),
	"supply_at": sdk.Query(func(ctx *sdk.Context, m heightMsg) (amountResponse, error) {
		return amountResponse{latest(ctx, "supply", m.Height)}, nil
	}),
}}

var checkpoints = sdk.NewMap[string, sdk.Amount]("checkpoints")

func key(who string, h uint64) string {
	return who + "|" + string(binary.BigEndian.AppendUint64(nil, h))
}

func latest(ctx *sdk.Context, who string, h uint64) sdk.Amount {
	after := key(who, h+1)
	for _, v := range checkpoints.Scan(ctx, sdk.Scan[string]{Prefix: []byte(who + "|"), After: &after, Reverse: true}) {
		return v
	}
	return sdk.Amount{}
}

// TestShareWeightedVoting: votes weigh shares at the block before the
// proposal; shares bought in or after it do not vote.
func TestShareWeightedVoting(t *testing.T) {
	c := sdktest.New(t)
	a, b, late := c.Account("a"), c.Account("b"), c.Account("late")
	c.Fund(a, 1000)
	sh, r := c.Instantiate(a, &shares, nil, 0)
	r.OK(t)
	set := func(who sdk.Address, n uint64) {
		c.Execute(a, sh, "set", map[string]any{"address": who, "amount": amt(n)}, 0).OK(t)
	}
	set(a, 600)
	set(b, 400)
	cfg := rules()
	cfg.Shares = &sh
	gov, r := c.Instantiate(a, &Contract, InitMsg{Config: cfg}, 0)
	r.OK(t)
	c.NextBlock()
	set(late, 5000) // in the proposal's own block: after the snapshot
	id := sdktest.Decode[ProposeResponse](t, c.Execute(a, gov, "propose", ProposeMsg{Title: "t"}, 100).OK(t)).ID
	p := sdktest.Decode[ProposalResponse](t, c.Query(gov, "proposal", IDMsg{id}).OK(t))
	if p.TotalWeight != amt(1000) || p.Snapshot != c.Block().Height-1 {
		t.Fatalf("snapshot %d, total weight %s", p.Snapshot, p.TotalWeight)
	}
	failsWith(t, c.Execute(late, gov, "vote", VoteMsg{id, No}, 0), "no voting weight")
	c.Execute(b, gov, "vote", VoteMsg{id, No}, 0).OK(t)
	c.Execute(a, gov, "vote", VoteMsg{id, Yes}, 0).OK(t)
	// Moving shares after the snapshot changes no weight.
	set(a, 0)
	set(b, 1000)
	c.Execute(b, gov, "vote", VoteMsg{id, No}, 0).OK(t)
	p = sdktest.Decode[ProposalResponse](t, c.Query(gov, "proposal", IDMsg{id}).OK(t))
	if p.Tally.Yes != amt(600) || p.Tally.No != amt(400) || p.Outcome != Passed {
		t.Fatalf("tally %+v, outcome %s", p.Tally, p.Outcome)
	}
}

// TestQueriesAndConfigRefusals: the list and ballot queries, and a
// proposal that would switch from members to shares failing at execution
// (the proposal stays passed).
func TestQueriesAndConfigRefusals(t *testing.T) {
	k := newTown(t)
	id1 := k.propose(k.a)
	id2 := k.propose(k.b)
	k.exec(k.c, "vote", VoteMsg{id2, Abstain}).OK(t)
	newest := sdktest.Decode[[]ProposalResponse](t, k.ch.Query(k.gov, "proposals", PageMsg{Limit: 1}).OK(t))
	oldest := sdktest.Decode[[]ProposalResponse](t, k.ch.Query(k.gov, "proposals", PageMsg{Oldest: true}).OK(t))
	if len(newest) != 1 || newest[0].ID != id2 || len(oldest) != 2 || oldest[0].ID != id1 {
		t.Fatalf("pages: newest %+v, oldest %+v", newest, oldest)
	}
	after := sdktest.Decode[[]ProposalResponse](t, k.ch.Query(k.gov, "proposals", PageMsg{After: &id2}).OK(t))
	if len(after) != 1 || after[0].ID != id1 {
		t.Fatalf("the page after %d: %+v", id2, after)
	}
	if b := sdktest.Decode[*Ballot](t, k.ch.Query(k.gov, "vote_of", VoteOfMsg{id2, k.c}).OK(t)); b == nil || b.Option != Abstain || b.Weight != amt(1) {
		t.Fatalf("c's ballot: %+v", b)
	}
	if b := sdktest.Decode[*Ballot](t, k.ch.Query(k.gov, "vote_of", VoteOfMsg{id2, k.a}).OK(t)); b != nil {
		t.Fatalf("a has not voted: %+v", b)
	}
	k.ch.Query(k.gov, "proposal", IDMsg{99}).Fails(t, 9)

	toShares := rules()
	toShares.Shares = &k.d
	id := k.pass(Action{Call: &CallAction{Contract: k.gov, Method: "update_config", Input: raw(toShares)}})
	k.after(lock)
	failsWith(t, k.exec(k.a, "execute", IDMsg{id}), "cannot change")
	if k.proposal(id).Status != Passed {
		t.Fatal("a failed execution changed the status")
	}
}
