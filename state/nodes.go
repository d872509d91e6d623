package state

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"encoding/binary"
	"fmt"
	"github.com/cockroachdb/pebble/v2"
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
	n := &jmt.Node{}
	return n, r.NodeInto(k, n)
}

// NodeInto reads k into n, from the node cache or else from Pebble.
func (r nodeReader) NodeInto(k jmt.NodeKey, n *jmt.Node) error {
	if ok, err := r.s.nodes.nodeInto(k, n); ok {
		return err
	}
	enc, ok, err := r.s.get(nodeKey(k))
	if err != nil {
		return err
	}
	if !ok {
		return jmt.ErrMissingNode
	}
	err = decodeNodeInto(enc, n)
	if err == nil && r.latest {
		// Only nodes of the latest tree: a historical read would put an
		// old node where the live one at its path belongs.
		r.s.nodes.put(k, appendLeafHashes(append(make([]byte, 0, len(enc)+16*32), enc...), n))
	}
	return err
}

// nodeCache holds encoded internal nodes of the latest tree by path, up to
// a byte budget. An entry is the node's stored encoding followed by its
// leaves' hashes (appendLeafHashes): decoding a stored node hashes every
// leaf it holds, which was a third of a commit's tree update. The latest
// tree has one node per path, so a commit overwrites the entries of the
// paths it rewrites and drops those of the paths it empties; entries are
// checked against the exact version asked for, so a cached node is never
// served for another. Once the budget is full only replacements go in:
// the nodes every walk passes first (the top levels) are the first to be
// cached and stay.
//
// It holds no Go pointers: the encodings live in large byte slabs and the
// map's keys and values are plain arrays and integers. With a million keys
// the cache holds about 360,000 nodes; as strings and slices they were as
// many objects for every garbage collection to mark.
type nodeCache struct {
	mu    sync.RWMutex
	max   int64
	size  int64
	m     map[packedPath]cacheSlot
	slabs [][]byte
	free  [cacheClasses][]uint64 // free slots per size class, as slab<<32 | offset
}

// packedPath is a node path, two nibbles a byte, and its length.
type packedPath struct {
	nibbles [32]byte
	n       uint8
}

func packPath(path string) packedPath {
	p := packedPath{n: uint8(len(path))}
	for i := 0; i < len(path); i++ {
		p.nibbles[i/2] |= path[i] << (4 * (1 - i%2))
	}
	return p
}

// cacheSlot locates a cached encoding: slab index and offset packed into
// loc, the encoding's length, and the version of the node.
type cacheSlot struct {
	version uint64
	loc     uint64
	length  uint32
}

const (
	cacheClassBytes = 64          // slots are multiples of 64 bytes
	cacheClasses    = 1728/64 + 1 // the largest entry is 5 + 16*(64+10+32) = 1701 bytes
	slabBytes       = 1 << 20     // a slab is carved into slots of one class
	cacheEntryBytes = 64          // a map entry's own share
)

func newNodeCache(max int64) *nodeCache {
	return &nodeCache{max: max, m: map[packedPath]cacheSlot{}}
}

func slotClass(n int) int { return (n + cacheClassBytes - 1) / cacheClassBytes }

// node decodes the cached node k, if it is cached, under the cache's lock
// (a concurrent put may reuse the slot once it is released).
func (c *nodeCache) nodeInto(k jmt.NodeKey, n *jmt.Node) (bool, error) {
	p := packPath(k.Path)
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[p]
	if !ok || e.version != k.Version {
		return false, nil
	}
	slab, off := e.loc>>32, e.loc&0xFFFFFFFF
	return true, decodeCachedInto(c.slabs[slab][off:off+uint64(e.length)], n)
}

// put caches a node of the latest tree (copying enc, its stored encoding
// followed by its leaf hashes); false when the budget left no room for it.
func (c *nodeCache) put(k jmt.NodeKey, enc []byte) bool {
	p := packPath(k.Path)
	class := slotClass(len(enc))
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[p]
	if ok && slotClass(int(old.length)) == class {
		// Most puts replace a node with one of the same size class: the
		// slot is rewritten where it is.
		slab, off := old.loc>>32, old.loc&0xFFFFFFFF
		copy(c.slabs[slab][off:], enc)
		c.m[p] = cacheSlot{version: k.Version, loc: old.loc, length: uint32(len(enc))}
		return true
	}
	if ok {
		c.release(p, old)
	}
	if class >= cacheClasses || c.size+int64(class*cacheClassBytes+cacheEntryBytes) > c.max {
		return false
	}
	loc := c.alloc(class)
	slab, off := loc>>32, loc&0xFFFFFFFF
	copy(c.slabs[slab][off:], enc)
	c.m[p] = cacheSlot{version: k.Version, loc: loc, length: uint32(len(enc))}
	c.size += int64(class*cacheClassBytes + cacheEntryBytes)
	return true
}

