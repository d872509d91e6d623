package sdktest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
)

// deployStore instantiates the store contract for alice.
func deployStore(t *testing.T, c *sdktest.Chain, alice sdk.Address) sdk.Address {
	t.Helper()
	store, r := c.Instantiate(alice, storeContract, "shop", 0)
	r.OK(t)
	return store
}

func TestInstantiate(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	c.Fund(alice, 1000)

	store, r := c.Instantiate(alice, storeContract, "shop", 300)
	r.OK(t)
	// The chain's address for alice's first contract, then her second.
	if want := address.Contract(address.Address(alice), 0); store != sdk.Address(want) {
		t.Fatalf("address %s, want %s", store, want)
	}
	if len(r.Events) != 2 || r.Events[0].Type != "instantiate" || r.Events[1].Type != "created" {
		t.Fatalf("events %+v", r.Events)
	}
	if v, _ := r.Events[0].Attr("contract"); !bytes.Equal(v, store[:]) {
		t.Fatalf("instantiate event names %x", v)
	}
	if got := c.Balance(store); got != sdk.NewAmount(300) {
		t.Fatalf("contract balance %s", got)
	}
	if got := c.Balance(alice); got != sdk.NewAmount(700) {
		t.Fatalf("alice balance %s", got)
	}
	if name := sdktest.Decode[string](t, c.Query(store, "name", nil)); name != "shop" {
		t.Fatalf("name %q", name)
	}

	// init is not a method anyone may call later.
	c.Execute(alice, store, "init", "again", 0).Fails(t, 7)

	// A failed instantiation leaves nothing: the next one gets its address.
	_, r = c.Instantiate(alice, storeContract, "too rich", 10_000)
	r.Fails(t, 2)
	second, r := c.Instantiate(alice, failerContract, nil, 0) // no init: just created
	r.OK(t)
	if want := address.Contract(address.Address(alice), 1); second != sdk.Address(want) {
		t.Fatalf("second address %s, want %s", second, want)
	}
}

func TestCallsAndFunds(t *testing.T) {
	c := sdktest.New(t)
	alice, bob := c.Account("alice"), c.Account("bob")
	c.Fund(alice, 100)
	store := deployStore(t, c, alice)

	got := sdktest.Decode[fundsOut](t, c.Execute(alice, store, "funds", nil, 40))
	want := fundsOut{Funds: sdk.NewAmount(40), Balance: sdk.NewAmount(40), Caller: alice, Origin: alice, Self: store}
	if got != want {
		t.Fatalf("funds: %+v, want %+v", got, want)
	}
	c.Execute(alice, store, "funds", nil, 61).Fails(t, 2)
	if c.Balance(alice) != sdk.NewAmount(60) {
		t.Fatalf("alice balance %s after a refused call", c.Balance(alice))
	}

	c.Execute(bob, store, "pay", payIn{To: bob, Amount: sdk.NewAmount(15)}, 0).OK(t)
	if c.Balance(bob) != sdk.NewAmount(15) || c.Balance(store) != sdk.NewAmount(25) {
		t.Fatalf("after paying bob: bob %s, store %s", c.Balance(bob), c.Balance(store))
	}
	r := c.Execute(bob, store, "pay", payIn{To: bob, Amount: sdk.NewAmount(26)}, 0).Fails(t, 2)
	if r.Message != "insufficient funds" {
		t.Fatalf("message %q", r.Message)
	}

	c.Execute(alice, bob, "pay", nil, 0).Fails(t, 6)
	c.Execute(alice, store, "no_such", nil, 0).Fails(t, 7)
	c.Execute(alice, store, "_start", nil, 0).Fails(t, 7)
	c.Execute(alice, store, "put", "not an object", 0).Fails(t, 9)
}

