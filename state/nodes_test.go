package state

import (
	"errors"
	"testing"

	"github.com/plinthchain/plinth/state/internal/jmt"
)

// TestNodeEncoding: a node survives its stored encoding and its node cache
// entry (the encoding with leaf hashes after it) unchanged, leaf hashes
// included; every truncation of either, and a cache entry with a hash too
// many, is ErrCorrupt.
func TestNodeEncoding(t *testing.T) {
	var n jmt.Node
	for i, nib := range []int{0, 3, 7, 15} {
		var kh, vh jmt.Hash
		kh[0], kh[31], vh[5] = byte(nib<<4), byte(i), byte(i+1)
		n.Children[nib] = jmt.LeafChild(kh, vh, uint64(1000*i+1))
	}
	for _, nib := range []int{1, 9} {
		c := jmt.Child{Present: true, Version: uint64(1<<40 + nib)}
		c.Hash[0], c.Hash[31] = byte(nib), 0xAA
		n.Children[nib] = c
	}
	stored := encodeNode(nil, &n)
	cached := appendLeafHashes(append([]byte(nil), stored...), &n)
	if len(cached) != len(stored)+4*32 {
		t.Fatalf("cache entry of %d bytes for a %d-byte node with 4 leaves", len(cached), len(stored))
	}
	for name, dec := range map[string]func([]byte, *jmt.Node) error{"stored": decodeNodeInto, "cached": decodeCachedInto} {
		enc := map[string][]byte{"stored": stored, "cached": cached}[name]
		var got jmt.Node
		if err := dec(enc, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != n {
			t.Fatalf("%s: decoded node differs:\n got %+v\nwant %+v", name, got, n)
		}
		for cut := 0; cut < len(enc); cut++ {
			if err := dec(enc[:cut], &got); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s cut to %d of %d bytes: %v, want ErrCorrupt", name, cut, len(enc), err)
			}
		}
		if err := dec(append(append([]byte(nil), enc...), make([]byte, 32)...), &got); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s with 32 trailing bytes: %v, want ErrCorrupt", name, err)
		}
	}
}
