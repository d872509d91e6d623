// Package device is the device registry and the attestations devices
// sign: registration, metadata updates and revocation by the owner, and
// the checks and storage of attestations (docs/devices.md). It is
// state-level logic only: the runtime charges gas and moves deposits, and
// host functions read what is stored here.
//
// Every function that writes first runs all of its checks, so a refused
// call has written nothing; the caller still reverts its checkpoint on
// any error, as it does for everything else a transaction does.
package device

import (
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/state"
)

// Limits of what a device record and an attestation may hold. They are
// consensus rules, fixed in this version of the protocol; a later
// parameter version may take them over.
const (
	// maxHistoryRead bounds one History read whatever limit it is given
	// (callers pass theirs: the host ABI's HistoryEntries parameter).
	maxHistoryRead = 1 << 12
)

// Domain tag of a device id.
const idTag = "plinth/device\x00"

// Errors of registration, update and revocation, and of attestations. Each
// names one way to be refused, so a receipt can say which.
var (
	ErrExists        = errors.New("device: already registered")
	ErrUnknownDevice = errors.New("device: not registered")
	ErrNotOwner      = errors.New("device: caller is not the owner")
	ErrRevoked       = errors.New("device: revoked")
	ErrTooLarge      = errors.New("device: too large")
	ErrChainID       = errors.New("device: attestation for another chain")
	ErrBadSignature  = errors.New("device: attestation signature")
	ErrStale         = errors.New("device: attestation older than the freshness window")
	ErrFuture        = errors.New("device: attestation later than the freshness window")
	ErrReplay        = errors.New("device: attestation sequence number already used")
	ErrSeqTooOld     = errors.New("device: attestation sequence number below the anti-replay window")
)

// ID names a device: the first 20 bytes of SHA-256("plinth/device\0" ‖
// key type ‖ public key). Keys have one encoding each (runtime/sigs), so
// one key is one device, for good: a revoked id is never registered again.
type ID [20]byte

// NewID returns the id of the device holding the public key pub of type t.
func NewID(t sigs.KeyType, pub []byte) ID {
	h := canon.TaggedHash(idTag, []byte{byte(t)}, pub)
	return ID(h[:20])
}

// String returns the id in hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) != 2*len(id) {
		return fmt.Errorf("device: id of %d hex digits, want %d", len(b), 2*len(id))
	}
	if _, err := hex.Decode(id[:], b); err != nil {
		return fmt.Errorf("device: id: %w", err)
	}
	return nil
}

// Device is a registered device, as stored under its id.
type Device struct {
	_         struct{} `cbor:",toarray"`
	Owner     address.Address
	KeyType   sigs.KeyType
	PublicKey []byte
	Kind      string
	Metadata  []byte
	// Deposit is what the owner locked at registration; zero once revoked
	// (Revoke hands it back).
	Deposit canon.U256
	Revoked bool
}

// Get returns the device registered as id; ok is false if there is none.
// Revoked devices are returned too, with Revoked set.
func Get(r state.Reader, id ID) (Device, bool, error) {
	b, ok, err := r.Get(deviceKey(id))
	if err != nil || !ok {
		return Device{}, false, err
	}
	var d Device
	if err := canon.Unmarshal(b, &d); err != nil {
		return Device{}, false, fmt.Errorf("device: stored record %s: %w", id, err)
	}
	return d, true, nil
}

func put(ws *state.WriteSet, id ID, d *Device) error {
	b, err := canon.Marshal(d)
	if err != nil {
		return fmt.Errorf("device: encode %s: %w", id, err)
	}
	if err := ws.Set(deviceKey(id), b); err != nil {
		return fmt.Errorf("device: store %s: %w", id, err)
	}
	return nil
}

