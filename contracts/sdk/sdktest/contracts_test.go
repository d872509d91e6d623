package sdktest_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// The contracts the tests run: small, each showing one part of the SDK
// and of the chain's rules.

// store is a key/value store with scans, payments and calls of other
// contracts.
var (
	storeName    = sdk.NewItem[string]("name")
	storeEntries = sdk.NewMap[string, string]("entries")
	storeMarks   = sdk.NewMap[string, uint32]("marks")
	storeBlob    = sdk.NewItem[string]("blob")
)

type putIn struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type scanIn struct {
	Prefix  string  `json:"prefix"`
	After   *string `json:"after"`
	Reverse bool    `json:"reverse"`
}

type payIn struct {
	To     sdk.Address `json:"to"`
	Amount sdk.Amount  `json:"amount"`
}

type callIn struct {
	Contract sdk.Address     `json:"contract"`
	Method   string          `json:"method"`
	Input    json.RawMessage `json:"input"`
	Funds    sdk.Amount      `json:"funds"`
	Query    bool            `json:"query"`
}

type callOut struct {
	Code    uint32          `json:"code"`
	Message string          `json:"message"`
	Return  json.RawMessage `json:"return"`
}

type rangeIn struct {
	Prefix   []byte `json:"prefix"`
	Start    []byte `json:"start"`
	Limit    uint32 `json:"limit"`
	Reverse  bool   `json:"reverse"`
	KeysOnly bool   `json:"keys_only"`
}

type fundsOut struct {
	Funds   sdk.Amount  `json:"funds"`
	Balance sdk.Amount  `json:"balance"`
	Caller  sdk.Address `json:"caller"`
	Origin  sdk.Address `json:"origin"`
	Self    sdk.Address `json:"self"`
}

var storeContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"init": sdk.Exec(func(ctx *sdk.Context, name string) (sdk.None, error) {
		storeName.Save(ctx, name)
		ctx.Emit("created", sdk.Attr("name", name))
		return sdk.None{}, nil
	}),
	"name": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (string, error) {
		return storeName.Get(ctx), nil
	}),
	"put": sdk.Exec(func(ctx *sdk.Context, in putIn) (sdk.None, error) {
		storeEntries.Save(ctx, in.Key, in.Value)
		ctx.Emit("put", sdk.Attr("key", in.Key))
		return sdk.None{}, nil
	}),
	"fill": sdk.Exec(func(ctx *sdk.Context, n int) (sdk.None, error) {
		for i := range n {
			storeEntries.Save(ctx, "n"+strconv.Itoa(1000+i), strconv.Itoa(i))
		}
		return sdk.None{}, nil
	}),
	"get": sdk.Query(func(ctx *sdk.Context, key string) (*string, error) {
		v, ok := storeEntries.Load(ctx, key)
		if !ok {
			return nil, nil
		}
		return &v, nil
	}),
	"scan": sdk.Query(func(ctx *sdk.Context, in scanIn) ([]string, error) {
		keys := []string{}
		for k := range storeEntries.Scan(ctx, sdk.Scan[string]{Prefix: []byte(in.Prefix), After: in.After, Reverse: in.Reverse}) {
			keys = append(keys, k)
		}
		return keys, nil
	}),
	// range is the host's storage_range as it is, keys-only included.
	"range": sdk.Raw(func(ctx *sdk.Context, input []byte) ([]byte, error) {
		var in rangeIn
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, err
		}
		return json.Marshal(ctx.Host().StorageRange(in.Prefix, in.Start, in.Limit, in.Reverse, in.KeysOnly))
	}),
	"blob": sdk.Exec(func(ctx *sdk.Context, n int) (sdk.None, error) {
		storeBlob.Save(ctx, strings.Repeat("x", n))
		return sdk.None{}, nil
	}),
	"pay": sdk.Exec(func(ctx *sdk.Context, in payIn) (sdk.None, error) {
		ctx.Transfer(in.To, in.Amount)
		return sdk.None{}, nil
	}),
	"funds": sdk.Exec(func(ctx *sdk.Context, _ sdk.None) (fundsOut, error) {
		return fundsOut{Funds: ctx.Funds(), Balance: ctx.Balance(ctx.Self()), Caller: ctx.Caller(), Origin: ctx.Origin(), Self: ctx.Self()}, nil
	}),
	// call marks that it ran before and after calling another contract,
	// and returns how the call went: a failed callee is not its failure.
	"call": sdk.Exec(func(ctx *sdk.Context, in callIn) (callOut, error) {
		storeMarks.Save(ctx, "before", 1)
		var out []byte
		var err error
		if in.Query {
			out, err = ctx.QueryContract(in.Contract, in.Method, in.Input)
		} else {
			out, err = ctx.Call(in.Contract, in.Method, in.Input, in.Funds)
		}
		res := callOut{Return: out}
		var ce *sdk.CallError
		if errors.As(err, &ce) {
			res.Code, res.Message = ce.Code, ce.Message
		} else if err != nil {
			return res, err
		}
		storeMarks.Save(ctx, "after", res.Code)
		ctx.Emit("called", sdk.Attr("code", strconv.FormatUint(uint64(res.Code), 10)))
		return res, nil
	}),
	"marks": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (map[string]uint32, error) {
		m := map[string]uint32{}
		for k, v := range storeMarks.All(ctx) {
			m[k] = v
		}
		return m, nil
	}),
	// writeInQuery is declared a query but writes: the SDK refuses.
	"write_in_query": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (sdk.None, error) {
		storeName.Save(ctx, "changed")
		return sdk.None{}, nil
	}),
	// emitInQuery is declared a query but emits: the host refuses.
	"emit_in_query": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (sdk.None, error) {
		ctx.Emit("nope")
		return sdk.None{}, nil
	}),
	// swallow recovers the panic that ends its call and carries on: the
	// call has ended all the same.
	"swallow": sdk.Exec(func(ctx *sdk.Context, to sdk.Address) (sdk.None, error) {
		func() {
			defer func() { _ = recover() }()
			ctx.Transfer(to, sdk.NewAmount(1_000_000_000))
		}()
		storeName.Save(ctx, "swallowed")
		return sdk.None{}, nil
	}),
	"log": sdk.Exec(func(ctx *sdk.Context, lines []string) (sdk.None, error) {
		for _, l := range lines {
			ctx.Log(l)
		}
		return sdk.None{}, nil
	}),
}}

