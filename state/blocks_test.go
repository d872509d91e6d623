package state

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// testBlock makes block h of a test chain with n transactions. The hashes
// are SHA-256 of made-up contents, so distinct heights and indexes never
// collide; tag varies them for tests that need a second block at a height.
func testBlock(h uint64, n int, tag string) *Block {
	blk := &Block{
		Hash: sha256.Sum256(fmt.Appendf(nil, "block %d %s", h, tag)),
		Data: fmt.Appendf(nil, "header %d %s|", h, tag),
	}
	for i := 0; i < n; i++ {
		tx := fmt.Appendf(nil, "tx %d.%d %s", h, i, tag)
		blk.Data = append(blk.Data, tx...)
		blk.TxHashes = append(blk.TxHashes, sha256.Sum256(tx))
		blk.Receipts = append(blk.Receipts, fmt.Appendf(nil, "receipt of %s", tx))
	}
	return blk
}

func sameBlock(t *testing.T, got, want *Block) {
	t.Helper()
	if !bytes.Equal(got.Commit, want.Commit) {
		t.Fatalf("block %x: commit %q, want %q", want.Hash[:4], got.Commit, want.Commit)
	}
	if got.Hash != want.Hash || !bytes.Equal(got.Data, want.Data) || len(got.TxHashes) != len(want.TxHashes) || len(got.Receipts) != len(want.Receipts) {
		t.Fatalf("block %x (%d bytes, %d txs, %d receipts), want %x (%d bytes, %d txs)",
			got.Hash[:4], len(got.Data), len(got.TxHashes), len(got.Receipts), want.Hash[:4], len(want.Data), len(want.TxHashes))
	}
	for i := range want.TxHashes {
		if got.TxHashes[i] != want.TxHashes[i] || !bytes.Equal(got.Receipts[i], want.Receipts[i]) {
			t.Fatalf("block %x tx %d: %x %q, want %x %q", want.Hash[:4], i, got.TxHashes[i][:4], got.Receipts[i], want.TxHashes[i][:4], want.Receipts[i])
		}
	}
}

