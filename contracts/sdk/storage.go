package sdk

import (
	"encoding/binary"
	"encoding/json"
	"iter"
)

// Storage layout: an Item named n lives under the key len(n) ‖ n; entry
// k of a Map named n under len(n) ‖ n ‖ enc(k). The length prefix keeps
// one name's keys from running into another's ("a" and "ab"). Values are
// JSON. Names are at most 255 bytes.

func namespace(name string) []byte {
	if len(name) > 255 {
		panic("sdk: storage name over 255 bytes: " + name)
	}
	return append([]byte{byte(len(name))}, name...)
}

// storageName is the Item's or Map's name a stored key starts with, for
// messages (the rest of the key may be binary).
func storageName(key []byte) string {
	if len(key) == 0 || int(key[0]) >= len(key) {
		return "storage"
	}
	return string(key[1 : 1+int(key[0])])
}

// Item is one value of type T in the contract's storage.
type Item[T any] struct{ key []byte }

// NewItem declares the item stored under name.
func NewItem[T any](name string) Item[T] {
	warm[T]()
	return Item[T]{key: namespace(name)}
}

// Load returns the value and true, or T's zero value and false.
func (i Item[T]) Load(ctx *Context) (T, bool) { return load[T](ctx, i.key) }

// Get returns the value, or T's zero value if there is none.
func (i Item[T]) Get(ctx *Context) T {
	v, _ := i.Load(ctx)
	return v
}

// Save stores v.
func (i Item[T]) Save(ctx *Context, v T) { save(ctx, i.key, v) }

// Remove deletes the value, reporting whether there was one.
func (i Item[T]) Remove(ctx *Context) bool { return remove(ctx, i.key) }

// Key is what a Map may be keyed by. Keys are stored so that their byte
// order is their natural order: strings as their bytes, integers big-
// endian (int64 with the sign bit flipped), arrays as they are.
type Key interface {
	string | uint64 | uint32 | int64 | Address | DeviceID | [32]byte
}

// Map is a map from K to V in the contract's storage, iterable in key
// order.
type Map[K Key, V any] struct{ prefix []byte }

// NewMap declares the map stored under name.
func NewMap[K Key, V any](name string) Map[K, V] {
	warm[V]()
	return Map[K, V]{prefix: namespace(name)}
}

func (m Map[K, V]) key(k K) []byte { return appendKey(append([]byte(nil), m.prefix...), k) }

func (m Map[K, V]) Load(ctx *Context, k K) (V, bool) { return load[V](ctx, m.key(k)) }

func (m Map[K, V]) Get(ctx *Context, k K) V {
	v, _ := m.Load(ctx, k)
	return v
}

func (m Map[K, V]) Has(ctx *Context, k K) bool {
	_, ok := ctx.host.StorageRead(m.key(k))
	return ok
}

func (m Map[K, V]) Save(ctx *Context, k K, v V)   { save(ctx, m.key(k), v) }
func (m Map[K, V]) Remove(ctx *Context, k K) bool { return remove(ctx, m.key(k)) }

// Scan selects a part of a Map to iterate.
type Scan[K Key] struct {
	// Prefix restricts the scan to keys whose stored form starts with it:
	// for string keys, the strings with that prefix.
	Prefix []byte
	// After, if set, starts after this key (before it, with Reverse):
	// pass the last key of one page to get the next.
	After *K
	// Reverse iterates from the largest key down.
	Reverse bool
}

// scanBatch is how many entries each storage_range fetches.
const scanBatch = 64

// All iterates every entry in key order.
func (m Map[K, V]) All(ctx *Context) iter.Seq2[K, V] { return m.Scan(ctx, Scan[K]{}) }

// Scan iterates the entries s selects. Entries are read in batches as the
// loop goes, so breaking out early pays only for what was read.
func (m Map[K, V]) Scan(ctx *Context, s Scan[K]) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		prefix := append(append([]byte(nil), m.prefix...), s.Prefix...)
		var start []byte
		if s.After != nil {
			start = m.key(*s.After)
		}
		for {
			entries := ctx.host.StorageRange(prefix, start, scanBatch, s.Reverse, false)
			for _, e := range entries {
				k, ok := decodeKey[K](e.Key[len(m.prefix):])
				if !ok {
					ctx.Abort("sdk: a malformed key in " + storageName(m.prefix))
				}
				var v V
				if err := json.Unmarshal(e.Value, &v); err != nil {
					ctx.Abort("sdk: a malformed value in " + storageName(m.prefix) + ": " + err.Error())
				}
				if !yield(k, v) {
					return
				}
			}
			if len(entries) < scanBatch {
				return
			}
			start = entries[len(entries)-1].Key
		}
	}
}

func appendKey[K Key](b []byte, k K) []byte {
	switch v := any(k).(type) {
	case string:
		return append(b, v...)
	case uint64:
		return binary.BigEndian.AppendUint64(b, v)
	case uint32:
		return binary.BigEndian.AppendUint32(b, v)
	case int64:
		return binary.BigEndian.AppendUint64(b, uint64(v)^1<<63)
	case Address:
		return append(b, v[:]...)
	case DeviceID:
		return append(b, v[:]...)
	case [32]byte:
		return append(b, v[:]...)
	}
	panic("unreachable: Key's type set")
}

func decodeKey[K Key](b []byte) (K, bool) {
	var k K
	p := any(&k)
	switch v := p.(type) {
	case *string:
		*v = string(b)
		return k, true
	case *uint64:
		if len(b) == 8 {
			*v = binary.BigEndian.Uint64(b)
			return k, true
		}
	case *uint32:
		if len(b) == 4 {
			*v = binary.BigEndian.Uint32(b)
			return k, true
		}
	case *int64:
		if len(b) == 8 {
			*v = int64(binary.BigEndian.Uint64(b) ^ 1<<63)
			return k, true
		}
	case *Address:
		return k, copy(v[:], b) == len(v) && len(b) == len(v)
	case *DeviceID:
		return k, copy(v[:], b) == len(v) && len(b) == len(v)
	case *[32]byte:
		return k, copy(v[:], b) == len(v) && len(b) == len(v)
	}
	return k, false
}

func load[T any](ctx *Context, key []byte) (T, bool) {
	var v T
	b, ok := ctx.host.StorageRead(key)
	if !ok {
		return v, false
	}
	if err := json.Unmarshal(b, &v); err != nil {
		ctx.Abort("sdk: a malformed value in " + storageName(key) + ": " + err.Error())
	}
	return v, true
}

func save[T any](ctx *Context, key []byte, v T) {
	ctx.writable()
	b, err := json.Marshal(v)
	if err != nil {
		ctx.Abort("sdk: encode a value for " + storageName(key) + ": " + err.Error())
	}
	ctx.host.StorageWrite(key, b)
}

func remove(ctx *Context, key []byte) bool {
	ctx.writable()
	return ctx.host.StorageRemove(key)
}

// writable aborts a write from a method declared with Query, on every
// host alike, so a query that writes fails in its first test.
func (c *Context) writable() {
	if c.readOnly {
		c.host.Abort("sdk: a Query method may not write")
	}
}
