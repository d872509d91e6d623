package tendermint

import (
	"fmt"
	"slices"
)

// MaxFutureRounds bounds how far ahead of its round a node keeps votes:
// a Byzantine validator could otherwise make it store votes for any
// number of rounds. Honest validators are never that far apart without
// f+1 of them having moved the others on (L55).
const MaxFutureRounds = 64

type proposal struct {
	p     Proposal
	valid bool
}

// Driver runs one height at a time of the algorithm for one node (a
// validator, or a follower with self −1). Every method is an input; it
// returns the effects, in order.
type Driver struct {
	params Params
	vals   *ValidatorSet
	self   int

	height      uint64
	round       Round
	step        Step
	lockedValue *ValueID
	lockedRound Round
	validValue  *ValueID
	validRound  Round
	decided     bool

	proposals map[Round]proposal
	keeper    *keeper
	// Rules the paper fires "for the first time" in a round.
	prevoteTimeout, precommitTimeout, polkaSeen map[Round]bool

	out []Effect
}

// NewDriver makes a driver for the validator at index self in vals (−1:
// not a validator).
func NewDriver(params Params, vals *ValidatorSet, self int) *Driver {
	return &Driver{params: params, vals: vals, self: self}
}

// Height, Round and Step say where the driver stands.
func (d *Driver) Height() uint64 { return d.height }
func (d *Driver) Round() Round   { return d.round }
func (d *Driver) Step() Step     { return d.step }

// Start begins height h with validator set vals (nil: keep the current
// one) at round 0 (the paper's "upon start" and the reset after a
// decision).
func (d *Driver) Start(h uint64, vals *ValidatorSet) []Effect {
	if vals != nil {
		d.vals = vals
	}
	d.height, d.lockedValue, d.lockedRound, d.validValue, d.validRound, d.decided = h, nil, NilRound, nil, NilRound, false
	d.proposals = map[Round]proposal{}
	d.keeper = newKeeper(d.vals, h)
	d.prevoteTimeout, d.precommitTimeout, d.polkaSeen = map[Round]bool{}, map[Round]bool{}, map[Round]bool{}
	d.startRound(0)
	return d.drain()
}

// ProposeValue resumes a NeedValue: v is this node's value for round r.
func (d *Driver) ProposeValue(r Round, v ValueID) []Effect {
	if r == d.round && d.step == StepPropose && d.isProposer(r) && !d.decided {
		if _, done := d.proposals[r]; !done {
			d.propose(Proposal{Height: d.height, Round: r, Value: v, POLRound: NilRound, Proposer: d.self})
		}
	}
	return d.drain()
}

// ReceiveProposal takes a proposal whose signature the node checked;
// valid is the node's verdict on its value (the paper's valid(v)).
// Proposals from anyone but the round's proposer, or a second one for a
// round, are ignored.
func (d *Driver) ReceiveProposal(p Proposal, valid bool) []Effect {
	if p.Height == d.height && p.Round >= 0 && p.Round <= d.round+MaxFutureRounds && p.Proposer == d.vals.Proposer(p.Height, p.Round) {
		if _, seen := d.proposals[p.Round]; !seen {
			d.proposals[p.Round] = proposal{p: p, valid: valid && p.POLRound < p.Round}
		}
	}
	return d.drain()
}

// ReceiveVote takes a vote whose signature the node checked. Votes for
// another height or too far ahead are ignored; a second, different vote
// of a validator for the same round and type becomes Equivocation.
func (d *Driver) ReceiveVote(v Vote) []Effect {
	if v.Height == d.height && v.Round <= d.round+MaxFutureRounds {
		ev, err := d.keeper.add(v)
		if err == nil && ev != nil {
			d.out = append(d.out, Equivocation{Evidence: *ev})
		}
	}
	return d.drain()
}

// ReceiveCommit decides the current height from a commit: the proposal
// and the precommits for its value in its round from validators with
// more than two thirds of the power — what a block carries for the
// previous one, and what block sync serves. Unlike votes gossiped one by
// one, a commit is checked as a whole, so a validator's conflicting
// vote seen earlier cannot hide it (its signatures are the node's to
// verify first). A commit that falls short, or mixes heights, rounds or
// values, is ignored.
func (d *Driver) ReceiveCommit(p Proposal, precommits []Vote) []Effect {
	if d.decided || p.Height != d.height {
		return d.drain()
	}
	seen := make([]bool, d.vals.Len())
	var power uint64
	for _, v := range precommits {
		if v.Type != Precommit || v.Height != p.Height || v.Round != p.Round || v.Value == nil || *v.Value != p.Value ||
			v.Validator < 0 || v.Validator >= d.vals.Len() || seen[v.Validator] {
			return d.drain()
		}
		seen[v.Validator] = true
		power += d.vals.Power(v.Validator)
	}
	if d.vals.Quorum(power) {
		d.decided, d.step = true, StepCommit
		d.out = append(d.out, Decide{Height: d.height, Round: p.Round, Value: p.Value, Commit: append([]Vote(nil), precommits...)})
	}
	return d.drain()
}

