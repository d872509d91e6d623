package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// The block store: committed blocks, their receipts and the transaction
// index, kept beside the state and written in the same batch as it
// (CommitBlock), so a block is on disk exactly when the state after it is.
// The state package does not know the block format; a block is the bytes
// and hashes its caller gives.
//
//	b<height u64>                block hash ‖ transaction count u32 ‖ encoded block
//	h<block hash>                height u64
//	t<tx hash>                   height u64 ‖ index u32
//	c<height u64><index u32>     tx hash ‖ encoded receipt
//	q<height u64>                the commit that decided the block (when given)
//
// Prune never deletes these: it prunes state history only (docs/state.md).
const (
	prefixBlock     = 'b'
	prefixBlockHash = 'h'
	prefixTx        = 't'
	prefixReceipt   = 'c'
	prefixCommit    = 'q'
)

var (
	// ErrNotFound: the block or transaction asked for is not in the store.
	ErrNotFound = errors.New("state: not found")
	// ErrDuplicateTx: a block holds a transaction hash that is already
	// indexed, or holds it twice. The index keeps one location per hash,
	// so a replayed transaction would otherwise overwrite where the first
	// one was found.
	ErrDuplicateTx = errors.New("state: duplicate transaction")
)

// Block is what the store keeps of one committed block, beside its state.
type Block struct {
	Hash     [32]byte   // the block's hash (computed by the caller)
	Data     []byte     // the encoded block (header and transactions)
	TxHashes [][32]byte // hashes of its transactions, in order
	Receipts [][]byte   // encoded receipts, one per transaction (same length as TxHashes)
	// Commit is the proof that consensus decided the block (its
	// precommits, encoded by the caller); empty on a chain without one.
	// The next block carries it too, but until then this is the only copy
	// a node can serve to peers catching up.
	Commit []byte
}

// TxLocation is where a transaction was committed.
type TxLocation struct {
	Height uint64
	Index  uint32 // position in its block
}

// writeBlock adds blk's records, as the block of height, to b. It reads
// the indexes first and refuses a block whose hash or transaction hashes
// are already there, leaving b untouched; the caller discards b on error.
func (s *Store) writeBlock(b *pebble.Batch, height uint64, blk *Block) error {
	if len(blk.TxHashes) != len(blk.Receipts) {
		return fmt.Errorf("state: block %x at height %d: %d transaction hashes but %d receipts",
			blk.Hash[:8], height, len(blk.TxHashes), len(blk.Receipts))
	}
	at, ok, err := s.get(blockHashKey(blk.Hash))
	if err != nil {
		return fmt.Errorf("state: block %x at height %d: %w", blk.Hash[:8], height, err)
	}
	if ok {
		// Two heights under one hash would make BlockByHash answer for
		// only one of them.
		if len(at) != 8 {
			return fmt.Errorf("%w: block hash index of %x is %d bytes", ErrCorrupt, blk.Hash, len(at))
		}
		return fmt.Errorf("state: block %x at height %d: a block with that hash is already stored, at height %d",
			blk.Hash, height, binary.BigEndian.Uint64(at))
	}
	seen := make(map[[32]byte]int, len(blk.TxHashes))
	for i, h := range blk.TxHashes {
		if j, dup := seen[h]; dup {
			return fmt.Errorf("%w: %x is transactions %d and %d of block %d", ErrDuplicateTx, h, j, i, height)
		}
		seen[h] = i
		v, ok, err := s.get(txKey(h))
		if err != nil {
			return fmt.Errorf("state: block %d: look up transaction %x: %w", height, h, err)
		}
		if ok {
			loc, err := decodeTxLocation(h, v)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: %x (transaction %d of block %d) is already transaction %d of block %d",
				ErrDuplicateTx, h, i, height, loc.Index, loc.Height)
		}
	}

	rec := make([]byte, 0, 36+len(blk.Data))
	rec = append(rec, blk.Hash[:]...)
	rec = binary.BigEndian.AppendUint32(rec, uint32(len(blk.TxHashes)))
	rec = append(rec, blk.Data...)
	if err := errors.Join(
		b.Set(blockKey(height), rec, nil),
		b.Set(blockHashKey(blk.Hash), binary.BigEndian.AppendUint64(nil, height), nil),
	); err != nil {
		return err
	}
	if len(blk.Commit) > 0 {
		if err := b.Set(heightKey(prefixCommit, height), blk.Commit, nil); err != nil {
			return err
		}
	}
	// Receipts (keyed by index) and the transaction index (keyed by hash)
	// each go in as one ascending run, as the commit's other records do
	// (keyOrder says why).
	var receipt []byte
	for i, h := range blk.TxHashes {
		receipt = append(append(receipt[:0], h[:]...), blk.Receipts[i]...)
		// Batch.Set copies key and value, so the buffers can be reused.
		if err := b.Set(receiptKey(height, uint32(i)), receipt, nil); err != nil {
			return err
		}
	}
	order := make([]int, len(blk.TxHashes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return bytes.Compare(blk.TxHashes[i][:], blk.TxHashes[j][:]) })
	var loc []byte
	for _, i := range order {
		loc = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(loc[:0], height), uint32(i))
		if err := b.Set(txKey(blk.TxHashes[i]), loc, nil); err != nil {
			return err
		}
	}
	return nil
}

