package privval

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime/canon"
)

// FileSigner signs with an ed25519 key and keeps the last-signed record
// in a file it replaces atomically (write, sync, rename, sync the
// directory) before any signature is returned.
type FileSigner struct {
	key   ed25519.PrivateKey
	state string
	last  LastSigned
}

// Open loads the signer's state from statePath (none yet: a validator
// that has signed nothing). A state file that does not decode is an
// error, never a fresh start: starting from nothing could sign again
// what was signed before.
func Open(key ed25519.PrivateKey, statePath string) (*FileSigner, error) {
	s := &FileSigner{key: key, state: statePath}
	b, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("privval: %w", err)
	}
	if err := canon.Unmarshal(b, &s.last); err != nil {
		return nil, fmt.Errorf("privval: %s is damaged (%v): refusing to start without knowing what was signed", statePath, err)
	}
	return s, nil
}

// PublicKey is the validator's key.
func (s *FileSigner) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Last is the last-signed record.
func (s *FileSigner) Last() LastSigned { return s.last }

// SignVote signs v for chainID unless it would double-sign.
func (s *FileSigner) SignVote(chainID string, v tendermint.Vote) ([]byte, error) {
	msg, err := VoteSignBytes(chainID, v)
	if err != nil {
		return nil, err
	}
	return s.sign(v.Height, int64(v.Round), voteStep(v.Type), msg)
}

// SignProposal signs p for chainID unless it would double-sign.
func (s *FileSigner) SignProposal(chainID string, p tendermint.Proposal) ([]byte, error) {
	msg, err := ProposalSignBytes(chainID, p)
	if err != nil {
		return nil, err
	}
	return s.sign(p.Height, int64(p.Round), StepProposal, msg)
}

func (s *FileSigner) sign(h uint64, r int64, step Step, msg []byte) ([]byte, error) {
	again, err := s.last.check(h, r, step, msg)
	if err != nil || again != nil {
		return again, err
	}
	sig := ed25519.Sign(s.key, msg)
	next := LastSigned{Height: h, Round: r, Step: step, SignBytes: msg, Signature: sig}
	if err := s.persist(next); err != nil {
		return nil, err // not signed, as far as anyone can know
	}
	s.last = next
	return sig, nil
}

func (s *FileSigner) persist(l LastSigned) error {
	b, err := canon.Marshal(l)
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.state)
	tmp, err := os.CreateTemp(dir, ".last-signed-*")
	if err != nil {
		return fmt.Errorf("privval: save: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a rename, there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("privval: save: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("privval: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("privval: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.state); err != nil {
		return fmt.Errorf("privval: save: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("privval: save: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("privval: save: %w", err)
	}
	return nil
}

// keyFile is a validator key file, {"type": "ed25519", "seed": hex}: the
// node key of a node home (node/home) is one.
type keyFile struct {
	Type string `json:"type"`
	Seed string `json:"seed"`
}

// LoadKey reads a validator key file, refusing one that others can read:
// whoever holds the key signs as the validator.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("privval: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("privval: %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("privval: %w", err)
	}
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("privval: %s: %w", path, err)
	}
	if f.Type != "ed25519" {
		return nil, fmt.Errorf("privval: %s: key type %q, want ed25519", path, f.Type)
	}
	seed, err := hex.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("privval: %s: the seed is not %d bytes of hex", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
