package wasm

import (
	"bytes"
	"math"
)

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"}

// sectionRank orders the known sections; data count sits between element
// and code.
func sectionRank(id byte) int {
	switch {
	case id == secDataCount:
		return 10
	case id >= secCode && id <= secData:
		return int(id) + 1
	default:
		return int(id)
	}
}

var magic = []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}

// Decode reads a module's sections. Function bodies are split out but not
// decoded; DecodeBody walks them. Features gates what the sections may use
// (multi-value types, passive data, reference-typed tables).
func Decode(b []byte, f Features) (*Module, error) {
	r := &reader{b: b, section: "header", fn: -1}
	if len(b) < 4 || !bytes.Equal(b[:4], magic[:4]) {
		return nil, r.malformed("magic header not detected")
	}
	if len(b) < 8 || !bytes.Equal(b[4:8], magic[4:]) {
		r.pos = 4
		return nil, r.malformed("unknown binary version")
	}
	r.pos = 8
	m := &Module{}
	lastRank, lastID := 0, byte(0)
	var nFuncs uint32
	sawFuncs, sawCode := false, false
	for !r.eof() {
		r.section = "header"
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		if id > secDataCount {
			r.pos--
			return nil, r.malformed("malformed section id %d", id)
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		start := r.pos
		content, err := r.bytes(int(size))
		if err != nil {
			return nil, r.malformed("section size mismatch: section %s declares %d bytes, %d left", sectionNames[id], size, len(b)-start)
		}
		sr := &reader{b: content, base: start, section: sectionNames[id], fn: -1}
		if id != secCustom {
			rank := sectionRank(id)
			if rank <= lastRank {
				return nil, sr.malformed("section out of order or repeated")
			}
			lastRank, lastID = rank, id
		}
		switch id {
		case secCustom:
			name, err := sr.name()
			if err != nil {
				return nil, err
			}
			m.Customs = append(m.Customs, Custom{Name: name, Data: content[sr.pos:], After: lastID})
			sr.pos = len(content)
		case secType:
			err = decodeTypes(sr, m, f)
		case secImport:
			err = decodeImports(sr, m, f)
		case secFunction:
			sawFuncs = true
			var n uint32
			if n, err = sr.count(1); err == nil {
				m.Funcs = make([]uint32, n)
				for i := range m.Funcs {
					if m.Funcs[i], err = sr.u32(); err != nil {
						break
					}
				}
				nFuncs = n
			}
		case secTable:
			var n uint32
			if n, err = sr.count(2); err == nil {
				for i := uint32(0); i < n && err == nil; i++ {
					var t TableType
					t, err = readTableType(sr, f)
					m.Tables = append(m.Tables, t)
				}
			}
		case secMemory:
			var n uint32
			if n, err = sr.count(2); err == nil {
				for i := uint32(0); i < n && err == nil; i++ {
					var l Limits
					l, err = readMemoryType(sr)
					m.Memories = append(m.Memories, l)
				}
			}
		case secGlobal:
			err = decodeGlobals(sr, m, f)
		case secExport:
			err = decodeExports(sr, m)
		case secStart:
			var idx uint32
			if idx, err = sr.u32(); err == nil {
				m.Start = &idx
			}
		case secElement:
			if m.NumElems, err = sr.count(1); err == nil {
				m.Elements = content
				sr.pos = len(content)
			}
		case secDataCount:
			var n uint32
			if n, err = sr.u32(); err == nil {
				m.DataCount = &n
			}
		case secCode:
			sawCode = true
			err = decodeCodes(sr, m)
		case secData:
			err = decodeDatas(sr, m, f)
		}
		if err != nil {
			return nil, err
		}
		if !sr.eof() {
			return nil, sr.malformed("section size mismatch: %d unread bytes", len(content)-sr.pos)
		}
	}
	r.section = "code"
	if (sawFuncs || sawCode) && int(nFuncs) != len(m.Codes) {
		return nil, r.malformed("function and code section have inconsistent lengths (%d and %d)", nFuncs, len(m.Codes))
	}
	if m.DataCount != nil && int(*m.DataCount) != len(m.Datas) {
		r.section = "data"
		return nil, r.malformed("data count and data section have inconsistent lengths (%d and %d)", *m.DataCount, len(m.Datas))
	}
	return m, nil
}

func readValType(r *reader, f Features) (ValType, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch t := ValType(c); t {
	case I32, I64, F32, F64:
		return t, nil
	case FuncRef, ExternRef:
		if f&FeatureRefTypes == 0 && t == ExternRef {
			r.pos--
			return 0, r.errf(ErrFeature, "externref requires reference types")
		}
		return t, nil
	case V128:
		r.pos--
		return 0, r.errf(ErrFeature, "v128 values require SIMD, which Plinth does not accept")
	}
	r.pos--
	return 0, r.malformed("malformed value type 0x%02x", c)
}

func decodeTypes(r *reader, m *Module, f Features) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Types = make([]FuncType, 0, n)
	for i := uint32(0); i < n; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c != 0x60 {
			r.pos--
			return r.malformed("type %d: malformed function type form 0x%02x", i, c)
		}
		var t FuncType
		for k := 0; k < 2; k++ {
			cnt, err := r.count(1)
			if err != nil {
				return err
			}
			vs := make([]ValType, cnt)
			for j := range vs {
				if vs[j], err = readValType(r, f); err != nil {
					return err
				}
			}
			if k == 0 {
				t.Params = vs
			} else {
				t.Results = vs
			}
		}
		if len(t.Results) > 1 && f&FeatureMultiValue == 0 {
			return r.errf(ErrFeature, "type %d: multiple results require multi-value", i)
		}
		m.Types = append(m.Types, t)
	}
	return nil
}

