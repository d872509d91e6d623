package privval

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/consensus/tendermint"
)

func value(b byte) *tendermint.ValueID {
	var v tendermint.ValueID
	v[0] = b
	return &v
}

func newSigner(t *testing.T, dir string) *FileSigner {
	t.Helper()
	s, err := Open(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)), filepath.Join(dir, "last_signed"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNoDoubleSign: a step is signed once; the same message again gets
// the same signature; a different message for it, or any earlier step,
// is refused — also by a signer reopened after a crash.
func TestNoDoubleSign(t *testing.T) {
	dir := t.TempDir()
	s := newSigner(t, dir)
	pv := tendermint.Vote{Type: tendermint.Prevote, Height: 5, Round: 1, Value: value('A')}
	sig, err := s.SignVote("c", pv)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyVote("c", pv, s.PublicKey(), sig); err != nil {
		t.Fatal(err)
	}
	if err := VerifyVote("other-chain", pv, s.PublicKey(), sig); err == nil {
		t.Fatal("a signature verified for another chain")
	}
	again, err := s.SignVote("c", pv)
	if err != nil || !bytes.Equal(again, sig) {
		t.Fatalf("the same vote again: %v", err)
	}
	conflicting := pv
	conflicting.Value = value('B')
	if _, err := s.SignVote("c", conflicting); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("a conflicting prevote: %v", err)
	}
	nilVote := pv
	nilVote.Value = nil
	if _, err := s.SignVote("c", nilVote); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("a nil prevote after a prevote for A: %v", err)
	}
	// Later steps sign; earlier ones never again.
	pc := pv
	pc.Type = tendermint.Precommit
	if _, err := s.SignVote("c", pc); err != nil {
		t.Fatal(err)
	}
	for _, earlier := range []tendermint.Vote{pv, {Type: tendermint.Precommit, Height: 5, Round: 0, Value: value('A')}, {Type: tendermint.Prevote, Height: 4, Round: 9}} {
		if _, err := s.SignVote("c", earlier); !errors.Is(err, ErrRegression) {
			t.Fatalf("%s after the precommit of h=5 r=1: %v", earlier, err)
		}
	}
	if _, err := s.SignProposal("c", tendermint.Proposal{Height: 5, Round: 1, Value: *value('A'), POLRound: -1}); !errors.Is(err, ErrRegression) {
		t.Fatalf("a proposal for a round already voted in: %v", err)
	}

	// After a crash, the reopened signer knows the last step.
	s2 := newSigner(t, dir)
	if last := s2.Last(); last.Height != 5 || last.Round != 1 || last.Step != StepPrecommit {
		t.Fatalf("reopened: %+v", last)
	}
	pc2 := pc
	pc2.Value = value('C')
	if _, err := s2.SignVote("c", pc2); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("a conflicting precommit after a restart: %v", err)
	}
	if got, err := s2.SignVote("c", pc); err != nil || len(got) != ed25519.SignatureSize {
		t.Fatalf("the same precommit after a restart: %v", err)
	}
	if _, err := s2.SignProposal("c", tendermint.Proposal{Height: 6, Round: 0, Value: *value('D'), POLRound: -1}); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedState: a last-signed file that does not decode stops the
// signer; it never starts as if it had signed nothing.
func TestDamagedState(t *testing.T) {
	dir := t.TempDir()
	s := newSigner(t, dir)
	if _, err := s.SignVote("c", tendermint.Vote{Type: tendermint.Prevote, Height: 1, Value: value('A')}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "last_signed")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ed25519.NewKeyFromSeed(make([]byte, 32)), path); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged state: %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key.json")
	if err := os.WriteFile(good, []byte(`{"type": "ed25519", "seed": "`+strings.Repeat("ab", 32)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(good); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(good); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable key: %v", err)
	}
	for name, body := range map[string]string{
		"type":  `{"type": "rsa", "seed": "` + strings.Repeat("ab", 32) + `"}`,
		"short": `{"type": "ed25519", "seed": "abcd"}`,
		"extra": `{"type": "ed25519", "seed": "` + strings.Repeat("ab", 32) + `", "x": 1}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKey(p); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
}
