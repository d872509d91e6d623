// Package instrument rewrites a decoded module so that running it is
// deterministic and metered without any host call on the hot path:
//
//   - gas: an exported mutable i64 global is decremented at the start of every
//     metered segment (a maximal run of instructions that always executes as a
//     whole once entered); bulk operations charge by their operand first;
//   - stack: an exported mutable i32 global counts the static frame size of
//     every active call and traps past a fixed limit, so recursion fails at
//     the same depth on every machine;
//   - floats: every instruction whose NaN result the spec leaves open is
//     followed by a rewrite to the canonical NaN;
//   - start: the start function becomes an ordinary export, so the caller runs
//     it under a gas limit like any call.
//
// The rules, with the reasons, are in docs/gas.md and docs/RATIONALE.md.
package instrument

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// Reserved export names. A module that exports anything under ReservedPrefix
// itself is refused.
const (
	ReservedPrefix = "__plinth_"
	ExportGas      = "__plinth_gas"
	ExportStack    = "__plinth_stack"
	ExportStart    = "__plinth_start"
	// StackMemoryLimit is the value the stack global holds after memory.grow
	// trapped at the Plinth memory limit.
	StackMemoryLimit = 0xFFFFFFFF
	// Module-defined mutable global i is exported as ExportGlobal+i so a
	// pooled instance can be reset to its snapshot.
	ExportGlobal = "__plinth_g"
)

// Config holds every number the rewrite depends on. All of them are
// consensus-visible: vm.Params fills this in.
type Config struct {
	Features wasm.Features

	// Weights prices one instruction of each class.
	Weights [wasm.NumClasses]uint64
	// SegmentCheck is added to every metered segment: the cost of the check
	// itself.
	SegmentCheck uint64
	// FunctionEntry is added to a function's first segment: the stack-limit
	// prologue and epilogue.
	FunctionEntry uint64
	// NaNCanonicalize is added per float instruction that gets a NaN rewrite.
	NaNCanonicalize uint64
	// MemoryGrowPerPage is charged per page requested by memory.grow.
	MemoryGrowPerPage uint64
	// BulkMemoryPerWord is charged per started 8-byte word of memory.copy,
	// memory.fill and memory.init.
	BulkMemoryPerWord uint64
	// TablePerElement is charged per element of table.grow, table.fill,
	// table.copy and table.init.
	TablePerElement uint64

	// StackLimit bounds the sum of the frame sizes of all active calls,
	// in slots; a frame is FrameOverhead + params + locals + the function's
	// maximum operand-stack height.
	StackLimit    uint32
	FrameOverhead uint32
	// MaxMemoryPages replaces a memory's maximum when it is absent or larger.
	MaxMemoryPages uint32
}

// Per-unit prices are multiplied by 32-bit operands inside the module; these
// bounds keep the product, and gas minus it, inside a signed 64-bit integer.
const (
	maxUnitPrice = 1 << 28
	// MaxGas is the largest gas limit a call may start with.
	MaxGas = 1 << 62
)

// Validate reports every problem with the configuration in one error.
func (c *Config) Validate() error {
	var errs []error
	for cl, w := range c.Weights {
		if w == 0 || w > maxUnitPrice {
			errs = append(errs, fmt.Errorf("weight of instruction class %d is %d, want 1..%d", cl, w, maxUnitPrice))
		}
	}
	for _, p := range []struct {
		name string
		v    uint64
	}{
		{"segment check", c.SegmentCheck}, {"function entry", c.FunctionEntry}, {"NaN canonicalization", c.NaNCanonicalize},
		{"memory.grow per page", c.MemoryGrowPerPage}, {"bulk memory per word", c.BulkMemoryPerWord}, {"table per element", c.TablePerElement},
	} {
		if p.v > maxUnitPrice {
			errs = append(errs, fmt.Errorf("%s costs %d, more than %d", p.name, p.v, maxUnitPrice))
		}
	}
	if c.StackLimit == 0 || c.StackLimit > math.MaxInt32/2 {
		errs = append(errs, fmt.Errorf("stack limit %d out of range 1..%d", c.StackLimit, math.MaxInt32/2))
	}
	if c.MaxMemoryPages == 0 || c.MaxMemoryPages > 65536 {
		errs = append(errs, fmt.Errorf("memory limit %d pages out of range 1..65536", c.MaxMemoryPages))
	}
	return errors.Join(errs...)
}

