package sdk

import (
	"errors"
	"math/bits"
)

// Amount is a quantity of the native token: an unsigned 256-bit integer,
// as the chain keeps balances. Its text form (and JSON) is the decimal
// number in a string, "1000000", as the node's API writes amounts.
//
// Arithmetic that would overflow or go below zero, and division by zero,
// panic; in a method, that aborts the call and rolls it back, which is
// the only safe outcome for money. Compare first where a shortfall is an
// expected case.
//
// The SDK has its own type rather than holiman/uint256 (which the node
// uses) because that package brings math/big and database/sql into every
// contract: 0.6 MB of a module that is paid for per byte at deploy and
// must fit in MaxCodeBytes.
type Amount struct {
	w [4]uint64 // little-endian 64-bit words
}

// NewAmount is the amount v.
func NewAmount(v uint64) Amount { return Amount{w: [4]uint64{v}} }

// AmountFromBytes reads a big-endian value of at most 32 bytes (the host
// ABI's form).
func AmountFromBytes(b []byte) Amount {
	var a Amount
	if len(b) > 32 {
		panic("sdk: an amount of more than 32 bytes")
	}
	for i, x := range b {
		bit := uint(len(b)-1-i) * 8
		a.w[bit/64] |= uint64(x) << (bit % 64)
	}
	return a
}

// Bytes32 is the 32-byte big-endian form.
func (a Amount) Bytes32() [32]byte {
	var b [32]byte
	for i := range 32 {
		bit := uint(31-i) * 8
		b[i] = byte(a.w[bit/64] >> (bit % 64))
	}
	return b
}

// IsZero reports whether a is 0.
func (a Amount) IsZero() bool { return a.w == [4]uint64{} }

// Uint64 returns a and true if it fits in 64 bits.
func (a Amount) Uint64() (uint64, bool) { return a.w[0], a.w[1]|a.w[2]|a.w[3] == 0 }

// Cmp returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int {
	for i := 3; i >= 0; i-- {
		switch {
		case a.w[i] < b.w[i]:
			return -1
		case a.w[i] > b.w[i]:
			return 1
		}
	}
	return 0
}

// Add returns a+b; it panics on overflow.
func (a Amount) Add(b Amount) Amount {
	var c uint64
	for i := range 4 {
		a.w[i], c = bits.Add64(a.w[i], b.w[i], c)
	}
	if c != 0 {
		panic("sdk: amount overflow")
	}
	return a
}

// Sub returns a-b; it panics if b > a.
func (a Amount) Sub(b Amount) Amount {
	var c uint64
	for i := range 4 {
		a.w[i], c = bits.Sub64(a.w[i], b.w[i], c)
	}
	if c != 0 {
		panic("sdk: amount below zero")
	}
	return a
}

// Mul returns a×b; it panics on overflow.
func (a Amount) Mul(b Amount) Amount {
	p, ok := a.mul(b)
	if !ok {
		panic("sdk: amount overflow")
	}
	return p
}

// mul returns a×b and whether it fits.
func (a Amount) mul(b Amount) (Amount, bool) {
	var r [8]uint64
	for i := range 4 {
		var carry uint64
		for j := range 4 {
			hi, lo := bits.Mul64(a.w[i], b.w[j])
			lo, c := bits.Add64(lo, r[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			r[i+j] = lo
			carry = hi
		}
		r[i+4] = carry
	}
	return Amount{w: [4]uint64(r[:4])}, r[4]|r[5]|r[6]|r[7] == 0
}

// Div returns a÷b rounded down; it panics if b is 0.
func (a Amount) Div(b Amount) Amount {
	q, _ := a.divmod(b)
	return q
}

// Mod returns a mod b; it panics if b is 0.
func (a Amount) Mod(b Amount) Amount {
	_, r := a.divmod(b)
	return r
}

// divmod is binary long division: at most 256 steps, plenty fast for the
// few divisions a contract makes, and simple enough to trust.
func (a Amount) divmod(b Amount) (q, r Amount) {
	if b.IsZero() {
		panic("sdk: amount division by zero")
	}
	if a.Cmp(b) < 0 {
		return Amount{}, a
	}
	for i := a.bitLen() - 1; i >= 0; i-- {
		r = r.shl1()
		r.w[0] |= a.w[i/64] >> (i % 64) & 1
		if r.Cmp(b) >= 0 {
			r = r.Sub(b)
			q.w[i/64] |= 1 << (i % 64)
		}
	}
	return q, r
}

func (a Amount) bitLen() int {
	for i := 3; i >= 0; i-- {
		if a.w[i] != 0 {
			return i*64 + bits.Len64(a.w[i])
		}
	}
	return 0
}

func (a Amount) shl1() Amount {
	for i := 3; i > 0; i-- {
		a.w[i] = a.w[i]<<1 | a.w[i-1]>>63
	}
	a.w[0] <<= 1
	return a
}

// String is the decimal form.
func (a Amount) String() string {
	if a.IsZero() {
		return "0"
	}
	var buf [78]byte // 2^256 has 78 digits
	i := len(buf)
	for !a.IsZero() {
		// Divide by 10^19, the largest power of ten in a word, and write
		// the remainder's 19 digits.
		var r uint64
		for j := 3; j >= 0; j-- {
			a.w[j], r = bits.Div64(r, a.w[j], 1e19)
		}
		for k := 0; k < 19 && (r != 0 || !a.IsZero()); k++ {
			i--
			buf[i] = byte('0' + r%10)
			r /= 10
		}
	}
	return string(buf[i:])
}

// ErrAmount is the error of parsing something that is not a decimal
// amount below 2^256.
var ErrAmount = errors.New("sdk: not a decimal amount below 2^256")

// ParseAmount reads the decimal form: digits only, no sign, no leading
// zeros (but "0").
func ParseAmount(s string) (Amount, error) {
	var a Amount
	if s == "" || len(s) > 78 || (len(s) > 1 && s[0] == '0') {
		return a, ErrAmount
	}
	ten := NewAmount(10)
	for i := 0; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return a, ErrAmount
		}
		var ok bool
		if a, ok = a.mul(ten); !ok {
			return a, ErrAmount
		}
		var c uint64
		a.w[0], c = bits.Add64(a.w[0], uint64(d-'0'), 0)
		for j := 1; j < 4 && c != 0; j++ {
			a.w[j], c = bits.Add64(a.w[j], 0, c)
		}
		if c != 0 {
			return a, ErrAmount
		}
	}
	return a, nil
}

func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