func readLimits(r *reader) (Limits, error) {
	flag, err := r.byte()
	if err != nil {
		return Limits{}, err
	}
	var l Limits
	switch flag {
	case 0x00:
		l.Min, err = r.u32()
	case 0x01:
		if l.Min, err = r.u32(); err == nil {
			l.Max, err = r.u32()
			l.HasMax = true
		}
	case 0x02, 0x03:
		r.pos--
		return l, r.errf(ErrFeature, "shared memory requires threads, which Plinth does not accept")
	default:
		r.pos--
		if flag&0x04 != 0 {
			return l, r.errf(ErrFeature, "64-bit memories are not accepted")
		}
		return l, r.malformed("integer too large: malformed limits flags 0x%02x", flag)
	}
	return l, err
}

func readTableType(r *reader, f Features) (TableType, error) {
	t, err := readValType(r, f)
	if err != nil {
		return TableType{}, err
	}
	if t != FuncRef && t != ExternRef {
		r.pos--
		return TableType{}, r.malformed("malformed reference type %v", t)
	}
	l, err := readLimits(r)
	return TableType{Elem: t, Limits: l}, err
}

func readMemoryType(r *reader) (Limits, error) { return readLimits(r) }

func readGlobalType(r *reader, f Features) (GlobalType, error) {
	t, err := readValType(r, f)
	if err != nil {
		return GlobalType{}, err
	}
	mut, err := r.byte()
	if err != nil {
		return GlobalType{}, err
	}
	if mut > 1 {
		r.pos--
		return GlobalType{}, r.malformed("malformed mutability 0x%02x", mut)
	}
	return GlobalType{Type: t, Mutable: mut == 1}, nil
}

func decodeImports(r *reader, m *Module, f Features) error {
	n, err := r.count(4)
	if err != nil {
		return err
	}
	m.Imports = make([]Import, 0, n)
	for i := uint32(0); i < n; i++ {
		var im Import
		if im.Module, err = r.name(); err != nil {
			return err
		}
		if im.Name, err = r.name(); err != nil {
			return err
		}
		k, err := r.byte()
		if err != nil {
			return err
		}
		im.Kind = ExternKind(k)
		switch im.Kind {
		case KindFunc:
			im.TypeIndex, err = r.u32()
		case KindTable:
			im.Table, err = readTableType(r, f)
		case KindMemory:
			im.Memory, err = readMemoryType(r)
		case KindGlobal:
			im.Global, err = readGlobalType(r, f)
		default:
			r.pos--
			return r.malformed("malformed import kind %d", k)
		}
		if err != nil {
			return err
		}
		m.Imports = append(m.Imports, im)
	}
	return nil
}

// readConstExpr reads a constant expression and returns its bytes including
// the final end. Only the instructions a constant expression may hold are
// accepted, so a bad expression cannot swallow the bytes that follow it.
func readConstExpr(r *reader, f Features) ([]byte, error) {
	start := r.pos
	for {
		op, _, _, err := readConstInstr(r, f)
		if err != nil {
			return nil, err
		}
		if op == OpEnd {
			return r.b[start:r.pos], nil
		}
	}
}

