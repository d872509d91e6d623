//go:build !wasip1

package main

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
	"github.com/plinthchain/plinth/runtime/sigs"
)

func amt(v uint64) sdk.Amount { return sdk.NewAmount(v) }

func ptr[T any](v T) *T { return &v }

const (
	hour   = 3_600_000
	grace  = 600_000
	window = 300_000
)

// network is a community's solar array: a P-256 meter attesting its
// operating hours and an ed25519 camera attesting services, both devices
// of asset 1; a foreign device of nobody's asset; a maintenance contract
// administered by admin. Every call through exec is followed by an audit
// of the funds.
type network struct {
	t                                         *testing.T
	c                                         *sdktest.Chain
	m                                         sdk.Address
	admin, alice, bob, carol, inspector, anon sdk.Address
	meterKey, camKey, foreignKey              sigs.PrivateKey
	meter, cam, foreign                       sdk.DeviceID
	seq                                       uint64
	asset                                     uint64
}

const startBalance = 1_000_000

func newKey(t *testing.T, kt sigs.KeyType, n byte) sigs.PrivateKey {
	t.Helper()
	k, err := sigs.NewPrivateKey(kt, bytes.Repeat([]byte{n}, sigs.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newNetwork(t *testing.T) *network {
	c := sdktest.New(t)
	n := &network{t: t, c: c, admin: c.Account("admin"), alice: c.Account("alice"), bob: c.Account("bob"),
		carol: c.Account("carol"), inspector: c.Account("inspector"), anon: c.Account("anyone")}
	for _, a := range n.people() {
		c.Fund(a, startBalance)
	}
	n.meterKey, n.camKey, n.foreignKey = newKey(t, sigs.P256, 1), newKey(t, sigs.Ed25519, 2), newKey(t, sigs.P256, 3)
	n.meter = c.RegisterDevice(n.admin, n.meterKey, "meter", []byte("roof A"))
	n.cam = c.RegisterDevice(n.admin, n.camKey, "camera", nil)
	n.foreign = c.RegisterDevice(n.carol, n.foreignKey, "meter", nil)
	var r *sdktest.Result
	n.m, r = c.Instantiate(n.admin, &Contract, InitMsg{Admin: n.admin}, 0)
	r.OK(t)
	n.asset = sdktest.Decode[IDResponse](t, n.exec(n.admin, "register_asset", AssetMsg{Name: "Roof array A", Devices: []sdk.DeviceID{n.meter, n.cam}}, 0)).ID
	return n
}

func (n *network) people() []sdk.Address {
	return []sdk.Address{n.admin, n.alice, n.bob, n.carol, n.inspector, n.anon}
}

// exec runs a call and audits the funds after it, failed or not.
func (n *network) exec(from sdk.Address, method string, in any, funds uint64) *sdktest.Result {
	n.t.Helper()
	r := n.c.Execute(from, n.m, method, in, funds)
	n.audit()
	return r
}

func query[T any](n *network, method string, in any) T {
	n.t.Helper()
	return sdktest.Decode[T](n.t, n.c.Query(n.m, method, in))
}

// audit checks that the contract's native balance is exactly its escrow,
// bonds and treasury, that the escrow is the templates' unreserved funds
// plus the rewards of live tasks, and that the bonds are the operators'
// free and locked bonds, the locked ones those of the tasks they hold.
func (n *network) audit() {
	n.t.Helper()
	cfg := query[ConfigResponse](n, "config", nil)
	if bal, sum := n.c.Balance(n.m), cfg.Escrow.Add(cfg.Bonds).Add(cfg.Treasury); bal != sum {
		n.t.Fatalf("the contract holds %s, but escrow %s + bonds %s + treasury %s = %s", bal, cfg.Escrow, cfg.Bonds, cfg.Treasury, sum)
	}
	escrow := sdk.Amount{}
	for id := uint64(1); id <= cfg.Templates; id++ {
		escrow = escrow.Add(query[Template](n, "template", TemplateMsg{id}).Escrow)
	}
	locked := map[sdk.Address]sdk.Amount{}
	for id := uint64(1); id <= cfg.Tasks; id++ {
		t := query[Task](n, "task", TaskMsg{id})
		switch t.Status {
		case statusClaimed, statusReview:
			locked[*t.Operator] = locked[*t.Operator].Add(t.Bond)
			fallthrough
		case statusOpen:
			escrow = escrow.Add(t.Reward)
		}
	}
	if escrow != cfg.Escrow {
		n.t.Fatalf("escrow %s, but templates and live tasks hold %s", cfg.Escrow, escrow)
	}
	bonds := sdk.Amount{}
	for _, a := range n.people() {
		o := query[OperatorResponse](n, "operator", OperatorMsg{a})
		if o.Locked != locked[a] {
			n.t.Fatalf("%s has %s locked, its tasks %s", a, o.Locked, locked[a])
		}
		bonds = bonds.Add(o.Bond).Add(o.Locked)
	}
	if bonds != cfg.Bonds {
		n.t.Fatalf("bonds %s, but operators hold %s", cfg.Bonds, bonds)
	}
}

func (n *network) attest(key sigs.PrivateKey, kind, payload string) AttestationID {
	n.t.Helper()
	n.seq++
	id, r := n.c.Attest(key, kind, n.seq, []byte(payload))
	r.OK(n.t)
	return AttestationID(id)
}

func (n *network) hours(v string) AttestationID {
	return n.attest(n.meterKey, "hours", `{"hours": "`+v+`"}`)
}

func (n *network) advance(ms uint64) {
	b := n.c.Block()
	n.c.SetBlock(b.Height+1, b.Time+ms)
}

func (n *network) now() uint64 { return n.c.Block().Time }

func (n *network) timeSpec() TemplateSpec {
	return TemplateSpec{Asset: n.asset, Name: "clean panels", Interval: hour, Grace: grace, DisputeWindow: window,
		Reward: amt(1000), Bond: amt(200), ProofKind: "service"}
}

func (n *network) usageSpec() TemplateSpec {
	s := n.timeSpec()
	s.Name, s.Interval = "inverter service", 0
	s.Usage = &Usage{Device: n.meter, Kind: "hours", Field: "hours", Every: 500, Start: 100}
	return s
}

func (n *network) addTemplate(s TemplateSpec, funds uint64) uint64 {
	n.t.Helper()
	return sdktest.Decode[IDResponse](n.t, n.exec(n.admin, "add_template", s, funds)).ID
}

func (n *network) task(id uint64) Task { n.t.Helper(); return query[Task](n, "task", TaskMsg{id}) }

func (n *network) template(id uint64) Template {
	n.t.Helper()
	return query[Template](n, "template", TemplateMsg{id})
}

func (n *network) operator(a sdk.Address) OperatorResponse {
	n.t.Helper()
	return query[OperatorResponse](n, "operator", OperatorMsg{a})
}

// openTimeTask adds nothing: it moves time to tpl's next due time and
// opens its task.
func (n *network) openTimeTask(tpl uint64) uint64 {
	n.t.Helper()
	t := n.template(tpl)
	if due := t.LastOpened + t.Interval; n.now() < due {
		n.c.SetBlock(n.c.Block().Height+1, due)
	}
	return sdktest.Decode[IDResponse](n.t, n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0)).ID
}

// claimAndProve has op claim the task (posting the bond with the call)
// and prove it a second later with a fresh camera attestation.
func (n *network) claimAndProve(op sdk.Address, task uint64) *sdktest.Result {
	n.t.Helper()
	n.exec(op, "claim_task", TaskMsg{task}, 200).OK(n.t)
	n.advance(1000)
	return n.exec(op, "complete_task", AttestationMsg{Task: task, Attestation: n.attest(n.camKey, "service", `{"report": "ok"}`)}, 0).OK(n.t)
}

func failsWith(t *testing.T, r *sdktest.Result, substr string) {
	t.Helper()
	r.Fails(t, 9)
	if !strings.Contains(r.Message, substr) {
		t.Fatalf("message %q, want it to contain %q", r.Message, substr)
	}
}

func wantEvents(t *testing.T, r *sdktest.Result, types ...string) {
	t.Helper()
	var got []string
	for _, e := range r.Events {
		got = append(got, e.Type)
	}
	if !slices.Equal(got, types) {
		t.Fatalf("events %q, want %q", got, types)
	}
}

func attr(t *testing.T, r *sdktest.Result, typ, key string) string {
	t.Helper()
	for _, e := range r.Events {
		if e.Type == typ {
			v, ok := e.Attr(key)
			if !ok {
				t.Fatalf("event %s has no %s", typ, key)
			}
			return string(v)
		}
	}
	t.Fatalf("no event %s", typ)
	return ""
}

func TestInit(t *testing.T) {
	n := newNetwork(t)
	cfg := query[ConfigResponse](n, "config", nil)
	if cfg.Admin != n.admin || cfg.Assets != 1 || cfg.Templates != 0 || cfg.Tasks != 0 || !cfg.Escrow.IsZero() {
		t.Fatalf("config: %+v", cfg)
	}
	_, r := n.c.Instantiate(n.admin, &Contract, InitMsg{}, 0)
	failsWith(t, r, "admin: an address is required")
	_, r = n.c.Instantiate(n.admin, &Contract, InitMsg{Admin: n.admin}, 5)
	failsWith(t, r, "takes no funds")
	_, r = n.c.Instantiate(n.admin, &Contract, []byte(`{"admin": "plinth1nope"}`), 0)
	failsWith(t, r, "bad input")
	m, r := n.c.Instantiate(n.admin, &Contract, InitMsg{Admin: n.alice}, 0)
	wantEvents(t, r.OK(t), "instantiate", "admin")
	if got := sdktest.Decode[ConfigResponse](t, n.c.Query(m, "config", nil)); got.Admin != n.alice {
		t.Fatalf("admin %s", got.Admin)
	}
}

// TestFundsRefused: only add_template, fund_template, post_bond and
// claim_task take funds; every other method refuses them, so no token
// enters the contract unaccounted.
func TestFundsRefused(t *testing.T) {
	n := newNetwork(t)
	for name, h := range Contract.Methods {
		if h.ReadOnly() || name == "init" {
			continue
		}
		r := n.exec(n.admin, name, nil, 1)
		switch name {
		case "add_template", "fund_template", "post_bond", "claim_task":
			if strings.Contains(r.Message, "takes no funds") {
				t.Errorf("%s refuses funds", name)
			}
		default:
			if r.Code != 9 || r.Message != errNoFunds.Error() {
				t.Errorf("%s with funds: code %d %q", name, r.Code, r.Message)
			}
		}
	}
}

func TestAdmin(t *testing.T) {
	n := newNetwork(t)
	failsWith(t, n.exec(n.alice, "update_admin", AdminMsg{n.alice}, 0), "only the admin")
	failsWith(t, n.exec(n.admin, "update_admin", AdminMsg{}, 0), "cannot be renounced")
	r := n.exec(n.admin, "update_admin", AdminMsg{n.carol}, 0).OK(t)
	wantEvents(t, r, "admin")
	if attr(t, r, "admin", "admin") != n.carol.String() {
		t.Fatal("admin event")
	}
	failsWith(t, n.exec(n.admin, "register_asset", AssetMsg{Name: "x", Devices: []sdk.DeviceID{n.cam}}, 0), "only the admin")
	n.exec(n.carol, "register_asset", AssetMsg{Name: "x", Devices: []sdk.DeviceID{n.cam}}, 0).OK(t)
}

func TestAssets(t *testing.T) {
	n := newNetwork(t)
	a := query[Asset](n, "asset", AssetQuery{n.asset})
	if a.ID != 1 || a.Name != "Roof array A" || !slices.Equal(a.Devices, []sdk.DeviceID{n.meter, n.cam}) || a.Created != sdktest.StartTime {
		t.Fatalf("asset: %+v", a)
	}
	many := make([]sdk.DeviceID, 17)
	revokedKey := newKey(t, sigs.Ed25519, 9)
	revoked := n.c.RegisterDevice(n.carol, revokedKey, "hotspot", nil)
	n.c.RevokeDevice(revoked)
	for name, c := range map[string]struct {
		from sdk.Address
		m    AssetMsg
		want string
	}{
		"not admin":    {n.alice, AssetMsg{Name: "x", Devices: []sdk.DeviceID{n.cam}}, "only the admin"},
		"no name":      {n.admin, AssetMsg{Devices: []sdk.DeviceID{n.cam}}, "name: 1 to 64 bytes"},
		"long name":    {n.admin, AssetMsg{Name: strings.Repeat("x", 65), Devices: []sdk.DeviceID{n.cam}}, "name: 1 to 64 bytes"},
		"no devices":   {n.admin, AssetMsg{Name: "x"}, "devices: 1 to 16"},
		"17 devices":   {n.admin, AssetMsg{Name: "x", Devices: many}, "devices: 1 to 16"},
		"twice":        {n.admin, AssetMsg{Name: "x", Devices: []sdk.DeviceID{n.cam, n.meter, n.cam}}, "is listed twice"},
		"unregistered": {n.admin, AssetMsg{Name: "x", Devices: []sdk.DeviceID{{1, 2, 3}}}, "0102030000000000000000000000000000000000 is not registered"},
		"revoked":      {n.admin, AssetMsg{Name: "x", Devices: []sdk.DeviceID{revoked}}, revoked.String() + " is revoked"},
	} {
		t.Run(name, func(t *testing.T) { failsWith(t, n.exec(c.from, "register_asset", c.m, 0), c.want) })
	}
	// Another asset's devices may overlap (a shared gateway).
	r := n.exec(n.admin, "register_asset", AssetMsg{Name: "Hotspot 7", Devices: []sdk.DeviceID{n.foreign, n.cam}}, 0).OK(t)
	wantEvents(t, r, "asset")
	if attr(t, r, "asset", "devices") != n.foreign.String()+","+n.cam.String() || attr(t, r, "asset", "asset") != "2" {
		t.Fatalf("asset event %+v", r.Events)
	}
	n.exec(n.admin, "register_asset", AssetMsg{Name: "Charger", Devices: []sdk.DeviceID{n.foreign}}, 0).OK(t)
	page := query[[]Asset](n, "assets", PageMsg{Limit: 2})
	rest := query[[]Asset](n, "assets", PageMsg{After: page[1].ID})
	if len(page) != 2 || page[0].ID != 1 || len(rest) != 1 || rest[0].Name != "Charger" {
		t.Fatalf("assets %+v then %+v", page, rest)
	}
	n.c.Query(n.m, "asset", AssetQuery{9}).Fails(t, 9)
	if r := n.c.Query(n.m, "asset", AssetQuery{9}); r.Message != "asset 9 does not exist" {
		t.Fatalf("missing asset: %q", r.Message)
	}
}

func TestTemplates(t *testing.T) {
	n := newNetwork(t)
	r := n.exec(n.admin, "add_template", n.timeSpec(), 2500).OK(t)
	wantEvents(t, r, "template", "fund")
	if attr(t, r, "template", "trigger") != "time" || attr(t, r, "fund", "escrow") != "2500" {
		t.Fatalf("events %+v", r.Events)
	}
	r = n.exec(n.admin, "add_template", n.usageSpec(), 0).OK(t)
	wantEvents(t, r, "template")
	usage := n.template(2)
	if usage.Usage == nil || usage.LastCounter != 100 || usage.NextThreshold != 600 || !usage.Active || !usage.Escrow.IsZero() {
		t.Fatalf("usage template %+v", usage)
	}
	tt := n.template(1)
	if tt.Interval != hour || tt.Escrow != amt(2500) || tt.LastOpened != n.now() || tt.Reward != amt(1000) || tt.Asset != n.asset {
		t.Fatalf("time template %+v", tt)
	}

	mod := func(f func(*TemplateSpec)) TemplateSpec { s := n.timeSpec(); f(&s); return s }
	umod := func(f func(*Usage)) TemplateSpec { s := n.usageSpec(); f(s.Usage); return s }
	for name, c := range map[string]struct {
		s    TemplateSpec
		want string
	}{
		"no asset":          {mod(func(s *TemplateSpec) { s.Asset = 7 }), "asset 7 does not exist"},
		"no name":           {mod(func(s *TemplateSpec) { s.Name = "" }), "name: 1 to 64"},
		"neither trigger":   {mod(func(s *TemplateSpec) { s.Interval = 0 }), "either interval (ms) or usage"},
		"both triggers":     {mod(func(s *TemplateSpec) { s.Usage = n.usageSpec().Usage }), "either interval (ms) or usage"},
		"long interval":     {mod(func(s *TemplateSpec) { s.Interval = maxDuration + 1 }), "interval: 1 ms to 10 years"},
		"foreign device":    {umod(func(u *Usage) { u.Device = n.foreign }), "is not one of asset 1's devices"},
		"no usage kind":     {umod(func(u *Usage) { u.Kind = "" }), "usage kind: 1 to 64"},
		"no usage field":    {umod(func(u *Usage) { u.Field = "" }), "usage field: 1 to 64"},
		"every 0":           {umod(func(u *Usage) { u.Every = 0 }), "usage every: must be positive"},
		"start overflows":   {umod(func(u *Usage) { u.Start = 1<<64 - 100 }), "overflows"},
		"no grace":          {mod(func(s *TemplateSpec) { s.Grace = 0 }), "grace: 1 ms to 10 years"},
		"no dispute window": {mod(func(s *TemplateSpec) { s.DisputeWindow = 0 }), "dispute_window: 1 ms"},
		"long window":       {mod(func(s *TemplateSpec) { s.DisputeWindow = maxDuration + 1 }), "dispute_window: 1 ms"},
		"no reward":         {mod(func(s *TemplateSpec) { s.Reward = amt(0) }), "reward: must be positive"},
		"no bond":           {mod(func(s *TemplateSpec) { s.Bond = amt(0) }), "bond: must be positive"},
		"no proof kind":     {mod(func(s *TemplateSpec) { s.ProofKind = "" }), "proof_kind: 1 to 64"},
		"zero inspector":    {mod(func(s *TemplateSpec) { s.Inspector = &sdk.Address{} }), "inspector: not the zero address"},
	} {
		t.Run(name, func(t *testing.T) { failsWith(t, n.exec(n.admin, "add_template", c.s, 10), c.want) })
	}
	failsWith(t, n.exec(n.alice, "add_template", n.timeSpec(), 10), "only the admin")

	// fund_template
	failsWith(t, n.exec(n.alice, "fund_template", TemplateMsg{1}, 10), "only the admin")
	failsWith(t, n.exec(n.admin, "fund_template", TemplateMsg{9}, 10), "template 9 does not exist")
	failsWith(t, n.exec(n.admin, "fund_template", TemplateMsg{1}, 0), "send the rewards as funds")
	r = n.exec(n.admin, "fund_template", TemplateMsg{2}, 700).OK(t)
	wantEvents(t, r, "fund")
	if n.template(2).Escrow != amt(700) {
		t.Fatal("fund")
	}

	// defund_template: unreserved escrow only, to the admin.
	n.openTimeTask(1) // reserves 1000 of 2500
	failsWith(t, n.exec(n.alice, "defund_template", DefundMsg{1, amt(1)}, 0), "only the admin")
	failsWith(t, n.exec(n.admin, "defund_template", DefundMsg{9, amt(1)}, 0), "template 9 does not exist")
	failsWith(t, n.exec(n.admin, "defund_template", DefundMsg{1, amt(0)}, 0), "amount must be positive")
	failsWith(t, n.exec(n.admin, "defund_template", DefundMsg{1, amt(1501)}, 0), "unreserved escrow is only 1500")
	before := n.c.Balance(n.admin)
	r = n.exec(n.admin, "defund_template", DefundMsg{1, amt(1500)}, 0).OK(t)
	wantEvents(t, r, "defund")
	if n.c.Balance(n.admin) != before.Add(amt(1500)) || !n.template(1).Escrow.IsZero() {
		t.Fatal("defund did not pay the admin")
	}
	failsWith(t, n.openTimeTaskResult(1), "escrow 0 does not cover its reward 1000: fund it first")

	// set_template_active
	failsWith(t, n.exec(n.alice, "set_template_active", ActiveMsg{1, false}, 0), "only the admin")
	failsWith(t, n.exec(n.admin, "set_template_active", ActiveMsg{9, false}, 0), "template 9 does not exist")
	n.exec(n.admin, "fund_template", TemplateMsg{1}, 1000).OK(t)
	r = n.exec(n.admin, "set_template_active", ActiveMsg{1, false}, 0).OK(t)
	wantEvents(t, r, "template_active")
	failsWith(t, n.openTimeTaskResult(1), "template 1 is not active")
	n.exec(n.admin, "set_template_active", ActiveMsg{1, true}, 0).OK(t)
	n.openTimeTaskResult(1).OK(t)

	// Queries.
	n.exec(n.admin, "register_asset", AssetMsg{Name: "Hotspot", Devices: []sdk.DeviceID{n.foreign}}, 0).OK(t)
	hs := n.timeSpec()
	hs.Asset = 2
	n.addTemplate(hs, 0)
	n.addTemplate(n.timeSpec(), 0)
	ids := func(ts []Template) (out []uint64) {
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	for _, c := range []struct {
		m    TemplatesMsg
		want []uint64
	}{
		{TemplatesMsg{}, []uint64{1, 2, 3, 4}},
		{TemplatesMsg{Limit: 2}, []uint64{1, 2}},
		{TemplatesMsg{After: 2}, []uint64{3, 4}},
		{TemplatesMsg{Asset: 1}, []uint64{1, 2, 4}},
		{TemplatesMsg{Asset: 1, After: 1, Limit: 1}, []uint64{2}},
		{TemplatesMsg{Asset: 1, After: 2}, []uint64{4}},
		{TemplatesMsg{Asset: 2}, []uint64{3}},
		{TemplatesMsg{Asset: 3}, nil},
	} {
		if got := ids(query[[]Template](n, "templates", c.m)); !slices.Equal(got, c.want) {
			t.Errorf("templates %+v: %v, want %v", c.m, got, c.want)
		}
	}
	if r := n.c.Query(n.m, "template", TemplateMsg{9}); r.Code != 9 || r.Message != "template 9 does not exist" {
		t.Fatalf("missing template: %d %q", r.Code, r.Message)
	}
}

func (n *network) openTimeTaskResult(tpl uint64) *sdktest.Result {
	n.t.Helper()
	t := n.template(tpl)
	if due := t.LastOpened + t.Interval; n.now() < due {
		n.c.SetBlock(n.c.Block().Height+1, due)
	}
	return n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0)
}

// TestTimeTask: a time-based task from opening to payment, with every
// refusal on the way.
func TestTimeTask(t *testing.T) {
	n := newNetwork(t)
	tpl := n.addTemplate(n.timeSpec(), 2500)
	failsWith(t, n.exec(n.anon, "open_due", TemplateMsg{9}, 0), "template 9 does not exist")
	failsWith(t, n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0), "template 1 is not due until "+u(sdktest.StartTime+hour))
	n.advance(hour - 1)
	failsWith(t, n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0), "is not due until")
	n.advance(1)
	r := n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0).OK(t)
	wantEvents(t, r, "open")
	if id := sdktest.Decode[IDResponse](t, r).ID; id != 1 || attr(t, r, "open", "deadline") != u(n.now()+grace) {
		t.Fatalf("opened %d, events %+v", id, r.Events)
	}
	task := n.task(1)
	opened := n.now()
	if task.Status != statusOpen || task.Reward != amt(1000) || task.Bond != amt(200) || task.Due != opened || task.Opened != opened ||
		task.Deadline != opened+grace || task.Operator != nil || n.template(tpl).Escrow != amt(1500) {
		t.Fatalf("task %+v", task)
	}
	failsWith(t, n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0), "is not due until "+u(opened+hour))

	// Claiming needs a bond.
	failsWith(t, n.exec(n.alice, "claim_task", TaskMsg{9}, 0), "task 9 does not exist")
	failsWith(t, n.exec(n.alice, "claim_task", TaskMsg{1}, 0), "your free bond 0 does not cover task 1's bond 200: post_bond first")
	failsWith(t, n.exec(n.alice, "post_bond", nil, 0), "send the bond as funds")
	wantEvents(t, n.exec(n.alice, "post_bond", nil, 150).OK(t), "bond")
	failsWith(t, n.exec(n.alice, "claim_task", TaskMsg{1}, 0), "your free bond 150 does not cover")
	// A claim may bring the rest of the bond with it.
	r = n.exec(n.alice, "claim_task", TaskMsg{1}, 100).OK(t)
	wantEvents(t, r, "bond", "claim")
	if o := n.operator(n.alice); o.Bond != amt(50) || o.Locked != amt(200) {
		t.Fatalf("alice %+v", o)
	}
	failsWith(t, n.exec(n.bob, "claim_task", TaskMsg{1}, 200), "task 1 is not open (it is claimed)")

	// Proof.
	early := n.attest(n.camKey, "service", "report 1") // made as the task opened: not after
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: early}, 0), "not after task 1 fell due at "+u(opened))
	n.advance(1000)
	good := n.attest(n.camKey, "service", "report 2")
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 9, Attestation: good}, 0), "task 9 does not exist")
	failsWith(t, n.exec(n.bob, "complete_task", AttestationMsg{Task: 1, Attestation: good}, 0), "only task 1's operator")
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: AttestationID{7}}, 0), "is not on chain")
	foreign := n.attest(n.foreignKey, "service", "elsewhere")
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: foreign}, 0), "device "+n.foreign.String()+" is not one of asset 1's devices")
	selfie := n.attest(n.camKey, "selfie", "")
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: selfie}, 0), `is of kind "selfie", not the proof kind "service"`)
	failsWith(t, n.exec(n.alice, "complete_task", []byte(`{"task": 1, "attestation": "abc"}`), 0), "bad input")
	r = n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: good}, 0).OK(t)
	wantEvents(t, r, "proof", "review")
	task = n.task(1)
	if task.Status != statusReview || *task.Proof != good || task.ReviewEnds != n.now()+window {
		t.Fatalf("task %+v", task)
	}
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: good}, 0), "task 1 is not claimed (it is review)")
	failsWith(t, n.exec(n.anon, "finalize_task", TaskMsg{1}, 0), "task 1's dispute window ends at "+u(task.ReviewEnds))
	failsWith(t, n.exec(n.anon, "finalize_task", TaskMsg{9}, 0), "task 9 does not exist")
	n.advance(window)

	// Payment: the reward to alice, the bond back to her free bond.
	r = n.exec(n.anon, "finalize_task", TaskMsg{1}, 0).OK(t)
	wantEvents(t, r, "finalize")
	if o := n.operator(n.alice); o.Bond != amt(250) || !o.Locked.IsZero() || o.Done != 1 {
		t.Fatalf("alice %+v", o)
	}
	if task = n.task(1); task.Status != statusDone || task.Finalized != n.now() {
		t.Fatalf("task %+v", task)
	}
	failsWith(t, n.exec(n.anon, "finalize_task", TaskMsg{1}, 0), "task 1 is not in review (it is done)")

	// The free bond pays out.
	failsWith(t, n.exec(n.alice, "withdraw_bond", AmountMsg{amt(0)}, 0), "amount must be positive")
	failsWith(t, n.exec(n.alice, "withdraw_bond", AmountMsg{amt(251)}, 0), "your free bond is only 250")
	failsWith(t, n.exec(n.bob, "withdraw_bond", AmountMsg{amt(1)}, 0), "your free bond is only 0")
	wantEvents(t, n.exec(n.alice, "withdraw_bond", AmountMsg{amt(250)}, 0).OK(t), "bond_withdraw")
	if got := n.c.Balance(n.alice); got != amt(startBalance+1000) {
		t.Fatalf("alice holds %s", got)
	}

	// The escrow covers one more task, not two.
	n.openTimeTask(tpl)
	failsWith(t, n.openTimeTaskResult(tpl), "template 1's escrow 500 does not cover its reward 1000")
	// A time template's tasks do not open by usage.
	failsWith(t, n.exec(n.anon, "report_usage", AttestationMsg{Template: tpl, Attestation: good}, 0), "template 1 falls due by time: use open_due")
	// The proof's attestation cannot prove another task.
	n.exec(n.bob, "claim_task", TaskMsg{2}, 200).OK(t)
	failsWith(t, n.exec(n.bob, "complete_task", AttestationMsg{Task: 2, Attestation: good}, 0), "was already used (task 1)")
}

