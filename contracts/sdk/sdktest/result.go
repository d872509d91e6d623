package sdktest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Result is what a transaction or query on the test chain did: the
// receipt's fields as the real chain fills them (docs/protocol.md,
// "Receipts"), plus the debug log a simulation would show. It is a
// value to assert on, not an error: a failed call is an ordinary
// outcome a test usually wants to check.
type Result struct {
	// Code is the receipt code: 0 ok, 1 out of gas, 2 insufficient funds,
	// 6 unknown contract, 7 no such method, 9 aborted, 11 host function
	// refused, 12 re-entrant call, 13 call depth limit, 14 not the
	// admin, 15 not privileged…
	Code uint32
	// Message says why it failed: an abort's own message, or the code's
	// name, as the chain builds it. For code 11 the chain's text is
	// followed by the host function that refused (": storage_write").
	Message string
	// Return is the method's return value (for Instantiate, init's alone:
	// the chain's receipt puts the address in front of it, which
	// Instantiate returns separately).
	Return []byte
	// Events are the successful transaction's events, in order; a failed
	// transaction has none, as on chain.
	Events []Event
	// Gas is an approximation: the host functions' prices only (see
	// Chain's documentation), including those of the contracts called.
	Gas uint64
	// Log is the debug log (Context.Log), one entry per call of Log, in
	// the order the calls were made, failed calls' included.
	Log []string
}

// Event is one event of a receipt. The chain puts the emitting
// contract's address first, as attribute _contract, so that nobody can
// forge another contract's events; tests see it too.
type Event struct {
	Type       string
	Attributes []sdk.Attribute
}

// Attr returns the value of the event's first attribute named key, so a
// test need not loop over attributes.
func (e Event) Attr(key string) ([]byte, bool) {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return nil, false
}

// Err is nil for a success and an *sdk.CallError otherwise: the same
// type a contract gets from a failed call, so one helper can describe
// both.
func (r *Result) Err() error {
	if r.Code == 0 {
		return nil
	}
	return &sdk.CallError{Code: r.Code, Message: r.Message}
}

// OK fails the test unless the call succeeded, showing the failure and
// its debug log, and returns r so a test can go on in one expression.
func (r *Result) OK(t testing.TB) *Result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("sdktest: call failed with code %d: %s%s", r.Code, r.Message, r.logText())
	}
	return r
}

// Fails fails the test unless the call failed with code, so a test of a
// refusal states which refusal it expects.
func (r *Result) Fails(t testing.TB, code uint32) *Result {
	t.Helper()
	if r.Code != code {
		t.Fatalf("sdktest: got code %d (%q), want code %d%s", r.Code, r.Message, code, r.logText())
	}
	return r
}

func (r *Result) logText() string {
	if len(r.Log) == 0 {
		return ""
	}
	return "\nlog:\n\t" + strings.Join(r.Log, "\n\t")
}

// Decode returns the JSON return value of a successful call as T: the
// encoding sdk.Exec and sdk.Query handlers return. It fails the test if
// the call failed or the value is not a T.
func Decode[T any](t testing.TB, r *Result) T {
	t.Helper()
	r.OK(t)
	var v T
	if err := json.Unmarshal(r.Return, &v); err != nil {
		t.Fatalf("sdktest: decode %q as %T: %v", r.Return, v, err)
	}
	return v
}
