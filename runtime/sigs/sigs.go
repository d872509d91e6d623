// Package sigs verifies signatures of the three key types the chain knows
// beyond accounts: ed25519, P-256 (secp256r1, the curve of the secure
// elements in most field devices) and secp256k1. Devices sign their
// attestations with one of them (runtime/device), and contracts may ask
// the host to check any of them.
//
// Each key and each signature has exactly one accepted encoding, so that
// nothing keyed on bytes (a device id, an attestation id) can be forked by
// re-encoding:
//
//   - ed25519: 32-byte public keys in canonical form, of a point on the
//     curve that is not of small order; 64-byte signatures R ‖ S with S
//     reduced (RFC 8032 §5.1.7, as crypto/ed25519 requires).
//   - P-256 and secp256k1: 33-byte compressed SEC1 public keys only (the
//     65-byte uncompressed form of the same point would be a second
//     encoding of the key, and so a second device id for one key);
//     64-byte signatures r ‖ s, big-endian, 32 bytes each, with r and s
//     in [1, n-1] and s <= n/2 ("low S"). ECDSA signatures are malleable:
//     (r, n-s) verifies wherever (r, s) does, so the high-S twin is
//     refused with its own error, ErrHighS.
//
// # Messages
//
// Verify takes the message itself. ed25519 signs the message (it hashes
// internally, with SHA-512). ECDSA signs a 32-byte digest: for both P-256
// and secp256k1 the digest is SHA-256 of the message, which is what
// secure elements compute (or are handed) before signing. Keccak-256 is
// offered separately (Keccak256) for contracts that need Ethereum-style
// digests; they check such signatures with VerifyDigest.
package sigs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"filippo.io/edwards25519"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
)

// KeyType names a signature scheme. The numbers are part of the protocol
// (device registrations carry them): never reuse one.
type KeyType uint8

// The key types.
const (
	Ed25519   KeyType = 1
	P256      KeyType = 2
	Secp256k1 KeyType = 3
)

// Encoding sizes.
const (
	// Ed25519KeySize is an ed25519 public key's size.
	Ed25519KeySize = ed25519.PublicKeySize
	// CompressedKeySize is a P-256 or secp256k1 public key's size: the
	// compressed SEC1 form, 0x02 or 0x03 then x.
	CompressedKeySize = 33
	// SignatureSize is the size of a signature of every key type.
	SignatureSize = 64
)

// Errors of Verify and ParseKey. Each names one way to fail, so a caller
// (a receipt, a host function's result) can say which.
var (
	ErrKeyType         = errors.New("sigs: unknown key type")
	ErrPublicKey       = errors.New("sigs: malformed public key")
	ErrSignatureFormat = errors.New("sigs: malformed signature")
	ErrHighS           = errors.New("sigs: ECDSA signature with a high S (the malleable twin of a low-S signature)")
	ErrSignature       = errors.New("sigs: signature does not verify")
)

func (t KeyType) String() string {
	switch t {
	case Ed25519:
		return "ed25519"
	case P256:
		return "p256"
	case Secp256k1:
		return "secp256k1"
	}
	return fmt.Sprintf("keytype(%d)", uint8(t))
}

// Valid reports whether t is one of the key types.
func (t KeyType) Valid() bool { return t == Ed25519 || t == P256 || t == Secp256k1 }

// curve holds the group order n of an ECDSA curve and n/2 (rounded down),
// as fixed-width big-endian bytes: range and low-S checks are then byte
// comparisons, independent of any library's scalar type.
type curve struct {
	n, halfN [32]byte
}

// Group orders (SEC 2 §2.4.1 for secp256k1, FIPS 186-4 D.1.2.3 for
// P-256); a test checks them against the libraries'.
var (
	p256Order = curve{
		n:     hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
		halfN: hex32("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8"),
	}
	k1Order = curve{
		n:     hex32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
		halfN: hex32("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0"),
	}
)