// TestUsageTask: tasks opened by the meter's attested operating hours.
func TestUsageTask(t *testing.T) {
	n := newNetwork(t)
	tpl := n.addTemplate(n.usageSpec(), 3000) // thresholds 600, 1100, 1600, …
	failsWith(t, n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0), "template 1 falls due by usage: use report_usage")
	report := func(id AttestationID) *sdktest.Result {
		return n.exec(n.anon, "report_usage", AttestationMsg{Template: tpl, Attestation: id}, 0)
	}
	failsWith(t, n.exec(n.anon, "report_usage", AttestationMsg{Template: 9, Attestation: AttestationID{1}}, 0), "template 9 does not exist")
	failsWith(t, report(AttestationID{1}), "is not on chain (submit it first)")
	failsWith(t, report(n.hours("599")), "counter 599 has not reached the next threshold 600")
	failsWith(t, report(n.hours("100")), "counter 100 does not exceed the last reported 100")
	for _, p := range []string{`nope`, `{}`, `{"hours": 700}`, `{"hours": "-5"}`, `{"hours": "+700"}`, `{"hours": "7e2"}`,
		`{"hours": "18446744073709551616"}`, `{"hours": ""}`, `{"hours": null}`, `{"minutes": "700"}`, `["700"]`} {
		failsWith(t, report(n.attest(n.meterKey, "hours", p)), `payload: want a JSON object with "hours" a decimal string`)
	}
	failsWith(t, report(n.attest(n.camKey, "hours", `{"hours": "700"}`)), "is from device "+n.cam.String()+", not the template's usage device "+n.meter.String())
	failsWith(t, report(n.attest(n.foreignKey, "hours", `{"hours": "700"}`)), "not the template's usage device")
	failsWith(t, report(n.attest(n.meterKey, "minutes", `{"hours": "700"}`)), `is of kind "minutes", not "hours"`)

	// Other fields are ignored; a reading that skips thresholds opens one task.
	reading := n.attest(n.meterKey, "hours", `{"kwh": 12, "hours": "1750"}`)
	r := report(reading).OK(t)
	wantEvents(t, r, "open")
	if attr(t, r, "open", "counter") != "1750" || attr(t, r, "open", "attestation") != reading.String() {
		t.Fatalf("open event %+v", r.Events)
	}
	task := n.task(sdktest.Decode[IDResponse](t, r).ID)
	if task.Counter != 1750 || *task.Reading != reading || task.Status != statusOpen || task.Due != n.now() {
		t.Fatalf("task %+v", task)
	}
	if tt := n.template(tpl); tt.LastCounter != 1750 || tt.NextThreshold != 2100 || tt.Opened != 1 || tt.Escrow != amt(2000) {
		t.Fatalf("template %+v", tt)
	}
	failsWith(t, report(reading), "attestation "+reading.String()+" was already used (task 1)")
	failsWith(t, report(n.hours("2099")), "has not reached the next threshold 2100")

	// The usage task is claimed and proven like any other.
	n.claimAndProve(n.bob, 1)
	n.advance(window)
	n.exec(n.anon, "finalize_task", TaskMsg{1}, 0).OK(t)

	// Inactive templates open nothing; active again, they do.
	n.exec(n.admin, "set_template_active", ActiveMsg{tpl, false}, 0).OK(t)
	at2100 := n.hours("2100")
	failsWith(t, report(at2100), "template 1 is not active")
	n.exec(n.admin, "set_template_active", ActiveMsg{tpl, true}, 0).OK(t)
	report(at2100).OK(t)
	// The escrow ran out: 3000 − 2 rewards = 1000 covers one more.
	report(n.hours("2600")).OK(t)
	failsWith(t, report(n.hours("3100")), "escrow 0 does not cover its reward 1000")
	// Thresholds near the top of the counter's range saturate rather than wrap.
	hi := n.usageSpec()
	hi.Usage.Start, hi.Usage.Every = 1<<64-1001, 500
	top := n.addTemplate(hi, 1000)
	n.exec(n.anon, "report_usage", AttestationMsg{Template: top, Attestation: n.hours("18446744073709551615")}, 0).OK(t)
	if tt := n.template(top); tt.NextThreshold != 1<<64-1 || tt.LastCounter != 1<<64-1 {
		t.Fatalf("template %+v", tt)
	}
	failsWith(t, n.exec(n.anon, "report_usage", AttestationMsg{Template: top, Attestation: n.hours("18446744073709551615")}, 0), "does not exceed the last reported")
	// A revoked meter's readings are not trusted.
	n.exec(n.admin, "fund_template", TemplateMsg{tpl}, 1000).OK(t)
	last := n.hours("3100")
	n.c.RevokeDevice(n.meter)
	failsWith(t, report(last), "device "+n.meter.String()+" is revoked")
}

