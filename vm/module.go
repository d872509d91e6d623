package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/plinthchain/plinth/vm/internal/instrument"
	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// Request is one call of a module's export.
type Request struct {
	// Func is the export to call.
	Func string
	// Args are the export's parameters in wazero's encoding (see api.EncodeI32
	// and friends); contract entry points take none.
	Args []uint64
	// Gas is the limit; at most 2^62.
	Gas uint64
	// Env is handed to host functions through Caller.Env.
	Env any
	// Time is what WASI clocks read, in nanoseconds since the Unix epoch
	// (the block time on chain).
	Time int64
	// Seed seeds WASI random_get (on chain: derived from the transaction
	// hash and call index).
	Seed [32]byte
}

// Result is the outcome of a call. GasUsed is exact also when Call returns
// an error.
type Result struct {
	Values  []uint64
	GasUsed uint64
	// Log is the call's debug output (fd_write to stdout/stderr, the log
	// host function). It is not part of consensus.
	Log []byte
}

// Module is a deployed module: validated, instrumented, pre-initialized and
// compiled. It is safe for concurrent calls; each runs on its own instance.
type Module struct {
	engine   *Engine
	rt       wazero.Runtime // the runtime compiled belongs to
	params   Params
	compiled wazero.CompiledModule
	// CodeHash is the SHA-256 of the module as deployed (before rewriting).
	CodeHash [32]byte
	artifact
	// fromCache records that Deploy found the artifact on disk.
	fromCache bool

	mu   sync.Mutex
	idle []*instance
	// snapshot is the memory and mutable globals of a fresh instance, which
	// a pooled instance is reset to after every call.
	snapMem     []byte
	snapGlobals []uint64
	snapOnce    sync.Once
	snapErr     error
	// first is the instance the snapshot was taken from, until a call
	// takes it (guarded by mu).
	first *instance
}

// instance is one wazero module instance with the handles a call needs.
type instance struct {
	mod     api.Module
	gas     api.MutableGlobal
	stack   api.MutableGlobal
	memFlag api.MutableGlobal
	// mem is the instance's memory, or a nil interface when it has none
	// (wazero's Module.Memory returns a typed nil then).
	mem api.Memory
	// caller is what host functions receive; Memory() on it is nil-safe.
	caller  api.Module
	globals []api.MutableGlobal
	pages   uint32 // memory size when the instance was created
	// fns caches exported functions: wazero allocates a call engine for
	// every ExportedFunction lookup.
	fns map[string]api.Function
}

// Deploy validates, instruments, pre-initializes and compiles code under p.
// Imports must name host functions of the engine (or the WASI shim) with
// matching signatures.
func (e *Engine) Deploy(ctx context.Context, code []byte, p Params) (*Module, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	hash := sha256.Sum256(code)
	key := e.cacheKey(hash, &p)
	if art, ok := e.loadArtifact(key); ok {
		if m, err := e.load(ctx, hash, p, art); err == nil {
			m.fromCache = true
			return m, nil
		}
		// A cache entry that does not compile is ignored and rebuilt.
	}
	prep, err := prepare(code, &p, wasm.FeaturesV2)
	if err != nil {
		return nil, fmt.Errorf("deploy %x: %w", hash[:8], err)
	}
	if err := e.checkImports(prep.mod); err != nil {
		return nil, fmt.Errorf("deploy %x: %w", hash[:8], err)
	}
	art := &artifact{
		Bin:       prep.bin,
		HasStart:  prep.res.HasStart,
		Poolable:  !prep.res.InstanceState && !hasRefGlobal(prep.mod),
		HasMemory: len(prep.mod.Memories) > 0,
		DeployGas: deployGas(&p, len(code), prep.res.NestedBytes),
	}
	for _, idx := range prep.res.MutableGlobals {
		art.GlobalNames = append(art.GlobalNames, instrument.ExportGlobal+strconv.Itoa(int(idx)))
	}
	for _, ex := range prep.mod.Exports {
		if ex.Name == "_initialize" && ex.Kind == wasm.KindFunc {
			art.HasInit = true
		}
	}
	// Modules whose state a memory-and-globals snapshot cannot capture run
	// their initializers on every call instead.
	if (art.HasStart || art.HasInit) && art.Poolable {
		if err := e.preinitialize(ctx, p, prep, art); err != nil {
			return nil, fmt.Errorf("deploy %x: %w", hash[:8], err)
		}
	}
	m, err := e.load(ctx, hash, p, art)
	if err != nil {
		return nil, fmt.Errorf("deploy %x: %w: %w", hash[:8], ErrInvalid, err)
	}
	e.storeArtifact(key, &m.artifact)
	return m, nil
}

