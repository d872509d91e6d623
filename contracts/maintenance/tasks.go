package main

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

const maxReason = 256

func loadTask(ctx *sdk.Context, id uint64) (Task, error) {
	t, ok := tasks.Load(ctx, id)
	if !ok {
		return t, errors.New("task " + u(id) + " does not exist")
	}
	return t, nil
}

func notStatus(t *Task, want string) error {
	return errors.New("task " + u(t.ID) + " is not " + want + " (it is " + t.Status + ")")
}

// openTask opens a task of tpl now, reserving its reward out of the
// template's escrow; counter and reading are the usage reading that
// opened it, if any.
func openTask(ctx *sdk.Context, tpl *Template, counter uint64, reading *AttestationID) (IDResponse, error) {
	if !tpl.Active {
		return IDResponse{}, errors.New("template " + u(tpl.ID) + " is not active")
	}
	if tpl.Escrow.Cmp(tpl.Reward) < 0 {
		return IDResponse{}, errors.New("template " + u(tpl.ID) + "'s escrow " + tpl.Escrow.String() +
			" does not cover its reward " + tpl.Reward.String() + ": fund it first")
	}
	now := ctx.Block().Time
	c := counters.Get(ctx)
	c.Tasks++
	counters.Save(ctx, c)
	tpl.Escrow = tpl.Escrow.Sub(tpl.Reward) // still in Totals.Escrow: reserved
	tpl.LastOpened = now
	tpl.Opened++
	templates.Save(ctx, tpl.ID, *tpl)
	t := Task{ID: c.Tasks, Template: tpl.ID, Asset: tpl.Asset, Status: statusOpen, Reward: tpl.Reward, Bond: tpl.Bond,
		Grace: tpl.Grace, DisputeWindow: tpl.DisputeWindow, ProofKind: tpl.ProofKind, Inspector: tpl.Inspector,
		Opened: now, Due: now, Deadline: now + tpl.Grace, Counter: counter, Reading: reading}
	saveTask(ctx, &t, nil)
	attrs := []sdk.Attribute{sdk.Attr("task", u(t.ID)), sdk.Attr("template", u(tpl.ID)), sdk.Attr("asset", u(t.Asset)),
		sdk.Attr("reward", t.Reward.String()), sdk.Attr("bond", t.Bond.String()), sdk.Attr("deadline", u(t.Deadline))}
	if reading != nil {
		attrs = append(attrs, sdk.Attr("counter", u(counter)), sdk.Attr("attestation", reading.String()))
	}
	ctx.Emit("open", attrs...)
	return IDResponse{ID: t.ID}, nil
}

// openDue opens the next task of a time-based template, once Interval
// has passed since its last task opened. Anyone may call it.
func openDue(ctx *sdk.Context, m TemplateMsg) (IDResponse, error) {
	tpl, err := loadTemplate(ctx, m.Template)
	if err != nil {
		return IDResponse{}, err
	}
	if tpl.Usage != nil {
		return IDResponse{}, errors.New("template " + u(tpl.ID) + " falls due by usage: use report_usage")
	}
	if due := tpl.LastOpened + tpl.Interval; ctx.Block().Time < due {
		return IDResponse{}, errors.New("template " + u(tpl.ID) + " is not due until " + u(due))
	}
	return openTask(ctx, &tpl, 0, nil)
}

// AttestationMsg names a template or task and an attestation.
type AttestationMsg struct {
	Template    uint64        `json:"template,omitempty"`
	Task        uint64        `json:"task,omitempty"`
	Attestation AttestationID `json:"attestation"`
}

// attestation loads an accepted attestation that has not been used yet,
// from a device that is not revoked.
func attestation(ctx *sdk.Context, id AttestationID) (sdk.Attestation, error) {
	if task, ok := used.Load(ctx, id); ok {
		return sdk.Attestation{}, errors.New("attestation " + id.String() + " was already used (task " + u(task) + ")")
	}
	a, ok := ctx.Attestation(id)
	if !ok {
		return a, errors.New("attestation " + id.String() + " is not on chain (submit it first)")
	}
	if d, ok := ctx.Device(a.Device); !ok || d.Revoked {
		return a, errors.New("device " + a.Device.String() + " is revoked")
	}
	return a, nil
}

