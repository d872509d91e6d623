package sdk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

// The SDK keeps its own address text form and CBOR so that contracts do
// not carry the node's codec; these tests hold them to the node's
// packages, byte for byte.

func testAddresses() []Address {
	as := []Address{{}, {1}, {19: 1}}
	var ff Address
	for i := range ff {
		ff[i] = 0xff
	}
	as = append(as, ff)
	for i := range 20 {
		h := sha256.Sum256([]byte{byte(i)})
		as = append(as, Address(h[:20]))
	}
	return as
}

func TestAddressTextMatchesRuntime(t *testing.T) {
	for _, a := range testAddresses() {
		s := a.String()
		if want := address.Address(a).String(); s != want {
			t.Fatalf("%x: %s, runtime/address says %s", a[:], s, want)
		}
		back, err := ParseAddress(s)
		if err != nil || back != a {
			t.Fatalf("parse %s: %x, %v", s, back[:], err)
		}
		if _, err := ParseAddress(strings.ToUpper(s)); err != nil {
			t.Fatalf("upper case %s: %v", s, err) // one case throughout is allowed
		}
	}
}

func TestParseAddressRefuses(t *testing.T) {
	a := testAddresses()[5]
	good := a.String()
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	otherPrefix, err := bech32.EncodeM("cosmos", conv)
	if err != nil {
		t.Fatal(err)
	}
	notM, err := bech32.Encode("plinth", conv) // bech32, not bech32m
	if err != nil {
		t.Fatal(err)
	}
	short, err := bech32.ConvertBits(a[:19], 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	shortAddr, err := bech32.EncodeM("plinth", short)
	if err != nil {
		t.Fatal(err)
	}
	// The last character of the checksum, changed.
	last := good[len(good)-1]
	swap := byte('q')
	if last == 'q' {
		swap = 'p'
	}
	badChecksum := good[:len(good)-1] + string(swap)
	mixed := strings.ToUpper(good[:10]) + good[10:]

	for name, s := range map[string]string{
		"bad checksum": badChecksum,
		"other prefix": otherPrefix,
		"bech32":       notM,
		"19 bytes":     shortAddr,
		"mixed case":   mixed,
		"empty":        "",
		"hex":          "0x0102",
	} {
		if _, err := ParseAddress(s); !errors.Is(err, ErrAddress) {
			t.Errorf("%s (%q): %v, want ErrAddress", name, s, err)
		}
		if _, err := address.Parse(s); err == nil {
			t.Errorf("%s (%q): runtime/address accepts it", name, s)
		}
	}
}

func TestEncodeAttributesMatchesCanon(t *testing.T) {
	long := strings.Repeat("k", 300)
	for _, attrs := range [][]Attribute{
		nil,
		{},
		{{Key: "", Value: nil}},
		{{Key: "count", Value: []byte("1")}},
		{{Key: "a", Value: []byte{0}}, {Key: "b", Value: bytes.Repeat([]byte{0xff}, 23)}, {Key: "c", Value: bytes.Repeat([]byte{1}, 24)}},
		{{Key: long, Value: bytes.Repeat([]byte{2}, 256)}, {Key: "big", Value: bytes.Repeat([]byte{3}, 70_000)}},
		{{Key: "ünï", Value: []byte("cöde")}},
	} {
		hattrs := make([]hostfns.Attribute, len(attrs))
		for i, a := range attrs {
			hattrs[i] = hostfns.Attribute{Key: a.Key, Value: a.Value}
		}
		want, err := canon.Marshal(hattrs)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeAttributes(attrs); !bytes.Equal(got, want) {
			t.Fatalf("%d attributes: %x, canon %x", len(attrs), got[:min(len(got), 32)], want[:min(len(want), 32)])
		}
		// And the host decodes it back, strictly.
		var back []hostfns.Attribute
		if err := canon.Unmarshal(encodeAttributes(attrs), &back); err != nil || len(back) != len(attrs) {
			t.Fatalf("canon decodes %d attributes as %d: %v", len(attrs), len(back), err)
		}
	}
	// Many attributes: a two-byte array head.
	many := make([]Attribute, 300)
	hmany := make([]hostfns.Attribute, 300)
	for i := range many {
		many[i] = Attribute{Key: "k", Value: []byte{byte(i)}}
		hmany[i] = hostfns.Attribute{Key: "k", Value: []byte{byte(i)}}
	}
	if want, _ := canon.Marshal(hmany); !bytes.Equal(encodeAttributes(many), want) {
		t.Fatal("300 attributes differ from canon's encoding")
	}
}

func TestDecodeEntriesReadsCanon(t *testing.T) {
	for _, entries := range [][]hostfns.Entry{
		nil,
		{{Key: []byte("k"), Value: []byte("v")}},
		{{Key: []byte("keys only")}, {Key: []byte{0, 1, 2}}},
		{{Key: bytes.Repeat([]byte{9}, 512), Value: bytes.Repeat([]byte{8}, 70_000)}, {Key: []byte{}, Value: []byte{}}},
	} {
		enc, err := canon.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEntries(enc)
		if err != nil {
			t.Fatalf("%d entries: %v", len(entries), err)
		}
		if len(got) != len(entries) {
			t.Fatalf("%d entries decoded as %d", len(entries), len(got))
		}
		for i, e := range entries {
			if !bytes.Equal(got[i].Key, e.Key) || !bytes.Equal(got[i].Value, e.Value) {
				t.Fatalf("entry %d: %x=%x, want %x=%x", i, got[i].Key, got[i].Value, e.Key, e.Value)
			}
		}
	}
	// Anything else is refused, not misread.
	good, _ := canon.Marshal([]hostfns.Entry{{Key: []byte("k"), Value: []byte("v")}})
	for name, b := range map[string][]byte{
		"truncated":      good[:len(good)-1],
		"trailing":       append(bytes.Clone(good), 0),
		"not an array":   {0x41, 'k'},
		"three elements": {0x81, 0x83, 0x40, 0x40, 0x40},
		"text key":       {0x81, 0x82, 0x61, 'k', 0x40},
	} {
		if _, err := decodeEntries(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
