package evidence

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

func value(b byte) []byte {
	v := make([]byte, 32)
	v[0] = b
	return v
}

func equivocation(t *testing.T, key ed25519.PrivateKey, a, b []byte) *Evidence {
	t.Helper()
	sa, err := SignVote(key, "c", Vote{Type: Prevote, Height: 7, Round: 2, Value: a})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := SignVote(key, "c", Vote{Type: Prevote, Height: 7, Round: 2, Value: b})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(key.Public().(ed25519.PublicKey), sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEvidence: two conflicting votes make evidence that verifies,
// encodes canonically (either order of the votes gives the same bytes)
// and survives a round trip; anything altered is refused with the reason.
func TestEvidence(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	e := equivocation(t, key, value('B'), nil)
	if err := e.Verify("c"); err != nil {
		t.Fatal(err)
	}
	if len(e.ValueA) != 0 {
		t.Fatalf("the vote for nil sorts first, got value %x first", e.ValueA)
	}
	raw, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > MaxBytes {
		t.Fatalf("%d bytes, above MaxBytes", len(raw))
	}
	swapped := equivocation(t, key, nil, value('B'))
	raw2, _ := swapped.Encode()
	if !bytes.Equal(raw, raw2) || e.Hash() != swapped.Hash() {
		t.Fatal("the order of the votes changed the encoding")
	}
	back, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify("c"); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != e.Hash() {
		t.Fatal("hash changed in a round trip")
	}
	if err := e.Verify("other-chain"); !errors.Is(err, ErrEvidence) {
		t.Fatalf("another chain's evidence: %v", err)
	}

	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	bad := []struct {
		name string
		edit func(e *Evidence)
	}{
		{"tampered signature", func(e *Evidence) { e.SigB[0] ^= 1 }},
		{"another key", func(e *Evidence) { e.PublicKey = other.Public().(ed25519.PublicKey) }},
		{"another round", func(e *Evidence) { e.Round++ }},
		{"another height", func(e *Evidence) { e.Height++ }},
		{"equal values", func(e *Evidence) { e.ValueA, e.SigA = e.ValueB, e.SigB }},
		{"reversed order", func(e *Evidence) { e.ValueA, e.SigA, e.ValueB, e.SigB = e.ValueB, e.SigB, e.ValueA, e.SigA }},
		{"short key", func(e *Evidence) { e.PublicKey = e.PublicKey[:31] }},
		{"bad type", func(e *Evidence) { e.Type = 3 }},
		{"negative round", func(e *Evidence) { e.Round = -1 }},
		{"short value", func(e *Evidence) { e.ValueB = e.ValueB[:31] }},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			x := equivocation(t, key, value('B'), nil)
			c.edit(x)
			if err := x.Verify("c"); !errors.Is(err, ErrEvidence) {
				t.Fatalf("verified: %v", err)
			}
		})
	}

	if _, err := Decode(raw[:len(raw)-1]); !errors.Is(err, ErrEvidence) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := Decode(make([]byte, MaxBytes+1)); !errors.Is(err, ErrEvidence) {
		t.Fatalf("oversized: %v", err)
	}
	if _, err := New(key.Public().(ed25519.PublicKey), Vote{Type: Prevote, Height: 1}, Vote{Type: Precommit, Height: 1}); !errors.Is(err, ErrEvidence) {
		t.Fatalf("votes of two steps: %v", err)
	}
}
