//go:build !wasip1

package main

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
)

func amt(v uint64) sdk.Amount { return sdk.NewAmount(v) }

// community is a solar array split 600/300/100 among alice, bob and
// carol, with cap 2,000 and an admin.
type community struct {
	t                        *testing.T
	c                        *sdktest.Chain
	shares                   sdk.Address
	admin, alice, bob, carol sdk.Address
}

func newCommunity(t *testing.T, extra func(*InitMsg)) *community {
	c := sdktest.New(t)
	k := &community{t: t, c: c, admin: c.Account("admin"), alice: c.Account("alice"), bob: c.Account("bob"), carol: c.Account("carol")}
	capacity := amt(2000)
	m := InitMsg{Name: "Roof array A", Symbol: "ROOFA", Asset: "site 7, 40 kWp",
		Holders: []Grant{{k.alice, amt(600)}, {k.bob, amt(300)}, {k.carol, amt(100)}},
		Cap:     &capacity, Admin: &k.admin}
	if extra != nil {
		extra(&m)
	}
	var res *sdktest.Result
	k.shares, res = c.Instantiate(k.admin, &Contract, m, 0)
	res.OK(t)
	return k
}

func (k *community) exec(from sdk.Address, method string, in any) *sdktest.Result {
	return k.c.Execute(from, k.shares, method, in, 0)
}

func (k *community) balance(a sdk.Address) BalanceResponse {
	k.t.Helper()
	return sdktest.Decode[BalanceResponse](k.t, k.c.Query(k.shares, "balance", AddressMsg{a}).OK(k.t))
}

func (k *community) wantBalances(want map[sdk.Address]uint64) {
	k.t.Helper()
	for a, w := range want {
		if got := k.balance(a).Balance; got != amt(w) {
			k.t.Fatalf("balance of %s: %s, want %d", a, got, w)
		}
	}
}

func failsWith(t *testing.T, r *sdktest.Result, substr string) {
	t.Helper()
	r.Fails(t, 9)
	if !strings.Contains(r.Message, substr) {
		t.Fatalf("message %q, want it to contain %q", r.Message, substr)
	}
}

func TestInit(t *testing.T) {
	k := newCommunity(t, nil)
	got := sdktest.Decode[InfoResponse](t, k.c.Query(k.shares, "info", nil).OK(t))
	if got.Supply != amt(1000) || got.Cap != amt(2000) || got.Symbol != "ROOFA" || got.Admin == nil || *got.Admin != k.admin {
		t.Fatalf("info: %+v", got)
	}
	k.wantBalances(map[sdk.Address]uint64{k.alice: 600, k.bob: 300, k.carol: 100})

	c := sdktest.New(t)
	a := c.Account("a")
	for name, c2 := range map[string]struct {
		m    InitMsg
		want string
	}{
		"no name":     {InitMsg{Symbol: "AB"}, "name"},
		"bad symbol":  {InitMsg{Name: "x", Symbol: "ab"}, "symbol"},
		"zero grant":  {InitMsg{Name: "x", Symbol: "AB", Holders: []Grant{{a, amt(0)}}}, "positive"},
		"cap too low": {InitMsg{Name: "x", Symbol: "AB", Holders: []Grant{{a, amt(5)}}, Cap: ptr(amt(4))}, "cap"},
		"not allowed": {InitMsg{Name: "x", Symbol: "AB", Holders: []Grant{{a, amt(5)}}, Restricted: true}, "allow-list"},
	} {
		t.Run(name, func(t *testing.T) {
			_, r := c.Instantiate(a, &Contract, c2.m, 0)
			failsWith(t, r, c2.want)
		})
	}
	// A fixed supply: the cap is the initial supply, so nothing can be minted.
	fixed, r := c.Instantiate(a, &Contract, InitMsg{Name: "x", Symbol: "AB", Holders: []Grant{{a, amt(5)}}, Admin: &a}, 0)
	r.OK(t)
	failsWith(t, c.Execute(a, fixed, "mint", MintMsg{a, amt(1)}, 0), "exceed the cap of 5")
}

func ptr[T any](v T) *T { return &v }

