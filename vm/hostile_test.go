package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
	"github.com/plinthchain/plinth/vm/internal/wat"
)

// TestHostileModules: each module is refused at deploy with the right error,
// or deploys and is stopped at run time with the right error — never a
// crash, never a hang.
func TestHostileModules(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	p := ParamsV1()

	brTable := func(n int) string {
		var b strings.Builder
		b.WriteString("(module (func (export \"run\") (param i32) block local.get 0 br_table")
		for i := 0; i < n; i++ {
			b.WriteString(" 0")
		}
		b.WriteString(" 0 end))")
		return b.String()
	}
	manyLocals := func(n int) string {
		return fmt.Sprintf("(module (func (export \"run\") %s))", strings.Repeat("(local i64) ", n))
	}

	deployCases := []struct {
		name string
		code []byte
		want error
		msg  string
	}{
		{"100k-entry br_table", wat.MustCompile(brTable(100_000)), ErrLimit, "br_table has 100000 targets, the limit is 16384"},
		{"blocks nested too deep", wat.MustCompile("(module (func " + strings.Repeat("block ", 1025) + strings.Repeat("end ", 1025) + "))"), ErrLimit, "blocks nested 1025 deep, the limit is 1024"},
		{"huge function body", hugeBody(), ErrLimit, "has a 262145-byte body, the limit is 262144"},
		{"huge local count", wat.MustCompile(manyLocals(5000)), ErrLimit, "function 0 has 5000 locals"},
		{"local count overflow", localBomb(), ErrMalformed, "too many locals"},
		{"huge data segment", wat.MustCompile(`(module (memory 1) (data (i32.const 0) "` + strings.Repeat(`\00`, 70000) + `"))`), ErrInvalid, "do not fit memory 0"},
		{"oversized code", bytes.Repeat([]byte{0}, int(p.MaxCodeBytes)+1), ErrLimit, "the limit is 4194304"},
		{"initial memory over the limit", wat.MustCompile(`(module (memory 513))`), ErrLimit, "memory 0 starts with 513 pages"},
		{"initial table over the limit", wat.MustCompile(`(module (table 70000 funcref))`), ErrLimit, "table 0 starts with 70000 elements"},
		{"SIMD", simdModule(), ErrFeature, "SIMD"},
		{"unknown import", wat.MustCompile(`(module (import "env" "evil" (func)))`), ErrImport, "env.evil is not a host function"},
		{"memory import", wat.MustCompile(`(module (import "wasi_snapshot_preview1" "memory" (memory 1)))`), ErrImport, "only functions"},
		{"reserved export", wat.MustCompile(`(module (global (export "__plinth_gas") i32 (i32.const 0)))`), nil, "reserved prefix"},
		{"not wasm", []byte("#!/bin/sh\nrm -rf /\n"), ErrMalformed, "magic header"},
	}
	for _, tc := range deployCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Deploy(ctx, tc.code, p)
			if err == nil {
				t.Fatal("deployed")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %q is not %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not mention %q", err, tc.msg)
			}
		})
	}

	runCases := []struct {
		name string
		src  string
		gas  uint64
		want error
	}{
		{"infinite loop", `(module (func (export "run") loop br 0 end))`, 1_000_000, ErrOutOfGas},
		{"unbounded recursion", `(module (func $f (export "run") call $f))`, 1 << 40, ErrStackExhausted},
		{"memory.grow bomb", `(module (memory 1)
  (func (export "run")
    loop
      i32.const 1
      memory.grow
      i32.const -1
      i32.ne
      br_if 0
    end
    unreachable))`, 1 << 40, ErrMemoryLimit},
		{"grow bomb out of gas first", `(module (memory 1)
  (func (export "run") loop i32.const 100 memory.grow drop br 0 end))`, 1_000_000, ErrOutOfGas},
		{"fill bomb", `(module (memory 512)
  (func (export "run") loop i32.const 0 i32.const 1 i32.const 33554432 memory.fill br 0 end))`, 100_000_000, ErrOutOfGas},
	}
	for _, tc := range runCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := e.Deploy(ctx, wat.MustCompile(tc.src), p)
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Call(ctx, Request{Func: "run", Gas: tc.gas})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if errors.Is(err, ErrOutOfGas) && res.GasUsed != tc.gas {
				t.Fatalf("out of gas after %d of %d", res.GasUsed, tc.gas)
			}
			again, err2 := m.Call(ctx, Request{Func: "run", Gas: tc.gas})
			if again.GasUsed != res.GasUsed || fmt.Sprint(err2) != fmt.Sprint(err) {
				t.Fatalf("second run: %d %v, first %d %v", again.GasUsed, err2, res.GasUsed, err)
			}
		})
	}
}

