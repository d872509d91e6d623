package main

import (
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// ProposeMsg opens a proposal; the call must carry the deposit.
type ProposeMsg struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Actions     []Action `json:"actions"`
}

// ProposeResponse names the new proposal.
type ProposeResponse struct {
	ID uint64 `json:"id"`
}

func propose(ctx *sdk.Context, m ProposeMsg) (ProposeResponse, error) {
	cfg := config.Get(ctx)
	if m.Title == "" || len(m.Title) > 140 {
		return ProposeResponse{}, errors.New("title: 1 to 140 bytes")
	}
	if len(m.Description) > 4096 {
		return ProposeResponse{}, errors.New("description: at most 4096 bytes")
	}
	if err := checkActions(m.Actions); err != nil {
		return ProposeResponse{}, err
	}
	if ctx.Funds() != cfg.Deposit {
		return ProposeResponse{}, errors.New("send exactly the deposit, " + cfg.Deposit.String())
	}
	b := ctx.Block()
	if b.Height < 2 {
		return ProposeResponse{}, errors.New("no snapshot before the first block")
	}
	snapshot := b.Height - 1
	proposer := ctx.Caller()
	if weight(ctx, &cfg, proposer, snapshot).IsZero() {
		return ProposeResponse{}, errors.New("only a holder or member at the snapshot may propose")
	}
	total := totalWeight(ctx, &cfg, snapshot)
	id := nextID.Get(ctx) + 1
	nextID.Save(ctx, id)
	p := Proposal{ID: id, Proposer: proposer, Title: m.Title, Description: m.Description, Actions: m.Actions,
		Deposit: cfg.Deposit, Snapshot: snapshot, TotalWeight: total, VotingEnd: b.Time + cfg.VotingPeriod, Status: Voting}
	proposals.Save(ctx, id, p)
	ctx.Emit("propose", sdk.Attr("id", strconv.FormatUint(id, 10)), sdk.Attr("proposer", proposer.String()),
		sdk.Attr("title", m.Title))
	return ProposeResponse{ID: id}, nil
}

// weight is a's voting weight at the snapshot: its shares after that
// block, or 1 for a member who joined by then.
func weight(ctx *sdk.Context, cfg *Config, a sdk.Address, snapshot uint64) sdk.Amount {
	if cfg.Shares != nil {
		r, err := sdk.QueryJSON[amountResponse](ctx, *cfg.Shares, "balance_at", atMsg{Address: a, Height: snapshot})
		if err != nil {
			ctx.Abort("reading shares: " + err.Error())
		}
		return r.Amount
	}
	if m, ok := members.Load(ctx, a); ok && m.Since <= snapshot {
		return sdk.NewAmount(1)
	}
	return sdk.Amount{}
}

func totalWeight(ctx *sdk.Context, cfg *Config, snapshot uint64) sdk.Amount {
	if cfg.Shares != nil {
		r, err := sdk.QueryJSON[amountResponse](ctx, *cfg.Shares, "supply_at", heightMsg{Height: snapshot})
		if err != nil {
			ctx.Abort("reading the supply: " + err.Error())
		}
		return r.Amount
	}
	return sdk.NewAmount(count.Get(ctx))
}

// The ownership contract's messages this one sends (contracts/ownership).
type atMsg struct {
	Address sdk.Address `json:"address"`
	Height  uint64      `json:"height"`
}
type heightMsg struct {
	Height uint64 `json:"height"`
}
type amountResponse struct {
	Amount sdk.Amount `json:"amount"`
}

func load(ctx *sdk.Context, id uint64) (Proposal, error) {
	p, ok := proposals.Load(ctx, id)
	if !ok {
		return p, errors.New("no proposal " + strconv.FormatUint(id, 10))
	}
	return p, nil
}

// VoteMsg casts or changes the caller's vote.
type VoteMsg struct {
	ID     uint64 `json:"id"`
	Option Option `json:"option"`
}

func (t *Tally) of(o Option) *sdk.Amount {
	switch o {
	case Yes:
		return &t.Yes
	case No:
		return &t.No
	case Abstain:
		return &t.Abstain
	case Veto:
		return &t.Veto
	}
	return nil
}

