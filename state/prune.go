package state

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

var metaPruned = []byte("mpruned")

// Prune makes oldest the oldest height whose state can still be read and
// proved: tree nodes and value versions that no height from oldest on uses,
// and the roots of earlier heights, are deleted in one synced batch (their
// space returns as Pebble compacts). Reads below oldest get ErrNotRetained.
//
// A node that became stale at height h is used only by heights below h, so
// the stale lists of heights up to oldest name exactly what can go; the
// same holds for a value version superseded at h, and for a deletion's
// tombstone written at h (a key with no version at all reads as absent,
// which is what the tombstone said). Commit writes both lists.
func (s *Store) Prune(oldest uint64) error {
	if oldest > s.height {
		return fmt.Errorf("state: prune to %d: above the latest height %d", oldest, s.height)
	}
	if oldest <= s.pruned {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	err := s.eachListed(b, prefixStale, oldest, func(entry []byte) (int, error) {
		// version u64 ‖ path length u8 ‖ path  →  n ‖ version ‖ path
		if len(entry) < 9 || len(entry) < 9+int(entry[8]) {
			return 0, fmt.Errorf("%w: stale list entry truncated", ErrCorrupt)
		}
		n := 9 + int(entry[8])
		node := append([]byte{prefixNode}, entry[:8]...)
		return n, b.Delete(append(node, entry[9:n]...), nil)
	})
	if err == nil {
		err = s.eachListed(b, prefixSuperseded, oldest, func(entry []byte) (int, error) {
			// key length u16 ‖ key ‖ height u64  →  v ‖ key length ‖ key ‖ ^height
			if len(entry) < 2 || len(entry) < 2+int(binary.BigEndian.Uint16(entry))+8 {
				return 0, fmt.Errorf("%w: superseded list entry truncated", ErrCorrupt)
			}
			klen := int(binary.BigEndian.Uint16(entry))
			key := entry[2 : 2+klen]
			return 2 + klen + 8, b.Delete(versionedKey(key, binary.BigEndian.Uint64(entry[2+klen:])), nil)
		})
	}
	if err == nil {
		err = b.DeleteRange(rootKey(0), rootKey(oldest), nil)
	}
	if err == nil {
		err = b.Set(metaPruned, binary.BigEndian.AppendUint64(nil, oldest), nil)
	}
	if err == nil {
		err = s.syncBatch(b)
	}
	if err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	s.pruned = oldest
	return nil
}

// eachListed walks the per-height lists under prefix up to and including
// height oldest, hands each entry to del (which returns the entry's
// length) and deletes the lists themselves.
func (s *Store) eachListed(b *pebble.Batch, prefix byte, oldest uint64, del func(entry []byte) (int, error)) error {
	lower, upper := []byte{prefix}, heightKey(prefix, oldest+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return corruption(err)
	}
	for it.First(); it.Valid(); it.Next() {
		list := it.Value()
		for len(list) > 0 {
			n, err := del(list)
			if err != nil {
				_ = it.Close()
				return fmt.Errorf("list %c at %x: %w", prefix, it.Key()[1:], err)
			}
			list = list[n:]
		}
	}
	if err := it.Close(); err != nil {
		return corruption(err)
	}
	return b.DeleteRange(lower, upper, nil)
}

// OldestHeight returns the oldest height whose state can be read (1 when
// nothing was pruned).
func (s *Store) OldestHeight() uint64 { return max(s.pruned, 1) }
