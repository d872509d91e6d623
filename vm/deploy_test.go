package vm

import (
	"context"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
	"github.com/plinthchain/plinth/vm/internal/wat"
)

// TestDeployCost checks the deploy price against docs/gas.md by hand:
// DeployPerByte × code bytes + DeployPerNestedByte × Σ body bytes × depth.
func TestDeployCost(t *testing.T) {
	code := wat.MustCompile(`(module
  (func (export "flat") nop)
  (func (export "nested") block loop block nop end end end))`)
	m, err := wasm.Decode(code, wasm.FeaturesV2)
	if err != nil {
		t.Fatal(err)
	}
	// flat: "nop end", depth 0; nested: three 2-byte block openers, nop,
	// four ends = 11 bytes, depth 3.
	flat, nested := len(m.Codes[0].Body), len(m.Codes[1].Body)
	if flat != 2 || nested != 11 {
		t.Fatalf("body sizes %d and %d, want 2 and 11", flat, nested)
	}
	p := ParamsV1()
	want := p.Gas.DeployPerByte*uint64(len(code)) + p.Gas.DeployPerNestedByte*uint64(nested*3)
	got, err := DeployCost(code, p)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("DeployCost %d, want %d", got, want)
	}
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	mod, err := e.Deploy(ctx, code, p)
	if err != nil {
		t.Fatal(err)
	}
	if mod.DeployGas != want {
		t.Fatalf("Module.DeployGas %d, want %d", mod.DeployGas, want)
	}
	if _, err := DeployCost([]byte("junk"), p); err == nil {
		t.Fatal("DeployCost accepted junk")
	}
}
