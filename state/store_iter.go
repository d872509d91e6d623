package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Iterate walks the latest values of the keys starting with prefix: the
// Store as a WriteSet's Reader.
func (s *Store) Iterate(prefix []byte, opts IterOptions) (Iterator, error) {
	lower := append([]byte{prefixFlat}, prefix...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upperBound(lower)})
	if err != nil {
		return nil, fmt.Errorf("state: iterate %x: %w", prefix, corruption(err))
	}
	return &flatIter{it: it, opts: opts}, nil
}

// upperBound returns the smallest key greater than every key with prefix p
// (p starts with a prefix byte below 0xFF, so one always exists).
func upperBound(p []byte) []byte {
	b := append([]byte(nil), p...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

type flatIter struct {
	it      *pebble.Iterator
	opts    IterOptions
	started bool
}

func (f *flatIter) Next() bool {
	var ok bool
	switch {
	case !f.started && f.opts.Reverse:
		ok = f.it.Last()
	case !f.started:
		ok = f.it.First()
	case f.opts.Reverse:
		ok = f.it.Prev()
	default:
		ok = f.it.Next()
	}
	f.started = true
	return ok
}

func (f *flatIter) Key() []byte { return f.it.Key()[1:] }

func (f *flatIter) Value() []byte {
	if f.opts.KeysOnly {
		return nil
	}
	return f.it.Value()
}

func (f *flatIter) Err() error   { return corruption(f.it.Error()) }
func (f *flatIter) Close() error { return f.it.Close() }

var _ Reader = (*Store)(nil)
