package instrument

import (
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// helperKind names the injected charging functions. Each takes an element
// count from the stack, charges for it and returns it unchanged, so the bulk
// instruction that follows sees its operands as before.
type helperKind int

const (
	helperGrow  helperKind = iota // pages of memory.grow
	helperBulk                    // bytes of memory.copy/fill/init, priced per started word
	helperTable                   // elements of table.grow/fill/copy/init
	numHelpers
)

type rewriter struct {
	cfg         *Config
	mod         *wasm.Module
	funcTypes   []wasm.FuncType
	mc          *moduleContext // the original module, for validation
	v           validator      // reused across functions
	gasGlobal   uint32
	stackGlobal uint32
	nextFunc    uint32

	// growLimit is set when memory.grow must flag the Plinth memory limit:
	// the module declared no maximum, or one above the limit.
	growLimit     bool
	memLimit      uint32             // the flag global
	helpers       [numHelpers]uint32 // function index; 0 until added
	helperOrder   []helperKind
	instanceState bool
	nestedBytes   uint64

	// Scratch space reused across functions.
	out     []byte
	segCost []uint64 // per instruction: cost of the segment it starts, 0 if none
}

// emitter appends instructions to a function body under construction.
type emitter struct{ b []byte }

func (e *emitter) op(op wasm.Op) { e.b = wasm.AppendInstr(e.b, &wasm.Instr{Op: op}) }
func (e *emitter) idx(op wasm.Op, i uint32) {
	e.b = wasm.AppendInstr(e.b, &wasm.Instr{Op: op, Imm: uint64(i)})
}
func (e *emitter) i32(v int32) { in := wasm.I32Const(v); e.b = wasm.AppendInstr(e.b, &in) }
func (e *emitter) i64(v int64) { in := wasm.I64Const(v); e.b = wasm.AppendInstr(e.b, &in) }
func (e *emitter) block(op wasm.Op, bt int64) {
	e.b = wasm.AppendInstr(e.b, &wasm.Instr{Op: op, Imm: uint64(bt)})
}
func (e *emitter) raw(b []byte) { e.b = append(e.b, b...) }
func (e *emitter) trapIf() {
	e.block(wasm.OpIf, wasm.BlockEmpty)
	e.op(wasm.OpUnreachable)
	e.op(wasm.OpEnd)
}
func (e *emitter) f32(bits uint32)             { in := wasm.F32Const(bits); e.b = wasm.AppendInstr(e.b, &in) }
func (e *emitter) f64(bits uint64)             { in := wasm.F64Const(bits); e.b = wasm.AppendInstr(e.b, &in) }
func (e *emitter) local(op wasm.Op, i uint32)  { e.idx(op, i) }
func (e *emitter) global(op wasm.Op, i uint32) { e.idx(op, i) }
func (e *emitter) call(fn uint32)              { e.idx(wasm.OpCall, fn) }
func (e *emitter) br(depth uint32)             { e.idx(wasm.OpBr, depth) }

// charge subtracts cost from the gas global and traps if the result is
// negative, leaving the negative value in the global so the host can tell
// running out of gas from any other trap. tmp is an i64 local.
func (e *emitter) charge(gas, tmp uint32, cost uint64) {
	e.global(wasm.OpGlobalGet, gas)
	e.i64(int64(cost))
	e.op(wasm.OpI64Sub)
	e.local(wasm.OpLocalTee, tmp)
	e.global(wasm.OpGlobalSet, gas)
	e.local(wasm.OpLocalGet, tmp)
	e.i64(0)
	e.op(opI64LtS)
	e.trapIf()
}

const (
	opI64LtS  wasm.Op = 0x53
	opI64GtU  wasm.Op = 0x56
	opI64Add  wasm.Op = 0x7C
	opI64ShrU wasm.Op = 0x88
	opF32Eq   wasm.Op = 0x5B
	opF64Eq   wasm.Op = 0x61
)

// function rewrites one function body and returns it with its frame size.
func (rw *rewriter) function(fn int, c *wasm.Code, instrs []wasm.Instr) (wasm.Code, uint32, error) {
	ft := rw.funcTypes[fn]
	nLocals := uint64(len(ft.Params)) + c.NumLocals()
	maxHeight, maxDepth, err := rw.analyze(fn, c, ft, instrs)
	if err != nil {
		return wasm.Code{}, 0, err
	}
	rw.nestedBytes += uint64(len(c.Body)) * uint64(maxDepth)
	frame := uint64(rw.cfg.FrameOverhead) + nLocals + uint64(maxHeight)
	if frame > uint64(rw.cfg.StackLimit) {
		return wasm.Code{}, 0, fmt.Errorf("instrument: function %d needs %d stack slots, the limit is %d: %w", fn, frame, rw.cfg.StackLimit, ErrStackFrame)
	}

	// Temporaries go after all existing locals, so no local index moves.
	locals := append(make([]wasm.LocalDecl, 0, len(c.Locals)+3), c.Locals...)
	gasTmp := uint32(nLocals)
	locals = append(locals, wasm.LocalDecl{Count: 1, Type: wasm.I64})
	var tmp32, tmp64 uint32
	next := gasTmp + 1
	for k := range instrs {
		info, _ := wasm.Lookup(instrs[k].Op)
		if info.NaN == wasm.F32 && tmp32 == 0 {
			tmp32, next = next, next+1
			locals = append(locals, wasm.LocalDecl{Count: 1, Type: wasm.F32})
		}
		if info.NaN == wasm.F64 && tmp64 == 0 {
			tmp64, next = next, next+1
			locals = append(locals, wasm.LocalDecl{Count: 1, Type: wasm.F64})
		}
	}

	rw.segments(instrs)
	e := emitter{b: rw.out[:0]}

	// Prologue: count the frame against the stack limit. The sum stays in
	// the global when the trap fires, which tells the host why it trapped.
	e.global(wasm.OpGlobalGet, rw.stackGlobal)
	e.i32(int32(frame))
	e.op(wasm.OpI32Add)
	e.global(wasm.OpGlobalSet, rw.stackGlobal)
	e.global(wasm.OpGlobalGet, rw.stackGlobal)
	e.i32(int32(rw.cfg.StackLimit))
	e.op(wasm.OpI32GtU)
	e.trapIf()

	// The body runs inside a block with the function's results, so every
	// way out (falling off the end, a branch to the function's label, a
	// return rewritten to a branch) passes the epilogue.
	e.block(wasm.OpBlock, rw.resultBlockType(ft.Results))
	depth := uint32(0) // blocks open inside the wrapper
	last := len(instrs) - 1
	for k := range instrs {
		in := &instrs[k]
		if cost := rw.segCost[k]; cost != 0 {
			e.charge(rw.gasGlobal, gasTmp, cost)
		}
		if k == last {
			break // the function's end: emitted below
		}
		info, _ := wasm.Lookup(in.Op)
		switch in.Op {
		case wasm.OpReturn:
			e.br(depth)
			continue
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			depth++
		case wasm.OpEnd:
			depth--
		case wasm.OpMemoryGrow:
			rw.chargeDynamic(&e, helperGrow, rw.cfg.MemoryGrowPerPage)
		case wasm.OpMemoryCopy, wasm.OpMemoryFill, wasm.OpMemoryInit:
			rw.chargeDynamic(&e, helperBulk, rw.cfg.BulkMemoryPerWord)
		case wasm.OpTableGrow, wasm.OpTableFill, wasm.OpTableCopy, wasm.OpTableInit:
			rw.chargeDynamic(&e, helperTable, rw.cfg.TablePerElement)
		}
		switch in.Op {
		case 0x26 /* table.set */, wasm.OpTableGrow, wasm.OpTableFill, wasm.OpTableCopy, wasm.OpTableInit,
			wasm.OpElemDrop, wasm.OpMemoryInit, wasm.OpDataDrop:
			rw.instanceState = true
		}
		e.raw(c.Body[in.Pos:in.End])
		switch info.NaN {
		case wasm.F32:
			// v → (v == v) ? v : canonical
			e.local(wasm.OpLocalTee, tmp32)
			e.f32(wasm.CanonicalNaN32)
			e.local(wasm.OpLocalGet, tmp32)
			e.local(wasm.OpLocalGet, tmp32)
			e.op(opF32Eq)
			e.op(wasm.OpSelect)
		case wasm.F64:
			e.local(wasm.OpLocalTee, tmp64)
			e.f64(wasm.CanonicalNaN64)
			e.local(wasm.OpLocalGet, tmp64)
			e.local(wasm.OpLocalGet, tmp64)
			e.op(opF64Eq)
			e.op(wasm.OpSelect)
		}
	}
	e.op(wasm.OpEnd) // the wrapper block
	// Epilogue: give the frame back.
	e.global(wasm.OpGlobalGet, rw.stackGlobal)
	e.i32(int32(frame))
	e.op(wasm.OpI32Sub)
	e.global(wasm.OpGlobalSet, rw.stackGlobal)
	e.op(wasm.OpEnd)

	rw.out = e.b[:0]
	body := append([]byte(nil), e.b...)
	return wasm.Code{Locals: locals, Body: body, Offset: c.Offset}, uint32(frame), nil
}

// chargeDynamic emits a call to the charging helper of the given kind, or
// nothing when the price is zero.
func (rw *rewriter) chargeDynamic(e *emitter, kind helperKind, price uint64) {
	if price == 0 {
		return
	}
	if rw.helpers[kind] == 0 {
		rw.helpers[kind] = rw.nextFunc
		rw.nextFunc++
		rw.helperOrder = append(rw.helperOrder, kind)
	}
	e.call(rw.helpers[kind])
}

// appendHelpers adds the bodies of the helpers that were used, in the order
// their indices were handed out.
func (rw *rewriter) appendHelpers() {
	if len(rw.helperOrder) == 0 {
		return
	}
	ti := rw.typeIndex(wasm.FuncType{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I32}})
	for _, kind := range rw.helperOrder {
		e := emitter{}
		e.global(wasm.OpGlobalGet, rw.gasGlobal)
		e.local(wasm.OpLocalGet, 0)
		e.op(wasm.OpI64ExtendI32U)
		price := rw.cfg.TablePerElement
		switch kind {
		case helperGrow:
			price = rw.cfg.MemoryGrowPerPage
		case helperBulk:
			// ceil(bytes / 8)
			price = rw.cfg.BulkMemoryPerWord
			e.i64(7)
			e.op(opI64Add)
			e.i64(3)
			e.op(opI64ShrU)
		}
		e.i64(int64(price))
		e.op(wasm.OpI64Mul)
		e.op(wasm.OpI64Sub)
		e.local(wasm.OpLocalTee, 1)
		e.global(wasm.OpGlobalSet, rw.gasGlobal)
		e.local(wasm.OpLocalGet, 1)
		e.i64(0)
		e.op(opI64LtS)
		e.trapIf()
		if kind == helperGrow && rw.growLimit {
			// Growing past the Plinth limit returns -1 like any failed
			// grow, and raises the flag so a failure can be explained.
			e.b = append(e.b, 0x3F, 0x00) // memory.size
			e.op(wasm.OpI64ExtendI32U)
			e.local(wasm.OpLocalGet, 0)
			e.op(wasm.OpI64ExtendI32U)
			e.op(opI64Add)
			e.i64(int64(rw.cfg.MaxMemoryPages))
			e.op(opI64GtU)
			e.block(wasm.OpIf, wasm.BlockEmpty)
			e.i32(1)
			e.global(wasm.OpGlobalSet, rw.memLimit)
			e.op(wasm.OpEnd)
		}
		e.local(wasm.OpLocalGet, 0)
		e.op(wasm.OpEnd)
		rw.mod.Funcs = append(rw.mod.Funcs, ti)
		rw.mod.Codes = append(rw.mod.Codes, wasm.Code{Locals: []wasm.LocalDecl{{Count: 1, Type: wasm.I64}}, Body: e.b})
	}
}