// load compiles an artifact into a Module.
func (e *Engine) load(ctx context.Context, hash [32]byte, p Params, art *artifact) (*Module, error) {
	compiled, err := e.rt.CompileModule(ctx, art.Bin)
	if err != nil {
		return nil, err
	}
	return &Module{engine: e, rt: e.rt, params: p, CodeHash: hash, artifact: *art, compiled: compiled}, nil
}

func hasRefGlobal(m *wasm.Module) bool {
	for _, g := range m.Globals {
		if g.Type.Mutable && (g.Type.Type == wasm.FuncRef || g.Type.Type == wasm.ExternRef) {
			return true
		}
	}
	return false
}

// checkImports refuses any import that is not a host function of the engine
// with the same signature.
func (e *Engine) checkImports(m *wasm.Module) error {
	for _, im := range m.Imports {
		if im.Kind != wasm.KindFunc {
			return fmt.Errorf("%w: %s.%s: modules may import only functions, not a %v", ErrImport, im.Module, im.Name, im.Kind)
		}
		hf, ok := e.host[im.Module+"\x00"+im.Name]
		if !ok {
			return fmt.Errorf("%w: %s.%s is not a host function", ErrImport, im.Module, im.Name)
		}
		if int(im.TypeIndex) >= len(m.Types) {
			return fmt.Errorf("%w: import %s.%s: type index %d out of range", ErrInvalid, im.Module, im.Name, im.TypeIndex)
		}
		want := wasm.FuncType{Params: toWasm(hf.Params), Results: toWasm(hf.Results)}
		if got := m.Types[im.TypeIndex]; !got.Equal(want) {
			return fmt.Errorf("%w: %s.%s has signature %v, the host defines %v", ErrImport, im.Module, im.Name, got, want)
		}
	}
	return nil
}

func toWasm(ts []ValueType) []wasm.ValType {
	out := make([]wasm.ValType, len(ts))
	for i, t := range ts {
		out[i] = wasm.ValType(t)
	}
	return out
}

// preinitialize runs the start function and _initialize once, on the
// interpreter, then rewrites the module so that its initial memory and
// globals are what they left behind, and makes that art.Bin. Calls then pay
// neither the initializers nor their memory traffic.
func (e *Engine) preinitialize(ctx context.Context, p Params, prep *prepared, art *artifact) error {
	compiled, err := e.initRT.CompileModule(ctx, prep.bin)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer compiled.Close(ctx)
	tmp := &Module{engine: e, rt: e.initRT, params: p, artifact: *art, compiled: compiled}
	inst, err := tmp.instantiate(ctx)
	if err != nil {
		return err
	}
	defer inst.mod.Close(ctx)
	req := &Request{Gas: p.Gas.InitGas}
	if _, err := tmp.runInitializers(ctx, inst, req); err != nil {
		return fmt.Errorf("pre-initialize: %w", err)
	}
	out := *prep.mod
	// Memory: one active segment per run of non-zero bytes.
	if mem := inst.mem; mem != nil && len(out.Memories) > 0 {
		buf, _ := mem.Read(0, mem.Size())
		out.Memories = append([]wasm.Limits(nil), out.Memories...)
		out.Memories[0].Min = mem.Size() / 65536
		out.Datas = snapshotSegments(buf)
		if out.DataCount != nil {
			n := uint32(len(out.Datas))
			out.DataCount = &n
		}
	}
	// Mutable globals: new initial values.
	out.Globals = append([]wasm.Global(nil), out.Globals...)
	importedGlobals := out.NumImported(wasm.KindGlobal)
	for i, idx := range prep.res.MutableGlobals {
		g := &out.Globals[idx-importedGlobals]
		v := inst.globals[i].Get()
		switch g.Type.Type {
		case wasm.I32:
			g.Init = wasm.ConstI32(int32(uint32(v)))
		case wasm.I64:
			g.Init = wasm.ConstI64(int64(v))
		case wasm.F32:
			g.Init = wasm.ConstF32(uint32(v))
		case wasm.F64:
			g.Init = wasm.ConstF64(v)
		}
	}
	// The initializers have run; nobody may run them again.
	exports := out.Exports[:0:0]
	for _, ex := range out.Exports {
		if ex.Name != "_initialize" && ex.Name != instrument.ExportStart {
			exports = append(exports, ex)
		}
	}
	out.Exports = exports
	art.Bin = wasm.Encode(&out)
	art.Preinit = true
	return nil
}