func TestStorageAndScan(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	store := deployStore(t, c, alice)
	for _, k := range []string{"b2", "a2", "a1", "b1", "a3"} {
		r := c.Execute(alice, store, "put", putIn{Key: k, Value: "v" + k}, 0).OK(t)
		ev := r.Events[0]
		if ev.Type != "put" || ev.Attributes[0].Key != "_contract" || !bytes.Equal(ev.Attributes[0].Value, store[:]) {
			t.Fatalf("event %+v: want _contract first, naming the store", ev)
		}
	}
	if v := sdktest.Decode[*string](t, c.Query(store, "get", "a2")); v == nil || *v != "va2" {
		t.Fatalf("get a2: %v", v)
	}
	if v := sdktest.Decode[*string](t, c.Query(store, "get", "zz")); v != nil {
		t.Fatalf("get zz: %q", *v)
	}

	after := func(s string) *string { return &s }
	for _, tc := range []struct {
		in   scanIn
		want []string
	}{
		{scanIn{}, []string{"a1", "a2", "a3", "b1", "b2"}},
		{scanIn{Prefix: "a"}, []string{"a1", "a2", "a3"}},
		{scanIn{Prefix: "a", After: after("a1")}, []string{"a2", "a3"}},
		{scanIn{Prefix: "a", Reverse: true}, []string{"a3", "a2", "a1"}},
		{scanIn{Prefix: "a", Reverse: true, After: after("a3")}, []string{"a2", "a1"}},
		{scanIn{After: after("a3")}, []string{"b1", "b2"}},
		{scanIn{Reverse: true, After: after("b1")}, []string{"a3", "a2", "a1"}},
		{scanIn{Prefix: "c"}, []string{}},
	} {
		got := sdktest.Decode[[]string](t, c.Query(store, "scan", tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("scan %+v: %v, want %v", tc.in, got, tc.want)
		}
	}

	// The host's range itself: keys in byte order after start, up to the
	// limit; keys only gives no values.
	prefix := append([]byte{7}, "entries"...)
	entries := sdktest.Decode[[]sdk.Entry](t, c.Query(store, "range", rangeIn{Prefix: prefix, Start: append(bytes.Clone(prefix), "a1"...), Limit: 2}))
	if len(entries) != 2 || string(entries[0].Key) != string(prefix)+"a2" || string(entries[1].Key) != string(prefix)+"a3" || string(entries[0].Value) != `"va2"` {
		t.Fatalf("range: %q", entries)
	}
	entries = sdktest.Decode[[]sdk.Entry](t, c.Query(store, "range", rangeIn{Prefix: prefix, Limit: 10, Reverse: true, KeysOnly: true}))
	if len(entries) != 5 || string(entries[0].Key) != string(prefix)+"b2" || entries[0].Value != nil {
		t.Fatalf("reverse keys-only range: %q", entries)
	}
	c.Query(store, "range", rangeIn{Limit: 1025}).Fails(t, 11)

	// More entries than the SDK fetches at once: the scan goes on past
	// each batch, in order.
	c.Execute(alice, store, "fill", 150, 0).OK(t)
	keys := sdktest.Decode[[]string](t, c.Query(store, "scan", scanIn{Prefix: "n"}))
	if len(keys) != 150 || keys[0] != "n1000" || keys[149] != "n1149" || !slices.IsSorted(keys) {
		t.Fatalf("scan of 150: %d keys, %v … %v", len(keys), keys[:2], keys[len(keys)-2:])
	}
	keys = sdktest.Decode[[]string](t, c.Query(store, "scan", scanIn{Prefix: "n", Reverse: true, After: after("n1100")}))
	if len(keys) != 100 || keys[0] != "n1099" || keys[99] != "n1000" {
		t.Fatalf("reverse scan from n1100: %d keys", len(keys))
	}
}

func TestQueryIsReadOnly(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	store := deployStore(t, c, alice)

	// A query of a method that writes ends at the write.
	r := c.Query(store, "put", putIn{Key: "k", Value: "v"}).Fails(t, 11)
	if !strings.Contains(r.Message, "storage_write") || !strings.HasPrefix(r.Message, hostfns.ErrReadOnly.Error()) {
		t.Fatalf("message %q", r.Message)
	}
	// A query's caller and origin are nobody.
	c.Query(store, "funds", nil).OK(t)
	if got := sdktest.Decode[fundsOut](t, c.Query(store, "funds", nil)); !got.Caller.IsZero() || !got.Origin.IsZero() {
		t.Fatalf("query caller %s origin %s", got.Caller, got.Origin)
	}
	// A method declared with sdk.Query may not write, even in a
	// transaction: the SDK aborts a save, the host refuses an event.
	r = c.Execute(alice, store, "write_in_query", nil, 0).Fails(t, 9)
	if r.Message != "sdk: a Query method may not write" {
		t.Fatalf("message %q", r.Message)
	}
	c.Execute(alice, store, "emit_in_query", nil, 0).Fails(t, 11)
	if name := sdktest.Decode[string](t, c.Query(store, "name", nil)); name != "shop" {
		t.Fatalf("name changed to %q", name)
	}
}

func TestFailedCallRollsBackAndCallerGoesOn(t *testing.T) {
	c := sdktest.New(t)
	alice, carol := c.Account("alice"), c.Account("carol")
	c.Fund(alice, 100)
	store := deployStore(t, c, alice)
	failer, r := c.Instantiate(alice, failerContract, nil, 50)
	r.OK(t)
	c.Fund(store, 20)

	// The callee writes, emits, pays carol and receives 7 from the store,
	// then fails: none of that stays, and the store carries on.
	in := callIn{Contract: failer, Method: "work", Input: mustJSON(t, map[string]any{"pay_to": carol, "fail": true}), Funds: sdk.NewAmount(7)}
	r = c.Execute(alice, store, "call", in, 0).OK(t)
	out := sdktest.Decode[callOut](t, r)
	if out.Code != 9 || out.Message != "nope" {
		t.Fatalf("call returned %+v, want code 9 nope", out)
	}
	if len(r.Events) != 1 || r.Events[0].Type != "called" {
		t.Fatalf("events %+v: want only the caller's", r.Events)
	}
	if n := sdktest.Decode[uint64](t, c.Query(failer, "count", nil)); n != 0 {
		t.Fatalf("failer count %d after its failure", n)
	}
	if c.Balance(carol) != (sdk.Amount{}) || c.Balance(store) != sdk.NewAmount(20) || c.Balance(failer) != sdk.NewAmount(50) {
		t.Fatalf("balances: carol %s store %s failer %s", c.Balance(carol), c.Balance(store), c.Balance(failer))
	}
	if marks := sdktest.Decode[map[string]uint32](t, c.Query(store, "marks", nil)); marks["before"] != 1 || marks["after"] != 9 {
		t.Fatalf("marks %v", marks)
	}

	// The same call succeeding: the callee's writes, payment and event
	// stay, its event naming it, and the caller is the store.
	in.Input = mustJSON(t, map[string]any{"pay_to": carol})
	r = c.Execute(alice, store, "call", in, 0).OK(t)
	if out := sdktest.Decode[callOut](t, r); out.Code != 0 || string(out.Return) != "1" {
		t.Fatalf("call returned %+v", out)
	}
	if len(r.Events) != 2 || r.Events[0].Type != "worked" || r.Events[1].Type != "called" {
		t.Fatalf("events %+v", r.Events)
	}
	if v, _ := r.Events[0].Attr("_contract"); !bytes.Equal(v, failer[:]) {
		t.Fatalf("worked event from %x", v)
	}
	if c.Balance(carol) != sdk.NewAmount(5) || c.Balance(store) != sdk.NewAmount(13) || c.Balance(failer) != sdk.NewAmount(52) {
		t.Fatalf("balances: carol %s store %s failer %s", c.Balance(carol), c.Balance(store), c.Balance(failer))
	}

	// Funds the caller does not have: code 2 for the caller to handle.
	in.Funds = sdk.NewAmount(1000)
	if out := sdktest.Decode[callOut](t, c.Execute(alice, store, "call", in, 0)); out.Code != 2 {
		t.Fatalf("call with too much: %+v", out)
	}
	// A query of another contract may not write either.
	in = callIn{Contract: failer, Method: "work", Input: []byte("{}"), Query: true}
	if out := sdktest.Decode[callOut](t, c.Execute(alice, store, "call", in, 0)); out.Code != 11 {
		t.Fatalf("query that writes: %+v", out)
	}

	// A transaction that fails keeps nothing, its funds included.
	before := c.Balance(alice)
	c.Execute(alice, failer, "work", map[string]any{"fail": true}, 10).Fails(t, 9)
	if c.Balance(alice) != before {
		t.Fatalf("alice lost funds to a failed call")
	}
}

func TestReentryAndDepth(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	relays := make([]sdk.Address, 10)
	for i := range relays {
		var r *sdktest.Result
		relays[i], r = c.Instantiate(alice, relayContract, nil, 0)
		r.OK(t)
	}

	// Down a path of distinct contracts and back.
	out := sdktest.Decode[relayOut](t, c.Execute(alice, relays[0], "relay", relays[1:4], 0))
	if out.Code != 0 || out.Hops != 3 {
		t.Fatalf("path of 4: %+v", out)
	}
	// 0 → 1 → 0: the second call of 0 is refused, and 1 tells 0.
	out = sdktest.Decode[relayOut](t, c.Execute(alice, relays[0], "relay", []sdk.Address{relays[1], relays[0]}, 0))
	if out.Code != 12 || out.Message != "re-entrant call" {
		t.Fatalf("re-entry: %+v", out)
	}
	// Eight contracts on the stack is the most: the ninth is refused.
	out = sdktest.Decode[relayOut](t, c.Execute(alice, relays[0], "relay", relays[1:8], 0))
	if out.Code != 0 || out.Hops != 7 {
		t.Fatalf("depth 8: %+v", out)
	}
	out = sdktest.Decode[relayOut](t, c.Execute(alice, relays[0], "relay", relays[1:9], 0))
	if out.Code != 13 {
		t.Fatalf("depth 9: %+v", out)
	}
	if int(params.Version1().MaxCallDepth) != 8 {
		t.Fatalf("MaxCallDepth changed: update this test")
	}
}

func TestDispatchOrder(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	rec, r := c.Instantiate(alice, recorderContract, nil, 0)
	r.OK(t)

	// The root queues a (which queues a1) and b: each queued call runs
	// after the call that queued it, depth first, the recorder as its
	// caller (calling itself this way is not re-entry).
	in := recordIn{Tag: "root", Then: []recordIn{{Tag: "a", Then: []recordIn{{Tag: "a1"}}}, {Tag: "b"}}}
	r = c.Execute(alice, rec, "record", in, 0).OK(t)
	want := []string{"root", "a", "a1", "b"}
	if got := sdktest.Decode[[]string](t, c.Query(rec, "log", nil)); !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	var tags []string
	for i, ev := range r.Events {
		tag, _ := ev.Attr("tag")
		caller, _ := ev.Attr("caller")
		tags = append(tags, string(tag))
		wantCaller := rec
		if i == 0 {
			wantCaller = alice
		}
		if string(caller) != wantCaller.String() {
			t.Errorf("record %s called by %s, want %s", tag, caller, wantCaller)
		}
	}
	if !slices.Equal(tags, want) {
		t.Fatalf("event order %v", tags)
	}

	// A failing dispatched call fails the transaction, root and all.
	in = recordIn{Tag: "again", Then: []recordIn{{Tag: "ok"}, {Tag: "boom", Fail: true}}}
	r = c.Execute(alice, rec, "record", in, 0).Fails(t, 9)
	if r.Message != "record boom failed" || len(r.Events) != 0 {
		t.Fatalf("failed dispatch: %q, events %v", r.Message, r.Events)
	}
	if got := sdktest.Decode[[]string](t, c.Query(rec, "log", nil)); !slices.Equal(got, want) {
		t.Fatalf("log after failure %v", got)
	}
}

func TestMigrateAndAdmin(t *testing.T) {
	c := sdktest.New(t)
	alice, bob := c.Account("alice"), c.Account("bob")
	v, r := c.Instantiate(alice, versionOne, "first", 0, sdktest.WithAdmin(alice))
	r.OK(t)
	if s := sdktest.Decode[string](t, c.Query(v, "version", nil)); s != "1:first" {
		t.Fatalf("version %q", s)
	}
	c.Migrate(bob, v, versionTwo, "bob's").Fails(t, 14)
	c.Migrate(alice, v, versionTwo, "refuse").Fails(t, 9)
	if s := sdktest.Decode[string](t, c.Query(v, "version", nil)); s != "1:first" {
		t.Fatalf("after a refused migration: %q", s)
	}
	r = c.Migrate(alice, v, versionTwo, "second").OK(t)
	if len(r.Events) != 1 || r.Events[0].Type != "migrate" {
		t.Fatalf("events %+v", r.Events)
	}
	if s := sdktest.Decode[string](t, c.Query(v, "version", nil)); s != "2:first+second" {
		t.Fatalf("after migrating: %q", s)
	}

	// A contract as admin: it migrates by dispatch, hands the admin on,
	// and clears it; without the admin it is refused.
	adm, r := c.Instantiate(alice, adminContract, nil, 0)
	r.OK(t)
	w, r := c.Instantiate(alice, versionOne, "w", 0, sdktest.WithAdmin(adm))
	r.OK(t)
	c.Execute(bob, adm, "migrate_other", adminIn{Contract: w, CodeHash: c.Deploy(versionTwo)}, 0).OK(t)
	if s := sdktest.Decode[string](t, c.Query(w, "version", nil)); s != "2:w+by admin" {
		t.Fatalf("after migrating by dispatch: %q", s)
	}
	c.Execute(bob, adm, "migrate_other", adminIn{Contract: v, CodeHash: c.Deploy(versionOne)}, 0).Fails(t, 14)
	c.Execute(bob, adm, "migrate_other", adminIn{Contract: w, CodeHash: [32]byte{1}}, 0).Fails(t, 5)
	c.Execute(bob, adm, "set_admin", adminIn{Contract: w, Admin: bob}, 0).OK(t)
	if a, ok := c.AdminOf(w); !ok || a != bob {
		t.Fatalf("admin %s %v, want bob", a, ok)
	}
	c.Execute(bob, adm, "clear_admin", adminIn{Contract: w}, 0).Fails(t, 14)
	c.Migrate(bob, w, versionOne, nil).OK(t)
	c.Execute(alice, adm, "set_admin", adminIn{Contract: v, Admin: bob}, 0).Fails(t, 14)
}

func TestPrivileged(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	gov, r := c.Instantiate(alice, adminContract, nil, 0)
	r.OK(t)
	p := params.Version1()
	p.DeviceGas++
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	vs, err := canon.Marshal([]runtime.Validator{{PublicKey: bytes.Repeat([]byte{1}, 32), Power: 10, Name: "v"}})
	if err != nil {
		t.Fatal(err)
	}

	c.Execute(alice, gov, "set_params", adminIn{Encoded: enc, Height: 10}, 0).Fails(t, 15)
	c.SetGovernance(gov)
	c.Execute(alice, gov, "set_params", adminIn{Encoded: enc, Height: 1}, 0).Fails(t, 16) // not after this block
	c.Execute(alice, gov, "set_params", adminIn{Encoded: []byte{0x80}, Height: 10}, 0).Fails(t, 16)
	c.Execute(alice, gov, "set_params", adminIn{Encoded: enc, Height: 10}, 0).OK(t)
	if got, h, ok := c.Params(); !ok || h != 10 || !bytes.Equal(got, enc) {
		t.Fatalf("params at %d (%v)", h, ok)
	}
	c.Execute(alice, gov, "set_validators", adminIn{Encoded: []byte{0x80}}, 0).Fails(t, 16) // empty set
	c.Execute(alice, gov, "set_validators", adminIn{Encoded: vs}, 0).OK(t)
	if got, ok := c.Validators(); !ok || !bytes.Equal(got, vs) {
		t.Fatalf("validators %x (%v)", got, ok)
	}
	c.Query(gov, "set_validators", adminIn{Encoded: vs}).Fails(t, 11)
}

func TestDevicesAndAttestations(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	watcher, r := c.Instantiate(alice, watcherContract, nil, 0)
	r.OK(t)
	key := newKey(t, sigs.P256, 1)
	id := c.RegisterDevice(alice, key, "meter", []byte("roof"))
	if want := device.NewID(sigs.P256, key.Public().Bytes()); id != sdk.DeviceID(want) {
		t.Fatalf("id %s, want %s", id, want)
	}

	first, r := c.Attest(key, "temp", 1, []byte("21.5"))
	r.OK(t)
	c.NextBlock()
	_, r = c.Attest(key, "temp", 2, []byte("22.0"))
	r.OK(t)
	_, r = c.Attest(key, "hum", 3, []byte("40%"))
	r.OK(t)
	_, r = c.Attest(key, "temp", 2, []byte("22.0"))
	r.Fails(t, 28)

	v := sdktest.Decode[deviceView](t, c.Query(watcher, "view", deviceIn{ID: id, Kind: "temp", AttID: first, From: 1, To: 10, Limit: 10}))
	d := v.Device
	if !v.Found || d.ID != id || d.Owner != alice || d.KeyType != sdk.P256 || !bytes.Equal(d.PublicKey, key.Public().Bytes()) ||
		d.Kind != "meter" || string(d.Metadata) != "roof" || d.Revoked {
		t.Fatalf("device %+v", d)
	}
	if v.Latest == nil || v.Latest.Seq != 2 || string(v.Latest.Payload) != "22.0" || v.Latest.Time != sdktest.StartTime+1000 ||
		v.Latest.ChainID != sdktest.ChainID || v.Latest.Device != id || len(v.Latest.Signature) != 64 {
		t.Fatalf("latest %+v", v.Latest)
	}
	if v.ByID == nil || v.ByID.Seq != 1 || v.ByID.Time != sdktest.StartTime {
		t.Fatalf("by id %+v", v.ByID)
	}
	var seqs []uint64
	for _, a := range v.History {
		seqs = append(seqs, a.Seq)
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3}) {
		t.Fatalf("history %v", seqs)
	}
	v = sdktest.Decode[deviceView](t, c.Query(watcher, "view", deviceIn{ID: id, Kind: "temp", From: 2, To: 2, Limit: 10}))
	if len(v.History) != 1 || v.History[0].Kind != "temp" || v.ByID != nil {
		t.Fatalf("history 2..2: %+v", v.History)
	}
	c.Query(watcher, "view", deviceIn{ID: id, Limit: 257}).Fails(t, 11)

	check := func(raw []byte) uint32 {
		t.Helper()
		return sdktest.Decode[uint32](t, c.Query(watcher, "check", deviceIn{Raw: raw}))
	}
	if code := check(c.SignAttestation(key, "temp", 4, nil)); code != 0 {
		t.Fatalf("fresh attestation: code %d", code)
	}
	if code := check(c.SignAttestation(key, "temp", 2, nil)); code != 28 {
		t.Fatalf("replayed seq: code %d", code)
	}
	if code := check(c.SignAttestation(newKey(t, sigs.Ed25519, 2), "temp", 1, nil)); code != 18 {
		t.Fatalf("unknown device: code %d", code)
	}
	other := device.Attestation{ChainID: "other", Device: device.ID(id), Seq: 5, Time: sdktest.StartTime, Kind: "temp"}
	raw, err := device.Sign(&other, key)
	if err != nil {
		t.Fatal(err)
	}
	if code := check(raw); code != 24 {
		t.Fatalf("another chain: code %d", code)
	}
	raw = c.SignAttestation(key, "temp", 5, nil)
	raw[len(raw)-1] ^= 1 // the signature's last byte
	if code := check(raw); code != 25 {
		t.Fatalf("bad signature: code %d", code)
	}
	if code := check(append(c.SignAttestation(key, "temp", 5, nil), 0)); code != 23 {
		t.Fatalf("trailing byte: code %d", code)
	}
	c.RevokeDevice(id)
	if code := check(c.SignAttestation(key, "temp", 6, nil)); code != 20 {
		t.Fatalf("revoked: code %d", code)
	}
	v = sdktest.Decode[deviceView](t, c.Query(watcher, "view", deviceIn{ID: id, Kind: "temp"}))
	if !v.Device.Revoked || v.Latest == nil {
		t.Fatalf("revoked device %+v, latest %v: its attestations stay readable", v.Device, v.Latest)
	}
	_, r = c.Attest(key, "temp", 7, nil)
	r.Fails(t, 20)
}

