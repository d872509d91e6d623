package canon

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/holiman/uint256"
)

// U256 is an amount of the native token: a uint256 whose arithmetic is
// checked by its users (overflow is an error, never a wrap). On the wire it
// is a CBOR byte string holding the big-endian value without leading
// zeros; zero is the empty string.
type U256 struct{ uint256.Int }

// NewU256 returns v as a U256.
func NewU256(v uint64) U256 { return U256{*uint256.NewInt(v)} }

// MarshalCBOR implements cbor.Marshaler.
func (u U256) MarshalCBOR() ([]byte, error) {
	b := u.Bytes() // big-endian, no leading zeros; empty for zero
	return cbor.Marshal(b)
}

// UnmarshalCBOR implements cbor.Unmarshaler. A leading zero byte or more
// than 32 bytes is refused: either would be a second encoding.
func (u *U256) UnmarshalCBOR(data []byte) error {
	var b []byte
	if err := cbor.Unmarshal(data, &b); err != nil {
		return err
	}
	if len(b) > 32 {
		return fmt.Errorf("amount of %d bytes", len(b))
	}
	if len(b) > 0 && b[0] == 0 {
		return fmt.Errorf("amount with a leading zero byte")
	}
	u.SetBytes(b)
	return nil
}

// String returns the decimal form.
func (u U256) String() string { return u.Dec() }

// ParseU256 reads a decimal amount.
func ParseU256(s string) (U256, error) {
	var u U256
	if err := u.SetFromDecimal(s); err != nil {
		return U256{}, fmt.Errorf("amount %q: %w", s, err)
	}
	return u, nil
}
