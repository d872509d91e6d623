package main

import (
	"math"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// InfoResponse describes the share class.
type InfoResponse struct {
	Config
	Supply    sdk.Amount `json:"supply"`
	Deposited sdk.Amount `json:"revenue_deposited"`
	Claimed   sdk.Amount `json:"revenue_claimed"`
}

func info(ctx *sdk.Context, _ sdk.None) (InfoResponse, error) {
	r := revenue.Get(ctx)
	return InfoResponse{Config: config.Get(ctx), Supply: supply.Get(ctx), Deposited: r.Deposited, Claimed: r.Claimed}, nil
}

// AddressMsg names one address.
type AddressMsg struct {
	Address sdk.Address `json:"address"`
}

// BalanceResponse is an address's shares and the revenue it may claim.
type BalanceResponse struct {
	Balance   sdk.Amount `json:"balance"`
	Claimable sdk.Amount `json:"claimable"`
	Frozen    bool       `json:"frozen"`
	Allowed   bool       `json:"allowed"`
}

func balance(ctx *sdk.Context, m AddressMsg) (BalanceResponse, error) {
	h := holder(ctx, m.Address)
	return BalanceResponse{Balance: h.Balance, Claimable: claimable(h),
		Frozen: frozen.Get(ctx, m.Address), Allowed: allowed.Get(ctx, m.Address)}, nil
}

// AtMsg asks for a value after the block at Height.
type AtMsg struct {
	Address sdk.Address `json:"address"`
	Height  uint64      `json:"height"`
}

// AmountResponse is one amount.
type AmountResponse struct {
	Amount sdk.Amount `json:"amount"`
}

// balanceAt is the address's balance after the block at Height: the
// latest checkpoint at or below it. Governance weighs votes with it at a
// proposal's start, so shares moved after the start cannot vote twice.
func balanceAtHeight(ctx *sdk.Context, m AtMsg) (AmountResponse, error) {
	s := sdk.Scan[string]{Prefix: m.Address[:], Reverse: true}
	if m.Height < math.MaxUint64 {
		after := checkpointKey(m.Address, m.Height+1)
		s.After = &after
	}
	for _, v := range balanceAt.Scan(ctx, s) {
		return AmountResponse{Amount: v}, nil
	}
	return AmountResponse{}, nil
}

// HeightMsg names a block height.
type HeightMsg struct {
	Height uint64 `json:"height"`
}

func supplyAtHeight(ctx *sdk.Context, m HeightMsg) (AmountResponse, error) {
	s := sdk.Scan[uint64]{Reverse: true}
	if m.Height < math.MaxUint64 {
		after := m.Height + 1
		s.After = &after
	}
	for _, v := range supplyAt.Scan(ctx, s) {
		return AmountResponse{Amount: v}, nil
	}
	return AmountResponse{}, nil
}

// AllowanceMsg names an owner and a spender.
type AllowanceMsg struct {
	Owner   sdk.Address `json:"owner"`
	Spender sdk.Address `json:"spender"`
}

// AllowanceResponse is an allowance; an expired one reads as zero.
type AllowanceResponse struct {
	Amount  sdk.Amount `json:"amount"`
	Expires uint64     `json:"expires"`
}

func allowance(ctx *sdk.Context, m AllowanceMsg) (AllowanceResponse, error) {
	a, ok := allowances.Load(ctx, pairKey(m.Owner, m.Spender))
	if !ok || (a.Expires != 0 && a.Expires <= ctx.Block().Time) {
		return AllowanceResponse{}, nil
	}
	return AllowanceResponse{Amount: a.Amount, Expires: a.Expires}, nil
}

// HoldersMsg pages through the holders in address order.
type HoldersMsg struct {
	After *sdk.Address `json:"after"`
	Limit int          `json:"limit"`
}

// HolderEntry is one holder of a page.
type HolderEntry struct {
	Address sdk.Address `json:"address"`
	Balance sdk.Amount  `json:"balance"`
}

const maxPage = 100

func holderList(ctx *sdk.Context, m HoldersMsg) ([]HolderEntry, error) {
	limit := m.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	out := []HolderEntry{}
	for a, h := range holders.Scan(ctx, sdk.Scan[sdk.Address]{After: m.After}) {
		if h.Balance.IsZero() {
			continue
		}
		out = append(out, HolderEntry{Address: a, Balance: h.Balance})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
