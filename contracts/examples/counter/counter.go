// Counter is the smallest useful contract: anyone may increment a count;
// anyone may ask for it and for who incremented it last. It is the
// quickstart's contract (README) and the load benchmark's.
//
// Build it with
//
//	plinth contract build ./contracts/examples/counter -o counter.wasm
package main

import (
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

var (
	count      = sdk.NewItem[uint64]("count")
	lastCaller = sdk.NewItem[sdk.Address]("last_caller")
)

// CountResponse is what both methods return.
type CountResponse struct {
	Count uint64 `json:"count"`
	// LastCaller is who incremented last; null before the first increment.
	LastCaller *sdk.Address `json:"last_caller"`
}

// Contract is the counter's method table; the exports below and native
// tests run it.
var Contract = sdk.Contract{Methods: map[string]sdk.Handler{
	"increment": sdk.Exec(increment),
	"count":     sdk.Query(current),
}}

// increment adds one to the count, records the caller and emits an event
// "increment" with the new count.
func increment(ctx *sdk.Context, _ sdk.None) (CountResponse, error) {
	n := count.Get(ctx) + 1
	caller := ctx.Caller()
	count.Save(ctx, n)
	lastCaller.Save(ctx, caller)
	ctx.Emit("increment", sdk.Attr("count", strconv.FormatUint(n, 10)), sdk.Attr("caller", caller.String()))
	return CountResponse{Count: n, LastCaller: &caller}, nil
}

func current(ctx *sdk.Context, _ sdk.None) (CountResponse, error) {
	resp := CountResponse{Count: count.Get(ctx)}
	if c, ok := lastCaller.Load(ctx); ok {
		resp.LastCaller = &c
	}
	return resp, nil
}

//go:wasmexport increment
func exportIncrement() { Contract.Run("increment") }

//go:wasmexport count
func exportCount() { Contract.Run("count") }

func main() {}
