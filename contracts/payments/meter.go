package main

import (
	"encoding/json"
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// MeterOpenMsg opens an agreement to pay Provider Price per unit of the
// cumulative readings Device attests under Kind, prepaid with the funds
// sent with the call.
type MeterOpenMsg struct {
	Provider sdk.Address  `json:"provider"`
	Device   sdk.DeviceID `json:"device"`
	Kind     string       `json:"kind"`
	Price    sdk.Amount   `json:"price"`
}

// readingPayload is a meter attestation's payload: {"reading": "12345"},
// the cumulative reading in units as a decimal string.
type readingPayload struct {
	Reading *sdk.Amount `json:"reading"`
}

func parseReading(payload []byte) (sdk.Amount, error) {
	var p readingPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Reading == nil {
		return sdk.Amount{}, errors.New(`the attestation's payload is not {"reading": "<decimal>"}`)
	}
	return *p.Reading, nil
}

func meterOpen(ctx *sdk.Context, m MeterOpenMsg) (IDResponse, error) {
	prepaid, err := funds(ctx)
	if err != nil {
		return IDResponse{}, err
	}
	consumer := ctx.Caller()
	switch {
	case m.Provider.IsZero():
		return IDResponse{}, errors.New("provider is required")
	case m.Provider == consumer:
		return IDResponse{}, errors.New("the provider cannot be the consumer")
	case m.Price.IsZero():
		return IDResponse{}, errors.New("price must be positive")
	}
	if err := checkKind(m.Kind); err != nil {
		return IDResponse{}, err
	}
	dev, ok := ctx.Device(m.Device)
	if !ok {
		return IDResponse{}, errors.New("device " + m.Device.String() + " is not registered")
	}
	if dev.Revoked {
		return IDResponse{}, errors.New("device " + m.Device.String() + " is revoked")
	}
	// The baseline: the meter's latest reading of the kind. Only what it
	// counts after that is billed.
	base, ok := ctx.LatestAttestation(m.Device, m.Kind)
	if !ok {
		return IDResponse{}, errors.New("device " + m.Device.String() + " has no " + m.Kind +
			" reading yet: it must attest one (the baseline) before an agreement opens")
	}
	reading, err := parseReading(base.Payload)
	if err != nil {
		return IDResponse{}, errors.New("the baseline reading: " + err.Error())
	}
	now := ctx.Block().Time
	mt := Meter{Consumer: consumer, Provider: m.Provider, Device: m.Device, Kind: m.Kind, Price: m.Price,
		Balance: prepaid, Reading: reading, Seq: base.Seq, Attestation: attestationID(ctx, &base),
		ReadingTime: base.Time, Opened: now}
	id := newEntry(ctx, func(t *Totals) *uint64 { return &t.Meters }, meterPart, prepaid)
	meters.Save(ctx, id, mt)
	ctx.Emit("meter_open", sdk.Attr("id", u64(id)), sdk.Attr("consumer", consumer.String()),
		sdk.Attr("provider", m.Provider.String()), sdk.Attr("device", m.Device.String()),
		sdk.Attr("kind", m.Kind), sdk.Attr("price", m.Price.String()), sdk.Attr("prepaid", prepaid.String()),
		sdk.Attr("baseline", reading.String()), sdk.Attr("baseline_seq", u64(base.Seq)))
	return IDResponse{ID: id}, nil
}

// openMeter loads an agreement that is not closed.
func openMeter(ctx *sdk.Context, id uint64) (Meter, error) {
	m, ok := meters.Load(ctx, id)
	if !ok {
		return m, notFound("meter agreement", id)
	}
	if m.Closed {
		return m, errors.New("meter agreement " + u64(id) + " is closed")
	}
	return m, nil
}

// TopupMsg names an agreement; the funds sent with it are the top-up.
type TopupMsg = IDMsg

// meterTopup adds the funds to the prepayment; the consumer only. An
// exhausted agreement's shortfall is paid to the provider first.
func meterTopup(ctx *sdk.Context, in TopupMsg) (sdk.None, error) {
	amount, err := funds(ctx)
	if err != nil {
		return sdk.None{}, err
	}
	m, err := openMeter(ctx, in.ID)
	if err != nil {
		return sdk.None{}, err
	}
	if ctx.Caller() != m.Consumer {
		return sdk.None{}, errors.New("only the consumer may top up")
	}
	debt := minAmount(amount, m.Shortfall)
	m.Shortfall = m.Shortfall.Sub(debt)
	m.Paid = m.Paid.Add(debt)
	m.Balance = m.Balance.Add(amount.Sub(debt))
	meters.Save(ctx, in.ID, m)
	// The part that pays the shortfall goes straight through.
	hold(ctx, meterPart, amount.Sub(debt))
	if !debt.IsZero() {
		ctx.Transfer(m.Provider, debt)
	}
	ctx.Emit("meter_topup", sdk.Attr("id", u64(in.ID)), sdk.Attr("amount", amount.String()),
		sdk.Attr("shortfall_paid", debt.String()), sdk.Attr("balance", m.Balance.String()),
		sdk.Attr("shortfall", m.Shortfall.String()))
	return sdk.None{}, nil
}

func minAmount(a, b sdk.Amount) sdk.Amount {
	if a.Cmp(b) < 0 {
		return a
	}
	return b
}

// SettleMsg bills an agreement for an accepted attestation of its meter.
type SettleMsg struct {
	ID          uint64 `json:"id"`
	Attestation Hash   `json:"attestation"`
}

// SettleResponse is what a settle billed.
type SettleResponse struct {
	Units sdk.Amount `json:"units"`
	Bill  sdk.Amount `json:"bill"`
	// Paid is the part of the bill the prepayment covered; the rest went
	// to the shortfall.
	Paid      sdk.Amount `json:"paid"`
	Exhausted bool       `json:"exhausted"`
}

func meterSettle(ctx *sdk.Context, in SettleMsg) (SettleResponse, error) {
	if err := takesNoFunds(ctx); err != nil {
		return SettleResponse{}, err
	}
	m, err := openMeter(ctx, in.ID)
	if err != nil {
		return SettleResponse{}, err
	}
	a, ok := ctx.Attestation(in.Attestation)
	if !ok {
		return SettleResponse{}, errors.New("no accepted attestation " + in.Attestation.String())
	}
	return settle(ctx, in.ID, &m, in.Attestation, &a)
}

// settle bills m for attestation a (id aid): it checks everything before
// it writes anything, so a refusal changes nothing.
func settle(ctx *sdk.Context, id uint64, m *Meter, aid Hash, a *sdk.Attestation) (SettleResponse, error) {
	switch {
	case a.Device != m.Device:
		return SettleResponse{}, errors.New("the attestation is not from the agreement's device")
	case a.Kind != m.Kind:
		return SettleResponse{}, errors.New("the attestation is of kind " + a.Kind + ", not " + m.Kind)
	case a.Seq <= m.Seq:
		return SettleResponse{}, errors.New("the attestation's seq " + u64(a.Seq) + " is not above the last settled " + u64(m.Seq))
	}
	reading, err := parseReading(a.Payload)
	if err != nil {
		return SettleResponse{}, err
	}
	if reading.Cmp(m.Reading) <= 0 {
		return SettleResponse{}, errors.New("the reading " + reading.String() + " is not above the last settled " + m.Reading.String())
	}
	units := reading.Sub(m.Reading)
	if !mulFits(units, m.Price) {
		return SettleResponse{}, errors.New("the bill overflows")
	}
	bill := units.Mul(m.Price)
	paid := minAmount(bill, m.Balance)
	wasExhausted := !m.Shortfall.IsZero()
	m.Balance = m.Balance.Sub(paid)
	m.Paid = m.Paid.Add(paid)
	m.Shortfall = m.Shortfall.Add(bill.Sub(paid))
	m.Reading, m.Seq, m.Attestation, m.ReadingTime = reading, a.Seq, aid, a.Time
	meters.Save(ctx, id, *m)
	pay(ctx, meterPart, m.Provider, paid)
	exhausted := !m.Shortfall.IsZero()
	ctx.Emit("meter_settle", sdk.Attr("id", u64(id)), sdk.Attr("attestation", aid.String()),
		sdk.Attr("seq", u64(a.Seq)), sdk.Attr("reading", reading.String()), sdk.Attr("units", units.String()),
		sdk.Attr("bill", bill.String()), sdk.Attr("paid", paid.String()), sdk.Attr("balance", m.Balance.String()))
	if exhausted && !wasExhausted {
		ctx.Emit("meter_exhausted", sdk.Attr("id", u64(id)), sdk.Attr("shortfall", m.Shortfall.String()))
	}
	return SettleResponse{Units: units, Bill: bill, Paid: paid, Exhausted: exhausted}, nil
}

// CloseResponse is what a close settled and refunded.
type CloseResponse struct {
	// Settled is the final settle of the meter's latest reading, if there
	// was one to bill.
	Settled *SettleResponse `json:"settled"`
	Refund  sdk.Amount      `json:"refund"`
}

// meterClose ends the agreement, the consumer or the provider: it first
// settles the meter's latest reading of the kind if it is newer than the
// last settled one (and billable), then refunds the prepayment left to
// the consumer.
func meterClose(ctx *sdk.Context, in IDMsg) (CloseResponse, error) {
	if err := takesNoFunds(ctx); err != nil {
		return CloseResponse{}, err
	}
	m, err := openMeter(ctx, in.ID)
	if err != nil {
		return CloseResponse{}, err
	}
	by := ctx.Caller()
	if by != m.Consumer && by != m.Provider {
		return CloseResponse{}, errors.New("only the consumer or the provider may close")
	}
	var out CloseResponse
	if a, ok := ctx.LatestAttestation(m.Device, m.Kind); ok && a.Seq > m.Seq {
		// A reading that cannot be billed (malformed, not above the last)
		// is skipped: it would be refused by meter_settle too.
		if r, err := settle(ctx, in.ID, &m, attestationID(ctx, &a), &a); err == nil {
			out.Settled = &r
		}
	}
	out.Refund = m.Balance
	m.Balance = sdk.Amount{}
	m.Closed = true
	meters.Save(ctx, in.ID, m)
	pay(ctx, meterPart, m.Consumer, out.Refund)
	ctx.Emit("meter_close", sdk.Attr("id", u64(in.ID)), sdk.Attr("by", by.String()),
		sdk.Attr("refund", out.Refund.String()), sdk.Attr("shortfall", m.Shortfall.String()))
	return out, nil
}

// attestationID is a's id as the chain names it (sdk.Context.AttestationID).
func attestationID(ctx *sdk.Context, a *sdk.Attestation) Hash { return Hash(ctx.AttestationID(a)) }
