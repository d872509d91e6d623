package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// Damaged databases: each test commits some heights, closes the store,
// damages what is on disk the way a failing disk or a stray write would,
// and checks the store refuses to run on it, with ErrCorrupt, rather than
// serving wrong state or panicking. (A format record from a newer build,
// ErrNewerFormat, is TestStoreIdentity's.)

// commitRandomChain commits heights 1..n to a new store in dir, each with
// per new keys holding 1 KiB random values (incompressible, so values
// fill most of the sstables), flushes the memtable to sstables if asked,
// closes the store and returns every key's value.
func commitRandomChain(t *testing.T, dir string, n, per int, flush bool) map[string][]byte {
	t.Helper()
	s := openTest(t, dir)
	rng := rand.New(rand.NewPCG(7, 8))
	values := map[string][]byte{}
	for h := 1; h <= n; h++ {
		var cs []Change
		for i := 0; i < per; i++ {
			v := make([]byte, 1024)
			for j := range v {
				v[j] = byte(rng.Uint32())
			}
			k := fmt.Sprintf("key-%03d-%03d", h, i)
			cs = append(cs, Change{Key: []byte(k), Value: v})
			values[k] = v
		}
		if _, err := s.Commit(uint64(h), cs); err != nil {
			t.Fatal(err)
		}
	}
	if flush {
		must(t, s.db.Flush())
	}
	must(t, s.Close())
	return values
}

// TestTruncatedManifest: with its MANIFEST (the list of Pebble's files)
// cut in half, the store does not open, and says why.
func TestTruncatedManifest(t *testing.T) {
	dir := t.TempDir()
	commitRandomChain(t, dir, 5, 10, false)
	ms, err := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if err != nil || len(ms) != 1 {
		t.Fatalf("manifests %v, %v; want one", ms, err)
	}
	fi, err := os.Stat(ms[0])
	must(t, err)
	must(t, os.Truncate(ms[0], fi.Size()/2))
	s, err := Open(dir, Options{ChainID: "test-chain"})
	if err == nil {
		s.Close()
		t.Fatal("opened a store whose MANIFEST is cut in half")
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "MANIFEST") {
		t.Fatalf("open with a truncated MANIFEST: %v; want ErrCorrupt naming the MANIFEST", err)
	}
}

// TestCorruptTable: bytes overwritten in the middle of the largest
// sstable are found by Pebble's block checksums, at Open or at the first
// read of the damaged block, and reported as ErrCorrupt (with Pebble's
// error, naming the file, still in the chain). Every read that succeeds
// returns the value that was committed.
func TestCorruptTable(t *testing.T) {
	dir := t.TempDir()
	values := commitRandomChain(t, dir, 20, 50, true)
	ssts, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	must(t, err)
	big, size := "", int64(0)
	for _, p := range ssts {
		fi, err := os.Stat(p)
		must(t, err)
		if fi.Size() > size {
			big, size = p, fi.Size()
		}
	}
	if size < 1<<20 {
		t.Fatalf("largest sstable %q is %d bytes; the test means to damage a data block in the middle of a large one", big, size)
	}
	f, err := os.OpenFile(big, os.O_RDWR, 0)
	must(t, err)
	junk := make([]byte, 64)
	_, err = f.ReadAt(junk, size/2)
	must(t, err)
	for i := range junk {
		junk[i] ^= 0xFF
	}
	_, err = f.WriteAt(junk, size/2)
	must(t, err)
	must(t, f.Close())

	var errs []error
	check := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	s, err := Open(dir, Options{ChainID: "test-chain"})
	check("open", err)
	if err == nil {
		defer s.Close()
		for k, want := range values {
			v, ok, err := s.Get([]byte(k))
			check("get "+k, err)
			if err == nil && (!ok || !bytes.Equal(v, want)) {
				t.Fatalf("Get(%s) served a wrong value (present %v)", k, ok)
			}
			v, ok, err = s.GetAt([]byte(k), 20)
			check("get at 20 "+k, err)
			if err == nil && (!ok || !bytes.Equal(v, want)) {
				t.Fatalf("GetAt(%s, 20) served a wrong value (present %v)", k, ok)
			}
			v, p, err := s.Prove([]byte(k), 20)
			check("prove "+k, err)
			if err == nil && VerifyProof(s.RootHash(), []byte(k), v, p) != nil {
				t.Fatalf("Prove(%s, 20) gave a proof that does not verify", k)
			}
		}
		it, err := s.Iterate(nil, IterOptions{})
		check("iterate", err)
		if err == nil {
			for it.Next() {
				if !bytes.Equal(it.Value(), values[string(it.Key())]) {
					t.Fatalf("Iterate served a wrong value of %s", it.Key())
				}
			}
			check("iterate", it.Err())
			_ = it.Close()
		}
	}
	if len(errs) == 0 {
		t.Fatal("no read found the damaged sstable")
	}
	for _, err := range errs {
		if !errors.Is(err, ErrCorrupt) || !pebble.IsCorruptionError(err) || !strings.Contains(err.Error(), filepath.Base(big)[:6]) {
			t.Fatalf("%v; want ErrCorrupt wrapping Pebble's corruption error naming %s", err, filepath.Base(big))
		}
	}
	t.Logf("%d reads failed, first: %v", len(errs), errs[0])
}

// TestLatestWithoutRoot: a latest-height record that points at a height
// with no root (past the last commit, or whose root is gone), or a pruned
// height above the latest, is damage: Open reports ErrCorrupt, rather than
// starting from a height it cannot read.
func TestLatestWithoutRoot(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(s *Store) error
	}{
		{"latest past the last commit", func(s *Store) error {
			return s.db.Set(metaLatest, binary.BigEndian.AppendUint64(nil, 99), nil)
		}},
		{"root of the latest height deleted", func(s *Store) error {
			return s.db.Delete(rootKey(5), nil)
		}},
		{"pruned above the latest", func(s *Store) error {
			return s.db.Set(metaPruned, binary.BigEndian.AppendUint64(nil, 6), nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			commitRandomChain(t, dir, 5, 3, false)
			s := openTest(t, dir)
			must(t, c.damage(s))
			must(t, s.Close())
			s, err := Open(dir, Options{ChainID: "test-chain"})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v, want ErrCorrupt", err)
			}
		})
	}
}
