package canon

import (
	"errors"
	"testing"
)

type pair struct {
	_ struct{} `cbor:",toarray"`
	N uint64
	A U256
}

func TestRoundTrip(t *testing.T) {
	big, err := ParseU256("115792089237316195423570985008687907853269984665640564039457584007913129639935") // 2^256-1
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []pair{{N: 0}, {N: 1, A: NewU256(255)}, {N: 1 << 40, A: big}} {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got pair
		if err := Unmarshal(b, &got); err != nil {
			t.Fatalf("%x: %v", b, err)
		}
		if got.N != v.N || !got.A.Eq(&v.A.Int) {
			t.Fatalf("round trip of %v gave %v", v, got)
		}
	}
	// Zero is the empty byte string.
	if b, _ := Marshal(pair{}); string(b) != "\x82\x00\x40" {
		t.Fatalf("zero encodes as %x", b)
	}
}

// TestRefusesNonCanonical: every second encoding of a value is refused,
// with ErrEncoding.
func TestRefusesNonCanonical(t *testing.T) {
	for name, b := range map[string]string{
		"integer not in its shortest form": "\x82\x18\x01\x40",
		"amount with a leading zero":       "\x82\x01\x42\x00\x01",
		"amount over 32 bytes":             "\x82\x01\x58\x21" + string(make([]byte, 33)),
		"trailing bytes":                   "\x82\x01\x40\x00",
		"truncated":                        "\x82\x01",
		"indefinite-length array":          "\x9f\x01\x40\xff",
		"too many fields":                  "\x83\x01\x40\x01",
		"a map, not an array":              "\xa1\x01\x02",
		"a tag":                            "\xc1\x82\x01\x40",
		"empty":                            "",
		"null for an amount":               "\x82\x01\xf6",
	} {
		var p pair
		if err := Unmarshal([]byte(b), &p); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: %v, want ErrEncoding", name, err)
		}
	}
}

type keyed struct {
	M map[string]uint64
}

func TestMapKeysSortedAndUnique(t *testing.T) {
	b, err := Marshal(keyed{M: map[string]uint64{"b": 2, "a": 1, "cc": 3}})
	if err != nil {
		t.Fatal(err)
	}
	var k keyed
	if err := Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	// {"M": {"b": 2, "a": 1}}: keys out of order.
	if err := Unmarshal([]byte("\xa1\x61M\xa2\x61b\x02\x61a\x01"), &k); !errors.Is(err, ErrEncoding) {
		t.Errorf("unsorted map keys: %v", err)
	}
	// {"M": {"a": 1, "a": 2}}: a duplicate key.
	if err := Unmarshal([]byte("\xa1\x61M\xa2\x61a\x01\x61a\x02"), &k); !errors.Is(err, ErrEncoding) {
		t.Errorf("duplicate map key: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte("\x82\x01\x41\x05"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p pair
		if Unmarshal(b, &p) != nil {
			return
		}
		again, err := Marshal(p)
		if err != nil || string(again) != string(b) {
			t.Fatalf("accepted %x, which encodes back as %x (%v)", b, again, err)
		}
	})
}

type bytesField struct {
	_ struct{} `cbor:",toarray"`
	B []byte
}

// TestOneEmptyEncoding: nil and empty byte strings have one encoding (the
// empty string), and null is refused.
func TestOneEmptyEncoding(t *testing.T) {
	a, _ := Marshal(bytesField{})
	b, _ := Marshal(bytesField{B: []byte{}})
	if string(a) != string(b) || string(a) != "\x81\x40" {
		t.Fatalf("nil encodes as %x, empty as %x", a, b)
	}
	var v bytesField
	if err := Unmarshal([]byte("\x81\xf6"), &v); !errors.Is(err, ErrEncoding) {
		t.Fatalf("null accepted: %v", err)
	}
}
