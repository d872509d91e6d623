// Package privval signs a validator's consensus messages and guarantees
// it never signs two different ones for the same step, even across a
// crash: before a signature leaves, the (height, round, step) it is for
// and the bytes it covers are on disk. A request for a step below the
// last signed one is refused; the same request again gets the same
// signature back (a restarted node replaying its WAL re-signs what it
// already sent); a different message for the last signed step is refused
// as the double-sign it would be.
//
// Signer is the interface a remote signer (an HSM, a signing service)
// could implement later; FileSigner keeps the key and the last-signed
// record in files readable only by their owner.
package privval

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/evidence"
)

// Step orders what a validator signs within a round.
type Step uint8

const (
	StepProposal  Step = 1
	StepPrevote   Step = 2
	StepPrecommit Step = 3
)

// Signer signs proposals and votes for one validator.
type Signer interface {
	PublicKey() ed25519.PublicKey
	SignProposal(chainID string, p tendermint.Proposal) ([]byte, error)
	SignVote(chainID string, v tendermint.Vote) ([]byte, error)
}

// ErrDoubleSign is the refusal of a message that conflicts with one
// already signed; ErrRegression of a step before the last signed.
var (
	ErrDoubleSign = errors.New("privval: refusing to sign a conflicting message for a step already signed")
	ErrRegression = errors.New("privval: refusing to sign for a step before the last signed")
)

// proposalTag is the domain tag of a proposal's sign bytes (a vote's is
// runtime/evidence's).
const proposalTag = "plinth/proposal\x00"

// VoteSignBytes is what a vote's signature covers
// (evidence.VoteSignBytes: the runtime checks the same bytes in evidence
// of equivocation).
func VoteSignBytes(chainID string, v tendermint.Vote) ([]byte, error) {
	var value []byte
	if v.Value != nil {
		value = v.Value[:]
	}
	return evidence.VoteSignBytes(chainID, uint8(v.Type), v.Height, int64(v.Round), value)
}

// ProposalSignBytes is what a proposal's signature covers: the digest of
// the tag and [chain_id, height, round, value, pol_round].
func ProposalSignBytes(chainID string, p tendermint.Proposal) ([]byte, error) {
	b, err := canon.Marshal([]any{chainID, p.Height, int64(p.Round), p.Value[:], int64(p.POLRound)})
	if err != nil {
		return nil, err
	}
	h := canon.TaggedHash(proposalTag, b)
	return h[:], nil
}

// VerifyVote checks a vote's signature by pub.
func VerifyVote(chainID string, v tendermint.Vote, pub ed25519.PublicKey, sig []byte) error {
	msg, err := VoteSignBytes(chainID, v)
	if err != nil {
		return err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("privval: the signature of %s does not verify", v)
	}
	return nil
}

// VerifyProposal checks a proposal's signature by pub.
func VerifyProposal(chainID string, p tendermint.Proposal, pub ed25519.PublicKey, sig []byte) error {
	msg, err := ProposalSignBytes(chainID, p)
	if err != nil {
		return err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("privval: the signature of the proposal h=%d r=%d does not verify", p.Height, p.Round)
	}
	return nil
}

// LastSigned is the record that guards against double signing.
type LastSigned struct {
	_         struct{} `cbor:",toarray"`
	Height    uint64
	Round     int64
	Step      Step
	SignBytes []byte
	Signature []byte
}

// check decides what to do with a request for (h, r, s) over msg: sign
// it (ok), return the stored signature (again), or refuse.
func (l *LastSigned) check(h uint64, r int64, s Step, msg []byte) (again []byte, err error) {
	switch cmp := compare(h, r, s, l.Height, l.Round, l.Step); {
	case l.Step == 0 || cmp > 0:
		return nil, nil
	case cmp < 0:
		return nil, fmt.Errorf("%w: asked h=%d r=%d step=%d, last h=%d r=%d step=%d", ErrRegression, h, r, s, l.Height, l.Round, l.Step)
	case string(msg) == string(l.SignBytes):
		return l.Signature, nil
	default:
		return nil, fmt.Errorf("%w: h=%d r=%d step=%d", ErrDoubleSign, h, r, s)
	}
}

func compare(h1 uint64, r1 int64, s1 Step, h2 uint64, r2 int64, s2 Step) int {
	switch {
	case h1 != h2:
		return cmp(h1 > h2)
	case r1 != r2:
		return cmp(r1 > r2)
	case s1 != s2:
		return cmp(s1 > s2)
	}
	return 0
}

func cmp(greater bool) int {
	if greater {
		return 1
	}
	return -1
}

func voteStep(t tendermint.VoteType) Step {
	if t == tendermint.Prevote {
		return StepPrevote
	}
	return StepPrecommit
}
