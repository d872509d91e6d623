package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

var (
	errZero    = errors.New("amount must be positive")
	errNoFunds = errors.New("this method takes no funds")
)

// noFunds makes a transaction method of f that refuses funds: only the
// methods that escrow or bond what is sent accept any, so every token the
// contract holds is accounted for in Totals.
func noFunds[In, Out any](f func(*sdk.Context, In) (Out, error)) sdk.Handler {
	return sdk.Exec(func(ctx *sdk.Context, in In) (Out, error) {
		if !ctx.Funds().IsZero() {
			var out Out
			return out, errNoFunds
		}
		return f(ctx, in)
	})
}

func onlyAdmin(ctx *sdk.Context) (Config, error) {
	cfg := config.Get(ctx)
	if cfg.Admin != ctx.Caller() {
		return cfg, errors.New("only the admin may do this")
	}
	return cfg, nil
}

// AdminMsg hands the admin role on (to a new governance contract, say).
type AdminMsg struct {
	Admin sdk.Address `json:"admin"`
}

func updateAdmin(ctx *sdk.Context, m AdminMsg) (sdk.None, error) {
	cfg, err := onlyAdmin(ctx)
	if err != nil {
		return sdk.None{}, err
	}
	if m.Admin.IsZero() {
		return sdk.None{}, errors.New("admin: an address is required (the role cannot be renounced)")
	}
	cfg.Admin = m.Admin
	config.Save(ctx, cfg)
	ctx.Emit("admin", sdk.Attr("admin", m.Admin.String()))
	return sdk.None{}, nil
}

// WithdrawMsg pays an amount out to an address.
type WithdrawMsg struct {
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

// withdrawTreasury pays slashed bonds out; the admin only.
func withdrawTreasury(ctx *sdk.Context, m WithdrawMsg) (sdk.None, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return sdk.None{}, err
	}
	if m.Amount.IsZero() {
		return sdk.None{}, errZero
	}
	if m.To.IsZero() {
		return sdk.None{}, errors.New("to: an address is required")
	}
	tot := totals.Get(ctx)
	if tot.Treasury.Cmp(m.Amount) < 0 {
		return sdk.None{}, errors.New("the treasury holds only " + tot.Treasury.String())
	}
	tot.Treasury = tot.Treasury.Sub(m.Amount)
	totals.Save(ctx, tot)
	ctx.Transfer(m.To, m.Amount)
	ctx.Emit("treasury_withdraw", sdk.Attr("to", m.To.String()), sdk.Attr("amount", m.Amount.String()))
	return sdk.None{}, nil
}
