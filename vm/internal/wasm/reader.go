package wasm

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrMalformed marks every decoding failure, so callers can tell a bad module
// from other errors with errors.Is.
var ErrMalformed = errors.New("malformed module")

// ErrFeature marks a module that is well formed but uses a feature outside
// the accepted set (SIMD, threads, or a 2.0 feature under 1.0 rules).
var ErrFeature = errors.New("feature not enabled")

// DecodeError locates a decoding failure: the section, the function (for
// code) and the absolute byte offset in the module.
type DecodeError struct {
	Section string
	Func    int // index in the function index space, or -1
	Offset  int
	Msg     string
	Kind    error // ErrMalformed or ErrFeature
}

func (e *DecodeError) Error() string {
	if e.Func >= 0 {
		return fmt.Sprintf("section %s, function %d, offset 0x%x: %s", e.Section, e.Func, e.Offset, e.Msg)
	}
	return fmt.Sprintf("section %s, offset 0x%x: %s", e.Section, e.Offset, e.Msg)
}

func (e *DecodeError) Unwrap() error { return e.Kind }

// reader walks a byte slice. base is the absolute offset of b[0] in the
// module, so errors name module offsets, not section offsets.
type reader struct {
	b       []byte
	pos     int
	base    int
	section string
	fn      int
}

func (r *reader) errf(kind error, format string, args ...any) error {
	return &DecodeError{Section: r.section, Func: r.fn, Offset: r.base + r.pos, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

func (r *reader) malformed(format string, args ...any) error {
	return r.errf(ErrMalformed, format, args...)
}

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.malformed("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, r.malformed("unexpected end: %d bytes wanted, %d left", n, len(r.b)-r.pos)
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes whose unused high bits
// are zero, as the spec requires.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == 4 && c&0x70 != 0 {
			return 0, r.malformed("integer too large")
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, r.malformed("integer representation too long")
}

// s32 reads a signed 32-bit LEB128 (i32.const).
func (r *reader) s32() (int32, error) {
	v, err := r.signed(32)
	return int32(v), err
}

// s33 reads a signed 33-bit LEB128 (block types).
func (r *reader) s33() (int64, error) { return r.signed(33) }

// s64 reads a signed 64-bit LEB128 (i64.const).
func (r *reader) s64() (int64, error) { return r.signed(64) }

// signed reads a signed LEB128 of an n-bit integer: at most ⌈n/7⌉ bytes,
// and the bits of the last byte beyond n must copy the sign bit, as the
// spec requires.
func (r *reader) signed(n uint) (int64, error) {
	maxBytes := int((n + 6) / 7)
	payload := n - 7*uint(maxBytes-1) // bits the last byte may carry, 1..7
	var v int64
	var shift uint
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 && payload < 7 {
			unused := (c & 0x7F) >> payload
			mask := byte(0x7F) >> payload
			if (c>>(payload-1))&1 == 0 && unused != 0 || (c>>(payload-1))&1 == 1 && unused != mask {
				return 0, r.malformed("integer too large")
			}
		}
		v |= int64(c&0x7F) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
	return 0, r.malformed("integer representation too long")
}

// count reads a vector length and rejects one that cannot fit in the bytes
// left, given that each element takes at least minSize bytes. This keeps a
// hostile length from becoming a huge allocation.
func (r *reader) count(minSize int) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(len(r.b)-r.pos) {
		return 0, r.malformed("vector length %d exceeds the %d bytes left", n, len(r.b)-r.pos)
	}
	return n, nil
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", r.malformed("malformed UTF-8 encoding")
	}
	return string(b), nil
}

// Append helpers: the canonical (shortest) encodings.

// AppendU32 appends the unsigned LEB128 encoding of v.
func AppendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// AppendS64 appends the signed LEB128 encoding of v (also used for i32
// constants and block type indices).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	b = AppendU32(b, uint32(len(s)))
	return append(b, s...)
}
