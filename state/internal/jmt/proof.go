package jmt

import (
	"errors"
	"fmt"
)

// ProofLevel is one internal node on the path from the root to a key.
type ProofLevel struct {
	// Bitmap marks the node's present children (bit i = nibble i).
	Bitmap uint16
	// Siblings are the hashes of the present children other than the one
	// on the key's path, in nibble order.
	Siblings []Hash
}

// Proof shows that a key has a given value, or no value, under a root.
// Levels run from the root down. The walk ends at a leaf (Leaf set: the
// key's own, for inclusion, or another key's sharing the path so far, for
// exclusion) or at an empty child slot (Leaf nil, exclusion).
type Proof struct {
	Levels []ProofLevel
	Leaf   *ProofLeaf
}

// ProofLeaf is the leaf a proof's walk ends at.
type ProofLeaf struct {
	KeyHash, ValueHash Hash
}

// ErrBadProof reports a proof that does not verify.
var ErrBadProof = errors.New("jmt: proof does not verify")

// Prove builds a proof for keyHash under root.
func Prove(r NodeReader, root Root, keyHash Hash) (*Proof, error) {
	p, _, err := ProveHeight(r, root, keyHash)
	return p, err
}

// ProveHeight is Prove that also returns the height that set the key's
// value (0 when the key is absent), which locates the value itself in a
// store of versioned values without a search.
func ProveHeight(r NodeReader, root Root, keyHash Hash) (*Proof, uint64, error) {
	p := &Proof{}
	var scratch Node
	c := root.Child
	path := make([]byte, 0, 64)
	for depth := 0; c.Present; depth++ {
		if c.Leaf {
			p.Leaf = &ProofLeaf{KeyHash: c.KeyHash, ValueHash: c.ValueHash}
			if c.KeyHash == keyHash {
				return p, c.Height, nil
			}
			return p, 0, nil
		}
		key := NodeKey{Version: c.Version, Path: string(path)}
		n, err := readInto(r, key, &scratch)
		if err != nil {
			return nil, 0, fmt.Errorf("jmt: prove: read %v: %w", key, err)
		}
		nib := nibble(keyHash, depth)
		lvl := ProofLevel{Siblings: make([]Hash, 0, 15)}
		for i := range n.Children {
			if !n.Children[i].Present {
				continue
			}
			lvl.Bitmap |= 1 << i
			if i != int(nib) {
				lvl.Siblings = append(lvl.Siblings, n.Children[i].Hash)
			}
		}
		p.Levels = append(p.Levels, lvl)
		c = n.Children[nib]
		path = append(path, nib)
	}
	return p, 0, nil
}

// readInto reads k into scratch when r can, or as a node of its own.
func readInto(r NodeReader, k NodeKey, scratch *Node) (*Node, error) {
	if ri, ok := r.(NodeIntoReader); ok {
		if err := ri.NodeInto(k, scratch); err != nil {
			return nil, err
		}
		return scratch, nil
	}
	n, err := r.Node(k)
	if err == nil && n == nil {
		err = ErrMissingNode
	}
	return n, err
}

// Verify checks a proof against a root hash, needing nothing else: with
// valueHash non-nil it proves the key holds that value, with nil that the
// key is absent.
func Verify(rootHash, keyHash Hash, valueHash *Hash, p *Proof) error {
	if len(p.Levels) > 64 {
		return fmt.Errorf("%w: %d levels", ErrBadProof, len(p.Levels))
	}
	depth := len(p.Levels)
	var h Hash
	switch {
	case p.Leaf == nil && depth == 0:
		// The empty tree.
		if valueHash != nil {
			return fmt.Errorf("%w: inclusion claimed in an empty tree", ErrBadProof)
		}
		if rootHash != EmptyHash {
			return fmt.Errorf("%w: root is not empty", ErrBadProof)
		}
		return nil
	case p.Leaf == nil:
		// Ends at an empty slot: the last level must not have the path's child.
		if valueHash != nil {
			return fmt.Errorf("%w: inclusion claimed at an empty slot", ErrBadProof)
		}
		last := p.Levels[depth-1]
		if last.Bitmap&(1<<nibble(keyHash, depth-1)) != 0 {
			return fmt.Errorf("%w: the slot on the key's path is not empty", ErrBadProof)
		}
		var err error
		if h, err = levelHash(last, nibble(keyHash, depth-1), nil); err != nil {
			return err
		}
		depth--
	default:
		leaf := p.Leaf
		for i := 0; i < depth; i++ {
			if nibble(leaf.KeyHash, i) != nibble(keyHash, i) {
				return fmt.Errorf("%w: the leaf is off the key's path", ErrBadProof)
			}
		}
		if valueHash != nil {
			if leaf.KeyHash != keyHash || leaf.ValueHash != *valueHash {
				return fmt.Errorf("%w: the leaf holds another key or value", ErrBadProof)
			}
		} else if leaf.KeyHash == keyHash {
			return fmt.Errorf("%w: exclusion claimed but the key is present", ErrBadProof)
		}
		h = leafHash(leaf.KeyHash, leaf.ValueHash)
	}
	for i := depth - 1; i >= 0; i-- {
		var err error
		if h, err = levelHash(p.Levels[i], nibble(keyHash, i), &h); err != nil {
			return err
		}
	}
	if h != rootHash {
		return fmt.Errorf("%w: computed root %x, want %x", ErrBadProof, h[:8], rootHash[:8])
	}
	return nil
}

// levelHash recomputes an internal node's hash from a proof level and the
// hash of the child on the path (nil when that slot is empty).
func levelHash(lvl ProofLevel, nib byte, child *Hash) (Hash, error) {
	var children [16]Child
	s := 0
	for i := 0; i < 16; i++ {
		if lvl.Bitmap&(1<<i) == 0 {
			continue
		}
		if i == int(nib) {
			if child == nil {
				return Hash{}, fmt.Errorf("%w: bitmap and path disagree", ErrBadProof)
			}
			children[i] = Child{Present: true, Hash: *child}
			continue
		}
		if s >= len(lvl.Siblings) {
			return Hash{}, fmt.Errorf("%w: too few siblings", ErrBadProof)
		}
		children[i] = Child{Present: true, Hash: lvl.Siblings[s]}
		s++
	}
	if s != len(lvl.Siblings) {
		return Hash{}, fmt.Errorf("%w: too many siblings", ErrBadProof)
	}
	if child != nil && lvl.Bitmap&(1<<nib) == 0 {
		return Hash{}, fmt.Errorf("%w: the path's child is missing from the bitmap", ErrBadProof)
	}
	h, _ := internalHash(&children, nil)
	return h, nil
}
