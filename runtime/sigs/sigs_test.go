package sigs

import (
	"bytes"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

var allTypes = []KeyType{Ed25519, P256, Secp256k1}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seedKey(t testing.TB, typ KeyType, seed byte) PrivateKey {
	t.Helper()
	s := make([]byte, SeedSize)
	s[0], s[31] = 1, seed
	k, err := NewPrivateKey(typ, s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOrders: the hard-coded group orders are the libraries'.
func TestOrders(t *testing.T) {
	for _, c := range []struct {
		name string
		got  curve
		n    *big.Int
	}{
		{"p256", p256Order, elliptic.P256().Params().N},
		{"secp256k1", k1Order, secp256k1.Params().N},
	} {
		if new(big.Int).SetBytes(c.got.n[:]).Cmp(c.n) != 0 {
			t.Errorf("%s: n = %x, want %x", c.name, c.got.n, c.n)
		}
		if new(big.Int).SetBytes(c.got.halfN[:]).Cmp(new(big.Int).Rsh(c.n, 1)) != 0 {
			t.Errorf("%s: n/2 = %x", c.name, c.got.halfN)
		}
	}
}

// TestSignVerify: keys generated here sign messages that verify, through
// the parsed key and through Verify on the bytes; another message or
// another key does not verify.
func TestSignVerify(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for i := range 20 {
				k, err := GenerateKey(typ, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				msg := []byte{byte(i), 'm', 's', 'g'}
				sig, err := k.Sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				if len(sig) != SignatureSize {
					t.Fatalf("signature of %d bytes", len(sig))
				}
				pub := k.Public().Bytes()
				if err := Verify(typ, pub, msg, sig); err != nil {
					t.Fatalf("valid signature: %v", err)
				}
				if err := Verify(typ, pub, []byte("other"), sig); !errors.Is(err, ErrSignature) {
					t.Fatalf("other message: %v, want ErrSignature", err)
				}
				other := seedKey(t, typ, byte(i)).Public().Bytes()
				if err := Verify(typ, other, msg, sig); !errors.Is(err, ErrSignature) {
					t.Fatalf("other key: %v, want ErrSignature", err)
				}
				if typ != Ed25519 {
					d := sha256.Sum256(msg)
					if err := k.Public().VerifyDigest(d, sig); err != nil {
						t.Fatalf("VerifyDigest of SHA-256(msg): %v", err)
					}
					s2, err := k.SignDigest(Keccak256(msg))
					if err != nil {
						t.Fatal(err)
					}
					if err := k.Public().VerifyDigest(Keccak256(msg), s2); err != nil {
						t.Fatalf("keccak digest: %v", err)
					}
					if err := k.Public().Verify(msg, s2); !errors.Is(err, ErrSignature) {
						t.Fatalf("a keccak-digest signature passed as a message signature: %v", err)
					}
				}
			}
		})
	}
}

// TestDeterministic: the same key and message give the same signature,
// so a simulator's output is reproducible.
func TestDeterministic(t *testing.T) {
	for _, typ := range allTypes {
		a, _ := seedKey(t, typ, 7).Sign([]byte("x"))
		b, _ := seedKey(t, typ, 7).Sign([]byte("x"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two signatures of one message", typ)
		}
	}
}

// TestKnownAnswers: published vectors, so that the encodings and the
// message convention are those of other implementations, not only
// self-consistent.
func TestKnownAnswers(t *testing.T) {
	cases := []struct {
		name            string
		typ             KeyType
		seed, pub, want string
		msg             string
	}{
		{
			// RFC 8032 §7.1, TEST 1 (the empty message).
			name: "rfc8032-test1", typ: Ed25519,
			seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
			pub:  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
			want: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
		},
		{
			// RFC 8032 §7.1, TEST 2 (one byte, 0x72).
			name: "rfc8032-test2", typ: Ed25519,
			seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
			pub:  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
			msg:  "r",
			want: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
		},
		{
			// RFC 6979 §A.2.5, P-256 with SHA-256, message "sample". The
			// published s is high: this package signs with n - s.
			name: "rfc6979-p256-sample", typ: P256,
			seed: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
			pub:  "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
			msg:  "sample",
			want: "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
				"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
		},
		{
			// The secp256k1 RFC 6979 vector of the Bitcoin libraries:
			// key 1, SHA-256 of "Satoshi Nakamoto", low S. Cross-checked
			// against OpenSSL's deterministic signer, whose s is n - s.
			name: "secp256k1-key1-satoshi", typ: Secp256k1,
			seed: "0000000000000000000000000000000000000000000000000000000000000001",
			pub:  "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
			msg:  "Satoshi Nakamoto",
			want: "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8" +
				"2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
		},
	}
	for _, c := range cases {
		k, err := NewPrivateKey(c.typ, unhex(t, c.seed))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := hex.EncodeToString(k.Public().Bytes()); got != c.pub {
			t.Errorf("%s: public key %s, want %s", c.name, got, c.pub)
		}
		want := unhex(t, c.want)
		if c.typ != Ed25519 && bytes.Compare(want[32:], orderOf(c.typ).halfN[:]) > 0 {
			if err := Verify(c.typ, unhex(t, c.pub), []byte(c.msg), want); !errors.Is(err, ErrHighS) {
				t.Errorf("%s: published high-S signature: %v, want ErrHighS", c.name, err)
			}
			want = highS(orderOf(c.typ), want)
		}
		sig, err := k.Sign([]byte(c.msg))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sig, want) {
			t.Errorf("%s: signature %x, want %x", c.name, sig, want)
		}
		if err := Verify(c.typ, unhex(t, c.pub), []byte(c.msg), want); err != nil {
			t.Errorf("%s: published signature: %v", c.name, err)
		}
	}
}

// TestKeccak256: the legacy Keccak, not SHA3-256.
func TestKeccak256(t *testing.T) {
	for in, want := range map[string]string{
		"":    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
		"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
	} {
		if got := Keccak256([]byte(in)); hex.EncodeToString(got[:]) != want {
			t.Errorf("Keccak256(%q) = %x, want %s", in, got, want)
		}
	}
}

// highS returns sig with s replaced by n - s: the malleable twin, which
// verifies under plain ECDSA.
func highS(c *curve, sig []byte) []byte {
	n := new(big.Int).SetBytes(c.n[:])
	s := new(big.Int).SetBytes(sig[32:])
	out := bytes.Clone(sig)
	new(big.Int).Sub(n, s).FillBytes(out[32:])
	return out
}

func withR(sig, r []byte) []byte { return append(append([]byte(nil), r...), sig[32:]...) }
func withS(sig, s []byte) []byte { return append(append([]byte(nil), sig[:32]...), s...) }

func plusOne(b [32]byte) []byte {
	v := new(big.Int).SetBytes(b[:])
	return v.Add(v, big.NewInt(1)).FillBytes(make([]byte, 32))
}

// TestECDSARefusals: each malformed or malleated ECDSA signature gets
// its own error.
func TestECDSARefusals(t *testing.T) {
	for _, typ := range []KeyType{P256, Secp256k1} {
		t.Run(typ.String(), func(t *testing.T) {
			c := orderOf(typ)
			k := seedKey(t, typ, 3)
			msg := []byte("reading 42")
			sig, err := k.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			pub := k.Public().Bytes()
			zero := make([]byte, 32)
			nMinus1 := new(big.Int).Sub(new(big.Int).SetBytes(c.n[:]), big.NewInt(1)).FillBytes(make([]byte, 32))
			twin := highS(c, sig)
			cases := []struct {
				name string
				sig  []byte
				want error
			}{
				{"high S twin", twin, ErrHighS},
				{"s = n/2 + 1", withS(sig, plusOne(c.halfN)), ErrHighS},
				{"s = n - 1", withS(sig, nMinus1), ErrHighS},
				{"r zero", withR(sig, zero), ErrSignatureFormat},
				{"s zero", withS(sig, zero), ErrSignatureFormat},
				{"r = n", withR(sig, c.n[:]), ErrSignatureFormat},
				{"s = n", withS(sig, c.n[:]), ErrSignatureFormat},
				{"r = n + 1", withR(sig, plusOne(c.n)), ErrSignatureFormat},
				{"s all ones", withS(sig, bytes.Repeat([]byte{0xff}, 32)), ErrSignatureFormat},
				{"63 bytes", sig[:63], ErrSignatureFormat},
				{"65 bytes", append(bytes.Clone(sig), 0), ErrSignatureFormat},
				{"DER", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, ErrSignatureFormat},
				{"empty", nil, ErrSignatureFormat},
				{"r = n - 1 (well formed, wrong)", withR(sig, nMinus1), ErrSignature},
				{"s = n/2 (low, wrong)", withS(sig, c.halfN[:]), ErrSignature},
				{"flipped bit", withR(sig, xorLast(sig[:32])), ErrSignature},
			}
			for _, cs := range cases {
				if err := Verify(typ, pub, msg, cs.sig); !errors.Is(err, cs.want) {
					t.Errorf("%s: %v, want %v", cs.name, err, cs.want)
				}
			}
			// The twin really is the malleated signature: with s low
			// again it verifies.
			if err := Verify(typ, pub, msg, highS(c, twin)); err != nil {
				t.Errorf("twin of the twin: %v", err)
			}
		})
	}
}

func xorLast(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)-1] ^= 1
	return out
}

