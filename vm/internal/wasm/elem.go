package wasm

import "fmt"

// Elem is one element segment, decoded far enough to know every function
// and global it refers to.
type Elem struct {
	Flags uint32
	Table uint32
	// Offset is the offset expression of an active segment (raw, with end).
	Offset []byte
	// Funcs holds the function indices of the index-vector forms.
	Funcs []uint32
	// Exprs holds the initializer expressions of the expression forms.
	Exprs [][]byte
}

// DecodeElements decodes the element section kept raw in m.Elements.
func DecodeElements(m *Module, f Features) ([]Elem, error) {
	if m.Elements == nil {
		return nil, nil
	}
	r := &reader{b: m.Elements, section: "element", fn: -1}
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	out := make([]Elem, 0, n)
	for i := uint32(0); i < n; i++ {
		var e Elem
		if e.Flags, err = r.u32(); err != nil {
			return nil, err
		}
		if e.Flags > 7 {
			return nil, r.malformed("malformed element segment flags %d", e.Flags)
		}
		if e.Flags != 0 && f&FeatureBulkMemory == 0 && f&FeatureRefTypes == 0 {
			return nil, r.malformed("element segment flags %d need bulk memory or reference types", e.Flags)
		}
		passiveOrDeclared := e.Flags&1 != 0
		explicitTable := e.Flags&2 != 0 && !passiveOrDeclared
		usesExprs := e.Flags&4 != 0
		if explicitTable {
			if e.Table, err = r.u32(); err != nil {
				return nil, err
			}
		}
		if !passiveOrDeclared {
			if e.Offset, err = readConstExpr(r, f); err != nil {
				return nil, err
			}
		}
		if passiveOrDeclared || explicitTable {
			// elemkind (0x00) for index forms, a reference type otherwise.
			if _, err = r.byte(); err != nil {
				return nil, err
			}
		}
		cnt, err := r.count(1)
		if err != nil {
			return nil, err
		}
		for j := uint32(0); j < cnt; j++ {
			if usesExprs {
				x, err := readConstExpr(r, f)
				if err != nil {
					return nil, err
				}
				e.Exprs = append(e.Exprs, x)
			} else {
				idx, err := r.u32()
				if err != nil {
					return nil, err
				}
				e.Funcs = append(e.Funcs, idx)
			}
		}
		out = append(out, e)
	}
	if !r.eof() {
		return nil, r.malformed("section size mismatch: %d unread bytes", len(r.b)-r.pos)
	}
	return out, nil
}

// ConstExprRefs calls fn for each global.get and ref.func in a constant
// expression previously accepted by the decoder.
func ConstExprRefs(expr []byte, fn func(op Op, idx uint32)) {
	eachConstInstr(expr, func(op Op, idx uint32, _ ValType) {
		if op == OpGlobalGet || op == OpRefFunc {
			fn(op, idx)
		}
	})
}

// eachConstInstr walks a constant expression previously accepted by the
// decoder (readConstExpr), end included, passing each instruction with its
// index (global.get, ref.func) or reference type (ref.null).
func eachConstInstr(expr []byte, fn func(op Op, idx uint32, ref ValType)) {
	r := &reader{b: expr, fn: -1}
	for !r.eof() {
		op, idx, ref, err := readConstInstr(r, FeaturesV2)
		if err != nil {
			return
		}
		fn(op, idx, ref)
	}
}

// ConstI32Value returns v if expr is exactly "i32.const v; end".
func ConstI32Value(expr []byte) (int32, bool) {
	if len(expr) < 3 || Op(expr[0]) != OpI32Const || Op(expr[len(expr)-1]) != OpEnd {
		return 0, false
	}
	r := &reader{b: expr[1 : len(expr)-1], fn: -1}
	v, err := r.s32()
	if err != nil || !r.eof() {
		return 0, false
	}
	return v, true
}

// ConstExprType returns the type of the one value a constant expression
// previously accepted by the decoder produces, or an error if it produces
// none or several, or reads a global that does not exist.
func ConstExprType(expr []byte, globals []GlobalType) (ValType, error) {
	var stack []ValType
	var err error
	done := false
	eachConstInstr(expr, func(op Op, idx uint32, ref ValType) {
		switch op {
		case OpEnd:
			done = true
			if len(stack) != 1 && err == nil {
				err = fmt.Errorf("type mismatch: constant expression leaves %d values, want 1", len(stack))
			}
		case OpI32Const:
			stack = append(stack, I32)
		case OpI64Const:
			stack = append(stack, I64)
		case OpF32Const:
			stack = append(stack, F32)
		case OpF64Const:
			stack = append(stack, F64)
		case OpGlobalGet:
			if int(idx) >= len(globals) {
				if err == nil {
					err = fmt.Errorf("unknown global %d", idx)
				}
				return
			}
			stack = append(stack, globals[idx].Type)
		case OpRefFunc:
			stack = append(stack, FuncRef)
		case OpRefNull:
			stack = append(stack, ref)
		}
	})
	switch {
	case err != nil:
		return 0, err
	case !done:
		return 0, fmt.Errorf("constant expression without end")
	}
	return stack[0], nil
}