// readCounter reads the usage counter from a payload {"field": "decimal"}.
func readCounter(payload []byte, field string) (uint64, error) {
	bad := errors.New("payload: want a JSON object with " + strconv.Quote(field) + " a decimal string")
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return 0, bad
	}
	var s string
	if raw, ok := obj[field]; !ok || json.Unmarshal(raw, &s) != nil {
		return 0, bad
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, bad
	}
	return v, nil
}

// reportUsage opens the next task of a usage-based template with the
// template device's attestation showing the counter reached the next
// threshold. Anyone may call it.
func reportUsage(ctx *sdk.Context, m AttestationMsg) (IDResponse, error) {
	tpl, err := loadTemplate(ctx, m.Template)
	if err != nil {
		return IDResponse{}, err
	}
	us := tpl.Usage
	if us == nil {
		return IDResponse{}, errors.New("template " + u(tpl.ID) + " falls due by time: use open_due")
	}
	a, err := attestation(ctx, m.Attestation)
	if err != nil {
		return IDResponse{}, err
	}
	if a.Device != us.Device {
		return IDResponse{}, errors.New("attestation " + m.Attestation.String() + " is from device " + a.Device.String() +
			", not the template's usage device " + us.Device.String())
	}
	if a.Kind != us.Kind {
		return IDResponse{}, errors.New("attestation " + m.Attestation.String() + " is of kind " + strconv.Quote(a.Kind) +
			", not " + strconv.Quote(us.Kind))
	}
	counter, err := readCounter(a.Payload, us.Field)
	if err != nil {
		return IDResponse{}, errors.New("attestation " + m.Attestation.String() + ": " + err.Error())
	}
	if counter <= tpl.LastCounter {
		return IDResponse{}, errors.New("counter " + u(counter) + " does not exceed the last reported " + u(tpl.LastCounter))
	}
	if counter < tpl.NextThreshold {
		return IDResponse{}, errors.New("counter " + u(counter) + " has not reached the next threshold " + u(tpl.NextThreshold))
	}
	// The next threshold is the first of Start + k×Every above counter:
	// a reading that skipped thresholds opens one task.
	tpl.LastCounter = counter
	if k := (counter-tpl.NextThreshold)/us.Every + 1; k > (math.MaxUint64-tpl.NextThreshold)/us.Every {
		tpl.NextThreshold = math.MaxUint64
	} else {
		tpl.NextThreshold += k * us.Every
	}
	id := m.Attestation
	r, err := openTask(ctx, &tpl, counter, &id)
	if err != nil {
		return r, err
	}
	used.Save(ctx, id, r.ID)
	return r, nil
}

// TaskMsg names a task.
type TaskMsg struct {
	Task uint64 `json:"task"`
}

// cancelTask withdraws an unclaimed task: its reward returns to the
// template's escrow. The admin only.
func cancelTask(ctx *sdk.Context, m TaskMsg) (sdk.None, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return sdk.None{}, err
	}
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Status != statusOpen {
		return sdk.None{}, notStatus(&t, statusOpen)
	}
	tpl, err := loadTemplate(ctx, t.Template)
	if err != nil {
		return sdk.None{}, err
	}
	tpl.Escrow = tpl.Escrow.Add(t.Reward)
	templates.Save(ctx, tpl.ID, tpl)
	before := indexKeys(&t)
	t.Status = statusCancelled
	saveTask(ctx, &t, before)
	ctx.Emit("cancel", sdk.Attr("task", u(t.ID)), sdk.Attr("refund", t.Reward.String()), sdk.Attr("escrow", tpl.Escrow.String()))
	return sdk.None{}, nil
}

