package state

import (
	"bytes"
	"fmt"
	"math/bits"
)

// Reader is the committed state as a WriteSet sees it. It must present one
// fixed view for the WriteSet's whole life (the state as of the last
// committed block): the write set never re-reads a key it has written, so a
// base that moved underneath would be seen only in part.
type Reader interface {
	// Get returns the value of key, or ok false if the key is absent. The
	// value stays valid after later calls and is never modified by the
	// caller (a Pebble implementation copies it out).
	Get(key []byte) (value []byte, ok bool, err error)
	// Iterate returns the keys starting with prefix (all keys for an empty
	// prefix) in the order opts asks for.
	Iterate(prefix []byte, opts IterOptions) (Iterator, error)
}

// IterOptions selects the order of an iteration and whether it needs values.
type IterOptions struct {
	// Reverse iterates in descending key order.
	Reverse bool
	// KeysOnly promises the caller never reads values: Value returns nil,
	// and a Reader may then skip loading them (Pebble need not fetch
	// values stored apart from their keys).
	KeysOnly bool
}

// Iterator walks keys in order. Call Next before the first Key; Close it
// when done.
//
// Key and Value are valid only until the next call to Next or Close (the
// Pebble implementation hands out its own buffers) and must not be
// modified: copy what you keep.
type Iterator interface {
	// Next moves to the next key and reports whether there is one. After
	// it returns false, Err says whether the iteration ended or failed.
	Next() bool
	Key() []byte
	// Value is nil with IterOptions.KeysOnly.
	Value() []byte
	Err() error
	Close() error
}

// WriteSet holds one block's pending writes over the committed state, with
// nested checkpoints so that a transaction, or a sub-call inside one, can
// be rolled back without touching what came before it:
//
//	tx := ws.Checkpoint()       // begin transaction
//	call := ws.Checkpoint()     // begin sub-call
//	ws.RevertTo(call)           // the sub-call failed: only its writes go
//	ws.Commit(tx)               // the transaction succeeded: keep the rest
//	changes := ws.Changes()     // end of block: hand the writes to the commit
//
// Reads (Get, Iterate) see the writes made so far, over the base.
// An empty value is a value: only Delete removes a key.
//
// A WriteSet is not safe for concurrent use; execution is sequential.
type WriteSet struct {
	base    Reader
	entries map[string]*entry

	// head is the sentinel of a skip list over entries in key order, for
	// iteration; the map is for the hot path, Get and Set.
	head   entry
	height int    // levels in use
	rng    uint64 // xorshift state for tower heights

	// seq numbers every change to an entry; an iterator sees the changes
	// up to the seq at its creation.
	seq     uint64
	iters   int    // open iterators
	iterSeq uint64 // seq of the newest iterator opened

	// journal records, per checkpoint, the previous state of each key the
	// first time the key changes under that checkpoint, so that a revert
	// costs the writes it undoes, not the block's. Positions are absolute
	// (jbase is the position of journal[0]) and never reused, so a stale
	// entry.undo can never look recent.
	journal []undo
	jbase   int
	cps     []checkpoint
	nextID  int
}

// Skip-list towers grow with probability 1/4 per level; 12 levels keep
// lookups logarithmic up to 4^12 (16M) pending keys.
const maxHeight = 12

type kind uint8

const (
	unwritten kind = iota // no pending write: reads fall through to the base
	written
	deleted
)

type version struct {
	seq  uint64
	kind kind
	val  []byte
}

type entry struct {
	key []byte
	cur version
	// older holds versions an open iterator may still need, oldest first.
	// It is only appended to while iterators are open, and dropped at the
	// first write after they are all closed.
	older []version
	// undo is 1 + the absolute journal position of this key's latest undo
	// record (0: none).
	undo int
	next []*entry // skip-list tower
	// low is the tower of the 3 in 4 entries that have one level, saving
	// an allocation per new key.
	low  [1]*entry
	prev *entry // level 0 backwards, for reverse iteration
}

// at returns the entry's state as an iterator created at seq sees it.
func (e *entry) at(seq uint64) (kind, []byte) {
	if e.cur.seq <= seq {
		return e.cur.kind, e.cur.val
	}
	for i := len(e.older) - 1; i >= 0; i-- {
		if v := e.older[i]; v.seq <= seq {
			return v.kind, v.val
		}
	}
	return unwritten, nil
}