// readConstInstr reads one instruction of a constant expression, returning
// its index immediate (global.get, ref.func) or reference type (ref.null).
func readConstInstr(r *reader, f Features) (op Op, idx uint32, ref ValType, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, 0, 0, err
	}
	op = Op(c)
	switch op {
	case OpEnd:
	case OpI32Const:
		_, err = r.s32()
	case OpI64Const:
		_, err = r.s64()
	case OpF32Const:
		_, err = r.bytes(4)
	case OpF64Const:
		_, err = r.bytes(8)
	case OpGlobalGet, OpRefFunc:
		idx, err = r.u32()
	case OpRefNull:
		ref, err = readValType(r, f)
	default:
		r.pos--
		if in, ok := Lookup(op); ok {
			return 0, 0, 0, r.malformed("constant expression required, found %s", in.Name)
		}
		return 0, 0, 0, r.malformed("illegal opcode 0x%02x in constant expression", c)
	}
	return op, idx, ref, err
}

func decodeGlobals(r *reader, m *Module, f Features) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Globals = make([]Global, 0, n)
	for i := uint32(0); i < n; i++ {
		t, err := readGlobalType(r, f)
		if err != nil {
			return err
		}
		init, err := readConstExpr(r, f)
		if err != nil {
			return err
		}
		m.Globals = append(m.Globals, Global{Type: t, Init: init})
	}
	return nil
}

func decodeExports(r *reader, m *Module) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Exports = make([]Export, 0, n)
	for i := uint32(0); i < n; i++ {
		var e Export
		if e.Name, err = r.name(); err != nil {
			return err
		}
		k, err := r.byte()
		if err != nil {
			return err
		}
		if k > byte(KindGlobal) {
			r.pos--
			return r.malformed("malformed export kind %d", k)
		}
		e.Kind = ExternKind(k)
		if e.Index, err = r.u32(); err != nil {
			return err
		}
		m.Exports = append(m.Exports, e)
	}
	return nil
}

func decodeCodes(r *reader, m *Module) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	m.Codes = make([]Code, 0, n)
	imported := m.NumImported(KindFunc)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return err
		}
		entryStart := r.pos
		entry, err := r.bytes(int(size))
		if err != nil {
			return err
		}
		er := &reader{b: entry, base: r.base + entryStart, section: "code", fn: int(imported + i)}
		groups, err := er.count(2)
		if err != nil {
			return err
		}
		var c Code
		var total uint64
		if groups > 0 {
			c.Locals = make([]LocalDecl, 0, groups)
		}
		for g := uint32(0); g < groups; g++ {
			cnt, err := er.u32()
			if err != nil {
				return err
			}
			total += uint64(cnt)
			if total > math.MaxUint32 {
				return er.malformed("too many locals")
			}
			t, err := readValType(er, FeaturesV2)
			if err != nil {
				return err
			}
			c.Locals = append(c.Locals, LocalDecl{Count: cnt, Type: t})
		}
		c.Body = entry[er.pos:]
		c.Offset = er.base + er.pos
		if len(c.Body) == 0 || c.Body[len(c.Body)-1] != byte(OpEnd) {
			return er.malformed("END opcode expected at the end of the function body")
		}
		m.Codes = append(m.Codes, c)
	}
	return nil
}

func decodeDatas(r *reader, m *Module, f Features) error {
	n, err := r.count(1)
	if err != nil {
		return err
	}
	m.Datas = make([]Data, 0, n)
	for i := uint32(0); i < n; i++ {
		flag, err := r.u32()
		if err != nil {
			return err
		}
		var d Data
		switch {
		case flag == 0:
		case flag == 1 && f&FeatureBulkMemory != 0:
			d.Passive = true
		case flag == 2 && f&FeatureBulkMemory != 0:
			if d.Memory, err = r.u32(); err != nil {
				return err
			}
		default:
			if f&FeatureBulkMemory == 0 {
				// In 1.0 the field is a memory index; only 0 exists.
				d.Memory = flag
			} else {
				return r.malformed("malformed data segment flags %d", flag)
			}
		}
		if !d.Passive {
			if d.Offset, err = readConstExpr(r, f); err != nil {
				return err
			}
		}
		size, err := r.u32()
		if err != nil {
			return err
		}
		if d.Init, err = r.bytes(int(size)); err != nil {
			return err
		}
		m.Datas = append(m.Datas, d)
	}
	return nil
}
