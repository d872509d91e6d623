package main

import (
	"encoding/json"
	"testing"

	"github.com/plinthchain/plinth/contracts/chaintest"
	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/runtime"
)

// TestCounterOnChain builds the counter with the real toolchain and runs
// it on the real chain: two accounts increment, the count and last caller
// read back through a query, and survive reopening the store.
func TestCounterOnChain(t *testing.T) {
	c := chaintest.New(t, 2)
	code := c.Deploy(0, chaintest.Build(t, "."))
	counter := c.Instantiate(0, code, nil)

	query := func() CountResponse {
		t.Helper()
		out, err := c.Query(counter, "count", nil)
		if err != nil {
			t.Fatalf("query count: %v", err)
		}
		var r CountResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("count returned %q: %v", out, err)
		}
		return r
	}
	if r := query(); r.Count != 0 || r.LastCaller != nil {
		t.Fatalf("fresh counter: %+v", r)
	}

	for i, from := range []int{0, 1, 1} {
		r := c.Call(from, counter, "increment", []byte("{}"))
		if r.Code != runtime.CodeOK {
			t.Fatalf("increment %d: code %d: %s", i, r.Code, r.Message)
		}
		var got CountResponse
		if err := json.Unmarshal(r.Return, &got); err != nil || got.Count != uint64(i+1) {
			t.Fatalf("increment %d returned %q (%v)", i, r.Return, err)
		}
		if len(r.Events) != 1 || r.Events[0].Type != "increment" {
			t.Fatalf("increment %d events: %+v", i, r.Events)
		}
	}
	want := sdk.Address(c.Account(1))
	if r := query(); r.Count != 3 || r.LastCaller == nil || *r.LastCaller != want {
		t.Fatalf("after three increments: %+v, want count 3 by %s", r, want)
	}

	// A bad input aborts with the decoder's complaint and changes nothing.
	r := c.Call(0, counter, "increment", []byte("[1,"))
	if r.Code != runtime.CodeAbort {
		t.Fatalf("bad input: code %d (%s)", r.Code, r.Message)
	}
	// A query method may not be used to write: count is read-only, and a
	// method that is not there is refused by the chain.
	if r := c.Call(0, counter, "nope", nil); r.Code != runtime.CodeNoMethod {
		t.Fatalf("unknown method: code %d (%s)", r.Code, r.Message)
	}

	c.Reopen()
	if r := query(); r.Count != 3 || r.LastCaller == nil || *r.LastCaller != want {
		t.Fatalf("after reopening: %+v", r)
	}
}
