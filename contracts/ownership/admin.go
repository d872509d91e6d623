package main

import (
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

func onlyAdmin(ctx *sdk.Context, cfg *Config) error {
	if cfg.Admin == nil || *cfg.Admin != ctx.Caller() {
		return errors.New("only the admin may do this")
	}
	return nil
}

// RestrictMsg turns the allow-list on or off.
type RestrictMsg struct {
	Restricted bool `json:"restricted"`
}

func setRestricted(ctx *sdk.Context, m RestrictMsg) (sdk.None, error) {
	cfg := config.Get(ctx)
	if err := onlyAdmin(ctx, &cfg); err != nil {
		return sdk.None{}, err
	}
	cfg.Restricted = m.Restricted
	config.Save(ctx, cfg)
	ctx.Emit("restrict", sdk.Attr("restricted", strconv.FormatBool(m.Restricted)))
	return sdk.None{}, nil
}

// FlagMsg sets a flag of one address: on the allow-list, or frozen.
type FlagMsg struct {
	Address sdk.Address `json:"address"`
	Value   bool        `json:"value"`
}

func flagSetter(m sdk.Map[sdk.Address, bool], event string) func(*sdk.Context, FlagMsg) (sdk.None, error) {
	return func(ctx *sdk.Context, f FlagMsg) (sdk.None, error) {
		cfg := config.Get(ctx)
		if err := onlyAdmin(ctx, &cfg); err != nil {
			return sdk.None{}, err
		}
		if f.Value {
			m.Save(ctx, f.Address, true)
		} else {
			m.Remove(ctx, f.Address)
		}
		ctx.Emit(event, sdk.Attr("address", f.Address.String()), sdk.Attr("value", strconv.FormatBool(f.Value)))
		return sdk.None{}, nil
	}
}

// AdminMsg hands the admin role on; a null admin renounces it for good.
type AdminMsg struct {
	Admin *sdk.Address `json:"admin"`
}

func updateAdmin(ctx *sdk.Context, m AdminMsg) (sdk.None, error) {
	cfg := config.Get(ctx)
	if err := onlyAdmin(ctx, &cfg); err != nil {
		return sdk.None{}, err
	}
	cfg.Admin = m.Admin
	config.Save(ctx, cfg)
	to := "none"
	if m.Admin != nil {
		to = m.Admin.String()
	}
	ctx.Emit("admin", sdk.Attr("admin", to))
	return sdk.None{}, nil
}