// drop removes a node that is no longer part of the latest tree.
func (c *nodeCache) drop(k jmt.NodeKey) {
	p := packPath(k.Path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[p]; ok && e.version == k.Version {
		c.release(p, e)
	}
}

func (c *nodeCache) release(p packedPath, e cacheSlot) {
	class := slotClass(int(e.length))
	c.free[class] = append(c.free[class], e.loc)
	delete(c.m, p)
	c.size -= int64(class*cacheClassBytes + cacheEntryBytes)
}

// alloc returns a free slot of class, carving a new slab when none is free.
func (c *nodeCache) alloc(class int) uint64 {
	if f := c.free[class]; len(f) > 0 {
		loc := f[len(f)-1]
		c.free[class] = f[:len(f)-1]
		return loc
	}
	slot := class * cacheClassBytes
	slab := make([]byte, slabBytes-slabBytes%slot)
	idx := uint64(len(c.slabs))
	c.slabs = append(c.slabs, slab)
	// All slots of the new slab but the first go on the free list.
	for off := len(slab) - slot; off > 0; off -= slot {
		c.free[class] = append(c.free[class], idx<<32|uint64(off))
	}
	return idx << 32
}

// reset empties the cache (its budget stays).
func (c *nodeCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.slabs, c.free, c.size = map[packedPath]cacheSlot{}, nil, [cacheClasses][]uint64{}, 0
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

// encodedNodes are a commit's new nodes encoded: entry[i] is node i's node
// cache entry, whose first storedLen[i] bytes are what Pebble stores.
type encodedNodes struct {
	entry     [][]byte
	storedLen []int
	bytes     int // the stored encodings' total size
}

func (e *encodedNodes) stored(i int) []byte { return e.entry[i][:e.storedLen[i]] }

// encodeNodes encodes nodes on up to workers goroutines, each a
// contiguous share of them into one arena of its own.
func encodeNodes(nodes []jmt.NodeEntry, workers int) encodedNodes {
	e := encodedNodes{entry: make([][]byte, len(nodes)), storedLen: make([]int, len(nodes))}
	per := max(256, (len(nodes)+workers-1)/workers)
	sizes := make([]int, (len(nodes)+per-1)/per)
	var wg sync.WaitGroup
	for w := range sizes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			share := nodes[w*per : min(len(nodes), (w+1)*per)]
			// A node with 16 children is at most 1189 bytes stored plus
			// 512 of leaf hashes; most are far smaller.
			arena := make([]byte, 0, 900*len(share))
			for j, n := range share {
				i, start := w*per+j, len(arena)
				arena = encodeNode(arena, n.Node)
				e.storedLen[i] = len(arena) - start
				sizes[w] += len(arena) - start
				arena = appendLeafHashes(arena, n.Node)
				e.entry[i] = arena[start:len(arena):len(arena)]
			}
		}()
	}
	wg.Wait()
	for _, n := range sizes {
		e.bytes += n
	}
	return e
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
	n := &jmt.Node{}
	return n, decodeNodeInto(b, n)
}

// appendLeafHashes appends the hashes of n's leaf children, in nibble
// order: what the node cache keeps after a node's encoding.
func appendLeafHashes(b []byte, n *jmt.Node) []byte {
	for i := range n.Children {
		if c := &n.Children[i]; c.Present && c.Leaf {
			b = append(b, c.Hash[:]...)
		}
	}
	return b
}

// decodeNodeInto decodes a stored node b into n, overwriting all of it.
func decodeNodeInto(b []byte, n *jmt.Node) error {
	rest, err := decodeChildren(b, n, false)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: tree node: trailing bytes", ErrCorrupt)
	}
	return err
}

