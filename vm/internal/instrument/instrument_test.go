package instrument

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
	"github.com/plinthchain/plinth/vm/internal/wat"
)

func testConfig() *Config {
	c := &Config{Features: wasm.FeaturesV2, SegmentCheck: 2, FunctionEntry: 4, NaNCanonicalize: 2,
		MemoryGrowPerPage: 2048, BulkMemoryPerWord: 1, TablePerElement: 2,
		StackLimit: 1 << 18, FrameOverhead: 8, MaxMemoryPages: 512}
	for i := range c.Weights {
		c.Weights[i] = 1
	}
	return c
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	c := testConfig()
	c.Weights[wasm.ClassCall] = 0
	c.StackLimit = 0
	c.MemoryGrowPerPage = 1 << 40
	err := c.Validate()
	for _, want := range []string{"weight of instruction class", "stack limit 0", "memory.grow per page costs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a mention of %q", err, want)
		}
	}
	if err := testConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}

// TestInstrumentLeavesInputAlone: the rewrite shares byte slices with its
// input, so it must never write into them.
func TestInstrumentLeavesInputAlone(t *testing.T) {
	code := wat.MustCompile(`(module
  (memory 1)
  (global $g (mut i32) (i32.const 1))
  (func $f (export "f") (param f64) (result f64)
    local.get 0 local.get 0 f64.div
    i32.const 1 memory.grow drop)
  (start $f2)
  (func $f2 global.get $g drop))`)
	m, err := wasm.Decode(code, wasm.FeaturesV2)
	if err != nil {
		t.Fatal(err)
	}
	before := wasm.Encode(m)
	res, err := Instrument(m, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if after := wasm.Encode(m); !bytes.Equal(before, after) {
		t.Fatal("Instrument modified its input")
	}
	out := res.Module
	if out.Start != nil || !res.HasStart {
		t.Fatalf("start: %v, HasStart %v", out.Start, res.HasStart)
	}
	names := map[string]bool{}
	for _, e := range out.Exports {
		names[e.Name] = true
	}
	for _, n := range []string{"f", ExportGas, ExportStack, ExportMemoryLimit, ExportStart, ExportGlobal + "0"} {
		if !names[n] {
			t.Errorf("export %s missing", n)
		}
	}
	if !out.Memories[0].HasMax || out.Memories[0].Max != 512 {
		t.Errorf("memory max %+v, want the limit 512", out.Memories[0])
	}
	// The result must decode and validate again.
	if _, err := Instrument(mustDecode(t, wasm.Encode(out)), testConfig()); err == nil {
		t.Fatal("re-instrumenting must refuse the reserved exports")
	}
}

func TestFrameTooLarge(t *testing.T) {
	c := testConfig()
	c.StackLimit = 19 // the frame: 8 overhead + 12 locals = 20
	m := mustDecode(t, wat.MustCompile(`(module (func (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)))`))
	_, err := Instrument(m, c)
	if !errors.Is(err, ErrStackFrame) || !errors.Is(err, ErrLimit) {
		t.Fatalf("error %v, want ErrStackFrame", err)
	}
}

func mustDecode(t *testing.T, b []byte) *wasm.Module {
	t.Helper()
	m, err := wasm.Decode(b, wasm.FeaturesV2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
