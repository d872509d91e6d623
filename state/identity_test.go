package state

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func openGenesis(dir string, genesis [32]byte) (*Store, error) {
	return Open(dir, Options{ChainID: "test-chain", Genesis: genesis, CheckInvariants: true})
}

func wantGenesis(t *testing.T, s *Store, want [32]byte) {
	t.Helper()
	g, ok := s.Genesis()
	if g != want || ok != (want != [32]byte{}) {
		t.Fatalf("Genesis() = %x %v, want %x", g[:4], ok, want[:4])
	}
}

// TestSetGenesis: a store learns its genesis after it was created; the
// hash is recorded once, survives a reopen, and is checked by every open
// that names one.
func TestSetGenesis(t *testing.T) {
	g1, g2 := sha256.Sum256([]byte("genesis 1")), sha256.Sum256([]byte("genesis 2"))
	dir := t.TempDir()
	s := openTest(t, dir)
	wantGenesis(t, s, [32]byte{})
	if _, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGenesis([32]byte{}); err == nil {
		t.Fatal("the zero hash was recorded as the genesis")
	}
	must(t, s.SetGenesis(g1))
	wantGenesis(t, s, g1)
	must(t, s.SetGenesis(g1)) // the same again is fine
	if err := s.SetGenesis(g2); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("SetGenesis of another hash: %v, want ErrGenesisMismatch", err)
	}
	wantGenesis(t, s, g1)
	must(t, s.Close())

	s = openTest(t, dir) // no genesis given: the recorded one stands
	wantGenesis(t, s, g1)
	if err := s.SetGenesis(g2); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("SetGenesis of another hash after a reopen: %v, want ErrGenesisMismatch", err)
	}
	must(t, s.Close())
	s, err := openGenesis(dir, g1)
	if err != nil {
		t.Fatalf("open with the recorded genesis: %v", err)
	}
	wantGenesis(t, s, g1)
	must(t, s.Close())
	_, err = openGenesis(dir, g2)
	if !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("open with another genesis: %v, want ErrGenesisMismatch", err)
	}
	for _, h := range [][32]byte{g1, g2} {
		if !strings.Contains(err.Error(), fmt.Sprintf("%x", h[:8])) {
			t.Fatalf("%q does not name %x", err, h[:8])
		}
	}
	s = openTest(t, dir)
	defer s.Close()
	wantGenesis(t, s, g1)
	if s.Height() != 1 {
		t.Fatalf("height %d after the refused open, want 1", s.Height())
	}
}

// TestOpenRecordsGenesis: Options.Genesis is recorded by the open that
// first gives it, whether it creates the store or finds one with none
// recorded, and then holds as if set by SetGenesis.
func TestOpenRecordsGenesis(t *testing.T) {
	g1, g2 := sha256.Sum256([]byte("genesis 1")), sha256.Sum256([]byte("genesis 2"))
	t.Run("new store", func(t *testing.T) {
		dir := t.TempDir()
		s, err := openGenesis(dir, g1)
		if err != nil {
			t.Fatal(err)
		}
		wantGenesis(t, s, g1)
		if err := s.SetGenesis(g2); !errors.Is(err, ErrGenesisMismatch) {
			t.Fatalf("SetGenesis of another hash: %v, want ErrGenesisMismatch", err)
		}
		must(t, s.Close())
		s = openTest(t, dir)
		wantGenesis(t, s, g1)
		must(t, s.Close())
		if _, err := openGenesis(dir, g2); !errors.Is(err, ErrGenesisMismatch) {
			t.Fatalf("open with another genesis: %v, want ErrGenesisMismatch", err)
		}
	})
	t.Run("existing store", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir)
		if _, err := s.Commit(1, []Change{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
			t.Fatal(err)
		}
		must(t, s.Close())
		s, err := openGenesis(dir, g2)
		if err != nil {
			t.Fatalf("open an existing store with a first genesis: %v", err)
		}
		wantGenesis(t, s, g2)
		must(t, s.Close())
		s = openTest(t, dir)
		defer s.Close()
		wantGenesis(t, s, g2)
		if s.Height() != 1 {
			t.Fatalf("height %d, want 1", s.Height())
		}
	})
}

// TestGenesisRecordCorrupt: a genesis record that is not a hash stops the
// open rather than being read as "not yet known".
func TestGenesisRecordCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	must(t, s.db.Set(metaGenesis, []byte{1, 2, 3}, nil))
	must(t, s.Close())
	if _, err := Open(dir, Options{ChainID: "test-chain"}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a 3-byte genesis record: %v, want ErrCorrupt", err)
	}
}
