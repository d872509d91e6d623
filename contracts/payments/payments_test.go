//go:build !wasip1

package main

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
	"github.com/plinthchain/plinth/runtime/sigs"
)

func amt(v uint64) sdk.Amount { return sdk.NewAmount(v) }

func ptr[T any](v T) *T { return &v }

// network is a community grid: alice and bob pay for service, carol
// provides it, arbiter settles disputes, and the payments contract.
type network struct {
	t                                  *testing.T
	c                                  *sdktest.Chain
	pay                                sdk.Address
	alice, bob, carol, arbiter, nobody sdk.Address
}

const funded = 1_000_000_000_000

func newNetwork(t *testing.T) *network {
	c := sdktest.New(t)
	n := &network{t: t, c: c, alice: c.Account("alice"), bob: c.Account("bob"), carol: c.Account("carol"),
		arbiter: c.Account("arbiter"), nobody: c.Account("nobody")}
	for _, a := range []sdk.Address{n.alice, n.bob, n.carol, n.arbiter, n.nobody} {
		c.Fund(a, funded)
	}
	var r *sdktest.Result
	n.pay, r = c.Instantiate(n.alice, &Contract, InitMsg{}, 0)
	r.OK(t)
	return n
}

func (n *network) exec(from sdk.Address, method string, in any, funds uint64) *sdktest.Result {
	n.t.Helper()
	return n.c.Execute(from, n.pay, method, in, funds)
}

// create runs a creating message and returns the new id.
func (n *network) create(from sdk.Address, method string, in any, funds uint64) uint64 {
	n.t.Helper()
	return sdktest.Decode[IDResponse](n.t, n.exec(from, method, in, funds)).ID
}

func query[T any](n *network, method string, in any) T {
	n.t.Helper()
	return sdktest.Decode[T](n.t, n.c.Query(n.pay, method, in))
}

// balance is a's native balance.
func (n *network) balance(a sdk.Address) uint64 {
	n.t.Helper()
	v, ok := n.c.Balance(a).Uint64()
	if !ok {
		n.t.Fatalf("balance of %s does not fit 64 bits", a)
	}
	return v
}

// checkBooks is the accounting invariant: the contract's native balance is
// what its books say it holds, part by part, and each part is the sum of
// what each of its escrows, streams, agreements and epochs still holds,
// read one by one through the queries.
func (n *network) checkBooks() {
	n.t.Helper()
	tot := query[TotalsResponse](n, "totals", nil)
	var esc, str, met, rew sdk.Amount
	for id := uint64(1); id <= tot.Escrows; id++ {
		if e := query[EscrowResponse](n, "escrow", IDMsg{id}); e.Status == statusOpen {
			esc = esc.Add(e.Amount)
		}
	}
	for id := uint64(1); id <= tot.Streams; id++ {
		str = str.Add(query[StreamResponse](n, "stream", StreamMsg{ID: id}).Held)
	}
	for id := uint64(1); id <= tot.Meters; id++ {
		met = met.Add(query[MeterResponse](n, "meter", IDMsg{id}).Balance)
	}
	for id := uint64(1); id <= tot.Epochs; id++ {
		rew = rew.Add(query[EpochResponse](n, "epoch", EpochMsg{id}).Held)
	}
	if esc != tot.HeldEscrows || str != tot.HeldStreams || met != tot.HeldMeters || rew != tot.HeldRewards {
		n.t.Fatalf("books %+v, objects hold escrows %s, streams %s, meters %s, rewards %s", tot.Totals, esc, str, met, rew)
	}
	if held := n.c.Balance(n.pay); held != tot.Held {
		n.t.Fatalf("the contract holds %s, its books say %s", held, tot.Held)
	}
}

func failsWith(t *testing.T, r *sdktest.Result, substr string) {
	t.Helper()
	r.Fails(t, 9)
	if !strings.Contains(r.Message, substr) {
		t.Fatalf("message %q, want it to contain %q", r.Message, substr)
	}
}

// event returns the attributes of the result's only event of type typ.
func event(t *testing.T, r *sdktest.Result, typ string) map[string]string {
	t.Helper()
	var out map[string]string
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		if out != nil {
			t.Fatalf("two %s events: %+v", typ, r.Events)
		}
		out = map[string]string{}
		for _, a := range e.Attributes {
			out[a.Key] = string(a.Value)
		}
	}
	if out == nil {
		t.Fatalf("no %s event in %+v", typ, r.Events)
	}
	return out
}