// TestInspection: an inspector's co-signature, before or after the proof,
// and an inspector's dispute.
func TestInspection(t *testing.T) {
	n := newNetwork(t)
	s := n.timeSpec()
	s.Inspector = &n.inspector
	tpl := n.addTemplate(s, 5000)
	plain := n.addTemplate(n.timeSpec(), 1000)

	// Inspection first.
	n.openTimeTask(tpl)
	failsWith(t, n.exec(n.inspector, "claim_task", TaskMsg{1}, 200), "the inspector may not operate task 1")
	failsWith(t, n.exec(n.inspector, "inspect_task", TaskMsg{1}, 0), "task 1 is not claimed (it is open)")
	failsWith(t, n.exec(n.inspector, "inspect_task", TaskMsg{9}, 0), "task 9 does not exist")
	n.exec(n.alice, "claim_task", TaskMsg{1}, 200).OK(t)
	failsWith(t, n.exec(n.bob, "inspect_task", TaskMsg{1}, 0), "only the inspector "+n.inspector.String()+" may inspect task 1")
	failsWith(t, n.exec(n.admin, "inspect_task", TaskMsg{1}, 0), "only the inspector")
	wantEvents(t, n.exec(n.inspector, "inspect_task", TaskMsg{1}, 0).OK(t), "inspect")
	if task := n.task(1); !task.Inspected || task.Status != statusClaimed {
		t.Fatalf("task %+v", task)
	}
	failsWith(t, n.exec(n.inspector, "inspect_task", TaskMsg{1}, 0), "task 1 is already inspected")
	n.advance(1000)
	r := n.exec(n.alice, "complete_task", AttestationMsg{Task: 1, Attestation: n.attest(n.camKey, "service", "")}, 0).OK(t)
	wantEvents(t, r, "proof", "review")
	n.advance(window)
	n.exec(n.anon, "finalize_task", TaskMsg{1}, 0).OK(t)

	// Proof first: the task waits for the inspector, deadline or not.
	id := n.openTimeTask(tpl)
	wantEvents(t, n.claimAndProve(n.alice, id), "proof")
	if task := n.task(id); task.Status != statusClaimed || task.Proof == nil {
		t.Fatalf("task %+v", task)
	}
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: id, Attestation: n.attest(n.camKey, "service", "again")}, 0), "task 2 already has its proof")
	failsWith(t, n.exec(n.anon, "finalize_task", TaskMsg{id}, 0), "task 2 is not in review (it is claimed)")
	n.advance(grace + 1)
	failsWith(t, n.exec(n.anon, "slash_overdue", TaskMsg{id}, 0), "task 2 has its proof: it is not overdue")
	r = n.exec(n.inspector, "inspect_task", TaskMsg{id}, 0).OK(t)
	wantEvents(t, r, "inspect", "review")
	if task := n.task(id); task.ReviewEnds != n.now()+window {
		t.Fatalf("task %+v", task)
	}
	n.advance(window)
	n.exec(n.anon, "finalize_task", TaskMsg{id}, 0).OK(t)

	// The inspector rejects a proof instead: the bond is slashed and the
	// task reopens.
	id = n.openTimeTask(tpl)
	n.claimAndProve(n.bob, id)
	r = n.exec(n.inspector, "dispute_task", DisputeMsg{Task: id, Reason: "the photo shows dirty panels"}, 0).OK(t)
	wantEvents(t, r, "dispute", "reopen")
	if attr(t, r, "dispute", "by") != n.inspector.String() || attr(t, r, "dispute", "slashed") != "200" {
		t.Fatalf("dispute event %+v", r.Events)
	}
	if task := n.task(id); task.Status != statusOpen || task.Operator != nil || task.Proof != nil || task.Inspected || task.Slashes != 1 {
		t.Fatalf("task %+v", task)
	}

	// A template without an inspector needs no inspection.
	pid := n.openTimeTask(plain)
	n.exec(n.alice, "claim_task", TaskMsg{pid}, 200).OK(t)
	failsWith(t, n.exec(n.inspector, "inspect_task", TaskMsg{pid}, 0), "task 4 needs no inspection")
	// …and its inspector-less tasks cannot be disputed by another
	// template's inspector.
	n.advance(1000)
	n.exec(n.alice, "complete_task", AttestationMsg{Task: pid, Attestation: n.attest(n.camKey, "service", "")}, 0).OK(t)
	failsWith(t, n.exec(n.inspector, "dispute_task", DisputeMsg{Task: pid, Reason: "no"}, 0), "only the admin or task 4's inspector")
}