// completeTask records the operator's proof: an accepted attestation of
// the template's proof kind from one of the asset's devices, made after
// the task fell due, given by the deadline.
func completeTask(ctx *sdk.Context, m AttestationMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Status != statusClaimed {
		return sdk.None{}, notStatus(&t, statusClaimed)
	}
	if *t.Operator != ctx.Caller() {
		return sdk.None{}, errors.New("only task " + u(t.ID) + "'s operator may complete it")
	}
	if t.Proof != nil {
		return sdk.None{}, errors.New("task " + u(t.ID) + " already has its proof")
	}
	now := ctx.Block().Time
	if now > t.Deadline {
		return sdk.None{}, errors.New("task " + u(t.ID) + "'s deadline " + u(t.Deadline) + " has passed")
	}
	asset, err := loadAsset(ctx, t.Asset)
	if err != nil {
		return sdk.None{}, err
	}
	a, err := attestation(ctx, m.Attestation)
	if err != nil {
		return sdk.None{}, err
	}
	if !asset.has(a.Device) {
		return sdk.None{}, errors.New("device " + a.Device.String() + " is not one of asset " + u(asset.ID) + "'s devices")
	}
	if a.Kind != t.ProofKind {
		return sdk.None{}, errors.New("attestation " + m.Attestation.String() + " is of kind " + strconv.Quote(a.Kind) +
			", not the proof kind " + strconv.Quote(t.ProofKind))
	}
	if a.Time <= t.Due {
		return sdk.None{}, errors.New("attestation " + m.Attestation.String() + " was made at " + u(a.Time) +
			", not after task " + u(t.ID) + " fell due at " + u(t.Due))
	}
	used.Save(ctx, m.Attestation, t.ID)
	before := indexKeys(&t)
	id := m.Attestation
	t.Proof = &id
	ctx.Emit("proof", sdk.Attr("task", u(t.ID)), sdk.Attr("operator", t.Operator.String()),
		sdk.Attr("attestation", id.String()), sdk.Attr("device", a.Device.String()))
	if t.Inspector == nil || t.Inspected {
		startReview(ctx, &t)
	}
	saveTask(ctx, &t, before)
	return sdk.None{}, nil
}

// startReview moves a proven (and inspected) task into its dispute window.
func startReview(ctx *sdk.Context, t *Task) {
	t.Status = statusReview
	t.ReviewEnds = ctx.Block().Time + t.DisputeWindow
	ctx.Emit("review", sdk.Attr("task", u(t.ID)), sdk.Attr("ends", u(t.ReviewEnds)))
}

// inspectTask is the inspector's approval of a claimed task, before or
// after its proof.
func inspectTask(ctx *sdk.Context, m TaskMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Inspector == nil {
		return sdk.None{}, errors.New("task " + u(t.ID) + " needs no inspection")
	}
	if *t.Inspector != ctx.Caller() {
		return sdk.None{}, errors.New("only the inspector " + t.Inspector.String() + " may inspect task " + u(t.ID))
	}
	if t.Status != statusClaimed {
		return sdk.None{}, notStatus(&t, statusClaimed)
	}
	if t.Inspected {
		return sdk.None{}, errors.New("task " + u(t.ID) + " is already inspected")
	}
	before := indexKeys(&t)
	t.Inspected = true
	ctx.Emit("inspect", sdk.Attr("task", u(t.ID)), sdk.Attr("inspector", t.Inspector.String()))
	if t.Proof != nil {
		startReview(ctx, &t)
	}
	saveTask(ctx, &t, before)
	return sdk.None{}, nil
}

// finalizeTask pays a task whose dispute window has passed: the reward
// to the operator, the bond back to the operator's free bond. Anyone may
// call it.
func finalizeTask(ctx *sdk.Context, m TaskMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Status != statusReview {
		return sdk.None{}, notStatus(&t, "in review")
	}
	if ctx.Block().Time < t.ReviewEnds {
		return sdk.None{}, errors.New("task " + u(t.ID) + "'s dispute window ends at " + u(t.ReviewEnds))
	}
	op := *t.Operator
	o := operators.Get(ctx, op)
	o.Locked = o.Locked.Sub(t.Bond)
	o.Bond = o.Bond.Add(t.Bond)
	o.Done++
	operators.Save(ctx, op, o)
	tot := totals.Get(ctx)
	tot.Escrow = tot.Escrow.Sub(t.Reward)
	totals.Save(ctx, tot)
	before := indexKeys(&t)
	t.Status = statusDone
	t.Finalized = ctx.Block().Time
	saveTask(ctx, &t, before)
	ctx.Transfer(op, t.Reward)
	ctx.Emit("finalize", sdk.Attr("task", u(t.ID)), sdk.Attr("operator", op.String()),
		sdk.Attr("reward", t.Reward.String()), sdk.Attr("bond", t.Bond.String()))
	return sdk.None{}, nil
}