func TestCrypto(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	watcher, r := c.Instantiate(alice, watcherContract, nil, 0)
	r.OK(t)

	data := []byte("plinth")
	h := sdktest.Decode[[2][32]byte](t, c.Query(watcher, "hashes", mustJSON(t, data)))
	if h[0] != sha256.Sum256(data) || h[1] != sigs.Keccak256(data) {
		t.Fatalf("hashes %x", h)
	}

	key := newKey(t, sigs.Ed25519, 3)
	msg := []byte("hello")
	sig, err := key.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(kt sdk.KeyType, pub, msg, sig []byte) uint32 {
		t.Helper()
		return sdktest.Decode[uint32](t, c.Query(watcher, "verify", deviceIn{KeyType: kt, Pub: pub, Msg: msg, Sig: sig}))
	}
	pub := key.Public().Bytes()
	if got := verify(sdk.Ed25519, pub, msg, sig); got != sdk.VerifyOK {
		t.Fatalf("valid: %d", got)
	}
	if got := verify(sdk.Ed25519, pub, []byte("hellO"), sig); got != sdk.VerifyInvalid {
		t.Fatalf("other message: %d", got)
	}
	if got := verify(sdk.Ed25519, pub, msg, sig[:10]); got != sdk.VerifyBadFormat {
		t.Fatalf("short signature: %d", got)
	}
	if got := verify(sdk.P256, pub, msg, sig); got != sdk.VerifyBadKey {
		t.Fatalf("ed25519 key as P-256: %d", got)
	}
	if got := verify(9, pub, msg, sig); got != sdk.VerifyUnknownKeyType {
		t.Fatalf("key type 9: %d", got)
	}
}

