package main

import (
	"errors"
	"math"
	"strings"

	"github.com/plinthchain/plinth/contracts/sdk"
)

const (
	maxName    = 64
	maxDevices = 16
	// maxDuration bounds intervals, grace and dispute windows (ten years
	// of ms), so that block time + any of them never overflows.
	maxDuration = 10 * 365 * 24 * 60 * 60 * 1000
)

func checkName(what, s string) error {
	if s == "" || len(s) > maxName {
		return errors.New(what + ": 1 to 64 bytes")
	}
	return nil
}

func checkDuration(what string, v uint64) error {
	if v == 0 || v > maxDuration {
		return errors.New(what + ": 1 ms to 10 years")
	}
	return nil
}

// IDResponse is the id of what was created.
type IDResponse struct {
	ID uint64 `json:"id"`
}

// AssetMsg registers an asset.
type AssetMsg struct {
	Name    string         `json:"name"`
	Devices []sdk.DeviceID `json:"devices"`
}

func registerAsset(ctx *sdk.Context, m AssetMsg) (IDResponse, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return IDResponse{}, err
	}
	if err := checkName("name", m.Name); err != nil {
		return IDResponse{}, err
	}
	if len(m.Devices) == 0 || len(m.Devices) > maxDevices {
		return IDResponse{}, errors.New("devices: 1 to 16")
	}
	names := make([]string, len(m.Devices))
	for i, d := range m.Devices {
		for _, e := range m.Devices[:i] {
			if e == d {
				return IDResponse{}, errors.New("device " + d.String() + " is listed twice")
			}
		}
		dev, ok := ctx.Device(d)
		if !ok {
			return IDResponse{}, errors.New("device " + d.String() + " is not registered")
		}
		if dev.Revoked {
			return IDResponse{}, errors.New("device " + d.String() + " is revoked")
		}
		names[i] = d.String()
	}
	c := counters.Get(ctx)
	c.Assets++
	counters.Save(ctx, c)
	assets.Save(ctx, c.Assets, Asset{ID: c.Assets, Name: m.Name, Devices: m.Devices, Created: ctx.Block().Time})
	ctx.Emit("asset", sdk.Attr("asset", u(c.Assets)), sdk.Attr("name", m.Name), sdk.Attr("devices", strings.Join(names, ",")))
	return IDResponse{ID: c.Assets}, nil
}

func loadAsset(ctx *sdk.Context, id uint64) (Asset, error) {
	a, ok := assets.Load(ctx, id)
	if !ok {
		return a, errors.New("asset " + u(id) + " does not exist")
	}
	return a, nil
}

func (a *Asset) has(d sdk.DeviceID) bool {
	for _, e := range a.Devices {
		if e == d {
			return true
		}
	}
	return false
}

func loadTemplate(ctx *sdk.Context, id uint64) (Template, error) {
	t, ok := templates.Load(ctx, id)
	if !ok {
		return t, errors.New("template " + u(id) + " does not exist")
	}
	return t, nil
}

func (s *TemplateSpec) check(ctx *sdk.Context) error {
	a, err := loadAsset(ctx, s.Asset)
	if err != nil {
		return err
	}
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	switch {
	case (s.Interval == 0) == (s.Usage == nil):
		return errors.New("give either interval (ms) or usage, not both")
	case s.Usage == nil:
		if err := checkDuration("interval", s.Interval); err != nil {
			return err
		}
	default:
		us := s.Usage
		if !a.has(us.Device) {
			return errors.New("usage device " + us.Device.String() + " is not one of asset " + u(a.ID) + "'s devices")
		}
		if err := checkName("usage kind", us.Kind); err != nil {
			return err
		}
		if err := checkName("usage field", us.Field); err != nil {
			return err
		}
		if us.Every == 0 {
			return errors.New("usage every: must be positive")
		}
		if us.Start > math.MaxUint64-us.Every {
			return errors.New("usage start + every overflows")
		}
	}
	if err := checkDuration("grace", s.Grace); err != nil {
		return err
	}
	if err := checkDuration("dispute_window", s.DisputeWindow); err != nil {
		return err
	}
	if s.Reward.IsZero() {
		return errors.New("reward: must be positive")
	}
	if s.Bond.IsZero() {
		return errors.New("bond: must be positive")
	}
	if err := checkName("proof_kind", s.ProofKind); err != nil {
		return err
	}
	if s.Inspector != nil && s.Inspector.IsZero() {
		return errors.New("inspector: not the zero address")
	}
	return nil
}

