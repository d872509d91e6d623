package address

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

func TestTextRoundTrip(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	a := FromPublicKey(pub)
	s := a.String()
	if !strings.HasPrefix(s, "plinth1") || len(s) != 45 {
		t.Fatalf("text form %q", s)
	}
	b, err := Parse(s)
	if err != nil || b != a {
		t.Fatalf("parse %q: %v %v", s, b, err)
	}
	if up, err := Parse(strings.ToUpper(s)); err != nil || up != a {
		t.Fatalf("the all-uppercase form is the same address: %v", err)
	}
	j, _ := json.Marshal(struct{ A Address }{a})
	var back struct{ A Address }
	if err := json.Unmarshal(j, &back); err != nil || back.A != a {
		t.Fatalf("JSON %s: %v", j, err)
	}
	if c := Contract(a, 0); c == Contract(a, 1) || c == a {
		t.Fatal("contract addresses collide")
	}
}

// TestParseRefuses: each kind of bad text address is refused, naming why.
func TestParseRefuses(t *testing.T) {
	a := Contract(Address{1}, 7)
	s := a.String()
	flip := []byte(s) // one character changed to another valid one
	if flip[20] = 'q'; s[20] == 'q' {
		flip[20] = 'p'
	}
	data, _ := bech32.ConvertBits(a[:], 8, 5, true)
	plain, _ := bech32.Encode(HRP, data) // bech32, not bech32m
	other, _ := bech32.EncodeM("cosmos", data)
	short, _ := bech32.EncodeM(HRP, data[:30])
	for name, bad := range map[string]string{
		"a typo":          string(flip),
		"mixed case":      s[:10] + strings.ToUpper(s[10:]),
		"bech32 checksum": plain,
		"another prefix":  other,
		"wrong length":    short,
		"empty":           "",
	} {
		if _, err := Parse(bad); !errors.Is(err, ErrAddress) {
			t.Errorf("%s (%q): %v, want ErrAddress", name, bad, err)
		}
	}
}