// hugeBody is one function of MaxFunctionBytes + 1 bytes of nops.
func hugeBody() []byte {
	body := make([]byte, ParamsV1().MaxFunctionBytes+1)
	for i := range body {
		body[i] = byte(wasm.OpNop)
	}
	body[len(body)-1] = byte(wasm.OpEnd)
	return wasm.Encode(&wasm.Module{Types: []wasm.FuncType{{}}, Funcs: []uint32{0}, Codes: []wasm.Code{{Body: body}}})
}

// localBomb declares 2^32 locals in two groups: a count that overflows.
func localBomb() []byte {
	m := &wasm.Module{
		Types: []wasm.FuncType{{}},
		Funcs: []uint32{0},
		Codes: []wasm.Code{{
			Locals: []wasm.LocalDecl{{Count: 0xFFFFFFFF, Type: wasm.I32}, {Count: 2, Type: wasm.I32}},
			Body:   []byte{byte(wasm.OpEnd)},
		}},
	}
	return wasm.Encode(m)
}

// simdModule holds one function whose body starts with v128.const.
func simdModule() []byte {
	body := append([]byte{0xFD, 0x0C}, make([]byte, 16)...)
	body = append(body, byte(wasm.OpDrop), byte(wasm.OpEnd))
	return wasm.Encode(&wasm.Module{Types: []wasm.FuncType{{}}, Funcs: []uint32{0}, Codes: []wasm.Code{{Body: body}}})
}

// FuzzDeploy feeds arbitrary bytes to Deploy: it must return a module or an
// error, never panic. The corpus seeds are small valid and broken modules;
// `go test -fuzz FuzzDeploy ./vm/` explores from there (see docs/benchmarks.md
// for the long-run command).
func FuzzDeploy(f *testing.F) {
	for _, src := range []string{
		`(module)`,
		`(module (memory 1) (func (export "run") (result i32) i32.const 1 i32.const 2 i32.add))`,
		`(module (func $f (export "run") (param i32) local.get 0 if call $f end))`,
		`(module (table 2 funcref) (elem (i32.const 0) $a $b) (func $a) (func $b) (func (export "run") (param i32) local.get 0 call_indirect))`,
		`(module (memory 1) (func (export "run") f64.const 0 f64.const 0 f64.div drop i32.const 0 i32.const 0 i32.const 8 memory.fill))`,
		`(module (global (mut i32) (i32.const 0)) (start 0) (func global.get 0 drop))`,
	} {
		f.Add(wat.MustCompile(src))
	}
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		f.Fatal(err)
	}
	p := ParamsV1()
	f.Fuzz(func(t *testing.T, code []byte) {
		m, err := e.Deploy(ctx, code, p)
		if err != nil {
			if m != nil {
				t.Fatal("module returned with an error")
			}
			return
		}
		if _, err := m.Call(ctx, Request{Func: "run", Gas: 100_000}); err != nil && errors.Is(err, ErrMalformed) {
			t.Fatalf("call of a deployed module: %v", err)
		}
		_ = m.Close(ctx)
	})
}
