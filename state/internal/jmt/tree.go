package jmt

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Change sets (or, with Delete, removes) the value of one key.
type Change struct {
	KeyHash   Hash
	ValueHash Hash
	Delete    bool
}

// NodeEntry is a node and where it is to be stored.
type NodeEntry struct {
	Key  NodeKey
	Node *Node
}

// Result is what one batch update produces.
type Result struct {
	Root Root
	// New holds the internal nodes written at the new version, sorted by
	// path.
	New []NodeEntry
	// Stale holds the keys of older internal nodes the new version no
	// longer uses, sorted: once no retained version needs them, pruning
	// deletes them.
	Stale []NodeKey
	// Removed holds the stale nodes whose path the new version leaves
	// empty (sorted as Stale is): every other stale node is replaced by
	// the new node at its path. A cache of the latest tree by path drops
	// these and overwrites the rest.
	Removed []NodeKey
	// Prev holds, for each change in the order given, the height that had
	// set the key's value before this update (its leaf's Height), or 0
	// when the key was absent.
	Prev []uint64
}

// Update applies changes to the tree whose root is old, writing new nodes
// at version (greater than every version in the tree). changes need not be
// sorted; a key may appear once. Deleting an absent key is a no-op.
func Update(r NodeReader, old Root, version uint64, changes []Change) (*Result, error) {
	return UpdateParallel(r, old, version, changes, 1)
}

// parallelMin is the smallest batch worth splitting across goroutines.
const parallelMin = 512

// UpdateParallel is Update with the root's sixteen subtrees updated by up
// to workers goroutines at once (r must then be safe for concurrent use).
// The subtrees share nothing, so the result is the same as Update's.
func UpdateParallel(r NodeReader, old Root, version uint64, changes []Change, workers int) (*Result, error) {
	if old.Present && old.Version >= version {
		return nil, fmt.Errorf("jmt: update at version %d over a root of version %d", version, old.Version)
	}
	if old.Present && old.Leaf && old.Height >= version {
		return nil, fmt.Errorf("jmt: update at version %d over a leaf root of height %d", version, old.Height)
	}
	cs := make([]change, len(changes))
	for i := range changes {
		cs[i] = change{Change: changes[i], idx: i}
	}
	slices.SortFunc(cs, func(a, b change) int { return bytes.Compare(a.KeyHash[:], b.KeyHash[:]) })
	for i := 1; i < len(cs); i++ {
		if cs[i].KeyHash == cs[i-1].KeyHash {
			return nil, fmt.Errorf("jmt: key %x changed twice in one batch", cs[i].KeyHash[:8])
		}
	}
	u := &updater{r: r, version: version, fresh: map[string]*Node{}, prev: make([]uint64, len(changes))}
	var root Child
	var err error
	var subs []*updater
	if workers > 1 && len(cs) >= parallelMin && old.Present && !old.Leaf {
		root, subs, err = u.updateRootParallel(old.Child, cs, workers)
	} else {
		root, err = u.update(nil, old.Child, cs)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Root: Root{Child: root}, Stale: u.stale, Prev: u.prev}
	n := len(u.fresh)
	for _, sub := range subs {
		n += len(sub.fresh)
	}
	res.New = make([]NodeEntry, 0, n)
	for _, v := range append(subs, u) {
		for path, n := range v.fresh {
			res.New = append(res.New, NodeEntry{Key: NodeKey{Version: version, Path: path}, Node: n})
		}
		if v != u {
			res.Stale = append(res.Stale, v.stale...)
		}
		// A path belongs to one updater: the root's to u, a subtree's to
		// the one that updated it.
		for _, k := range v.stale {
			if _, ok := v.fresh[k.Path]; !ok {
				res.Removed = append(res.Removed, k)
			}
		}
	}
	slices.SortFunc(res.New, func(a, b NodeEntry) int { return strings.Compare(a.Key.Path, b.Key.Path) })
	slices.SortFunc(res.Stale, compareNodeKeys)
	slices.SortFunc(res.Removed, compareNodeKeys)
	return res, nil
}

// compareNodeKeys orders node keys as the store does: version, then path.
func compareNodeKeys(a, b NodeKey) int {
	if c := cmp.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	return strings.Compare(a.Path, b.Path)
}

// updateRootParallel updates the subtrees under an internal root on up to
// workers goroutines, each with an updater of its own (prev is shared: each
// change's slot is written by the one goroutine that owns its subtree),
// then builds the root over them.
func (u *updater) updateRootParallel(root Child, cs []change, workers int) (Child, []*updater, error) {
	n, err := u.read(nil, root)
	if err != nil {
		return Child{}, nil, err
	}
	u.retire(nil, root)
	type group struct {
		nib     byte
		changes []change
	}
	var groups []group
	for start := 0; start < len(cs); {
		nib := nibble(cs[start].KeyHash, 0)
		end := start + 1
		for end < len(cs) && nibble(cs[end].KeyHash, 0) == nib {
			end++
		}
		groups = append(groups, group{nib, cs[start:end]})
		start = end
	}
	subs := make([]*updater, len(groups))
	errs := make([]error, len(groups))
	next := make(chan int, len(groups))
	for i := range groups {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(groups)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				g := groups[i]
				sub := &updater{r: u.r, version: u.version, fresh: map[string]*Node{}, prev: u.prev}
				subs[i] = sub
				n.Children[g.nib], errs[i] = sub.update([]byte{g.nib}, n.Children[g.nib], g.changes)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Child{}, nil, err
	}
	return u.internal(nil, n), subs, nil
}

