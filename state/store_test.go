package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/plinthchain/plinth/state/internal/jmt"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{ChainID: "test-chain", CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoreHistoryAndProofs commits random blocks to a real Pebble store,
// then checks every retained height: historical reads match a model, proofs
// of present and absent keys verify against that height's root, the root
// equals a tree built from scratch from the height's live set, and all of
// it survives a reopen.
// It runs with the default node cache and with one too small for the
// tree, so both the cached and the Pebble path of every read are checked.
func TestStoreHistoryAndProofs(t *testing.T) {
	t.Run("default-cache", func(t *testing.T) { testHistoryAndProofs(t, 0) })
	t.Run("tiny-cache", func(t *testing.T) { testHistoryAndProofs(t, 2<<10) })
}

func testHistoryAndProofs(t *testing.T, nodeCache int64) {
	dir := t.TempDir()
	s, err := Open(dir, Options{ChainID: "test-chain", CheckInvariants: true, NodeCacheBytes: nodeCache})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	history := []map[string]string{{}} // live set after each height
	roots := [][32]byte{{}}
	for h := uint64(1); h <= 40; h++ {
		live := map[string]string{}
		for k, v := range history[h-1] {
			live[k] = v
		}
		var changes []Change
		seen := map[string]bool{}
		for n := rng.IntN(30); n >= 0; n-- {
			k := fmt.Sprintf("key-%03d", rng.IntN(150))
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, ok := live[k]; ok && rng.IntN(4) == 0 {
				changes = append(changes, Change{Key: []byte(k), Delete: true})
				delete(live, k)
				continue
			}
			v := fmt.Sprintf("value of %s at %d", k, h)
			changes = append(changes, Change{Key: []byte(k), Value: []byte(v)})
			live[k] = v
		}
		root, err := s.Commit(h, changes)
		if err != nil {
			t.Fatalf("commit %d: %v", h, err)
		}
		if want := scratchRoot(t, live); root != want {
			t.Fatalf("height %d: root %x, from scratch %x", h, root[:8], want[:8])
		}
		history = append(history, live)
		roots = append(roots, root)
		checkNodeCache(t, s)
	}
	if nodeCache > 0 && s.nodes.size > nodeCache {
		t.Fatalf("node cache holds %d bytes, over its budget of %d", s.nodes.size, nodeCache)
	}
	if n, live := s.nodes.len(), len(liveNodes(t, s)); nodeCache == 0 && n != live {
		t.Fatalf("the default node cache holds %d of the %d live nodes", n, live)
	}
	check := func(s *Store) {
		t.Helper()
		if s.Height() != 40 || s.RootHash() != roots[40] {
			t.Fatalf("latest: height %d root %x, want 40 %x", s.Height(), s.RootHash(), roots[40][:8])
		}
		for h := uint64(1); h <= 40; h += 3 {
			if r, err := s.RootAt(h); err != nil || r != roots[h] {
				t.Fatalf("RootAt(%d) = %x, %v", h, r[:8], err)
			}
			for i := 0; i < 150; i += 7 {
				k := fmt.Sprintf("key-%03d", i)
				want, present := history[h][k]
				got, ok, err := s.GetAt([]byte(k), h)
				if err != nil || ok != present || string(got) != want {
					t.Fatalf("GetAt(%s, %d) = %q %v %v, want %q %v", k, h, got, ok, err, want, present)
				}
				v, proof, err := s.Prove([]byte(k), h)
				if err != nil {
					t.Fatal(err)
				}
				if present != (v != nil) {
					t.Fatalf("Prove(%s, %d) value %q, present %v", k, h, v, present)
				}
				if err := VerifyProof(roots[h], []byte(k), v, proof); err != nil {
					t.Fatalf("proof of %s at %d: %v", k, h, err)
				}
				if err := VerifyProof(roots[h], []byte(k), []byte("forged"), proof); err == nil {
					t.Fatalf("a forged value of %s at %d verified", k, h)
				}
			}
		}
		for k, want := range history[40] {
			got, ok, err := s.Get([]byte(k))
			if err != nil || !ok || string(got) != want {
				t.Fatalf("Get(%s) = %q %v %v", k, got, ok, err)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{ChainID: "test-chain", CheckInvariants: true, NodeCacheBytes: nodeCache})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The reopened store warms its node cache from the tree on disk.
	<-s.warmDone
	checkNodeCache(t, s)
	if n, live := s.nodes.len(), len(liveNodes(t, s)); nodeCache == 0 && n != live || n == 0 {
		t.Fatalf("after reopening, the node cache holds %d of the %d live nodes", n, live)
	}
	check(s)
	if _, _, err := s.GetAt([]byte("key-001"), 41); !errors.Is(err, ErrNotRetained) {
		t.Fatalf("read above the latest height: %v", err)
	}
	if _, err := s.Commit(42, nil); !errors.Is(err, ErrHeight) {
		t.Fatalf("commit skipping a height: %v", err)
	}
}

// scratchRoot builds the tree of a live set in one batch on an empty
// in-memory tree: by order independence, its root is what any history
// reaching that set must have.
func scratchRoot(t *testing.T, live map[string]string) [32]byte {
	var cs []jmt.Change
	for k, v := range live {
		cs = append(cs, jmt.Change{KeyHash: jmt.HashKey([]byte(k)), ValueHash: jmt.HashValue([]byte(v))})
	}
	res, err := jmt.Update(memNodes{}, jmt.Root{}, 1, cs)
	if err != nil {
		t.Fatal(err)
	}
	return res.Root.RootHash()
}

func TestStoreIdentity(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if _, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir, Options{ChainID: "other-chain"}); !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("open as another chain: %v", err)
	}
	// A format from the future is refused, not guessed at.
	s = openTest(t, dir)
	if err := s.db.Set(metaFormat, []byte{0, 0, 0, 99}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir, Options{ChainID: "test-chain"}); !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("open a newer format: %v", err)
	}
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Fatal("opened without a chain id")
	}
}