// addTemplate adds a task template to an asset; the funds sent are its
// first escrow.
func addTemplate(ctx *sdk.Context, m TemplateSpec) (IDResponse, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return IDResponse{}, err
	}
	if err := m.check(ctx); err != nil {
		return IDResponse{}, err
	}
	c := counters.Get(ctx)
	c.Templates++
	counters.Save(ctx, c)
	t := Template{ID: c.Templates, TemplateSpec: m, Active: true, LastOpened: ctx.Block().Time}
	trigger := "time"
	if m.Usage != nil {
		trigger = "usage"
		t.LastCounter, t.NextThreshold = m.Usage.Start, m.Usage.Start+m.Usage.Every
	}
	templates.Save(ctx, t.ID, t)
	assetTemplates.Save(ctx, string(be64(be64(nil, m.Asset), t.ID)), true)
	ctx.Emit("template", sdk.Attr("template", u(t.ID)), sdk.Attr("asset", u(m.Asset)), sdk.Attr("name", m.Name),
		sdk.Attr("trigger", trigger), sdk.Attr("reward", m.Reward.String()), sdk.Attr("bond", m.Bond.String()))
	if funds := ctx.Funds(); !funds.IsZero() {
		fund(ctx, &t, funds)
	}
	return IDResponse{ID: t.ID}, nil
}

// fund adds amount (sent with the call) to t's escrow.
func fund(ctx *sdk.Context, t *Template, amount sdk.Amount) {
	t.Escrow = t.Escrow.Add(amount)
	templates.Save(ctx, t.ID, *t)
	tot := totals.Get(ctx)
	tot.Escrow = tot.Escrow.Add(amount)
	totals.Save(ctx, tot)
	ctx.Emit("fund", sdk.Attr("template", u(t.ID)), sdk.Attr("amount", amount.String()), sdk.Attr("escrow", t.Escrow.String()))
}

// TemplateMsg names a template.
type TemplateMsg struct {
	Template uint64 `json:"template"`
}

func fundTemplate(ctx *sdk.Context, m TemplateMsg) (sdk.None, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return sdk.None{}, err
	}
	t, err := loadTemplate(ctx, m.Template)
	if err != nil {
		return sdk.None{}, err
	}
	funds := ctx.Funds()
	if funds.IsZero() {
		return sdk.None{}, errors.New("send the rewards as funds with the call")
	}
	fund(ctx, &t, funds)
	return sdk.None{}, nil
}

// DefundMsg takes unreserved escrow back out of a template.
type DefundMsg struct {
	Template uint64     `json:"template"`
	Amount   sdk.Amount `json:"amount"`
}

// defundTemplate pays a template's unreserved escrow back to the admin;
// what open tasks reserved stays.
func defundTemplate(ctx *sdk.Context, m DefundMsg) (sdk.None, error) {
	cfg, err := onlyAdmin(ctx)
	if err != nil {
		return sdk.None{}, err
	}
	t, err := loadTemplate(ctx, m.Template)
	if err != nil {
		return sdk.None{}, err
	}
	if m.Amount.IsZero() {
		return sdk.None{}, errZero
	}
	if t.Escrow.Cmp(m.Amount) < 0 {
		return sdk.None{}, errors.New("template " + u(t.ID) + "'s unreserved escrow is only " + t.Escrow.String())
	}
	t.Escrow = t.Escrow.Sub(m.Amount)
	templates.Save(ctx, t.ID, t)
	tot := totals.Get(ctx)
	tot.Escrow = tot.Escrow.Sub(m.Amount)
	totals.Save(ctx, tot)
	ctx.Transfer(cfg.Admin, m.Amount)
	ctx.Emit("defund", sdk.Attr("template", u(t.ID)), sdk.Attr("amount", m.Amount.String()), sdk.Attr("escrow", t.Escrow.String()))
	return sdk.None{}, nil
}

// ActiveMsg turns a template on or off.
type ActiveMsg struct {
	Template uint64 `json:"template"`
	Active   bool   `json:"active"`
}

// setTemplateActive stops (or resumes) a template opening tasks; tasks
// already open carry on.
func setTemplateActive(ctx *sdk.Context, m ActiveMsg) (sdk.None, error) {
	if _, err := onlyAdmin(ctx); err != nil {
		return sdk.None{}, err
	}
	t, err := loadTemplate(ctx, m.Template)
	if err != nil {
		return sdk.None{}, err
	}
	t.Active = m.Active
	templates.Save(ctx, t.ID, t)
	active := "false"
	if m.Active {
		active = "true"
	}
	ctx.Emit("template_active", sdk.Attr("template", u(t.ID)), sdk.Attr("active", active))
	return sdk.None{}, nil
}
