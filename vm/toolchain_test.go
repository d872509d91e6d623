package vm

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// TestToolchainOutput deploys a module built by clang with the features
// current Rust and clang output uses (testdata/clang, see build.sh) and
// runs each export. It first proves the module really uses each feature:
// decoding it with that one feature switched off must fail.
//
// Rust's wasm32 standard library is not installable here (no network for
// rustup); clang drives the same LLVM back end and emits the same encodings.
func TestToolchainOutput(t *testing.T) {
	code, err := os.ReadFile("testdata/clang/toolchain.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []wasm.Features{wasm.FeatureMultiValue, wasm.FeatureRefTypes, wasm.FeatureBulkMemory, wasm.FeatureSignExt, wasm.FeatureSatConv} {
		without := wasm.FeaturesV2 &^ f
		m, err := wasm.Decode(code, without)
		if err == nil {
			var body wasm.Body
			for i := range m.Codes {
				if err = wasm.DecodeBody(m.Codes[i].Body, m.Codes[i].Offset, i, without, &body); err != nil {
					break
				}
			}
		}
		// Usually ErrFeature; without reference types, the LEB128 table
		// index of call_indirect is malformed under 1.0 rules instead.
		if !errors.Is(err, wasm.ErrFeature) && !errors.Is(err, wasm.ErrMalformed) {
			t.Errorf("the module does not use %v (decoding without it: %v)", f, err)
		}
	}

	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	m, err := e.Deploy(ctx, code, ParamsV1())
	if err != nil {
		t.Fatal(err)
	}
	i32 := func(v int32) uint64 { return uint64(uint32(v)) }
	for _, tc := range []struct {
		fn   string
		args []uint64
		want []uint64
	}{
		{"divmod", []uint64{i32(47), i32(5)}, []uint64{9, 2}},
		{"divmod", []uint64{i32(-47), i32(5)}, []uint64{i32(-9), i32(-2)}},
		{"apply", []uint64{0, i32(21)}, []uint64{42}},
		{"apply", []uint64{1, i32(21)}, []uint64{63}},
		{"copy", []uint64{i32(100)}, []uint64{14}},
		{"copy", []uint64{i32(5000)}, []uint64{i32(-1)}},
		{"conv", []uint64{math.Float64bits(1e300)}, []uint64{i32(math.MaxInt32)}},
		{"conv", []uint64{math.Float64bits(math.NaN())}, []uint64{0}},
		{"conv", []uint64{math.Float64bits(-7.9)}, []uint64{i32(-7)}},
		{"sext", []uint64{i32(0x1FF)}, []uint64{i32(-1)}},
	} {
		res, err := m.Call(ctx, Request{Func: tc.fn, Args: tc.args, Gas: 100_000})
		if err != nil {
			t.Fatalf("%s%v: %v", tc.fn, tc.args, err)
		}
		if len(res.Values) != len(tc.want) {
			t.Fatalf("%s%v: %d results, want %d", tc.fn, tc.args, len(res.Values), len(tc.want))
		}
		for i := range tc.want {
			if uint32(res.Values[i]) != uint32(tc.want[i]) {
				t.Errorf("%s%v = %v, want %v", tc.fn, tc.args, res.Values, tc.want)
			}
		}
		if res.GasUsed == 0 {
			t.Errorf("%s used no gas", tc.fn)
		}
	}
}
