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
	// ExportMemoryLimit is an i32 global set to 1 when memory.grow was
	// refused because of the Plinth memory limit rather than a maximum the
	// module declared. The grow still returns -1, as the spec requires; the
	// flag lets the host name the cause if the call then fails.
	ExportMemoryLimit = "__plinth_memlimit"
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
	// MaxBrTableTargets bounds the labels of one br_table (0: no bound).
	MaxBrTableTargets uint32
	// MaxNestingDepth bounds how deep blocks nest in one function (0: no
	// bound). Compile time grows with it faster than with size.
	MaxNestingDepth uint32
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
	// NestedBytes is the sum over functions of body bytes times the
	// function's deepest block nesting: the part of compile cost that size
	// alone does not predict (docs/gas.md, "Compile cost").
	NestedBytes uint64
}

// ErrInvalid marks a module that refers to a function, global or type that
// does not exist. The rewrite appends functions, globals and types, so such a
// reference must be refused here: after the rewrite it could point at ours.
var ErrInvalid = errors.New("invalid module")

// ErrLimit marks a module that exceeds a limit of the configuration.
var ErrLimit = errors.New("limit exceeded")

// ErrStackFrame reports a function whose frame alone exceeds the stack limit.
var ErrStackFrame = fmt.Errorf("function frame exceeds the stack limit: %w", ErrLimit)

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
	if err := checkModule(m, cfg.Features); err != nil {
		return nil, err
	}
	declared, err := checkRefs(m, funcTypes, cfg.Features)
	if err != nil {
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
	memLimitGlobal := gasGlobal + 2
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
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: wasm.ConstI32(0)},
	)
	out.Exports = append(out.Exports,
		wasm.Export{Name: ExportGas, Kind: wasm.KindGlobal, Index: gasGlobal},
		wasm.Export{Name: ExportStack, Kind: wasm.KindGlobal, Index: stackGlobal},
		wasm.Export{Name: ExportMemoryLimit, Kind: wasm.KindGlobal, Index: memLimitGlobal},
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
			return nil, fmt.Errorf("instrument: memory %d starts with %d pages, more than the limit of %d: %w", i, l.Min, cfg.MaxMemoryPages, ErrLimit)
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
		cfg:       cfg,
		mod:       &out,
		funcTypes: funcTypes,
		mc: &moduleContext{
			types:     m.Types,
			funcs:     funcTypes,
			globals:   m.GlobalTypes(),
			tables:    tableTypes(m),
			memories:  int(m.NumImported(wasm.KindMemory)) + len(m.Memories),
			dataCount: m.DataCount,
			elems:     m.NumElems,
			declared:  declared,
		},
		gasGlobal:   gasGlobal,
		stackGlobal: stackGlobal,
		nextFunc:    uint32(len(funcTypes)),
		growLimit:   growLimit,
		memLimit:    memLimitGlobal,
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
	res.NestedBytes = rw.nestedBytes
	rw.appendHelpers()
	return res, nil
}