// snapshotSegments turns a memory image into active data segments covering
// its non-zero bytes; runs separated by fewer than 16 zero bytes are merged
// to keep the segment count down.
func snapshotSegments(mem []byte) []wasm.Data {
	const gap = 16
	var out []wasm.Data
	i := 0
	for i < len(mem) {
		for i < len(mem) && mem[i] == 0 {
			i++
		}
		if i == len(mem) {
			break
		}
		start, zeros := i, 0
		for i < len(mem) && zeros < gap {
			if mem[i] == 0 {
				zeros++
			} else {
				zeros = 0
			}
			i++
		}
		end := i - zeros
		out = append(out, wasm.Data{Offset: wasm.ConstI32(int32(start)), Init: mem[start:end:end]})
	}
	return out
}

// instantiate creates an instance and looks up the reserved exports.
func (m *Module) instantiate(ctx context.Context) (*instance, error) {
	mod, err := m.rt.InstantiateModule(ctx, m.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	inst := &instance{mod: mod, fns: map[string]api.Function{}}
	var ok bool
	if inst.gas, ok = mod.ExportedGlobal(instrument.ExportGas).(api.MutableGlobal); !ok {
		_ = mod.Close(ctx)
		return nil, errors.New("vm: instrumented module lacks its gas global")
	}
	if inst.stack, ok = mod.ExportedGlobal(instrument.ExportStack).(api.MutableGlobal); !ok {
		_ = mod.Close(ctx)
		return nil, errors.New("vm: instrumented module lacks its stack global")
	}
	if inst.memFlag, ok = mod.ExportedGlobal(instrument.ExportMemoryLimit).(api.MutableGlobal); !ok {
		_ = mod.Close(ctx)
		return nil, errors.New("vm: instrumented module lacks its memory-limit flag")
	}
	for _, name := range m.GlobalNames {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("vm: instrumented module lacks global %s", name)
		}
		inst.globals = append(inst.globals, g)
	}
	if m.HasMemory {
		inst.mem = mod.Memory()
		inst.pages = inst.mem.Size() / 65536
		inst.caller = callerModule{Module: mod, mem: inst.mem}
	} else {
		inst.caller = callerModule{Module: mod}
	}
	return inst, nil
}

// runInitializers runs the start function and _initialize, in that order,
// as ordinary metered calls sharing req's gas.
func (m *Module) runInitializers(ctx context.Context, inst *instance, req *Request) (uint64, error) {
	var used uint64
	for _, name := range []string{instrument.ExportStart, "_initialize"} {
		if (name == instrument.ExportStart && !m.HasStart) || (name == "_initialize" && !m.HasInit) {
			continue
		}
		sub := *req
		sub.Func, sub.Args, sub.Gas = name, nil, req.Gas-used
		res, err := m.run(ctx, inst, &sub)
		used += res.GasUsed
		if err != nil {
			// The module's own last words (a Go panic message, say) are in
			// the debug log; they are the useful part of the error.
			if log := res.Log; len(log) > 0 {
				if len(log) > 512 {
					log = log[len(log)-512:]
				}
				return used, fmt.Errorf("%s: %w; debug log ends: %q", name, err, log)
			}
			return used, fmt.Errorf("%s: %w", name, err)
		}
	}
	return used, nil
}