// failer writes, emits and pays, then fails or not.
var failerCount = sdk.NewItem[uint64]("count")

var failerContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"work": sdk.Exec(func(ctx *sdk.Context, in struct {
		PayTo sdk.Address `json:"pay_to"`
		Fail  bool        `json:"fail"`
	}) (uint64, error) {
		n := failerCount.Get(ctx) + 1
		failerCount.Save(ctx, n)
		ctx.Emit("worked")
		if !in.PayTo.IsZero() {
			ctx.Transfer(in.PayTo, sdk.NewAmount(5))
		}
		if in.Fail {
			return 0, errors.New("nope")
		}
		return n, nil
	}),
	"count": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (uint64, error) {
		return failerCount.Get(ctx), nil
	}),
}}

// relay calls the first contract of its path with the rest of the path
// and passes on how the innermost call failed.
type relayOut struct {
	Code    uint32 `json:"code"`
	Message string `json:"message"`
	Hops    int    `json:"hops"`
}

var relayContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"relay": sdk.Exec(func(ctx *sdk.Context, path []sdk.Address) (relayOut, error) {
		if len(path) == 0 {
			return relayOut{}, nil
		}
		out, err := sdk.CallJSON[relayOut](ctx, path[0], "relay", path[1:], sdk.Amount{})
		var ce *sdk.CallError
		if errors.As(err, &ce) {
			return relayOut{Code: ce.Code, Message: ce.Message}, nil
		} else if err != nil {
			return relayOut{}, err
		}
		out.Hops++
		return out, nil
	}),
}}

// recorder appends tags to a list, then dispatches more records: its
// list shows the order dispatched calls run in.
type recordIn struct {
	Tag  string     `json:"tag"`
	Fail bool       `json:"fail"`
	Then []recordIn `json:"then"`
}

var recorderLog = sdk.NewItem[[]string]("log")

var recorderContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"record": sdk.Exec(func(ctx *sdk.Context, in recordIn) (sdk.None, error) {
		if in.Fail {
			return sdk.None{}, errors.New("record " + in.Tag + " failed")
		}
		recorderLog.Save(ctx, append(recorderLog.Get(ctx), in.Tag))
		ctx.Emit("record", sdk.Attr("tag", in.Tag), sdk.Attr("caller", ctx.Caller().String()))
		for _, next := range in.Then {
			b, err := json.Marshal(next)
			if err != nil {
				return sdk.None{}, err
			}
			ctx.Dispatch(ctx.Self(), "record", b, sdk.Amount{})
		}
		return sdk.None{}, nil
	}),
	"log": sdk.Query(func(ctx *sdk.Context, _ sdk.None) ([]string, error) {
		return recorderLog.Get(ctx), nil
	}),
}}