// TestDisputes: the admin's disputes, what they cannot reach, and the
// treasury the slashed bonds go to.
func TestDisputes(t *testing.T) {
	n := newNetwork(t)
	tpl := n.addTemplate(n.timeSpec(), 1000)
	id := n.openTimeTask(tpl)
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: "why"}, 0), "task 1 has nothing to dispute (it is open)")
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: 9, Reason: "why"}, 0), "task 9 does not exist")
	n.exec(n.alice, "claim_task", TaskMsg{id}, 200).OK(t)
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: "why"}, 0), "task 1 has no proof to dispute (slash_overdue handles missed deadlines)")
	n.advance(1000)
	proof := n.attest(n.camKey, "service", "")
	n.exec(n.alice, "complete_task", AttestationMsg{Task: id, Attestation: proof}, 0).OK(t)
	failsWith(t, n.exec(n.bob, "dispute_task", DisputeMsg{Task: id, Reason: "why"}, 0), "only the admin or task 1's inspector may dispute it")
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id}, 0), "reason: 1 to 256 bytes")
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: strings.Repeat("x", 257)}, 0), "reason: 1 to 256 bytes")
	if got := query[[]Task](n, "operator_tasks", OperatorTasksMsg{Address: n.alice}); len(got) != 1 {
		t.Fatalf("alice's tasks: %+v", got)
	}
	n.advance(window - 1)
	r := n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: "the panels were not cleaned"}, 0).OK(t)
	wantEvents(t, r, "dispute", "reopen")
	if attr(t, r, "dispute", "reason") != "the panels were not cleaned" || attr(t, r, "reopen", "deadline") != u(n.now()+grace) {
		t.Fatalf("events %+v", r.Events)
	}
	task := n.task(id)
	if task.Status != statusOpen || task.Due != n.now() || task.Deadline != n.now()+grace || task.Reward != amt(1000) || task.ReviewEnds != 0 {
		t.Fatalf("task %+v", task)
	}
	if o := n.operator(n.alice); o.Slashed != amt(200) || !o.Locked.IsZero() || !o.Bond.IsZero() {
		t.Fatalf("alice %+v", o)
	}
	if got := query[[]Task](n, "operator_tasks", OperatorTasksMsg{Address: n.alice}); len(got) != 0 {
		t.Fatalf("alice's tasks after the dispute: %+v", got)
	}
	if cfg := query[ConfigResponse](n, "config", nil); cfg.Treasury != amt(200) || cfg.Escrow != amt(1000) {
		t.Fatalf("config %+v", cfg)
	}

	// Another operator takes the reopened task; the disputed proof is spent.
	n.exec(n.bob, "claim_task", TaskMsg{id}, 200).OK(t)
	failsWith(t, n.exec(n.bob, "complete_task", AttestationMsg{Task: id, Attestation: proof}, 0), "already used (task 1)")
	n.advance(1000)
	n.exec(n.bob, "complete_task", AttestationMsg{Task: id, Attestation: n.attest(n.camKey, "service", "redo")}, 0).OK(t)
	n.advance(window)
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: "late"}, 0), "task 1's dispute window closed at")
	n.exec(n.bob, "finalize_task", TaskMsg{id}, 0).OK(t)
	failsWith(t, n.exec(n.admin, "dispute_task", DisputeMsg{Task: id, Reason: "late"}, 0), "task 1 has nothing to dispute (it is done)")
	if got := n.c.Balance(n.bob); got != amt(startBalance-200+1000) {
		t.Fatalf("bob holds %s", got)
	}

	// The treasury: the admin's only.
	failsWith(t, n.exec(n.bob, "withdraw_treasury", WithdrawMsg{n.bob, amt(1)}, 0), "only the admin")
	failsWith(t, n.exec(n.admin, "withdraw_treasury", WithdrawMsg{n.carol, amt(0)}, 0), "amount must be positive")
	failsWith(t, n.exec(n.admin, "withdraw_treasury", WithdrawMsg{Amount: amt(1)}, 0), "to: an address is required")
	failsWith(t, n.exec(n.admin, "withdraw_treasury", WithdrawMsg{n.carol, amt(201)}, 0), "the treasury holds only 200")
	wantEvents(t, n.exec(n.admin, "withdraw_treasury", WithdrawMsg{n.carol, amt(150)}, 0).OK(t), "treasury_withdraw")
	if n.c.Balance(n.carol) != amt(startBalance+150) || query[ConfigResponse](n, "config", nil).Treasury != amt(50) {
		t.Fatal("treasury withdrawal")
	}
}

