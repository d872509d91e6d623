package sigs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// SeedSize is the size of the seed NewPrivateKey takes.
const SeedSize = 32

// PrivateKey signs in the encodings Verify accepts. The chain never holds
// a device's private key: this is for tests, tools and the device
// simulator.
type PrivateKey struct {
	typ  KeyType
	ed   ed25519.PrivateKey
	p256 *ecdsa.PrivateKey
	k1   *secp256k1.PrivateKey
	pub  PublicKey
}

// NewPrivateKey derives a key of type t from a 32-byte seed: the ed25519
// seed (RFC 8032), or the ECDSA scalar itself, which must lie in
// [1, n-1] (a uniformly random seed is outside with probability below
// 2^-32).
func NewPrivateKey(t KeyType, seed []byte) (PrivateKey, error) {
	if len(seed) != SeedSize {
		return PrivateKey{}, fmt.Errorf("sigs: seed of %d bytes, want %d", len(seed), SeedSize)
	}
	k := PrivateKey{typ: t}
	var pub []byte
	switch t {
	case Ed25519:
		k.ed = ed25519.NewKeyFromSeed(seed)
		pub = k.ed.Public().(ed25519.PublicKey)
	case P256:
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed)
		if err != nil {
			return PrivateKey{}, fmt.Errorf("sigs: p256 seed: %w", err)
		}
		k.p256 = priv
		u, err := priv.PublicKey.Bytes() // 0x04 ‖ x ‖ y
		if err != nil {
			return PrivateKey{}, fmt.Errorf("sigs: p256 public key: %w", err)
		}
		pub = append([]byte{2 | u[64]&1}, u[1:33]...) // compressed: the parity of y, then x
	case Secp256k1:
		var sc secp256k1.ModNScalar
		if overflow := sc.SetByteSlice(seed); overflow || sc.IsZero() {
			return PrivateKey{}, fmt.Errorf("sigs: secp256k1 seed not in [1, n-1]")
		}
		k.k1 = secp256k1.NewPrivateKey(&sc)
		pub = k.k1.PubKey().SerializeCompressed()
	default:
		return PrivateKey{}, fmt.Errorf("%w: %d", ErrKeyType, uint8(t))
	}
	var err error
	if k.pub, err = ParseKey(t, pub); err != nil {
		return PrivateKey{}, fmt.Errorf("sigs: derived public key: %w", err)
	}
	return k, nil
}

// GenerateKey returns a new key of type t from seeds read from rand
// (crypto/rand.Reader in practice), drawing again in the rare case a
// seed is not a valid scalar.
func GenerateKey(t KeyType, rand io.Reader) (PrivateKey, error) {
	seed := make([]byte, SeedSize)
	for range 8 {
		if _, err := io.ReadFull(rand, seed); err != nil {
			return PrivateKey{}, fmt.Errorf("sigs: generate %s key: %w", t, err)
		}
		k, err := NewPrivateKey(t, seed)
		if err == nil || !t.Valid() {
			return k, err
		}
	}
	return PrivateKey{}, fmt.Errorf("sigs: generate %s key: no valid seed in 8 draws", t)
}

// Public returns the public key.
func (k PrivateKey) Public() PublicKey { return k.pub }

// Type returns the key's type.
func (k PrivateKey) Type() KeyType { return k.typ }

// Sign signs msg as Verify expects: ed25519 over msg, ECDSA over
// SHA-256(msg). ECDSA signatures are deterministic (RFC 6979) and low-S.
func (k PrivateKey) Sign(msg []byte) ([]byte, error) {
	if k.typ == Ed25519 {
		return ed25519.Sign(k.ed, msg), nil
	}
	return k.SignDigest(sha256.Sum256(msg))
}

// SignDigest signs a 32-byte digest with an ECDSA key, as VerifyDigest
// expects: r ‖ s, low-S, deterministic (RFC 6979).
func (k PrivateKey) SignDigest(digest [32]byte) ([]byte, error) {
	out := make([]byte, SignatureSize)
	switch k.typ {
	case P256:
		der, err := k.p256.Sign(nil, digest[:], crypto.SHA256) // nil: RFC 6979
		if err != nil {
			return nil, fmt.Errorf("sigs: p256 sign: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("sigs: p256 sign: parsing the signature: %v", err)
		}
		n := new(big.Int).SetBytes(p256Order.n[:])
		if rs.S.Cmp(new(big.Int).SetBytes(p256Order.halfN[:])) > 0 {
			rs.S.Sub(n, rs.S) // the low-S twin
		}
		rs.R.FillBytes(out[:32])
		rs.S.FillBytes(out[32:])
	case Secp256k1:
		sig := k1ecdsa.Sign(k.k1, digest[:]) // RFC 6979
		r, s := sig.R(), sig.S()
		if s.IsOverHalfOrder() { // the library already returns low S; keep the rule local
			s.Negate()
		}
		r.PutBytesUnchecked(out[:32])
		s.PutBytesUnchecked(out[32:])
	default:
		return nil, fmt.Errorf("%w: %s signs messages, not digests", ErrKeyType, k.typ)
	}
	return out, nil
}
