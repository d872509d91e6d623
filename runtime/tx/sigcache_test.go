package tx

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/runtime/canon"
)

// TestSigCache: a verified transaction is remembered and answered from the
// cache; a bad signature is never remembered (so never accepted later);
// the cache keeps at most its bound, forgetting the oldest.
func TestSigCache(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	decoded := func(nonce uint64) *Decoded {
		raw, err := Sign(&Tx{ChainID: "c", Nonce: nonce, GasLimit: 1, GasPrice: canon.NewU256(1), Payload: Payload{Body: Transfer{Amount: canon.NewU256(1)}}}, key)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(raw, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	c := NewSigCache(2)
	a := decoded(1)
	if err := c.Verify(a); err != nil || c.Len() != 1 {
		t.Fatalf("verify: %v, %d cached", err, c.Len())
	}
	if got, ok := c.Get(a.Hash); !ok || got != a {
		t.Fatalf("Get of a verified transaction: %v %v", got, ok)
	}
	// A forged copy under the same hash is what the cache would wrongly
	// pass; a different signature is a different hash, so it is checked.
	bad := decoded(2)
	bad.Signed.Signature = append([]byte(nil), bad.Signed.Signature...)
	bad.Signed.Signature[0] ^= 1
	if err := c.Verify(bad); !errors.Is(err, ErrSignature) {
		t.Fatalf("a bad signature: %v", err)
	}
	if err := c.Verify(bad); !errors.Is(err, ErrSignature) || c.Len() != 1 {
		t.Fatalf("a bad signature, again: %v (%d cached)", err, c.Len())
	}
	if _, ok := c.Get(bad.Hash); ok {
		t.Fatal("Get of a transaction that failed verification")
	}
	// Hits skip the check: proven by breaking a's signature in place
	// (its hash, computed at decode, still names the verified bytes).
	a.Signed.Signature[0] ^= 1
	if err := c.Verify(a); err != nil {
		t.Fatalf("a cached transaction was verified again: %v", err)
	}
	a.Signed.Signature[0] ^= 1
	for n := uint64(3); n <= 5; n++ {
		if err := c.Verify(decoded(n)); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 {
		t.Fatalf("%d cached, bound 2", c.Len())
	}
	a.Signed.Signature[0] ^= 1
	if err := c.Verify(a); !errors.Is(err, ErrSignature) {
		t.Fatalf("the oldest was not forgotten: %v", err)
	}
	var none *SigCache
	if err := none.Verify(bad); !errors.Is(err, ErrSignature) {
		t.Fatalf("a nil cache: %v", err)
	}
}