// slash moves the operator's locked bond to the treasury and reopens the
// task for another operator, due now; the reward stays reserved.
func slash(ctx *sdk.Context, t *Task) (sdk.Address, sdk.Amount) {
	op := *t.Operator
	o := operators.Get(ctx, op)
	o.Locked = o.Locked.Sub(t.Bond)
	o.Slashed = o.Slashed.Add(t.Bond)
	operators.Save(ctx, op, o)
	operatorTasks.Remove(ctx, operatorTaskKey(op, t.ID))
	tot := totals.Get(ctx)
	tot.Bonds = tot.Bonds.Sub(t.Bond)
	tot.Treasury = tot.Treasury.Add(t.Bond)
	totals.Save(ctx, tot)
	before := indexKeys(t)
	now := ctx.Block().Time
	t.Status, t.Operator, t.Proof, t.Inspected, t.ReviewEnds = statusOpen, nil, nil, false, 0
	t.Due, t.Deadline = now, now+t.Grace
	t.Slashes++
	saveTask(ctx, t, before)
	return op, t.Bond
}

func emitReopen(ctx *sdk.Context, t *Task) {
	ctx.Emit("reopen", sdk.Attr("task", u(t.ID)), sdk.Attr("deadline", u(t.Deadline)))
}

// DisputeMsg disputes a task's proof.
type DisputeMsg struct {
	Task   uint64 `json:"task"`
	Reason string `json:"reason"`
}

// disputeTask rejects a proof, in the dispute window or while it waits
// for inspection: the bond is slashed to the treasury and the task
// reopens. The admin or the template's inspector only.
func disputeTask(ctx *sdk.Context, m DisputeMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	by := ctx.Caller()
	if by != config.Get(ctx).Admin && (t.Inspector == nil || *t.Inspector != by) {
		return sdk.None{}, errors.New("only the admin or task " + u(t.ID) + "'s inspector may dispute it")
	}
	if m.Reason == "" || len(m.Reason) > maxReason {
		return sdk.None{}, errors.New("reason: 1 to 256 bytes")
	}
	switch {
	case t.Status == statusReview && ctx.Block().Time >= t.ReviewEnds:
		return sdk.None{}, errors.New("task " + u(t.ID) + "'s dispute window closed at " + u(t.ReviewEnds))
	case t.Status == statusClaimed && t.Proof == nil:
		return sdk.None{}, errors.New("task " + u(t.ID) + " has no proof to dispute (slash_overdue handles missed deadlines)")
	case t.Status != statusReview && t.Status != statusClaimed:
		return sdk.None{}, errors.New("task " + u(t.ID) + " has nothing to dispute (it is " + t.Status + ")")
	}
	op, amount := slash(ctx, &t)
	ctx.Emit("dispute", sdk.Attr("task", u(t.ID)), sdk.Attr("by", by.String()), sdk.Attr("reason", m.Reason),
		sdk.Attr("operator", op.String()), sdk.Attr("slashed", amount.String()))
	emitReopen(ctx, &t)
	return sdk.None{}, nil
}

// slashOverdue slashes the bond of a claimed task past its deadline
// without proof and reopens it. Anyone may call it.
func slashOverdue(ctx *sdk.Context, m TaskMsg) (sdk.None, error) {
	t, err := loadTask(ctx, m.Task)
	if err != nil {
		return sdk.None{}, err
	}
	if t.Status != statusClaimed {
		return sdk.None{}, notStatus(&t, statusClaimed)
	}
	if t.Proof != nil {
		return sdk.None{}, errors.New("task " + u(t.ID) + " has its proof: it is not overdue")
	}
	if ctx.Block().Time <= t.Deadline {
		return sdk.None{}, errors.New("task " + u(t.ID) + " is not overdue until after " + u(t.Deadline))
	}
	op, amount := slash(ctx, &t)
	ctx.Emit("slash", sdk.Attr("task", u(t.ID)), sdk.Attr("operator", op.String()), sdk.Attr("slashed", amount.String()))
	emitReopen(ctx, &t)
	return sdk.None{}, nil
}