// TestBlockStore commits blocks with their state, one height without a
// block, and reads every block back by height, by hash and by each
// transaction's hash, before and after a reopen and a prune.
func TestBlockStore(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	blocks := map[uint64]*Block{}
	for h := uint64(1); h <= 6; h++ {
		cs := []Change{{Key: fmt.Appendf(nil, "k%d", h), Value: []byte("v")}}
		if h == 3 {
			// Blocks are optional: Commit stores the state alone.
			if _, err := s.Commit(h, cs); err != nil {
				t.Fatal(err)
			}
			continue
		}
		blocks[h] = testBlock(h, int(h%4)*3, "") // 3, 6, -, 0, 3, 6 transactions
		if h%2 == 0 {
			// A BFT chain's blocks are stored with the commit that decided them.
			blocks[h].Commit = fmt.Appendf(nil, "commit of %d", h)
		}
		if _, err := s.CommitBlock(h, cs, blocks[h]); err != nil {
			t.Fatalf("commit block %d: %v", h, err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for h, want := range blocks {
			got, err := s.BlockAt(h)
			if err != nil {
				t.Fatalf("BlockAt(%d): %v", h, err)
			}
			sameBlock(t, got, want)
			gh, got, err := s.BlockByHash(want.Hash)
			if err != nil || gh != h {
				t.Fatalf("BlockByHash(block %d) = height %d, %v", h, gh, err)
			}
			sameBlock(t, got, want)
			for i, th := range want.TxHashes {
				loc, r, err := s.Tx(th)
				if err != nil || loc != (TxLocation{Height: h, Index: uint32(i)}) || !bytes.Equal(r, want.Receipts[i]) {
					t.Fatalf("Tx(%d.%d) = %+v %q %v", h, i, loc, r, err)
				}
			}
		}
		for _, h := range []uint64{0, 3, 7, 1 << 40} {
			if _, err := s.BlockAt(h); !errors.Is(err, ErrNotFound) {
				t.Fatalf("BlockAt(%d): %v, want ErrNotFound", h, err)
			}
		}
		if _, _, err := s.BlockByHash(sha256.Sum256([]byte("no such block"))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("BlockByHash of an unknown hash: %v, want ErrNotFound", err)
		}
		if _, _, err := s.Tx(sha256.Sum256([]byte("no such tx"))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Tx of an unknown hash: %v, want ErrNotFound", err)
		}
	}
	check(s)
	must(t, s.Close())
	s = openTest(t, dir)
	defer s.Close()
	check(s)
	// Pruning state history leaves every block, receipt and index entry.
	must(t, s.Prune(5))
	if _, _, err := s.GetAt([]byte("k1"), 1); !errors.Is(err, ErrNotRetained) {
		t.Fatalf("state of height 1 after pruning to 5: %v", err)
	}
	check(s)
}

// TestCommitBlockWriteFailure: a block and the state of its height are one
// batch, so a failing disk leaves both or neither. The WAL starts failing
// after `allowed` more writes: with none, the commit fails and reopening
// finds neither the block nor the height; with some, Pebble may get part
// of the batch out before failing (the block's data spans several WAL
// blocks), and whatever reopening finds, it never finds one without the
// other — as it would if the block were written in a batch of its own.
func TestCommitBlockWriteFailure(t *testing.T) {
	for allowed := int64(0); allowed <= 6; allowed++ {
		t.Run(fmt.Sprint("allowed=", allowed), func(t *testing.T) {
			dir := t.TempDir()
			var left atomic.Int64
			failing := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
				if op.Kind == errorfs.OpFileWrite && strings.HasSuffix(op.Path, ".log") && left.Add(-1) < 0 {
					return errorfs.ErrInjected
				}
				return nil
			})}
			s, err := Open(dir, Options{ChainID: "test-chain", FS: errorfs.Wrap(vfs.Default, failing)})
			if err != nil {
				t.Fatal(err)
			}
			for h := uint64(1); h <= 5; h++ {
				if _, err := s.CommitBlock(h, []Change{{Key: []byte("height"), Value: fmt.Append(nil, h)}}, testBlock(h, 2, "")); err != nil {
					t.Fatal(err)
				}
			}
			root5 := s.RootHash()
			blk := testBlock(6, 20, "")
			blk.Data = append(blk.Data, bytes.Repeat([]byte{0xAB}, 100<<10)...)
			left.Store(allowed)
			failing.On()
			_, err = s.CommitBlock(6, []Change{{Key: []byte("height"), Value: []byte("6")}}, blk)
			if allowed == 0 && !errors.Is(err, ErrFailed) {
				t.Fatalf("commit on a failing disk: %v, want ErrFailed", err)
			}
			t.Logf("commit with %d WAL writes allowed: %v", allowed, err)
			failing.Off()
			func() {
				defer func() { _ = recover() }() // Pebble is wedged after a WAL failure
				_ = s.Close()
			}()

			s = openTest(t, dir)
			defer s.Close()
			_, blockErr := s.BlockAt(6)
			_, _, txErr := s.Tx(blk.TxHashes[19])
			v, _, getErr := s.Get([]byte("height"))
			must(t, getErr)
			switch {
			case s.Height() == 5:
				if s.RootHash() != root5 || string(v) != "5" {
					t.Fatalf("at height 5 with root %x and height=%q, want %x and 5", s.RootHash(), v, root5)
				}
				if !errors.Is(blockErr, ErrNotFound) || !errors.Is(txErr, ErrNotFound) {
					t.Fatalf("height 5, but block 6 reads %v and its tx %v: the block outlived its failed commit", blockErr, txErr)
				}
			case s.Height() == 6 && allowed > 0:
				if string(v) != "6" || blockErr != nil || txErr != nil {
					t.Fatalf("height 6 with height=%q, but block 6 reads %v and its tx %v", v, blockErr, txErr)
				}
			default:
				t.Fatalf("reopened at height %d", s.Height())
			}
			if _, err := s.BlockAt(5); err != nil {
				t.Fatalf("block 5 after the failure: %v", err)
			}
		})
	}
}

