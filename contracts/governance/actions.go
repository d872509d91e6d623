package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Action is one thing a passed proposal does; exactly one field is set.
// Actions run in order as calls dispatched by this contract, after
// execute returns: so an action may call this contract itself (to change
// its rules or members), and if any fails, the execution fails whole and
// the proposal stays passed, to be executed again within its window.
type Action struct {
	// Call calls any contract, with funds from the treasury.
	Call *CallAction `json:"call,omitempty"`
	// Transfer pays from the treasury.
	Transfer *TransferAction `json:"transfer,omitempty"`
	// Migrate moves a contract this one administers to other code.
	Migrate *MigrateAction `json:"migrate,omitempty"`
	// SetAdmin hands administration of a contract this one administers
	// to another address (null: nobody, for good).
	SetAdmin *SetAdminAction `json:"set_admin,omitempty"`
	// SetParams and SetValidators are the chain's privileged calls: they
	// succeed only if genesis names this contract as governance.
	SetParams     *SetParamsAction     `json:"set_params,omitempty"`
	SetValidators *SetValidatorsAction `json:"set_validators,omitempty"`
}

type CallAction struct {
	Contract sdk.Address     `json:"contract"`
	Method   string          `json:"method"`
	Input    json.RawMessage `json:"input,omitempty"`
	Funds    sdk.Amount      `json:"funds"`
}

type TransferAction struct {
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

type MigrateAction struct {
	Contract sdk.Address     `json:"contract"`
	CodeHash Hash            `json:"code_hash"`
	Input    json.RawMessage `json:"input,omitempty"`
}

type SetAdminAction struct {
	Contract sdk.Address  `json:"contract"`
	Admin    *sdk.Address `json:"admin"`
}

// SetParamsAction carries the chain parameters' canonical encoding
// (docs/protocol.md, "Parameters"), in force from Height.
type SetParamsAction struct {
	Encoded []byte `json:"encoded"`
	Height  uint64 `json:"height"`
}

// SetValidatorsAction carries the validator set's canonical encoding.
type SetValidatorsAction struct {
	Encoded []byte `json:"encoded"`
}

// Hash is a code hash, hex in JSON.
type Hash [32]byte

func (h Hash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return errors.New("a code hash is 64 hex digits")
	}
	_, err := hex.Decode(h[:], b)
	return err
}

const maxActions = 16

func checkActions(as []Action) error {
	if len(as) > maxActions {
		return errors.New("at most " + strconv.Itoa(maxActions) + " actions")
	}
	for i, a := range as {
		n := 0
		for _, set := range []bool{a.Call != nil, a.Transfer != nil, a.Migrate != nil, a.SetAdmin != nil, a.SetParams != nil, a.SetValidators != nil} {
			if set {
				n++
			}
		}
		where := "action " + strconv.Itoa(i) + ": "
		switch {
		case n != 1:
			return errors.New(where + "exactly one of call, transfer, migrate, set_admin, set_params, set_validators")
		case a.Call != nil && a.Call.Method == "":
			return errors.New(where + "a call needs a method")
		case a.Transfer != nil && a.Transfer.Amount.IsZero():
			return errors.New(where + "a transfer of nothing")
		case a.SetParams != nil && len(a.SetParams.Encoded) == 0, a.SetValidators != nil && len(a.SetValidators.Encoded) == 0:
			return errors.New(where + "empty encoding")
		}
	}
	return nil
}

// dispatch queues a's effect. Transfers and the system calls go through
// this contract's own self-only methods, so that they too run in order
// with the other actions.
func dispatch(ctx *sdk.Context, a Action) {
	self := ctx.Self()
	selfCall := func(method string, in any) {
		b, err := json.Marshal(in)
		if err != nil {
			ctx.Abort("encode " + method + ": " + err.Error())
		}
		ctx.Dispatch(self, method, b, sdk.Amount{})
	}
	switch {
	case a.Call != nil:
		ctx.Dispatch(a.Call.Contract, a.Call.Method, a.Call.Input, a.Call.Funds)
	case a.Transfer != nil:
		selfCall("treasury_pay", a.Transfer)
	case a.Migrate != nil:
		ctx.Migrate(a.Migrate.Contract, [32]byte(a.Migrate.CodeHash), a.Migrate.Input)
	case a.SetAdmin != nil:
		selfCall("sys_set_admin", a.SetAdmin)
	case a.SetParams != nil:
		selfCall("sys_set_params", a.SetParams)
	case a.SetValidators != nil:
		selfCall("sys_set_validators", a.SetValidators)
	}
}

// onlySelf: the methods a passed proposal reaches through dispatch.
func onlySelf(ctx *sdk.Context) error {
	if ctx.Caller() != ctx.Self() {
		return errors.New("only a passed proposal may do this")
	}
	return nil
}

func treasuryPay(ctx *sdk.Context, m TransferAction) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	if ctx.Balance(ctx.Self()).Cmp(m.Amount) < 0 {
		return sdk.None{}, errors.New("the treasury holds less than " + m.Amount.String())
	}
	ctx.Transfer(m.To, m.Amount)
	ctx.Emit("treasury_pay", sdk.Attr("to", m.To.String()), sdk.Attr("amount", m.Amount.String()))
	return sdk.None{}, nil
}

func sysSetAdmin(ctx *sdk.Context, m SetAdminAction) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	if m.Admin == nil {
		ctx.ClearAdmin(m.Contract)
	} else {
		ctx.SetAdmin(m.Contract, *m.Admin)
	}
	return sdk.None{}, nil
}

func sysSetParams(ctx *sdk.Context, m SetParamsAction) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	ctx.SetParams(m.Encoded, m.Height)
	return sdk.None{}, nil
}

func sysSetValidators(ctx *sdk.Context, m SetValidatorsAction) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	ctx.SetValidators(m.Encoded)
	return sdk.None{}, nil
}
