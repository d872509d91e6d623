package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// fakeBase is a Reader over a sorted map. Its iterators behave as hostile
// as the contract allows: Key and Value are overwritten on the next call to
// Next or Close, and reading a value from a keys-only iterator is counted,
// so a write set that keeps base buffers or loads values it promised not
// to fails the tests.
type fakeBase struct {
	kv     map[string]string
	sorted []string // kv's keys in order, rebuilt when a key is added
	open   int      // iterators not yet closed

	valueReads int // Value calls on keys-only iterators

	getErr, iterErr, nextErr, closeErr error
}

func newFakeBase(kv map[string]string) *fakeBase {
	if kv == nil {
		kv = map[string]string{}
	}
	return &fakeBase{kv: kv}
}

func (b *fakeBase) Get(key []byte) ([]byte, bool, error) {
	if b.getErr != nil {
		return nil, false, b.getErr
	}
	v, ok := b.kv[string(key)]
	if !ok {
		return nil, false, nil
	}
	return []byte(v), true, nil
}

func (b *fakeBase) Iterate(prefix []byte, opts IterOptions) (Iterator, error) {
	if b.iterErr != nil {
		return nil, b.iterErr
	}
	if len(b.sorted) != len(b.kv) { // tests add base keys, never remove them
		b.sorted = b.sorted[:0]
		for k := range b.kv {
			b.sorted = append(b.sorted, k)
		}
		slices.Sort(b.sorted)
	}
	i, _ := slices.BinarySearch(b.sorted, string(prefix))
	j := i
	for j < len(b.sorted) && strings.HasPrefix(b.sorted[j], string(prefix)) {
		j++
	}
	keys := slices.Clone(b.sorted[i:j])
	if opts.Reverse {
		slices.Reverse(keys)
	}
	b.open++
	return &fakeIter{b: b, keys: keys, keysOnly: opts.KeysOnly, pos: -1}, nil
}

type fakeIter struct {
	b        *fakeBase
	keys     []string
	keysOnly bool
	pos      int
	key, val []byte
	closed   bool
}

func (it *fakeIter) scribble() {
	for i := range it.key {
		it.key[i] = '#'
	}
	for i := range it.val {
		it.val[i] = '#'
	}
}

func (it *fakeIter) Next() bool {
	it.scribble()
	it.pos++
	if it.pos >= len(it.keys) || it.b.nextErr != nil && it.pos > 0 {
		it.key, it.val = nil, nil
		return false
	}
	k := it.keys[it.pos]
	it.key, it.val = []byte(k), []byte(it.b.kv[k])
	return true
}

func (it *fakeIter) Key() []byte { return it.key }

func (it *fakeIter) Value() []byte {
	if it.keysOnly {
		it.b.valueReads++
		return nil
	}
	return it.val
}

func (it *fakeIter) Err() error {
	if it.pos > 0 {
		return it.b.nextErr
	}
	return nil
}

func (it *fakeIter) Close() error {
	if !it.closed {
		it.closed = true
		it.b.open--
	}
	it.scribble()
	return it.b.closeErr
}