func vote(ctx *sdk.Context, m VoteMsg) (sdk.None, error) {
	p, err := load(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	if p.Status != Voting || ctx.Block().Time >= p.VotingEnd {
		return sdk.None{}, errors.New("voting on proposal " + strconv.FormatUint(m.ID, 10) + " is closed")
	}
	if p.Tally.of(m.Option) == nil {
		return sdk.None{}, errors.New("option: yes, no, abstain or veto")
	}
	cfg := config.Get(ctx)
	voter := ctx.Caller()
	w := weight(ctx, &cfg, voter, p.Snapshot)
	if w.IsZero() {
		return sdk.None{}, errors.New("no voting weight at the snapshot (height " + strconv.FormatUint(p.Snapshot, 10) + ")")
	}
	key := voteKey(m.ID, voter)
	if old, ok := votes.Load(ctx, key); ok {
		t := p.Tally.of(old.Option)
		*t = t.Sub(old.Weight)
	}
	t := p.Tally.of(m.Option)
	*t = t.Add(w)
	votes.Save(ctx, key, Ballot{Option: m.Option, Weight: w})
	proposals.Save(ctx, m.ID, p)
	ctx.Emit("vote", sdk.Attr("id", strconv.FormatUint(m.ID, 10)), sdk.Attr("voter", voter.String()),
		sdk.Attr("option", string(m.Option)), sdk.Attr("weight", w.String()))
	return sdk.None{}, nil
}

// IDMsg names a proposal.
type IDMsg struct {
	ID uint64 `json:"id"`
}

var bps = sdk.NewAmount(10_000)

// cmpShare compares part/whole with share/10,000.
func cmpShare(part, whole sdk.Amount, share uint32) int {
	return part.Mul(bps).Cmp(whole.Mul(sdk.NewAmount(uint64(share))))
}

// outcome is the result of p's votes under cfg: no quorum unless the
// turnout reaches Quorum of all weight; vetoed if veto is more than Veto
// of the turnout (Veto 0: no veto); passed if yes is more than Threshold
// of yes, no and veto; else rejected.
func outcome(cfg *Config, p *Proposal) Status {
	t := p.Tally
	turnout := t.Yes.Add(t.No).Add(t.Abstain).Add(t.Veto)
	decisive := t.Yes.Add(t.No).Add(t.Veto)
	switch {
	case turnout.IsZero() || cmpShare(turnout, p.TotalWeight, cfg.Quorum) < 0:
		return NoQuorum
	case cfg.Veto > 0 && cmpShare(t.Veto, turnout, cfg.Veto) > 0:
		return Vetoed
	case !decisive.IsZero() && cmpShare(t.Yes, decisive, cfg.Threshold) > 0:
		return Passed
	}
	return Rejected
}

// finalize closes voting once it has ended: the outcome is recorded and
// the deposit refunded — unless the proposal was vetoed or missed the
// quorum, when it is forfeited to the treasury (spam costs the spammer).
func finalize(ctx *sdk.Context, m IDMsg) (sdk.None, error) {
	p, err := load(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	if p.Status != Voting {
		return sdk.None{}, errors.New("proposal " + strconv.FormatUint(m.ID, 10) + " is already " + string(p.Status))
	}
	if ctx.Block().Time < p.VotingEnd {
		return sdk.None{}, errors.New("voting has not ended")
	}
	cfg := config.Get(ctx)
	p.Status = outcome(&cfg, &p)
	proposals.Save(ctx, m.ID, p)
	if (p.Status == Passed || p.Status == Rejected) && !p.Deposit.IsZero() {
		ctx.Transfer(p.Proposer, p.Deposit)
	}
	ctx.Emit("finalize", sdk.Attr("id", strconv.FormatUint(m.ID, 10)), sdk.Attr("status", string(p.Status)))
	return sdk.None{}, nil
}

// execute runs a passed proposal's actions, once, by anyone, from the
// end of its timelock until its window closes.
func execute(ctx *sdk.Context, m IDMsg) (sdk.None, error) {
	p, err := load(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	if p.Status != Passed {
		return sdk.None{}, errors.New("proposal " + strconv.FormatUint(m.ID, 10) + " is " + string(p.Status) + ", not passed")
	}
	cfg := config.Get(ctx)
	now, opens := ctx.Block().Time, p.VotingEnd+cfg.Timelock
	if now < opens {
		return sdk.None{}, errors.New("the timelock ends at " + strconv.FormatUint(opens, 10))
	}
	if now >= opens+cfg.ExecutionWindow {
		p.Status = Expired
		proposals.Save(ctx, m.ID, p)
		ctx.Emit("expire", sdk.Attr("id", strconv.FormatUint(m.ID, 10)))
		return sdk.None{}, nil
	}
	p.Status = Executed
	proposals.Save(ctx, m.ID, p)
	for _, a := range p.Actions {
		dispatch(ctx, a)
	}
	ctx.Emit("execute", sdk.Attr("id", strconv.FormatUint(m.ID, 10)))
	return sdk.None{}, nil
}

// cancel withdraws a proposal while it is being voted on; only its
// proposer may, and the deposit is forfeited to the treasury.
func cancel(ctx *sdk.Context, m IDMsg) (sdk.None, error) {
	p, err := load(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	if p.Proposer != ctx.Caller() {
		return sdk.None{}, errors.New("only the proposer may cancel")
	}
	if p.Status != Voting || ctx.Block().Time >= p.VotingEnd {
		return sdk.None{}, errors.New("voting has closed")
	}
	p.Status = Canceled
	proposals.Save(ctx, m.ID, p)
	ctx.Emit("cancel", sdk.Attr("id", strconv.FormatUint(m.ID, 10)))
	return sdk.None{}, nil
}

// fund adds the funds sent to the treasury.
func fund(ctx *sdk.Context, _ sdk.None) (sdk.None, error) {
	if ctx.Funds().IsZero() {
		return sdk.None{}, errors.New("send funds with the call")
	}
	ctx.Emit("fund", sdk.Attr("from", ctx.Caller().String()), sdk.Attr("amount", ctx.Funds().String()))
	return sdk.None{}, nil
}