type undo struct {
	e    *entry
	kind kind
	val  []byte
	undo int // the entry's undo field before this record
}

type checkpoint struct {
	id    int
	start int // absolute journal position when it was opened
}

// NewWriteSet returns an empty write set over base.
func NewWriteSet(base Reader) *WriteSet {
	w := &WriteSet{
		base:    base,
		entries: make(map[string]*entry),
		height:  1,
		rng:     0x9e3779b97f4a7c15,
		nextID:  1, // 0 is never an id, so a zero int cannot name a checkpoint
	}
	w.head.next = make([]*entry, maxHeight)
	return w
}

// Get returns the value of key: the latest pending write, else the base's.
// The value must not be modified.
func (w *WriteSet) Get(key []byte) (value []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	if e := w.entries[string(key)]; e != nil {
		switch e.cur.kind {
		case written:
			return e.cur.val, true, nil
		case deleted:
			return nil, false, nil
		}
	}
	value, ok, err = w.base.Get(key)
	if err != nil {
		return nil, false, fmt.Errorf("state: get %s: %w", printable(key), err)
	}
	return value, ok, nil
}

// Set writes value under key. Both are copied, so the caller may reuse
// them. An empty key, a key over MaxKeyBytes or a value over MaxValueBytes
// is refused with an error (see limits.go) and changes nothing.
func (w *WriteSet) Set(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	w.write(key, written, append(make([]byte, 0, len(value)), value...))
	return nil
}

// Delete removes key, whether or not it exists. An empty or oversized key
// is refused, as by Set.
func (w *WriteSet) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	w.write(key, deleted, nil)
	return nil
}

func (w *WriteSet) write(key []byte, k kind, val []byte) {
	e := w.entries[string(key)]
	if e == nil {
		e = w.insert(key)
	}
	// Journal only the first change under the innermost checkpoint: a
	// revert restores the state before the earliest record in its range,
	// so later records for the same key would never be read. After Commit
	// merges a checkpoint into its parent, its records lie inside the
	// parent's range and go on serving it.
	if n := len(w.cps); n > 0 && e.undo <= w.cps[n-1].start {
		w.journal = append(w.journal, undo{e: e, kind: e.cur.kind, val: e.cur.val, undo: e.undo})
		e.undo = w.jbase + len(w.journal) // 1 + the record's position
	}
	w.apply(e, k, val)
}

// apply changes an entry, keeping the version it replaces if an open
// iterator may still need it.
func (w *WriteSet) apply(e *entry, k kind, val []byte) {
	if w.iters > 0 {
		if e.cur.seq <= w.iterSeq {
			e.older = append(e.older, e.cur)
		}
	} else if e.older != nil {
		e.older = nil
	}
	w.seq++
	e.cur = version{seq: w.seq, kind: k, val: val}
}

// Checkpoint opens a checkpoint nested in the open ones and returns its id.
// Every write from now on belongs to it until it is closed by RevertTo or
// Commit. Ids are never reused within a WriteSet.
func (w *WriteSet) Checkpoint() int {
	id := w.nextID
	w.nextID++
	w.cps = append(w.cps, checkpoint{id: id, start: w.jbase + len(w.journal)})
	return id
}

// RevertTo undoes every write made since checkpoint id was opened,
// including those of checkpoints opened after it, and closes them all.
// Writes made before it are untouched. It costs the writes undone.
//
// Reverting a checkpoint that is not open is a bug in the caller and
// panics.
func (w *WriteSet) RevertTo(id int) {
	i := w.find(id, "revert to")
	start := w.cps[i].start - w.jbase
	for j := len(w.journal) - 1; j >= start; j-- {
		r := w.journal[j]
		w.apply(r.e, r.kind, r.val)
		r.e.undo = r.undo
	}
	clear(w.journal[start:]) // let reverted values be collected
	w.journal = w.journal[:start]
	w.close(i)
}

