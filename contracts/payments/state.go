package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Escrow holds a payer's funds until the payer or the arbiter releases
// them to the recipient, or they are refunded (README.md, "Escrow").
type Escrow struct {
	Payer     sdk.Address  `json:"payer"`
	Recipient sdk.Address  `json:"recipient"`
	Arbiter   *sdk.Address `json:"arbiter"`
	Amount    sdk.Amount   `json:"amount"`
	// Expires is the block time (ms) from which the payer may refund.
	Expires uint64 `json:"expires"`
	Created uint64 `json:"created"`
	// Status is open, released or refunded.
	Status string `json:"status"`
}

const (
	statusOpen     = "open"
	statusReleased = "released"
	statusRefunded = "refunded"
)

// Stream pays Deposit to Recipient at Rate tokens per second of block
// time from Start to End; nothing is withdrawable before Start + Cliff
// (README.md, "Streams", has the accrual formula).
type Stream struct {
	Payer     sdk.Address `json:"payer"`
	Recipient sdk.Address `json:"recipient"`
	Rate      sdk.Amount  `json:"rate"`
	Deposit   sdk.Amount  `json:"deposit"`
	Start     uint64      `json:"start"`
	Cliff     uint64      `json:"cliff"`
	// End = Start + ⌈Deposit × 1000 / Rate⌉: everything has accrued.
	End uint64 `json:"end"`
	// Withdrawn went to the recipient, Refunded back to the payer.
	Withdrawn sdk.Amount `json:"withdrawn"`
	Refunded  sdk.Amount `json:"refunded"`
	// CanceledAt is the block time of the cancel; 0: not canceled.
	CanceledAt uint64 `json:"canceled_at"`
}

// Meter is a usage-metered billing agreement (README.md, "Metering").
type Meter struct {
	Consumer sdk.Address  `json:"consumer"`
	Provider sdk.Address  `json:"provider"`
	Device   sdk.DeviceID `json:"device"`
	Kind     string       `json:"kind"`
	Price    sdk.Amount   `json:"price"`
	// Balance is the prepayment not yet billed.
	Balance sdk.Amount `json:"balance"`
	// Paid went to the provider; Shortfall is what settled readings billed
	// beyond the prepayment (the agreement is exhausted while it is not
	// zero; a top-up pays it first).
	Paid      sdk.Amount `json:"paid"`
	Shortfall sdk.Amount `json:"shortfall"`
	// Reading, Seq and Attestation are the last settled reading (at first
	// the baseline: the meter's latest reading when the agreement opened).
	Reading     sdk.Amount `json:"reading"`
	Seq         uint64     `json:"seq"`
	Attestation Hash       `json:"attestation"`
	// ReadingTime is the device's time of that reading (ms).
	ReadingTime uint64 `json:"reading_time"`
	Opened      uint64 `json:"opened"`
	Closed      bool   `json:"closed"`
}

// Epoch is a reward pool shared by listed devices pro rata to the uptime
// their attestations report in [Start, End) (README.md, "Rewards").
type Epoch struct {
	Funder sdk.Address `json:"funder"`
	Kind   string      `json:"kind"`
	Start  uint64      `json:"start"`
	End    uint64      `json:"end"`
	// ClaimFrom = End + grace: reports are accepted before it, claims and
	// the reclaim from it on.
	ClaimFrom uint64     `json:"claim_from"`
	StartSeq  uint64     `json:"start_seq"`
	Pool      sdk.Amount `json:"pool"`
	Devices   uint32     `json:"devices"`
	// MaxUptime caps each device's recorded uptime: the window's length in
	// whole seconds.
	MaxUptime   uint64     `json:"max_uptime"`
	TotalUptime uint64     `json:"total_uptime"`
	Claimed     sdk.Amount `json:"claimed"`
	// Reclaimed is the dust the funder took back; ReclaimDone once it has.
	Reclaimed   sdk.Amount `json:"reclaimed"`
	ReclaimDone bool       `json:"reclaim_done"`
}

// Share is one device's part of an epoch.
type Share struct {
	Uptime  uint64 `json:"uptime"`
	Reports uint32 `json:"reports"`
	// Paid is what its claim paid; Claimed once it has.
	Paid    sdk.Amount `json:"paid"`
	Claimed bool       `json:"claimed"`
}

// Totals are the contract's books: the last id of each kind (ids start
// at 1) and what it holds for each part. Their sum is the contract's
// native balance (funds sent outside these messages aside).
type Totals struct {
	Escrows uint64 `json:"escrows"`
	Streams uint64 `json:"streams"`
	Meters  uint64 `json:"meters"`
	Epochs  uint64 `json:"epochs"`

	HeldEscrows sdk.Amount `json:"held_escrows"`
	HeldStreams sdk.Amount `json:"held_streams"`
	HeldMeters  sdk.Amount `json:"held_meters"`
	HeldRewards sdk.Amount `json:"held_rewards"`
}

