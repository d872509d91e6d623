package main

import (
	"github.com/plinthchain/plinth/contracts/sdk"
)

// receiveShares accepts shares sent to the treasury (ownership's send):
// the community may hold shares of its own assets.
func receiveShares(ctx *sdk.Context, m struct {
	Sender sdk.Address `json:"sender"`
	Amount sdk.Amount  `json:"amount"`
}) (sdk.None, error) {
	ctx.Emit("receive_shares", sdk.Attr("from", m.Sender.String()), sdk.Attr("amount", m.Amount.String()), sdk.Attr("shares", ctx.Caller().String()))
	return sdk.None{}, nil
}

// ConfigResponse is the rules and the treasury.
type ConfigResponse struct {
	Config
	Treasury sdk.Amount `json:"treasury"`
	Members  uint64     `json:"members"`
}

func queryConfig(ctx *sdk.Context, _ sdk.None) (ConfigResponse, error) {
	return ConfigResponse{Config: config.Get(ctx), Treasury: ctx.Balance(ctx.Self()), Members: count.Get(ctx)}, nil
}

// ProposalResponse is a proposal with its status as of now: a passed
// proposal whose window has closed reads as expired, one whose voting
// has ended but is not finalized as what finalize would make it.
type ProposalResponse struct {
	Proposal
	// Outcome is what the votes decide if voting ended now.
	Outcome Status `json:"outcome"`
}

func present(ctx *sdk.Context, cfg *Config, p Proposal) ProposalResponse {
	now := ctx.Block().Time
	if p.Status == Passed && now >= p.VotingEnd+cfg.Timelock+cfg.ExecutionWindow {
		p.Status = Expired
	}
	return ProposalResponse{Proposal: p, Outcome: outcome(cfg, &p)}
}

func queryProposal(ctx *sdk.Context, m IDMsg) (ProposalResponse, error) {
	p, err := load(ctx, m.ID)
	if err != nil {
		return ProposalResponse{}, err
	}
	cfg := config.Get(ctx)
	return present(ctx, &cfg, p), nil
}

// PageMsg pages through proposals, newest first unless Oldest.
type PageMsg struct {
	After  *uint64 `json:"after"`
	Limit  int     `json:"limit"`
	Oldest bool    `json:"oldest"`
}

const maxPage = 50

func queryProposals(ctx *sdk.Context, m PageMsg) ([]ProposalResponse, error) {
	limit := m.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	cfg := config.Get(ctx)
	out := []ProposalResponse{}
	for _, p := range proposals.Scan(ctx, sdk.Scan[uint64]{After: m.After, Reverse: !m.Oldest}) {
		out = append(out, present(ctx, &cfg, p))
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// VoteOfMsg asks for one voter's ballot.
type VoteOfMsg struct {
	ID    uint64      `json:"id"`
	Voter sdk.Address `json:"voter"`
}

func queryVote(ctx *sdk.Context, m VoteOfMsg) (*Ballot, error) {
	b, ok := votes.Load(ctx, voteKey(m.ID, m.Voter))
	if !ok {
		return nil, nil
	}
	return &b, nil
}

// MembersMsg pages through members in address order.
type MembersMsg struct {
	After *sdk.Address `json:"after"`
	Limit int          `json:"limit"`
}

// MemberEntry is a member and the height it joined.
type MemberEntry struct {
	Address sdk.Address `json:"address"`
	Since   uint64      `json:"since"`
}

func queryMembers(ctx *sdk.Context, m MembersMsg) ([]MemberEntry, error) {
	limit := m.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	out := []MemberEntry{}
	for a, mem := range members.Scan(ctx, sdk.Scan[sdk.Address]{After: m.After}) {
		out = append(out, MemberEntry{Address: a, Since: mem.Since})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
