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
	r := &reader{b: expr, fn: -1}
	for !r.eof() {
		op, _ := r.byte()
		switch Op(op) {
		case OpI32Const:
			_, _ = r.s32()
		case OpI64Const:
			_, _ = r.s64()
		case OpF32Const:
			_, _ = r.bytes(4)
		case OpF64Const:
			_, _ = r.bytes(8)
		case OpGlobalGet, OpRefFunc:
			idx, _ := r.u32()
			fn(Op(op), idx)
		case OpRefNull:
			_, _ = r.byte()
		}
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
	r := &reader{b: expr, fn: -1}
	var stack []ValType
	for !r.eof() {
		op, _ := r.byte()
		switch Op(op) {
		case OpEnd:
			if len(stack) != 1 {
				return 0, fmt.Errorf("type mismatch: constant expression leaves %d values, want 1", len(stack))
			}
			return stack[0], nil
		case OpI32Const:
			_, _ = r.s32()
			stack = append(stack, I32)
		case OpI64Const:
			_, _ = r.s64()
			stack = append(stack, I64)
		case OpF32Const:
			_, _ = r.bytes(4)
			stack = append(stack, F32)
		case OpF64Const:
			_, _ = r.bytes(8)
			stack = append(stack, F64)
		case OpGlobalGet:
			idx, _ := r.u32()
			if int(idx) >= len(globals) {
				return 0, fmt.Errorf("unknown global %d", idx)
			}
			stack = append(stack, globals[idx].Type)
		case OpRefFunc:
			_, _ = r.u32()
			stack = append(stack, FuncRef)
		case OpRefNull:
			t, _ := r.byte()
			stack = append(stack, ValType(t))
		}
	}
	return 0, fmt.Errorf("constant expression without end")
}
