package sdk

import (
	"encoding/hex"
	"errors"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// Address is an account's or a contract's 20-byte address. Its text form,
// used in JSON, is bech32m with the prefix "plinth" (docs/protocol.md),
// the same as runtime/address's: the SDK does not import that package
// because it would bring the CBOR codec and ed25519 into every contract's
// binary, which contract authors pay for per byte at deploy.
type Address [20]byte

const addressHRP = "plinth"

// String is the bech32m text form, plinth1….
func (a Address) String() string {
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		return "plinth?" + hex.EncodeToString(a[:])
	}
	s, err := bech32.EncodeM(addressHRP, conv)
	if err != nil {
		return "plinth?" + hex.EncodeToString(a[:])
	}
	return s
}

// IsZero reports whether a is the zero address (never a real account).
func (a Address) IsZero() bool { return a == Address{} }

// ErrAddress is the error of parsing a malformed address.
var ErrAddress = errors.New("sdk: not a plinth1… address")

// ParseAddress parses the bech32m text form, refusing another prefix, a
// bad checksum, mixed case and bech32 (not bech32m) checksums.
func ParseAddress(s string) (Address, error) {
	var a Address
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return a, errors.Join(ErrAddress, err)
	}
	if hrp != addressHRP || version != bech32.VersionM {
		return a, ErrAddress
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || len(b) != len(a) {
		return a, ErrAddress
	}
	copy(a[:], b)
	return a, nil
}

func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// DeviceID names a registered device: 20 bytes, hex in text (as the API
// and CLI show it).
type DeviceID [20]byte

func (d DeviceID) String() string { return hex.EncodeToString(d[:]) }

func (d DeviceID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *DeviceID) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(d) {
		return errors.New("sdk: a device id is 40 hex digits")
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// KeyType is a device or signature key type (docs/devices.md).
type KeyType uint8

const (
	Ed25519   KeyType = 1 // signs the message itself
	P256      KeyType = 2 // ECDSA over SHA-256 of the message, compressed key, low S
	Secp256k1 KeyType = 3 // as P256, on secp256k1
)