// Call runs req.Func. Errors that end the call (out of gas, a trap, an
// abort) come back with an exact Result.GasUsed; other errors (no such
// export, bad arguments) use no gas.
func (m *Module) Call(ctx context.Context, req Request) (Result, error) {
	if req.Gas > instrument.MaxGas {
		return Result{}, fmt.Errorf("vm: gas limit %d exceeds %d", req.Gas, uint64(instrument.MaxGas))
	}
	if req.Func == "_initialize" || req.Func == instrument.ExportStart {
		return Result{}, fmt.Errorf("%w: %s is run by the VM, not callable", ErrNoExport, req.Func)
	}
	inst, fresh, err := m.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	var used uint64
	if fresh && !m.Preinit && (m.HasStart || m.HasInit) {
		// Not pre-initializable: the initializers are part of every call.
		used, err = m.runInitializers(ctx, inst, &req)
		if err != nil {
			m.discard(ctx, inst)
			return Result{GasUsed: used}, err
		}
	}
	sub := req
	sub.Gas -= used
	res, err := m.run(ctx, inst, &sub)
	res.GasUsed += used
	m.release(ctx, inst)
	return res, err
}

// run calls one export on inst and classifies how it ended.
func (m *Module) run(ctx context.Context, inst *instance, req *Request) (Result, error) {
	fn, ok := inst.fns[req.Func]
	if !ok {
		if fn = inst.mod.ExportedFunction(req.Func); fn == nil {
			return Result{}, fmt.Errorf("%w: %q", ErrNoExport, req.Func)
		}
		inst.fns[req.Func] = fn
	}
	if n := len(fn.Definition().ParamTypes()); n != len(req.Args) {
		return Result{}, fmt.Errorf("vm: %s takes %d arguments, got %d", req.Func, n, len(req.Args))
	}
	cs := &callState{inst: inst, req: req, gas: &m.params.Gas}
	cs.caller = Caller{mod: inst.caller, cs: cs}
	inst.gas.Set(req.Gas)
	inst.stack.Set(0)
	inst.memFlag.Set(0)
	values, err := fn.Call(context.WithValue(ctx, callKey{}, cs), req.Args...)
	left := int64(inst.gas.Get())
	res := Result{Values: values, Log: cs.log}
	if left < 0 {
		res.GasUsed = req.Gas
		return res, ErrOutOfGas
	}
	res.GasUsed = req.Gas - uint64(left)
	if err != nil {
		return res, m.classify(inst, err)
	}
	return res, nil
}

// classify turns the error wazero returned into one of the vm errors.
func (m *Module) classify(inst *instance, err error) error {
	if errors.Is(err, ErrOutOfGas) {
		return ErrOutOfGas
	}
	if uint32(inst.stack.Get()) > m.params.MaxStackSlots {
		return ErrStackExhausted
	}
	var cause error
	var abort *AbortError
	var exit *ExitError
	switch {
	case errors.As(err, &abort):
		cause = abort
	case errors.As(err, &exit):
		cause = exit
	default:
		if kind, ok := trapKind(err); ok {
			cause = &TrapError{Kind: kind}
		} else {
			cause = fmt.Errorf("vm: call failed: %w", err)
		}
	}
	if inst.memFlag.Get() != 0 {
		// A grow was refused at the Plinth limit before the call failed
		// (Go's runtime, for one, exits when the heap cannot grow).
		return fmt.Errorf("%w (%d pages): %w", ErrMemoryLimit, m.params.MaxMemoryPages, cause)
	}
	return cause
}