func wantAttrs(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("event attribute %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestInit(t *testing.T) {
	c := sdktest.New(t)
	a := c.Account("a")
	c.Fund(a, 100)
	_, r := c.Instantiate(a, &Contract, InitMsg{}, 5)
	failsWith(t, r, "takes no funds")
	n := newNetwork(t)
	if tot := query[TotalsResponse](n, "totals", nil); !tot.Held.IsZero() || tot.Escrows != 0 || tot.Epochs != 0 {
		t.Fatalf("a new contract's totals: %+v", tot)
	}
	n.checkBooks()
	// An unknown method is refused.
	n.exec(n.alice, "no_such_method", nil, 0).Fails(t, 7)
}

func TestEscrow(t *testing.T) {
	n := newNetwork(t)
	now := n.c.Block().Time
	expires := now + 60_000

	// Release by the payer pays the recipient.
	r := n.exec(n.alice, "escrow_create", EscrowCreateMsg{Recipient: n.carol, Arbiter: &n.arbiter, Expires: expires}, 500).OK(t)
	if id := sdktest.Decode[IDResponse](t, r).ID; id != 1 {
		t.Fatalf("first id %d", id)
	}
	wantAttrs(t, event(t, r, "escrow_create"), map[string]string{"id": "1", "payer": n.alice.String(),
		"recipient": n.carol.String(), "arbiter": n.arbiter.String(), "amount": "500", "expires": strconv.FormatUint(expires, 10)})
	n.checkBooks()
	e := query[EscrowResponse](n, "escrow", IDMsg{1})
	if e.ID != 1 || e.Payer != n.alice || e.Amount != amt(500) || e.Status != statusOpen || e.Created != now {
		t.Fatalf("escrow 1: %+v", e)
	}
	failsWith(t, n.exec(n.carol, "escrow_release", IDMsg{1}, 0), "only the payer or the arbiter")
	failsWith(t, n.exec(n.nobody, "escrow_release", IDMsg{1}, 0), "only the payer or the arbiter")
	failsWith(t, n.exec(n.alice, "escrow_release", IDMsg{1}, 1), "takes no funds")
	before := n.balance(n.carol)
	r = n.exec(n.alice, "escrow_release", IDMsg{1}, 0).OK(t)
	wantAttrs(t, event(t, r, "escrow_release"), map[string]string{"id": "1", "by": n.alice.String(), "to": n.carol.String(), "amount": "500"})
	if got := n.balance(n.carol); got != before+500 {
		t.Fatalf("carol got %d", got-before)
	}
	failsWith(t, n.exec(n.alice, "escrow_release", IDMsg{1}, 0), "escrow 1 is already released")
	failsWith(t, n.exec(n.carol, "escrow_refund", IDMsg{1}, 0), "already released")
	if e := query[EscrowResponse](n, "escrow", IDMsg{1}); e.Status != statusReleased {
		t.Fatalf("after release: %+v", e)
	}
	n.checkBooks()

	// Ids are sequential; the arbiter may release.
	if id := n.create(n.bob, "escrow_create", EscrowCreateMsg{Recipient: n.carol, Arbiter: &n.arbiter, Expires: expires}, 70); id != 2 {
		t.Fatalf("second id %d", id)
	}
	before = n.balance(n.carol)
	n.exec(n.arbiter, "escrow_release", IDMsg{2}, 0).OK(t)
	if got := n.balance(n.carol); got != before+70 {
		t.Fatalf("the arbiter's release paid %d", got-before)
	}

	// Refunds: the recipient and the arbiter anytime, the payer from the
	// expiry on, nobody else.
	for i, by := range []sdk.Address{n.carol, n.arbiter, n.bob} {
		id := n.create(n.bob, "escrow_create", EscrowCreateMsg{Recipient: n.carol, Arbiter: &n.arbiter, Expires: expires}, 30)
		failsWith(t, n.exec(n.nobody, "escrow_refund", IDMsg{id}, 0), "only the recipient, the arbiter, or the payer after expiry")
		failsWith(t, n.exec(by, "escrow_refund", IDMsg{id}, 2), "takes no funds")
		if by == n.bob {
			failsWith(t, n.exec(by, "escrow_refund", IDMsg{id}, 0), "the payer may refund only from block time "+strconv.FormatUint(expires, 10))
			n.c.SetBlock(n.c.Block().Height+1, expires-1)
			failsWith(t, n.exec(by, "escrow_refund", IDMsg{id}, 0), "the payer may refund only from block time")
			n.c.SetBlock(n.c.Block().Height+1, expires) // from the expiry on
		}
		before := n.balance(n.bob)
		r := n.exec(by, "escrow_refund", IDMsg{id}, 0).OK(t)
		wantAttrs(t, event(t, r, "escrow_refund"), map[string]string{"id": strconv.FormatUint(id, 10), "by": by.String(), "to": n.bob.String(), "amount": "30"})
		if got := n.balance(n.bob); got != before+30 {
			t.Fatalf("refund %d paid the payer %d", i, got-before)
		}
		failsWith(t, n.exec(by, "escrow_refund", IDMsg{id}, 0), "is already refunded")
		failsWith(t, n.exec(n.bob, "escrow_release", IDMsg{id}, 0), "is already refunded")
		n.checkBooks()
	}
	// Without an arbiter, only the payer releases.
	now = n.c.Block().Time
	id := n.create(n.alice, "escrow_create", EscrowCreateMsg{Recipient: n.bob, Expires: now + 1}, 9)
	if e := query[EscrowResponse](n, "escrow", IDMsg{id}); e.Arbiter != nil {
		t.Fatalf("an escrow without an arbiter: %+v", e)
	}
	failsWith(t, n.exec(n.arbiter, "escrow_release", IDMsg{id}, 0), "only the payer or the arbiter")
	failsWith(t, n.exec(n.arbiter, "escrow_refund", IDMsg{id}, 0), "only the recipient")
	n.checkBooks()

	zero := sdk.Address{}
	for name, c := range map[string]struct {
		in    any
		funds uint64
		want  string
	}{
		"no funds":              {EscrowCreateMsg{Recipient: n.carol, Expires: now + 5}, 0, "send the amount as funds"},
		"no recipient":          {EscrowCreateMsg{Expires: now + 5}, 1, "recipient is required"},
		"to oneself":            {EscrowCreateMsg{Recipient: n.alice, Expires: now + 5}, 1, "the recipient cannot be the payer"},
		"arbiter is the payer":  {EscrowCreateMsg{Recipient: n.carol, Arbiter: &n.alice, Expires: now + 5}, 1, "the arbiter must be a third party"},
		"arbiter is recipient":  {EscrowCreateMsg{Recipient: n.carol, Arbiter: &n.carol, Expires: now + 5}, 1, "the arbiter must be a third party"},
		"zero arbiter":          {EscrowCreateMsg{Recipient: n.carol, Arbiter: &zero, Expires: now + 5}, 1, "the arbiter must be a third party"},
		"expires now":           {EscrowCreateMsg{Recipient: n.carol, Expires: now}, 1, "expires must be a block time (ms) in the future"},
		"no expiry":             {EscrowCreateMsg{Recipient: n.carol}, 1, "expires must be"},
		"malformed recipient":   {json.RawMessage(`{"recipient": "plinth1nope", "expires": 99999999999999}`), 1, "bad input"},
		"expires not a number":  {json.RawMessage(`{"recipient": "` + n.carol.String() + `", "expires": "soon"}`), 1, "bad input"},
		"input is not a object": {json.RawMessage(`[1]`), 1, "bad input"},
	} {
		t.Run(name, func(t *testing.T) {
			failsWith(t, n.exec(n.alice, "escrow_create", c.in, c.funds), c.want)
		})
	}
	failsWith(t, n.exec(n.alice, "escrow_release", IDMsg{99}, 0), "no escrow 99")
	failsWith(t, n.exec(n.alice, "escrow_refund", IDMsg{99}, 0), "no escrow 99")
	failsWith(t, n.c.Query(n.pay, "escrow", IDMsg{99}), "no escrow 99")
	n.checkBooks()
}

func TestStream(t *testing.T) {
	n := newNetwork(t)
	t0 := n.c.Block().Time
	at := func(ms uint64) { n.c.SetBlock(n.c.Block().Height+1, ms) }
	stream := func(id uint64) StreamResponse {
		t.Helper()
		return query[StreamResponse](n, "stream", StreamMsg{ID: id})
	}
	withdraw := func(id uint64, want uint64) {
		t.Helper()
		before := n.balance(n.bob)
		r := n.exec(n.bob, "stream_withdraw", IDMsg{id}, 0).OK(t)
		wantAttrs(t, event(t, r, "stream_withdraw"), map[string]string{"id": strconv.FormatUint(id, 10), "to": n.bob.String(), "amount": strconv.FormatUint(want, 10)})
		if got := sdktest.Decode[AmountResponse](t, r).Amount; got != amt(want) || n.balance(n.bob) != before+want {
			t.Fatalf("withdrew %s (balance +%d), want %d", got, n.balance(n.bob)-before, want)
		}
		n.checkBooks()
	}

	// 10 tokens a second for 1,005 tokens: 100.5 s, the last half second
	// paying the last 5; nothing in the first 5 s (the cliff).
	r := n.exec(n.alice, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(10), Cliff: 5000}, 1005).OK(t)
	id := sdktest.Decode[IDResponse](t, r).ID
	wantAttrs(t, event(t, r, "stream_create"), map[string]string{"id": "1", "payer": n.alice.String(), "recipient": n.bob.String(),
		"rate": "10", "deposit": "1005", "start": strconv.FormatUint(t0, 10), "cliff": "5000", "end": strconv.FormatUint(t0+100_500, 10)})
	if s := stream(id); s.Start != t0 || s.End != t0+100_500 || s.Status != "streaming" || !s.Accrued.IsZero() || s.Held != amt(1005) {
		t.Fatalf("a new stream: %+v", s)
	}
	n.checkBooks()
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{id}, 0), "nothing to withdraw yet")
	at(t0 + 4999)
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{id}, 0), "nothing to withdraw yet")
	if s := stream(id); !s.Withdrawable.IsZero() {
		t.Fatalf("before the cliff: %+v", s)
	}
	at(t0 + 5000)
	withdraw(id, 50)
	at(t0 + 5599)
	withdraw(id, 5)
	failsWith(t, n.exec(n.alice, "stream_withdraw", IDMsg{id}, 0), "only the recipient may withdraw")
	failsWith(t, n.exec(n.nobody, "stream_withdraw", IDMsg{id}, 0), "only the recipient may withdraw")
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{id}, 3), "takes no funds")
	failsWith(t, n.exec(n.nobody, "stream_cancel", IDMsg{id}, 0), "only the payer or the recipient may cancel")
	failsWith(t, n.exec(n.alice, "stream_cancel", IDMsg{id}, 3), "takes no funds")
	at(t0 + 100_499)
	if s := stream(id); s.Accrued != amt(1004) || s.Withdrawable != amt(949) || s.Status != "streaming" {
		t.Fatalf("a millisecond before the end: %+v", s)
	}
	// The query values the stream at any time asked.
	if s := query[StreamResponse](n, "stream", StreamMsg{ID: id, At: ptr(t0 + 100_500)}); s.Accrued != amt(1005) || s.Status != "ended" || s.At != t0+100_500 {
		t.Fatalf("at the end: %+v", s)
	}
	at(t0 + 200_000)
	withdraw(id, 950)
	if s := stream(id); s.Status != "finished" || !s.Held.IsZero() || s.Withdrawn != amt(1005) {
		t.Fatalf("finished: %+v", s)
	}
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{id}, 0), "nothing to withdraw yet")
	failsWith(t, n.exec(n.alice, "stream_cancel", IDMsg{id}, 0), "stream 1 is finished: nothing to pay or refund")

	// A later start; the payer cancels half way: the recipient gets what
	// accrued, the payer the rest.
	t1 := n.c.Block().Time
	id = n.create(n.alice, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(3), Start: ptr(t1 + 10_000)}, 300)
	if s := stream(id); s.Status != "pending" || s.End != t1+110_000 {
		t.Fatalf("a pending stream: %+v", s)
	}
	at(t1 + 10_000 + 33_333) // 99.999 tokens accrued: 99
	withdraw(id, 99)
	at(t1 + 10_000 + 50_000)
	alice, bob := n.balance(n.alice), n.balance(n.bob)
	r = n.exec(n.alice, "stream_cancel", IDMsg{id}, 0).OK(t)
	wantAttrs(t, event(t, r, "stream_cancel"), map[string]string{"id": "2", "by": n.alice.String(), "recipient": "51", "refund": "150"})
	if c := sdktest.Decode[CancelResponse](t, r); c.Recipient != amt(51) || c.Refund != amt(150) ||
		n.balance(n.alice) != alice+150 || n.balance(n.bob) != bob+51 {
		t.Fatalf("cancel: %+v", c)
	}
	if s := stream(id); s.Status != "canceled" || s.Accrued != amt(150) || !s.Withdrawable.IsZero() || !s.Held.IsZero() || s.CanceledAt != t1+60_000 {
		t.Fatalf("canceled: %+v", s)
	}
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{id}, 0), "stream 2 is canceled")
	failsWith(t, n.exec(n.alice, "stream_cancel", IDMsg{id}, 0), "stream 2 is canceled")
	n.checkBooks()

	// The recipient cancels before the cliff: it gets nothing, the payer
	// everything back.
	id = n.create(n.alice, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(1), Cliff: 20_000}, 60)
	at(n.c.Block().Time + 19_999)
	if c := sdktest.Decode[CancelResponse](t, n.exec(n.bob, "stream_cancel", IDMsg{id}, 0)); !c.Recipient.IsZero() || c.Refund != amt(60) {
		t.Fatalf("cancel before the cliff: %+v", c)
	}
	// The payer cancels after the end: all of it to the recipient.
	id = n.create(n.alice, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(1)}, 60)
	at(n.c.Block().Time + 61_000)
	if c := sdktest.Decode[CancelResponse](t, n.exec(n.alice, "stream_cancel", IDMsg{id}, 0)); c.Recipient != amt(60) || !c.Refund.IsZero() {
		t.Fatalf("cancel after the end: %+v", c)
	}
	n.checkBooks()

	n.c.Fund(n.alice, 1<<62)
	now := n.c.Block().Time
	for name, c := range map[string]struct {
		in    any
		funds uint64
		want  string
	}{
		"no funds":          {StreamCreateMsg{Recipient: n.bob, Rate: amt(1)}, 0, "send the amount as funds"},
		"no recipient":      {StreamCreateMsg{Rate: amt(1)}, 10, "recipient is required"},
		"to oneself":        {StreamCreateMsg{Recipient: n.alice, Rate: amt(1)}, 10, "the recipient cannot be the payer"},
		"no rate":           {StreamCreateMsg{Recipient: n.bob}, 10, "rate must be positive"},
		"under one second":  {StreamCreateMsg{Recipient: n.bob, Rate: amt(11)}, 10, "the deposit must cover at least one second"},
		"start in the past": {StreamCreateMsg{Recipient: n.bob, Rate: amt(1), Start: ptr(now - 1)}, 10, "start is in the past"},
		"cliff after end":   {StreamCreateMsg{Recipient: n.bob, Rate: amt(1), Cliff: 10_001}, 10, "the cliff is after the stream's end (10000 ms after start)"},
		"ends after time":   {StreamCreateMsg{Recipient: n.bob, Rate: amt(1)}, 1 << 60, "the stream would end after the last block time"},
		"late start":        {StreamCreateMsg{Recipient: n.bob, Rate: amt(1), Start: ptr(^uint64(0) - 5000)}, 10, "the stream would end after the last block time"},
		"rate as a number":  {json.RawMessage(`{"recipient": "` + n.bob.String() + `", "rate": 5}`), 10, "bad input"},
	} {
		t.Run(name, func(t *testing.T) {
			failsWith(t, n.exec(n.alice, "stream_create", c.in, c.funds), c.want)
		})
	}
	// The cliff may be the whole stream: everything at the end.
	id = n.create(n.alice, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(1), Cliff: 10_000}, 10)
	if s := query[StreamResponse](n, "stream", StreamMsg{ID: id, At: ptr(now + 9_999)}); !s.Accrued.IsZero() {
		t.Fatalf("a full cliff: %+v", s)
	}
	failsWith(t, n.exec(n.bob, "stream_withdraw", IDMsg{99}, 0), "no stream 99")
	failsWith(t, n.exec(n.bob, "stream_cancel", IDMsg{99}, 0), "no stream 99")
	failsWith(t, n.c.Query(n.pay, "stream", StreamMsg{ID: 99}), "no stream 99")
	n.checkBooks()
}