// change is a Change with its index in the caller's slice, for Prev.
type change struct {
	Change
	idx int
}

type updater struct {
	r       NodeReader
	version uint64
	fresh   map[string]*Node // nodes written at version, by path
	stale   []NodeKey
	prev    []uint64
	buf     []byte
	spare   []Node // nodes allocated ahead, handed out by newNode
}

// newNode returns a zero node. Nodes are allocated 64 at a time: an
// update reads and builds thousands, and one allocation each (2 KiB,
// zeroed) was a tenth of its time.
func (u *updater) newNode() *Node {
	if len(u.spare) == 0 {
		u.spare = make([]Node, 64)
	}
	n := &u.spare[0]
	u.spare = u.spare[1:]
	return n
}

func (u *updater) read(path []byte, c Child) (*Node, error) {
	key := NodeKey{Version: c.Version, Path: string(path)}
	if c.Version == u.version {
		if n, ok := u.fresh[key.Path]; ok {
			return n, nil
		}
	}
	var n *Node
	var err error
	if r, ok := u.r.(NodeIntoReader); ok {
		n = u.newNode()
		err = r.NodeInto(key, n)
	} else {
		n, err = u.r.Node(key)
	}
	if err != nil {
		return nil, fmt.Errorf("jmt: read %v: %w", key, err)
	}
	if n == nil {
		return nil, fmt.Errorf("jmt: read %v: %w", key, ErrMissingNode)
	}
	return n, nil
}

// retire records that the internal node at (c.Version, path) is replaced.
func (u *updater) retire(path []byte, c Child) {
	if c.Version == u.version {
		delete(u.fresh, string(path))
		return
	}
	u.stale = append(u.stale, NodeKey{Version: c.Version, Path: string(path)})
}

// update applies changes (sorted, all under path) to the subtree c.
func (u *updater) update(path []byte, c Child, changes []change) (Child, error) {
	if len(changes) == 0 {
		return c, nil
	}
	if !c.Present {
		return u.build(path, nil, changes), nil
	}
	if c.Leaf {
		return u.build(path, &c, changes), nil
	}
	// The node read is the updater's own (NodeReader hands out nodes the
	// caller may modify), so it becomes the new node in place.
	n, err := u.read(path, c)
	if err != nil {
		return Child{}, err
	}
	u.retire(path, c)
	depth := len(path)
	for start := 0; start < len(changes); {
		nib := nibble(changes[start].KeyHash, depth)
		end := start + 1
		for end < len(changes) && nibble(changes[end].KeyHash, depth) == nib {
			end++
		}
		if n.Children[nib], err = u.update(append(path, nib), n.Children[nib], changes[start:end]); err != nil {
			return Child{}, err
		}
		start = end
	}
	return u.internal(path, n), nil
}

// build makes the subtree at path holding an optional existing leaf plus the
// changes, where nothing else lives.
func (u *updater) build(path []byte, existing *Child, changes []change) Child {
	live := make([]Child, 0, len(changes)+1)
	merged := existing == nil
	for _, ch := range changes {
		if !merged && bytes.Compare(existing.KeyHash[:], ch.KeyHash[:]) < 0 {
			live = append(live, *existing)
			merged = true
		}
		if !merged && existing.KeyHash == ch.KeyHash {
			merged = true // replaced or deleted by the change
			u.prev[ch.idx] = existing.Height
		}
		if !ch.Delete {
			live = append(live, LeafChild(ch.KeyHash, ch.ValueHash, u.version))
		}
	}
	if !merged {
		live = append(live, *existing)
	}
	return u.buildFrom(path, live)
}

func (u *updater) buildFrom(path []byte, live []Child) Child {
	switch len(live) {
	case 0:
		return Child{}
	case 1:
		return live[0]
	}
	n := u.newNode()
	depth := len(path)
	for start := 0; start < len(live); {
		nib := nibble(live[start].KeyHash, depth)
		end := start + 1
		for end < len(live) && nibble(live[end].KeyHash, depth) == nib {
			end++
		}
		n.Children[nib] = u.buildFrom(append(path, nib), live[start:end])
		start = end
	}
	return u.internal(path, n)
}

// internal stores n at path, or collapses it: no children leaves
// nothing, and a single leaf child moves up to path, keeping the tree
// canonical.
func (u *updater) internal(path []byte, n *Node) Child {
	count, only := 0, 0
	for i := range n.Children {
		if n.Children[i].Present {
			count++
			only = i
		}
	}
	switch {
	case count == 0:
		return Child{}
	case count == 1 && n.Children[only].Leaf:
		return n.Children[only]
	}
	var h Hash
	h, u.buf = internalHash(&n.Children, u.buf)
	u.fresh[string(path)] = n
	return Child{Present: true, Version: u.version, Hash: h}
}
