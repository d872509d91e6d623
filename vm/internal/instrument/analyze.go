package instrument

import (
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// unknown is the type of a value popped from the polymorphic stack after
// an unconditional branch: it matches anything.
const unknown wasm.ValType = 0

// ctrlFrame is one open block during validation (the spec's control frame).
type ctrlFrame struct {
	op          wasm.Op
	start, end  []wasm.ValType
	height      int
	unreachable bool
}

// moduleContext is what validating a body needs to know of its module,
// all taken from the original module, before anything is appended.
type moduleContext struct {
	types     []wasm.FuncType
	funcs     []wasm.FuncType
	globals   []wasm.GlobalType
	tables    []wasm.TableType
	memories  int
	dataCount *uint32
	elems     uint32
	declared  []bool
}

// validator checks one function body against the WebAssembly validation
// algorithm (the spec's appendix) and measures it on the way.
type validator struct {
	mc     *moduleContext
	fn     int
	base   int // absolute offset of the body in the module
	vals   []wasm.ValType
	ctrls  []ctrlFrame
	locals []wasm.LocalDecl
	params []wasm.ValType
	max    int
	depth  int
	limit  *Config
	in     *wasm.Instr
	err    error
}

// analyze validates a function body and returns the largest number of
// values its operand stack can hold (counting values, not bytes: the static
// part of the frame the stack limiter charges) and the deepest nesting of
// blocks (compile time grows with it).
//
// Validating here rather than leaving it to wazero has two reasons. Errors
// name the function and the absolute byte offset of the offending
// instruction. And the rewrite appends a wrapper block, locals, globals,
// functions and types, so a reference one past the original index spaces
// would become valid after it: such references must be refused before.
func (rw *rewriter) analyze(fn int, c *wasm.Code, ft wasm.FuncType, instrs []wasm.Instr) (maxHeight, maxDepth int, err error) {
	v := &rw.v
	*v = validator{mc: rw.mc, fn: fn, base: c.Offset, vals: v.vals[:0], ctrls: v.ctrls[:0], locals: c.Locals, params: ft.Params, limit: rw.cfg}
	v.ctrls = append(v.ctrls, ctrlFrame{op: wasm.OpBlock, end: ft.Results})
	for k := range instrs {
		v.in = &instrs[k]
		v.step()
		if v.err != nil {
			return 0, 0, v.err
		}
		if len(v.ctrls) == 0 {
			if k != len(instrs)-1 {
				return 0, 0, v.fail("instructions after the function's end")
			}
			return v.max, v.depth, nil
		}
	}
	return 0, 0, v.fail("END opcode expected")
}

func (v *validator) fail(format string, args ...any) error {
	if v.err == nil {
		off := v.base
		if v.in != nil {
			off += int(v.in.Pos)
		}
		v.err = &wasm.DecodeError{Section: "code", Func: v.fn, Offset: off, Msg: fmt.Sprintf(format, args...), Kind: ErrInvalid}
	}
	return v.err
}

func (v *validator) push(t wasm.ValType) {
	v.vals = append(v.vals, t)
	if len(v.vals) > v.max {
		v.max = len(v.vals)
	}
}

func (v *validator) pushAll(ts []wasm.ValType) {
	for _, t := range ts {
		v.push(t)
	}
}

func (v *validator) pop() wasm.ValType {
	f := &v.ctrls[len(v.ctrls)-1]
	if len(v.vals) == f.height {
		if !f.unreachable {
			v.fail("type mismatch: %s needs more operands than the stack holds", v.name())
		}
		return unknown
	}
	t := v.vals[len(v.vals)-1]
	v.vals = v.vals[:len(v.vals)-1]
	return t
}

func (v *validator) popExpect(want wasm.ValType) wasm.ValType {
	got := v.pop()
	if got != want && got != unknown && want != unknown {
		v.fail("type mismatch: %s expects %v, found %v", v.name(), want, got)
	}
	if got == unknown {
		return want
	}
	return got
}

func (v *validator) popAll(ts []wasm.ValType) {
	for i := len(ts) - 1; i >= 0; i-- {
		v.popExpect(ts[i])
	}
}

func (v *validator) name() string {
	info, _ := wasm.Lookup(v.in.Op)
	return info.Name
}

func (v *validator) pushCtrl(op wasm.Op, start, end []wasm.ValType) {
	v.ctrls = append(v.ctrls, ctrlFrame{op: op, start: start, end: end, height: len(v.vals)})
	v.pushAll(start)
	if d := len(v.ctrls) - 1; d > v.depth {
		v.depth = d
		if limit := v.limit.MaxNestingDepth; limit != 0 && d > int(limit) {
			v.err = &wasm.DecodeError{Section: "code", Func: v.fn, Offset: v.base + int(v.in.Pos),
				Msg: fmt.Sprintf("blocks nested %d deep, the limit is %d", d, limit), Kind: ErrLimit}
		}
	}
}

func (v *validator) popCtrl() ctrlFrame {
	f := v.ctrls[len(v.ctrls)-1]
	v.popAll(f.end)
	if len(v.vals) != f.height {
		v.fail("type mismatch: %d values left on the stack at the end of a block", len(v.vals)-f.height)
	}
	v.ctrls = v.ctrls[:len(v.ctrls)-1]
	return f
}

func labelTypes(f *ctrlFrame) []wasm.ValType {
	if f.op == wasm.OpLoop {
		return f.start
	}
	return f.end
}

func (v *validator) label(depth uint64) *ctrlFrame {
	if depth >= uint64(len(v.ctrls)) {
		v.fail("unknown label %d", depth)
		return nil
	}
	return &v.ctrls[len(v.ctrls)-1-int(depth)]
}

func (v *validator) setUnreachable() {
	f := &v.ctrls[len(v.ctrls)-1]
	v.vals = v.vals[:f.height]
	f.unreachable = true
}

func (v *validator) blockType(bt int64) (start, end []wasm.ValType) {
	switch {
	case bt == wasm.BlockEmpty:
		return nil, nil
	case bt < 0:
		return nil, []wasm.ValType{wasm.ValType(bt + 0x80)}
	case bt >= int64(len(v.mc.types)):
		v.fail("unknown type %d", bt)
		return nil, nil
	}
	t := v.mc.types[bt]
	return t.Params, t.Results
}

func (v *validator) local(idx uint64) wasm.ValType {
	if idx < uint64(len(v.params)) {
		return v.params[idx]
	}
	idx -= uint64(len(v.params))
	for _, d := range v.locals {
		if idx < uint64(d.Count) {
			return d.Type
		}
		idx -= uint64(d.Count)
	}
	v.fail("unknown local %d", v.in.Imm)
	return unknown
}

func (v *validator) global(idx uint64) wasm.GlobalType {
	if idx >= uint64(len(v.mc.globals)) {
		v.fail("unknown global %d", idx)
		return wasm.GlobalType{}
	}
	return v.mc.globals[idx]
}

func (v *validator) table(idx uint64) wasm.ValType {
	if idx >= uint64(len(v.mc.tables)) {
		v.fail("unknown table %d", idx)
		return unknown
	}
	return v.mc.tables[idx].Elem
}

func (v *validator) memory() {
	if v.mc.memories == 0 {
		v.fail("unknown memory 0")
	}
}

func (v *validator) dataIndex(idx uint64) {
	switch {
	case v.mc.dataCount == nil:
		v.fail("data count section required")
	case idx >= uint64(*v.mc.dataCount):
		v.fail("unknown data segment %d", idx)
	}
}

func (v *validator) elemIndex(idx uint64) {
	if idx >= uint64(v.mc.elems) {
		v.fail("unknown elem segment %d", idx)
	}
}

func isRef(t wasm.ValType) bool { return t == wasm.FuncRef || t == wasm.ExternRef }

// step validates one instruction.
func (v *validator) step() {
	in := v.in
	info, _ := wasm.Lookup(in.Op)
	if sig, ok := wasm.Signature(in.Op); ok {
		if sig.Size != 0 {
			v.memory()
			if in.Imm >= 32 || uint32(1)<<in.Imm > sig.Size {
				v.fail("alignment must not be larger than natural (%s, 2^%d > %d)", info.Name, in.Imm, sig.Size)
			}
		}
		v.popAll(sig.In)
		if sig.Out != 0 {
			v.push(sig.Out)
		}
		return
	}
	switch in.Op {
	case wasm.OpUnreachable:
		v.setUnreachable()
	case wasm.OpNop:
	case wasm.OpBlock, wasm.OpLoop:
		start, end := v.blockType(in.BlockType())
		v.popAll(start)
		v.pushCtrl(in.Op, start, end)
	case wasm.OpIf:
		v.popExpect(wasm.I32)
		start, end := v.blockType(in.BlockType())
		v.popAll(start)
		v.pushCtrl(in.Op, start, end)
	case wasm.OpElse:
		if f := v.ctrls[len(v.ctrls)-1]; f.op != wasm.OpIf {
			v.fail("else without if")
			return
		}
		f := v.popCtrl()
		v.pushCtrl(wasm.OpElse, f.start, f.end)
	case wasm.OpEnd:
		f := v.popCtrl()
		if f.op == wasm.OpIf && !equalTypes(f.start, f.end) {
			v.fail("type mismatch: if without else must leave its parameters")
		}
		v.pushAll(f.end)
		if len(v.ctrls) == 0 {
			v.vals = v.vals[:0]
		}
	case wasm.OpBr:
		if l := v.label(in.Imm); l != nil {
			v.popAll(labelTypes(l))
		}
		v.setUnreachable()
	case wasm.OpBrIf:
		v.popExpect(wasm.I32)
		if l := v.label(in.Imm); l != nil {
			ts := labelTypes(l)
			v.popAll(ts)
			v.pushAll(ts)
		}
	case wasm.OpBrTable:
		if max := v.limit.MaxBrTableTargets; max != 0 && len(in.Labels) > int(max) {
			v.err = &wasm.DecodeError{Section: "code", Func: v.fn, Offset: v.base + int(in.Pos),
				Msg: fmt.Sprintf("br_table has %d targets, the limit is %d", len(in.Labels), max), Kind: ErrLimit}
			return
		}
		v.popExpect(wasm.I32)
		def := v.label(in.Imm)
		if def == nil {
			return
		}
		arity := len(labelTypes(def))
		for _, l := range in.Labels {
			f := v.label(uint64(l))
			if f == nil {
				return
			}
			ts := labelTypes(f)
			if len(ts) != arity {
				v.fail("type mismatch: br_table targets of different arities")
				return
			}
			// Check the operands against each target without consuming them.
			saved := len(v.vals)
			v.popAll(ts)
			if len(v.vals) < saved {
				v.vals = v.vals[:saved]
			}
		}
		v.popAll(labelTypes(def))
		v.setUnreachable()
	case wasm.OpReturn:
		v.popAll(v.ctrls[0].end)
		v.setUnreachable()
	case wasm.OpCall:
		if in.Imm >= uint64(len(v.mc.funcs)) {
			v.fail("unknown function %d", in.Imm)
			return
		}
		t := v.mc.funcs[in.Imm]
		v.popAll(t.Params)
		v.pushAll(t.Results)
	case wasm.OpCallIndirect:
		if v.table(in.Imm2) != wasm.FuncRef && v.err == nil {
			v.fail("type mismatch: call_indirect through a table of %v", v.mc.tables[in.Imm2].Elem)
		}
		if in.Imm >= uint64(len(v.mc.types)) {
			v.fail("unknown type %d", in.Imm)
			return
		}
		t := v.mc.types[in.Imm]
		v.popExpect(wasm.I32)
		v.popAll(t.Params)
		v.pushAll(t.Results)
	case wasm.OpDrop:
		v.pop()
	case wasm.OpSelect:
		v.popExpect(wasm.I32)
		t1, t2 := v.pop(), v.pop()
		if isRef(t1) || isRef(t2) {
			v.fail("type mismatch: select without a type cannot choose references")
		}
		if t1 != t2 && t1 != unknown && t2 != unknown {
			v.fail("type mismatch: select between %v and %v", t2, t1)
		}
		if t1 == unknown {
			t1 = t2
		}
		v.push(t1)
	case wasm.OpSelectT:
		t := wasm.ValType(in.Imm)
		v.popExpect(wasm.I32)
		v.popExpect(t)
		v.popExpect(t)
		v.push(t)
	case wasm.OpLocalGet:
		v.push(v.local(in.Imm))
	case wasm.OpLocalSet:
		v.popExpect(v.local(in.Imm))
	case wasm.OpLocalTee:
		t := v.local(in.Imm)
		v.popExpect(t)
		v.push(t)
	case wasm.OpGlobalGet:
		v.push(v.global(in.Imm).Type)
	case wasm.OpGlobalSet:
		g := v.global(in.Imm)
		if v.err == nil && !g.Mutable {
			v.fail("global.set of immutable global %d", in.Imm)
		}
		v.popExpect(g.Type)
	case 0x25: // table.get
		t := v.table(in.Imm)
		v.popExpect(wasm.I32)
		v.push(t)
	case 0x26: // table.set
		t := v.table(in.Imm)
		v.popExpect(t)
		v.popExpect(wasm.I32)
	case wasm.OpTableSize:
		v.table(in.Imm)
		v.push(wasm.I32)
	case wasm.OpTableGrow:
		t := v.table(in.Imm)
		v.popExpect(wasm.I32)
		v.popExpect(t)
		v.push(wasm.I32)
	case wasm.OpTableFill:
		t := v.table(in.Imm)
		v.popExpect(wasm.I32)
		v.popExpect(t)
		v.popExpect(wasm.I32)
	case wasm.OpTableCopy:
		dst, src := v.table(in.Imm), v.table(in.Imm2)
		if v.err == nil && dst != src {
			v.fail("type mismatch: table.copy from %v to %v", src, dst)
		}
		v.popAll([]wasm.ValType{wasm.I32, wasm.I32, wasm.I32})
	case wasm.OpTableInit:
		v.table(in.Imm2)
		v.elemIndex(in.Imm)
		v.popAll([]wasm.ValType{wasm.I32, wasm.I32, wasm.I32})
	case wasm.OpElemDrop:
		v.elemIndex(in.Imm)
	case wasm.OpRefNull:
		v.push(wasm.ValType(in.Imm))
	case 0xD1: // ref.is_null
		if t := v.pop(); t != unknown && !isRef(t) {
			v.fail("type mismatch: ref.is_null of %v", t)
		}
		v.push(wasm.I32)
	case wasm.OpRefFunc:
		switch {
		case in.Imm >= uint64(len(v.mc.funcs)):
			v.fail("unknown function %d", in.Imm)
		case !v.mc.declared[in.Imm]:
			v.fail("undeclared function reference %d", in.Imm)
		}
		v.push(wasm.FuncRef)
	case 0x3F: // memory.size
		v.memory()
		v.push(wasm.I32)
	case wasm.OpMemoryGrow:
		v.memory()
		v.popExpect(wasm.I32)
		v.push(wasm.I32)
	case wasm.OpMemoryInit:
		v.memory()
		v.dataIndex(in.Imm)
		v.popAll([]wasm.ValType{wasm.I32, wasm.I32, wasm.I32})
	case wasm.OpDataDrop:
		v.dataIndex(in.Imm)
	case wasm.OpMemoryCopy, wasm.OpMemoryFill:
		v.memory()
		v.popAll([]wasm.ValType{wasm.I32, wasm.I32, wasm.I32})
	default:
		v.fail("instruction %s is not validated", info.Name)
	}
}

func equalTypes(a, b []wasm.ValType) bool {
	return wasm.FuncType{Params: a}.Equal(wasm.FuncType{Params: b})
}