// refAccrued is the accrual rule in rationals: nothing before start +
// cliff, then min(deposit, ⌊rate × (t − start) / 1000⌋).
func refAccrued(deposit, rate, start, cliff, t uint64) *big.Int {
	if t < start+cliff || t < start {
		return new(big.Int)
	}
	v := new(big.Int).Mul(new(big.Int).SetUint64(rate), new(big.Int).SetUint64(t-start))
	v.Quo(v, big.NewInt(1000))
	if d := new(big.Int).SetUint64(deposit); v.Cmp(d) > 0 {
		return d
	}
	return v
}

// TestStreamAccrual checks the accrual of random streams at random and
// edge times against refAccrued, the end against ⌈deposit × 1000 / rate⌉
// in big integers, and that withdrawals at random times add up to the
// deposit exactly.
func TestStreamAccrual(t *testing.T) {
	n := newNetwork(t)
	whale := n.c.Account("whale")
	n.c.Fund(whale, 1<<63)
	r := rand.New(rand.NewPCG(3, 5))
	draw := func() uint64 {
		switch r.IntN(3) {
		case 0:
			return r.Uint64N(100) + 1
		case 1:
			return r.Uint64N(1_000_000) + 1
		}
		return r.Uint64N(1<<50) + 1
	}
	for range 150 {
		now := n.c.Block().Time
		deposit := draw()
		rate := r.Uint64N(deposit) + 1
		if r.IntN(4) == 0 {
			rate = deposit // exactly one second
		}
		end := new(big.Int).SetUint64(deposit)
		end.Mul(end, big.NewInt(1000))
		end.Add(end, new(big.Int).SetUint64(rate-1))
		end.Quo(end, new(big.Int).SetUint64(rate))
		duration := end.Uint64()
		cliff := uint64(0)
		if r.IntN(2) == 0 {
			cliff = r.Uint64N(duration + 1)
		}
		start := now + r.Uint64N(10_000)
		id := n.create(whale, "stream_create", StreamCreateMsg{Recipient: n.bob, Rate: amt(rate), Start: &start, Cliff: cliff}, deposit)
		s := query[StreamResponse](n, "stream", StreamMsg{ID: id})
		if s.End != start+duration {
			t.Fatalf("deposit %d rate %d: end %d, want start + %d", deposit, rate, s.End-start, duration)
		}
		times := []uint64{0, start - 1, start, start + 1, start + cliff - 1, start + cliff, start + cliff + 1,
			s.End - 1, s.End, s.End + 1, ^uint64(0)}
		for range 10 {
			times = append(times, start+r.Uint64N(duration+2))
		}
		for _, at := range times {
			got := query[StreamResponse](n, "stream", StreamMsg{ID: id, At: &at}).Accrued
			want := refAccrued(deposit, rate, start, cliff, at)
			if got.String() != want.String() {
				t.Fatalf("deposit %d rate %d start %d cliff %d: accrued at %d is %s, want %s", deposit, rate, start, cliff, at, got, want)
			}
		}
		if want := refAccrued(deposit, rate, start, cliff, s.End-1); want.Uint64() >= deposit && cliff < duration {
			t.Fatalf("deposit %d rate %d: everything accrued before the end", deposit, rate)
		}
	}

	// Withdrawals at random times, then a cancel or the end: the recipient
	// and the payer together get the deposit exactly.
	for range 20 {
		deposit := draw()
		rate := r.Uint64N(deposit) + 1
		id := n.create(whale, "stream_create", StreamCreateMsg{Recipient: n.carol, Rate: amt(rate)}, deposit)
		end := query[StreamResponse](n, "stream", StreamMsg{ID: id}).End
		advance := func() { // to a random time up to just after the end
			now, step := n.c.Block().Time, uint64(1)
			if now <= end {
				step = r.Uint64N(end - now + 2)
			}
			n.c.SetBlock(n.c.Block().Height+1, now+step)
		}
		var got uint64
		for range r.IntN(8) {
			advance()
			if res := n.exec(n.carol, "stream_withdraw", IDMsg{id}, 0); res.Code == 0 {
				v, _ := sdktest.Decode[AmountResponse](t, res).Amount.Uint64()
				got += v
			}
		}
		advance()
		var refund uint64
		if res := n.exec(whale, "stream_cancel", IDMsg{id}, 0); res.Code == 0 {
			c := sdktest.Decode[CancelResponse](t, res)
			v, _ := c.Recipient.Uint64()
			refund, _ = c.Refund.Uint64()
			got += v
		} else if res.Message != "stream "+strconv.FormatUint(id, 10)+" is finished: nothing to pay or refund" {
			t.Fatalf("cancel: %s", res.Message)
		}
		if got+refund != deposit {
			t.Fatalf("deposit %d rate %d: the recipient got %d and the payer %d back", deposit, rate, got, refund)
		}
		n.checkBooks()
	}
}