// checkModule checks the module-level rules of validation that are cheap to
// state: unique export names, how many memories and tables there may be,
// limits whose minimum exceeds their maximum, and the types of constant
// expressions. (wazero checks them too; checking here names the section and
// entry in Plinth's words, as the body checks do.)
func checkModule(m *wasm.Module, f wasm.Features) error {
	invalid := func(section string, format string, args ...any) error {
		return &wasm.DecodeError{Section: section, Func: -1, Msg: fmt.Sprintf(format, args...), Kind: ErrInvalid}
	}
	seen := make(map[string]bool, len(m.Exports))
	for i, e := range m.Exports {
		if seen[e.Name] {
			return invalid("export", "export %d duplicates the name %q", i, e.Name)
		}
		seen[e.Name] = true
	}
	nMems := int(m.NumImported(wasm.KindMemory)) + len(m.Memories)
	if nMems > 1 {
		return invalid("memory", "multiple memories (%d): at most one memory is allowed", nMems)
	}
	nTables := int(m.NumImported(wasm.KindTable)) + len(m.Tables)
	if nTables > 1 && f&wasm.FeatureRefTypes == 0 {
		return invalid("table", "multiple tables (%d) require reference types", nTables)
	}
	for i, l := range m.Memories {
		if l.HasMax && l.Min > l.Max {
			return invalid("memory", "memory %d: size minimum must not be greater than maximum", i)
		}
	}
	for i, t := range m.Tables {
		if t.HasMax && t.Min > t.Max {
			return invalid("table", "table %d: size minimum must not be greater than maximum", i)
		}
	}
	globals := m.GlobalTypes()
	imported := m.NumImported(wasm.KindGlobal)
	for i, g := range m.Globals {
		// A global's initializer sees only the imported globals.
		t, err := wasm.ConstExprType(g.Init, globals[:imported])
		if err == nil && t != g.Type.Type {
			err = fmt.Errorf("type mismatch: initializer of type %v for a %v global", t, g.Type.Type)
		}
		if err != nil {
			return invalid("global", "global %d: %v", int(imported)+i, err)
		}
	}
	for i, d := range m.Datas {
		if d.Passive {
			continue
		}
		if int(d.Memory) >= nMems {
			return invalid("data", "data %d: unknown memory %d", i, d.Memory)
		}
		if t, err := wasm.ConstExprType(d.Offset, globals); err != nil || t != wasm.I32 {
			return invalid("data", "data %d: offset must be an i32 constant expression (%v, %v)", i, t, err)
		}
	}
	return nil
}