// TestOverdue: a missed deadline slashes the bond; an unclaimed task past
// its deadline falls due again when claimed.
func TestOverdue(t *testing.T) {
	n := newNetwork(t)
	tpl := n.addTemplate(n.timeSpec(), 1000)
	id := n.openTimeTask(tpl)
	deadline := n.task(id).Deadline
	failsWith(t, n.exec(n.anon, "slash_overdue", TaskMsg{id}, 0), "task 1 is not claimed (it is open)")
	failsWith(t, n.exec(n.anon, "slash_overdue", TaskMsg{9}, 0), "task 9 does not exist")
	n.exec(n.alice, "claim_task", TaskMsg{id}, 200).OK(t)
	overdue := func() []Task { return query[[]Task](n, "tasks", TasksMsg{Status: "overdue"}) }
	n.c.SetBlock(n.c.Block().Height+1, deadline)
	failsWith(t, n.exec(n.anon, "slash_overdue", TaskMsg{id}, 0), "task 1 is not overdue until after "+u(deadline))
	if len(overdue()) != 0 {
		t.Fatal("overdue at its deadline")
	}
	late := n.attest(n.camKey, "service", "")
	n.advance(1)
	if got := overdue(); len(got) != 1 || got[0].ID != id {
		t.Fatalf("overdue: %+v", got)
	}
	failsWith(t, n.exec(n.alice, "complete_task", AttestationMsg{Task: id, Attestation: late}, 0), "task 1's deadline "+u(deadline)+" has passed")
	r := n.exec(n.anon, "slash_overdue", TaskMsg{id}, 0).OK(t)
	wantEvents(t, r, "slash", "reopen")
	if attr(t, r, "slash", "operator") != n.alice.String() || attr(t, r, "slash", "slashed") != "200" {
		t.Fatalf("slash event %+v", r.Events)
	}
	task := n.task(id)
	if task.Status != statusOpen || task.Due != n.now() || task.Deadline != n.now()+grace || task.Slashes != 1 {
		t.Fatalf("reopened %+v", task)
	}
	if len(overdue()) != 0 {
		t.Fatal("a reopened task is overdue")
	}
	// Nobody claims it in time: it is overdue, open; a claim renews it.
	n.advance(grace + 1)
	if got := overdue(); len(got) != 1 || got[0].Status != statusOpen {
		t.Fatalf("overdue: %+v", got)
	}
	r = n.exec(n.bob, "claim_task", TaskMsg{id}, 200).OK(t)
	if task = n.task(id); task.Due != n.now() || task.Deadline != n.now()+grace || attr(t, r, "claim", "deadline") != u(task.Deadline) {
		t.Fatalf("renewed %+v", task)
	}
	if len(overdue()) != 0 {
		t.Fatal("a renewed task is overdue")
	}
	// The late attestation was made before the task fell due again.
	failsWith(t, n.exec(n.bob, "complete_task", AttestationMsg{Task: id, Attestation: late}, 0), "not after task 1 fell due")
	// Proven at the deadline exactly: in time.
	n.c.SetBlock(n.c.Block().Height+1, task.Deadline)
	n.exec(n.bob, "complete_task", AttestationMsg{Task: id, Attestation: n.attest(n.camKey, "service", "")}, 0).OK(t)
	if cfg := query[ConfigResponse](n, "config", nil); cfg.Treasury != amt(200) {
		t.Fatalf("treasury %s", cfg.Treasury)
	}
}

