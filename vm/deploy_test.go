package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestValidationErrors: a module that fails validation is refused with an
// ErrInvalid naming the section, the function and the absolute byte offset
// of the offending instruction.
func TestValidationErrors(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	for _, tc := range []struct {
		src  string
		pos  int // offset of the offending instruction in the body of function 1
		want string
	}{
		// i64.const 1 (2 bytes), then end: the result is an i64, not an i32.
		{`(func (result i32) i64.const 1)`, 2, "type mismatch: end expects i32, found i64"},
		// i32.const 0 (2 bytes), f32.neg.
		{`(func (result f32) i32.const 0 f32.neg)`, 2, "type mismatch: f32.neg expects f32, found i32"},
		{`(func local.get 3 drop)`, 0, "unknown local 3"},
		{`(func br 1)`, 0, "unknown label 1"},
		{`(global i32 (i32.const 0)) (func i32.const 1 global.set 0)`, 2, "global.set of immutable global 0"},
		{`(func i32.const 0 i32.load align=8 drop)`, 2, "alignment must not be larger than natural"},
	} {
		// Function 0 is a placeholder so the index in the message is 1.
		code := wat.MustCompile("(module (memory 1) (func) " + tc.src + ")")
		m, err := wasm.Decode(code, wasm.FeaturesV2)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Deploy(ctx, code, ParamsV1())
		want := fmt.Sprintf("section code, function 1, offset 0x%x: %s", m.Codes[1].Offset+tc.pos, tc.want)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.src, err, want)
		}
	}
}
