package jmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// memStore is an in-memory node store for tests of the tree alone.
type memStore struct {
	nodes map[NodeKey]*Node
}

func newMemStore() *memStore { return &memStore{nodes: map[NodeKey]*Node{}} }

func (s *memStore) Node(k NodeKey) (*Node, error) {
	n, ok := s.nodes[k]
	if !ok {
		return nil, ErrMissingNode
	}
	c := *n // the caller's own copy: Update modifies what it reads
	return &c, nil
}

func (s *memStore) apply(t *testing.T, res *Result) {
	t.Helper()
	for _, e := range res.New {
		if _, dup := s.nodes[e.Key]; dup {
			t.Fatalf("node %v written twice", e.Key)
		}
		s.nodes[e.Key] = e.Node
	}
}

// referenceRoot computes the root of a key set from scratch, the obvious
// way, sharing nothing with Update but the three hash formulas.
func referenceRoot(kv map[Hash]Hash) Hash {
	keys := make([]Hash, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	var rec func(keys []Hash, depth int) Hash
	rec = func(keys []Hash, depth int) Hash {
		switch len(keys) {
		case 0:
			return EmptyHash
		case 1:
			return leafHash(keys[0], kv[keys[0]])
		}
		var children [16]Child
		for nib := 0; nib < 16; nib++ {
			var group []Hash
			for _, k := range keys {
				if int(nibble(k, depth)) == nib {
					group = append(group, k)
				}
			}
			if len(group) > 0 {
				children[nib] = Child{Present: true, Hash: rec(group, depth+1)}
			}
		}
		h, _ := internalHash(&children, nil)
		return h
	}
	return rec(keys, 0)
}

func keyOf(i int) Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return HashKey(b[:])
}

func valueOf(i, v int) Hash { return HashValue([]byte(fmt.Sprintf("%d/%d", i, v))) }

// TestTreeMatchesReference: random sets and deletes over many versions; the
// root always equals the reference root of the live set, every present and
// absent key proves, and tampered proofs fail. Keys are drawn from a small
// space (including ones that share long prefixes by construction) so
// updates, deletes and collapses all happen.
func TestTreeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	store := newMemStore()
	live := map[Hash]Hash{}
	var root Root
	var staleTotal, removedTotal int
	for version := uint64(1); version <= 300; version++ {
		var changes []Change
		seen := map[Hash]bool{}
		for n := rng.IntN(20); n >= 0; n-- {
			k := keyOf(rng.IntN(200))
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, ok := live[k]; ok && rng.IntN(3) == 0 {
				changes = append(changes, Change{KeyHash: k, Delete: true})
				delete(live, k)
				continue
			}
			v := valueOf(int(k[0]), int(version))
			changes = append(changes, Change{KeyHash: k, ValueHash: v})
			live[k] = v
		}
		if rng.IntN(10) == 0 { // deleting absent keys changes nothing
			k := keyOf(1000 + rng.IntN(100))
			if !seen[k] {
				changes = append(changes, Change{KeyHash: k, Delete: true})
			}
		}
		res, err := Update(store, root, version, changes)
		if err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		store.apply(t, res)
		checkRemoved(t, res)
		staleTotal += len(res.Stale)
		removedTotal += len(res.Removed)
		root = res.Root
		if got, want := root.RootHash(), referenceRoot(live); got != want {
			t.Fatalf("version %d: root %x, reference %x (%d keys)", version, got[:8], want[:8], len(live))
		}
		for i := 0; i < 5; i++ {
			k := keyOf(rng.IntN(260))
			checkProof(t, store, root, k, live)
		}
	}
	if len(live) < 50 || staleTotal == 0 || removedTotal == 0 {
		t.Fatalf("the history was too tame: %d live keys, %d stale nodes, %d removed", len(live), staleTotal, removedTotal)
	}
}