func TestGas(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	store := deployStore(t, c, alice)

	// Writing 990 more bytes costs their storage and their copy into the
	// host, and nothing else but reading the input's two more digits.
	small := c.Execute(alice, store, "blob", 10, 0).OK(t).Gas
	large := c.Execute(alice, store, "blob", 1000, 0).OK(t).Gas
	g := hostfns.GasV1()
	if want := small + 990*(g.StorageWritePerByte+g.MemoryPerByte) + 2*g.MemoryPerByte; large != want {
		t.Fatalf("gas for 1000 bytes %d, want %d (10 bytes: %d)", large, want, small)
	}
	if small == 0 {
		t.Fatal("no gas charged")
	}

	// A call pays for its callee.
	failer, r := c.Instantiate(alice, failerContract, nil, 0)
	r.OK(t)
	callee := c.Execute(alice, failer, "work", nil, 0).OK(t).Gas
	caller := c.Execute(alice, store, "call", callIn{Contract: failer, Method: "work"}, 0).OK(t).Gas
	if caller <= callee+g.Call {
		t.Fatalf("caller used %d, its callee alone %d", caller, callee)
	}

	// Too little gas: the call ends with code 1, having used it all, and
	// keeps nothing.
	c.SetGasLimit(small - 1)
	r = c.Execute(alice, store, "blob", 10, 0).Fails(t, 1)
	if r.Gas != small-1 || r.Message != "out of gas" {
		t.Fatalf("out of gas: used %d, message %q", r.Gas, r.Message)
	}
	c.SetGasLimit(sdktest.DefaultGasLimit)
}

