package main

import (
	"encoding/json"
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

const (
	// maxEpochDevices bounds an epoch's device list (and so the reclaim's
	// scan over it).
	maxEpochDevices = 100
	// defaultGrace is how long after an epoch's end reports are still
	// accepted: the chain's attestation freshness window (10 minutes in
	// parameter version 1), so an attestation made just before the end
	// can still be submitted and reported.
	defaultGrace = 10 * 60 * 1000
	maxGrace     = 7 * 24 * 60 * 60 * 1000
)

// EpochCreateMsg funds a reward epoch with the funds sent with the call.
type EpochCreateMsg struct {
	Devices []sdk.DeviceID `json:"devices"`
	Kind    string         `json:"kind"`
	// Start and End (block time, ms) bound the window: attestations whose
	// time t has Start ≤ t < End count.
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
	// StartSeq, if set, refuses attestations with a lower sequence number.
	StartSeq uint64 `json:"start_seq"`
	// Grace is how long after End reports are accepted (ms, default 10
	// minutes, at most 7 days); claims open at End + Grace.
	Grace *uint64 `json:"grace"`
}

func shareKey(epoch uint64, dev sdk.DeviceID) string { return epochKey(epoch, dev[:]) }

func errNotInEpoch(dev sdk.DeviceID, epoch uint64) error {
	return errors.New("device " + dev.String() + " is not in epoch " + u64(epoch))
}

func rewardsCreateEpoch(ctx *sdk.Context, m EpochCreateMsg) (IDResponse, error) {
	pool, err := funds(ctx)
	if err != nil {
		return IDResponse{}, err
	}
	if err := checkKind(m.Kind); err != nil {
		return IDResponse{}, err
	}
	grace := uint64(defaultGrace)
	if m.Grace != nil {
		grace = *m.Grace
	}
	now := ctx.Block().Time
	switch {
	case len(m.Devices) == 0 || len(m.Devices) > maxEpochDevices:
		return IDResponse{}, errors.New("devices: 1 to 100")
	case m.End <= m.Start:
		return IDResponse{}, errors.New("end must be after start")
	case m.End-m.Start < 1000:
		return IDResponse{}, errors.New("the window must be at least one second")
	case m.End <= now:
		return IDResponse{}, errors.New("end must be a block time (ms) in the future")
	case grace > maxGrace:
		return IDResponse{}, errors.New("grace: at most 7 days")
	case m.End+grace < m.End:
		return IDResponse{}, errors.New("end + grace is after the last block time")
	}
	e := Epoch{Funder: ctx.Caller(), Kind: m.Kind, Start: m.Start, End: m.End, ClaimFrom: m.End + grace,
		StartSeq: m.StartSeq, Pool: pool, Devices: uint32(len(m.Devices)), MaxUptime: (m.End - m.Start) / 1000}
	if !mulFits(pool, sdk.NewAmount(e.MaxUptime)) {
		return IDResponse{}, errors.New("the pool is too large")
	}
	id := newEntry(ctx, func(t *Totals) *uint64 { return &t.Epochs }, rewardPart, pool)
	for _, d := range m.Devices {
		dev, ok := ctx.Device(d)
		switch {
		case !ok:
			return IDResponse{}, errors.New("device " + d.String() + " is not registered")
		case dev.Revoked:
			return IDResponse{}, errors.New("device " + d.String() + " is revoked")
		case shares.Has(ctx, shareKey(id, d)):
			return IDResponse{}, errors.New("device " + d.String() + " is listed twice")
		}
		shares.Save(ctx, shareKey(id, d), Share{})
	}
	epochs.Save(ctx, id, e)
	ctx.Emit("rewards_epoch", sdk.Attr("id", u64(id)), sdk.Attr("funder", e.Funder.String()),
		sdk.Attr("kind", m.Kind), sdk.Attr("start", u64(m.Start)), sdk.Attr("end", u64(m.End)),
		sdk.Attr("claim_from", u64(e.ClaimFrom)), sdk.Attr("pool", pool.String()),
		sdk.Attr("devices", u64(uint64(len(m.Devices)))))
	return IDResponse{ID: id}, nil
}

// uptimePayload is an uptime attestation's payload: {"uptime_s": "3600"},
// the seconds the device was up since its previous uptime attestation, a
// decimal string.
type uptimePayload struct {
	Uptime *sdk.Amount `json:"uptime_s"`
}

func parseUptime(payload []byte) (uint64, error) {
	var p uptimePayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Uptime == nil {
		return 0, errors.New(`the attestation's payload is not {"uptime_s": "<decimal>"}`)
	}
	v, ok := p.Uptime.Uint64()
	if !ok {
		return 0, errors.New("the attestation's uptime is too large")
	}
	if v == 0 {
		return 0, errors.New("the attestation reports no uptime")
	}
	return v, nil
}

func loadEpoch(ctx *sdk.Context, id uint64) (Epoch, error) {
	if err := takesNoFunds(ctx); err != nil {
		return Epoch{}, err
	}
	e, ok := epochs.Load(ctx, id)
	if !ok {
		return e, notFound("epoch", id)
	}
	return e, nil
}

// ReportMsg records one attestation's uptime in an epoch.
type ReportMsg struct {
	Epoch       uint64 `json:"epoch"`
	Attestation Hash   `json:"attestation"`
}

// ReportResponse is the uptime a report credited (capped at the epoch's
// length) and the device's total.
type ReportResponse struct {
	Credited uint64 `json:"credited"`
	Uptime   uint64 `json:"uptime"`
}

// rewardsReport counts an attestation's uptime for its device; anyone
// may report, each attestation once per epoch, until claims open.
func rewardsReport(ctx *sdk.Context, m ReportMsg) (ReportResponse, error) {
	e, err := loadEpoch(ctx, m.Epoch)
	if err != nil {
		return ReportResponse{}, err
	}
	if ctx.Block().Time >= e.ClaimFrom {
		return ReportResponse{}, errors.New("reports for epoch " + u64(m.Epoch) + " closed at block time " + u64(e.ClaimFrom))
	}
	rkey := epochKey(m.Epoch, m.Attestation[:])
	if reported.Has(ctx, rkey) {
		return ReportResponse{}, errors.New("attestation " + m.Attestation.String() + " is already reported in epoch " + u64(m.Epoch))
	}
	a, ok := ctx.Attestation(m.Attestation)
	if !ok {
		return ReportResponse{}, errors.New("no accepted attestation " + m.Attestation.String())
	}
	skey := shareKey(m.Epoch, a.Device)
	s, ok := shares.Load(ctx, skey)
	switch {
	case !ok:
		return ReportResponse{}, errNotInEpoch(a.Device, m.Epoch)
	case a.Kind != e.Kind:
		return ReportResponse{}, errors.New("the attestation is of kind " + a.Kind + ", not " + e.Kind)
	case a.Time < e.Start || a.Time >= e.End:
		return ReportResponse{}, errors.New("the attestation's time " + u64(a.Time) + " is outside the epoch's window [" +
			u64(e.Start) + ", " + u64(e.End) + ")")
	case a.Seq < e.StartSeq:
		return ReportResponse{}, errors.New("the attestation's seq " + u64(a.Seq) + " is below the epoch's start_seq " + u64(e.StartSeq))
	}
	if dev, ok := ctx.Device(a.Device); !ok || dev.Revoked {
		return ReportResponse{}, errors.New("device " + a.Device.String() + " is revoked")
	}
	uptime, err := parseUptime(a.Payload)
	if err != nil {
		return ReportResponse{}, err
	}
	credited := min(uptime, e.MaxUptime-s.Uptime)
	if credited == 0 {
		return ReportResponse{}, errors.New("device " + a.Device.String() + " already has the epoch's maximum uptime")
	}
	s.Uptime += credited
	s.Reports++
	e.TotalUptime += credited
	shares.Save(ctx, skey, s)
	epochs.Save(ctx, m.Epoch, e)
	reported.Save(ctx, rkey, true)
	ctx.Emit("rewards_report", sdk.Attr("epoch", u64(m.Epoch)), sdk.Attr("device", a.Device.String()),
		sdk.Attr("attestation", m.Attestation.String()), sdk.Attr("uptime", u64(uptime)),
		sdk.Attr("credited", u64(credited)))
	return ReportResponse{Credited: credited, Uptime: s.Uptime}, nil
}

// shareOf is ⌊pool × uptime / total⌋, 0 when nothing was reported.
func shareOf(e *Epoch, uptime uint64) sdk.Amount {
	if e.TotalUptime == 0 {
		return sdk.Amount{}
	}
	return e.Pool.Mul(sdk.NewAmount(uptime)).Div(sdk.NewAmount(e.TotalUptime))
}

// ClaimMsg names a device of an epoch.
type ClaimMsg struct {
	Epoch  uint64       `json:"epoch"`
	Device sdk.DeviceID `json:"device"`
}

// ClaimResponse is what a claim paid, and to whom.
type ClaimResponse struct {
	Owner  sdk.Address `json:"owner"`
	Amount sdk.Amount  `json:"amount"`
}

// rewardsClaim pays the device's owner its share; anyone may call it, once
// claims are open (the totals no longer change), once per device.
func rewardsClaim(ctx *sdk.Context, m ClaimMsg) (ClaimResponse, error) {
	e, err := loadEpoch(ctx, m.Epoch)
	if err != nil {
		return ClaimResponse{}, err
	}
	if ctx.Block().Time < e.ClaimFrom {
		return ClaimResponse{}, errors.New("claims for epoch " + u64(m.Epoch) + " open at block time " + u64(e.ClaimFrom))
	}
	key := shareKey(m.Epoch, m.Device)
	s, ok := shares.Load(ctx, key)
	switch {
	case !ok:
		return ClaimResponse{}, errNotInEpoch(m.Device, m.Epoch)
	case s.Claimed:
		return ClaimResponse{}, errors.New("device " + m.Device.String() + " has already claimed")
	}
	amount := shareOf(&e, s.Uptime)
	if amount.IsZero() {
		return ClaimResponse{}, errors.New("device " + m.Device.String() + " has nothing to claim")
	}
	dev, _ := ctx.Device(m.Device) // listed devices are registered; records are never removed
	s.Claimed, s.Paid = true, amount
	e.Claimed = e.Claimed.Add(amount)
	shares.Save(ctx, key, s)
	epochs.Save(ctx, m.Epoch, e)
	pay(ctx, rewardPart, dev.Owner, amount)
	ctx.Emit("rewards_claim", sdk.Attr("epoch", u64(m.Epoch)), sdk.Attr("device", m.Device.String()),
		sdk.Attr("owner", dev.Owner.String()), sdk.Attr("amount", amount.String()))
	return ClaimResponse{Owner: dev.Owner, Amount: amount}, nil
}

// EpochMsg names an epoch.
type EpochMsg struct {
	Epoch uint64 `json:"epoch"`
}

// dust is the part of the pool no device's share takes: the rounding
// remainders, or the whole pool if no uptime was reported.
func dust(ctx *sdk.Context, id uint64, e *Epoch) sdk.Amount {
	d := e.Pool
	for _, s := range shares.Scan(ctx, sdk.Scan[string]{Prefix: []byte(epochKey(id, nil))}) {
		d = d.Sub(shareOf(e, s.Uptime))
	}
	return d
}

// rewardsReclaim returns the dust to the funder, once claims are open;
// the funder only, once.
func rewardsReclaim(ctx *sdk.Context, m EpochMsg) (AmountResponse, error) {
	e, err := loadEpoch(ctx, m.Epoch)
	if err != nil {
		return AmountResponse{}, err
	}
	switch {
	case ctx.Caller() != e.Funder:
		return AmountResponse{}, errors.New("only the funder may reclaim")
	case ctx.Block().Time < e.ClaimFrom:
		return AmountResponse{}, errors.New("epoch " + u64(m.Epoch) + " can be reclaimed from block time " + u64(e.ClaimFrom))
	case e.ReclaimDone:
		return AmountResponse{}, errors.New("epoch " + u64(m.Epoch) + " is already reclaimed")
	}
	amount := dust(ctx, m.Epoch, &e)
	if amount.IsZero() {
		return AmountResponse{}, errors.New("epoch " + u64(m.Epoch) + " has no dust: the shares take the whole pool")
	}
	e.Reclaimed, e.ReclaimDone = amount, true
	epochs.Save(ctx, m.Epoch, e)
	pay(ctx, rewardPart, e.Funder, amount)
	ctx.Emit("rewards_reclaim", sdk.Attr("epoch", u64(m.Epoch)), sdk.Attr("to", e.Funder.String()),
		sdk.Attr("amount", amount.String()))
	return AmountResponse{Amount: amount}, nil
}
