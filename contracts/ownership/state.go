package main

import (
	"encoding/binary"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Config is the share class: set at instantiation; the admin may change
// restrictions and hand the role on.
type Config struct {
	Name   string `json:"name"`
	Symbol string `json:"symbol"`
	// Asset names the physical asset the shares are of (free text: a site,
	// a device id).
	Asset string `json:"asset"`
	// Cap is the most shares that may ever exist; equal to the initial
	// supply for a fixed supply.
	Cap sdk.Amount `json:"cap"`
	// Admin may mint up to Cap and set restrictions; nil: nobody, for good.
	Admin *sdk.Address `json:"admin"`
	// Restricted: only allow-listed addresses may hold or receive shares.
	Restricted bool `json:"restricted"`
}

// Holder is one address's position.
type Holder struct {
	Balance sdk.Amount `json:"balance"`
	// Paid is the revenue accumulator when the holder was last settled;
	// Owed is revenue settled but not claimed, magnified by scale (so
	// nothing is lost to rounding across transfers).
	Paid sdk.Amount `json:"paid"`
	Owed sdk.Amount `json:"owed"`
}

// Allowance is what a spender may move from an owner, until Expires (block
// time, ms since the Unix epoch; 0: never).
type Allowance struct {
	Amount  sdk.Amount `json:"amount"`
	Expires uint64     `json:"expires"`
}

// Revenue is the distribution state: Acc grows by deposit×scale/supply
// with every deposit (the scaled per-share accumulator); Carry keeps the
// division's remainder so the next deposit distributes it.
type Revenue struct {
	Acc       sdk.Amount `json:"acc"`
	Carry     sdk.Amount `json:"carry"`
	Deposited sdk.Amount `json:"deposited"`
	Claimed   sdk.Amount `json:"claimed"`
}

var (
	config  = sdk.NewItem[Config]("config")
	supply  = sdk.NewItem[sdk.Amount]("supply")
	revenue = sdk.NewItem[Revenue]("revenue")
	holders = sdk.NewMap[sdk.Address, Holder]("holders")
	// allowances: owner ‖ spender.
	allowances = sdk.NewMap[string, Allowance]("allowances")
	allowed    = sdk.NewMap[sdk.Address, bool]("allowed")
	frozen     = sdk.NewMap[sdk.Address, bool]("frozen")
	// balanceAt: holder ‖ height (u64 big-endian) → balance after that
	// block; supplyAt: height → supply after that block.
	balanceAt = sdk.NewMap[string, sdk.Amount]("balance_at")
	supplyAt  = sdk.NewMap[uint64, sdk.Amount]("supply_at")
)

// scale magnifies the revenue accumulator: 2^64, so a deposit smaller
// than the supply still moves it, and products stay far below 2^256 for
// any realistic supply and revenue (an overflow would abort, never wrap).
var scale = sdk.AmountFromBytes([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})

func pairKey(a, b sdk.Address) string { return string(a[:]) + string(b[:]) }

func checkpointKey(a sdk.Address, height uint64) string {
	return string(binary.BigEndian.AppendUint64(append([]byte(nil), a[:]...), height))
}