func TestCancel(t *testing.T) {
	n := newNetwork(t)
	tpl := n.addTemplate(n.timeSpec(), 2000)
	id := n.openTimeTask(tpl)
	failsWith(t, n.exec(n.alice, "cancel_task", TaskMsg{id}, 0), "only the admin")
	failsWith(t, n.exec(n.admin, "cancel_task", TaskMsg{9}, 0), "task 9 does not exist")
	r := n.exec(n.admin, "cancel_task", TaskMsg{id}, 0).OK(t)
	wantEvents(t, r, "cancel")
	if n.task(id).Status != statusCancelled || n.template(tpl).Escrow != amt(2000) {
		t.Fatal("cancel did not return the reward to the escrow")
	}
	failsWith(t, n.exec(n.admin, "cancel_task", TaskMsg{id}, 0), "task 1 is not open (it is cancelled)")
	failsWith(t, n.exec(n.alice, "claim_task", TaskMsg{id}, 200), "task 1 is not open (it is cancelled)")
	id = n.openTimeTask(tpl)
	n.exec(n.alice, "claim_task", TaskMsg{id}, 200).OK(t)
	failsWith(t, n.exec(n.admin, "cancel_task", TaskMsg{id}, 0), "task 2 is not open (it is claimed)")
	if got := query[[]Task](n, "tasks", TasksMsg{Status: "cancelled"}); len(got) != 1 || got[0].ID != 1 {
		t.Fatalf("cancelled: %+v", got)
	}
}

