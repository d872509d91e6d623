package instrument

import (
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// heightFrame is one open block during the analysis.
type heightFrame struct {
	base, params, results int
}

// analyze walks a function body once before it is rewritten. It returns the
// largest number of values the operand stack can hold (counting values, not
// bytes: the static part of the frame the stack limiter charges) and the
// deepest nesting of blocks (compile time grows with it), and it
// refuses every reference the rewrite would otherwise turn valid: a label
// one past the function's (the wrapper block adds one), a local one past
// the declared ones (the temporaries), a function, global or type index past
// the original module's, and ref.func of an undeclared function (exporting
// the start function declares it). Everything else about types is wazero's
// to check when it compiles the result.
func (rw *rewriter) analyze(fn int, ft wasm.FuncType, numLocals uint64, instrs []wasm.Instr) (maxHeight, maxDepth int, err error) {
	frames := append(rw.hframes[:0], heightFrame{results: len(ft.Results)})
	defer func() { rw.hframes = frames[:0] }()
	h, max, depth := 0, 0, 0
	pop := func(n int) {
		h -= n
		if b := frames[len(frames)-1].base; h < b {
			h = b // polymorphic stack after a branch
		}
	}
	push := func(n int) {
		h += n
		if h > max {
			max = h
		}
	}
	invalid := func(in *wasm.Instr, format string, args ...any) error {
		return fmt.Errorf("instrument: function %d, body offset %d: %s: %w", fn, in.Pos, fmt.Sprintf(format, args...), ErrInvalid)
	}
	for k := range instrs {
		in := &instrs[k]
		info, _ := wasm.Lookup(in.Op)
		switch info.Imm {
		case wasm.ImmLabel:
			if in.Imm >= uint64(len(frames)) {
				return 0, 0, invalid(in, "unknown label %d", in.Imm)
			}
		case wasm.ImmBrTable:
			if max := rw.cfg.MaxBrTableTargets; max != 0 && len(in.Labels) > int(max) {
				return 0, 0, fmt.Errorf("instrument: function %d, body offset %d: br_table has %d targets, the limit is %d: %w", fn, in.Pos, len(in.Labels), max, ErrLimit)
			}
			if in.Imm >= uint64(len(frames)) {
				return 0, 0, invalid(in, "unknown label %d", in.Imm)
			}
			for _, l := range in.Labels {
				if uint64(l) >= uint64(len(frames)) {
					return 0, 0, invalid(in, "unknown label %d", l)
				}
			}
		case wasm.ImmLocal:
			if in.Imm >= numLocals {
				return 0, 0, invalid(in, "unknown local %d", in.Imm)
			}
		case wasm.ImmGlobal:
			if in.Imm >= uint64(rw.numGlobals) {
				return 0, 0, invalid(in, "unknown global %d", in.Imm)
			}
		case wasm.ImmFunc:
			if in.Imm >= uint64(len(rw.funcTypes)) {
				return 0, 0, invalid(in, "unknown function %d", in.Imm)
			}
			if in.Op == wasm.OpRefFunc && !rw.declared[in.Imm] {
				return 0, 0, invalid(in, "undeclared function reference %d", in.Imm)
			}
		case wasm.ImmCallIndirect:
			if in.Imm >= uint64(rw.numTypes) {
				return 0, 0, invalid(in, "unknown type %d", in.Imm)
			}
		}
		switch in.Op {
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			if in.Op == wasm.OpIf {
				pop(1)
			}
			p, r, err := rw.blockArity(in.BlockType())
			if err != nil {
				return 0, 0, invalid(in, "%v", err)
			}
			pop(p)
			frames = append(frames, heightFrame{base: h, params: p, results: r})
			if d := len(frames) - 1; d > depth {
				depth = d
				if limit := rw.cfg.MaxNestingDepth; limit != 0 && d > int(limit) {
					return 0, 0, fmt.Errorf("instrument: function %d, body offset %d: blocks nested %d deep, the limit is %d: %w", fn, in.Pos, d, limit, ErrLimit)
				}
			}
			push(p)
		case wasm.OpElse:
			f := frames[len(frames)-1]
			h = f.base
			push(f.params)
		case wasm.OpEnd:
			f := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			h = f.base
			if len(frames) == 0 {
				return max, depth, nil
			}
			push(f.results)
		case wasm.OpBr, wasm.OpReturn, wasm.OpUnreachable, wasm.OpBrTable:
			h = frames[len(frames)-1].base
		case wasm.OpCall:
			t := rw.funcTypes[in.Imm]
			pop(len(t.Params))
			push(len(t.Results))
		case wasm.OpCallIndirect:
			t := rw.mod.Types[in.Imm]
			pop(1 + len(t.Params))
			push(len(t.Results))
		default:
			pop(int(info.Pop))
			push(int(info.Push))
		}
	}
	return max, depth, nil
}

func (rw *rewriter) blockArity(bt int64) (params, results int, err error) {
	switch {
	case bt == wasm.BlockEmpty:
		return 0, 0, nil
	case bt < 0:
		return 0, 1, nil
	case bt >= int64(rw.numTypes):
		return 0, 0, fmt.Errorf("unknown block type %d", bt)
	}
	t := rw.mod.Types[bt]
	return len(t.Params), len(t.Results), nil
}
