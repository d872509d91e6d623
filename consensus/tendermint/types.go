// Package tendermint is the Tendermint consensus algorithm (Buchman,
// Kwon, Milosevic, "The latest gossip on BFT consensus", 2018,
// Algorithm 1) with weighted validators, as a pure state machine: the
// Driver takes the paper's events — proposals, votes, timeouts, a value
// to propose — and returns effects — broadcast this proposal or vote,
// schedule this timeout, decide this value, here is evidence — that the
// node performs (docs/consensus.md). It does no I/O, reads no clock and
// draws no randomness, so a write-ahead log of its inputs replays to the
// same effects, and tests can drive it step by step.
//
// Signatures are checked before inputs reach the driver, and the value
// (a block) is validated by the node: a Proposal input says whether its
// value is valid.
package tendermint

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
)

// Round numbers start at 0; NilRound (-1) is "no round", as the paper's −1.
type Round int32

// NilRound is the paper's −1: no locked or valid round, no POL round.
const NilRound Round = -1

// ValueID names a proposed value (a block hash). The zero ValueID is not
// a value: votes for nil carry none.
type ValueID [32]byte

func (v ValueID) String() string { return hex.EncodeToString(v[:4]) }

// Step is where a round stands.
type Step uint8

const (
	StepUnstarted Step = iota
	StepPropose
	StepPrevote
	StepPrecommit
	StepCommit // decided: the height is over
)

func (s Step) String() string {
	return [...]string{"unstarted", "propose", "prevote", "precommit", "commit"}[s]
}

// VoteType is prevote or precommit.
type VoteType uint8

const (
	Prevote VoteType = iota + 1
	Precommit
)

func (t VoteType) String() string {
	if t == Prevote {
		return "prevote"
	}
	return "precommit"
}

// Vote is a validator's vote; Value nil is a vote for nil.
type Vote struct {
	Type      VoteType
	Height    uint64
	Round     Round
	Value     *ValueID
	Validator int // index in the validator set
}

func (v Vote) String() string {
	val := "nil"
	if v.Value != nil {
		val = v.Value.String()
	}
	return fmt.Sprintf("%s h=%d r=%d v=%s from=%d", v.Type, v.Height, v.Round, val, v.Validator)
}

// Proposal is a proposer's value for a round; POLRound is the round of
// the polka that makes it valid to re-propose (NilRound for a new value).
type Proposal struct {
	Height   uint64
	Round    Round
	Value    ValueID
	POLRound Round
	Proposer int
}

// Validator is a member of the set: an identity the node knows it by and
// its voting power.
type Validator struct {
	Name  string
	Power uint64
}

// ValidatorSet is the validators of a height, in a fixed order (the
// index is how votes name their validator).
type ValidatorSet struct {
	vals  []Validator
	total uint64
}

// ErrValidators reports an unusable validator set.
var ErrValidators = errors.New("tendermint: invalid validator set")

// NewValidatorSet checks vals (at least one, every power positive, the
// total below 2^62 so that 3 × total cannot overflow) and keeps their
// order.
func NewValidatorSet(vals []Validator) (*ValidatorSet, error) {
	if len(vals) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrValidators)
	}
	var total uint64
	for i, v := range vals {
		if v.Power == 0 {
			return nil, fmt.Errorf("%w: validator %d has no power", ErrValidators, i)
		}
		total += v.Power
		if total >= 1<<62 {
			return nil, fmt.Errorf("%w: total power too large", ErrValidators)
		}
	}
	return &ValidatorSet{vals: append([]Validator(nil), vals...), total: total}, nil
}

// Len is the number of validators.
func (s *ValidatorSet) Len() int { return len(s.vals) }

// Power is validator i's power.
func (s *ValidatorSet) Power(i int) uint64 { return s.vals[i].Power }

// Total is the set's total power.
func (s *ValidatorSet) Total() uint64 { return s.total }

// Quorum reports whether w is more than two thirds of the total: the
// paper's 2f+1.
func (s *ValidatorSet) Quorum(w uint64) bool { return 3*w > 2*s.total }

// OneThird reports whether w is more than a third: the paper's f+1, so
// at least one honest validator is among them.
func (s *ValidatorSet) OneThird(w uint64) bool { return 3*w > s.total }

// Proposer is the proposer of round r at height h: the validator whose
// share of the cumulative power holds (h + r) mod total. Over any run of
// `total` consecutive rounds each validator proposes as often as its
// power says; the choice is a pure function of (h, r) and the set, so
// every node agrees on it.
func (s *ValidatorSet) Proposer(h uint64, r Round) int {
	pos := (h + uint64(r)) % s.total
	idx := make([]int, len(s.vals))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.vals[idx[a]].Name < s.vals[idx[b]].Name })
	for _, i := range idx {
		if pos < s.vals[i].Power {
			return i
		}
		pos -= s.vals[i].Power
	}
	return idx[len(idx)-1] // unreachable: pos < total
}
