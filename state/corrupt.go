package state

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// corruption adds ErrCorrupt to an error in which Pebble reports corrupt
// data (a checksum mismatch in an sstable, a malformed block), so callers
// test for one sentinel whether the store's own checks or Pebble's found
// the damage. Pebble's error stays in the chain, with its file and offset.
//
// Pebble marks corruption with cockroachdb/errors, which the standard
// errors.Is does not see through: pebble.IsCorruptionError does.
func corruption(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) || !pebble.IsCorruptionError(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}