// TestCommitRefusesBadInput: a key or value over the limits fails the
// commit and leaves the store at the previous height.
func TestCommitRefusesBadInput(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	root, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Change{
		{Key: make([]byte, MaxKeyBytes+1), Value: []byte("x")},
		{Key: []byte("b"), Value: make([]byte, MaxValueBytes+1)},
		{Key: nil, Value: []byte("x")},
	} {
		if _, err := s.Commit(2, []Change{{Key: []byte("ok"), Value: []byte("1")}, c}); err == nil {
			t.Fatalf("commit of a %d-byte key and %d-byte value succeeded", len(c.Key), len(c.Value))
		}
		if s.Height() != 1 || s.RootHash() != root {
			t.Fatal("a refused commit moved the store")
		}
		if _, ok, _ := s.Get([]byte("ok")); ok {
			t.Fatal("a refused commit wrote a value")
		}
	}
}

// TestWriteSetOverStore: a block executed on a WriteSet over the real store,
// committed through Store.Commit, then read back through a new WriteSet:
// merged iteration in both directions sees base values, pending writes and
// deletions.
func TestWriteSetOverStore(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	var base []Change
	for _, k := range []string{"acct/a", "acct/b", "acct/c", "other/x"} {
		base = append(base, Change{Key: []byte(k), Value: []byte("v-" + k)})
	}
	if _, err := s.Commit(1, base); err != nil {
		t.Fatal(err)
	}
	ws := NewWriteSet(s)
	tx := ws.Checkpoint()
	must(t, ws.Set([]byte("acct/bb"), []byte("new")))
	must(t, ws.Delete([]byte("acct/a")))
	call := ws.Checkpoint()
	must(t, ws.Set([]byte("acct/c"), []byte("rolled back")))
	ws.RevertTo(call)
	ws.Commit(tx)
	walk := func(r Reader, reverse bool) string {
		it, err := r.Iterate([]byte("acct/"), IterOptions{Reverse: reverse})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		out := ""
		for it.Next() {
			out += fmt.Sprintf("%s=%s ", it.Key(), it.Value())
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := "acct/b=v-acct/b acct/bb=new acct/c=v-acct/c "
	if got := walk(ws, false); got != want {
		t.Fatalf("merged ascending: %q, want %q", got, want)
	}
	if got := walk(ws, true); got != "acct/c=v-acct/c acct/bb=new acct/b=v-acct/b " {
		t.Fatalf("merged descending: %q", got)
	}
	if _, err := s.Commit(2, ws.Changes()); err != nil {
		t.Fatal(err)
	}
	if got := walk(s, false); got != want {
		t.Fatalf("store after commit: %q, want %q", got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestInvariantCheckCatchesDivergence: with CheckInvariants, a flat value
// that disagrees with the tree (here written behind the store's back) fails
// the next commit with ErrCorrupt.
func TestInvariantCheckCatchesDivergence(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	if _, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(append([]byte{prefixFlat}, "a"...), []byte("tampered"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(2, []Change{{Key: []byte("b"), Value: []byte("2")}}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("commit over a tampered value: %v, want ErrCorrupt", err)
	}
}

// liveNodes walks the latest tree and returns its internal nodes' keys.
func liveNodes(t *testing.T, s *Store) map[jmt.NodeKey]bool {
	t.Helper()
	out := map[jmt.NodeKey]bool{}
	var walk func(path []byte, c jmt.Child)
	walk = func(path []byte, c jmt.Child) {
		if !c.Present || c.Leaf {
			return
		}
		k := jmt.NodeKey{Version: c.Version, Path: string(path)}
		out[k] = true
		n, err := nodeReader{s: s}.Node(k)
		if err != nil {
			t.Fatalf("node %v: %v", k, err)
		}
		for i, ch := range n.Children {
			walk(append(path[:len(path):len(path)], byte(i)), ch)
		}
	}
	walk(nil, s.root.Child)
	return out
}

// checkNodeCache: every cached node is a live node of the latest tree,
// stored in Pebble with the same encoding.
func checkNodeCache(t *testing.T, s *Store) {
	t.Helper()
	live := liveNodes(t, s)
	matched := 0
	for k := range live {
		e, ok := s.nodes.m[packPath(k.Path)]
		if !ok {
			continue
		}
		if e.version != k.Version {
			t.Fatalf("height %d: the cache holds version %d at %x, the tree %v", s.Height(), e.version, k.Path, k)
		}
		matched++
		cached := &jmt.Node{}
		if _, err := s.nodes.nodeInto(k, cached); err != nil {
			t.Fatal(err)
		}
		stored, err := nodeReader{s: s}.Node(k) // the cached copy answers this too...
		if err != nil {
			t.Fatal(err)
		}
		enc, ok, err := s.get(nodeKey(k)) // ...so compare with Pebble's bytes
		if err != nil || !ok {
			t.Fatalf("height %d: cached node %v is not in the store (%v)", s.Height(), k, err)
		}
		fromStore, err := decodeNode(enc)
		if err != nil || *fromStore != *cached || *stored != *cached {
			t.Fatalf("height %d: cached node %v differs from the store's (%v)", s.Height(), k, err)
		}
	}
	if matched != len(s.nodes.m) {
		t.Fatalf("height %d: %d cached nodes, only %d of them live", s.Height(), len(s.nodes.m), matched)
	}
}

// TestPrepare: a prepared commit knows its root before writing anything,
// commits to exactly that root, and cannot be committed over a state that
// moved on since.
func TestPrepare(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	if _, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	changes := []Change{{Key: []byte("a"), Value: []byte("2")}, {Key: []byte("b"), Value: []byte("3")}}
	p, err := s.Prepare(2, changes)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s.Get([]byte("a")); string(v) != "1" || s.Height() != 1 {
		t.Fatalf("Prepare wrote: a=%q at height %d", v, s.Height())
	}
	if err := s.CommitPrepared(p, nil); err != nil {
		t.Fatal(err)
	}
	if s.RootHash() != p.Root() || p.Root() != scratchRoot(t, map[string]string{"a": "2", "b": "3"}) {
		t.Fatal("the committed root is not the prepared one")
	}
	stale, err := s.Prepare(3, []Change{{Key: []byte("c"), Value: []byte("4")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(3, []Change{{Key: []byte("d"), Value: []byte("5")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitPrepared(stale, nil); !errors.Is(err, ErrHeight) {
		t.Fatalf("a commit prepared over an older state: %v", err)
	}
	if _, ok, _ := s.Get([]byte("c")); ok {
		t.Fatal("the refused prepared commit wrote")
	}
}
