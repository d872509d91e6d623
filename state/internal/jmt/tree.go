package jmt

import (
	"bytes"
	"fmt"
	"sort"
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
	// New holds the nodes written at the new version, sorted by path.
	New []NodeEntry
	// Stale holds the keys of older nodes the new version no longer uses,
	// sorted: once no retained version needs them, pruning deletes them.
	Stale []NodeKey
}

// Update applies changes to the tree whose root is old, writing new nodes
// at version (greater than every version in the tree). changes need not be
// sorted; a key may appear once. Deleting an absent key is a no-op.
func Update(r NodeReader, old Root, version uint64, changes []Change) (*Result, error) {
	if old.Present && old.Version >= version {
		return nil, fmt.Errorf("jmt: update at version %d over a root of version %d", version, old.Version)
	}
	cs := append([]Change(nil), changes...)
	sort.Slice(cs, func(i, j int) bool { return bytes.Compare(cs[i].KeyHash[:], cs[j].KeyHash[:]) < 0 })
	for i := 1; i < len(cs); i++ {
		if cs[i].KeyHash == cs[i-1].KeyHash {
			return nil, fmt.Errorf("jmt: key %x changed twice in one batch", cs[i].KeyHash[:8])
		}
	}
	u := &updater{r: r, version: version, fresh: map[string]*Node{}}
	root, err := u.update(nil, old.Child, cs)
	if err != nil {
		return nil, err
	}
	res := &Result{Root: Root{Child: root}, Stale: u.stale}
	for path, n := range u.fresh {
		res.New = append(res.New, NodeEntry{Key: NodeKey{Version: version, Path: path}, Node: n})
	}
	sort.Slice(res.New, func(i, j int) bool { return res.New[i].Key.Path < res.New[j].Key.Path })
	sort.Slice(res.Stale, func(i, j int) bool {
		a, b := res.Stale[i], res.Stale[j]
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Path < b.Path
	})
	return res, nil
}

type updater struct {
	r       NodeReader
	version uint64
	fresh   map[string]*Node // nodes written at version, by path
	stale   []NodeKey
	buf     []byte
}

type leafKV struct{ key, value Hash }

func (u *updater) read(path []byte, c Child) (*Node, error) {
	key := NodeKey{Version: c.Version, Path: string(path)}
	if c.Version == u.version {
		if n, ok := u.fresh[key.Path]; ok {
			return n, nil
		}
	}
	n, err := u.r.Node(key)
	if err != nil {
		return nil, fmt.Errorf("jmt: read %v: %w", key, err)
	}
	if n == nil {
		return nil, fmt.Errorf("jmt: read %v: %w", key, ErrMissingNode)
	}
	return n, nil
}

// retire records that the node at (c.Version, path) is replaced.
func (u *updater) retire(path []byte, c Child) {
	if c.Version == u.version {
		delete(u.fresh, string(path))
		return
	}
	u.stale = append(u.stale, NodeKey{Version: c.Version, Path: string(path)})
}

// update applies changes (sorted, all under path) to the subtree c.
func (u *updater) update(path []byte, c Child, changes []Change) (Child, error) {
	if len(changes) == 0 {
		return c, nil
	}
	if !c.Present {
		return u.build(path, nil, changes), nil
	}
	n, err := u.read(path, c)
	if err != nil {
		return Child{}, err
	}
	u.retire(path, c)
	if n.Leaf {
		existing := leafKV{n.KeyHash, n.ValueHash}
		return u.build(path, &existing, changes), nil
	}
	children := n.Children
	depth := len(path)
	for start := 0; start < len(changes); {
		nib := nibble(changes[start].KeyHash, depth)
		end := start + 1
		for end < len(changes) && nibble(changes[end].KeyHash, depth) == nib {
			end++
		}
		if children[nib], err = u.update(append(path, nib), children[nib], changes[start:end]); err != nil {
			return Child{}, err
		}
		start = end
	}
	return u.internal(path, &children)
}

// build makes the subtree at path holding an optional existing leaf plus the
// changes, where nothing else lives.
func (u *updater) build(path []byte, existing *leafKV, changes []Change) Child {
	live := make([]leafKV, 0, len(changes)+1)
	merged := existing == nil
	for _, ch := range changes {
		if !merged && bytes.Compare(existing.key[:], ch.KeyHash[:]) < 0 {
			live = append(live, *existing)
			merged = true
		}
		if !merged && existing.key == ch.KeyHash {
			merged = true // replaced or deleted by the change
		}
		if !ch.Delete {
			live = append(live, leafKV{ch.KeyHash, ch.ValueHash})
		}
	}
	if !merged {
		live = append(live, *existing)
	}
	return u.buildFrom(path, live)
}

func (u *updater) buildFrom(path []byte, live []leafKV) Child {
	switch len(live) {
	case 0:
		return Child{}
	case 1:
		return u.writeLeaf(path, live[0])
	}
	var children [16]Child
	depth := len(path)
	for start := 0; start < len(live); {
		nib := nibble(live[start].key, depth)
		end := start + 1
		for end < len(live) && nibble(live[end].key, depth) == nib {
			end++
		}
		children[nib] = u.buildFrom(append(path, nib), live[start:end])
		start = end
	}
	c, _ := u.internal(path, &children)
	return c
}

func (u *updater) writeLeaf(path []byte, kv leafKV) Child {
	n := &Node{Leaf: true, KeyHash: kv.key, ValueHash: kv.value}
	u.fresh[string(path)] = n
	return Child{Present: true, Leaf: true, Version: u.version, Hash: leafHash(kv.key, kv.value)}
}

// internal stores an internal node with the given children at path, or
// collapses it: no children leaves nothing, and a single leaf child moves
// up to path, keeping the tree canonical.
func (u *updater) internal(path []byte, children *[16]Child) (Child, error) {
	count, only := 0, 0
	for i := range children {
		if children[i].Present {
			count++
			only = i
		}
	}
	switch {
	case count == 0:
		return Child{}, nil
	case count == 1 && children[only].Leaf:
		childPath := append(path, byte(only))
		leaf, err := u.read(childPath, children[only])
		if err != nil {
			return Child{}, err
		}
		u.retire(childPath, children[only])
		return u.writeLeaf(path[:len(path):len(path)], leafKV{leaf.KeyHash, leaf.ValueHash}), nil
	}
	n := &Node{Children: *children}
	var h Hash
	h, u.buf = internalHash(&n.Children, u.buf)
	u.fresh[string(path)] = n
	return Child{Present: true, Version: u.version, Hash: h}, nil
}