// deviceKey is test device key i, ed25519.
func deviceKey(t *testing.T, i byte) sigs.PrivateKey {
	t.Helper()
	seed := make([]byte, 32)
	seed[0], seed[31] = i, 0x5a
	k, err := sigs.NewPrivateKey(sigs.Ed25519, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readingOf(v uint64) []byte { return []byte(`{"reading": "` + strconv.FormatUint(v, 10) + `"}`) }
func uptimeOf(v uint64) []byte  { return []byte(`{"uptime_s": "` + strconv.FormatUint(v, 10) + `"}`) }

// attest submits key's attestation at the current block time and returns
// its id.
func (n *network) attest(key sigs.PrivateKey, kind string, seq uint64, payload []byte) Hash {
	n.t.Helper()
	id, r := n.c.Attest(key, kind, seq, payload)
	r.OK(n.t)
	return Hash(id)
}

func TestMeter(t *testing.T) {
	n := newNetwork(t)
	key := deviceKey(t, 1)
	dev := n.c.RegisterDevice(n.carol, key, "meter", nil)
	base := n.attest(key, "kwh", 1, readingOf(1000))
	meter := func(id uint64) MeterResponse {
		t.Helper()
		return query[MeterResponse](n, "meter", IDMsg{id})
	}
	open := MeterOpenMsg{Provider: n.carol, Device: dev, Kind: "kwh", Price: amt(3)}
	r := n.exec(n.alice, "meter_open", open, 1000).OK(t)
	id := sdktest.Decode[IDResponse](t, r).ID
	wantAttrs(t, event(t, r, "meter_open"), map[string]string{"id": "1", "consumer": n.alice.String(), "provider": n.carol.String(),
		"device": dev.String(), "kind": "kwh", "price": "3", "prepaid": "1000", "baseline": "1000", "baseline_seq": "1"})
	// The baseline is the meter's latest reading, recorded with its id.
	if m := meter(id); m.Reading != amt(1000) || m.Seq != 1 || m.Attestation != base || m.Balance != amt(1000) ||
		m.Status != "active" || m.Consumer != n.alice || m.Opened != n.c.Block().Time {
		t.Fatalf("a new agreement: %+v (baseline attestation %s)", m, base)
	}
	n.checkBooks()

	settle := func(aid Hash, want SettleResponse) {
		t.Helper()
		provider := n.balance(n.carol)
		r := n.exec(n.nobody, "meter_settle", SettleMsg{ID: id, Attestation: aid}, 0).OK(t) // anyone may settle
		got := sdktest.Decode[SettleResponse](t, r)
		if got != want {
			t.Fatalf("settle: %+v, want %+v", got, want)
		}
		wantAttrs(t, event(t, r, "meter_settle"), map[string]string{"id": "1", "attestation": aid.String(),
			"units": want.Units.String(), "bill": want.Bill.String(), "paid": want.Paid.String()})
		if paid, _ := want.Paid.Uint64(); n.balance(n.carol) != provider+paid {
			t.Fatalf("the provider got %d, want %d", n.balance(n.carol)-provider, paid)
		}
		if m := meter(id); m.Attestation != aid {
			t.Fatalf("last settled %s, want %s", m.Attestation, aid)
		}
		n.checkBooks()
	}
	n.c.NextBlock()
	a2 := n.attest(key, "kwh", 2, readingOf(1100))
	// A query cannot write: a settle run as one fails at its first write.
	n.c.Query(n.pay, "meter_settle", SettleMsg{ID: id, Attestation: a2}).Fails(t, 11)
	settle(a2, SettleResponse{Units: amt(100), Bill: amt(300), Paid: amt(300)})
	// No reading is billed twice: not the same attestation, not an older
	// or equal seq, not a reading that is not above the last.
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a2}, 0), "the attestation's seq 2 is not above the last settled 2")
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: base}, 0), "the attestation's seq 1 is not above the last settled 2")
	a3 := n.attest(key, "kwh", 3, readingOf(1100))
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a3}, 0), "the reading 1100 is not above the last settled 1100")
	// A lost reading loses nothing: the next one covers it; the lost one
	// can no longer be billed.
	a4 := n.attest(key, "kwh", 4, readingOf(1150))
	a5 := n.attest(key, "kwh", 5, readingOf(1200))
	settle(a5, SettleResponse{Units: amt(100), Bill: amt(300), Paid: amt(300)})
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a4}, 0), "seq 4 is not above the last settled 5")
	if m := meter(id); m.Reading != amt(1200) || m.Seq != 5 || m.Balance != amt(400) || m.Paid != amt(600) {
		t.Fatalf("after two settles: %+v", m)
	}

	// Exhaustion: the bill exceeds the prepayment, the provider gets what
	// is left and the rest is a shortfall.
	a6 := n.attest(key, "kwh", 6, readingOf(1400))
	r = n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a6}, 0).OK(t)
	if got := sdktest.Decode[SettleResponse](t, r); got != (SettleResponse{Units: amt(200), Bill: amt(600), Paid: amt(400), Exhausted: true}) {
		t.Fatalf("an exhausting settle: %+v", got)
	}
	wantAttrs(t, event(t, r, "meter_exhausted"), map[string]string{"id": "1", "shortfall": "200"})
	if m := meter(id); m.Status != "exhausted" || !m.Balance.IsZero() || m.Shortfall != amt(200) {
		t.Fatalf("exhausted: %+v", m)
	}
	// Settles go on recording consumption while exhausted.
	a7 := n.attest(key, "kwh", 7, readingOf(1410))
	r = n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a7}, 0).OK(t)
	if got := sdktest.Decode[SettleResponse](t, r); got != (SettleResponse{Units: amt(10), Bill: amt(30), Exhausted: true}) {
		t.Fatalf("a settle while exhausted: %+v", got)
	}
	for _, e := range r.Events {
		if e.Type == "meter_exhausted" {
			t.Fatal("meter_exhausted again")
		}
	}
	n.checkBooks()

	// A top-up pays the shortfall first.
	failsWith(t, n.exec(n.nobody, "meter_topup", IDMsg{id}, 10), "only the consumer may top up")
	failsWith(t, n.exec(n.alice, "meter_topup", IDMsg{id}, 0), "send the amount as funds")
	provider := n.balance(n.carol)
	r = n.exec(n.alice, "meter_topup", IDMsg{id}, 500).OK(t)
	wantAttrs(t, event(t, r, "meter_topup"), map[string]string{"id": "1", "amount": "500", "shortfall_paid": "230", "balance": "270", "shortfall": "0"})
	if m := meter(id); n.balance(n.carol) != provider+230 || m.Balance != amt(270) || m.Status != "active" || m.Paid != amt(1230) {
		t.Fatalf("after a top-up: %+v", m)
	}
	n.exec(n.alice, "meter_topup", IDMsg{id}, 30).OK(t)
	n.checkBooks()

	// Closing settles the latest reading first, then refunds the rest.
	a8 := n.attest(key, "kwh", 8, readingOf(1420))
	failsWith(t, n.exec(n.nobody, "meter_close", IDMsg{id}, 0), "only the consumer or the provider may close")
	failsWith(t, n.exec(n.alice, "meter_close", IDMsg{id}, 1), "takes no funds")
	alice, provider := n.balance(n.alice), n.balance(n.carol)
	r = n.exec(n.alice, "meter_close", IDMsg{id}, 0).OK(t)
	c := sdktest.Decode[CloseResponse](t, r)
	if c.Settled == nil || *c.Settled != (SettleResponse{Units: amt(10), Bill: amt(30), Paid: amt(30)}) || c.Refund != amt(270) {
		t.Fatalf("close: %+v", c)
	}
	wantAttrs(t, event(t, r, "meter_settle"), map[string]string{"attestation": a8.String(), "bill": "30"})
	wantAttrs(t, event(t, r, "meter_close"), map[string]string{"id": "1", "by": n.alice.String(), "refund": "270", "shortfall": "0"})
	if m := meter(id); n.balance(n.alice) != alice+270 || n.balance(n.carol) != provider+30 || m.Status != "closed" ||
		!m.Balance.IsZero() || m.Attestation != a8 || m.Seq != 8 {
		t.Fatalf("closed: %+v", m)
	}
	failsWith(t, n.exec(n.alice, "meter_close", IDMsg{id}, 0), "meter agreement 1 is closed")
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: a8}, 0), "meter agreement 1 is closed")
	failsWith(t, n.exec(n.alice, "meter_topup", IDMsg{id}, 5), "meter agreement 1 is closed")
	n.checkBooks()

	// The provider may close too; a latest reading that cannot be billed
	// is skipped.
	id = n.create(n.bob, "meter_open", open, 100)
	n.attest(key, "kwh", 9, readingOf(12))
	bob := n.balance(n.bob)
	c = sdktest.Decode[CloseResponse](t, n.exec(n.carol, "meter_close", IDMsg{id}, 0))
	if c.Settled != nil || c.Refund != amt(100) || n.balance(n.bob) != bob+100 {
		t.Fatalf("the provider's close: %+v", c)
	}
	// Closing with no newer reading just refunds.
	id = n.create(n.bob, "meter_open", open, 100)
	if c := sdktest.Decode[CloseResponse](t, n.exec(n.bob, "meter_close", IDMsg{id}, 0)); c.Settled != nil || c.Refund != amt(100) {
		t.Fatalf("a close with nothing to settle: %+v", c)
	}
	n.checkBooks()
}

