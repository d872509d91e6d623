package vm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// The benchmarks compare Plinth's metered path with plain wazero on the same
// module; docs/benchmarks.md has the figures and the command.

// plainRuntime is wazero as a user would run the Go contract without Plinth:
// the compiler, wazero's own WASI, and stubs for the test ABI.
func plainRuntime(b *testing.B) (context.Context, wazero.Runtime) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	b.Cleanup(func() { _ = rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	noop := func(context.Context, api.Module, []uint64) {}
	h := rt.NewHostModuleBuilder("plinth")
	h.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, s []uint64) { s[0] = 0 }), nil, []api.ValueType{I32}).Export("input_len")
	h.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{I32}, nil).Export("input_read")
	h.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{I32, I32}, nil).Export("output")
	h.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{I32, I32, I32, I32}, nil).Export("storage_set")
	h.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, s []uint64) { s[0] = 0xFFFFFFFF }),
		[]api.ValueType{I32, I32, I32, I32}, []api.ValueType{I32}).Export("storage_get")
	if _, err := h.Instantiate(ctx); err != nil {
		b.Fatal(err)
	}
	return ctx, rt
}

// BenchmarkCompute: SHA-256 over 64 KiB computed in WebAssembly by the Go
// contract, on plain wazero (one instance, reused, unmetered) and through
// Plinth (metered, NaN-canonicalized, stack-limited, instance reset after
// every call).
func BenchmarkCompute(b *testing.B) {
	code := goContract(b)
	b.Run("unmetered", func(b *testing.B) {
		ctx, rt := plainRuntime(b)
		mod, err := rt.InstantiateWithConfig(ctx, code, wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize"))
		if err != nil {
			b.Fatal(err)
		}
		sha := mod.ExportedFunction("sha")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := sha.Call(ctx, uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("metered", func(b *testing.B) {
		m := sharedGoContract(b)
		ctx := context.Background()
		h := &testHost{storage: map[string][]byte{}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Call(ctx, Request{Func: "sha", Args: []uint64{uint64(i)}, Gas: goGas, Env: h}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// tinyModule is a non-WASI module with one page of memory: the call bumps a
// counter in memory and returns it.
const tinyModule = `(module
  (memory 1)
  (func (export "run") (result i32)
    i32.const 0
    i32.const 0
    i32.load
    i32.const 1
    i32.add
    i32.store
    i32.const 0
    i32.load))`

// BenchmarkCallTiny: one call of tinyModule. naive instantiates per call
// (what a call must cost without pooling, to start from a clean state);
// plinth is the metered, pooled path.
func BenchmarkCallTiny(b *testing.B) {
	code := wat.MustCompile(tinyModule)
	b.Run("naive", func(b *testing.B) {
		ctx := context.Background()
		rt := wazero.NewRuntime(ctx)
		defer rt.Close(ctx)
		compiled, err := rt.CompileModule(ctx, code)
		if err != nil {
			b.Fatal(err)
		}
		cfg := wazero.NewModuleConfig().WithName("")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			mod, err := rt.InstantiateModule(ctx, compiled, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := mod.ExportedFunction("run").Call(ctx); err != nil {
				b.Fatal(err)
			}
			_ = mod.Close(ctx)
		}
	})
	b.Run("plinth", func(b *testing.B) {
		ctx := context.Background()
		e, err := NewEngine(ctx, Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close(ctx)
		m, err := e.Deploy(ctx, code, ParamsV1())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := m.Call(ctx, Request{Func: "run", Gas: 1000})
			if err != nil || res.Values[0] != 1 {
				b.Fatalf("call: %v %v", res.Values, err)
			}
		}
	})
}