func hex32(s string) [32]byte {
	var out [32]byte
	if n, err := hex.Decode(out[:], []byte(s)); err != nil || n != 32 {
		panic(fmt.Errorf("sigs: bad constant %q", s)) // a typo in the source, caught at init
	}
	return out
}

func orderOf(t KeyType) *curve {
	if t == P256 {
		return &p256Order
	}
	return &k1Order
}

// PublicKey is a parsed public key of one of the key types. Its zero value
// verifies nothing (ErrKeyType).
type PublicKey struct {
	typ  KeyType
	raw  []byte
	ed   ed25519.PublicKey
	p256 *ecdsa.PublicKey
	k1   *secp256k1.PublicKey
}

// ParseKey parses a public key of type t in its one accepted encoding
// (see the package doc). It returns ErrKeyType for an unknown type and
// ErrPublicKey, with the reason, for bytes that are not such a key.
func ParseKey(t KeyType, b []byte) (PublicKey, error) {
	k := PublicKey{typ: t, raw: bytes.Clone(b)}
	switch t {
	case Ed25519:
		if len(b) != Ed25519KeySize {
			return PublicKey{}, fmt.Errorf("%w: ed25519 key of %d bytes, want %d", ErrPublicKey, len(b), Ed25519KeySize)
		}
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			return PublicKey{}, fmt.Errorf("%w: ed25519: not a point on the curve", ErrPublicKey)
		}
		// SetBytes accepts non-canonical encodings (y >= p, or x = 0 with
		// the sign bit set); each would be a second encoding of one key.
		if !bytes.Equal(p.Bytes(), b) {
			return PublicKey{}, fmt.Errorf("%w: ed25519: non-canonical point encoding", ErrPublicKey)
		}
		// A key of small order has no private key, and signatures that
		// verify for it can be made by anyone: with A = the identity,
		// any R = [S]B verifies for every message.
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
			return PublicKey{}, fmt.Errorf("%w: ed25519: point of small order", ErrPublicKey)
		}
		k.ed = ed25519.PublicKey(k.raw)
	case P256:
		if err := checkCompressed(b); err != nil {
			return PublicKey{}, err
		}
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
		if x == nil {
			return PublicKey{}, fmt.Errorf("%w: p256: not a point on the curve", ErrPublicKey)
		}
		// ecdsa.PublicKey's X and Y are deprecated for building keys:
		// go through the validated uncompressed form instead.
		u := make([]byte, 65)
		u[0] = 4
		x.FillBytes(u[1:33])
		y.FillBytes(u[33:])
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
		if err != nil {
			return PublicKey{}, fmt.Errorf("%w: p256: %v", ErrPublicKey, err)
		}
		k.p256 = pub
	case Secp256k1:
		if err := checkCompressed(b); err != nil {
			return PublicKey{}, err
		}
		pub, err := secp256k1.ParsePubKey(b)
		if err != nil {
			return PublicKey{}, fmt.Errorf("%w: secp256k1: %v", ErrPublicKey, err)
		}
		k.k1 = pub
	default:
		return PublicKey{}, fmt.Errorf("%w: %d", ErrKeyType, uint8(t))
	}
	return k, nil
}

// checkCompressed refuses anything but the 33-byte compressed form, before
// a library that also takes the uncompressed and hybrid forms sees it.
func checkCompressed(b []byte) error {
	if len(b) != CompressedKeySize {
		return fmt.Errorf("%w: %d bytes, want the %d-byte compressed form", ErrPublicKey, len(b), CompressedKeySize)
	}
	if b[0] != 2 && b[0] != 3 {
		return fmt.Errorf("%w: prefix byte %#02x, want 0x02 or 0x03 (compressed)", ErrPublicKey, b[0])
	}
	return nil
}

// Type returns the key's type.
func (k PublicKey) Type() KeyType { return k.typ }

// Bytes returns the key's encoding (a copy).
func (k PublicKey) Bytes() []byte { return bytes.Clone(k.raw) }