func TestMeterRefusals(t *testing.T) {
	n := newNetwork(t)
	key, other, revoked, garbled := deviceKey(t, 1), deviceKey(t, 2), deviceKey(t, 3), deviceKey(t, 4)
	dev := n.c.RegisterDevice(n.carol, key, "meter", nil)
	n.c.RegisterDevice(n.carol, other, "meter", nil)
	revokedDev := n.c.RegisterDevice(n.carol, revoked, "meter", nil)
	garbledDev := n.c.RegisterDevice(n.carol, garbled, "meter", nil)
	n.attest(key, "kwh", 1, readingOf(50))
	n.attest(revoked, "kwh", 1, readingOf(50))
	n.c.RevokeDevice(revokedDev)
	n.attest(garbled, "kwh", 1, []byte("50 kWh"))
	long := strings.Repeat("k", 65)
	ok := MeterOpenMsg{Provider: n.carol, Device: dev, Kind: "kwh", Price: amt(2)}
	with := func(f func(*MeterOpenMsg)) MeterOpenMsg { m := ok; f(&m); return m }
	for name, c := range map[string]struct {
		in    any
		funds uint64
		want  string
	}{
		"no funds":         {ok, 0, "send the amount as funds"},
		"no provider":      {with(func(m *MeterOpenMsg) { m.Provider = sdk.Address{} }), 5, "provider is required"},
		"oneself":          {with(func(m *MeterOpenMsg) { m.Provider = n.alice }), 5, "the provider cannot be the consumer"},
		"free":             {with(func(m *MeterOpenMsg) { m.Price = sdk.Amount{} }), 5, "price must be positive"},
		"no kind":          {with(func(m *MeterOpenMsg) { m.Kind = "" }), 5, "kind: 1 to 64 bytes"},
		"long kind":        {with(func(m *MeterOpenMsg) { m.Kind = long }), 5, "kind: 1 to 64 bytes"},
		"unknown device":   {with(func(m *MeterOpenMsg) { m.Device = sdk.DeviceID{1} }), 5, "device 0100000000000000000000000000000000000000 is not registered"},
		"revoked device":   {with(func(m *MeterOpenMsg) { m.Device = revokedDev }), 5, "is revoked"},
		"no baseline":      {with(func(m *MeterOpenMsg) { m.Kind = "water" }), 5, "has no water reading yet: it must attest one (the baseline)"},
		"bad baseline":     {with(func(m *MeterOpenMsg) { m.Device = garbledDev }), 5, `the baseline reading: the attestation's payload is not {"reading": "<decimal>"}`},
		"short device id":  {json.RawMessage(`{"provider": "` + n.carol.String() + `", "device": "abcd", "kind": "kwh", "price": "1"}`), 5, "bad input"},
		"price not string": {json.RawMessage(`{"provider": "` + n.carol.String() + `", "device": "` + dev.String() + `", "kind": "kwh", "price": 1}`), 5, "bad input"},
	} {
		t.Run(name, func(t *testing.T) {
			failsWith(t, n.exec(n.alice, "meter_open", c.in, c.funds), c.want)
		})
	}

	id := n.create(n.alice, "meter_open", ok, 1000)
	n.attest(other, "kwh", 1, readingOf(60))
	fromOther := n.attest(other, "kwh", 2, readingOf(70))
	wrongKind := n.attest(key, "uptime", 2, readingOf(60))
	seq := uint64(3)
	payload := func(p string) Hash { seq++; return n.attest(key, "kwh", seq, []byte(p)) }
	for name, c := range map[string]struct {
		in   any
		want string
	}{
		"unknown attestation": {SettleMsg{ID: id, Attestation: Hash{7}}, "no accepted attestation 07000000"},
		"another device":      {SettleMsg{ID: id, Attestation: fromOther}, "the attestation is not from the agreement's device"},
		"another kind":        {SettleMsg{ID: id, Attestation: wrongKind}, "the attestation is of kind uptime, not kwh"},
		"a number":            {SettleMsg{ID: id, Attestation: payload(`{"reading": 60}`)}, `payload is not {"reading": "<decimal>"}`},
		"a leading zero":      {SettleMsg{ID: id, Attestation: payload(`{"reading": "060"}`)}, `payload is not {"reading": "<decimal>"}`},
		"no reading":          {SettleMsg{ID: id, Attestation: payload(`{"kwh": "60"}`)}, `payload is not {"reading": "<decimal>"}`},
		"not json":            {SettleMsg{ID: id, Attestation: payload(`60`)}, `payload is not {"reading": "<decimal>"}`},
		"negative":            {SettleMsg{ID: id, Attestation: payload(`{"reading": "-60"}`)}, `payload is not {"reading": "<decimal>"}`},
		"unknown agreement":   {SettleMsg{ID: 99, Attestation: fromOther}, "no meter agreement 99"},
		"short id":            {json.RawMessage(`{"id": 1, "attestation": "abcd"}`), "an attestation id is 64 hex digits"},
		"id not hex":          {json.RawMessage(`{"id": 1, "attestation": "` + strings.Repeat("zz", 32) + `"}`), "bad input"},
	} {
		t.Run(name, func(t *testing.T) {
			failsWith(t, n.exec(n.alice, "meter_settle", c.in, 0), c.want)
		})
	}
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: payload(`{"reading": "60"}`)}, 1), "takes no funds")
	failsWith(t, n.exec(n.alice, "meter_topup", IDMsg{99}, 1), "no meter agreement 99")
	failsWith(t, n.exec(n.alice, "meter_close", IDMsg{99}, 0), "no meter agreement 99")
	failsWith(t, n.c.Query(n.pay, "meter", IDMsg{99}), "no meter agreement 99")

	// A bill that does not fit 256 bits is refused, not wrapped.
	huge, err := sdk.ParseAmount("57896044618658097711785492504343953926634992332820282019728792003956564819968") // 2^255
	if err != nil {
		t.Fatal(err)
	}
	payload(`{"reading": "70"}`) // the baseline
	id = n.create(n.alice, "meter_open", with(func(m *MeterOpenMsg) { m.Price = huge }), 1)
	failsWith(t, n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: payload(`{"reading": "72"}`)}, 0), "the bill overflows")
	n.exec(n.alice, "meter_settle", SettleMsg{ID: id, Attestation: payload(`{"reading": "71"}`)}, 0).OK(t) // 2^255 fits
	n.checkBooks()
}

