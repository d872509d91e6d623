package main

import (
	"github.com/plinthchain/plinth/contracts/sdk"
)

// EscrowResponse is an escrow and its id.
type EscrowResponse struct {
	ID uint64 `json:"id"`
	Escrow
}

func escrowQuery(ctx *sdk.Context, m IDMsg) (EscrowResponse, error) {
	e, ok := escrows.Load(ctx, m.ID)
	if !ok {
		return EscrowResponse{}, notFound("escrow", m.ID)
	}
	return EscrowResponse{ID: m.ID, Escrow: e}, nil
}

// StreamMsg names a stream and, optionally, the block time (ms) to value
// it at; omitted, now.
type StreamMsg struct {
	ID uint64  `json:"id"`
	At *uint64 `json:"at"`
}

// StreamResponse is a stream valued at a block time.
type StreamResponse struct {
	ID uint64 `json:"id"`
	Stream
	At uint64 `json:"at"`
	// Status is pending (before start), streaming, ended (all accrued,
	// some not withdrawn), finished (all withdrawn) or canceled.
	Status string `json:"status"`
	// Accrued is what the recipient has earned by At (frozen at the
	// cancel), Withdrawable what it may withdraw, Held what the contract
	// still holds for the stream.
	Accrued      sdk.Amount `json:"accrued"`
	Withdrawable sdk.Amount `json:"withdrawable"`
	Held         sdk.Amount `json:"held"`
}

func streamQuery(ctx *sdk.Context, m StreamMsg) (StreamResponse, error) {
	s, ok := streams.Load(ctx, m.ID)
	if !ok {
		return StreamResponse{}, notFound("stream", m.ID)
	}
	at := ctx.Block().Time
	if m.At != nil {
		at = *m.At
	}
	r := StreamResponse{ID: m.ID, Stream: s, At: at, Withdrawable: withdrawable(&s, at), Held: streamHeld(&s)}
	switch {
	case s.CanceledAt != 0:
		r.Status, r.Accrued = "canceled", s.Withdrawn
		return r, nil
	case s.Withdrawn == s.Deposit:
		r.Status = "finished"
	case at < s.Start:
		r.Status = "pending"
	case at < s.End:
		r.Status = "streaming"
	default:
		r.Status = "ended"
	}
	r.Accrued = accrued(&s, at)
	return r, nil
}

// MeterResponse is an agreement: balance, last settled reading, status.
type MeterResponse struct {
	ID uint64 `json:"id"`
	Meter
	// Status is active, exhausted (a shortfall is unpaid) or closed.
	Status string `json:"status"`
}

func meterQuery(ctx *sdk.Context, m IDMsg) (MeterResponse, error) {
	mt, ok := meters.Load(ctx, m.ID)
	if !ok {
		return MeterResponse{}, notFound("meter agreement", m.ID)
	}
	r := MeterResponse{ID: m.ID, Meter: mt, Status: "active"}
	switch {
	case mt.Closed:
		r.Status = "closed"
	case !mt.Shortfall.IsZero():
		r.Status = "exhausted"
	}
	return r, nil
}

// EpochResponse is an epoch with its totals.
type EpochResponse struct {
	ID uint64 `json:"id"`
	Epoch
	// Status is upcoming (before start), open (the window), reporting
	// (after end, before claim_from) or claimable.
	Status string `json:"status"`
	// Held is what the contract still holds for the epoch.
	Held sdk.Amount `json:"held"`
}

func epochQuery(ctx *sdk.Context, m EpochMsg) (EpochResponse, error) {
	e, ok := epochs.Load(ctx, m.Epoch)
	if !ok {
		return EpochResponse{}, notFound("epoch", m.Epoch)
	}
	now := ctx.Block().Time
	r := EpochResponse{ID: m.Epoch, Epoch: e, Held: e.Pool.Sub(e.Claimed).Sub(e.Reclaimed)}
	switch {
	case now < e.Start:
		r.Status = "upcoming"
	case now < e.End:
		r.Status = "open"
	case now < e.ClaimFrom:
		r.Status = "reporting"
	default:
		r.Status = "claimable"
	}
	return r, nil
}

// ShareResponse is a device's part of an epoch.
type ShareResponse struct {
	Epoch  uint64       `json:"epoch"`
	Device sdk.DeviceID `json:"device"`
	Owner  sdk.Address  `json:"owner"`
	Share
	// Amount is pool × uptime / total uptime, rounded down: final once
	// claims are open (Final), an estimate from the reports so far before.
	Amount sdk.Amount `json:"amount"`
	Final  bool       `json:"final"`
}

func shareQuery(ctx *sdk.Context, m ClaimMsg) (ShareResponse, error) {
	e, ok := epochs.Load(ctx, m.Epoch)
	if !ok {
		return ShareResponse{}, notFound("epoch", m.Epoch)
	}
	s, ok := shares.Load(ctx, shareKey(m.Epoch, m.Device))
	if !ok {
		return ShareResponse{}, errNotInEpoch(m.Device, m.Epoch)
	}
	dev, _ := ctx.Device(m.Device)
	return ShareResponse{Epoch: m.Epoch, Device: m.Device, Owner: dev.Owner, Share: s,
		Amount: shareOf(&e, s.Uptime), Final: ctx.Block().Time >= e.ClaimFrom}, nil
}

// TotalsResponse is the books: ids issued and amounts held, and their sum
// (the contract's balance, funds sent outside the messages aside).
type TotalsResponse struct {
	Totals
	Held sdk.Amount `json:"held"`
}

func totalsQuery(ctx *sdk.Context, _ sdk.None) (TotalsResponse, error) {
	t := totals.Get(ctx)
	return TotalsResponse{Totals: t, Held: t.HeldEscrows.Add(t.HeldStreams).Add(t.HeldMeters).Add(t.HeldRewards)}, nil
}