func TestTransfers(t *testing.T) {
	k := newCommunity(t, nil)
	r := k.exec(k.alice, "transfer", TransferMsg{k.bob, amt(50)}).OK(t)
	if len(r.Events) != 1 || r.Events[0].Type != "transfer" {
		t.Fatalf("events: %+v", r.Events)
	}
	if v, _ := r.Events[0].Attr("amount"); string(v) != "50" {
		t.Fatalf("transfer event amount %q", v)
	}
	k.wantBalances(map[sdk.Address]uint64{k.alice: 550, k.bob: 350})
	failsWith(t, k.exec(k.carol, "transfer", TransferMsg{k.bob, amt(101)}), "insufficient")
	failsWith(t, k.exec(k.carol, "transfer", TransferMsg{k.bob, amt(0)}), "positive")
	// To oneself: allowed, changes nothing.
	k.exec(k.carol, "transfer", TransferMsg{k.carol, amt(100)}).OK(t)
	k.wantBalances(map[sdk.Address]uint64{k.carol: 100})
	// Malformed input changes nothing.
	k.exec(k.alice, "transfer", []byte(`{"to": "plinth1nope", "amount": "5"}`)).Fails(t, 9)
	k.exec(k.alice, "transfer", []byte(`{"to": "`+k.bob.String()+`", "amount": "-5"}`)).Fails(t, 9)
	k.wantBalances(map[sdk.Address]uint64{k.alice: 550, k.bob: 350, k.carol: 100})
}

func TestAllowances(t *testing.T) {
	k := newCommunity(t, nil)
	dave := k.c.Account("dave")
	failsWith(t, k.exec(dave, "transfer_from", TransferFromMsg{k.alice, dave, amt(1)}), "no allowance")
	failsWith(t, k.exec(k.alice, "approve", ApproveMsg{Spender: k.alice, Amount: amt(1)}), "yourself")
	failsWith(t, k.exec(k.alice, "approve", ApproveMsg{Spender: dave, Amount: amt(1), Expires: k.c.Block().Time}), "past")

	expires := k.c.Block().Time + 5000
	k.exec(k.alice, "approve", ApproveMsg{Spender: dave, Amount: amt(100), Expires: expires}).OK(t)
	k.exec(dave, "transfer_from", TransferFromMsg{k.alice, k.carol, amt(60)}).OK(t)
	failsWith(t, k.exec(dave, "transfer_from", TransferFromMsg{k.alice, k.carol, amt(41)}), "too small")
	left := sdktest.Decode[AllowanceResponse](t, k.c.Query(k.shares, "allowance", AllowanceMsg{k.alice, dave}).OK(t))
	if left.Amount != amt(40) || left.Expires != expires {
		t.Fatalf("allowance left: %+v", left)
	}
	// Past its expiry it is gone.
	k.c.SetBlock(k.c.Block().Height+5, expires)
	failsWith(t, k.exec(dave, "transfer_from", TransferFromMsg{k.alice, k.carol, amt(1)}), "expired")
	if got := sdktest.Decode[AllowanceResponse](t, k.c.Query(k.shares, "allowance", AllowanceMsg{k.alice, dave}).OK(t)); !got.Amount.IsZero() {
		t.Fatalf("an expired allowance reads %+v", got)
	}
	// Approving 0 revokes; no expiry means none.
	k.exec(k.bob, "approve", ApproveMsg{Spender: dave, Amount: amt(10)}).OK(t)
	k.exec(k.bob, "approve", ApproveMsg{Spender: dave, Amount: amt(0)}).OK(t)
	failsWith(t, k.exec(dave, "transfer_from", TransferFromMsg{k.bob, dave, amt(1)}), "no allowance")
	k.wantBalances(map[sdk.Address]uint64{k.alice: 540, k.carol: 160, k.bob: 300})
}

// vault is a receiving contract: it records what it was sent, and refuses
// shares whose msg says "no".
var vault = sdk.Contract{Methods: map[string]sdk.Handler{
	"receive_shares": sdk.Exec(func(ctx *sdk.Context, m ReceiveMsg) (sdk.None, error) {
		if string(m.Msg) == "no" {
			return sdk.None{}, errString("not these")
		}
		received.Save(ctx, received.Get(ctx).Add(m.Amount))
		return sdk.None{}, nil
	}),
	"received": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (sdk.Amount, error) { return received.Get(ctx), nil }),
}}

