package instrument

import (
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// heightFrame is one open block during the operand-stack analysis.
type heightFrame struct {
	base, params, results int
}

// maxHeight returns the largest number of values the function's operand
// stack can hold, counting values, not bytes: the static part of the frame
// size the stack limiter charges. Only arities matter, not types; code after
// an unconditional branch cannot push the stack below its block's base.
func (rw *rewriter) maxHeight(fn int, ft wasm.FuncType, instrs []wasm.Instr) (int, error) {
	frames := append(rw.hframes[:0], heightFrame{results: len(ft.Results)})
	defer func() { rw.hframes = frames[:0] }()
	h, max := 0, 0
	pop := func(n int) {
		h -= n
		if b := frames[len(frames)-1].base; h < b {
			h = b // polymorphic stack after a branch; invalid code is wazero's to reject
		}
	}
	push := func(n int) {
		h += n
		if h > max {
			max = h
		}
	}
	for k := range instrs {
		in := &instrs[k]
		switch in.Op {
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			if in.Op == wasm.OpIf {
				pop(1)
			}
			p, r, err := rw.blockArity(in.BlockType())
			if err != nil {
				return 0, fmt.Errorf("instrument: function %d, offset %d: %w: %w", fn, in.Pos, err, ErrInvalid)
			}
			pop(p)
			frames = append(frames, heightFrame{base: h, params: p, results: r})
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
				return max, nil
			}
			push(f.results)
		case wasm.OpBr, wasm.OpReturn, wasm.OpUnreachable:
			h = frames[len(frames)-1].base
		case wasm.OpBrTable:
			h = frames[len(frames)-1].base
		case wasm.OpCall:
			if int(in.Imm) >= len(rw.funcTypes) {
				return 0, fmt.Errorf("instrument: function %d calls unknown function %d: %w", fn, in.Imm, ErrInvalid)
			}
			t := rw.funcTypes[in.Imm]
			pop(len(t.Params))
			push(len(t.Results))
		case wasm.OpCallIndirect:
			if in.Imm >= uint64(rw.numTypes) {
				return 0, fmt.Errorf("instrument: function %d uses unknown type %d: %w", fn, in.Imm, ErrInvalid)
			}
			t := rw.mod.Types[in.Imm]
			pop(1 + len(t.Params))
			push(len(t.Results))
		default:
			info, _ := wasm.Lookup(in.Op)
			switch {
			case info.Imm == wasm.ImmGlobal && in.Imm >= uint64(rw.numGlobals):
				return 0, fmt.Errorf("instrument: function %d uses unknown global %d: %w", fn, in.Imm, ErrInvalid)
			case info.Imm == wasm.ImmFunc && in.Imm >= uint64(len(rw.funcTypes)):
				return 0, fmt.Errorf("instrument: function %d refers to unknown function %d: %w", fn, in.Imm, ErrInvalid)
			}
			pop(int(info.Pop))
			push(int(info.Push))
		}
	}
	return max, nil
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