// Timeout fires a timeout the driver scheduled (L57, L61, L65).
func (d *Driver) Timeout(s Step, r Round) []Effect {
	if !d.decided && r == d.round {
		switch {
		case s == StepPropose && d.step == StepPropose: // L57
			d.vote(Prevote, nil)
			d.step = StepPrevote
		case s == StepPrevote && d.step == StepPrevote: // L61
			d.vote(Precommit, nil)
			d.step = StepPrecommit
		case s == StepPrecommit: // L65
			d.startRound(r + 1)
		}
	}
	return d.drain()
}

// drain applies every rule that holds, one at a time in a fixed order,
// until none does, and hands over the effects.
func (d *Driver) drain() []Effect {
	for !d.decided && d.rule() {
	}
	out := d.out
	d.out = nil
	return out
}

// rule applies the first rule of the paper that holds, in the order
// below (where the paper lets several fire, this order decides), and
// reports whether one did.
func (d *Driver) rule() bool {
	// L49: a proposal and 2f+1 precommits for its value, in any round.
	for _, r := range d.proposalRounds() {
		if pr := d.proposals[r]; pr.valid && d.keeper.quorumFor(r, Precommit, pr.p.Value) {
			d.decided, d.step = true, StepCommit
			d.out = append(d.out, Decide{Height: d.height, Round: r, Value: pr.p.Value, Commit: d.keeper.votesFor(r, Precommit, pr.p.Value)})
			return true
		}
	}
	// L55: f+1 of the power is in a higher round.
	if r, ok := d.keeper.skipTo(d.round); ok {
		d.startRound(r)
		return true
	}
	r := d.round
	pr, hasProposal := d.proposals[r]
	switch {
	case d.step == StepPropose && hasProposal && pr.p.POLRound == NilRound: // L22
		v := pr.p.Value
		if pr.valid && (d.lockedRound == NilRound || d.lockedIs(v)) {
			d.vote(Prevote, &v)
		} else {
			d.vote(Prevote, nil)
		}
		d.step = StepPrevote
		return true
	case d.step == StepPropose && hasProposal && pr.p.POLRound >= 0 && pr.p.POLRound < r &&
		d.keeper.quorumFor(pr.p.POLRound, Prevote, pr.p.Value): // L28
		v := pr.p.Value
		if pr.valid && (d.lockedRound <= pr.p.POLRound || d.lockedIs(v)) {
			d.vote(Prevote, &v)
		} else {
			d.vote(Prevote, nil)
		}
		d.step = StepPrevote
		return true
	case d.step == StepPrevote && !d.prevoteTimeout[r] && d.keeper.quorumAny(r, Prevote): // L34
		d.prevoteTimeout[r] = true
		d.out = append(d.out, ScheduleTimeout{Step: StepPrevote, Round: r, Duration: d.params.timeout(StepPrevote, r)})
		return true
	case d.step >= StepPrevote && !d.polkaSeen[r] && hasProposal && pr.valid && d.keeper.quorumFor(r, Prevote, pr.p.Value): // L36
		d.polkaSeen[r] = true
		v := pr.p.Value
		if d.step == StepPrevote {
			d.lockedValue, d.lockedRound = &v, r
			d.vote(Precommit, &v)
			d.step = StepPrecommit
		}
		d.validValue, d.validRound = &v, r
		return true
	case d.step == StepPrevote && d.keeper.quorumNil(r, Prevote): // L44
		d.vote(Precommit, nil)
		d.step = StepPrecommit
		return true
	case !d.precommitTimeout[r] && d.keeper.quorumAny(r, Precommit): // L47
		d.precommitTimeout[r] = true
		d.out = append(d.out, ScheduleTimeout{Step: StepPrecommit, Round: r, Duration: d.params.timeout(StepPrecommit, r)})
		return true
	}
	return false
}

func (d *Driver) proposalRounds() []Round {
	rs := make([]Round, 0, len(d.proposals))
	for r := range d.proposals {
		rs = append(rs, r)
	}
	slices.Sort(rs) // consensus code never depends on map order
	return rs
}

func (d *Driver) lockedIs(v ValueID) bool { return d.lockedValue != nil && *d.lockedValue == v }

func (d *Driver) isProposer(r Round) bool {
	return d.self >= 0 && d.vals.Proposer(d.height, r) == d.self
}

// startRound is the paper's StartRound (L11).
func (d *Driver) startRound(r Round) {
	d.round, d.step = r, StepPropose
	if d.isProposer(r) {
		if d.validValue != nil {
			d.propose(Proposal{Height: d.height, Round: r, Value: *d.validValue, POLRound: d.validRound, Proposer: d.self})
		} else {
			d.out = append(d.out, NeedValue{Height: d.height, Round: r})
		}
		return
	}
	d.out = append(d.out, ScheduleTimeout{Step: StepPropose, Round: r, Duration: d.params.timeout(StepPropose, r)})
}

func (d *Driver) propose(p Proposal) {
	d.proposals[p.Round] = proposal{p: p, valid: true}
	d.out = append(d.out, BroadcastProposal{Proposal: p})
}

// vote casts this node's vote (a follower casts none) and counts it.
func (d *Driver) vote(t VoteType, v *ValueID) {
	if d.self < 0 {
		return
	}
	vote := Vote{Type: t, Height: d.height, Round: d.round, Value: v, Validator: d.self}
	if _, err := d.keeper.add(vote); err != nil {
		panic(fmt.Sprintf("tendermint: own vote refused: %v", err)) // a bug: the driver made it
	}
	d.out = append(d.out, BroadcastVote{Vote: vote})
}
