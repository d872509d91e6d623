package tx

import "sync"

// SigCache remembers, by hash, transactions whose signature verified —
// decoded — up to a bound (the oldest are forgotten first). A node
// decodes and checks a transaction when its mempool takes it and again
// when a block holding it is built or executes; with the cache shared by
// both, the second time is a lookup. The hash covers the whole signed
// envelope — body, public key and signature — so a hit is the same
// bytes, whose decoding and verification have the same result: the cache
// changes how fast a block executes, never what it does. A cached
// Decoded is shared: nobody may modify it.
type SigCache struct {
	mu   sync.Mutex
	set  map[[32]byte]*Decoded
	ring [][32]byte // insertion order, for eviction
	next int
}

// NewSigCache makes a cache of at most n transactions.
func NewSigCache(n int) *SigCache {
	return &SigCache{set: make(map[[32]byte]*Decoded, n), ring: make([][32]byte, 0, n)}
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
	c.add(d)
	return nil
}

// Get returns the verified transaction with hash, decoded, if the cache
// has it (nil cache: never).
func (c *SigCache) Get(hash [32]byte) (*Decoded, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.set[hash]
	return d, ok
}

func (c *SigCache) add(d *Decoded) {
	h := d.Hash
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
	c.set[h] = d
}

// Len is how many transactions the cache holds.
func (c *SigCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.set)
}