func TestSwallowedFailureStillFails(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	store := deployStore(t, c, alice)
	c.Execute(alice, store, "swallow", alice, 0).Fails(t, 2)
	if name := sdktest.Decode[string](t, c.Query(store, "name", nil)); name != "shop" {
		t.Fatalf("name %q: a write after the end of the call stayed", name)
	}
}

func TestLimitsAndLog(t *testing.T) {
	c := sdktest.New(t)
	alice := c.Account("alice")
	store := deployStore(t, c, alice)
	r := c.Execute(alice, store, "put", putIn{Key: strings.Repeat("k", 600), Value: "v"}, 0).Fails(t, 11)
	if !strings.HasPrefix(r.Message, hostfns.ErrLimit.Error()) {
		t.Fatalf("message %q", r.Message)
	}
	r = c.Execute(alice, store, "log", []string{"one", "two"}, 0).OK(t)
	if !slices.Equal(r.Log, []string{"one", "two"}) {
		t.Fatalf("log %q", r.Log)
	}
	if b := c.Block(); b.Height != 1 || b.Time != sdktest.StartTime {
		t.Fatalf("block %+v", b)
	}
	c.NextBlock()
	c.SetBlock(c.Block().Height+5, c.Block().Time)
	if b := c.Block(); b.Height != 7 || b.Time != sdktest.StartTime+1000 {
		t.Fatalf("block %+v", b)
	}
}

