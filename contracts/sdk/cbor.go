package sdk

import (
	"encoding/binary"
	"errors"
)

// A minimal CBOR reader and writer for the few shapes the host ABI uses
// (arrays, unsigned integers, byte and text strings, booleans), in the
// canonical forms the chain writes. fxamacker/cbor, the node's codec,
// would add several hundred KiB of reflection to every contract; the
// tests check this one against it.

var errCBOR = errors.New("sdk: malformed CBOR from the host")

type cborReader struct {
	b   []byte
	err error
}

func (r *cborReader) head() (major byte, arg uint64) {
	if r.err != nil {
		return 0, 0
	}
	if len(r.b) == 0 {
		r.err = errCBOR
		return 0, 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	major, info := c>>5, c&0x1f
	switch {
	case info < 24:
		return major, uint64(info)
	case info <= 27:
		n := 1 << (info - 24)
		if len(r.b) < n {
			r.err = errCBOR
			return 0, 0
		}
		var v uint64
		for _, x := range r.b[:n] {
			v = v<<8 | uint64(x)
		}
		r.b = r.b[n:]
		return major, v
	default:
		r.err = errCBOR
		return 0, 0
	}
}

func (r *cborReader) expect(major byte) uint64 {
	m, v := r.head()
	if r.err == nil && m != major {
		r.err = errCBOR
	}
	return v
}

func (r *cborReader) array() int {
	n := r.expect(4)
	if n > uint64(len(r.b)) { // every element takes at least a byte
		r.err = errCBOR
		return 0
	}
	return int(n)
}

func (r *cborReader) uint() uint64 { return r.expect(0) }

func (r *cborReader) str(major byte) []byte {
	n := r.expect(major)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errCBOR
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *cborReader) bytes() []byte { return r.str(2) }
func (r *cborReader) text() string  { return string(r.str(3)) }

func (r *cborReader) bool() bool {
	m, v := r.head()
	if r.err == nil && (m != 7 || (v != 20 && v != 21)) {
		r.err = errCBOR
	}
	return v == 21
}

func (r *cborReader) fixed(dst []byte) {
	b := r.bytes()
	if r.err == nil && len(b) != len(dst) {
		r.err = errCBOR
	}
	copy(dst, b)
}

func (r *cborReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errCBOR
	}
	return r.err
}

func cborHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, m|27), n)
	}
}

// encodeAttributes is emit's attribute list: [[key tstr, value bstr], …].
func encodeAttributes(attrs []Attribute) []byte {
	b := cborHead(nil, 4, uint64(len(attrs)))
	for _, a := range attrs {
		b = cborHead(b, 4, 2)
		b = append(cborHead(b, 3, uint64(len(a.Key))), a.Key...)
		b = append(cborHead(b, 2, uint64(len(a.Value))), a.Value...)
	}
	return b
}

// decodeEntries reads storage_range's [[key, value], …].
func decodeEntries(b []byte) ([]Entry, error) {
	r := cborReader{b: b}
	n := r.array()
	out := make([]Entry, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		if r.array() != 2 && r.err == nil {
			r.err = errCBOR
		}
		out = append(out, Entry{Key: r.bytes(), Value: r.bytes()})
	}
	return out, r.done()
}