// Result is an instrumented module and what the caller needs to drive it.
type Result struct {
	Module *wasm.Module
	// MutableGlobals lists the module-defined mutable globals (by index in
	// the global index space) exported as ExportGlobal+index.
	MutableGlobals []uint32
	// HasStart reports that the module had a start function, now exported
	// as ExportStart.
	HasStart bool
	// InstanceState reports instructions that change an instance beyond its
	// memory and globals (table writes, data.drop, elem.drop); an instance
	// that may have run them cannot be reused from a snapshot.
	InstanceState bool
	// FrameSizes is each defined function's frame size in stack slots.
	FrameSizes []uint32
}

// ErrInvalid marks a module that refers to a function, global or type that
// does not exist. The rewrite appends functions, globals and types, so such a
// reference must be refused here: after the rewrite it could point at ours.
var ErrInvalid = errors.New("invalid module")

// ErrStackFrame reports a function whose frame alone exceeds the stack limit.
var ErrStackFrame = errors.New("instrument: function frame exceeds the stack limit")

// Instrument rewrites m. It does not modify m; the result shares unmodified
// byte slices with it.
func Instrument(m *wasm.Module, cfg *Config) (*Result, error) {
	funcTypes, err := m.FuncTypes()
	if err != nil {
		return nil, fmt.Errorf("instrument: %w", err)
	}
	for _, e := range m.Exports {
		if len(e.Name) >= len(ReservedPrefix) && e.Name[:len(ReservedPrefix)] == ReservedPrefix {
			return nil, fmt.Errorf("instrument: export %q uses the reserved prefix %q", e.Name, ReservedPrefix)
		}
	}
	if err := checkRefs(m, uint32(len(funcTypes)), m.NumImported(wasm.KindGlobal)+uint32(len(m.Globals)), cfg.Features); err != nil {
		return nil, err
	}
	out := *m
	out.Types = append([]wasm.FuncType(nil), m.Types...)
	out.Globals = append([]wasm.Global(nil), m.Globals...)
	out.Exports = append([]wasm.Export(nil), m.Exports...)
	out.Funcs = append([]uint32(nil), m.Funcs...)
	out.Codes = make([]wasm.Code, len(m.Codes), len(m.Codes)+3)
	out.Memories = append([]wasm.Limits(nil), m.Memories...)
	res := &Result{Module: &out, FrameSizes: make([]uint32, len(m.Codes))}

	// Reserved globals go after all existing ones, so no index moves.
	importedGlobals := m.NumImported(wasm.KindGlobal)
	gasGlobal := importedGlobals + uint32(len(m.Globals))
	stackGlobal := gasGlobal + 1
	for i, g := range m.Globals {
		if g.Type.Mutable {
			idx := importedGlobals + uint32(i)
			res.MutableGlobals = append(res.MutableGlobals, idx)
			out.Exports = append(out.Exports, wasm.Export{Name: ExportGlobal + strconv.Itoa(int(idx)), Kind: wasm.KindGlobal, Index: idx})
		}
	}
	out.Globals = append(out.Globals,
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I64, Mutable: true}, Init: wasm.ConstI64(0)},
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: wasm.ConstI32(0)},
	)
	out.Exports = append(out.Exports,
		wasm.Export{Name: ExportGas, Kind: wasm.KindGlobal, Index: gasGlobal},
		wasm.Export{Name: ExportStack, Kind: wasm.KindGlobal, Index: stackGlobal},
	)
	if m.Start != nil {
		out.Exports = append(out.Exports, wasm.Export{Name: ExportStart, Kind: wasm.KindFunc, Index: *m.Start})
		out.Start = nil
		res.HasStart = true
	}
	growLimit := false
	for i := range out.Memories {
		l := &out.Memories[i]
		growLimit = growLimit || !l.HasMax || l.Max > cfg.MaxMemoryPages
		if l.Min > cfg.MaxMemoryPages {
			return nil, fmt.Errorf("instrument: memory %d starts with %d pages, more than the limit of %d", i, l.Min, cfg.MaxMemoryPages)
		}
		if !l.HasMax || l.Max > cfg.MaxMemoryPages {
			l.Max, l.HasMax = cfg.MaxMemoryPages, true
		}
	}
	// Only the name section survives: it keeps traps readable and its
	// indices stay valid because nothing is renumbered.
	out.Customs = nil
	for _, c := range m.Customs {
		if c.Name == "name" {
			out.Customs = append(out.Customs, c)
		}
	}

	rw := &rewriter{
		cfg:         cfg,
		mod:         &out,
		funcTypes:   funcTypes,
		numTypes:    len(m.Types),
		numGlobals:  gasGlobal,
		gasGlobal:   gasGlobal,
		stackGlobal: stackGlobal,
		nextFunc:    uint32(len(funcTypes)),
		growLimit:   growLimit,
	}
	imported := int(m.NumImported(wasm.KindFunc))
	var body wasm.Body
	for i := range m.Codes {
		c := &m.Codes[i]
		fn := imported + i
		if err := wasm.DecodeBody(c.Body, c.Offset, fn, cfg.Features, &body); err != nil {
			return nil, err
		}
		code, frame, err := rw.function(fn, c, body.Instrs)
		if err != nil {
			return nil, err
		}
		out.Codes[i] = code
		res.FrameSizes[i] = frame
	}
	res.InstanceState = rw.instanceState
	rw.appendHelpers()
	return res, nil
}