var (
	totals  = sdk.NewItem[Totals]("totals")
	escrows = sdk.NewMap[uint64, Escrow]("escrows")
	streams = sdk.NewMap[uint64, Stream]("streams")
	meters  = sdk.NewMap[uint64, Meter]("meters")
	epochs  = sdk.NewMap[uint64, Epoch]("epochs")
	// shares: epoch (u64 big-endian) ‖ device id → its share.
	shares = sdk.NewMap[string, Share]("shares")
	// reported: epoch (u64 big-endian) ‖ attestation id, for each
	// attestation counted in an epoch.
	reported = sdk.NewMap[string, bool]("reported")
)

// init builds encoding/json's decoders of the attestation payloads while
// the package initializes, which the chain does once, at deploy
// (docs/abi.md), so calls do not pay for it; the SDK does the same for
// handler inputs and outputs and stored values.
func init() {
	var r readingPayload
	_ = json.Unmarshal([]byte(`{"reading": "0"}`), &r)
	var u uptimePayload
	_ = json.Unmarshal([]byte(`{"uptime_s": "0"}`), &u)
}

func epochKey(epoch uint64, rest []byte) string {
	return string(append(binary.BigEndian.AppendUint64(nil, epoch), rest...))
}

// Hash is an attestation id: 32 bytes, 64 hex digits in text.
type Hash [32]byte

func (h Hash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return errors.New("an attestation id is 64 hex digits")
	}
	_, err := hex.Decode(h[:], b)
	return err
}

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// maxAmount is 2^256 − 1.
var maxAmount = sdk.AmountFromBytes([]byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
})

// mulFits reports whether a×b is below 2^256.
func mulFits(a, b sdk.Amount) bool {
	return a.IsZero() || b.IsZero() || b.Cmp(maxAmount.Div(a)) <= 0
}

var (
	errNoFunds   = errors.New("this method takes no funds")
	errNeedFunds = errors.New("send the amount as funds with the call")
)

// takesNoFunds refuses funds sent with a method that does not take any:
// they would be stuck in the contract, owed to nobody.
func takesNoFunds(ctx *sdk.Context) error {
	if !ctx.Funds().IsZero() {
		return errNoFunds
	}
	return nil
}

// funds is what the call brought; a call without any is refused.
func funds(ctx *sdk.Context) (sdk.Amount, error) {
	f := ctx.Funds()
	if f.IsZero() {
		return f, errNeedFunds
	}
	return f, nil
}

// part picks one of the held amounts of Totals.
type part func(*Totals) *sdk.Amount

func escrowPart(t *Totals) *sdk.Amount { return &t.HeldEscrows }
func streamPart(t *Totals) *sdk.Amount { return &t.HeldStreams }
func meterPart(t *Totals) *sdk.Amount  { return &t.HeldMeters }
func rewardPart(t *Totals) *sdk.Amount { return &t.HeldRewards }

// hold records amount (received as funds) as held for p.
func hold(ctx *sdk.Context, p part, amount sdk.Amount) {
	t := totals.Get(ctx)
	h := p(&t)
	*h = h.Add(amount)
	totals.Save(ctx, t)
}

// pay sends amount held for p to to, and takes it off the books. A zero
// amount does nothing.
func pay(ctx *sdk.Context, p part, to sdk.Address, amount sdk.Amount) {
	if amount.IsZero() {
		return
	}
	t := totals.Get(ctx)
	h := p(&t)
	*h = h.Sub(amount) // below zero would be a bug: it aborts
	totals.Save(ctx, t)
	ctx.Transfer(to, amount)
}

// newEntry takes the next id of a kind (ids start at 1) and records
// amount, received as funds, as held for p: one read and write of the
// books for both.
func newEntry(ctx *sdk.Context, counter func(*Totals) *uint64, p part, amount sdk.Amount) uint64 {
	t := totals.Get(ctx)
	n := counter(&t)
	*n++
	h := p(&t)
	*h = h.Add(amount)
	totals.Save(ctx, t)
	return *n
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func notFound(what string, id uint64) error { return errors.New("no " + what + " " + u64(id)) }

func optional(a *sdk.Address) string {
	if a == nil {
		return "none"
	}
	return a.String()
}

// maxKind is the longest attestation kind the chain accepts.
const maxKind = 64

func checkKind(kind string) error {
	if kind == "" || len(kind) > maxKind {
		return errors.New("kind: 1 to 64 bytes")
	}
	return nil
}