func newKey(t *testing.T, kt sigs.KeyType, n byte) sigs.PrivateKey {
	t.Helper()
	seed := bytes.Repeat([]byte{n}, sigs.SeedSize)
	k, err := sigs.NewPrivateKey(kt, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAttestationID: the SDK's id of an attestation read back from the
// chain is the id the chain gave it, for every key type.
func TestAttestationID(t *testing.T) {
	idOf := &sdk.Contract{Methods: map[string]sdk.Handler{
		"latest": sdk.Query(func(ctx *sdk.Context, in struct {
			Device sdk.DeviceID `json:"device"`
		}) ([32]byte, error) {
			a, ok := ctx.LatestAttestation(in.Device, "energy")
			if !ok {
				return [32]byte{}, nil
			}
			return ctx.AttestationID(&a), nil
		}),
	}}
	c := sdktest.New(t)
	alice := c.Account("alice")
	contract, r := c.Instantiate(alice, idOf, nil, 0)
	r.OK(t)
	for i, kt := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		seed := sha256.Sum256([]byte{byte(i), 'k'})
		key, err := sigs.NewPrivateKey(kt, seed[:])
		if err != nil {
			t.Fatal(err)
		}
		dev := c.RegisterDevice(alice, key, "meter", nil)
		want, res := c.Attest(key, "energy", 7, []byte(strings.Repeat("x", 30+i*200)))
		res.OK(t)
		if got := sdktest.Decode[[32]byte](t, c.Query(contract, "latest", map[string]any{"device": dev}).OK(t)); got != want {
			t.Fatalf("%s: the SDK's id %x, the chain's %x", kt, got, want)
		}
	}
}