// Commit closes checkpoint id, and any opened after it, keeping their
// writes: they now belong to the enclosing checkpoint, and a revert of
// that one undoes them too. Committing the outermost checkpoint makes the
// writes final for the block.
//
// Committing a checkpoint that is not open is a bug in the caller and
// panics.
func (w *WriteSet) Commit(id int) {
	w.close(w.find(id, "commit"))
}

// Depth returns the number of open checkpoints.
func (w *WriteSet) Depth() int { return len(w.cps) }

func (w *WriteSet) find(id int, op string) int {
	// The target is nearly always the innermost checkpoint.
	for i := len(w.cps) - 1; i >= 0; i-- {
		if w.cps[i].id == id {
			return i
		}
	}
	panic(fmt.Errorf("state: %s checkpoint %d: not open (open: %d)", op, id, len(w.cps)))
}

func (w *WriteSet) close(i int) {
	w.cps = w.cps[:i]
	if i == 0 {
		// Nothing can revert these writes any more.
		clear(w.journal)
		w.jbase += len(w.journal)
		w.journal = w.journal[:0]
	}
}

// Changes returns every key with a pending write and its final state,
// sorted by key, for Store.Commit. Writes under still-open checkpoints are
// included: close them first. The write set never reads the base to learn
// whether a key existed, so deleting an absent key is a change too (the
// tree and the store treat it as a no-op). The slices are the write set's
// own and must not be modified.
func (w *WriteSet) Changes() []Change {
	out := make([]Change, 0, len(w.entries))
	for e := w.head.next[0]; e != nil; e = e.next[0] {
		switch e.cur.kind {
		case written:
			out = append(out, Change{Key: e.key, Value: e.cur.val})
		case deleted:
			out = append(out, Change{Key: e.key, Delete: true})
		}
	}
	return out
}

// Iterate returns the keys starting with prefix in the merged view:
// pending writes shadow the base, deletions hide base keys.
//
// The iterator sees the write set as it was when Iterate was called:
// writes, reverts and commits made while it is open are invisible to it,
// so a caller may delete or rewrite the keys it walks. Keeping that
// snapshot means holding on to every value overwritten while an iterator
// is open, so close iterators promptly.
func (w *WriteSet) Iterate(prefix []byte, opts IterOptions) (Iterator, error) {
	prefix = bytes.Clone(prefix)
	b, err := w.base.Iterate(prefix, opts)
	if err != nil {
		return nil, fmt.Errorf("state: iterate %s: %w", printable(prefix), err)
	}
	w.iters++
	w.iterSeq = w.seq
	it := &iterator{w: w, seq: w.seq, prefix: prefix, opts: opts, base: b}
	if opts.Reverse {
		it.pend = w.seekLT(prefixEnd(prefix))
	} else {
		it.pend = w.seekGE(prefix)
	}
	if it.pend != nil && !bytes.HasPrefix(it.pend.key, prefix) {
		it.pend = nil
	}
	return it, nil
}

// insert adds an unwritten entry for key to the map and the skip list.
func (w *WriteSet) insert(key []byte) *entry {
	var prev [maxHeight]*entry
	x := &w.head
	for lvl := w.height - 1; lvl >= 0; lvl-- {
		for n := x.next[lvl]; n != nil && bytes.Compare(n.key, key) < 0; n = x.next[lvl] {
			x = n
		}
		prev[lvl] = x
	}
	// xorshift64: the heights only need to be spread, not unpredictable;
	// they depend on the insertion count, never on the keys.
	w.rng ^= w.rng << 13
	w.rng ^= w.rng >> 7
	w.rng ^= w.rng << 17
	h := 1 + bits.TrailingZeros64(w.rng|1<<(2*(maxHeight-1)))/2
	for ; w.height < h; w.height++ {
		prev[w.height] = &w.head
	}
	e := &entry{key: bytes.Clone(key), prev: prev[0]}
	if h == 1 {
		e.next = e.low[:]
	} else {
		e.next = make([]*entry, h)
	}
	for lvl := range h {
		e.next[lvl] = prev[lvl].next[lvl]
		prev[lvl].next[lvl] = e
	}
	if n := e.next[0]; n != nil {
		n.prev = e
	}
	w.entries[string(e.key)] = e
	return e
}