// decodeCachedInto decodes a node cache entry (the encoding, then the
// leaves' hashes) into n.
func decodeCachedInto(b []byte, n *jmt.Node) error {
	hashes, err := decodeChildren(b, n, true)
	if err != nil {
		return err
	}
	for i := range n.Children {
		if c := &n.Children[i]; c.Present && c.Leaf {
			if len(hashes) < 32 {
				return fmt.Errorf("%w: node cache entry: missing leaf hash", ErrCorrupt)
			}
			copy(c.Hash[:], hashes[:32])
			hashes = hashes[32:]
		}
	}
	if len(hashes) != 0 {
		return fmt.Errorf("%w: node cache entry: trailing bytes", ErrCorrupt)
	}
	return nil
}

// decodeChildren decodes an encoding's children into n and returns the
// bytes after them. A leaf's hash is computed from its key and value
// hashes unless hashed says the caller fills it in.
func decodeChildren(b []byte, n *jmt.Node, hashed bool) ([]byte, error) {
	bad := func(why string) ([]byte, error) { return nil, fmt.Errorf("%w: tree node: %s", ErrCorrupt, why) }
	if len(b) < 5 || b[0] != 1 {
		return bad("header")
	}
	present := binary.BigEndian.Uint16(b[1:3])
	leaves := binary.BigEndian.Uint16(b[3:5])
	if leaves&^present != 0 {
		return bad("a leaf child that is not present")
	}
	b = b[5:]
	// Children are written field by field in place: building each as a
	// value and copying it in was most of a decode's time.
	for i := range n.Children {
		c := &n.Children[i]
		if present&(1<<i) == 0 {
			*c = jmt.Child{}
			continue
		}
		if leaves&(1<<i) != 0 {
			if len(b) < 64 {
				return bad("leaf child")
			}
			h, w := binary.Uvarint(b[64:])
			if w <= 0 {
				return bad("leaf height")
			}
			c.Present, c.Leaf, c.Version, c.Height = true, true, 0, h
			copy(c.KeyHash[:], b[:32])
			copy(c.ValueHash[:], b[32:64])
			if !hashed {
				c.Hash = jmt.LeafHash(c.KeyHash, c.ValueHash)
			}
			b = b[64+w:]
			continue
		}
		v, w := binary.Uvarint(b)
		if w <= 0 || len(b) < w+32 {
			return bad("internal child")
		}
		c.Present, c.Leaf, c.Version, c.Height = true, false, v, 0
		copy(c.Hash[:], b[w:w+32])
		c.KeyHash, c.ValueHash = jmt.Hash{}, jmt.Hash{}
		b = b[w+32:]
	}
	return b, nil
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

// warm loads the latest tree's internal nodes into the node cache, level
// by level from the root, until the cache is full or stop closes. Each
// level's nodes are read in key order through one iterator, which touches
// every table block once instead of once per node: about a second for a
// million keys, where random reads would take many. It runs in the
// background from Open; Commit and Close wait for it (reads need not: a
// node the warm-up has not reached yet is read from Pebble).
func (s *Store) warm(stop <-chan struct{}) error {
	if !s.root.Present || s.root.Leaf {
		return nil
	}
	level := []jmt.NodeKey{s.root.Key()}
	var buf []byte
	for len(level) > 0 {
		slices.SortFunc(level, func(a, b jmt.NodeKey) int {
			if c := cmp.Compare(a.Version, b.Version); c != 0 {
				return c
			}
			return strings.Compare(a.Path, b.Path)
		})
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixNode}, UpperBound: []byte{prefixNode + 1}})
		if err != nil {
			return corruption(err)
		}
		var next []jmt.NodeKey
		for _, k := range level {
			select {
			case <-stop:
				return it.Close()
			default:
			}
			key := nodeKey(k)
			if !it.SeekGE(key) || !bytes.Equal(it.Key(), key) {
				_ = it.Close()
				return fmt.Errorf("%w: node %v of the latest tree is missing", ErrCorrupt, k)
			}
			n, err := decodeNode(it.Value())
			if err != nil {
				_ = it.Close()
				return err
			}
			if !s.nodes.put(k, appendLeafHashes(append(buf[:0], it.Value()...), n)) {
				return it.Close() // the cache is full
			}
			for i, c := range n.Children {
				if c.Present && !c.Leaf {
					next = append(next, jmt.NodeKey{Version: c.Version, Path: k.Path + string(rune(i))})
				}
			}
		}
		if err := it.Close(); err != nil {
			return corruption(err)
		}
		level = next
	}
	return nil
}
