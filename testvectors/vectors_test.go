package testvectors

import (
	"context"
	"strings"
	"testing"
)

// TestVectors runs every frozen vector in this directory against this
// implementation: a change of gas, state layout or rules shows up here
// until the vectors are regenerated (go run ./testvectors/gen) and the
// diff is committed with the change.
func TestVectors(t *testing.T) {
	results, err := RunDir(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
			t.Errorf("%s: %v\n\t%s", r.Path, r.Err, strings.Join(r.Diffs, "\n\t"))
		}
	}
	t.Logf("%d passed, %d failed", len(results)-failed, failed)
	if len(results) < 25 {
		t.Fatalf("only %d vectors", len(results))
	}
}

// TestCheckCatchesChanges: a vector whose expected gas, account or
// invalidity is altered fails, naming what differs.
func TestCheckCatchesChanges(t *testing.T) {
	ctx := context.Background()
	v, err := Load("transfer/simple.json")
	if err != nil {
		t.Fatal(err)
	}
	v.Blocks[0].Expect.Receipts[0].GasUsed++
	for a, acc := range v.Blocks[0].Expect.Accounts {
		acc.Nonce += 7
		v.Blocks[0].Expect.Accounts[a] = acc
		break
	}
	v.Blocks[0].Expect.StateRoot[0] ^= 1
	diffs, err := Check(ctx, v, "transfer")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(diffs, "\n")
	for _, want := range []string{"gas_used", "account", "state_root"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no difference reported for %s:\n%s", want, joined)
		}
	}
	inv, err := Load("invalid/nonce-ahead.json")
	if err != nil {
		t.Fatal(err)
	}
	inv.Blocks[0].Expect.Invalid.Reason = "signature"
	if diffs, err := Check(ctx, inv, "invalid"); err != nil || len(diffs) != 1 || !strings.Contains(diffs[0], "invalid") {
		t.Fatalf("a changed reason: %v %v", diffs, err)
	}
}