func TestRewards(t *testing.T) {
	n := newNetwork(t)
	k1, k2, k3, k4 := deviceKey(t, 1), deviceKey(t, 2), deviceKey(t, 3), deviceKey(t, 4)
	d1 := n.c.RegisterDevice(n.alice, k1, "hotspot", nil)
	d2 := n.c.RegisterDevice(n.bob, k2, "hotspot", nil)
	d3 := n.c.RegisterDevice(n.carol, k3, "hotspot", nil)
	d4 := n.c.RegisterDevice(n.nobody, k4, "hotspot", nil) // not in the epoch
	t0 := n.c.Block().Time
	start, end := t0+1000, t0+1000+3_600_000
	at := func(ms uint64) { n.c.SetBlock(n.c.Block().Height+1, ms) }
	report := func(epoch uint64, aid Hash) *sdktest.Result {
		t.Helper()
		return n.exec(n.nobody, "rewards_report", ReportMsg{Epoch: epoch, Attestation: aid}, 0)
	}
	share := func(epoch uint64, d sdk.DeviceID) ShareResponse {
		t.Helper()
		return query[ShareResponse](n, "epoch_share", ClaimMsg{Epoch: epoch, Device: d})
	}

	r := n.exec(n.arbiter, "rewards_create_epoch", EpochCreateMsg{Devices: []sdk.DeviceID{d1, d2, d3}, Kind: "uptime", Start: start, End: end}, 1000).OK(t)
	id := sdktest.Decode[IDResponse](t, r).ID
	claimFrom := end + defaultGrace
	wantAttrs(t, event(t, r, "rewards_epoch"), map[string]string{"id": "1", "funder": n.arbiter.String(), "kind": "uptime",
		"start": strconv.FormatUint(start, 10), "end": strconv.FormatUint(end, 10), "claim_from": strconv.FormatUint(claimFrom, 10),
		"pool": "1000", "devices": "3"})
	if e := query[EpochResponse](n, "epoch", EpochMsg{id}); e.Status != "upcoming" || e.Pool != amt(1000) || e.Held != amt(1000) ||
		e.MaxUptime != 3600 || e.Devices != 3 || e.ClaimFrom != claimFrom {
		t.Fatalf("a new epoch: %+v", e)
	}
	n.checkBooks()

	// Before the window.
	early := n.attest(k1, "uptime", 1, uptimeOf(600))
	failsWith(t, report(id, early), "the attestation's time "+strconv.FormatUint(t0, 10)+" is outside the epoch's window")
	at(start)
	if e := query[EpochResponse](n, "epoch", EpochMsg{id}); e.Status != "open" {
		t.Fatalf("at the start: %+v", e)
	}
	a := n.attest(k1, "uptime", 2, uptimeOf(600))
	r = report(id, a).OK(t)
	wantAttrs(t, event(t, r, "rewards_report"), map[string]string{"epoch": "1", "device": d1.String(), "attestation": a.String(),
		"uptime": "600", "credited": "600"})
	if got := sdktest.Decode[ReportResponse](t, r); got != (ReportResponse{Credited: 600, Uptime: 600}) {
		t.Fatalf("report: %+v", got)
	}
	failsWith(t, report(id, a), "is already reported in epoch 1")
	failsWith(t, n.exec(n.nobody, "rewards_report", ReportMsg{Epoch: id, Attestation: a}, 1), "takes no funds")
	n.c.NextBlock()
	report(id, n.attest(k1, "uptime", 3, uptimeOf(1200))).OK(t)
	report(id, n.attest(k2, "uptime", 1, uptimeOf(1800))).OK(t)
	report(id, n.attest(k3, "uptime", 1, uptimeOf(1))).OK(t)
	failsWith(t, report(id, n.attest(k4, "uptime", 1, uptimeOf(60))), "device "+d4.String()+" is not in epoch 1")
	failsWith(t, report(id, n.attest(k1, "kwh", 4, uptimeOf(60))), "the attestation is of kind kwh, not uptime")
	for i, p := range []string{`{"uptime_s": 60}`, `{"up": "60"}`, `60 s`, `{"uptime_s": "060"}`, `{"uptime_s": "-1"}`} {
		failsWith(t, report(id, n.attest(k1, "uptime", 10+uint64(i), []byte(p))), `payload is not {"uptime_s": "<decimal>"}`)
	}
	failsWith(t, report(id, n.attest(k1, "uptime", 30, uptimeOf(0))), "the attestation reports no uptime")
	failsWith(t, report(id, n.attest(k1, "uptime", 31, []byte(`{"uptime_s": "18446744073709551616"}`))), "the attestation's uptime is too large")
	failsWith(t, report(id, Hash{9}), "no accepted attestation 09")
	failsWith(t, report(99, a), "no epoch 99")

	// An attestation made before the end counts during the grace period;
	// one made at the end does not.
	at(end - 1)
	late := n.c.SignAttestation(k2, "uptime", 2, uptimeOf(1))
	at(end)
	atEnd := n.attest(k2, "uptime", 3, uptimeOf(5))
	lateID, res := n.c.SubmitAttestation(late)
	res.OK(t)
	if e := query[EpochResponse](n, "epoch", EpochMsg{id}); e.Status != "reporting" {
		t.Fatalf("after the end: %+v", e)
	}
	failsWith(t, report(id, atEnd), "is outside the epoch's window")
	report(id, Hash(lateID)).OK(t)
	// d1 1800 s, d2 1801 s, d3 1 s of 3602: 1000 × 1800/3602 = 499.7…,
	// 1000 × 1801/3602 = 500, 1000 × 1/3602 = 0.27…
	if s := share(id, d1); s.Uptime != 1800 || s.Reports != 2 || s.Amount != amt(499) || s.Final || s.Owner != n.alice {
		t.Fatalf("d1's share before claims open: %+v", s)
	}
	failsWith(t, n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: id, Device: d1}, 0), "claims for epoch 1 open at block time "+strconv.FormatUint(claimFrom, 10))
	failsWith(t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 0), "epoch 1 can be reclaimed from block time "+strconv.FormatUint(claimFrom, 10))

	at(claimFrom)
	failsWith(t, report(id, n.attest(k1, "uptime", 40, uptimeOf(5))), "reports for epoch 1 closed at block time "+strconv.FormatUint(claimFrom, 10))
	if e := query[EpochResponse](n, "epoch", EpochMsg{id}); e.Status != "claimable" || e.TotalUptime != 3602 {
		t.Fatalf("claimable: %+v", e)
	}
	// Anyone may claim; the owner is paid.
	alice := n.balance(n.alice)
	r = n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: id, Device: d1}, 0).OK(t)
	wantAttrs(t, event(t, r, "rewards_claim"), map[string]string{"epoch": "1", "device": d1.String(), "owner": n.alice.String(), "amount": "499"})
	if c := sdktest.Decode[ClaimResponse](t, r); c.Owner != n.alice || c.Amount != amt(499) || n.balance(n.alice) != alice+499 {
		t.Fatalf("claim: %+v", c)
	}
	failsWith(t, n.exec(n.alice, "rewards_claim", ClaimMsg{Epoch: id, Device: d1}, 0), "has already claimed")
	failsWith(t, n.exec(n.carol, "rewards_claim", ClaimMsg{Epoch: id, Device: d3}, 0), "device "+d3.String()+" has nothing to claim")
	failsWith(t, n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: id, Device: d4}, 0), "is not in epoch 1")
	failsWith(t, n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: id, Device: d2}, 1), "takes no funds")
	failsWith(t, n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: 99, Device: d2}, 0), "no epoch 99")
	if s := share(id, d1); !s.Claimed || s.Paid != amt(499) || !s.Final {
		t.Fatalf("d1 after its claim: %+v", s)
	}
	n.checkBooks()
	// The dust, 1000 − 499 − 500 − 0 = 1, goes back to the funder, once.
	failsWith(t, n.exec(n.alice, "rewards_reclaim", EpochMsg{id}, 0), "only the funder may reclaim")
	failsWith(t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 1), "takes no funds")
	failsWith(t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{99}, 0), "no epoch 99")
	funder := n.balance(n.arbiter)
	r = n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 0).OK(t)
	wantAttrs(t, event(t, r, "rewards_reclaim"), map[string]string{"epoch": "1", "to": n.arbiter.String(), "amount": "1"})
	if n.balance(n.arbiter) != funder+1 {
		t.Fatalf("the funder got %d back", n.balance(n.arbiter)-funder)
	}
	failsWith(t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 0), "epoch 1 is already reclaimed")
	// Claims still pay after the reclaim.
	n.exec(n.bob, "rewards_claim", ClaimMsg{Epoch: id, Device: d2}, 0).OK(t)
	if e := query[EpochResponse](n, "epoch", EpochMsg{id}); !e.Held.IsZero() || e.Claimed != amt(999) || e.Reclaimed != amt(1) {
		t.Fatalf("paid out: %+v", e)
	}
	n.checkBooks()

	// An epoch nobody reports in: the funder reclaims the whole pool.
	now := n.c.Block().Time
	id = n.create(n.arbiter, "rewards_create_epoch", EpochCreateMsg{Devices: []sdk.DeviceID{d1}, Kind: "uptime", Start: now, End: now + 1000, Grace: ptr[uint64](0)}, 77)
	at(now + 1000)
	failsWith(t, n.exec(n.alice, "rewards_claim", ClaimMsg{Epoch: id, Device: d1}, 0), "has nothing to claim")
	if got := sdktest.Decode[AmountResponse](t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 0)); got.Amount != amt(77) {
		t.Fatalf("reclaimed %s of an empty epoch", got.Amount)
	}
	// An epoch without dust; uptime capped at the window's length; start_seq.
	now = n.c.Block().Time
	id = n.create(n.arbiter, "rewards_create_epoch", EpochCreateMsg{Devices: []sdk.DeviceID{d1, d2}, Kind: "up", Start: now, End: now + 10_000, StartSeq: 100, Grace: ptr[uint64](0)}, 60)
	failsWith(t, report(id, n.attest(k1, "up", 99, uptimeOf(1))), "the attestation's seq 99 is below the epoch's start_seq 100")
	if got := sdktest.Decode[ReportResponse](t, report(id, n.attest(k1, "up", 100, uptimeOf(7)))); got.Credited != 7 {
		t.Fatalf("report: %+v", got)
	}
	if got := sdktest.Decode[ReportResponse](t, report(id, n.attest(k1, "up", 101, uptimeOf(5)))); got != (ReportResponse{Credited: 3, Uptime: 10}) {
		t.Fatalf("a report over the cap: %+v", got)
	}
	failsWith(t, report(id, n.attest(k1, "up", 102, uptimeOf(1))), "already has the epoch's maximum uptime")
	report(id, n.attest(k2, "up", 100, uptimeOf(20))).OK(t)
	at(now + 10_000)
	failsWith(t, n.exec(n.arbiter, "rewards_reclaim", EpochMsg{id}, 0), "has no dust: the shares take the whole pool")
	for _, d := range []sdk.DeviceID{d1, d2} {
		if c := sdktest.Decode[ClaimResponse](t, n.exec(n.nobody, "rewards_claim", ClaimMsg{Epoch: id, Device: d}, 0)); c.Amount != amt(30) {
			t.Fatalf("an even split: %+v", c)
		}
	}
	n.checkBooks()

	// Reports from a device revoked after the epoch began are refused.
	now = n.c.Block().Time
	id = n.create(n.arbiter, "rewards_create_epoch", EpochCreateMsg{Devices: []sdk.DeviceID{d4}, Kind: "uptime", Start: now, End: now + 10_000}, 5)
	a = n.attest(k4, "uptime", 50, uptimeOf(3))
	n.c.RevokeDevice(d4)
	failsWith(t, report(id, a), "device "+d4.String()+" is revoked")
	failsWith(t, n.c.Query(n.pay, "epoch", EpochMsg{99}), "no epoch 99")
	failsWith(t, n.c.Query(n.pay, "epoch_share", ClaimMsg{Epoch: 99, Device: d1}), "no epoch 99")
	failsWith(t, n.c.Query(n.pay, "epoch_share", ClaimMsg{Epoch: id, Device: d1}), "is not in epoch")
	n.checkBooks()
}

