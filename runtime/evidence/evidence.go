// Package evidence is the proof that a validator equivocated — two
// signed votes of one key for different values at the same height, round
// and type — as blocks carry it and the network gossips it. It needs no
// state to check: the signatures are over the votes' sign bytes
// (privval.VoteSignBytes), which name no validator index, so the proof
// stands on its own whatever validator set was in force when it was
// made. What committing it does (removing the validator from the set) is
// the runtime's (docs/consensus.md, "Evidence").
package evidence

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/canon"
)

// MaxBytes bounds an encoded piece of evidence: a key, two values and two
// signatures come to about 250 bytes.
const MaxBytes = 512

// ErrEvidence is the refusal of evidence that does not prove an
// equivocation.
var ErrEvidence = errors.New("evidence: invalid")

// Evidence is a key's two signed votes for different values at one
// height, round and type. The two are in canonical order (ValueA sorts
// before ValueB; an empty value, a vote for nil, first), so one
// equivocation has one encoding and one hash.
type Evidence struct {
	_         struct{} `cbor:",toarray"`
	PublicKey []byte   // the offender's ed25519 key
	Type      uint8    // tendermint.Prevote or Precommit
	Height    uint64
	Round     int64
	ValueA    []byte // empty: nil
	SigA      []byte
	ValueB    []byte
	SigB      []byte
}

// Vote types, as consensus/tendermint numbers them.
const (
	Prevote   = 1
	Precommit = 2
)

// Vote is a signed vote: Value is the 32-byte block hash, or empty for
// nil.
type Vote struct {
	Type      uint8
	Height    uint64
	Round     int64
	Value     []byte
	Signature []byte
}

func (v Vote) String() string {
	return fmt.Sprintf("%s h=%d r=%d v=%x", typeName(v.Type), v.Height, v.Round, v.Value)
}

func typeName(t uint8) string {
	switch t {
	case Prevote:
		return "prevote"
	case Precommit:
		return "precommit"
	}
	return fmt.Sprintf("type %d", t)
}

// voteTag is the domain tag of a vote's sign bytes.
const voteTag = "plinth/vote\x00"

// VoteSignBytes is what a vote's signature covers: the digest of the
// tag and the canonical CBOR of [chain_id, type, height, round, value]
// (value empty for nil). The validator is the key that signs.
func VoteSignBytes(chainID string, typ uint8, height uint64, round int64, value []byte) ([]byte, error) {
	if value == nil {
		value = []byte{}
	}
	b, err := canon.Marshal([]any{chainID, uint64(typ), height, round, value})
	if err != nil {
		return nil, err
	}
	h := canon.TaggedHash(voteTag, b)
	return h[:], nil
}

// VerifyVote checks a vote's signature by pub.
func VerifyVote(chainID string, pub ed25519.PublicKey, v Vote) error {
	msg, err := VoteSignBytes(chainID, v.Type, v.Height, v.Round, v.Value)
	if err != nil {
		return err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, v.Signature) {
		return fmt.Errorf("the signature of %s does not verify", v)
	}
	return nil
}

// New makes the evidence of two conflicting votes signed by pub.
func New(pub ed25519.PublicKey, a, b Vote) (*Evidence, error) {
	if a.Height != b.Height || a.Round != b.Round || a.Type != b.Type {
		return nil, fmt.Errorf("%w: votes %s and %s are not of one step", ErrEvidence, a, b)
	}
	va, vb := valueOf(a.Value), valueOf(b.Value)
	if bytes.Compare(va, vb) > 0 {
		va, vb, a, b = vb, va, b, a
	}
	return &Evidence{PublicKey: bytes.Clone(pub), Type: a.Type, Height: a.Height, Round: a.Round,
		ValueA: va, SigA: bytes.Clone(a.Signature), ValueB: vb, SigB: bytes.Clone(b.Signature)}, nil
}

func valueOf(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return bytes.Clone(v)
}

// Encode is the canonical encoding a block and the evidence topic carry.
func (e *Evidence) Encode() ([]byte, error) { return canon.Marshal(e) }

// Hash identifies the evidence.
func (e *Evidence) Hash() [32]byte {
	b, _ := canon.Marshal(e)
	return canon.TaggedHash("plinth/evidence\x00", b)
}

// Decode reads evidence strictly and checks its shape (Verify checks the
// signatures).
func Decode(raw []byte) (*Evidence, error) {
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrEvidence, len(raw), MaxBytes)
	}
	var e Evidence
	if err := canon.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvidence, err)
	}
	if err := e.checkShape(); err != nil {
		return nil, err
	}
	return &e, nil
}

func (e *Evidence) checkShape() error {
	switch {
	case len(e.PublicKey) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: key of %d bytes", ErrEvidence, len(e.PublicKey))
	case e.Type != Prevote && e.Type != Precommit:
		return fmt.Errorf("%w: vote type %d", ErrEvidence, e.Type)
	case e.Round < 0 || e.Round > 1<<31-1:
		return fmt.Errorf("%w: round %d", ErrEvidence, e.Round)
	case !validValue(e.ValueA) || !validValue(e.ValueB):
		return fmt.Errorf("%w: a value is neither empty nor 32 bytes", ErrEvidence)
	case bytes.Compare(e.ValueA, e.ValueB) >= 0:
		// Equal values are no equivocation; the reverse order is another
		// encoding of the same evidence.
		return fmt.Errorf("%w: values not different and in order", ErrEvidence)
	}
	return nil
}

func validValue(v []byte) bool { return len(v) == 0 || len(v) == 32 }

// Verify checks that the evidence proves an equivocation on chainID:
// its shape, and both signatures by its key.
func (e *Evidence) Verify(chainID string) error {
	if err := e.checkShape(); err != nil {
		return err
	}
	pub := ed25519.PublicKey(e.PublicKey)
	if err := VerifyVote(chainID, pub, Vote{Type: e.Type, Height: e.Height, Round: e.Round, Value: e.ValueA, Signature: e.SigA}); err != nil {
		return fmt.Errorf("%w: first vote: %w", ErrEvidence, err)
	}
	if err := VerifyVote(chainID, pub, Vote{Type: e.Type, Height: e.Height, Round: e.Round, Value: e.ValueB, Signature: e.SigB}); err != nil {
		return fmt.Errorf("%w: second vote: %w", ErrEvidence, err)
	}
	return nil
}

func (e *Evidence) String() string {
	return fmt.Sprintf("equivocation of %x: %s h=%d r=%d", e.PublicKey[:4], typeName(e.Type), e.Height, e.Round)
}

// SignVote signs v with a bare key, past the double-signing guard of
// privval: what an equivocating validator does. Tests, simulations and
// the conformance vectors use it to make evidence; a node never does.
func SignVote(key ed25519.PrivateKey, chainID string, v Vote) (Vote, error) {
	msg, err := VoteSignBytes(chainID, v.Type, v.Height, v.Round, v.Value)
	if err != nil {
		return Vote{}, err
	}
	v.Signature = ed25519.Sign(key, msg)
	return v, nil
}
