// Package tx is the transaction: its canonical encoding, the signed
// envelope, signing, and the checks that need nothing but the bytes
// (docs/protocol.md, "Transactions"). What depends on state (nonce, fee,
// balance) is the runtime's.
package tx

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

// Domain tags of the two transaction hashes.
const (
	signTag = "plinth/tx\x00"
	idTag   = "plinth/txid\x00"
)

// Errors of transactions that are invalid by their bytes alone.
var (
	ErrTooLarge  = errors.New("tx: too large")
	ErrPublicKey = errors.New("tx: bad public key")
	ErrSignature = errors.New("tx: signature does not verify")
)

// Tx is the signed body of a transaction.
type Tx struct {
	_        struct{} `cbor:",toarray"`
	ChainID  string
	Nonce    uint64
	GasLimit uint64
	GasPrice canon.U256
	Payload  Payload
}

// Signed is the envelope: the encoded Tx, the sender's ed25519 public key
// and the signature. Its encoding is what blocks and the mempool carry.
type Signed struct {
	_         struct{} `cbor:",toarray"`
	Tx        []byte
	PublicKey []byte
	Signature []byte
}

// SigningHash is what the sender signs: the tx bytes under a domain tag
// (they carry the chain id, so a signature holds on one chain only).
func SigningHash(txBytes []byte) [32]byte {
	return canon.TaggedHash(signTag, txBytes)
}

// Hash is a transaction's id: the whole envelope under a domain tag, so two
// senders signing identical bodies have different ids.
func Hash(signedBytes []byte) [32]byte {
	return canon.TaggedHash(idTag, signedBytes)
}

// Sign encodes t, signs it with key and returns the encoded envelope.
func Sign(t *Tx, key ed25519.PrivateKey) ([]byte, error) {
	body, err := canon.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("tx: sign: %w", err)
	}
	sig := SigningHash(body)
	return canon.Marshal(Signed{Tx: body, PublicKey: key.Public().(ed25519.PublicKey), Signature: ed25519.Sign(key, sig[:])})
}

// Decoded is a transaction whose bytes decoded canonically. Its signature
// is checked separately (Verify), so that a block's signatures can be
// checked in parallel. It is read-only once decoded: a SigCache shares
// one Decoded between the mempool and every block that includes it.
type Decoded struct {
	Tx     Tx
	Signed Signed
	Raw    []byte // the envelope's bytes
	Hash   [32]byte
	Sender address.Address
}

// Decode decodes an envelope of at most maxBytes and its body, refusing
// anything non-canonical (canon.ErrEncoding), oversized (ErrTooLarge) or
// with a malformed key (ErrPublicKey).
func Decode(raw []byte, maxBytes int) (*Decoded, error) {
	if len(raw) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), maxBytes)
	}
	d := &Decoded{Raw: raw, Hash: Hash(raw)}
	if err := canon.Unmarshal(raw, &d.Signed); err != nil {
		return nil, fmt.Errorf("tx: envelope: %w", err)
	}
	if len(d.Signed.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes", ErrPublicKey, len(d.Signed.PublicKey))
	}
	if len(d.Signed.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrSignature, len(d.Signed.Signature))
	}
	if err := canon.Unmarshal(d.Signed.Tx, &d.Tx); err != nil {
		return nil, fmt.Errorf("tx: body: %w", err)
	}
	if d.Tx.Payload.Body == nil {
		return nil, fmt.Errorf("tx: body: %w: no payload", canon.ErrEncoding)
	}
	d.Sender = address.FromPublicKey(d.Signed.PublicKey)
	return d, nil
}

// Verify checks the signature (RFC 8032, strict: a non-canonical S is
// refused by crypto/ed25519).
func (d *Decoded) Verify() error {
	h := SigningHash(d.Signed.Tx)
	if !ed25519.Verify(d.Signed.PublicKey, h[:], d.Signed.Signature) {
		return fmt.Errorf("%w: tx %x from %s", ErrSignature, d.Hash[:8], d.Sender)
	}
	return nil
}