// collect drains an iterator into "k=v" (or "k" when keys-only) strings.
func collect(t *testing.T, it Iterator, keysOnly bool) []string {
	t.Helper()
	var out []string
	for it.Next() {
		out = append(out, formatKV(it.Key(), it.Value(), keysOnly))
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return out
}

func formatKV(k, v []byte, keysOnly bool) string {
	if keysOnly {
		if v != nil {
			return string(k) + " (value given on a keys-only iteration!)"
		}
		return string(k)
	}
	return string(k) + "=" + string(v)
}

func formatChanges(cs []Change) []string {
	var out []string
	for _, c := range cs {
		if c.Delete {
			if c.Value != nil {
				out = append(out, string(c.Key)+" (deleted, with a value!)")
			} else {
				out = append(out, string(c.Key)+" (deleted)")
			}
		} else {
			out = append(out, string(c.Key)+"="+string(c.Value))
		}
	}
	return out
}

// TestWriteSetScript runs testdata/writeset: scripted sequences of writes,
// checkpoints and reads with their exact output.
func TestWriteSetScript(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.HasPrefix(strings.TrimPrefix(path, "testdata/"), "writeset") {
			return
		}
		base := newFakeBase(nil)
		ws := NewWriteSet(base)
		iters := map[string]Iterator{}
		itOpts := map[string]IterOptions{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var b strings.Builder
			switch d.Cmd {
			case "base":
				// Resets everything: a fresh base from the input and an
				// empty write set over it.
				base = newFakeBase(nil)
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					if line == "" {
						continue
					}
					k, v, ok := strings.Cut(line, "=")
					if !ok {
						d.Fatalf(t, "base line %q is not key=value", line)
					}
					base.kv[k] = v
				}
				ws = NewWriteSet(base)
				iters = map[string]Iterator{}
				return "ok"
			case "set":
				for _, a := range d.CmdArgs {
					v := ""
					if len(a.Vals) > 0 {
						v = a.Vals[0]
					}
					if err := ws.Set([]byte(a.Key), []byte(v)); err != nil {
						fmt.Fprintf(&b, "error: %v\n", err)
					}
				}
			case "delete":
				for _, a := range d.CmdArgs {
					if err := ws.Delete([]byte(a.Key)); err != nil {
						fmt.Fprintf(&b, "error: %v\n", err)
					}
				}
			case "get":
				for _, a := range d.CmdArgs {
					v, ok, err := ws.Get([]byte(a.Key))
					switch {
					case err != nil:
						fmt.Fprintf(&b, "error: %v\n", err)
					case !ok:
						fmt.Fprintf(&b, "%s: not found\n", a.Key)
					default:
						fmt.Fprintf(&b, "%s=%s\n", a.Key, v)
					}
				}
			case "checkpoint":
				id := ws.Checkpoint()
				fmt.Fprintf(&b, "id=%d depth=%d\n", id, ws.Depth())
			case "revert", "commit":
				var id int
				d.ScanArgs(t, "id", &id)
				if err := catch(func() {
					if d.Cmd == "revert" {
						ws.RevertTo(id)
					} else {
						ws.Commit(id)
					}
				}); err != nil {
					fmt.Fprintf(&b, "panic: %v\n", err)
				}
				fmt.Fprintf(&b, "depth=%d\n", ws.Depth())
			case "iter":
				opts := scanIterOptions(d)
				it, err := ws.Iterate([]byte(scanPrefix(t, d)), opts)
				if err != nil {
					return "error: " + err.Error()
				}
				for _, s := range collect(t, it, opts.KeysOnly) {
					b.WriteString(s + "\n")
				}
			case "iter-open":
				var name string
				d.ScanArgs(t, "name", &name)
				opts := scanIterOptions(d)
				it, err := ws.Iterate([]byte(scanPrefix(t, d)), opts)
				if err != nil {
					return "error: " + err.Error()
				}
				iters[name], itOpts[name] = it, opts
				return "ok"
			case "iter-next":
				// Steps a named open iterator n times (default 1).
				var name string
				d.ScanArgs(t, "name", &name)
				n := 1
				if d.HasArg("n") {
					d.ScanArgs(t, "n", &n)
				}
				it := iters[name]
				for range n {
					if !it.Next() {
						fmt.Fprintf(&b, "end (err: %v)\n", it.Err())
						break
					}
					b.WriteString(formatKV(it.Key(), it.Value(), itOpts[name].KeysOnly) + "\n")
				}
			case "iter-close":
				var name string
				d.ScanArgs(t, "name", &name)
				if err := iters[name].Close(); err != nil {
					return "error: " + err.Error()
				}
				delete(iters, name)
				return "ok"
			case "changes":
				for _, s := range formatChanges(ws.Changes()) {
					b.WriteString(s + "\n")
				}
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}
			if b.Len() == 0 {
				return "ok"
			}
			return b.String()
		})
		if base.open != len(iters) {
			t.Errorf("%s: %d base iterators open, %d write-set iterators left open by the script", path, base.open, len(iters))
		}
		if base.valueReads != 0 {
			t.Errorf("%s: %d base values read by keys-only iterations", path, base.valueReads)
		}
	})
}

func scanIterOptions(d *datadriven.TestData) IterOptions {
	return IterOptions{Reverse: d.HasArg("reverse"), KeysOnly: d.HasArg("keys-only")}
}

