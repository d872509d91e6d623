package tx

import "sync"

// SigCache remembers, by hash, transactions whose signature verified, up
// to a bound (the oldest are forgotten first). A node checks a
// transaction's signature when its mempool takes it and again when a
// block holding it executes; with the cache shared by both, the second
// check is a lookup. The hash covers the whole signed envelope — body,
// public key and signature — so a hit is the same bytes, whose
// verification has the same result: the cache changes how fast a block
// executes, never what it does.
type SigCache struct {
	mu   sync.Mutex
	set  map[[32]byte]struct{}
	ring [][32]byte // insertion order, for eviction
	next int
}

// NewSigCache makes a cache of at most n transactions.
func NewSigCache(n int) *SigCache {
	return &SigCache{set: make(map[[32]byte]struct{}, n), ring: make([][32]byte, 0, n)}
}

// Verify is d.Verify, answered from the cache when d verified before. A
// nil cache verifies every time.
func (c *SigCache) Verify(d *Decoded) error {
	if c == nil {
		return d.Verify()
	}
	c.mu.Lock()
	_, ok := c.set[d.Hash]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if err := d.Verify(); err != nil {
		return err
	}
	c.add(d.Hash)
	return nil
}

func (c *SigCache) add(h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[h]; ok || cap(c.ring) == 0 {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, h)
	} else {
		delete(c.set, c.ring[c.next])
		c.ring[c.next] = h
		c.next = (c.next + 1) % len(c.ring)
	}
	c.set[h] = struct{}{}
}

// Len is how many transactions the cache holds.
func (c *SigCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.set)
}