// TestQueries: the task lists by status, asset and template, with
// paging, and an operator's tasks.
func TestQueries(t *testing.T) {
	n := newNetwork(t)
	n.exec(n.admin, "register_asset", AssetMsg{Name: "Hotspot", Devices: []sdk.DeviceID{n.foreign}}, 0).OK(t)
	a1, a2 := n.timeSpec(), n.timeSpec()
	a2.Asset = 2
	t1 := n.addTemplate(a1, 10_000) // asset 1
	t2 := n.addTemplate(a2, 10_000) // asset 2
	t3 := n.addTemplate(a1, 10_000) // asset 1
	// Tasks 1–6: t1, t2, t3, then t1, t2, t3 an hour later.
	for range 2 {
		n.advance(hour)
		for _, tpl := range []uint64{t1, t2, t3} {
			n.exec(n.anon, "open_due", TemplateMsg{tpl}, 0).OK(t)
		}
	}
	n.claimAndProve(n.alice, 1) // review
	n.exec(n.bob, "claim_task", TaskMsg{2}, 200).OK(t)
	n.exec(n.alice, "claim_task", TaskMsg{6}, 200).OK(t)
	n.exec(n.admin, "cancel_task", TaskMsg{5}, 0).OK(t)
	n.advance(window)
	n.exec(n.anon, "finalize_task", TaskMsg{1}, 0).OK(t) // done

	ids := func(m TasksMsg) (out []uint64) {
		t.Helper()
		for _, t := range query[[]Task](n, "tasks", m) {
			out = append(out, t.ID)
		}
		return out
	}
	// Lists are ordered by asset, template, task: 3, 4 (asset 1, t1 done
	// first is gone), 6 (t3), then 2, 5 (asset 2).
	for _, c := range []struct {
		m    TasksMsg
		want []uint64
	}{
		{TasksMsg{Status: "due"}, []uint64{4, 3}},
		{TasksMsg{Status: "due", Limit: 1}, []uint64{4}},
		{TasksMsg{Status: "due", After: 4}, []uint64{3}},
		{TasksMsg{Status: "due", Asset: 2}, nil},
		{TasksMsg{Status: "claimed"}, []uint64{6, 2}},
		{TasksMsg{Status: "claimed", Asset: 1}, []uint64{6}},
		{TasksMsg{Status: "claimed", Template: t2}, []uint64{2}},
		{TasksMsg{Status: "claimed", Template: t2, Asset: 2}, []uint64{2}},
		{TasksMsg{Status: "completed"}, []uint64{1}},
		{TasksMsg{Status: "completed", Template: t3}, nil},
		{TasksMsg{Status: "cancelled", Asset: 2}, []uint64{5}},
		{TasksMsg{Status: "review"}, nil},
		// Task 3 opened an hour before task 6 and nobody claimed it; task 2
		// was claimed after its deadline, which renewed it.
		{TasksMsg{Status: "overdue"}, []uint64{3}},
	} {
		if got := ids(c.m); !slices.Equal(got, c.want) {
			t.Errorf("tasks %+v: %v, want %v", c.m, got, c.want)
		}
	}
	// Past every deadline: the open and the claimed tasks are overdue.
	n.advance(grace)
	for _, c := range []struct {
		m    TasksMsg
		want []uint64
	}{
		{TasksMsg{Status: "overdue"}, []uint64{4, 3, 6, 2}},
		{TasksMsg{Status: "overdue", After: 3, Limit: 1}, []uint64{6}},
		{TasksMsg{Status: "overdue", Asset: 2}, []uint64{2}},
		{TasksMsg{Status: "overdue", Template: t1}, []uint64{4}},
	} {
		if got := ids(c.m); !slices.Equal(got, c.want) {
			t.Errorf("tasks %+v: %v, want %v", c.m, got, c.want)
		}
	}
	for _, c := range []struct {
		m    TasksMsg
		want string
	}{
		{TasksMsg{Status: "late"}, "status: one of due, overdue"},
		{TasksMsg{}, "status: one of"},
		{TasksMsg{Status: "due", Template: t2, Asset: 1}, "template 2 is not of asset 1"},
		{TasksMsg{Status: "due", Template: 9}, "template 9 does not exist"},
		{TasksMsg{Status: "due", After: 99}, "task 99 does not exist"},
	} {
		failsWith(t, n.c.Query(n.m, "tasks", c.m), c.want)
	}
	failsWith(t, n.c.Query(n.m, "task", TaskMsg{99}), "task 99 does not exist")

	// An operator's tasks: held or finished, in id order, paged.
	optasks := func(m OperatorTasksMsg) (out []uint64) {
		for _, t := range query[[]Task](n, "operator_tasks", m) {
			out = append(out, t.ID)
		}
		return out
	}
	if got := optasks(OperatorTasksMsg{Address: n.alice}); !slices.Equal(got, []uint64{1, 6}) {
		t.Fatalf("alice's tasks %v", got)
	}
	if got := optasks(OperatorTasksMsg{Address: n.alice, After: 1, Limit: 5}); !slices.Equal(got, []uint64{6}) {
		t.Fatalf("alice's tasks after 1: %v", got)
	}
	if got := optasks(OperatorTasksMsg{Address: n.alice, Limit: 1}); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("alice's first task: %v", got)
	}
	if got := optasks(OperatorTasksMsg{Address: n.carol}); len(got) != 0 {
		t.Fatalf("carol's tasks %v", got)
	}
	if o := n.operator(n.alice); o.Address != n.alice || o.Locked != amt(200) || o.Bond != amt(200) || o.Done != 1 {
		t.Fatalf("alice %+v", o)
	}
	// A query cannot write.
	n.advance(hour)
	n.c.Query(n.m, "open_due", TemplateMsg{t1}).Fails(t, 11)
}