func checkProof(t *testing.T, store *memStore, root Root, k Hash, live map[Hash]Hash) {
	t.Helper()
	p, err := Prove(store, root, k)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := live[k]
	var vp *Hash
	if ok {
		vp = &v
	}
	if err := Verify(root.RootHash(), k, vp, p); err != nil {
		t.Fatalf("proof of %x (present %v): %v", k[:4], ok, err)
	}
	// The opposite claim must fail.
	if ok {
		if Verify(root.RootHash(), k, nil, p) == nil {
			t.Fatal("a present key proved absent")
		}
		other := HashValue([]byte("other"))
		if Verify(root.RootHash(), k, &other, p) == nil {
			t.Fatal("a proof verified a wrong value")
		}
	} else if Verify(root.RootHash(), k, &v, p) == nil {
		t.Fatal("an absent key proved present")
	}
	// Tampering with any sibling breaks it.
	for i := range p.Levels {
		if len(p.Levels[i].Siblings) == 0 {
			continue
		}
		p.Levels[i].Siblings[0][0] ^= 1
		if Verify(root.RootHash(), k, vp, p) == nil {
			t.Fatal("a tampered proof verified")
		}
		p.Levels[i].Siblings[0][0] ^= 1
		break
	}
}

// TestOrderIndependence: the same final set reached by different histories
// has the same root.
func TestOrderIndependence(t *testing.T) {
	want := map[Hash]Hash{}
	for i := 0; i < 100; i++ {
		want[keyOf(i)] = valueOf(i, 0)
	}
	roots := map[Hash]bool{}
	for seed := uint64(0); seed < 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		store := newMemStore()
		var root Root
		order := rng.Perm(100)
		version := uint64(1)
		for start := 0; start < len(order); {
			end := min(len(order), start+1+rng.IntN(30))
			var cs []Change
			for _, i := range order[start:end] {
				cs = append(cs, Change{KeyHash: keyOf(i), ValueHash: valueOf(i, 0)})
				// Also add and later delete a key that does not belong.
				cs = append(cs, Change{KeyHash: keyOf(500 + i), ValueHash: valueOf(i, 1)})
			}
			res, err := Update(store, root, version, cs)
			if err != nil {
				t.Fatal(err)
			}
			store.apply(t, res)
			root, version, start = res.Root, version+1, end
		}
		var dels []Change
		for i := 0; i < 100; i++ {
			dels = append(dels, Change{KeyHash: keyOf(500 + i), Delete: true})
		}
		res, err := Update(store, root, version, dels)
		if err != nil {
			t.Fatal(err)
		}
		roots[res.Root.RootHash()] = true
	}
	if len(roots) != 1 || !roots[referenceRoot(want)] {
		t.Fatalf("%d distinct roots; the reference is among them: %v", len(roots), roots[referenceRoot(want)])
	}
}

func TestEmptyAndErrors(t *testing.T) {
	store := newMemStore()
	res, err := Update(store, Root{}, 1, nil)
	if err != nil || res.Root.Present || res.Root.RootHash() != EmptyHash {
		t.Fatalf("empty update: %+v %v", res, err)
	}
	p, err := Prove(store, Root{}, keyOf(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(EmptyHash, keyOf(1), nil, p); err != nil {
		t.Fatalf("absence in the empty tree: %v", err)
	}
	k := keyOf(1)
	if _, err := Update(store, Root{}, 2, []Change{{KeyHash: k}, {KeyHash: k}}); err == nil {
		t.Fatal("a key changed twice in one batch was accepted")
	}
	res, _ = Update(store, Root{}, 5, []Change{{KeyHash: k, ValueHash: valueOf(1, 1)}})
	if _, err := Update(store, res.Root, 5, []Change{{KeyHash: keyOf(2)}}); err == nil {
		t.Fatal("an update at a version not above the root's was accepted")
	}
	if !res.Root.Leaf {
		t.Fatal("a tree of one key has an internal root")
	}
	// A root whose nodes are gone reports the missing node.
	res, _ = Update(store, Root{}, 5, []Change{{KeyHash: k, ValueHash: valueOf(1, 1)}, {KeyHash: keyOf(2), ValueHash: valueOf(2, 1)}})
	if _, err := Update(newMemStore(), res.Root, 6, []Change{{KeyHash: keyOf(3)}}); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("missing node: %v", err)
	}
}

// BenchmarkUpdate: blocks of 10,000 random updates into a tree of 100,000
// keys, in memory (the Pebble-backed figure is state's BenchmarkCommit).
func BenchmarkUpdate(b *testing.B) {
	store := newMemStore()
	var root Root
	var cs []Change
	for i := 0; i < 100_000; i++ {
		cs = append(cs, Change{KeyHash: keyOf(i), ValueHash: valueOf(i, 0)})
	}
	res, _ := Update(store, root, 1, cs)
	for _, e := range res.New {
		store.nodes[e.Key] = e.Node
	}
	root = res.Root
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs = cs[:0]
		seen := map[int]bool{}
		for len(cs) < 10_000 {
			k := rng.IntN(100_000)
			if seen[k] {
				continue
			}
			seen[k] = true
			cs = append(cs, Change{KeyHash: keyOf(k), ValueHash: valueOf(k, i+2)})
		}
		res, err := Update(store, root, uint64(i+2), cs)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range res.New {
			store.nodes[e.Key] = e.Node
		}
		root = res.Root
	}
	b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "updates/s")
}

