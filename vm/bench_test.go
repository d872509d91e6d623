package vm

import (
	"context"
	"runtime"
	"testing"
	"time"

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

// BenchmarkCallGo: one call of the Go contract's put (a storage write and a
// return value). naive is plain wazero doing what a fresh call needs without
// pooling: instantiate (2.4+ MB of memory), run _initialize (the Go
// runtime's start-up), call, close. plinth is the metered path on a pooled,
// pre-initialized instance.
func BenchmarkCallGo(b *testing.B) {
	code := goContract(b)
	b.Run("naive", func(b *testing.B) {
		ctx, rt := plainRuntime(b)
		compiled, err := rt.CompileModule(ctx, code)
		if err != nil {
			b.Fatal(err)
		}
		cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			mod, err := rt.InstantiateModule(ctx, compiled, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := mod.ExportedFunction("put").Call(ctx, uint64(i)); err != nil {
				b.Fatal(err)
			}
			_ = mod.Close(ctx)
		}
	})
	b.Run("plinth", func(b *testing.B) {
		m := sharedGoContract(b)
		ctx := context.Background()
		h := &testHost{storage: map[string][]byte{}}
		var gas uint64
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := m.Call(ctx, Request{Func: "put", Args: []uint64{uint64(i)}, Gas: goGas, Env: h})
			if err != nil || res.Values[0] != uint64(i)+1 {
				b.Fatalf("put: %v %v", res.Values, err)
			}
			gas = res.GasUsed
		}
		b.ReportMetric(float64(gas), "gas/op")
	})
}

// BenchmarkDeployGo: Deploy of the Go contract (3.6 MB) with an empty cache
// directory (validate, instrument, compile, pre-initialize, compile again)
// and with a warm one (read the prepared module, load compiled code).
// peak-heap-MB is the largest Go heap seen while deploying.
func BenchmarkDeployGo(b *testing.B) {
	code := goContract(b)
	ctx := context.Background()
	deploy := func(b *testing.B, dir string) {
		e, err := NewEngine(ctx, Config{CacheDir: dir, Host: testHostFuncs()})
		if err != nil {
			b.Fatal(err)
		}
		m, err := e.Deploy(ctx, code, ParamsV1())
		if err != nil {
			b.Fatal(err)
		}
		_ = m.Close(ctx)
		_ = e.Close(ctx)
	}
	b.Run("cold", func(b *testing.B) {
		peak := watchHeap(b)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			deploy(b, b.TempDir())
		}
		peak()
	})
	b.Run("warm", func(b *testing.B) {
		dir := b.TempDir()
		deploy(b, dir)
		peak := watchHeap(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			deploy(b, dir)
		}
		peak()
	})
}

// watchHeap samples the Go heap until the returned function is called,
// which reports the peak as a metric.
func watchHeap(b *testing.B) func() {
	runtime.GC()
	done := make(chan struct{})
	peakc := make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				peakc <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		b.ReportMetric(float64(<-peakc)/(1<<20), "peak-heap-MB")
	}
}