func scanPrefix(t *testing.T, d *datadriven.TestData) string {
	var p string
	if d.HasArg("prefix") {
		d.ScanArgs(t, "prefix", &p)
	}
	return p
}

// catch runs f and returns the error it panics with, if any.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				e = fmt.Errorf("non-error panic: %v", r)
			}
			err = e
		}
	}()
	f()
	return nil
}

// ref is the reference model for TestWriteSetMatchesModel: the merged view
// as a plain map, and the set of keys ever written. A checkpoint saves a
// full copy of both and a revert puts the copy back, which is obviously
// right and obviously slow.
type ref struct {
	view    map[string]string
	touched map[string]bool
}

func (r ref) clone() ref {
	c := ref{view: make(map[string]string, len(r.view)), touched: make(map[string]bool, len(r.touched))}
	for k, v := range r.view {
		c.view[k] = v
	}
	for k := range r.touched {
		c.touched[k] = true
	}
	return c
}

func (r ref) iterate(prefix string, opts IterOptions) []string {
	var keys []string
	for k := range r.view {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // byte order, as the store's
	if opts.Reverse {
		slices.Reverse(keys)
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = formatKV([]byte(k), []byte(r.view[k]), opts.KeysOnly)
		if opts.KeysOnly {
			out[i] = k
		}
	}
	return out
}

func (r ref) changes() []string {
	keys := make([]string, 0, len(r.touched))
	for k := range r.touched {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		if v, ok := r.view[k]; ok {
			out[i] = k + "=" + v
		} else {
			out[i] = k + " (deleted)"
		}
	}
	return out
}

// TestWriteSetMatchesModel runs random sequences of writes, checkpoints,
// reverts, commits, reads and iterations (whole and step by step, with
// writes in between) against the write set and the reference model, and
// requires identical results at every step. Keys are short and drawn from
// {a, b, 0xff} so that prefixes overlap and prefixes ending in 0xff (which
// have no successor key) come up often.
func TestWriteSetMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 16; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runModel(t, seed, 5000) })
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	alphabet := []byte{'a', 'b', 0xff}
	randKey := func(minLen, maxLen int) string {
		b := make([]byte, minLen+rng.IntN(maxLen-minLen+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	values := []string{"", "0", "1", "22", "333"}

	base := newFakeBase(nil)
	for range 15 {
		base.kv[randKey(1, 3)] = values[rng.IntN(len(values))]
	}
	model := ref{view: map[string]string{}, touched: map[string]bool{}}
	for k, v := range base.kv {
		model.view[k] = v
	}
	ws := NewWriteSet(base)

	type savedCP struct {
		id    int
		saved ref
	}
	var cps []savedCP
	type openIter struct {
		it   Iterator
		want []string
		pos  int
		opts IterOptions
	}
	var iters []*openIter
	lastID := 0

	// pick returns the index of an open checkpoint, usually the innermost,
	// as a call stack unwinds.
	pick := func() int {
		if rng.IntN(3) > 0 {
			return len(cps) - 1
		}
		return rng.IntN(len(cps))
	}
	randIterOptions := func() (string, IterOptions) {
		return randKey(0, 2), IterOptions{Reverse: rng.IntN(2) == 0, KeysOnly: rng.IntN(3) == 0}
	}
	tooLong := make([]byte, MaxValueBytes+1)

	for step := range steps {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d step %d: %s", seed, step, fmt.Sprintf(format, args...))
		}
		switch op := rng.IntN(100); {
		case op < 25: // set
			k, v := randKey(1, 3), values[rng.IntN(len(values))]
			if err := ws.Set([]byte(k), []byte(v)); err != nil {
				fail("set %q: %v", k, err)
			}
			model.view[k], model.touched[k] = v, true
			if e := ws.entries[k]; len(iters) == 0 && e.older != nil {
				fail("%q keeps %d old versions with no iterator open", k, len(e.older))
			}
		case op < 35: // delete
			k := randKey(1, 3)
			if err := ws.Delete([]byte(k)); err != nil {
				fail("delete %q: %v", k, err)
			}
			delete(model.view, k)
			model.touched[k] = true
		case op < 50: // get
			k := randKey(1, 3)
			v, ok, err := ws.Get([]byte(k))
			want, wantOK := model.view[k]
			if err != nil || ok != wantOK || string(v) != want {
				fail("get %q = %q, %v, %v; want %q, %v", k, v, ok, err, want, wantOK)
			}
		case op < 56: // checkpoint
			if len(cps) >= 6 {
				continue
			}
			id := ws.Checkpoint()
			if id <= lastID {
				fail("checkpoint id %d after %d", id, lastID)
			}
			lastID = id
			cps = append(cps, savedCP{id: id, saved: model.clone()})
		case op < 60: // revert
			if len(cps) == 0 {
				continue
			}
			i := pick()
			ws.RevertTo(cps[i].id)
			model = cps[i].saved
			cps = cps[:i]
		case op < 64: // commit
			if len(cps) == 0 {
				continue
			}
			i := pick()
			ws.Commit(cps[i].id)
			cps = cps[:i]
		case op < 70: // whole iteration
			prefix, opts := randIterOptions()
			it, err := ws.Iterate([]byte(prefix), opts)
			if err != nil {
				fail("iterate: %v", err)
			}
			got, want := collect(t, it, opts.KeysOnly), model.iterate(prefix, opts)
			if !slices.Equal(got, want) {
				fail("iterate %q %+v:\n got %q\nwant %q", prefix, opts, got, want)
			}
		case op < 74: // open an iterator to step through later
			if len(iters) >= 3 {
				continue
			}
			prefix, opts := randIterOptions()
			it, err := ws.Iterate([]byte(prefix), opts)
			if err != nil {
				fail("iterate: %v", err)
			}
			iters = append(iters, &openIter{it: it, want: model.iterate(prefix, opts), opts: opts})
		case op < 86: // step an open iterator
			if len(iters) == 0 {
				continue
			}
			oi := iters[rng.IntN(len(iters))]
			for range 1 + rng.IntN(3) {
				more := oi.it.Next()
				if more != (oi.pos < len(oi.want)) {
					fail("iterator step %d: Next = %v, want %d keys in all (%q)", oi.pos, more, len(oi.want), oi.want)
				}
				if !more {
					break
				}
				if got := formatKV(oi.it.Key(), oi.it.Value(), oi.opts.KeysOnly); got != oi.want[oi.pos] {
					fail("iterator step %d: %q, want %q", oi.pos, got, oi.want[oi.pos])
				}
				oi.pos++
			}
		case op < 90: // close an open iterator
			if len(iters) == 0 {
				continue
			}
			i := rng.IntN(len(iters))
			if err := iters[i].it.Close(); err != nil {
				fail("close: %v", err)
			}
			iters = slices.Delete(iters, i, i+1)
		case op < 95: // changes
			if got, want := formatChanges(ws.Changes()), model.changes(); !slices.Equal(got, want) {
				fail("changes:\n got %q\nwant %q", got, want)
			}
		default: // a refused write changes nothing
			before := formatChanges(ws.Changes())
			var err error
			switch rng.IntN(3) {
			case 0:
				err = ws.Set(nil, []byte("x"))
			case 1:
				err = ws.Delete([]byte{})
			case 2:
				err = ws.Set([]byte(randKey(1, 3)), tooLong)
			}
			if err == nil {
				fail("an invalid write was accepted")
			}
			if after := formatChanges(ws.Changes()); !slices.Equal(before, after) {
				fail("a refused write changed the write set:\n before %q\n after %q", before, after)
			}
		}
		if ws.Depth() != len(cps) {
			fail("depth %d, want %d", ws.Depth(), len(cps))
		}
		if len(cps) == 0 && len(ws.journal) != 0 {
			fail("%d journal records kept with no checkpoint open", len(ws.journal))
		}
	}
	for _, oi := range iters {
		if err := oi.it.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := formatChanges(ws.Changes()), model.changes(); !slices.Equal(got, want) {
		t.Fatalf("seed %d: final changes:\n got %q\nwant %q", seed, got, want)
	}
	if base.open != 0 {
		t.Errorf("seed %d: %d base iterators left open", seed, base.open)
	}
	if base.valueReads != 0 {
		t.Errorf("seed %d: %d base values read by keys-only iterations", seed, base.valueReads)
	}
}

func TestWriteSetLimits(t *testing.T) {
	ws := NewWriteSet(newFakeBase(map[string]string{"k": "base"}))
	if err := ws.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	want := []string{"k=v"}

	key := bytes.Repeat([]byte{'k'}, MaxKeyBytes)
	value := bytes.Repeat([]byte{'v'}, MaxValueBytes)
	for _, tc := range []struct {
		name       string
		write      func() error
		wantErr    error
		wantString string
	}{
		{"key one over", func() error { return ws.Set(append(key, 'k'), []byte("v")) }, ErrKeyTooLarge,
			"state: key too large: 1025 bytes, over MaxKeyBytes (1024)"},
		{"value one over", func() error { return ws.Set([]byte("k"), append(value, 'v')) }, ErrValueTooLarge,
			"state: value too large: 1048577 bytes, over MaxValueBytes (1048576)"},
		{"delete key one over", func() error { return ws.Delete(append(key, 'k')) }, ErrKeyTooLarge,
			"state: key too large: 1025 bytes, over MaxKeyBytes (1024)"},
		{"empty key", func() error { return ws.Set([]byte{}, []byte("v")) }, ErrEmptyKey, "state: empty key"},
		{"nil key", func() error { return ws.Set(nil, []byte("v")) }, ErrEmptyKey, "state: empty key"},
		{"delete empty key", func() error { return ws.Delete(nil) }, ErrEmptyKey, "state: empty key"},
		{"get empty key", func() error { _, _, err := ws.Get(nil); return err }, ErrEmptyKey, "state: empty key"},
		{"get key one over", func() error { _, _, err := ws.Get(append(key, 'k')); return err }, ErrKeyTooLarge,
			"state: key too large: 1025 bytes, over MaxKeyBytes (1024)"},
	} {
		err := tc.write()
		if !errors.Is(err, tc.wantErr) || err.Error() != tc.wantString {
			t.Errorf("%s: error %v, want %q (errors.Is %v)", tc.name, err, tc.wantString, tc.wantErr)
		}
		if got := formatChanges(ws.Changes()); !slices.Equal(got, want) {
			t.Errorf("%s: changes %q after a refused write, want %q", tc.name, got, want)
		}
		if v, ok, err := ws.Get([]byte("k")); err != nil || !ok || string(v) != "v" {
			t.Errorf("%s: k = %q, %v, %v after a refused write", tc.name, v, ok, err)
		}
	}

	// Exactly at the limits is accepted.
	if err := ws.Set(key, value); err != nil {
		t.Fatalf("key of MaxKeyBytes, value of MaxValueBytes: %v", err)
	}
	if v, ok, err := ws.Get(key); err != nil || !ok || !bytes.Equal(v, value) {
		t.Fatalf("get at the limits: %d bytes, %v, %v", len(v), ok, err)
	}
	if err := ws.Delete(key); err != nil {
		t.Fatalf("delete a key of MaxKeyBytes: %v", err)
	}
	if n := len(ws.Changes()); n != 2 {
		t.Fatalf("%d changes, want 2", n)
	}
}

// An empty value is a value; a nil one too.
func TestWriteSetEmptyValue(t *testing.T) {
	ws := NewWriteSet(newFakeBase(map[string]string{"k": "base"}))
	for _, v := range [][]byte{nil, {}} {
		if err := ws.Set([]byte("k"), v); err != nil {
			t.Fatal(err)
		}
		got, ok, err := ws.Get([]byte("k"))
		if err != nil || !ok || len(got) != 0 {
			t.Fatalf("Set(k, %#v): Get = %q, %v, %v; want empty, true", v, got, ok, err)
		}
		cs := ws.Changes()
		if len(cs) != 1 || cs[0].Delete || cs[0].Value == nil || len(cs[0].Value) != 0 {
			t.Fatalf("Set(k, %#v): changes %+v, want one non-nil empty value", v, cs)
		}
	}
}

// The write set keeps its own copies: callers reuse buffers (the VM's
// memory, for one).
func TestWriteSetCopiesInputs(t *testing.T) {
	ws := NewWriteSet(newFakeBase(nil))
	k, v := []byte("key"), []byte("value")
	if err := ws.Set(k, v); err != nil {
		t.Fatal(err)
	}
	copy(k, "xxx")
	copy(v, "XXXXX")
	if got, ok, _ := ws.Get([]byte("key")); !ok || string(got) != "value" {
		t.Fatalf("after the caller reused its buffers: key = %q, %v", got, ok)
	}
	if got := formatChanges(ws.Changes()); !slices.Equal(got, []string{"key=value"}) {
		t.Fatalf("changes %q", got)
	}
	prefix := []byte("k")
	it, err := ws.Iterate(prefix, IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prefix[0] = 'z'
	if got := collect(t, it, false); !slices.Equal(got, []string{"key=value"}) {
		t.Fatalf("after the caller reused the prefix: %q", got)
	}
}

func TestWriteSetBaseErrors(t *testing.T) {
	errDisk := errors.New("disk on fire")
	base := newFakeBase(map[string]string{"a": "1", "b": "2"})
	ws := NewWriteSet(base)

	base.getErr = errDisk
	if _, _, err := ws.Get([]byte("a")); !errors.Is(err, errDisk) || err.Error() != "state: get 61: disk on fire" {
		t.Errorf("get: %v", err)
	}
	long := bytes.Repeat([]byte{0xab}, 40)
	if _, _, err := ws.Get(long); err == nil || err.Error() != "state: get "+strings.Repeat("ab", 32)+"... (40 bytes): disk on fire" {
		t.Errorf("get of a long key: %v", err)
	}
	if err := ws.Set([]byte("a"), []byte("pending")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := ws.Get([]byte("a")); err != nil || !ok || string(v) != "pending" {
		t.Errorf("a pending key is read without the base: %q, %v, %v", v, ok, err)
	}
	base.getErr = nil

	base.iterErr = errDisk
	if _, err := ws.Iterate([]byte("a"), IterOptions{}); !errors.Is(err, errDisk) || err.Error() != "state: iterate 61: disk on fire" {
		t.Errorf("iterate: %v", err)
	}
	base.iterErr = nil
	if base.open != 0 || ws.iters != 0 {
		t.Errorf("a failed Iterate left %d base and %d write-set iterators open", base.open, ws.iters)
	}

	// The base fails after its first key: the iteration stops there, even
	// though pending keys remain, and says why.
	base.nextErr = errDisk
	if err := ws.Set([]byte("c"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	it, err := ws.Iterate(nil, IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it.Next() {
		got = append(got, formatKV(it.Key(), it.Value(), false))
	}
	if !slices.Equal(got, []string{"a=pending"}) || !errors.Is(it.Err(), errDisk) || it.Err().Error() != "state: iterate (empty): disk on fire" {
		t.Errorf("failing base: got %q, err %v", got, it.Err())
	}
	if it.Next() || it.Key() != nil {
		t.Errorf("Next after a failure moved on")
	}
	base.nextErr = nil

	base.closeErr = errDisk
	if err := it.Close(); !errors.Is(err, errDisk) || err.Error() != "state: close iterator: disk on fire" {
		t.Errorf("close: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if base.open != 0 || ws.iters != 0 {
		t.Errorf("after Close: %d base and %d write-set iterators open", base.open, ws.iters)
	}
}

// Revert costs the writes it undoes: a key rewritten many times under one
// checkpoint leaves one undo record, and closing the outermost checkpoint
// drops them all.
func TestWriteSetJournalCost(t *testing.T) {
	ws := NewWriteSet(newFakeBase(map[string]string{"k": "base"}))
	if err := ws.Set([]byte("k"), []byte("block")); err != nil {
		t.Fatal(err)
	}
	if n := len(ws.journal); n != 0 {
		t.Fatalf("%d undo records with no checkpoint open", n)
	}
	tx := ws.Checkpoint()
	for i := range 1000 {
		if err := ws.Set([]byte("k"), []byte(fmt.Sprint("tx", i))); err != nil {
			t.Fatal(err)
		}
	}
	call := ws.Checkpoint()
	for i := range 1000 {
		if err := ws.Set([]byte("k"), []byte(fmt.Sprint("call", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ws.journal); n != 2 {
		t.Fatalf("%d undo records for one key under two checkpoints, want 2", n)
	}
	ws.Commit(call)
	if err := ws.Set([]byte("k"), []byte("after call")); err != nil {
		t.Fatal(err)
	}
	if n := len(ws.journal); n != 2 {
		t.Fatalf("%d undo records after a write into the merged checkpoint, want 2", n)
	}
	ws.RevertTo(tx)
	if v, _, _ := ws.Get([]byte("k")); string(v) != "block" {
		t.Fatalf("after reverting the tx: k = %q, want block", v)
	}
	if n := len(ws.journal); n != 0 {
		t.Fatalf("%d undo records after closing the outermost checkpoint", n)
	}
	// A new checkpoint journals afresh: records from before are never
	// mistaken for its own.
	cp := ws.Checkpoint()
	if err := ws.Set([]byte("k"), []byte("again")); err != nil {
		t.Fatal(err)
	}
	ws.RevertTo(cp)
	if v, _, _ := ws.Get([]byte("k")); string(v) != "block" {
		t.Fatalf("after reverting a later checkpoint: k = %q, want block", v)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ prefix, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("ab"), []byte("ac")},
		{[]byte{'a', 0xff}, []byte("b")},
		{[]byte{'a', 0xfe, 0xff, 0xff}, []byte{'a', 0xff}},
		{[]byte{0xff}, nil},
		{[]byte{0xff, 0xff}, nil},
	} {
		prefix := bytes.Clone(tc.prefix)
		if got := prefixEnd(prefix); !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("prefixEnd(%x) = %x, want %x", tc.prefix, got, tc.want)
		}
		if !bytes.Equal(prefix, tc.prefix) {
			t.Errorf("prefixEnd(%x) modified its argument", tc.prefix)
		}
	}
}

// BenchmarkWriteSet runs transaction-shaped work over a base of 10k keys:
// per transaction a checkpoint, reads, writes (half to new keys), a
// sub-call that writes and is reverted every other time, then a commit;
// Changes after every 1000 transactions, as at the end of a block.
// Sub-benchmarks isolate Get and Set.
func BenchmarkWriteSet(b *testing.B) {
	base := newFakeBase(nil)
	for i := range 10000 {
		base.kv[fmt.Sprintf("acct/%05d", i)] = "0123456789abcdef0123456789abcdef"
	}
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "acct/%05d", i*7%20000)
	}
	value := bytes.Repeat([]byte{'v'}, 32)

	b.Run("tx", func(b *testing.B) {
		b.ReportAllocs()
		ws := NewWriteSet(base)
		n := 0
		for i := 0; b.Loop(); i++ {
			if i%1000 == 999 { // a block of 1000 transactions
				if len(ws.Changes()) == 0 {
					b.Fatal("no changes")
				}
				ws = NewWriteSet(base)
			}
			tx := ws.Checkpoint()
			for range 4 {
				if _, _, err := ws.Get(keys[n%len(keys)]); err != nil {
					b.Fatal(err)
				}
				if err := ws.Set(keys[(n+1)%len(keys)], value); err != nil {
					b.Fatal(err)
				}
				n += 2
			}
			call := ws.Checkpoint()
			for range 2 {
				if err := ws.Set(keys[n%len(keys)], value); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if i%2 == 0 {
				ws.RevertTo(call)
			} else {
				ws.Commit(call)
			}
			ws.Commit(tx)
		}
	})
	b.Run("get-pending", func(b *testing.B) {
		b.ReportAllocs()
		ws := NewWriteSet(base)
		for _, k := range keys[:4096] {
			_ = ws.Set(k, value)
		}
		for i := 0; b.Loop(); i++ {
			if _, _, err := ws.Get(keys[i%4096]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set-overwrite", func(b *testing.B) {
		b.ReportAllocs()
		ws := NewWriteSet(base)
		for _, k := range keys[:4096] {
			_ = ws.Set(k, value)
		}
		for i := 0; b.Loop(); i++ {
			if err := ws.Set(keys[i%4096], value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("iterate-100", func(b *testing.B) {
		b.ReportAllocs()
		ws := NewWriteSet(base)
		for _, k := range keys[:4096] {
			_ = ws.Set(k, value)
		}
		for b.Loop() {
			it, err := ws.Iterate([]byte("acct/001"), IterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for it.Next() {
			}
			_ = it.Close()
		}
	})
}
