// Package address is the 20-byte address of an account or a contract and
// its checksummed text form (docs/protocol.md, "Accounts and addresses").
package address

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/plinthchain/plinth/runtime/canon"
)

// Address names an account or a contract.
type Address [20]byte

// HRP is the human-readable part of the text form.
const HRP = "plinth"

// Domain tags: an account's and a contract's addresses come from hashes
// that cannot collide with each other or with any other protocol hash.
const (
	accountTag  = "plinth/addr/ed25519\x00"
	contractTag = "plinth/addr/contract\x00"
)

// ErrAddress reports a text address that does not parse.
var ErrAddress = errors.New("address: invalid")

// FromPublicKey returns the address of an ed25519 account.
func FromPublicKey(pub ed25519.PublicKey) Address {
	h := canon.TaggedHash(accountTag, pub)
	return Address(h[:20])
}

// Contract returns the address of the n-th contract creator instantiates.
func Contract(creator Address, n uint64) Address {
	h := canon.TaggedHash(contractTag, creator[:], binary.BigEndian.AppendUint64(nil, n))
	return Address(h[:20])
}

// String returns the bech32m text form, plinth1….
func (a Address) String() string {
	data, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err == nil {
		var s string
		if s, err = bech32.EncodeM(HRP, data); err == nil {
			return s
		}
	}
	panic(fmt.Sprintf("address: encoding 20 bytes failed: %v", err)) // cannot happen for 20 bytes
}

// Parse reads a text address. It refuses another prefix, mixed case, a
// bad checksum, a bech32 (not bech32m) checksum and a wrong length, each
// wrapped in ErrAddress with the reason.
func Parse(s string) (Address, error) {
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return Address{}, fmt.Errorf("%w: %q: %v", ErrAddress, s, err)
	}
	if hrp != HRP {
		return Address{}, fmt.Errorf("%w: %q: prefix %q, want %q", ErrAddress, s, hrp, HRP)
	}
	if version != bech32.VersionM {
		return Address{}, fmt.Errorf("%w: %q: a bech32 checksum where bech32m is required", ErrAddress, s)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return Address{}, fmt.Errorf("%w: %q: %v", ErrAddress, s, err)
	}
	if len(raw) != 20 {
		return Address{}, fmt.Errorf("%w: %q: %d bytes, want 20", ErrAddress, s, len(raw))
	}
	var a Address
	copy(a[:], raw)
	return a, nil
}

// MarshalText implements encoding.TextMarshaler (JSON uses the text form).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// IsZero reports the zero address (no account has it).
func (a Address) IsZero() bool { return a == Address{} }
