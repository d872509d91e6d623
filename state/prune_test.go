package state

import (
	"bytes"
	"context"
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

// TestKeepRecent: with KeepRecent set, every commit prunes what falls out
// of the window, so the store holds a bounded number of value versions and
// tree nodes however long it runs, and the window itself reads and proves.
func TestKeepRecent(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{ChainID: "test-chain", CheckInvariants: true, KeepRecent: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var versions, nodes []int
	for h := uint64(1); h <= 40; h++ {
		var cs []Change
		for i := 0; i < 50; i++ {
			cs = append(cs, Change{Key: []byte(fmt.Sprintf("k%02d", i)), Value: []byte(fmt.Sprintf("%d@%d", i, h))})
		}
		if _, err := s.Commit(h, cs); err != nil {
			t.Fatal(err)
		}
		if want := max(1, int(h)-4); s.OldestHeight() != uint64(want) {
			t.Fatalf("height %d: oldest %d, want %d", h, s.OldestHeight(), want)
		}
		versions = append(versions, countPrefix(t, s, prefixVersioned))
		nodes = append(nodes, countPrefix(t, s, prefixNode))
	}
	// Each height rewrites all 50 keys: five heights keep 250 versions.
	if got := versions[len(versions)-1]; got != 250 {
		t.Fatalf("%d value versions kept, want 250", got)
	}
	if nodes[39] != nodes[19] {
		t.Fatalf("tree nodes grew from %d to %d under a fixed window", nodes[19], nodes[39])
	}
	if _, _, err := s.GetAt([]byte("k01"), 35); !errors.Is(err, ErrNotRetained) {
		t.Fatalf("read below the window: %v", err)
	}
	for h := uint64(36); h <= 40; h++ {
		v, p, err := s.Prove([]byte("k07"), h)
		if err != nil || string(v) != fmt.Sprintf("7@%d", h) {
			t.Fatalf("k07 at %d: %q %v", h, v, err)
		}
		root, _ := s.RootAt(h)
		if err := VerifyProof(root, []byte("k07"), v, p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPruneReclaimsSpace: rewriting the same keys for many heights fills
// the disk with history; pruning it and compacting gives the space back.
func TestPruneReclaimsSpace(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	value := make([]byte, 1024)
	for h := uint64(1); h <= 40; h++ {
		var cs []Change
		for i := 0; i < 500; i++ {
			value[0], value[1] = byte(h), byte(i)
			cs = append(cs, Change{Key: []byte(fmt.Sprintf("key-%04d", i)), Value: bytes.Clone(value)})
		}
		if _, err := s.Commit(h, cs); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, false); err != nil {
		t.Fatal(err)
	}
	before := s.db.Metrics().Table.Local.LiveSize
	if err := s.Prune(40); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, false); err != nil {
		t.Fatal(err)
	}
	after := s.db.Metrics().Table.Local.LiveSize
	// Live table bytes (the WAL files Pebble keeps to recycle are not the
	// data): 40 heights of 500 KB of values against the one height kept.
	if after*5 > before {
		t.Fatalf("tables hold %d bytes before pruning, %d after compaction: not reclaimed", before, after)
	}
	t.Logf("tables: %d → %d bytes", before, after)
	if v, ok, err := s.Get([]byte("key-0007")); err != nil || !ok || v[0] != 40 || v[1] != 7 {
		t.Fatalf("latest value after pruning: %x %v %v", v[:2], ok, err)
	}
}
