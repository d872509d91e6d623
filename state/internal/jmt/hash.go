// Package jmt is a 16-ary Jellyfish-style sparse Merkle tree over hashed
// keys: the state root, and inclusion and exclusion proofs checkable with
// nothing but the root. It works on node values through a NodeReader and
// returns the nodes a batch creates and those it makes stale; where they are
// stored (Pebble, keyed version-first) is the state package's job.
//
// Shape. A key's path is the 64 nibbles of SHA-256(key). A leaf sits at the
// shortest path prefix no other key shares, so the shape, and therefore the
// root, depends only on the set of (key, value) pairs, never on the order of
// writes. Internal nodes have up to 16 children.
//
// Hashes (docs/state.md):
//
//	empty subtree  = 32 zero bytes
//	leaf           = SHA-256(0x00 ‖ keyHash ‖ valueHash)
//	internal       = SHA-256(0x01 ‖ bitmap (big-endian u16, bit i = child i present) ‖ child hashes in nibble order)
//
// An internal node hashes its children in one call rather than as a binary
// tree of 15 hashes (Diem's choice): commits hash less, at the price of
// proofs carrying up to 15 siblings per level instead of 4.
package jmt

import (
	"crypto/sha256"
	"encoding/binary"
)

// Hash is a SHA-256 digest.
type Hash = [32]byte

// EmptyHash is the hash of an empty tree or subtree.
var EmptyHash Hash

// HashKey returns the hash whose nibbles are a key's path.
func HashKey(key []byte) Hash { return sha256.Sum256(key) }

// HashValue returns the hash a leaf commits to for a value.
func HashValue(value []byte) Hash { return sha256.Sum256(value) }

func leafHash(keyHash, valueHash Hash) Hash {
	var b [65]byte
	b[0] = 0x00
	copy(b[1:33], keyHash[:])
	copy(b[33:], valueHash[:])
	return sha256.Sum256(b[:])
}

// internalHash hashes present children; children absent from bitmap are
// skipped. buf is scratch space reused across calls.
func internalHash(children *[16]Child, buf []byte) (Hash, []byte) {
	var bitmap uint16
	for i := range children {
		if children[i].Present {
			bitmap |= 1 << i
		}
	}
	buf = append(buf[:0], 0x01, 0, 0)
	binary.BigEndian.PutUint16(buf[1:3], bitmap)
	for i := range children {
		if children[i].Present {
			buf = append(buf, children[i].Hash[:]...)
		}
	}
	return sha256.Sum256(buf), buf
}

// nibble returns the i-th nibble (0..63) of h, high nibble first.
func nibble(h Hash, i int) byte {
	b := h[i/2]
	if i%2 == 0 {
		return b >> 4
	}
	return b & 0x0F
}
