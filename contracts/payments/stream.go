package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// StreamCreateMsg streams the funds sent with the call to Recipient.
type StreamCreateMsg struct {
	Recipient sdk.Address `json:"recipient"`
	// Rate is tokens per second of block time.
	Rate sdk.Amount `json:"rate"`
	// Start is a block time (ms), now or later; omitted: now.
	Start *uint64 `json:"start"`
	// Cliff is ms after Start before anything is withdrawable.
	Cliff uint64 `json:"cliff"`
}

var (
	thousand = sdk.NewAmount(1000)
	// maxDeposit keeps rate × elapsed ms below 2^256 for every elapsed
	// time before the end: rate ≤ deposit and elapsed < deposit×1000/rate
	// + 1 make it below deposit × 1001.
	maxDeposit = maxAmount.Div(sdk.NewAmount(1001))
)

// accrued is what the stream has earned its recipient by block time t
// (cancels aside):
//
//	0                              if t < start + cliff
//	deposit                        if t ≥ end
//	⌊rate × (t − start) / 1000⌋    otherwise (always below deposit)
func accrued(s *Stream, t uint64) sdk.Amount {
	switch {
	case t < s.Start+s.Cliff || t <= s.Start:
		return sdk.Amount{}
	case t >= s.End:
		return s.Deposit
	}
	return s.Rate.Mul(sdk.NewAmount(t - s.Start)).Div(thousand)
}

// withdrawable is what the recipient may withdraw at t: nothing once
// canceled (the cancel paid it).
func withdrawable(s *Stream, t uint64) sdk.Amount {
	if s.CanceledAt != 0 {
		return sdk.Amount{}
	}
	return accrued(s, t).Sub(s.Withdrawn)
}

// streamHeld is what the contract still holds for the stream.
func streamHeld(s *Stream) sdk.Amount { return s.Deposit.Sub(s.Withdrawn).Sub(s.Refunded) }

// streamDuration is ⌈deposit × 1000 / rate⌉ ms, if it fits in 64 bits.
func streamDuration(deposit, rate sdk.Amount) (uint64, bool) {
	scaled := deposit.Mul(thousand)
	d := scaled.Div(rate)
	if !scaled.Mod(rate).IsZero() {
		d = d.Add(sdk.NewAmount(1))
	}
	return d.Uint64()
}

func streamCreate(ctx *sdk.Context, m StreamCreateMsg) (IDResponse, error) {
	deposit, err := funds(ctx)
	if err != nil {
		return IDResponse{}, err
	}
	payer := ctx.Caller()
	now := ctx.Block().Time
	start := now
	if m.Start != nil {
		start = *m.Start
	}
	switch {
	case m.Recipient.IsZero():
		return IDResponse{}, errors.New("recipient is required")
	case m.Recipient == payer:
		return IDResponse{}, errors.New("the recipient cannot be the payer")
	case m.Rate.IsZero():
		return IDResponse{}, errors.New("rate must be positive")
	case m.Rate.Cmp(deposit) > 0:
		return IDResponse{}, errors.New("the deposit must cover at least one second at the rate")
	case deposit.Cmp(maxDeposit) > 0:
		return IDResponse{}, errors.New("the deposit is too large")
	case start < now:
		return IDResponse{}, errors.New("start is in the past")
	}
	duration, ok := streamDuration(deposit, m.Rate)
	if !ok || start+duration < start {
		return IDResponse{}, errors.New("the stream would end after the last block time")
	}
	if m.Cliff > duration {
		return IDResponse{}, errors.New("the cliff is after the stream's end (" + u64(duration) + " ms after start)")
	}
	s := Stream{Payer: payer, Recipient: m.Recipient, Rate: m.Rate, Deposit: deposit,
		Start: start, Cliff: m.Cliff, End: start + duration}
	id := newEntry(ctx, func(t *Totals) *uint64 { return &t.Streams }, streamPart, deposit)
	streams.Save(ctx, id, s)
	ctx.Emit("stream_create", sdk.Attr("id", u64(id)), sdk.Attr("payer", payer.String()),
		sdk.Attr("recipient", m.Recipient.String()), sdk.Attr("rate", m.Rate.String()),
		sdk.Attr("deposit", deposit.String()), sdk.Attr("start", u64(start)),
		sdk.Attr("cliff", u64(m.Cliff)), sdk.Attr("end", u64(s.End)))
	return IDResponse{ID: id}, nil
}

func loadStream(ctx *sdk.Context, id uint64) (Stream, error) {
	if err := takesNoFunds(ctx); err != nil {
		return Stream{}, err
	}
	s, ok := streams.Load(ctx, id)
	if !ok {
		return s, notFound("stream", id)
	}
	if s.CanceledAt != 0 {
		return s, errors.New("stream " + u64(id) + " is canceled")
	}
	return s, nil
}

// AmountResponse is what a message paid.
type AmountResponse struct {
	Amount sdk.Amount `json:"amount"`
}

// streamWithdraw pays the recipient what has accrued and not been
// withdrawn; the recipient only.
func streamWithdraw(ctx *sdk.Context, m IDMsg) (AmountResponse, error) {
	s, err := loadStream(ctx, m.ID)
	if err != nil {
		return AmountResponse{}, err
	}
	if ctx.Caller() != s.Recipient {
		return AmountResponse{}, errors.New("only the recipient may withdraw")
	}
	amount := withdrawable(&s, ctx.Block().Time)
	if amount.IsZero() {
		return AmountResponse{}, errors.New("nothing to withdraw yet")
	}
	s.Withdrawn = s.Withdrawn.Add(amount)
	streams.Save(ctx, m.ID, s)
	pay(ctx, streamPart, s.Recipient, amount)
	ctx.Emit("stream_withdraw", sdk.Attr("id", u64(m.ID)), sdk.Attr("to", s.Recipient.String()),
		sdk.Attr("amount", amount.String()))
	return AmountResponse{Amount: amount}, nil
}

// CancelResponse is how a cancel split the rest of the deposit.
type CancelResponse struct {
	Recipient sdk.Amount `json:"recipient"`
	Refund    sdk.Amount `json:"refund"`
}

// streamCancel ends the stream: the recipient gets what accrued and was
// not withdrawn (nothing before the cliff), the payer the rest. The payer
// or the recipient may.
func streamCancel(ctx *sdk.Context, m IDMsg) (CancelResponse, error) {
	s, err := loadStream(ctx, m.ID)
	if err != nil {
		return CancelResponse{}, err
	}
	by := ctx.Caller()
	if by != s.Payer && by != s.Recipient {
		return CancelResponse{}, errors.New("only the payer or the recipient may cancel")
	}
	now := ctx.Block().Time
	earned := accrued(&s, now)
	out := CancelResponse{Recipient: earned.Sub(s.Withdrawn), Refund: s.Deposit.Sub(earned)}
	if out.Recipient.IsZero() && out.Refund.IsZero() {
		return CancelResponse{}, errors.New("stream " + u64(m.ID) + " is finished: nothing to pay or refund")
	}
	s.Withdrawn, s.Refunded, s.CanceledAt = earned, out.Refund, now
	streams.Save(ctx, m.ID, s)
	pay(ctx, streamPart, s.Recipient, out.Recipient)
	pay(ctx, streamPart, s.Payer, out.Refund)
	ctx.Emit("stream_cancel", sdk.Attr("id", u64(m.ID)), sdk.Attr("by", by.String()),
		sdk.Attr("recipient", out.Recipient.String()), sdk.Attr("refund", out.Refund.String()))
	return out, nil
}