// Register records a device owned by owner with the public key pub of
// type keyType, and returns its id. deposit is what the runtime took from
// the owner (the parameters' DeviceDeposit); it is recorded so that
// Revoke can say what to give back. It refuses an oversized kind or
// metadata (ErrTooLarge), a key that does not parse (sigs.ErrKeyType,
// sigs.ErrPublicKey) and a key already registered, even if revoked
// (ErrExists).
func Register(ws *state.WriteSet, p *params.Params, owner address.Address, keyType sigs.KeyType, pub []byte, kind string, metadata []byte, deposit canon.U256) (ID, error) {
	if err := checkKind(p, kind); err != nil {
		return ID{}, fmt.Errorf("device: register: %w", err)
	}
	if len(metadata) > int(p.DeviceMetadataBytes) {
		return ID{}, fmt.Errorf("device: register: %w: metadata of %d bytes, limit %d", ErrTooLarge, len(metadata), p.DeviceMetadataBytes)
	}
	if _, err := sigs.ParseKey(keyType, pub); err != nil {
		return ID{}, fmt.Errorf("device: register: %w", err)
	}
	id := NewID(keyType, pub)
	if _, ok, err := Get(ws, id); err != nil {
		return ID{}, err
	} else if ok {
		return ID{}, fmt.Errorf("%w: %s", ErrExists, id)
	}
	d := Device{
		Owner:     owner,
		KeyType:   keyType,
		PublicKey: append([]byte(nil), pub...),
		Kind:      kind,
		Metadata:  append([]byte(nil), metadata...),
		Deposit:   deposit,
	}
	return id, put(ws, id, &d)
}

// checkKind bounds a kind and makes sure it can be stored: the encoding
// of a string that is not UTF-8 would not decode again.
func checkKind(p *params.Params, kind string) error {
	if len(kind) > int(p.DeviceKindBytes) {
		return fmt.Errorf("%w: kind of %d bytes, limit %d", ErrTooLarge, len(kind), p.DeviceKindBytes)
	}
	if !utf8.ValidString(kind) {
		return fmt.Errorf("%w: kind is not UTF-8", canon.ErrEncoding)
	}
	return nil
}

// owned loads id for a change by caller: it must exist, belong to caller
// and not be revoked.
func owned(r state.Reader, caller address.Address, id ID) (Device, error) {
	d, ok, err := Get(r, id)
	if err != nil {
		return Device{}, err
	}
	if !ok {
		return Device{}, fmt.Errorf("%w: %s", ErrUnknownDevice, id)
	}
	if d.Owner != caller {
		return Device{}, fmt.Errorf("%w: %s is owned by %s, not %s", ErrNotOwner, id, d.Owner, caller)
	}
	if d.Revoked {
		return Device{}, fmt.Errorf("%w: %s", ErrRevoked, id)
	}
	return d, nil
}

// Update replaces a device's metadata. Only its owner may, and not once
// it is revoked.
func Update(ws *state.WriteSet, p *params.Params, caller address.Address, id ID, metadata []byte) error {
	d, err := owned(ws, caller, id)
	if err != nil {
		return fmt.Errorf("device: update: %w", err)
	}
	if len(metadata) > int(p.DeviceMetadataBytes) {
		return fmt.Errorf("device: update: %w: metadata of %d bytes, limit %d", ErrTooLarge, len(metadata), p.DeviceMetadataBytes)
	}
	d.Metadata = append([]byte(nil), metadata...)
	return put(ws, id, &d)
}

// Revoke marks a device revoked and returns its deposit, for the runtime
// to credit to the caller. Only the owner may revoke, once: the record
// stays (with a zero deposit), so the key can never be registered again,
// and the device's stored attestations stay readable. Attestations it
// signs from now on are refused.
func Revoke(ws *state.WriteSet, caller address.Address, id ID) (canon.U256, error) {
	d, err := owned(ws, caller, id)
	if err != nil {
		return canon.U256{}, fmt.Errorf("device: revoke: %w", err)
	}
	deposit := d.Deposit
	d.Deposit = canon.U256{}
	d.Revoked = true
	if err := put(ws, id, &d); err != nil {
		return canon.U256{}, err
	}
	return deposit, nil
}
