package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// depositRevenue distributes the native tokens sent with the call to the
// holders pro rata, at O(1) cost: it only moves the accumulator. Holders
// collect with claim.
func depositRevenue(ctx *sdk.Context, _ sdk.None) (sdk.None, error) {
	funds := ctx.Funds()
	if funds.IsZero() {
		return sdk.None{}, errors.New("send the revenue as funds with the call")
	}
	s := supply.Get(ctx)
	if s.IsZero() {
		return sdk.None{}, errors.New("there are no shares to distribute to")
	}
	r := revenue.Get(ctx)
	magnified := funds.Mul(scale).Add(r.Carry)
	r.Acc = r.Acc.Add(magnified.Div(s))
	r.Carry = magnified.Mod(s)
	r.Deposited = r.Deposited.Add(funds)
	revenue.Save(ctx, r)
	ctx.Emit("revenue", sdk.Attr("from", ctx.Caller().String()), sdk.Attr("amount", funds.String()))
	return sdk.None{}, nil
}

// claimable is what h may claim now (whole tokens of Owed).
func claimable(h Holder) sdk.Amount { return h.Owed.Div(scale) }

// ClaimResponse is what claim paid.
type ClaimResponse struct {
	Amount sdk.Amount `json:"amount"`
}

// claim pays the caller the revenue its shares have earned. The part
// below one token stays owed, magnified, for the next claim.
func claim(ctx *sdk.Context, _ sdk.None) (ClaimResponse, error) {
	who := ctx.Caller()
	h := holder(ctx, who)
	amount := claimable(h)
	if amount.IsZero() {
		return ClaimResponse{}, errors.New("nothing to claim")
	}
	h.Owed = h.Owed.Sub(amount.Mul(scale))
	holders.Save(ctx, who, h)
	r := revenue.Get(ctx)
	r.Claimed = r.Claimed.Add(amount)
	revenue.Save(ctx, r)
	ctx.Transfer(who, amount)
	ctx.Emit("claim", sdk.Attr("to", who.String()), sdk.Attr("amount", amount.String()))
	return ClaimResponse{Amount: amount}, nil
}