// TestEd25519Refusals: a signature with S not reduced is malformed, one
// of the wrong size too; a flipped bit does not verify.
func TestEd25519Refusals(t *testing.T) {
	k := seedKey(t, Ed25519, 4)
	msg := []byte("m")
	sig, _ := k.Sign(msg)
	pub := k.Public().Bytes()
	// S + L: the same signature for a verifier that reduces S first.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	s := new(big.Int).SetBytes(reverse(sig[32:]))
	sPlusL := reverse(s.Add(s, l).FillBytes(make([]byte, 32)))
	cases := []struct {
		name string
		sig  []byte
		want error
	}{
		{"S + L", append(bytes.Clone(sig[:32]), sPlusL...), ErrSignatureFormat},
		{"63 bytes", sig[:63], ErrSignatureFormat},
		{"empty", nil, ErrSignatureFormat},
		{"flipped bit in R", append(xorLast(sig[:32]), sig[32:]...), ErrSignature},
	}
	for _, c := range cases {
		if err := Verify(Ed25519, pub, msg, c.sig); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := k.Public().VerifyDigest([32]byte{}, sig); !errors.Is(err, ErrKeyType) {
		t.Errorf("VerifyDigest on ed25519: %v, want ErrKeyType", err)
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// notOnCurveX returns a compressed encoding whose x has no point on the
// curve (about half of all x do not).
func notOnCurveX(t *testing.T, typ KeyType) []byte {
	for i := range 256 {
		b := make([]byte, 33)
		b[0], b[32] = 2, byte(i)
		if _, err := ParseKey(typ, b); err != nil {
			return b
		}
	}
	t.Fatal("every x tried is on the curve")
	return nil
}

// TestKeyRefusals: every second encoding of a key, and everything that
// is not a key, is refused with ErrPublicKey; an unknown type with
// ErrKeyType.
func TestKeyRefusals(t *testing.T) {
	type kc struct {
		name string
		typ  KeyType
		pub  []byte
		want error
	}
	var cases []kc
	for _, typ := range []KeyType{P256, Secp256k1} {
		k := seedKey(t, typ, 5)
		comp := k.Public().Bytes()
		var uncompressed []byte
		if typ == P256 {
			u, _ := k.p256.PublicKey.Bytes()
			uncompressed = u
		} else {
			uncompressed = k.k1.PubKey().SerializeUncompressed()
		}
		hybrid := bytes.Clone(uncompressed)
		hybrid[0] = 6 | uncompressed[64]&1
		badPrefix := bytes.Clone(comp)
		badPrefix[0] = 4
		xTooBig := append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)
		cases = append(cases,
			kc{"uncompressed", typ, uncompressed, ErrPublicKey},
			kc{"hybrid", typ, hybrid, ErrPublicKey},
			kc{"prefix 0x04 on 33 bytes", typ, badPrefix, ErrPublicKey},
			kc{"short", typ, comp[:32], ErrPublicKey},
			kc{"empty", typ, nil, ErrPublicKey},
			kc{"x not on the curve", typ, notOnCurveX(t, typ), ErrPublicKey},
			kc{"x >= p", typ, xTooBig, ErrPublicKey},
			kc{"an ed25519 key", typ, seedKey(t, Ed25519, 5).Public().Bytes(), ErrPublicKey},
		)
	}
	edKey := seedKey(t, Ed25519, 6).Public().Bytes()
	// y = p (non-canonical 0, which decodes: x^2 = -1/1... is on the curve)
	// and y = p + 1 (non-canonical 1, the identity).
	yP := unhex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	yP1 := unhex(t, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	identity := unhex(t, "0100000000000000000000000000000000000000000000000000000000000000")
	negZero := unhex(t, "0100000000000000000000000000000000000000000000000000000000000080")
	order8 := unhex(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	// y = 2 has no x on the curve (checked by the test itself: the case
	// must fail to parse).
	notPoint := unhex(t, "0200000000000000000000000000000000000000000000000000000000000000")
	cases = append(cases,
		kc{"ed25519 short", Ed25519, edKey[:31], ErrPublicKey},
		kc{"ed25519 long", Ed25519, append(bytes.Clone(edKey), 0), ErrPublicKey},
		kc{"ed25519 y = p", Ed25519, yP, ErrPublicKey},
		kc{"ed25519 y = p+1", Ed25519, yP1, ErrPublicKey},
		kc{"ed25519 identity", Ed25519, identity, ErrPublicKey},
		kc{"ed25519 -0 identity", Ed25519, negZero, ErrPublicKey},
		kc{"ed25519 order 8", Ed25519, order8, ErrPublicKey},
		kc{"ed25519 not on the curve", Ed25519, notPoint, ErrPublicKey},
		kc{"type 0", 0, edKey, ErrKeyType},
		kc{"type 4", 4, make([]byte, 33), ErrKeyType},
	)
	for _, c := range cases {
		if _, err := ParseKey(c.typ, c.pub); !errors.Is(err, c.want) {
			t.Errorf("%s (%s): %v, want %v", c.name, c.typ, err, c.want)
		}
		if err := Verify(c.typ, c.pub, []byte("m"), make([]byte, 64)); !errors.Is(err, c.want) {
			t.Errorf("%s (%s): Verify: %v, want %v", c.name, c.typ, err, c.want)
		}
	}
	var zero PublicKey
	if err := zero.Verify(nil, nil); !errors.Is(err, ErrKeyType) {
		t.Errorf("zero PublicKey: %v, want ErrKeyType", err)
	}
}

// TestSeeds: seeds outside [1, n-1], of the wrong size or for an unknown
// type make no key.
func TestSeeds(t *testing.T) {
	n := make([]byte, 32)
	copy(n, k1Order.n[:])
	if _, err := NewPrivateKey(Secp256k1, n); err == nil {
		t.Error("secp256k1 seed = n accepted")
	}
	if _, err := NewPrivateKey(P256, p256Order.n[:]); err == nil {
		t.Error("p256 seed = n accepted")
	}
	if _, err := NewPrivateKey(P256, make([]byte, 32)); err == nil {
		t.Error("p256 seed 0 accepted")
	}
	if _, err := NewPrivateKey(Ed25519, make([]byte, 31)); err == nil {
		t.Error("31-byte seed accepted")
	}
	if _, err := NewPrivateKey(9, make([]byte, 32)); !errors.Is(err, ErrKeyType) {
		t.Errorf("type 9: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, typ := range allTypes {
		k := seedKey(f, typ, 1)
		sig, _ := k.Sign([]byte("m"))
		f.Add(uint8(typ), k.Public().Bytes(), []byte("m"), sig)
	}
	f.Fuzz(func(t *testing.T, typ uint8, pub, msg, sig []byte) {
		err := Verify(KeyType(typ), pub, msg, sig)
		if err == nil {
			// Whatever verifies is in the one accepted encoding.
			if len(sig) != SignatureSize {
				t.Fatalf("accepted a %d-byte signature", len(sig))
			}
			if KeyType(typ) != Ed25519 && bytes.Compare(sig[32:], orderOf(KeyType(typ)).halfN[:]) > 0 {
				t.Fatal("accepted a high S")
			}
			return
		}
		for _, e := range []error{ErrKeyType, ErrPublicKey, ErrSignatureFormat, ErrHighS, ErrSignature} {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("error outside the sentinels: %v", err)
	})
}
