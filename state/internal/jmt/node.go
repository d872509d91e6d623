package jmt

import (
	"errors"
	"fmt"
)

// NodeKey locates an internal node: the version (block height) that wrote
// it, then its path from the root as nibbles. Keying version-first makes
// each block's new nodes one sorted run, and a node never changes once
// written.
type NodeKey struct {
	Version uint64
	Path    string // one byte per nibble, each 0..15
}

func (k NodeKey) String() string { return fmt.Sprintf("v%d/%x", k.Version, k.Path) }

// Child is an internal node's reference to one child: an internal node by
// its version, or a leaf held inline. Leaves are not stored as nodes of
// their own: the parent already carries everything a leaf is (its key and
// value hashes), so an update reads and writes one node fewer per key, and
// a key's previous value height comes with the parent it had to read
// anyway.
type Child struct {
	Present bool
	Leaf    bool
	// Version: an internal child's NodeKey is (Version, parent path + nibble).
	Version uint64
	// Hash is the child's hash; for a leaf, leafHash(KeyHash, ValueHash).
	Hash Hash
	// KeyHash and ValueHash are a leaf's content.
	KeyHash, ValueHash Hash
	// Height is the version that last set a leaf's value. It is not part of
	// any hash: it tells the store which stored value version an update
	// supersedes, without a read.
	Height uint64
}

// LeafHash returns the hash of the leaf for a key and value hash.
func LeafHash(keyHash, valueHash Hash) Hash { return leafHash(keyHash, valueHash) }

// LeafChild returns the child for a leaf.
func LeafChild(keyHash, valueHash Hash, height uint64) Child {
	return Child{Present: true, Leaf: true, Hash: leafHash(keyHash, valueHash), KeyHash: keyHash, ValueHash: valueHash, Height: height}
}

// Node is an internal node.
type Node struct {
	Children [16]Child
}

// Hash returns the node's hash.
func (n *Node) Hash() Hash {
	h, _ := internalHash(&n.Children, nil)
	return h
}

// NodeReader reads nodes written by earlier updates. Each call returns a
// node of the caller's own: Update modifies the nodes it reads.
type NodeReader interface {
	Node(NodeKey) (*Node, error)
}

// NodeIntoReader is a NodeReader that can also decode a node into one the
// caller owns. Prove reuses one node for its whole walk through it: a proof
// is read-only, and a node is 2 KiB.
type NodeIntoReader interface {
	NodeReader
	NodeInto(NodeKey, *Node) error
}

// ErrMissingNode reports a node the reader does not have: pruned, or a
// corrupt store.
var ErrMissingNode = errors.New("jmt: missing node")

// Root names a tree version's root: absent for the empty tree, a leaf (a
// tree of one key) or an internal node.
type Root struct {
	Child
}

// RootHash returns the root's hash (EmptyHash for the empty tree).
func (r Root) RootHash() Hash {
	if !r.Present {
		return EmptyHash
	}
	return r.Hash
}

// Key returns the root node's key (for an internal root).
func (r Root) Key() NodeKey { return NodeKey{Version: r.Version} }