// TestCommitBlockRefusesDuplicateTx: a transaction hash already indexed,
// or twice in one block, fails the commit; the store stays at the previous
// height with the first location still indexed, and a good block commits
// afterwards.
func TestCommitBlockRefusesDuplicateTx(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	first := testBlock(1, 3, "")
	root, err := s.CommitBlock(1, []Change{{Key: []byte("a"), Value: []byte("1")}}, first)
	if err != nil {
		t.Fatal(err)
	}
	replayed := testBlock(2, 3, "replay")
	replayed.TxHashes[1] = first.TxHashes[2]
	twice := testBlock(2, 3, "twice")
	twice.TxHashes[2] = twice.TxHashes[0]
	for _, c := range []struct {
		name string
		blk  *Block
		dup  [32]byte
	}{{"replayed", replayed, first.TxHashes[2]}, {"twice", twice, twice.TxHashes[0]}} {
		name, blk := c.name, c.blk
		_, err := s.CommitBlock(2, []Change{{Key: []byte("b"), Value: []byte("2")}}, blk)
		if !errors.Is(err, ErrDuplicateTx) || !strings.Contains(err.Error(), fmt.Sprintf("%x", c.dup)) {
			t.Fatalf("%s: %v, want ErrDuplicateTx naming %x", name, err, c.dup)
		}
		if s.Height() != 1 || s.RootHash() != root {
			t.Fatalf("%s: a refused block moved the store to height %d", name, s.Height())
		}
		if _, ok, _ := s.Get([]byte("b")); ok {
			t.Fatalf("%s: a refused block's state was written", name)
		}
		if _, err := s.BlockAt(2); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: BlockAt(2) after refusal: %v", name, err)
		}
		if _, _, err := s.BlockByHash(blk.Hash); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: the refused block's hash is indexed: %v", name, err)
		}
		if _, _, err := s.Tx(blk.TxHashes[0]); name == "twice" && !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: the refused block's transaction is indexed: %v", name, err)
		}
	}
	if loc, _, err := s.Tx(first.TxHashes[2]); err != nil || loc != (TxLocation{Height: 1, Index: 2}) {
		t.Fatalf("the replayed transaction is at %+v (%v), want 1.2", loc, err)
	}
	// The same block hash at another height is refused as well.
	again := testBlock(2, 1, "")
	again.Hash = first.Hash
	if _, err := s.CommitBlock(2, nil, again); err == nil || s.Height() != 1 {
		t.Fatalf("a second block under hash %x committed (err %v)", first.Hash[:4], err)
	}
	if _, err := s.CommitBlock(2, []Change{{Key: []byte("b"), Value: []byte("2")}}, testBlock(2, 3, "")); err != nil {
		t.Fatalf("a good block after the refusals: %v", err)
	}
}

// TestCommitBlockRefusesMismatchedReceipts: one receipt per transaction,
// or the commit fails and changes nothing.
func TestCommitBlockRefusesMismatchedReceipts(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	root, err := s.CommitBlock(1, nil, testBlock(1, 1, ""))
	if err != nil {
		t.Fatal(err)
	}
	short := testBlock(2, 3, "")
	short.Receipts = short.Receipts[:2]
	long := testBlock(2, 0, "")
	long.Receipts = [][]byte{[]byte("a receipt of nothing")}
	for _, blk := range []*Block{short, long} {
		_, err := s.CommitBlock(2, []Change{{Key: []byte("b"), Value: []byte("2")}}, blk)
		if err == nil || !strings.Contains(err.Error(), "receipts") {
			t.Fatalf("%d tx hashes, %d receipts: %v", len(blk.TxHashes), len(blk.Receipts), err)
		}
		if s.Height() != 1 || s.RootHash() != root {
			t.Fatalf("a refused block moved the store to height %d", s.Height())
		}
		if _, err := s.BlockAt(2); !errors.Is(err, ErrNotFound) {
			t.Fatalf("BlockAt(2) after refusal: %v", err)
		}
	}
}