// TestPrev: each change learns the height that last set its key, whatever
// moves the key's leaf made since (splits push leaves down, deletes pull
// them up).
func TestPrev(t *testing.T) {
	store := newMemStore()
	set := map[Hash]uint64{} // key -> height that last set it
	var root Root
	rng := rand.New(rand.NewPCG(5, 6))
	for version := uint64(1); version <= 200; version++ {
		var cs []Change
		seen := map[int]bool{}
		for n := rng.IntN(12); n >= 0; n-- {
			i := rng.IntN(80)
			if seen[i] {
				continue
			}
			seen[i] = true
			cs = append(cs, Change{KeyHash: keyOf(i), ValueHash: valueOf(i, int(version)), Delete: rng.IntN(4) == 0})
		}
		res, err := Update(store, root, version, cs)
		if err != nil {
			t.Fatal(err)
		}
		store.apply(t, res)
		root = res.Root
		if len(res.Prev) != len(cs) {
			t.Fatalf("version %d: %d prev heights for %d changes", version, len(res.Prev), len(cs))
		}
		for i, c := range cs {
			if got, want := res.Prev[i], set[c.KeyHash]; got != want {
				t.Fatalf("version %d: change %d: prev %d, want %d", version, i, got, want)
			}
			if c.Delete {
				delete(set, c.KeyHash)
			} else {
				set[c.KeyHash] = version
			}
		}
	}
}

// TestParallelMatchesSequential: splitting an update across goroutines
// writes the same nodes, retires the same ones and reports the same
// previous heights as doing it on one.
func TestParallelMatchesSequential(t *testing.T) {
	seq, par := newMemStore(), newMemStore()
	var rootS, rootP Root
	rng := rand.New(rand.NewPCG(7, 8))
	for version := uint64(1); version <= 12; version++ {
		var cs []Change
		seen := map[int]bool{}
		for len(cs) < 600+rng.IntN(2000) {
			i := rng.IntN(6000)
			if seen[i] {
				continue
			}
			seen[i] = true
			cs = append(cs, Change{KeyHash: keyOf(i), ValueHash: valueOf(i, int(version)), Delete: version > 2 && rng.IntN(5) == 0})
		}
		a, err := Update(seq, rootS, version, cs)
		if err != nil {
			t.Fatal(err)
		}
		b, err := UpdateParallel(par, rootP, version, cs, 4)
		if err != nil {
			t.Fatal(err)
		}
		seq.apply(t, a)
		par.apply(t, b)
		rootS, rootP = a.Root, b.Root
		checkRemoved(t, a)
		checkRemoved(t, b)
		if a.Root != b.Root || !slices.Equal(a.Prev, b.Prev) || !slices.Equal(a.Stale, b.Stale) || !slices.Equal(a.Removed, b.Removed) || len(a.New) != len(b.New) {
			t.Fatalf("version %d: sequential and parallel updates differ (%d/%d new, %d/%d stale)", version, len(a.New), len(b.New), len(a.Stale), len(b.Stale))
		}
		for i := range a.New {
			if a.New[i].Key != b.New[i].Key || *a.New[i].Node != *b.New[i].Node {
				t.Fatalf("version %d: new node %d differs: %v / %v", version, i, a.New[i].Key, b.New[i].Key)
			}
		}
	}
}

// checkRemoved: Removed is exactly the stale nodes at paths where the
// update wrote no new node, in Stale's order.
func checkRemoved(t *testing.T, res *Result) {
	t.Helper()
	fresh := map[string]bool{}
	for _, e := range res.New {
		fresh[e.Key.Path] = true
	}
	var want []NodeKey
	for _, k := range res.Stale {
		if !fresh[k.Path] {
			want = append(want, k)
		}
	}
	if !slices.Equal(res.Removed, want) {
		t.Fatalf("removed %v, want %v (stale %v)", res.Removed, want, res.Stale)
	}
}
