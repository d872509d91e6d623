package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// EscrowCreateMsg locks the funds sent with the call for Recipient.
type EscrowCreateMsg struct {
	Recipient sdk.Address  `json:"recipient"`
	Arbiter   *sdk.Address `json:"arbiter"`
	// Expires is the block time (ms) from which the payer may refund.
	Expires uint64 `json:"expires"`
}

// IDResponse is the id of what a message created.
type IDResponse struct {
	ID uint64 `json:"id"`
}

func escrowCreate(ctx *sdk.Context, m EscrowCreateMsg) (IDResponse, error) {
	amount, err := funds(ctx)
	if err != nil {
		return IDResponse{}, err
	}
	payer := ctx.Caller()
	now := ctx.Block().Time
	switch {
	case m.Recipient.IsZero():
		return IDResponse{}, errors.New("recipient is required")
	case m.Recipient == payer:
		return IDResponse{}, errors.New("the recipient cannot be the payer")
	case m.Arbiter != nil && (m.Arbiter.IsZero() || *m.Arbiter == payer || *m.Arbiter == m.Recipient):
		return IDResponse{}, errors.New("the arbiter must be a third party")
	case m.Expires <= now:
		return IDResponse{}, errors.New("expires must be a block time (ms) in the future")
	}
	id := newEntry(ctx, func(t *Totals) *uint64 { return &t.Escrows }, escrowPart, amount)
	escrows.Save(ctx, id, Escrow{Payer: payer, Recipient: m.Recipient, Arbiter: m.Arbiter, Amount: amount,
		Expires: m.Expires, Created: now, Status: statusOpen})
	ctx.Emit("escrow_create", sdk.Attr("id", u64(id)), sdk.Attr("payer", payer.String()),
		sdk.Attr("recipient", m.Recipient.String()), sdk.Attr("arbiter", optional(m.Arbiter)),
		sdk.Attr("amount", amount.String()), sdk.Attr("expires", u64(m.Expires)))
	return IDResponse{ID: id}, nil
}

// IDMsg names one escrow, stream or meter agreement.
type IDMsg struct {
	ID uint64 `json:"id"`
}

// openEscrow loads an escrow that is still open.
func openEscrow(ctx *sdk.Context, id uint64) (Escrow, error) {
	if err := takesNoFunds(ctx); err != nil {
		return Escrow{}, err
	}
	e, ok := escrows.Load(ctx, id)
	if !ok {
		return e, notFound("escrow", id)
	}
	if e.Status != statusOpen {
		return e, errors.New("escrow " + u64(id) + " is already " + e.Status)
	}
	return e, nil
}

func isArbiter(e *Escrow, a sdk.Address) bool { return e.Arbiter != nil && *e.Arbiter == a }

// escrowRelease pays the recipient; the payer or the arbiter only.
func escrowRelease(ctx *sdk.Context, m IDMsg) (sdk.None, error) {
	e, err := openEscrow(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	by := ctx.Caller()
	if by != e.Payer && !isArbiter(&e, by) {
		return sdk.None{}, errors.New("only the payer or the arbiter may release")
	}
	e.Status = statusReleased
	escrows.Save(ctx, m.ID, e)
	pay(ctx, escrowPart, e.Recipient, e.Amount)
	ctx.Emit("escrow_release", sdk.Attr("id", u64(m.ID)), sdk.Attr("by", by.String()),
		sdk.Attr("to", e.Recipient.String()), sdk.Attr("amount", e.Amount.String()))
	return sdk.None{}, nil
}

// escrowRefund returns the funds to the payer: the recipient or the
// arbiter anytime, the payer from Expires on.
func escrowRefund(ctx *sdk.Context, m IDMsg) (sdk.None, error) {
	e, err := openEscrow(ctx, m.ID)
	if err != nil {
		return sdk.None{}, err
	}
	by := ctx.Caller()
	switch {
	case by == e.Recipient || isArbiter(&e, by):
	case by == e.Payer:
		if ctx.Block().Time < e.Expires {
			return sdk.None{}, errors.New("the payer may refund only from block time " + u64(e.Expires))
		}
	default:
		return sdk.None{}, errors.New("only the recipient, the arbiter, or the payer after expiry may refund")
	}
	e.Status = statusRefunded
	escrows.Save(ctx, m.ID, e)
	pay(ctx, escrowPart, e.Payer, e.Amount)
	ctx.Emit("escrow_refund", sdk.Attr("id", u64(m.ID)), sdk.Attr("by", by.String()),
		sdk.Attr("to", e.Payer.String()), sdk.Attr("amount", e.Amount.String()))
	return sdk.None{}, nil
}
