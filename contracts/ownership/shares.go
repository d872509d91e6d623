package main

import (
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

var (
	errZero         = errors.New("amount must be positive")
	errInsufficient = errors.New("insufficient shares")
)

// settle brings h's revenue up to the accumulator: what its balance
// earned since it was last settled moves into Owed. Called before every
// change of the balance, so each share earns exactly from the deposits
// made while it was held.
func settle(h *Holder, acc sdk.Amount) {
	h.Owed = h.Owed.Add(h.Balance.Mul(acc.Sub(h.Paid)))
	h.Paid = acc
}

func holder(ctx *sdk.Context, a sdk.Address) Holder {
	h := holders.Get(ctx, a)
	settle(&h, revenue.Get(ctx).Acc)
	return h
}

// setBalance stores h and records a's balance checkpoint at this height.
func setBalance(ctx *sdk.Context, a sdk.Address, h Holder) {
	holders.Save(ctx, a, h)
	balanceAt.Save(ctx, checkpointKey(a, ctx.Block().Height), h.Balance)
}

func setSupply(ctx *sdk.Context, s sdk.Amount) {
	supply.Save(ctx, s)
	supplyAt.Save(ctx, ctx.Block().Height, s)
}

// canHold refuses a frozen address, or one not on the allow-list of a
// restricted class.
func canHold(ctx *sdk.Context, cfg *Config, a sdk.Address) error {
	if frozen.Get(ctx, a) {
		return errors.New(a.String() + " is frozen")
	}
	if cfg.Restricted && !allowed.Get(ctx, a) {
		return errors.New(a.String() + " is not on the allow-list")
	}
	return nil
}

// move transfers amount from one holder to another, settling both.
func move(ctx *sdk.Context, from, to sdk.Address, amount sdk.Amount) error {
	if amount.IsZero() {
		return errZero
	}
	cfg := config.Get(ctx)
	for _, a := range []sdk.Address{from, to} {
		if err := canHold(ctx, &cfg, a); err != nil {
			return err
		}
	}
	src := holder(ctx, from)
	if src.Balance.Cmp(amount) < 0 {
		return errInsufficient
	}
	src.Balance = src.Balance.Sub(amount)
	setBalance(ctx, from, src)
	dst := holder(ctx, to) // after from is stored: from may be to
	dst.Balance = dst.Balance.Add(amount)
	setBalance(ctx, to, dst)
	ctx.Emit("transfer", sdk.Attr("from", from.String()), sdk.Attr("to", to.String()), sdk.Attr("amount", amount.String()))
	return nil
}

// TransferMsg moves the caller's shares.
type TransferMsg struct {
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

func transfer(ctx *sdk.Context, m TransferMsg) (sdk.None, error) {
	return sdk.None{}, move(ctx, ctx.Caller(), m.To, m.Amount)
}

// ApproveMsg lets Spender move up to Amount of the caller's shares until
// Expires (block time in ms; 0: never). It replaces any earlier
// allowance; Amount 0 revokes.
type ApproveMsg struct {
	Spender sdk.Address `json:"spender"`
	Amount  sdk.Amount  `json:"amount"`
	Expires uint64      `json:"expires"`
}

func approve(ctx *sdk.Context, m ApproveMsg) (sdk.None, error) {
	owner := ctx.Caller()
	if m.Spender == owner {
		return sdk.None{}, errors.New("cannot approve yourself")
	}
	if m.Expires != 0 && m.Expires <= ctx.Block().Time {
		return sdk.None{}, errors.New("expiry is in the past")
	}
	if m.Amount.IsZero() {
		allowances.Remove(ctx, pairKey(owner, m.Spender))
	} else {
		allowances.Save(ctx, pairKey(owner, m.Spender), Allowance{Amount: m.Amount, Expires: m.Expires})
	}
	ctx.Emit("approve", sdk.Attr("owner", owner.String()), sdk.Attr("spender", m.Spender.String()),
		sdk.Attr("amount", m.Amount.String()), sdk.Attr("expires", strconv.FormatUint(m.Expires, 10)))
	return sdk.None{}, nil
}

// spend takes amount from the caller's allowance over owner's shares.
func spend(ctx *sdk.Context, owner sdk.Address, amount sdk.Amount) error {
	spender := ctx.Caller()
	if spender == owner {
		return nil
	}
	key := pairKey(owner, spender)
	a, ok := allowances.Load(ctx, key)
	if !ok || (a.Expires != 0 && a.Expires <= ctx.Block().Time) {
		return errors.New("no allowance (or it expired)")
	}
	if a.Amount.Cmp(amount) < 0 {
		return errors.New("allowance too small")
	}
	if a.Amount = a.Amount.Sub(amount); a.Amount.IsZero() {
		allowances.Remove(ctx, key)
	} else {
		allowances.Save(ctx, key, a)
	}
	return nil
}

// TransferFromMsg moves an owner's shares under the caller's allowance.
type TransferFromMsg struct {
	Owner  sdk.Address `json:"owner"`
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

func transferFrom(ctx *sdk.Context, m TransferFromMsg) (sdk.None, error) {
	if err := spend(ctx, m.Owner, m.Amount); err != nil {
		return sdk.None{}, err
	}
	return sdk.None{}, move(ctx, m.Owner, m.To, m.Amount)
}

// SendMsg moves the caller's shares to a contract and calls its
// receive_shares method with {sender, amount, msg}: the contract learns
// of the shares in the same transaction, and if it refuses them (fails),
// the send fails and nothing moves.
type SendMsg struct {
	Contract sdk.Address `json:"contract"`
	Amount   sdk.Amount  `json:"amount"`
	Msg      []byte      `json:"msg"`
}

// ReceiveMsg is what a receiving contract's receive_shares gets.
type ReceiveMsg struct {
	Sender sdk.Address `json:"sender"`
	Amount sdk.Amount  `json:"amount"`
	Msg    []byte      `json:"msg"`
}

func send(ctx *sdk.Context, m SendMsg) (sdk.None, error) {
	sender := ctx.Caller()
	if err := move(ctx, sender, m.Contract, m.Amount); err != nil {
		return sdk.None{}, err
	}
	if _, err := sdk.CallJSON[sdk.None](ctx, m.Contract, "receive_shares", ReceiveMsg{Sender: sender, Amount: m.Amount, Msg: m.Msg}, sdk.Amount{}); err != nil {
		return sdk.None{}, errors.New("the receiver refused the shares: " + err.Error())
	}
	return sdk.None{}, nil
}

// MintMsg creates shares, up to the cap; the admin only.
type MintMsg struct {
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

func mint(ctx *sdk.Context, m MintMsg) (sdk.None, error) {
	cfg := config.Get(ctx)
	if err := onlyAdmin(ctx, &cfg); err != nil {
		return sdk.None{}, err
	}
	if m.Amount.IsZero() {
		return sdk.None{}, errZero
	}
	if err := canHold(ctx, &cfg, m.To); err != nil {
		return sdk.None{}, err
	}
	s := supply.Get(ctx).Add(m.Amount)
	if s.Cmp(cfg.Cap) > 0 {
		return sdk.None{}, errors.New("minting " + m.Amount.String() + " would exceed the cap of " + cfg.Cap.String())
	}
	h := holder(ctx, m.To)
	h.Balance = h.Balance.Add(m.Amount)
	setBalance(ctx, m.To, h)
	setSupply(ctx, s)
	ctx.Emit("mint", sdk.Attr("to", m.To.String()), sdk.Attr("amount", m.Amount.String()))
	return sdk.None{}, nil
}

// BurnMsg destroys the caller's shares. The cap stays, so the admin may
// mint up to it again.
type BurnMsg struct {
	Amount sdk.Amount `json:"amount"`
}

func burn(ctx *sdk.Context, m BurnMsg) (sdk.None, error) {
	if m.Amount.IsZero() {
		return sdk.None{}, errZero
	}
	from := ctx.Caller()
	h := holder(ctx, from)
	if h.Balance.Cmp(m.Amount) < 0 {
		return sdk.None{}, errInsufficient
	}
	h.Balance = h.Balance.Sub(m.Amount)
	setBalance(ctx, from, h)
	setSupply(ctx, supply.Get(ctx).Sub(m.Amount))
	ctx.Emit("burn", sdk.Attr("from", from.String()), sdk.Attr("amount", m.Amount.String()))
	return sdk.None{}, nil
}
