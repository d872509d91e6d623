package vm

import (
	"context"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// TestStackLimiterFiresFirst shows that unbounded recursion is stopped by
// the stack limiter, at a depth fixed by the frame sizes, and not by
// wazero's compiler (whose own limit is a 400 MB stack). It runs on the
// compiler only: wazero's interpreter stops at 2,000 frames, below the
// limiter, and is used only for tests that stay shallow.
func TestStackLimiterFiresFirst(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	cases := []struct {
		name  string
		src   string
		frame uint64 // slots per recursive frame
		gas   uint64 // gas per recursive frame
	}{
		{
			// frame: 8 + 1 param + 0 locals + height 2 = 11
			name: "small frames",
			src: `(module
  (func $down (param i32)
    local.get 0 i32.eqz if return end
    local.get 0 i32.const 1 i32.sub call $down)
  (func (export "run") i32.const -1 call $down))`,
			frame: 11, gas: 19,
		},
		{
			// frame: 8 + 1 param + 64 locals + height 2 = 75; a large frame
			// in the engine too, where 64 live locals need spill slots.
			name: "large frames",
			src: `(module
  (func $down (param i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
    i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
    i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
    i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    local.get 0 i32.eqz if return end
    local.get 0 i32.const 1 i32.sub call $down)
  (func (export "run") i32.const -1 call $down))`,
			frame: 75, gas: 19,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ParamsV1()
			m, err := e.Deploy(ctx, wat.MustCompile(tc.src), p)
			if err != nil {
				t.Fatal(err)
			}
			// The export's frame is 8 + 0 + 0 + height 1 = 9 slots and its
			// segment i32.const 1, call 4, end 1 (+6) = 12 gas.
			depth := (uint64(p.MaxStackSlots) - 9) / tc.frame
			want := 12 + depth*tc.gas
			for run := 0; run < 3; run++ {
				res, err := m.Call(ctx, Request{Func: "run", Gas: 1 << 40})
				if !errors.Is(err, ErrStackExhausted) {
					t.Fatalf("run %d: error %v, want ErrStackExhausted", run, err)
				}
				if res.GasUsed != want {
					t.Fatalf("run %d: gas %d, want %d (depth %d)", run, res.GasUsed, want, depth)
				}
			}
		})
	}
}
