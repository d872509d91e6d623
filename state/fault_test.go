package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// TestCommitWriteFailure: when writes to the write-ahead log start failing
// (a full disk, a dying device), Commit returns ErrFailed instead of
// crashing, refuses later commits, and reopening on a healthy disk finds
// the store at a committed height with that height's root and values.
func TestCommitWriteFailure(t *testing.T) {
	dir := t.TempDir()
	failing := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".log") {
			return errorfs.ErrInjected
		}
		return nil
	})}
	s, err := Open(dir, Options{ChainID: "fault", FS: errorfs.Wrap(vfs.Default, failing)})
	if err != nil {
		t.Fatal(err)
	}
	block := func(h uint64) []Change {
		return []Change{{Key: []byte(fmt.Sprintf("k%d", h)), Value: []byte("v")}, {Key: []byte("counter"), Value: []byte(fmt.Sprint(h))}}
	}
	roots := map[uint64][32]byte{}
	for h := uint64(1); h <= 5; h++ {
		if roots[h], err = s.Commit(h, block(h)); err != nil {
			t.Fatal(err)
		}
	}
	failing.On()
	if _, err := s.Commit(6, block(6)); !errors.Is(err, ErrFailed) {
		t.Fatalf("commit on a failing disk: %v, want ErrFailed", err)
	}
	failing.Off()
	if _, err := s.Commit(6, block(6)); !errors.Is(err, ErrFailed) {
		t.Fatalf("commit after the failure: %v, want ErrFailed", err)
	}
	// Pebble is wedged after a WAL failure; its Close may fail too.
	func() {
		defer func() { _ = recover() }()
		_ = s.Close()
	}()

	s, err = Open(dir, Options{ChainID: "fault"})
	if err != nil {
		t.Fatalf("reopen on a healthy disk: %v", err)
	}
	defer s.Close()
	h := s.Height()
	if h != 5 {
		t.Fatalf("reopened at height %d, want 5 (the failed block never reached the disk)", h)
	}
	if s.RootHash() != roots[5] {
		t.Fatalf("root %x, want %x", s.RootHash(), roots[5])
	}
	if v, ok, err := s.Get([]byte("counter")); err != nil || !ok || string(v) != "5" {
		t.Fatalf("counter = %q %v %v", v, ok, err)
	}
	if _, err := s.Commit(6, block(6)); err != nil {
		t.Fatalf("commit after recovery: %v", err)
	}
}