// checkRefs refuses references, outside function bodies, to functions and
// globals that do not exist (bodies are checked while they are rewritten).
func checkRefs(m *wasm.Module, nFuncs, nGlobals uint32, f wasm.Features) error {
	var bad error
	ref := func(where string) func(op wasm.Op, idx uint32) {
		return func(op wasm.Op, idx uint32) {
			if bad != nil {
				return
			}
			if op == wasm.OpGlobalGet && idx >= nGlobals {
				bad = fmt.Errorf("instrument: %s: unknown global %d: %w", where, idx, ErrInvalid)
			}
			if op == wasm.OpRefFunc && idx >= nFuncs {
				bad = fmt.Errorf("instrument: %s: unknown function %d: %w", where, idx, ErrInvalid)
			}
		}
	}
	for _, e := range m.Exports {
		switch {
		case e.Kind == wasm.KindFunc && e.Index >= nFuncs:
			return fmt.Errorf("instrument: export %q: unknown function %d: %w", e.Name, e.Index, ErrInvalid)
		case e.Kind == wasm.KindGlobal && e.Index >= nGlobals:
			return fmt.Errorf("instrument: export %q: unknown global %d: %w", e.Name, e.Index, ErrInvalid)
		}
	}
	if m.Start != nil && *m.Start >= nFuncs {
		return fmt.Errorf("instrument: start: unknown function %d: %w", *m.Start, ErrInvalid)
	}
	for i, g := range m.Globals {
		wasm.ConstExprRefs(g.Init, ref(fmt.Sprintf("global %d", i)))
	}
	for i, d := range m.Datas {
		wasm.ConstExprRefs(d.Offset, ref(fmt.Sprintf("data %d", i)))
	}
	elems, err := wasm.DecodeElements(m, f)
	if err != nil {
		return err
	}
	for i, e := range elems {
		where := fmt.Sprintf("element %d", i)
		wasm.ConstExprRefs(e.Offset, ref(where))
		for _, x := range e.Exprs {
			wasm.ConstExprRefs(x, ref(where))
		}
		for _, fn := range e.Funcs {
			if fn >= nFuncs && bad == nil {
				bad = fmt.Errorf("instrument: %s: unknown function %d: %w", where, fn, ErrInvalid)
			}
		}
	}
	return bad
}
