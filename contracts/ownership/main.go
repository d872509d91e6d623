// Ownership splits one physical asset — a solar array, a hotspot, a
// charger — into shares that earn its revenue (README.md lists the
// messages). Shares move like a token (transfer, allowances with expiry,
// send to a contract with a receiver hook); revenue deposited in the
// native token is distributed pro rata at O(1) cost per deposit and per
// claim, exactly, however shares move in between; balances are
// checkpointed per block so that governance can weigh a vote by the
// shares held at a past height; an admin may restrict holding to an
// allow-list and freeze addresses.
package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Grant is an initial holding.
type Grant struct {
	Address sdk.Address `json:"address"`
	Amount  sdk.Amount  `json:"amount"`
}

// InitMsg creates the share class.
type InitMsg struct {
	Name   string `json:"name"`
	Symbol string `json:"symbol"`
	Asset  string `json:"asset"`
	// Holders get the initial supply.
	Holders []Grant `json:"holders"`
	// Cap, if set, lets the admin mint up to it; unset, the supply is
	// fixed at the initial one.
	Cap        *sdk.Amount   `json:"cap"`
	Admin      *sdk.Address  `json:"admin"`
	Restricted bool          `json:"restricted"`
	AllowList  []sdk.Address `json:"allow_list"`
}

func initialize(ctx *sdk.Context, m InitMsg) (sdk.None, error) {
	if m.Name == "" || len(m.Name) > 64 {
		return sdk.None{}, errors.New("name: 1 to 64 bytes")
	}
	if !validSymbol(m.Symbol) {
		return sdk.None{}, errors.New("symbol: 2 to 12 capital letters or digits")
	}
	cfg := Config{Name: m.Name, Symbol: m.Symbol, Asset: m.Asset, Admin: m.Admin, Restricted: m.Restricted}
	config.Save(ctx, cfg)
	for _, a := range m.AllowList {
		allowed.Save(ctx, a, true)
	}
	total := sdk.Amount{}
	for _, g := range m.Holders {
		if g.Amount.IsZero() {
			return sdk.None{}, errors.New("initial holding of " + g.Address.String() + ": " + errZero.Error())
		}
		if err := canHold(ctx, &cfg, g.Address); err != nil {
			return sdk.None{}, err
		}
		h := holders.Get(ctx, g.Address)
		h.Balance = h.Balance.Add(g.Amount)
		setBalance(ctx, g.Address, h)
		total = total.Add(g.Amount)
		ctx.Emit("mint", sdk.Attr("to", g.Address.String()), sdk.Attr("amount", g.Amount.String()))
	}
	cfg.Cap = total
	if m.Cap != nil {
		if m.Cap.Cmp(total) < 0 {
			return sdk.None{}, errors.New("the cap is below the initial supply")
		}
		cfg.Cap = *m.Cap
	}
	config.Save(ctx, cfg)
	setSupply(ctx, total)
	return sdk.None{}, nil
}

func validSymbol(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Contract is the method table (native tests run it; the exports below
// are the chain's entry points).
var Contract = sdk.Contract{Methods: map[string]sdk.Handler{
	"init":            sdk.Exec(initialize),
	"transfer":        sdk.Exec(transfer),
	"approve":         sdk.Exec(approve),
	"transfer_from":   sdk.Exec(transferFrom),
	"send":            sdk.Exec(send),
	"mint":            sdk.Exec(mint),
	"burn":            sdk.Exec(burn),
	"deposit_revenue": sdk.Exec(depositRevenue),
	"claim":           sdk.Exec(claim),
	"set_restricted":  sdk.Exec(setRestricted),
	"allow":           sdk.Exec(flagSetter(allowed, "allow")),
	"freeze":          sdk.Exec(flagSetter(frozen, "freeze")),
	"update_admin":    sdk.Exec(updateAdmin),
	"info":            sdk.Query(info),
	"balance":         sdk.Query(balance),
	"balance_at":      sdk.Query(balanceAtHeight),
	"supply_at":       sdk.Query(supplyAtHeight),
	"allowance":       sdk.Query(allowance),
	"holders":         sdk.Query(holderList),
}}

//go:wasmexport init
func exportInit() { Contract.Run("init") }

//go:wasmexport transfer
func exportTransfer() { Contract.Run("transfer") }

//go:wasmexport approve
func exportApprove() { Contract.Run("approve") }

//go:wasmexport transfer_from
func exportTransferFrom() { Contract.Run("transfer_from") }

//go:wasmexport send
func exportSend() { Contract.Run("send") }

//go:wasmexport mint
func exportMint() { Contract.Run("mint") }

//go:wasmexport burn
func exportBurn() { Contract.Run("burn") }

//go:wasmexport deposit_revenue
func exportDepositRevenue() { Contract.Run("deposit_revenue") }

//go:wasmexport claim
func exportClaim() { Contract.Run("claim") }

//go:wasmexport set_restricted
func exportSetRestricted() { Contract.Run("set_restricted") }

//go:wasmexport allow
func exportAllow() { Contract.Run("allow") }

//go:wasmexport freeze
func exportFreeze() { Contract.Run("freeze") }

//go:wasmexport update_admin
func exportUpdateAdmin() { Contract.Run("update_admin") }

//go:wasmexport info
func exportInfo() { Contract.Run("info") }

//go:wasmexport balance
func exportBalance() { Contract.Run("balance") }

//go:wasmexport balance_at
func exportBalanceAt() { Contract.Run("balance_at") }

//go:wasmexport supply_at
func exportSupplyAt() { Contract.Run("supply_at") }

//go:wasmexport allowance
func exportAllowance() { Contract.Run("allowance") }

//go:wasmexport holders
func exportHolders() { Contract.Run("holders") }

func main() {}
