package device

import (
	"fmt"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
)

// Domain tags: what a device signs, and an attestation's id. They differ,
// so the id of an attestation is never the digest its device signed.
const (
	signTag = "plinth/attest\x00"
	aidTag  = "plinth/attestation\x00"
)

// Attestation is a device's signed statement: a reading, an event, a
// proof of presence (docs/devices.md). On the wire it is the array
// [chain_id, device, seq, time, kind, payload, signature].
type Attestation struct {
	_       struct{} `cbor:",toarray"`
	ChainID string
	Device  ID
	// Seq is the device's counter: each value is accepted once.
	Seq uint64
	// Time is when the device made the statement, in ms since the Unix
	// epoch, as block times are.
	Time    uint64
	Kind    string
	Payload []byte
	// Signature is the device key's signature of SigningMessage: 64
	// bytes, in the form runtime/sigs accepts (low S for ECDSA).
	Signature []byte
}

// signedBody is the attestation without its signature: what is signed
// and what the id hashes.
type signedBody struct {
	_       struct{} `cbor:",toarray"`
	ChainID string
	Device  ID
	Seq     uint64
	Time    uint64
	Kind    string
	Payload []byte
}

// SignedBytes returns the canonical encoding of every field but the
// signature: [chain_id, device, seq, time, kind, payload].
func (a *Attestation) SignedBytes() ([]byte, error) {
	b, err := canon.Marshal(signedBody{
		ChainID: a.ChainID, Device: a.Device, Seq: a.Seq, Time: a.Time, Kind: a.Kind, Payload: a.Payload,
	})
	if err != nil {
		return nil, fmt.Errorf("device: attestation: %w", err)
	}
	return b, nil
}

// SigningMessage returns what the device key signs: the signed bytes under
// a domain tag. ed25519 signs it as it is; ECDSA keys sign its SHA-256
// (runtime/sigs).
func SigningMessage(signedBytes []byte) []byte {
	return append([]byte(signTag), signedBytes...)
}

// AttestationID is an attestation's id: SHA-256("plinth/attestation\0" ‖
// signed bytes). It never covers the signature: an ECDSA signature has
// other valid forms, and an id must not.
func AttestationID(signedBytes []byte) [32]byte {
	return canon.TaggedHash(aidTag, signedBytes)
}

// ID returns the attestation's id.
func (a *Attestation) ID() ([32]byte, error) {
	b, err := a.SignedBytes()
	if err != nil {
		return [32]byte{}, err
	}
	return AttestationID(b), nil
}

// Sign signs a with key, sets a.Signature and returns the attestation's
// encoding, ready to submit. a.Device should be NewID of key's public key;
// Sign does not fill it in, so that a test can sign for the wrong device.
// For tests, tools and the device simulator: the chain never signs.
func Sign(a *Attestation, key sigs.PrivateKey) ([]byte, error) {
	body, err := a.SignedBytes()
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(SigningMessage(body))
	if err != nil {
		return nil, fmt.Errorf("device: sign attestation: %w", err)
	}
	a.Signature = sig
	raw, err := canon.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("device: attestation: %w", err)
	}
	return raw, nil
}

// Decode reads an attestation of at most p.MaxAttestationBytes, refusing
// anything larger or with a kind over p.DeviceKindBytes (ErrTooLarge) and
// anything that is not its canonical encoding (canon.ErrEncoding). It
// checks nothing that needs state or the signature: Check does.
func Decode(raw []byte, p *params.Params) (*Attestation, error) {
	if len(raw) > int(p.MaxAttestationBytes) {
		return nil, fmt.Errorf("%w: attestation of %d bytes, limit %d", ErrTooLarge, len(raw), p.MaxAttestationBytes)
	}
	a := new(Attestation)
	if err := canon.Unmarshal(raw, a); err != nil {
		return nil, fmt.Errorf("device: attestation: %w", err)
	}
	if len(a.Kind) > int(p.DeviceKindBytes) {
		return nil, fmt.Errorf("%w: attestation kind of %d bytes, limit %d", ErrTooLarge, len(a.Kind), p.DeviceKindBytes)
	}
	return a, nil
}