// trapKind recognizes wazero's trap errors. They are values of an internal
// type, wrapped once by "wasm error: %w"; the inner error's text is the
// stable name of the trap.
func trapKind(err error) (TrapKind, bool) {
	inner := errors.Unwrap(err)
	if inner == nil {
		return 0, false
	}
	msg := inner.Error()
	for k, name := range trapNames {
		if k != int(TrapUnknown) && name == msg {
			return TrapKind(k), true
		}
	}
	return 0, false
}

// acquire takes an idle instance or creates one. fresh reports a new one.
// The first instance ever created provides the snapshot every instance is
// reset to.
func (m *Module) acquire(ctx context.Context) (*instance, bool, error) {
	m.snapOnce.Do(func() {
		inst, err := m.instantiate(ctx)
		if err == nil {
			if err = m.takeSnapshot(inst); err != nil {
				m.discard(ctx, inst)
			}
		}
		if err != nil {
			m.snapErr = err
			return
		}
		m.first = inst
	})
	if m.snapErr != nil {
		return nil, false, m.snapErr
	}
	m.mu.Lock()
	if inst := m.first; inst != nil {
		m.first = nil
		m.mu.Unlock()
		return inst, true, nil
	}
	if n := len(m.idle); m.Poolable && n > 0 {
		inst := m.idle[n-1]
		m.idle = m.idle[:n-1]
		m.mu.Unlock()
		return inst, false, nil
	}
	m.mu.Unlock()
	inst, err := m.instantiate(ctx)
	if err != nil {
		return nil, false, err
	}
	return inst, true, nil
}

// takeSnapshot records a fresh instance's memory and mutable globals: the
// state every pooled instance is reset to.
func (m *Module) takeSnapshot(inst *instance) error {
	if mem := inst.mem; mem != nil {
		buf, ok := mem.Read(0, mem.Size())
		if !ok {
			return errors.New("vm: cannot read fresh memory")
		}
		m.snapMem = append([]byte(nil), buf...)
	}
	m.snapGlobals = make([]uint64, len(inst.globals))
	for i, g := range inst.globals {
		m.snapGlobals[i] = g.Get()
	}
	return nil
}

// release resets inst to the snapshot and returns it to the pool, or
// discards it when it cannot be reset (its memory grew, or the module runs
// its initializers per call) or the pool is full.
func (m *Module) release(ctx context.Context, inst *instance) {
	mem := inst.mem
	if !m.Poolable || (mem != nil && mem.Size()/65536 != inst.pages) {
		m.discard(ctx, inst)
		return
	}
	if mem != nil && !mem.Write(0, m.snapMem) {
		m.discard(ctx, inst)
		return
	}
	for i, g := range inst.globals {
		g.Set(m.snapGlobals[i])
	}
	m.mu.Lock()
	if len(m.idle) < m.engine.cfg.PoolSize {
		m.idle = append(m.idle, inst)
		inst = nil
	}
	m.mu.Unlock()
	if inst != nil {
		m.discard(ctx, inst)
	}
}

func (m *Module) discard(ctx context.Context, inst *instance) { _ = inst.mod.Close(ctx) }

// Close releases the module's compiled code and idle instances.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	idle := m.idle
	if m.first != nil {
		idle = append(idle, m.first)
		m.first = nil
	}
	m.idle = nil
	m.mu.Unlock()
	for _, inst := range idle {
		m.discard(ctx, inst)
	}
	return m.compiled.Close(ctx)
}

// callerModule is the calling module as host functions see it: its Memory
// is a true nil interface when the module has no memory.
type callerModule struct {
	api.Module
	mem api.Memory
}

func (c callerModule) Memory() api.Memory { return c.mem }

// HasExport reports whether the module exports a function called name.
// The instrumenter's own exports (__plinth_…) are not the module's.
func (m *Module) HasExport(name string) bool {
	if strings.HasPrefix(name, "__plinth_") {
		return false
	}
	_, ok := m.compiled.ExportedFunctions()[name]
	return ok
}
