// Package state holds Plinth's key-value state: how one block's writes are
// collected, committed to disk and proven.
//
// A block executes against a [WriteSet]: pending writes over the committed
// state, with nested checkpoints so that a failed transaction or sub-call
// rolls back alone. At the end of the block, [WriteSet.Changes] gives the
// writes in key order, and [Store.Commit] applies them in one synced Pebble
// batch: flat latest values, versioned values for historical reads, and the
// Merkle tree (internal/jmt) whose root is the state root and whose proofs
// [VerifyProof] checks. limits.go bounds what a key and a value may be.
//
// [Store.CommitBlock] stores the block of a height, opaque bytes with its
// transaction hashes and receipts, in the same batch as its state.
// docs/state.md describes the on-disk layout.
package state