var received = sdk.NewItem[sdk.Amount]("received")

type errString string

func (e errString) Error() string { return string(e) }

func TestSend(t *testing.T) {
	k := newCommunity(t, nil)
	v, r := k.c.Instantiate(k.admin, &vault, nil, 0)
	r.OK(t)
	k.exec(k.alice, "send", SendMsg{Contract: v, Amount: amt(70), Msg: []byte("stake")}).OK(t)
	if got := sdktest.Decode[sdk.Amount](t, k.c.Query(v, "received", nil).OK(t)); got != amt(70) {
		t.Fatalf("the vault recorded %s", got)
	}
	// A refusing receiver undoes the whole send.
	failsWith(t, k.exec(k.alice, "send", SendMsg{Contract: v, Amount: amt(30), Msg: []byte("no")}), "refused the shares: ")
	// A receiver without the hook refuses too.
	plain, r := k.c.Instantiate(k.admin, &Contract, InitMsg{Name: "other", Symbol: "OT"}, 0)
	r.OK(t)
	failsWith(t, k.exec(k.alice, "send", SendMsg{Contract: plain, Amount: amt(1)}), "refused")
	k.wantBalances(map[sdk.Address]uint64{k.alice: 530, v: 70, plain: 0})
}

func TestMintBurnAndCheckpoints(t *testing.T) {
	k := newCommunity(t, nil)
	h1 := k.c.Block().Height
	failsWith(t, k.exec(k.alice, "mint", MintMsg{k.alice, amt(1)}), "only the admin")
	k.c.NextBlock()
	k.exec(k.admin, "mint", MintMsg{k.bob, amt(1000)}).OK(t)
	failsWith(t, k.exec(k.admin, "mint", MintMsg{k.bob, amt(1)}), "exceed the cap")
	k.c.NextBlock()
	h3 := k.c.Block().Height
	k.exec(k.bob, "burn", BurnMsg{amt(300)}).OK(t)
	failsWith(t, k.exec(k.carol, "burn", BurnMsg{amt(101)}), "insufficient")
	k.exec(k.bob, "transfer", TransferMsg{k.alice, amt(500)}).OK(t)

	at := func(a sdk.Address, h uint64) uint64 {
		t.Helper()
		v, _ := sdktest.Decode[AmountResponse](t, k.c.Query(k.shares, "balance_at", AtMsg{a, h}).OK(t)).Amount.Uint64()
		return v
	}
	supplyAt := func(h uint64) uint64 {
		t.Helper()
		v, _ := sdktest.Decode[AmountResponse](t, k.c.Query(k.shares, "supply_at", HeightMsg{h}).OK(t)).Amount.Uint64()
		return v
	}
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"bob before the chain", at(k.bob, 0), 0},
		{"bob at genesis height", at(k.bob, h1), 300},
		{"bob after the mint", at(k.bob, h1+1), 1300},
		{"bob after burn and transfer", at(k.bob, h3), 500},
		{"bob far ahead", at(k.bob, 1<<62), 500},
		{"bob at max", at(k.bob, ^uint64(0)), 500},
		{"alice at h1+1", at(k.alice, h1+1), 600},
		{"alice at h3", at(k.alice, h3), 1100},
		{"a stranger", at(k.c.Account("nobody"), h3), 0},
		{"supply at h1", supplyAt(h1), 1000},
		{"supply at h1+1", supplyAt(h1 + 1), 2000},
		{"supply at h3", supplyAt(h3), 1700},
		{"supply before", supplyAt(0), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	// Burnt shares free room under the cap.
	k.exec(k.admin, "mint", MintMsg{k.carol, amt(300)}).OK(t)
}

