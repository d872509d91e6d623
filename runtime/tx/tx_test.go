package tx

import (
	"crypto/ed25519"
	"errors"
	"reflect"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, 32)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

func allBodies() []Body {
	a := address.Contract(address.Address{9}, 1)
	return []Body{
		Transfer{To: a, Amount: canon.NewU256(1_000)},
		Deploy{Code: []byte("\x00asm\x01\x00\x00\x00")},
		Instantiate{CodeHash: [32]byte{1}, Init: []byte("{}"), Label: "gov", Admin: a[:], Funds: canon.NewU256(5)},
		Instantiate{CodeHash: [32]byte{2}, Label: "no admin"},
		Call{Contract: a, Method: "vote", Input: []byte{1, 2}, Funds: canon.NewU256(0)},
		Migrate{Contract: a, CodeHash: [32]byte{3}, Input: nil},
		DeviceRegister{KeyType: 1, PublicKey: make([]byte, 32), DeviceKind: "meter", Metadata: []byte("roof 3")},
		DeviceUpdate{Device: a, Metadata: []byte("roof 4")},
		DeviceRevoke{Device: a},
		Attest{Attestation: []byte{0xa0}},
	}
}

// TestSignDecodeVerify: every payload kind survives signing and decoding
// unchanged, verifies, and names its sender.
func TestSignDecodeVerify(t *testing.T) {
	key := testKey(1)
	for _, body := range allBodies() {
		in := &Tx{ChainID: "plinth-test", Nonce: 7, GasLimit: 100_000, GasPrice: canon.NewU256(2), Payload: Payload{Body: body}}
		raw, err := Sign(in, key)
		if err != nil {
			t.Fatalf("%T: %v", body, err)
		}
		d, err := Decode(raw, 1<<20)
		if err != nil {
			t.Fatalf("%T: %v", body, err)
		}
		if err := d.Verify(); err != nil {
			t.Fatalf("%T: %v", body, err)
		}
		// Equal as the protocol sees values: the same canonical bytes (a
		// nil and an empty byte string are one value), and the same type.
		got, _ := canon.Marshal(d.Tx.Payload.Body)
		want, _ := canon.Marshal(body)
		if string(got) != string(want) || reflect.TypeOf(d.Tx.Payload.Body) != reflect.TypeOf(body) || d.Tx.Nonce != 7 || d.Tx.ChainID != "plinth-test" {
			t.Fatalf("%T: decoded %+v", body, d.Tx)
		}
		if d.Sender != address.FromPublicKey(key.Public().(ed25519.PublicKey)) || d.Hash != Hash(raw) {
			t.Fatalf("%T: sender %s hash %x", body, d.Sender, d.Hash[:4])
		}
	}
}

// TestRefused: each way a transaction's bytes can be bad gets its own error.
func TestRefused(t *testing.T) {
	key := testKey(2)
	good := &Tx{ChainID: "plinth-test", Nonce: 1, GasLimit: 50_000, GasPrice: canon.NewU256(1), Payload: Payload{Body: Transfer{To: address.Address{1}, Amount: canon.NewU256(3)}}}
	raw, err := Sign(good, key)
	if err != nil {
		t.Fatal(err)
	}
	envelope := func(f func(*Signed)) []byte {
		var s Signed
		if err := canon.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		f(&s)
		b, err := canon.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other := *good
	other.ChainID = "plinth-main"
	otherBody, _ := canon.Marshal(&other)
	unknownKind, _ := canon.Marshal([]any{"plinth-test", 1, 50_000, []byte{1}, []any{99, []byte{1}}})
	cases := []struct {
		name string
		raw  []byte
		want error
		// verify: the bytes decode, and the signature check must fail.
		verify bool
	}{
		{"flipped signature bit", envelope(func(s *Signed) { s.Signature[5] ^= 1 }), ErrSignature, true},
		{"body re-signed for another chain is another body", envelope(func(s *Signed) { s.Tx = otherBody }), ErrSignature, true},
		{"another key", envelope(func(s *Signed) { s.PublicKey = testKey(3).Public().(ed25519.PublicKey) }), ErrSignature, true},
		{"short public key", envelope(func(s *Signed) { s.PublicKey = s.PublicKey[:31] }), ErrPublicKey, false},
		{"short signature", envelope(func(s *Signed) { s.Signature = s.Signature[:63] }), ErrSignature, false},
		{"unknown payload kind", envelope(func(s *Signed) { s.Tx = unknownKind }), canon.ErrEncoding, false},
		{"trailing byte", append(append([]byte(nil), raw...), 0), canon.ErrEncoding, false},
		{"truncated", raw[:len(raw)-3], canon.ErrEncoding, false},
		{"oversized", make([]byte, 2000), ErrTooLarge, false},
	}
	for _, c := range cases {
		d, err := Decode(c.raw, 1024)
		if c.verify {
			if err != nil {
				t.Errorf("%s: decode: %v", c.name, err)
				continue
			}
			err = d.Verify()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for i, body := range allBodies() {
		raw, err := Sign(&Tx{ChainID: "c", Nonce: uint64(i), GasLimit: 1, Payload: Payload{Body: body}}, testKey(byte(i)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Decode(raw, 1<<16)
		if err != nil {
			return
		}
		// Whatever decodes has exactly this encoding.
		body, err := canon.Marshal(&d.Tx)
		if err != nil || string(body) != string(d.Signed.Tx) {
			t.Fatalf("decoded body re-encodes differently (%v)", err)
		}
		_ = d.Verify()
	})
}