func TestRewardsCreateRefusals(t *testing.T) {
	n := newNetwork(t)
	d1 := n.c.RegisterDevice(n.alice, deviceKey(t, 1), "hotspot", nil)
	revoked := n.c.RegisterDevice(n.alice, deviceKey(t, 2), "hotspot", nil)
	n.c.RevokeDevice(revoked)
	now := n.c.Block().Time
	ok := EpochCreateMsg{Devices: []sdk.DeviceID{d1}, Kind: "uptime", Start: now, End: now + 60_000}
	with := func(f func(*EpochCreateMsg)) EpochCreateMsg { m := ok; f(&m); return m }
	many := make([]sdk.DeviceID, 101)
	for i := range many {
		many[i] = d1
	}
	for name, c := range map[string]struct {
		in    any
		funds uint64
		want  string
	}{
		"no funds":        {ok, 0, "send the amount as funds"},
		"no kind":         {with(func(m *EpochCreateMsg) { m.Kind = "" }), 5, "kind: 1 to 64 bytes"},
		"no devices":      {with(func(m *EpochCreateMsg) { m.Devices = nil }), 5, "devices: 1 to 100"},
		"101 devices":     {with(func(m *EpochCreateMsg) { m.Devices = many }), 5, "devices: 1 to 100"},
		"ends at start":   {with(func(m *EpochCreateMsg) { m.End = m.Start }), 5, "end must be after start"},
		"under a second":  {with(func(m *EpochCreateMsg) { m.End = m.Start + 999 }), 5, "the window must be at least one second"},
		"over":            {with(func(m *EpochCreateMsg) { m.Start, m.End = now-5000, now }), 5, "end must be a block time (ms) in the future"},
		"long grace":      {with(func(m *EpochCreateMsg) { m.Grace = ptr[uint64](maxGrace + 1) }), 5, "grace: at most 7 days"},
		"grace overflows": {with(func(m *EpochCreateMsg) { m.End = ^uint64(0) - 10 }), 5, "end + grace is after the last block time"},
		"twice listed":    {with(func(m *EpochCreateMsg) { m.Devices = []sdk.DeviceID{d1, d1} }), 5, "device " + d1.String() + " is listed twice"},
		"unregistered":    {with(func(m *EpochCreateMsg) { m.Devices = []sdk.DeviceID{d1, {3}} }), 5, "is not registered"},
		"revoked":         {with(func(m *EpochCreateMsg) { m.Devices = []sdk.DeviceID{revoked} }), 5, "device " + revoked.String() + " is revoked"},
		"bad device id":   {json.RawMessage(`{"devices": ["xyz"], "kind": "uptime", "start": 1, "end": 99999999999999}`), 5, "bad input"},
	} {
		t.Run(name, func(t *testing.T) {
			failsWith(t, n.exec(n.alice, "rewards_create_epoch", c.in, c.funds), c.want)
		})
	}
	// A refused creation takes no id and stores nothing.
	if got := n.create(n.alice, "rewards_create_epoch", ok, 5); got != 1 {
		t.Fatalf("the first epoch has id %d", got)
	}
	n.checkBooks()
}

