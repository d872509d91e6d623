package main

import (
	"github.com/plinthchain/plinth/contracts/sdk"
)

// Config is the rulebook; only a passed proposal changes it (a dispatched
// call of update_config, which only the contract itself may make).
type Config struct {
	// Shares, if set, is an ownership contract: votes weigh the voter's
	// shares at the proposal's snapshot height. Otherwise each member
	// has one vote.
	Shares *sdk.Address `json:"shares"`
	// VotingPeriod, Timelock and ExecutionWindow are block-time lengths in
	// ms: voting runs for VotingPeriod from the proposal; a passed
	// proposal may be executed from Timelock after voting ends until
	// ExecutionWindow after that, then it expires.
	VotingPeriod    uint64 `json:"voting_period"`
	Timelock        uint64 `json:"timelock"`
	ExecutionWindow uint64 `json:"execution_window"`
	// Quorum: the share of all weight that must vote; Threshold: the share
	// of yes among yes, no and veto to pass; Veto: the share of veto among
	// all votes that rejects and forfeits the deposit. In basis points
	// (1/10,000).
	Quorum    uint32 `json:"quorum"`
	Threshold uint32 `json:"threshold"`
	Veto      uint32 `json:"veto"`
	// Deposit must accompany a proposal (native tokens).
	Deposit sdk.Amount `json:"deposit"`
}

// Option is a vote.
type Option string

const (
	Yes     Option = "yes"
	No      Option = "no"
	Abstain Option = "abstain"
	Veto    Option = "veto"
)

// Status is where a proposal stands.
type Status string

const (
	Voting   Status = "voting"   // votes are open
	Passed   Status = "passed"   // finalized: may be executed in its window
	Rejected Status = "rejected" // finalized: not enough yes (deposit refunded)
	Vetoed   Status = "vetoed"   // finalized: vetoed (deposit forfeited)
	NoQuorum Status = "no_quorum"
	Executed Status = "executed"
	Expired  Status = "expired" // passed, not executed in its window
	Canceled Status = "canceled"
)

// Tally is the weight behind each option.
type Tally struct {
	Yes     sdk.Amount `json:"yes"`
	No      sdk.Amount `json:"no"`
	Abstain sdk.Amount `json:"abstain"`
	Veto    sdk.Amount `json:"veto"`
}

// Proposal is a set of actions the community votes on.
type Proposal struct {
	ID          uint64      `json:"id"`
	Proposer    sdk.Address `json:"proposer"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Actions     []Action    `json:"actions"`
	Deposit     sdk.Amount  `json:"deposit"`
	// Snapshot is the height whose shares weigh the votes: the block
	// before the proposal's, so shares bought in the proposal's own block
	// cannot vote.
	Snapshot uint64 `json:"snapshot"`
	// TotalWeight is all the weight that could vote (supply or members at
	// the snapshot), for the quorum.
	TotalWeight sdk.Amount `json:"total_weight"`
	VotingEnd   uint64     `json:"voting_end"`
	Tally       Tally      `json:"tally"`
	Status      Status     `json:"status"`
}

var (
	config    = sdk.NewItem[Config]("config")
	nextID    = sdk.NewItem[uint64]("next_id")
	proposals = sdk.NewMap[uint64, Proposal]("proposals")
	// votes: proposal id (8 bytes) ‖ voter → the vote.
	votes   = sdk.NewMap[string, Ballot]("votes")
	members = sdk.NewMap[sdk.Address, Member]("members")
	count   = sdk.NewItem[uint64]("member_count")
)

// Ballot is a recorded vote.
type Ballot struct {
	Option Option     `json:"option"`
	Weight sdk.Amount `json:"weight"`
}

// Member is a member of a one-member-one-vote community, since Height.
type Member struct {
	Since uint64 `json:"since"`
}

func voteKey(id uint64, voter sdk.Address) string {
	var b [8]byte
	for i := range 8 {
		b[i] = byte(id >> (56 - 8*i))
	}
	return string(b[:]) + string(voter[:])
}
