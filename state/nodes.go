package state

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/plinthchain/plinth/state/internal/jmt"
)

// nodeReader reads tree nodes from the store. latest marks reads of the
// latest tree, whose nodes may enter the node cache.
type nodeReader struct {
	s      *Store
	latest bool
}

func (r nodeReader) Node(k jmt.NodeKey) (*jmt.Node, error) {
	if enc, ok := r.s.nodes.get(k); ok {
		return decodeNode(enc)
	}
	enc, ok, err := r.s.get(nodeKey(k))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, jmt.ErrMissingNode
	}
	n, err := decodeNode(enc)
	if err == nil && r.latest {
		// Only nodes of the latest tree: a historical read would put an
		// old node where the live one at its path belongs.
		r.s.nodes.put(k, enc)
	}
	return n, err
}

// nodeCache holds encoded internal nodes of the latest tree by path, up to
// a byte budget. The latest tree has one node per path, so a commit
// replaces entries in place and drops the ones it makes stale; entries are
// checked against the exact version asked for, so a cached node is never
// served for another. Once the budget is full only replacements go in:
// the nodes every walk passes first (the top levels) are the first to be
// cached and stay.
type nodeCache struct {
	mu   sync.RWMutex
	max  int64
	size int64
	m    map[string]cachedNode
}

type cachedNode struct {
	version uint64
	enc     []byte
}

// cacheEntryOverhead approximates a map entry's own footprint (key string
// header, value, bucket share).
const cacheEntryOverhead = 64

func newNodeCache(max int64) *nodeCache {
	return &nodeCache{max: max, m: map[string]cachedNode{}}
}

func (c *nodeCache) get(k jmt.NodeKey) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.m[k.Path]
	c.mu.RUnlock()
	if !ok || e.version != k.Version {
		return nil, false
	}
	return e.enc, true
}

// put caches a node of the latest tree; enc must not be modified later.
func (c *nodeCache) put(k jmt.NodeKey, enc []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cost := int64(len(enc) + len(k.Path) + cacheEntryOverhead)
	if old, ok := c.m[k.Path]; ok {
		delete(c.m, k.Path)
		c.size -= int64(len(old.enc) + len(k.Path) + cacheEntryOverhead)
	}
	if c.size+cost > c.max {
		return
	}
	c.m[k.Path] = cachedNode{version: k.Version, enc: enc}
	c.size += cost
}

// drop removes a node that is no longer part of the latest tree.
func (c *nodeCache) drop(k jmt.NodeKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k.Path]; ok && e.version == k.Version {
		delete(c.m, k.Path)
		c.size -= int64(len(e.enc) + len(k.Path) + cacheEntryOverhead)
	}
}

func (c *nodeCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func nodeKey(k jmt.NodeKey) []byte {
	b := append(make([]byte, 0, 9+len(k.Path)), prefixNode)
	b = binary.BigEndian.AppendUint64(b, k.Version)
	return append(b, k.Path...)
}

func rootKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixRoot}, height)
}

// versionedKey sorts a key's versions newest first, so the first entry at
// or after versionedKey(key, h) is the value as of h.
func versionedKey(key []byte, height uint64) []byte {
	b := binary.BigEndian.AppendUint16([]byte{prefixVersioned}, uint16(len(key)))
	b = append(b, key...)
	return binary.BigEndian.AppendUint64(b, ^height)
}

// Node encoding (internal nodes only; leaves live in their parent):
//
//	0x01 ‖ presence bitmap u16 ‖ leaf bitmap u16 ‖ per present child, in nibble order:
//	  internal: uvarint version ‖ hash
//	  leaf:     keyHash ‖ valueHash ‖ uvarint height
//
// A leaf's hash is not stored: decoding recomputes it from its two hashes.
func encodeNode(b []byte, n *jmt.Node) []byte {
	var present, leaves uint16
	for i, c := range n.Children {
		if c.Present {
			present |= 1 << i
			if c.Leaf {
				leaves |= 1 << i
			}
		}
	}
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, present)
	b = binary.BigEndian.AppendUint16(b, leaves)
	for i := range n.Children {
		c := &n.Children[i]
		switch {
		case !c.Present:
		case c.Leaf:
			b = append(b, c.KeyHash[:]...)
			b = append(b, c.ValueHash[:]...)
			b = binary.AppendUvarint(b, c.Height)
		default:
			b = binary.AppendUvarint(b, c.Version)
			b = append(b, c.Hash[:]...)
		}
	}
	return b
}

func decodeNode(b []byte) (*jmt.Node, error) {
	bad := func(why string) (*jmt.Node, error) { return nil, fmt.Errorf("%w: tree node: %s", ErrCorrupt, why) }
	if len(b) < 5 || b[0] != 1 {
		return bad("header")
	}
	present := binary.BigEndian.Uint16(b[1:3])
	leaves := binary.BigEndian.Uint16(b[3:5])
	if leaves&^present != 0 {
		return bad("a leaf child that is not present")
	}
	b = b[5:]
	n := &jmt.Node{}
	for i := range n.Children {
		if present&(1<<i) == 0 {
			continue
		}
		if leaves&(1<<i) != 0 {
			if len(b) < 64 {
				return bad("leaf child")
			}
			var kh, vh jmt.Hash
			copy(kh[:], b[:32])
			copy(vh[:], b[32:64])
			h, w := binary.Uvarint(b[64:])
			if w <= 0 {
				return bad("leaf height")
			}
			n.Children[i] = jmt.LeafChild(kh, vh, h)
			b = b[64+w:]
			continue
		}
		v, w := binary.Uvarint(b)
		if w <= 0 || len(b) < w+32 {
			return bad("internal child")
		}
		c := jmt.Child{Present: true, Version: v}
		copy(c.Hash[:], b[w:w+32])
		n.Children[i] = c
		b = b[w+32:]
	}
	if len(b) != 0 {
		return bad("trailing bytes")
	}
	return n, nil
}

// Root encoding: 0x00 (empty); 0x01 ‖ version u64 ‖ hash (an internal
// root); 0x02 ‖ keyHash ‖ valueHash ‖ height u64 (a tree of one key).
func encodeRoot(r jmt.Root) []byte {
	switch {
	case !r.Present:
		return []byte{0}
	case r.Leaf:
		b := append([]byte{2}, r.KeyHash[:]...)
		b = append(b, r.ValueHash[:]...)
		return binary.BigEndian.AppendUint64(b, r.Height)
	}
	b := binary.BigEndian.AppendUint64([]byte{1}, r.Version)
	return append(b, r.Hash[:]...)
}

func decodeRoot(b []byte) (jmt.Root, error) {
	switch {
	case len(b) == 1 && b[0] == 0:
		return jmt.Root{}, nil
	case len(b) == 41 && b[0] == 1:
		r := jmt.Root{Child: jmt.Child{Present: true, Version: binary.BigEndian.Uint64(b[1:9])}}
		copy(r.Hash[:], b[9:])
		return r, nil
	case len(b) == 73 && b[0] == 2:
		var kh, vh jmt.Hash
		copy(kh[:], b[1:33])
		copy(vh[:], b[33:65])
		return jmt.Root{Child: jmt.LeafChild(kh, vh, binary.BigEndian.Uint64(b[65:]))}, nil
	}
	return jmt.Root{}, fmt.Errorf("%w: root record of %d bytes", ErrCorrupt, len(b))
}
