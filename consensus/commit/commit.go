// Package commit is a block's proof of decision: the precommits of
// validators holding more than two thirds of the power, with their
// signatures. Each block carries its parent's commit (the header's
// last_commit_hash names it), so a node that did not watch the chain —
// one syncing, a light client — can check every block it is handed
// against the validator set in force.
package commit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"
)

// Signature is one validator's precommit signature.
type Signature struct {
	_         struct{} `cbor:",toarray"`
	Validator uint64   // index in the validator set, ascending in a commit
	Signature []byte
}

// Commit is the decision of the block BlockHash at Height in Round.
type Commit struct {
	_          struct{} `cbor:",toarray"`
	Height     uint64
	Round      int64
	BlockHash  []byte
	Signatures []Signature
}

// ErrCommit is the refusal of a commit that does not prove its block.
var ErrCommit = errors.New("commit: invalid")

// Encode is the commit's canonical encoding (what a block carries).
func (c *Commit) Encode() ([]byte, error) { return canon.Marshal(c) }

// Decode reads a canonical encoding strictly.
func Decode(b []byte) (*Commit, error) {
	var c Commit
	if err := canon.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCommit, err)
	}
	return &c, nil
}

// Verify checks that c decides blockHash at height for chainID: every
// signature is a valid precommit by its validator (indices ascending, no
// repeats), and the signers hold more than two thirds of the power. A
// commit with any bad signature is refused whole: a node does not keep
// or pass on what it cannot check.
func Verify(chainID string, c *Commit, vals []runtime.Validator, height uint64, blockHash [32]byte) error {
	if c.Height != height {
		return fmt.Errorf("%w: for height %d, want %d", ErrCommit, c.Height, height)
	}
	if !bytes.Equal(c.BlockHash, blockHash[:]) {
		return fmt.Errorf("%w: for block %x, want %x", ErrCommit, c.BlockHash, blockHash[:8])
	}
	if c.Round < 0 || c.Round > 1<<31-1 {
		return fmt.Errorf("%w: round %d", ErrCommit, c.Round)
	}
	var total, signed uint64
	for _, v := range vals {
		total += v.Power
	}
	vote := tendermint.Vote{Type: tendermint.Precommit, Height: height, Round: tendermint.Round(c.Round), Value: (*tendermint.ValueID)(&blockHash)}
	next := uint64(0)
	for _, s := range c.Signatures {
		if s.Validator < next || s.Validator >= uint64(len(vals)) {
			return fmt.Errorf("%w: validator %d out of order or out of the set of %d", ErrCommit, s.Validator, len(vals))
		}
		next = s.Validator + 1
		v := vals[s.Validator]
		if err := privval.VerifyVote(chainID, vote, ed25519.PublicKey(v.PublicKey), s.Signature); err != nil {
			return fmt.Errorf("%w: validator %d (%s): %w", ErrCommit, s.Validator, v.Name, err)
		}
		signed += v.Power
	}
	if 3*signed <= 2*total {
		return fmt.Errorf("%w: signers hold %d of %d power, not more than two thirds", ErrCommit, signed, total)
	}
	return nil
}
