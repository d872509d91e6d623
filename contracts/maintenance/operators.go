package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// addBond credits the funds sent with the call to the caller's free bond.
func addBond(ctx *sdk.Context, who sdk.Address, amount sdk.Amount) Operator {
	o := operators.Get(ctx, who)
	o.Bond = o.Bond.Add(amount)
	operators.Save(ctx, who, o)
	tot := totals.Get(ctx)
	tot.Bonds = tot.Bonds.Add(amount)
	totals.Save(ctx, tot)
	ctx.Emit("bond", sdk.Attr("operator", who.String()), sdk.Attr("amount", amount.String()), sdk.Attr("bond", o.Bond.String()))
	return o
}

// postBond adds the funds sent to the caller's free bond, which claims
// lock.
func postBond(ctx *sdk.Context, _ sdk.None) (sdk.None, error) {
	funds := ctx.Funds()
	if funds.IsZero() {
		return sdk.None{}, errors.New("send the bond as funds with the call")
	}
	addBond(ctx, ctx.Caller(), funds)
	return sdk.None{}, nil
}

// AmountMsg is an amount.
type AmountMsg struct {
	Amount sdk.Amount `json:"amount"`
}

// withdrawBond pays part of the caller's free bond back to it; bonds
// locked by claimed tasks stay.
func withdrawBond(ctx *sdk.Context, m AmountMsg) (sdk.None, error) {
	if m.Amount.IsZero() {
		return sdk.None{}, errZero
	}
	who := ctx.Caller()
	o := operators.Get(ctx, who)
	if o.Bond.Cmp(m.Amount) < 0 {
		return sdk.None{}, errors.New("your free bond is only " + o.Bond.String())
	}
	o.Bond = o.Bond.Sub(m.Amount)
	operators.Save(ctx, who, o)
	tot := totals.Get(ctx)
	tot.Bonds = tot.Bonds.Sub(m.Amount)
	totals.Save(ctx, tot)
	ctx.Transfer(who, m.Amount)
	ctx.Emit("bond_withdraw", sdk.Attr("operator", who.String()), sdk.Attr("amount", m.Amount.String()), sdk.Attr("bond", o.Bond.String()))
	return sdk.None{}, nil
}

// claimTask makes the caller the operator of an open task, locking the
// task's bond out of its free bond (funds sent with the call are posted
// first). A task claimed after its deadline falls due again now.
func claimTask(ctx *sdk.Context, m TaskMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Status != statusOpen {
		return sdk.None{}, notStatus(&t, statusOpen)
	}
	who := ctx.Caller()
	if t.Inspector != nil && *t.Inspector == who {
		return sdk.None{}, errors.New("the inspector may not operate task " + u(t.ID))
	}
	var o Operator
	if funds := ctx.Funds(); !funds.IsZero() {
		o = addBond(ctx, who, funds)
	} else {
		o = operators.Get(ctx, who)
	}
	if o.Bond.Cmp(t.Bond) < 0 {
		return sdk.None{}, errors.New("your free bond " + o.Bond.String() + " does not cover task " + u(t.ID) +
			"'s bond " + t.Bond.String() + ": post_bond first")
	}
	o.Bond = o.Bond.Sub(t.Bond)
	o.Locked = o.Locked.Add(t.Bond)
	operators.Save(ctx, who, o)
	before := indexKeys(&t)
	if now := ctx.Block().Time; now > t.Deadline {
		t.Due, t.Deadline = now, now+t.Grace
	}
	t.Status, t.Operator = statusClaimed, &who
	saveTask(ctx, &t, before)
	operatorTasks.Save(ctx, operatorTaskKey(who, t.ID), true)
	ctx.Emit("claim", sdk.Attr("task", u(t.ID)), sdk.Attr("operator", who.String()),
		sdk.Attr("bond", t.Bond.String()), sdk.Attr("deadline", u(t.Deadline)))
	return sdk.None{}, nil
}
