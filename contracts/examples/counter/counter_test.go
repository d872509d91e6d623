package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/contracts/sdk/sdktest"
)

// TestCounter runs the counter natively on sdktest: the count and the
// last caller follow increments from two accounts, each increment emits
// its event, and bad input or a write through a query changes nothing.
func TestCounter(t *testing.T) {
	c := sdktest.New(t)
	alice, bob := c.Account("alice"), c.Account("bob")
	counter, res := c.Instantiate(alice, &Contract, nil, 0)
	res.OK(t)

	count := func() CountResponse {
		t.Helper()
		return sdktest.Decode[CountResponse](t, c.Query(counter, "count", nil).OK(t))
	}
	if got := count(); got.Count != 0 || got.LastCaller != nil {
		t.Fatalf("a fresh counter: %+v", got)
	}

	for i, who := range []sdk.Address{alice, bob} {
		res := c.Execute(who, counter, "increment", nil, 0).OK(t)
		got := sdktest.Decode[CountResponse](t, res)
		if got.Count != uint64(i+1) || got.LastCaller == nil || *got.LastCaller != who {
			t.Fatalf("increment %d returned %+v", i, got)
		}
		if len(res.Events) != 1 || res.Events[0].Type != "increment" {
			t.Fatalf("increment %d: events %+v", i, res.Events)
		}
		n, _ := res.Events[0].Attr("count")
		caller, _ := res.Events[0].Attr("caller")
		if string(n) != strconv.Itoa(i+1) || string(caller) != who.String() {
			t.Fatalf("increment %d: event count %q caller %q", i, n, caller)
		}
	}
	if got := count(); got.Count != 2 || got.LastCaller == nil || *got.LastCaller != bob {
		t.Fatalf("after two increments: %+v, want 2 by bob", got)
	}

	// Malformed input aborts and rolls back.
	bad := c.Execute(alice, counter, "increment", []byte("[1,"), 0).Fails(t, 9)
	if !strings.Contains(bad.Message, "bad input") {
		t.Fatalf("bad input: %q", bad.Message)
	}
	// A query cannot increment (code 11: a write in a query).
	c.Query(counter, "increment", nil).Fails(t, 11)
	if got := count(); got.Count != 2 || *got.LastCaller != bob {
		t.Fatalf("after refused calls: %+v", got)
	}
	// An increment is a handful of host calls: storage reads and writes
	// and one event, a few thousand gas of host functions.
	if g := c.Execute(alice, counter, "increment", nil, 0).OK(t).Gas; g == 0 || g > 100_000 {
		t.Fatalf("increment's host gas: %d", g)
	}
}
