package device

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/plinthchain/plinth/runtime/params"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/state"
)

const chainID = "plinth-test"

var (
	alice = address.Address{0xa1}
	bob   = address.Address{0xb0}
)

// v1Params are the parameters the registry tests run under.
var v1Params = params.Version1()

func openStore(t *testing.T) *state.Store {
	t.Helper()
	s, err := state.Open(t.TempDir(), state.Options{ChainID: "test-chain", NodeCacheBytes: -1, CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newWS(t *testing.T) *state.WriteSet { return state.NewWriteSet(openStore(t)) }

func key(t testing.TB, typ sigs.KeyType, n byte) sigs.PrivateKey {
	t.Helper()
	seed := make([]byte, sigs.SeedSize)
	seed[0], seed[31] = 7, n
	k, err := sigs.NewPrivateKey(typ, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func register(t *testing.T, ws *state.WriteSet, owner address.Address, k sigs.PrivateKey) ID {
	t.Helper()
	id, err := Register(ws, &v1Params, owner, k.Type(), k.Public().Bytes(), "meter", []byte("roof 3"), canon.NewU256(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if id != NewID(k.Type(), k.Public().Bytes()) {
		t.Fatalf("Register returned %s, NewID says %s", id, NewID(k.Type(), k.Public().Bytes()))
	}
	return id
}

// changes renders the write set's pending writes, to compare before and
// after a refused call.
func changes(ws *state.WriteSet) string {
	var b bytes.Buffer
	for _, c := range ws.Changes() {
		fmt.Fprintf(&b, "%x=%x/%v;", c.Key, c.Value, c.Delete)
	}
	return b.String()
}

// TestRegistry: registration, update and revocation, with every refusal
// getting its own error and writing nothing.
func TestRegistry(t *testing.T) {
	ws := newWS(t)
	keys := map[sigs.KeyType]sigs.PrivateKey{}
	ids := map[sigs.KeyType]ID{}
	for _, typ := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		keys[typ] = key(t, typ, 1)
		ids[typ] = register(t, ws, alice, keys[typ])
		d, ok, err := Get(ws, ids[typ])
		if err != nil || !ok {
			t.Fatalf("%s: Get: %v %v", typ, ok, err)
		}
		if d.Owner != alice || d.KeyType != typ || !bytes.Equal(d.PublicKey, keys[typ].Public().Bytes()) ||
			d.Kind != "meter" || string(d.Metadata) != "roof 3" || d.Deposit.Uint64() != 1_000_000 || d.Revoked {
			t.Fatalf("%s: stored %+v", typ, d)
		}
	}
	ed := ids[sigs.Ed25519]
	edPub := keys[sigs.Ed25519].Public().Bytes()
	unknown := NewID(sigs.Ed25519, key(t, sigs.Ed25519, 99).Public().Bytes())

	refuse := func(name string, want error, f func() error) {
		t.Helper()
		before := changes(ws)
		if err := f(); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if changes(ws) != before {
			t.Errorf("%s: refused, but wrote", name)
		}
	}
	reg := func(typ sigs.KeyType, pub []byte, kind string, meta []byte) func() error {
		return func() error {
			_, err := Register(ws, &v1Params, bob, typ, pub, kind, meta, canon.NewU256(1))
			return err
		}
	}
	fresh := key(t, sigs.Ed25519, 2).Public().Bytes()
	refuse("register twice", ErrExists, reg(sigs.Ed25519, edPub, "meter", nil))
	refuse("kind too long", ErrTooLarge, reg(sigs.Ed25519, fresh, string(make([]byte, int(v1Params.DeviceKindBytes)+1)), nil))
	refuse("kind not UTF-8", canon.ErrEncoding, reg(sigs.Ed25519, fresh, "\xff", nil))
	refuse("metadata too long", ErrTooLarge, reg(sigs.Ed25519, fresh, "m", make([]byte, int(v1Params.DeviceMetadataBytes)+1)))
	refuse("bad key", sigs.ErrPublicKey, reg(sigs.P256, fresh, "m", nil))
	refuse("uncompressed key", sigs.ErrPublicKey, reg(sigs.P256, append([]byte{4}, make([]byte, 64)...), "m", nil))
	refuse("key type 0", sigs.ErrKeyType, reg(0, fresh, "m", nil))
	refuse("update by another", ErrNotOwner, func() error { return Update(ws, &v1Params, bob, ed, []byte("x")) })
	refuse("update unknown", ErrUnknownDevice, func() error { return Update(ws, &v1Params, alice, unknown, []byte("x")) })
	refuse("update too large", ErrTooLarge, func() error {
		return Update(ws, &v1Params, alice, ed, make([]byte, int(v1Params.DeviceMetadataBytes)+1))
	})
	refuse("revoke by another", ErrNotOwner, func() error { _, err := Revoke(ws, bob, ed); return err })
	refuse("revoke unknown", ErrUnknownDevice, func() error { _, err := Revoke(ws, alice, unknown); return err })

	// Largest allowed sizes pass.
	if _, err := Register(ws, &v1Params, bob, sigs.Ed25519, fresh, string(make([]byte, int(v1Params.DeviceKindBytes))), make([]byte, int(v1Params.DeviceMetadataBytes)), canon.NewU256(1)); err != nil {
		t.Fatalf("register at the limits: %v", err)
	}
	if err := Update(ws, &v1Params, alice, ed, []byte("roof 4")); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := Get(ws, ed); string(d.Metadata) != "roof 4" {
		t.Fatalf("metadata after update: %q", d.Metadata)
	}
	dep, err := Revoke(ws, alice, ed)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Uint64() != 1_000_000 {
		t.Fatalf("revoke returned %s", dep)
	}
	d, ok, _ := Get(ws, ed)
	if !ok || !d.Revoked || !d.Deposit.IsZero() || string(d.Metadata) != "roof 4" {
		t.Fatalf("after revoke: %v %+v", ok, d)
	}
	refuse("revoke twice", ErrRevoked, func() error { _, err := Revoke(ws, alice, ed); return err })
	refuse("update revoked", ErrRevoked, func() error { return Update(ws, &v1Params, alice, ed, nil) })
	refuse("register a revoked key", ErrExists, reg(sigs.Ed25519, edPub, "meter", nil))
	if _, ok, err := Get(ws, unknown); ok || err != nil {
		t.Fatalf("Get unknown: %v %v", ok, err)
	}
}

// TestIDs: one key, one device; the type is part of the id.
func TestIDs(t *testing.T) {
	pub := make([]byte, 33)
	if NewID(sigs.P256, pub) == NewID(sigs.Secp256k1, pub) {
		t.Fatal("same bytes under two key types give one id")
	}
	id := NewID(sigs.Ed25519, []byte{1})
	txt, _ := id.MarshalText()
	var back ID
	if err := back.UnmarshalText(txt); err != nil || back != id {
		t.Fatalf("text round trip: %v %s", err, back)
	}
	if err := back.UnmarshalText(txt[2:]); err == nil {
		t.Fatal("short text id accepted")
	}
}