// BlockAt returns the block committed at height.
func (s *Store) BlockAt(height uint64) (*Block, error) {
	rec, ok, err := s.get(blockKey(height))
	if err != nil {
		return nil, fmt.Errorf("state: block at height %d: %w", height, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: block at height %d", ErrNotFound, height)
	}
	if len(rec) < 36 {
		return nil, fmt.Errorf("%w: block record at height %d is %d bytes", ErrCorrupt, height, len(rec))
	}
	blk := &Block{Data: rec[36:]}
	copy(blk.Hash[:], rec)
	if c, ok, err := s.get(heightKey(prefixCommit, height)); err != nil {
		return nil, fmt.Errorf("state: commit of block %d: %w", height, err)
	} else if ok {
		blk.Commit = c
	}
	n := binary.BigEndian.Uint32(rec[32:36])
	blk.TxHashes = make([][32]byte, 0, n)
	blk.Receipts = make([][]byte, 0, n)

	lower := binary.BigEndian.AppendUint64([]byte{prefixReceipt}, height)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upperBound(lower)})
	if err != nil {
		return nil, fmt.Errorf("state: receipts of block %d: %w", height, corruption(err))
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		// Receipts are keyed by index, so they come in order, one per
		// transaction from 0: a gap or a short value is damage.
		k, v := it.Key(), it.Value()
		i := len(blk.TxHashes)
		if len(k) != 13 || binary.BigEndian.Uint32(k[9:]) != uint32(i) || len(v) < 32 || i >= int(n) {
			return nil, fmt.Errorf("%w: receipt record %x (%d bytes) of block %d, expected transaction %d of %d",
				ErrCorrupt, k, len(v), height, i, n)
		}
		blk.TxHashes = append(blk.TxHashes, [32]byte(v[:32]))
		blk.Receipts = append(blk.Receipts, bytes.Clone(v[32:]))
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("state: receipts of block %d: %w", height, corruption(err))
	}
	if len(blk.TxHashes) != int(n) {
		return nil, fmt.Errorf("%w: block %d has %d transactions but %d receipts", ErrCorrupt, height, n, len(blk.TxHashes))
	}
	return blk, nil
}

// BlockByHash returns the block with hash, and its height.
func (s *Store) BlockByHash(hash [32]byte) (uint64, *Block, error) {
	v, ok, err := s.get(blockHashKey(hash))
	if err != nil {
		return 0, nil, fmt.Errorf("state: block %x: %w", hash, err)
	}
	if !ok {
		return 0, nil, fmt.Errorf("%w: block %x", ErrNotFound, hash)
	}
	if len(v) != 8 {
		return 0, nil, fmt.Errorf("%w: block hash index of %x is %d bytes", ErrCorrupt, hash, len(v))
	}
	height := binary.BigEndian.Uint64(v)
	blk, err := s.BlockAt(height)
	if errors.Is(err, ErrNotFound) {
		return 0, nil, fmt.Errorf("%w: block hash index names height %d, which has no block", ErrCorrupt, height)
	}
	if err != nil {
		return 0, nil, err
	}
	if blk.Hash != hash {
		return 0, nil, fmt.Errorf("%w: block hash index maps %x to height %d, whose block is %x", ErrCorrupt, hash, height, blk.Hash)
	}
	return height, blk, nil
}

// Tx returns where the transaction with hash was committed, and its
// receipt.
func (s *Store) Tx(hash [32]byte) (TxLocation, []byte, error) {
	v, ok, err := s.get(txKey(hash))
	if err != nil {
		return TxLocation{}, nil, fmt.Errorf("state: transaction %x: %w", hash, err)
	}
	if !ok {
		return TxLocation{}, nil, fmt.Errorf("%w: transaction %x", ErrNotFound, hash)
	}
	loc, err := decodeTxLocation(hash, v)
	if err != nil {
		return TxLocation{}, nil, err
	}
	r, ok, err := s.get(receiptKey(loc.Height, loc.Index))
	if err != nil {
		return TxLocation{}, nil, fmt.Errorf("state: receipt of transaction %x: %w", hash, err)
	}
	// The receipt record repeats the transaction's hash: an index entry
	// pointing at another transaction's receipt is caught, not served.
	if !ok || len(r) < 32 || [32]byte(r[:32]) != hash {
		return TxLocation{}, nil, fmt.Errorf("%w: transaction %x: no receipt of it at height %d index %d", ErrCorrupt, hash, loc.Height, loc.Index)
	}
	return loc, r[32:], nil
}

func decodeTxLocation(hash [32]byte, v []byte) (TxLocation, error) {
	if len(v) != 12 {
		return TxLocation{}, fmt.Errorf("%w: transaction index of %x is %d bytes", ErrCorrupt, hash, len(v))
	}
	return TxLocation{Height: binary.BigEndian.Uint64(v), Index: binary.BigEndian.Uint32(v[8:])}, nil
}

func blockKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixBlock}, height)
}

func blockHashKey(hash [32]byte) []byte { return append([]byte{prefixBlockHash}, hash[:]...) }

func txKey(hash [32]byte) []byte { return append([]byte{prefixTx}, hash[:]...) }

func receiptKey(height uint64, index uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte{prefixReceipt}, height), index)
}
