package tendermint

import "fmt"

// Effect is something the node must do for the driver. Each kind says
// what the node resumes the driver with, if anything.
type Effect interface{ String() string }

// BroadcastProposal: sign and send the proposal (the driver has recorded
// it as its own already).
type BroadcastProposal struct{ Proposal Proposal }

// BroadcastVote: sign and send the vote (already counted). The node must
// write it to its WAL and last-signed record before it leaves.
type BroadcastVote struct{ Vote Vote }

// ScheduleTimeout: call Timeout(Step, Round) after Duration ms, unless the
// height is over by then.
type ScheduleTimeout struct {
	Step     Step
	Round    Round
	Duration uint64 // ms
}

// NeedValue: this node proposes in Round; resume with ProposeValue once
// it has a value (a block) to propose.
type NeedValue struct {
	Height uint64
	Round  Round
}

// Decide: Value is decided at Height (in Round): commit the block with
// Commit, the precommits that decided it (the next block carries them,
// so anyone can check the decision), then Start the next height.
type Decide struct {
	Height uint64
	Round  Round
	Value  ValueID
	Commit []Vote
}

// Equivocation: evidence to gossip and include in a block.
type Equivocation struct{ Evidence Evidence }

func (e BroadcastProposal) String() string {
	p := e.Proposal
	return fmt.Sprintf("broadcast proposal h=%d r=%d v=%s pol=%d", p.Height, p.Round, p.Value, p.POLRound)
}
func (e BroadcastVote) String() string { return "broadcast " + e.Vote.String() }
func (e ScheduleTimeout) String() string {
	return fmt.Sprintf("schedule timeout %s r=%d after %dms", e.Step, e.Round, e.Duration)
}
func (e NeedValue) String() string { return fmt.Sprintf("need value h=%d r=%d", e.Height, e.Round) }
func (e Decide) String() string {
	return fmt.Sprintf("decide h=%d r=%d v=%s", e.Height, e.Round, e.Value)
}
func (e Equivocation) String() string { return e.Evidence.String() }

// Params are the timeouts (ms): a step's timeout in round r is Base +
// Delta × r, so rounds slow down until the network keeps up. They are
// chain parameters: every validator must wait alike for rounds to align.
type Params struct {
	ProposeBase, ProposeDelta     uint64
	PrevoteBase, PrevoteDelta     uint64
	PrecommitBase, PrecommitDelta uint64
}

// DefaultParams are CometBFT's defaults.
func DefaultParams() Params {
	return Params{ProposeBase: 3000, ProposeDelta: 500, PrevoteBase: 1000, PrevoteDelta: 500, PrecommitBase: 1000, PrecommitDelta: 500}
}

func (p Params) timeout(s Step, r Round) uint64 {
	switch s {
	case StepPropose:
		return p.ProposeBase + p.ProposeDelta*uint64(r)
	case StepPrevote:
		return p.PrevoteBase + p.PrevoteDelta*uint64(r)
	default:
		return p.PrecommitBase + p.PrecommitDelta*uint64(r)
	}
}