// checkRefs refuses what the rewrite would otherwise turn valid outside
// function bodies: references to functions and globals past the original
// ones, a start function that is not [] -> [] (exporting it would hide
// that), non-constant initializers, memories over 4 GiB (the clamp would
// hide those) and active data and element segments that cannot fit their
// memory or table (the spec fails instantiation; wazero skips such element
// segments, and Deploy does not instantiate modules without initializers). It returns the functions
// ref.func may name.
func checkRefs(m *wasm.Module, funcTypes []wasm.FuncType, f wasm.Features) ([]bool, error) {
	nFuncs := uint32(len(funcTypes))
	globals := m.GlobalTypes()
	nImportedGlobals := m.NumImported(wasm.KindGlobal)
	declared := make([]bool, nFuncs)
	var bad error
	ref := func(where string) func(op wasm.Op, idx uint32) {
		return func(op wasm.Op, idx uint32) {
			switch {
			case bad != nil:
			case op == wasm.OpGlobalGet && (idx >= nImportedGlobals || globals[idx].Mutable):
				bad = fmt.Errorf("instrument: %s: constant expression required: global.get %d is not an imported immutable global: %w", where, idx, ErrInvalid)
			case op == wasm.OpRefFunc && idx >= nFuncs:
				bad = fmt.Errorf("instrument: %s: unknown function %d: %w", where, idx, ErrInvalid)
			case op == wasm.OpRefFunc:
				declared[idx] = true
			}
		}
	}
	for _, e := range m.Exports {
		switch {
		case e.Kind == wasm.KindFunc && e.Index >= nFuncs:
			return nil, fmt.Errorf("instrument: export %q: unknown function %d: %w", e.Name, e.Index, ErrInvalid)
		case e.Kind == wasm.KindFunc:
			declared[e.Index] = true
		case e.Kind == wasm.KindGlobal && e.Index >= uint32(len(globals)):
			return nil, fmt.Errorf("instrument: export %q: unknown global %d: %w", e.Name, e.Index, ErrInvalid)
		case e.Kind == wasm.KindTable && e.Index >= uint32(len(tableTypes(m))):
			return nil, fmt.Errorf("instrument: export %q: unknown table %d: %w", e.Name, e.Index, ErrInvalid)
		case e.Kind == wasm.KindMemory && e.Index >= m.NumImported(wasm.KindMemory)+uint32(len(m.Memories)):
			return nil, fmt.Errorf("instrument: export %q: unknown memory %d: %w", e.Name, e.Index, ErrInvalid)
		}
	}
	if m.Start != nil {
		if *m.Start >= nFuncs {
			return nil, fmt.Errorf("instrument: start: unknown function %d: %w", *m.Start, ErrInvalid)
		}
		if t := funcTypes[*m.Start]; len(t.Params) != 0 || len(t.Results) != 0 {
			return nil, fmt.Errorf("instrument: start function %d has type %v, want [] -> []: %w", *m.Start, t, ErrInvalid)
		}
	}
	for i, mem := range m.Memories {
		if mem.Min > 65536 || (mem.HasMax && mem.Max > 65536) {
			return nil, fmt.Errorf("instrument: memory %d: memory size must be at most 65536 pages (4GiB): %w", i, ErrInvalid)
		}
	}
	for i, g := range m.Globals {
		wasm.ConstExprRefs(g.Init, ref(fmt.Sprintf("global %d", i)))
	}
	nImportedMems := m.NumImported(wasm.KindMemory)
	for i, d := range m.Datas {
		where := fmt.Sprintf("data %d", i)
		wasm.ConstExprRefs(d.Offset, ref(where))
		if off, ok := wasm.ConstI32Value(d.Offset); ok && !d.Passive && d.Memory >= nImportedMems && int(d.Memory-nImportedMems) < len(m.Memories) {
			size := uint64(m.Memories[d.Memory-nImportedMems].Min) * 65536
			if uint64(uint32(off))+uint64(len(d.Init)) > size {
				return nil, fmt.Errorf("instrument: %s: %d bytes at offset %d do not fit memory %d of %d bytes: out of bounds memory access: %w", where, len(d.Init), uint32(off), d.Memory, size, ErrInvalid)
			}
		}
	}
	elems, err := wasm.DecodeElements(m, f)
	if err != nil {
		return nil, err
	}
	nImportedTables := m.NumImported(wasm.KindTable)
	nTables := uint32(len(tableTypes(m)))
	for i, e := range elems {
		where := fmt.Sprintf("element %d", i)
		if e.Offset != nil {
			if e.Table >= nTables {
				return nil, fmt.Errorf("instrument: %s: unknown table %d: %w", where, e.Table, ErrInvalid)
			}
			if t, err := wasm.ConstExprType(e.Offset, globals); err != nil || t != wasm.I32 {
				return nil, fmt.Errorf("instrument: %s: offset must be an i32 constant expression (%v, %v): %w", where, t, err, ErrInvalid)
			}
		}
		wasm.ConstExprRefs(e.Offset, ref(where))
		n := len(e.Funcs)
		for _, x := range e.Exprs {
			wasm.ConstExprRefs(x, ref(where))
			n++
		}
		for _, fn := range e.Funcs {
			if fn >= nFuncs {
				return nil, fmt.Errorf("instrument: %s: unknown function %d: %w", where, fn, ErrInvalid)
			}
			declared[fn] = true
		}
		if off, ok := wasm.ConstI32Value(e.Offset); ok && e.Table >= nImportedTables && int(e.Table-nImportedTables) < len(m.Tables) {
			if t := m.Tables[e.Table-nImportedTables]; uint64(uint32(off))+uint64(n) > uint64(t.Min) {
				return nil, fmt.Errorf("instrument: %s: %d elements at offset %d do not fit table %d of %d: out of bounds table access: %w", where, n, uint32(off), e.Table, t.Min, ErrInvalid)
			}
		}
	}
	return declared, bad
}

// tableTypes lists the tables of m in index order, imports first.
func tableTypes(m *wasm.Module) []wasm.TableType {
	var out []wasm.TableType
	for _, im := range m.Imports {
		if im.Kind == wasm.KindTable {
			out = append(out, im.Table)
		}
	}
	return append(out, m.Tables...)
}
