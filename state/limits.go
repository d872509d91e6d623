package state

import (
	"errors"
	"fmt"
)

// Size limits on what the write set accepts.
//
// They are the store's hard ceilings, not the numbers contracts are charged
// and checked against: those belong in versioned chain parameters (see
// docs/ARCHITECTURE.md, "Determinism rules"), which must stay at or below
// these so that a limit here never decides a transaction's outcome on its
// own. Keeping a ceiling in state/ means no caller, however buggy, can put
// a key Pebble and the tree were not sized for into a block.
const (
	// MaxKeyBytes bounds a key: 1 KiB. Keys are repeated in every flat and
	// versioned Pebble entry and in Pebble's index blocks, so long keys
	// cost on every read, not just once; 1 KiB still leaves room for an
	// account or contract prefix plus a composite contract key (Ethereum
	// makes do with 32 bytes).
	MaxKeyBytes = 1 << 10
	// MaxValueBytes bounds a value: 1 MiB. A value is written whole on
	// every change, to the flat table and again to the versioned one, and
	// is served whole with a proof, so a larger bound mostly multiplies
	// history. Code does not fit (vm's MaxCodeBytes is 4 MiB): it needs a
	// store of its own or chunking.
	MaxValueBytes = 1 << 20
)

// Errors returned by Set, Delete and Get for keys and values the write set
// refuses; the message adds the size and the limit.
var (
	// ErrEmptyKey: the key has no bytes. No legitimate key is empty (to
	// Iterate, the empty prefix means every key), so one is a caller's bug,
	// caught before it reaches the commit.
	ErrEmptyKey = errors.New("state: empty key")
	// ErrKeyTooLarge: the key is longer than MaxKeyBytes.
	ErrKeyTooLarge = errors.New("state: key too large")
	// ErrValueTooLarge: the value is longer than MaxValueBytes.
	ErrValueTooLarge = errors.New("state: value too large")
)

func checkKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes, over MaxKeyBytes (%d)", ErrKeyTooLarge, len(key), MaxKeyBytes)
	}
	return nil
}

func checkValue(value []byte) error {
	if len(value) > MaxValueBytes {
		return fmt.Errorf("%w: %d bytes, over MaxValueBytes (%d)", ErrValueTooLarge, len(value), MaxValueBytes)
	}
	return nil
}
