// Package vm runs WebAssembly contracts deterministically and meters them
// exactly: the same module, input and gas limit give the same result and the
// same gas used on every node, on amd64 and arm64, on wazero's compiler and
// its interpreter, with a warm or a cold compile cache.
//
// Deploy checks a module against Params, rewrites it (gas, stack limit, NaN
// canonicalization; see docs/gas.md), pre-initializes it and compiles it;
// Module.Call runs an export on a pooled instance reset to the deploy-time
// snapshot. The package knows nothing of chains: the host functions a module
// may import are supplied by the caller. Why the design is this way is
// written down in docs/RATIONALE.md.
package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ValueType is a WebAssembly value type in a host function signature.
type ValueType = api.ValueType

// Value types usable in host function signatures.
const (
	I32 = api.ValueTypeI32
	I64 = api.ValueTypeI64
	F32 = api.ValueTypeF32
	F64 = api.ValueTypeF64
)

// HostFunc is a function modules may import. Fn reads its parameters from
// stack and writes its results there (wazero's calling convention). It must
// charge gas through the Caller before doing work, and ends the call by
// panicking with an error (Caller.Abort, Caller.Charge do this).
type HostFunc struct {
	Module, Name    string
	Params, Results []ValueType
	Fn              func(ctx context.Context, c *Caller, stack []uint64)
}

// Config configures an Engine. The zero value is usable: compiler engine,
// no disk cache, no host functions beyond WASI.
type Config struct {
	// CacheDir, when set, keeps prepared modules and compiled machine code
	// on disk so a restarted process does not recompile.
	CacheDir string
	// Interpreter runs modules on wazero's interpreter instead of its
	// compiler. Results and gas are identical; tests compare the two.
	Interpreter bool
	// Host lists the functions modules may import, besides the WASI shim.
	Host []HostFunc
	// PoolSize bounds the idle instances kept per module (0: the default,
	// 4). A negative size keeps none: every call gets a fresh instance,
	// which is what pooled calls are tested and benchmarked against.
	PoolSize int
}

// Engine compiles and runs modules. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	rt     wazero.Runtime
	initRT wazero.Runtime // interpreter, for pre-initialization
	cache  wazero.CompilationCache
	// host maps "module\x00name" to the signature modules must import.
	host map[string]HostFunc
	// hostDigest hashes every host signature, in sorted order: part of
	// the cache key of prepared modules.
	hostDigest [32]byte
}

// NewEngine starts a wazero runtime with the host functions registered.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 4
	}
	rc := wazero.NewRuntimeConfigCompiler()
	if cfg.Interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	// Features are gated by our decoder; wazero only has to accept what it
	// lets through (2.0 core; SIMD never reaches it).
	rc = rc.WithCoreFeatures(api.CoreFeaturesV2)
	e := &Engine{cfg: cfg, host: map[string]HostFunc{}}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir + "/wazero")
		if err != nil {
			return nil, fmt.Errorf("vm: open compile cache %s: %w", cfg.CacheDir, err)
		}
		e.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	e.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	// Pre-initialization runs each module's initializers once, at deploy;
	// wazero's interpreter does that far sooner than the compiler could
	// compile a module it would run only once (results are identical).
	e.initRT = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))

	funcs := append(wasiFuncs(), cfg.Host...)
	byModule := map[string][]HostFunc{}
	for _, hf := range funcs {
		key := hf.Module + "\x00" + hf.Name
		if _, dup := e.host[key]; dup {
			_ = e.Close(ctx)
			return nil, fmt.Errorf("vm: host function %s.%s defined twice", hf.Module, hf.Name)
		}
		e.host[key] = hf
		byModule[hf.Module] = append(byModule[hf.Module], hf)
	}
	names := make([]string, 0, len(byModule))
	for name := range byModule {
		names = append(names, name)
	}
	sort.Strings(names)
	dh := sha256.New()
	for _, name := range names {
		for _, hf := range byModule[name] {
			fmt.Fprintf(dh, "%s.%s%v%v;", hf.Module, hf.Name, hf.Params, hf.Results)
		}
	}
	copy(e.hostDigest[:], dh.Sum(nil))
	for _, rt := range []wazero.Runtime{e.rt, e.initRT} {
		for _, name := range names {
			if err := registerHostModule(ctx, rt, name, byModule[name]); err != nil {
				_ = e.Close(ctx)
				return nil, err
			}
		}
	}
	return e, nil
}

// registerHostModule defines one host module in rt. Host functions find the
// running call through the context.
func registerHostModule(ctx context.Context, rt wazero.Runtime, name string, funcs []HostFunc) error {
	b := rt.NewHostModuleBuilder(name)
	for _, hf := range funcs {
		fn := hf.Fn
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
				cs, _ := ctx.Value(callKey{}).(*callState)
				if cs == nil {
					panic(errors.New("vm: host function called outside a vm call"))
				}
				fn(ctx, &cs.caller, stack)
			}), hf.Params, hf.Results).
			Export(hf.Name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("vm: register host module %s: %w", name, err)
	}
	return nil
}

// Close releases the runtimes and every module compiled by them.
func (e *Engine) Close(ctx context.Context) error {
	err := errors.Join(e.rt.Close(ctx), e.initRT.Close(ctx))
	if e.cache != nil {
		err = errors.Join(err, e.cache.Close(ctx))
	}
	return err
}

// callKey carries the *callState of the running call to host functions.
type callKey struct{}