// seekGE returns the first entry with a key >= key, or nil.
func (w *WriteSet) seekGE(key []byte) *entry {
	x := &w.head
	for lvl := w.height - 1; lvl >= 0; lvl-- {
		for n := x.next[lvl]; n != nil && bytes.Compare(n.key, key) < 0; n = x.next[lvl] {
			x = n
		}
	}
	return x.next[0]
}

// seekLT returns the last entry with a key < limit (the last entry for a
// nil limit), or nil.
func (w *WriteSet) seekLT(limit []byte) *entry {
	x := &w.head
	for lvl := w.height - 1; lvl >= 0; lvl-- {
		for n := x.next[lvl]; n != nil && (limit == nil || bytes.Compare(n.key, limit) < 0); n = x.next[lvl] {
			x = n
		}
	}
	if x == &w.head {
		return nil
	}
	return x
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil if there is none (empty prefix, or all 0xff).
func prefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			end := bytes.Clone(prefix[:i+1])
			end[i]++
			return end
		}
	}
	return nil
}

// iterator merges the base's iterator with the pending entries.
type iterator struct {
	w      *WriteSet
	seq    uint64
	prefix []byte
	opts   IterOptions
	base   Iterator
	pend   *entry // next pending entry in range, visible or not; nil at the end

	started bool
	baseOK  bool // the base is on a key
	// which sources gave the current key, to move past it on Next
	advBase, advPend bool
	done, closed     bool
	key, val         []byte
	err              error
}

func (it *iterator) Next() bool {
	if it.done {
		return false
	}
	if !it.started {
		it.started = true
		it.baseOK = it.base.Next()
	} else {
		it.advance()
	}
	for {
		var k kind
		var v []byte
		for it.pend != nil {
			if k, v = it.pend.at(it.seq); k != unwritten {
				break
			}
			it.pend = it.step(it.pend)
		}
		if !it.baseOK {
			if err := it.base.Err(); err != nil {
				it.err = fmt.Errorf("state: iterate %s: %w", printable(it.prefix), err)
				return it.stop()
			}
			if it.pend == nil {
				return it.stop()
			}
		}
		var c int // < 0: the pending entry comes first; 0: it shadows the base key
		switch {
		case it.pend == nil:
			c = 1
		case !it.baseOK:
			c = -1
		default:
			c = bytes.Compare(it.pend.key, it.base.Key())
			if it.opts.Reverse {
				c = -c
			}
		}
		it.advBase, it.advPend = c >= 0, c <= 0
		if c > 0 {
			it.key = it.base.Key()
			if !it.opts.KeysOnly {
				it.val = it.base.Value()
			}
			return true
		}
		if k == deleted {
			it.advance()
			continue
		}
		it.key = it.pend.key
		if !it.opts.KeysOnly {
			it.val = v
		}
		return true
	}
}

func (it *iterator) advance() {
	if it.advBase {
		it.baseOK = it.base.Next()
	}
	if it.advPend {
		it.pend = it.step(it.pend)
	}
}

// step returns the entry after e in the iteration order, or nil past the
// prefix.
func (it *iterator) step(e *entry) *entry {
	if it.opts.Reverse {
		e = e.prev
		if e == &it.w.head {
			return nil
		}
	} else {
		e = e.next[0]
	}
	if e == nil || !bytes.HasPrefix(e.key, it.prefix) {
		return nil
	}
	return e
}

func (it *iterator) stop() bool {
	it.done = true
	it.key, it.val = nil, nil
	return false
}

func (it *iterator) Key() []byte   { return it.key }
func (it *iterator) Value() []byte { return it.val }
func (it *iterator) Err() error    { return it.err }

func (it *iterator) Close() error {
	if it.closed {
		return nil
	}
	it.closed = true
	it.stop()
	it.w.iters--
	if err := it.base.Close(); err != nil {
		return fmt.Errorf("state: close iterator: %w", err)
	}
	return nil
}

// printable shows a key in an error message: in hex, since keys are
// binary, and cut short, since one can be 1 KiB.
func printable(key []byte) string {
	const n = 32
	if len(key) == 0 {
		return "(empty)"
	}
	if len(key) > n {
		return fmt.Sprintf("%x... (%d bytes)", key[:n], len(key))
	}
	return fmt.Sprintf("%x", key)
}