// TestAccounting: a random walk over every message, with the funds
// audited after each call (network.exec): the contract's balance is
// always escrow + bonds + treasury, to the token.
func TestAccounting(t *testing.T) {
	n := newNetwork(t)
	s := n.timeSpec()
	s.Inspector = &n.inspector
	s.Reward, s.Bond = amt(777), amt(131)
	timed := n.addTemplate(s, 5000)
	us := n.usageSpec()
	us.Reward, us.Bond = amt(400), amt(90)
	usage := n.addTemplate(us, 1000)
	ops := []sdk.Address{n.alice, n.bob, n.carol}
	rng := rand.New(rand.NewPCG(3, 5))
	counter := uint64(100)
	outcomes := map[string]int{}
	for step := range 600 {
		op := ops[rng.IntN(len(ops))]
		cfg := query[ConfigResponse](n, "config", nil)
		task := uint64(0)
		if cfg.Tasks > 0 {
			task = rng.Uint64N(cfg.Tasks) + 1
		}
		// Half the time, a task in the state the message wants.
		pick := func(status string) uint64 {
			if ts := query[[]Task](n, "tasks", TasksMsg{Status: status}); len(ts) > 0 && rng.IntN(2) == 0 {
				return ts[rng.IntN(len(ts))].ID
			}
			return task
		}
		var method string
		var r *sdktest.Result
		switch rng.IntN(14) {
		case 0:
			n.advance(rng.Uint64N(hour))
			continue
		case 1:
			method, r = "open_due", n.exec(n.anon, "open_due", TemplateMsg{timed}, 0)
		case 2:
			counter += rng.Uint64N(400)
			method, r = "report_usage", n.exec(n.anon, "report_usage", AttestationMsg{Template: usage, Attestation: n.hours(u(counter))}, 0)
		case 3:
			method, r = "claim_task", n.exec(op, "claim_task", TaskMsg{pick("due")}, rng.Uint64N(2)*150)
		case 4, 5:
			n.advance(rng.Uint64N(2000))
			task = pick("claimed")
			holder := op
			if task != 0 {
				if t := n.task(task); t.Operator != nil {
					holder = *t.Operator
				}
			}
			method, r = "complete_task", n.exec(holder, "complete_task", AttestationMsg{Task: task, Attestation: n.attest(n.camKey, "service", "")}, 0)
		case 6:
			method, r = "inspect_task", n.exec(n.inspector, "inspect_task", TaskMsg{pick("claimed")}, 0)
		case 7:
			method, r = "finalize_task", n.exec(op, "finalize_task", TaskMsg{pick("review")}, 0)
		case 8:
			by := n.admin
			if rng.IntN(2) == 0 {
				by = n.inspector
			}
			method, r = "dispute_task", n.exec(by, "dispute_task", DisputeMsg{Task: pick("review"), Reason: "random"}, 0)
		case 9:
			method, r = "slash_overdue", n.exec(op, "slash_overdue", TaskMsg{pick("overdue")}, 0)
		case 10:
			if rng.IntN(2) == 0 {
				method, r = "post_bond", n.exec(op, "post_bond", nil, rng.Uint64N(300))
			} else {
				method, r = "withdraw_bond", n.exec(op, "withdraw_bond", AmountMsg{amt(rng.Uint64N(300))}, 0)
			}
		case 11:
			tpl := timed + rng.Uint64N(2)
			if rng.IntN(2) == 0 {
				method, r = "fund_template", n.exec(n.admin, "fund_template", TemplateMsg{tpl}, rng.Uint64N(2000))
			} else {
				method, r = "defund_template", n.exec(n.admin, "defund_template", DefundMsg{tpl, amt(rng.Uint64N(1000))}, 0)
			}
		case 12:
			method, r = "cancel_task", n.exec(n.admin, "cancel_task", TaskMsg{pick("due")}, 0)
		case 13:
			method, r = "withdraw_treasury", n.exec(n.admin, "withdraw_treasury", WithdrawMsg{n.carol, amt(rng.Uint64N(300))}, 0)
		}
		if r.Code == 0 {
			outcomes[method]++
		} else if r.Code != 9 {
			t.Fatalf("step %d: %s failed with code %d: %s", step, method, r.Code, r.Message)
		}
	}
	for _, m := range []string{"open_due", "report_usage", "claim_task", "complete_task", "inspect_task", "finalize_task",
		"dispute_task", "slash_overdue", "post_bond", "withdraw_bond", "fund_template", "defund_template", "cancel_task", "withdraw_treasury"} {
		if outcomes[m] == 0 {
			t.Errorf("the random walk never succeeded at %s", m)
		}
	}
	t.Logf("successes: %v", outcomes)
}
