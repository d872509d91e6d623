package jmt

import (
	"errors"
	"fmt"
)

// NodeKey locates a node: the version (block height) that wrote it, then its
// path from the root as nibbles. Keying version-first makes each block's
// new nodes one sorted run, and a node never changes once written.
type NodeKey struct {
	Version uint64
	Path    string // one byte per nibble, each 0..15
}

func (k NodeKey) String() string { return fmt.Sprintf("v%d/%x", k.Version, k.Path) }

// Child is an internal node's reference to one child.
type Child struct {
	Present bool
	Leaf    bool
	Version uint64 // the child's NodeKey is (Version, parent path + nibble)
	Hash    Hash
}

// Node is a leaf or an internal node.
type Node struct {
	Leaf      bool
	KeyHash   Hash // leaf
	ValueHash Hash // leaf
	Children  [16]Child
}

// Hash returns the node's hash.
func (n *Node) Hash() Hash {
	if n.Leaf {
		return leafHash(n.KeyHash, n.ValueHash)
	}
	h, _ := internalHash(&n.Children, nil)
	return h
}

// NodeReader reads nodes written by earlier updates.
type NodeReader interface {
	Node(NodeKey) (*Node, error)
}

// ErrMissingNode reports a node the reader does not have: pruned, or a
// corrupt store.
var ErrMissingNode = errors.New("jmt: missing node")

// Root names a tree version's root: absent for the empty tree.
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

// Key returns the root node's key.
func (r Root) Key() NodeKey { return NodeKey{Version: r.Version} }