func TestRestrictions(t *testing.T) {
	k := newCommunity(t, nil)
	dave := k.c.Account("dave")
	for _, m := range []string{"set_restricted", "allow", "freeze", "update_admin"} {
		failsWith(t, k.exec(k.alice, m, nil), "only the admin")
	}
	k.exec(k.admin, "freeze", FlagMsg{k.bob, true}).OK(t)
	failsWith(t, k.exec(k.bob, "transfer", TransferMsg{k.alice, amt(1)}), "frozen")
	failsWith(t, k.exec(k.alice, "transfer", TransferMsg{k.bob, amt(1)}), "frozen")
	k.exec(k.admin, "freeze", FlagMsg{k.bob, false}).OK(t)
	k.exec(k.bob, "transfer", TransferMsg{k.alice, amt(1)}).OK(t)

	k.exec(k.admin, "set_restricted", RestrictMsg{true}).OK(t)
	failsWith(t, k.exec(k.alice, "transfer", TransferMsg{dave, amt(1)}), "allow-list")
	for _, a := range []sdk.Address{k.alice, dave} {
		k.exec(k.admin, "allow", FlagMsg{a, true}).OK(t)
	}
	k.exec(k.alice, "transfer", TransferMsg{dave, amt(1)}).OK(t)
	if b := k.balance(dave); !b.Allowed || b.Balance != amt(1) {
		t.Fatalf("dave: %+v", b)
	}
	// Renouncing the admin role ends minting and restriction changes for good.
	k.exec(k.admin, "update_admin", AdminMsg{nil}).OK(t)
	failsWith(t, k.exec(k.admin, "mint", MintMsg{k.alice, amt(1)}), "only the admin")
	failsWith(t, k.exec(k.admin, "set_restricted", RestrictMsg{false}), "only the admin")
}

func TestRevenue(t *testing.T) {
	k := newCommunity(t, nil)
	payer := k.c.Account("grid operator")
	k.c.Fund(payer, 1_000_000)
	failsWith(t, k.exec(payer, "deposit_revenue", nil), "funds")
	k.c.Execute(payer, k.shares, "deposit_revenue", nil, 1000).OK(t)
	for a, want := range map[sdk.Address]uint64{k.alice: 600, k.bob: 300, k.carol: 100} {
		if got := k.balance(a).Claimable; got != amt(want) {
			t.Fatalf("claimable of %s: %s, want %d", a, got, want)
		}
	}
	// Shares moved after a deposit take no part of it; the new holder
	// earns from the next deposit.
	k.exec(k.alice, "transfer", TransferMsg{k.carol, amt(500)}).OK(t)
	k.c.Execute(payer, k.shares, "deposit_revenue", nil, 2000).OK(t)
	// alice 600 + 100×2, bob 300 + 300×2, carol 100 + 600×2.
	for a, want := range map[sdk.Address]uint64{k.alice: 800, k.bob: 900, k.carol: 1300} {
		if got := k.balance(a).Claimable; got != amt(want) {
			t.Fatalf("claimable of %s after a transfer: %s, want %d", a, got, want)
		}
	}
	// A frozen holder still collects what it earned.
	k.exec(k.admin, "freeze", FlagMsg{k.bob, true}).OK(t)
	res := sdktest.Decode[ClaimResponse](t, k.exec(k.bob, "claim", nil).OK(t))
	if res.Amount != amt(900) || k.c.Balance(k.bob) != amt(900) {
		t.Fatalf("bob claimed %s, holds %s", res.Amount, k.c.Balance(k.bob))
	}
	failsWith(t, k.exec(k.bob, "claim", nil), "nothing to claim")
	info := sdktest.Decode[InfoResponse](t, k.c.Query(k.shares, "info", nil).OK(t))
	if info.Deposited != amt(3000) || info.Claimed != amt(900) || k.c.Balance(k.shares) != amt(2100) {
		t.Fatalf("totals: %+v, contract holds %s", info, k.c.Balance(k.shares))
	}
	// No shares: nowhere to distribute.
	empty, r := k.c.Instantiate(k.admin, &Contract, InitMsg{Name: "e", Symbol: "EE"}, 0)
	r.OK(t)
	failsWith(t, k.c.Execute(payer, empty, "deposit_revenue", nil, 5), "no shares")
}