// TestBooks is a random walk over every message of every part, by random
// callers at random times, many of them refused: after each step the
// contract's balance must equal its books and the sum of what each
// escrow, stream, agreement and epoch holds (checkBooks), no token may
// appear or vanish, and no refusal may be a panic (an arithmetic check
// the contract missed).
func TestBooks(t *testing.T) {
	n := newNetwork(t)
	people := []sdk.Address{n.alice, n.bob, n.carol, n.arbiter, n.nobody}
	meterKey, up1, up2 := deviceKey(t, 1), deviceKey(t, 2), deviceKey(t, 3)
	meterDev := n.c.RegisterDevice(n.carol, meterKey, "meter", nil)
	upDevs := []sdk.DeviceID{n.c.RegisterDevice(n.alice, up1, "hotspot", nil), n.c.RegisterDevice(n.bob, up2, "hotspot", nil)}
	upKeys := []sigs.PrivateKey{up1, up2}
	var meterSeq, reading uint64 = 1, 100
	readings := []Hash{n.attest(meterKey, "kwh", 1, readingOf(reading))}
	upSeq := []uint64{0, 0}
	var upAtts []Hash

	supply := func() sdk.Amount {
		s := n.c.Balance(n.pay)
		for _, p := range people {
			s = s.Add(n.c.Balance(p))
		}
		return s
	}
	total := supply()
	r := rand.New(rand.NewPCG(17, 19))
	pick := func() sdk.Address { return people[r.IntN(len(people))] }
	id := func(count uint64) uint64 { return r.Uint64N(count+1) + 1 } // sometimes one past the last
	// recent is one of the last three ids.
	recent := func(count uint64) uint64 {
		if count == 0 {
			return 1
		}
		return count - r.Uint64N(min(count, 3))
	}
	ok := map[string]int{}
	for step := range 1000 {
		now := n.c.Block().Time
		tot := query[TotalsResponse](n, "totals", nil)
		var method string
		var res *sdktest.Result
		exec := func(from sdk.Address, m string, in any, funds uint64) {
			method, res = m, n.exec(from, m, in, funds)
		}
		switch op := r.IntN(20); op {
		case 0:
			var arb *sdk.Address
			if r.IntN(2) == 0 {
				arb = ptr(pick())
			}
			exec(pick(), "escrow_create", EscrowCreateMsg{Recipient: pick(), Arbiter: arb, Expires: now + r.Uint64N(20_000)}, r.Uint64N(1000))
		case 1:
			exec(pick(), "escrow_release", IDMsg{id(tot.Escrows)}, 0)
		case 2:
			exec(pick(), "escrow_refund", IDMsg{id(tot.Escrows)}, 0)
		case 3:
			rate := r.Uint64N(100) + 1
			var start *uint64
			if r.IntN(2) == 0 {
				start = ptr(now + r.Uint64N(5000))
			}
			exec(pick(), "stream_create", StreamCreateMsg{Recipient: pick(), Rate: amt(rate), Start: start, Cliff: r.Uint64N(5000)}, rate+r.Uint64N(3000))
		case 4, 5:
			exec(pick(), "stream_withdraw", IDMsg{id(tot.Streams)}, 0)
		case 6:
			exec(pick(), "stream_cancel", IDMsg{id(tot.Streams)}, 0)
		case 7:
			meterSeq++
			reading += r.Uint64N(60)
			readings = append(readings, n.attest(meterKey, "kwh", meterSeq, readingOf(reading)))
			continue
		case 8:
			exec(pick(), "meter_open", MeterOpenMsg{Provider: n.carol, Device: meterDev, Kind: "kwh", Price: amt(r.Uint64N(5) + 1)}, r.Uint64N(800))
		case 9, 10:
			a := readings[len(readings)-1]
			if r.IntN(4) == 0 {
				a = readings[r.IntN(len(readings))]
			}
			exec(pick(), "meter_settle", SettleMsg{ID: id(tot.Meters), Attestation: a}, 0)
		case 11:
			exec(pick(), "meter_topup", IDMsg{id(tot.Meters)}, r.Uint64N(300))
		case 12:
			exec(pick(), "meter_close", IDMsg{id(tot.Meters)}, 0)
		case 13:
			devs := upDevs[:1+r.IntN(2)]
			exec(pick(), "rewards_create_epoch", EpochCreateMsg{Devices: devs, Kind: "uptime", Start: now, End: now + 1000 + r.Uint64N(30_000),
				Grace: ptr(r.Uint64N(5000))}, r.Uint64N(10_000))
		case 14:
			i := r.IntN(2)
			upSeq[i]++
			upAtts = append(upAtts, n.attest(upKeys[i], "uptime", upSeq[i], uptimeOf(r.Uint64N(20)+1)))
			continue
		case 15, 16:
			if len(upAtts) == 0 {
				continue
			}
			a := upAtts[len(upAtts)-1-r.IntN(min(len(upAtts), 4))]
			exec(pick(), "rewards_report", ReportMsg{Epoch: recent(tot.Epochs), Attestation: a}, 0)
		case 17:
			exec(pick(), "rewards_claim", ClaimMsg{Epoch: id(tot.Epochs), Device: upDevs[r.IntN(2)]}, 0)
		case 18:
			e, by := id(tot.Epochs), pick()
			if e <= tot.Epochs && r.IntN(2) == 0 {
				by = query[EpochResponse](n, "epoch", EpochMsg{e}).Funder
			}
			exec(by, "rewards_reclaim", EpochMsg{e}, 0)
		default:
			n.c.SetBlock(n.c.Block().Height+1, now+r.Uint64N(4000))
			continue
		}
		if res.Code == 0 {
			ok[method]++
		} else if res.Code != 9 || strings.HasPrefix(res.Message, "panic") {
			t.Fatalf("step %d: %s failed with code %d: %s", step, method, res.Code, res.Message)
		}
		n.checkBooks()
		if s := supply(); s != total {
			t.Fatalf("step %d, %s: the tokens add up to %s, not %s", step, method, s, total)
		}
	}
	for _, m := range []string{"escrow_create", "escrow_release", "escrow_refund", "stream_create", "stream_withdraw", "stream_cancel",
		"meter_open", "meter_settle", "meter_topup", "meter_close", "rewards_create_epoch", "rewards_report", "rewards_claim", "rewards_reclaim"} {
		if ok[m] == 0 {
			t.Errorf("the walk never succeeded at %s (successes: %v)", m, ok)
		}
	}
	t.Logf("successes: %v", ok)
}
