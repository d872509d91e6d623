package runtime

import (
	"context"
	"fmt"

	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
	"github.com/plinthchain/plinth/vm"
)

// Config configures a Runtime.
type Config struct {
	// CacheDir keeps compiled modules on disk across restarts (vm.Config).
	CacheDir string
	// Interpreter runs contracts on wazero's interpreter (tests compare).
	Interpreter bool
	// SigCache, if set, answers signature checks of transactions verified
	// before (by the node's mempool): tx.SigCache.
	SigCache *tx.SigCache
	// MaxModules bounds the compiled modules kept in memory (0:
	// DefaultMaxModules); the least recently used is dropped and compiled
	// again from stored code when next called.
	MaxModules int
}

// Runtime executes blocks. It holds the VM engine and the modules compiled
// so far, by code hash: which modules are compiled is never visible to
// consensus (gas does not depend on it). Safe for concurrent use; one
// block is applied at a time by its caller.
type Runtime struct {
	engine *vm.Engine
	sigs   *tx.SigCache

	modules *moduleCache
}

// New starts a runtime with the host ABI.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	e, err := vm.NewEngine(ctx, vm.Config{CacheDir: cfg.CacheDir, Interpreter: cfg.Interpreter, Host: hostfns.Functions()})
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	return &Runtime{engine: e, sigs: cfg.SigCache, modules: newModuleCache(cfg.MaxModules)}, nil
}

// Close releases the engine.
func (rt *Runtime) Close(ctx context.Context) error { return rt.engine.Close(ctx) }

// module returns the compiled module of stored code, compiling it on first
// use (its deploy paid for that), held for the caller until it calls
// release.
func (rt *Runtime) module(ctx context.Context, r state.Reader, p *params.Params, hash [32]byte) (*vm.Module, func(), error) {
	if m, release, ok := rt.modules.get(hash); ok {
		return m, release, nil
	}
	code, err := loadCode(r, hash)
	if err != nil {
		return nil, nil, err
	}
	m, err := rt.engine.Deploy(ctx, code, p.VM)
	if err != nil {
		// Stored code was deployed once under these rules: not the
		// transaction's fault if it no longer compiles.
		return nil, nil, &nodeError{fmt.Errorf("runtime: compile stored code %x: %w", hash[:8], err)}
	}
	m, release := rt.modules.add(m)
	return m, release, nil
}

// nodeError marks an error that is the node's, not a transaction's (a
// state read failed): it aborts the block instead of failing the
// transaction, since another node would not fail the same way.
type nodeError struct{ err error }

func (e *nodeError) Error() string { return e.err.Error() }
func (e *nodeError) Unwrap() error { return e.err }