// admin administers other contracts and makes the privileged calls.
type adminIn struct {
	Contract sdk.Address `json:"contract"`
	CodeHash [32]byte    `json:"code_hash"`
	Admin    sdk.Address `json:"admin"`
	Encoded  []byte      `json:"encoded"`
	Height   uint64      `json:"height"`
}

var adminContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"migrate_other": sdk.Exec(func(ctx *sdk.Context, in adminIn) (sdk.None, error) {
		ctx.Migrate(in.Contract, in.CodeHash, []byte(`"by admin"`))
		return sdk.None{}, nil
	}),
	"set_admin": sdk.Exec(func(ctx *sdk.Context, in adminIn) (sdk.None, error) {
		ctx.SetAdmin(in.Contract, in.Admin)
		return sdk.None{}, nil
	}),
	"clear_admin": sdk.Exec(func(ctx *sdk.Context, in adminIn) (sdk.None, error) {
		ctx.ClearAdmin(in.Contract)
		return sdk.None{}, nil
	}),
	"set_params": sdk.Exec(func(ctx *sdk.Context, in adminIn) (sdk.None, error) {
		ctx.SetParams(in.Encoded, in.Height)
		return sdk.None{}, nil
	}),
	"set_validators": sdk.Exec(func(ctx *sdk.Context, in adminIn) (sdk.None, error) {
		ctx.SetValidators(in.Encoded)
		return sdk.None{}, nil
	}),
}}

// versioned is a contract in two versions, for migrations.
var versionNote = sdk.NewItem[string]("note")

var versionOne = &sdk.Contract{Methods: map[string]sdk.Handler{
	"init": sdk.Exec(func(ctx *sdk.Context, note string) (sdk.None, error) {
		versionNote.Save(ctx, note)
		return sdk.None{}, nil
	}),
	"version": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (string, error) {
		return "1:" + versionNote.Get(ctx), nil
	}),
}}

var versionTwo = &sdk.Contract{Methods: map[string]sdk.Handler{
	"migrate": sdk.Exec(func(ctx *sdk.Context, note string) (sdk.None, error) {
		if note == "refuse" {
			return sdk.None{}, errors.New("migration refused")
		}
		versionNote.Save(ctx, versionNote.Get(ctx)+"+"+note)
		return sdk.None{}, nil
	}),
	"version": sdk.Query(func(ctx *sdk.Context, _ sdk.None) (string, error) {
		return "2:" + versionNote.Get(ctx), nil
	}),
}}

// watcher reads devices and attestations the way a contract does.
type deviceView struct {
	Found   bool              `json:"found"`
	Device  sdk.Device        `json:"device"`
	Latest  *sdk.Attestation  `json:"latest"`
	ByID    *sdk.Attestation  `json:"by_id"`
	History []sdk.Attestation `json:"history"`
}

type deviceIn struct {
	ID      sdk.DeviceID `json:"id"`
	Kind    string       `json:"kind"`
	AttID   [32]byte     `json:"att_id"`
	From    uint64       `json:"from"`
	To      uint64       `json:"to"`
	Limit   uint32       `json:"limit"`
	Raw     []byte       `json:"raw"`
	KeyType sdk.KeyType  `json:"key_type"`
	Pub     []byte       `json:"pub"`
	Msg     []byte       `json:"msg"`
	Sig     []byte       `json:"sig"`
}

var watcherContract = &sdk.Contract{Methods: map[string]sdk.Handler{
	"view": sdk.Query(func(ctx *sdk.Context, in deviceIn) (deviceView, error) {
		var v deviceView
		v.Device, v.Found = ctx.Device(in.ID)
		if a, ok := ctx.LatestAttestation(in.ID, in.Kind); ok {
			v.Latest = &a
		}
		if a, ok := ctx.Attestation(in.AttID); ok {
			v.ByID = &a
		}
		v.History = ctx.AttestationHistory(in.ID, in.From, in.To, in.Limit)
		return v, nil
	}),
	"check": sdk.Query(func(ctx *sdk.Context, in deviceIn) (uint32, error) {
		return ctx.CheckAttestation(in.Raw), nil
	}),
	"verify": sdk.Query(func(ctx *sdk.Context, in deviceIn) (uint32, error) {
		return ctx.Verify(in.KeyType, in.Pub, in.Msg, in.Sig), nil
	}),
	"hashes": sdk.Query(func(ctx *sdk.Context, data []byte) ([2][32]byte, error) {
		return [2][32]byte{ctx.Sha256(data), ctx.Keccak256(data)}, nil
	}),
}}