// Verify checks sig over msg: ed25519 over msg itself, ECDSA over
// SHA-256(msg). It returns nil, or ErrKeyType, ErrSignatureFormat,
// ErrHighS or ErrSignature.
func (k PublicKey) Verify(msg, sig []byte) error {
	switch k.typ {
	case Ed25519:
		if err := checkEd25519Sig(sig); err != nil {
			return err
		}
		if !ed25519.Verify(k.ed, msg, sig) {
			return fmt.Errorf("%w: ed25519", ErrSignature)
		}
		return nil
	case P256, Secp256k1:
		return k.VerifyDigest(sha256.Sum256(msg), sig)
	}
	return fmt.Errorf("%w: %d", ErrKeyType, uint8(k.typ))
}

// VerifyDigest checks an ECDSA signature over a 32-byte digest the caller
// computed (SHA-256, Keccak-256, …). An ed25519 key returns ErrKeyType:
// ed25519 signs messages, not digests, and treating a digest as the
// message would be a different convention from Verify's.
func (k PublicKey) VerifyDigest(digest [32]byte, sig []byte) error {
	if k.typ != P256 && k.typ != Secp256k1 {
		return fmt.Errorf("%w: %s signs messages, not digests", ErrKeyType, k.typ)
	}
	r, s, err := splitECDSA(orderOf(k.typ), sig)
	if err != nil {
		return fmt.Errorf("%s: %w", k.typ, err)
	}
	var ok bool
	if k.typ == P256 {
		ok = ecdsa.Verify(k.p256, digest[:], new(big.Int).SetBytes(r), new(big.Int).SetBytes(s))
	} else {
		var rs, ss secp256k1.ModNScalar
		rs.SetByteSlice(r) // in range: checked by splitECDSA
		ss.SetByteSlice(s)
		ok = k1ecdsa.NewSignature(&rs, &ss).Verify(digest[:], k.k1)
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrSignature, k.typ)
	}
	return nil
}

// Verify parses pub as a key of type t and checks sig over msg (see
// PublicKey.Verify). A malformed key is ErrPublicKey.
func Verify(t KeyType, pub, msg, sig []byte) error {
	k, err := ParseKey(t, pub)
	if err != nil {
		return err
	}
	return k.Verify(msg, sig)
}

// checkEd25519Sig refuses a signature of the wrong size or with S not
// reduced mod L. crypto/ed25519 refuses the latter too, but as a failed
// verification; here it is a malformed signature, like a high S.
func checkEd25519Sig(sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: ed25519 signature of %d bytes, want %d", ErrSignatureFormat, len(sig), SignatureSize)
	}
	if _, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:]); err != nil {
		return fmt.Errorf("%w: ed25519 signature with S not reduced mod L", ErrSignatureFormat)
	}
	return nil
}

// splitECDSA checks a 64-byte r ‖ s and returns its halves.
func splitECDSA(c *curve, sig []byte) (r, s []byte, err error) {
	if len(sig) != SignatureSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, want %d (r ‖ s)", ErrSignatureFormat, len(sig), SignatureSize)
	}
	r, s = sig[:32], sig[32:]
	var zero [32]byte
	if bytes.Equal(r, zero[:]) || bytes.Compare(r, c.n[:]) >= 0 {
		return nil, nil, fmt.Errorf("%w: r not in [1, n-1]", ErrSignatureFormat)
	}
	if bytes.Equal(s, zero[:]) || bytes.Compare(s, c.n[:]) >= 0 {
		return nil, nil, fmt.Errorf("%w: s not in [1, n-1]", ErrSignatureFormat)
	}
	if bytes.Compare(s, c.halfN[:]) > 0 {
		return nil, nil, ErrHighS
	}
	return r, s, nil
}

// Keccak256 returns the Keccak-256 hash of b (the pre-standard SHA-3
// that Ethereum uses, not FIPS 202 SHA3-256).
func Keccak256(b []byte) [32]byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	var out [32]byte
	h.Sum(out[:0])
	return out
}
