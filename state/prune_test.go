package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

func countPrefix(t *testing.T, s *Store, prefix byte) int {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix}, UpperBound: []byte{prefix + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// TestPrune: after pruning to height 20 of 30, heights 20..30 still read
// and prove every key (so no node they use was deleted), heights below are
// refused, nodes and roots were deleted, and all of it survives a reopen.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	roots := map[uint64][32]byte{}
	value := func(k, h int) string { return fmt.Sprintf("%d@%d", k, h) }
	live := map[uint64]map[string]string{0: {}}
	versions := map[string][]int{} // heights of each key's versions; negative for tombstones
	for h := uint64(1); h <= 30; h++ {
		next := map[string]string{}
		for k, v := range live[h-1] {
			next[k] = v
		}
		var cs []Change
		for i := 0; i < 25; i++ {
			k := fmt.Sprintf("k%03d", (int(h)*17+i*7)%120)
			if _, dup := findChange(cs, k); dup {
				continue
			}
			if i%5 == 4 {
				cs = append(cs, Change{Key: []byte(k), Delete: true})
				if _, ok := next[k]; ok {
					versions[k] = append(versions[k], -int(h)) // a tombstone
				}
				delete(next, k)
				continue
			}
			cs = append(cs, Change{Key: []byte(k), Value: []byte(value(i, int(h)))})
			next[k] = value(i, int(h))
			versions[k] = append(versions[k], int(h))
		}
		var err error
		if roots[h], err = s.Commit(h, cs); err != nil {
			t.Fatal(err)
		}
		live[h] = next
	}
	nodesBefore := countPrefix(t, s, prefixNode)
	if err := s.Prune(20); err != nil {
		t.Fatal(err)
	}
	nodesAfter := countPrefix(t, s, prefixNode)
	if nodesAfter >= nodesBefore {
		t.Fatalf("prune deleted no nodes (%d before, %d after)", nodesBefore, nodesAfter)
	}
	if n := countPrefix(t, s, prefixRoot); n != 11 {
		t.Fatalf("%d roots kept, want 11 (heights 20..30)", n)
	}
	// Versions kept: all above 20, and for each key the newest at or
	// below 20 unless it is a tombstone.
	want := 0
	for _, vs := range versions {
		newestBelow := 0
		for _, v := range vs {
			h := v
			if h < 0 {
				h = -h
			}
			if h > 20 {
				want++
			} else {
				newestBelow = v
			}
		}
		if newestBelow > 0 {
			want++
		}
	}
	if n := countPrefix(t, s, prefixVersioned); n != want {
		t.Fatalf("%d value versions kept, want %d", n, want)
	}
	check := func(s *Store) {
		t.Helper()
		if s.OldestHeight() != 20 {
			t.Fatalf("oldest height %d, want 20", s.OldestHeight())
		}
		for h := uint64(20); h <= 30; h++ {
			for i := 0; i < 120; i++ {
				k := fmt.Sprintf("k%03d", i)
				v, proof, err := s.Prove([]byte(k), h)
				if err != nil {
					t.Fatalf("prove %s at %d after pruning: %v", k, h, err)
				}
				want, ok := live[h][k]
				if (v != nil) != ok || string(v) != want {
					t.Fatalf("%s at %d = %q, want %q", k, h, v, want)
				}
				if err := VerifyProof(roots[h], []byte(k), v, proof); err != nil {
					t.Fatalf("proof of %s at %d: %v", k, h, err)
				}
			}
		}
		for _, h := range []uint64{1, 19} {
			if _, err := s.RootAt(h); !errors.Is(err, ErrNotRetained) {
				t.Fatalf("RootAt(%d) after pruning: %v", h, err)
			}
			if _, _, err := s.GetAt([]byte("k001"), h); !errors.Is(err, ErrNotRetained) {
				t.Fatalf("GetAt(%d) after pruning: %v", h, err)
			}
		}
	}
	check(s)
	if err := s.Prune(31); err == nil {
		t.Fatal("pruned above the latest height")
	}
	// Commits go on after pruning, and their stale nodes prune later.
	if _, err := s.Commit(31, []Change{{Key: []byte("k001"), Value: []byte("new")}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dir)
	defer s.Close()
	check(s)
	if err := s.Prune(31); err != nil {
		t.Fatal(err)
	}
	if v, p, err := s.Prove([]byte("k001"), 31); err != nil || string(v) != "new" || VerifyProof(s.RootHash(), []byte("k001"), v, p) != nil {
		t.Fatalf("prove after the second prune: %q %v", v, err)
	}
}

func findChange(cs []Change, k string) (int, bool) {
	for i, c := range cs {
		if string(c.Key) == k {
			return i, true
		}
	}
	return 0, false
}