// resultBlockType returns a block type yielding the given results.
func (rw *rewriter) resultBlockType(results []wasm.ValType) int64 {
	switch len(results) {
	case 0:
		return wasm.BlockEmpty
	case 1:
		return wasm.BlockValType(results[0])
	}
	return int64(rw.typeIndex(wasm.FuncType{Results: results}))
}

// typeIndex finds t in the type section or appends it; appending moves no
// existing index.
func (rw *rewriter) typeIndex(t wasm.FuncType) uint32 {
	for i := range rw.mod.Types {
		if rw.mod.Types[i].Equal(t) {
			return uint32(i)
		}
	}
	rw.mod.Types = append(rw.mod.Types, t)
	return uint32(len(rw.mod.Types) - 1)
}

// segments computes, for each instruction that starts a metered segment, the
// cost of the whole segment. A segment ends after any instruction that can
// transfer control (loop, if, else, end, br, br_if, br_table, return,
// unreachable): once its first instruction runs, all of it runs unless a
// trap ends the call. Segments in dead code (after an unconditional branch
// until the next end or else) cost nothing, since they never run.
func (rw *rewriter) segments(instrs []wasm.Instr) {
	if cap(rw.segCost) < len(instrs) {
		rw.segCost = make([]uint64, len(instrs))
	}
	rw.segCost = rw.segCost[:len(instrs)]
	clear(rw.segCost)
	w := &rw.cfg.Weights
	start, dead := 0, false
	cost := rw.cfg.SegmentCheck + rw.cfg.FunctionEntry
	for k := range instrs {
		info, _ := wasm.Lookup(instrs[k].Op)
		cost += w[info.Class]
		if info.NaN != 0 {
			cost += rw.cfg.NaNCanonicalize
		}
		if !endsSegment(instrs[k].Op) && k != len(instrs)-1 {
			continue
		}
		if !dead {
			rw.segCost[start] = cost
		}
		switch instrs[k].Op {
		case wasm.OpBr, wasm.OpBrTable, wasm.OpReturn, wasm.OpUnreachable:
			dead = true
		case wasm.OpEnd, wasm.OpElse:
			dead = false
		}
		start, cost = k+1, rw.cfg.SegmentCheck
	}
}

func endsSegment(op wasm.Op) bool {
	switch op {
	case wasm.OpLoop, wasm.OpIf, wasm.OpElse, wasm.OpEnd, wasm.OpBr, wasm.OpBrIf, wasm.OpBrTable, wasm.OpReturn, wasm.OpUnreachable:
		return true
	}
	return false
}