// TestRevenueExact: random transfers, mints, burns, deposits and claims;
// each holder's claimed plus claimable revenue stays within one token of
// its exact share (the sum over deposits of deposit × balance / supply,
// in rationals), and the contract never owes more than it holds.
func TestRevenueExact(t *testing.T) {
	k := newCommunity(t, nil)
	payer := k.c.Account("payer")
	k.c.Fund(payer, 1<<50)
	people := []sdk.Address{k.alice, k.bob, k.carol, k.c.Account("dave"), k.c.Account("erin")}
	bal := map[sdk.Address]int64{k.alice: 600, k.bob: 300, k.carol: 100}
	exact := map[sdk.Address]*big.Rat{}
	claimed := map[sdk.Address]uint64{}
	for _, p := range people {
		exact[p] = new(big.Rat)
	}
	total := func() (s int64) {
		for _, b := range bal {
			s += b
		}
		return s
	}
	r := rand.New(rand.NewPCG(7, 11))
	var deposited uint64
	for step := range 400 {
		from, to := people[r.IntN(len(people))], people[r.IntN(len(people))]
		switch op := r.IntN(6); {
		case op < 2 && bal[from] > 0:
			n := r.Int64N(bal[from]) + 1
			k.exec(from, "transfer", TransferMsg{to, amt(uint64(n))}).OK(t)
			bal[from] -= n
			bal[to] += n
		case op == 2 && total() < 2000:
			n := r.Int64N(2000-total()) + 1
			k.exec(k.admin, "mint", MintMsg{to, amt(uint64(n))}).OK(t)
			bal[to] += n
		case op == 3 && bal[from] > 0 && total() > 1:
			n := r.Int64N(bal[from]) + 1
			if n == total() {
				n--
			}
			if n > 0 {
				k.exec(from, "burn", BurnMsg{amt(uint64(n))}).OK(t)
				bal[from] -= n
			}
		case op == 4:
			d := r.Uint64N(100_000) + 1
			k.c.Execute(payer, k.shares, "deposit_revenue", nil, d).OK(t)
			deposited += d
			for _, p := range people {
				exact[p].Add(exact[p], big.NewRat(int64(d)*bal[p], total()))
			}
		default:
			if res := k.exec(from, "claim", nil); res.Code == 0 {
				c, _ := sdktest.Decode[ClaimResponse](t, res).Amount.Uint64()
				claimed[from] += c
			}
		}
		if step%50 == 49 {
			k.c.NextBlock()
		}
	}
	var owed uint64
	for _, p := range people {
		cl, _ := k.balance(p).Claimable.Uint64()
		got := claimed[p] + cl
		floor := new(big.Int).Quo(exact[p].Num(), exact[p].Denom()).Uint64()
		if got > floor || floor-got > 1 {
			t.Errorf("%s: claimed %d + claimable %d = %d, exact share %s (floor %d)", p, claimed[p], cl, got, exact[p].FloatString(3), floor)
		}
		owed += cl
	}
	var paid uint64
	for _, c := range claimed {
		paid += c
	}
	if held, _ := k.c.Balance(k.shares).Uint64(); held != deposited-paid || owed > held {
		t.Fatalf("the contract holds %d, deposited %d - paid %d; owes %d", held, deposited, paid, owed)
	}
	if deposited == 0 || paid == 0 {
		t.Fatal("the random walk made no deposit or no claim")
	}
}

func TestHoldersPaging(t *testing.T) {
	k := newCommunity(t, nil)
	page := sdktest.Decode[[]HolderEntry](t, k.c.Query(k.shares, "holders", HoldersMsg{Limit: 2}).OK(t))
	if len(page) != 2 {
		t.Fatalf("first page: %+v", page)
	}
	rest := sdktest.Decode[[]HolderEntry](t, k.c.Query(k.shares, "holders", HoldersMsg{After: &page[1].Address}).OK(t))
	if len(rest) != 1 || rest[0].Address == page[0].Address || rest[0].Address == page[1].Address {
		t.Fatalf("second page: %+v after %+v", rest, page)
	}
	var sum uint64
	for _, h := range append(page, rest...) {
		v, _ := h.Balance.Uint64()
		sum += v
	}
	if sum != 1000 {
		t.Fatalf("the holders hold %d", sum)
	}
	// A query cannot write.
	k.c.Query(k.shares, "approve", ApproveMsg{Spender: k.bob, Amount: amt(1)}).Fails(t, 11)
}
