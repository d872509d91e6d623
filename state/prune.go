package state

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

var metaPruned = []byte("mpruned")

// Prune makes oldest the oldest height whose state can still be read and
// proved: tree nodes and value versions that no height from oldest on uses,
// and the roots of earlier heights, are deleted in one synced batch (their space returns as
// Pebble compacts). Reads below oldest get ErrNotRetained.
//
// A node that became stale at height h is used only by heights below h, so
// the stale index up to oldest names exactly what can go; the same holds
// for a value version superseded at h, and for a deletion's tombstone
// written at h (the superseded index, written at commit: a key with no
// version at all reads as absent, which is what the tombstone said).
func (s *Store) Prune(oldest uint64) error {
	if oldest > s.height {
		return fmt.Errorf("state: prune to %d: above the latest height %d", oldest, s.height)
	}
	if oldest <= s.pruned {
		return nil
	}
	lower := []byte{prefixStale}
	upper := binary.BigEndian.AppendUint64([]byte{prefixStale}, oldest+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 17 {
			_ = it.Close()
			return fmt.Errorf("%w: stale index entry of %d bytes", ErrCorrupt, len(k))
		}
		// s ‖ stale height ‖ node height ‖ path  →  n ‖ node height ‖ path
		node := append([]byte{prefixNode}, k[9:]...)
		if err := b.Delete(node, nil); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	if err := b.DeleteRange(lower, upper, nil); err != nil {
		return err
	}
	// Versions superseded at or before oldest: no retained height reads them.
	xlower := []byte{prefixSuperseded}
	xupper := binary.BigEndian.AppendUint64([]byte{prefixSuperseded}, oldest+1)
	it, err = s.db.NewIter(&pebble.IterOptions{LowerBound: xlower, UpperBound: xupper})
	if err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	for it.First(); it.Valid(); it.Next() {
		// x ‖ height ‖ versioned key without its prefix  →  v ‖ ...
		if err := b.Delete(append([]byte{prefixVersioned}, it.Key()[9:]...), nil); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	if err := b.DeleteRange(xlower, xupper, nil); err != nil {
		return err
	}
	if err := b.DeleteRange(rootKey(0), rootKey(oldest), nil); err != nil {
		return err
	}
	if err := b.Set(metaPruned, binary.BigEndian.AppendUint64(nil, oldest), nil); err != nil {
		return err
	}
	if err := s.commitBatch(b); err != nil {
		return fmt.Errorf("state: prune to %d: %w", oldest, err)
	}
	s.pruned = oldest
	return nil
}

// OldestHeight returns the oldest height whose state can be read (1 when
// nothing was pruned).
func (s *Store) OldestHeight() uint64 { return max(s.pruned, 1) }
