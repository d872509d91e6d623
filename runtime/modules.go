package runtime

import (
	"container/list"
	"context"
	"sync"

	"github.com/plinthchain/plinth/vm"
)

// DefaultMaxModules is how many compiled modules a Runtime keeps when
// Config.MaxModules is zero. A compiled module holds its machine code and a
// pool of idle instances with their memories: megabytes for a large
// contract. Unbounded, anyone paying for deploys could grow every node's
// memory until it fails.
const DefaultMaxModules = 256

// moduleCache holds compiled modules by code hash, at most max of them,
// dropping the least recently used. A module still in use by a call when
// it is dropped is closed when its last user releases it: closing it under
// a running call could fail the call, and what is compiled must never
// change what a transaction does (gas and results do not depend on it; a
// dropped module is compiled again from stored code on its next use).
type moduleCache struct {
	mu      sync.Mutex
	max     int
	byHash  map[[32]byte]*list.Element // of *cachedModule
	recency *list.List                 // front: most recently used
}

type cachedModule struct {
	hash    [32]byte
	m       *vm.Module
	users   int
	dropped bool // out of the cache; close when users reaches zero
}

func newModuleCache(max int) *moduleCache {
	if max <= 0 {
		max = DefaultMaxModules
	}
	return &moduleCache{max: max, byHash: map[[32]byte]*list.Element{}, recency: list.New()}
}

// get returns the cached module for hash, held for the caller until it
// calls release.
func (c *moduleCache) get(hash [32]byte) (*vm.Module, func(), bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok {
		return nil, nil, false
	}
	c.recency.MoveToFront(e)
	cm := e.Value.(*cachedModule)
	cm.users++
	return cm.m, c.releaser(cm), true
}

// add caches m (unless a module of its hash is cached: then that one is
// returned and m closed) and holds it for the caller until release.
func (c *moduleCache) add(m *vm.Module) (*vm.Module, func()) {
	c.mu.Lock()
	if e, ok := c.byHash[m.CodeHash]; ok {
		// Compiled twice at once (a query beside a block): keep one.
		c.recency.MoveToFront(e)
		cm := e.Value.(*cachedModule)
		cm.users++
		c.mu.Unlock()
		_ = m.Close(context.Background())
		return cm.m, c.releaser(cm)
	}
	cm := &cachedModule{hash: m.CodeHash, m: m, users: 1}
	c.byHash[m.CodeHash] = c.recency.PushFront(cm)
	var closing []*vm.Module
	for c.recency.Len() > c.max {
		old := c.recency.Remove(c.recency.Back()).(*cachedModule)
		delete(c.byHash, old.hash)
		old.dropped = true
		if old.users == 0 {
			closing = append(closing, old.m)
		}
	}
	c.mu.Unlock()
	for _, m := range closing {
		_ = m.Close(context.Background())
	}
	return cm.m, c.releaser(cm)
}

func (c *moduleCache) releaser(cm *cachedModule) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			cm.users--
			closeIt := cm.dropped && cm.users == 0
			c.mu.Unlock()
			if closeIt {
				_ = cm.m.Close(context.Background())
			}
		})
	}
}

// len returns how many modules are cached.
func (c *moduleCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recency.Len()
}
