// Package wasm reads and writes the WebAssembly binary format down to single
// instructions, which is what instrumentation needs and what no maintained Go
// library offers (see docs/RATIONALE.md, "Why our own instruction walker?").
//
// Sections Plinth rewrites (types, imports, functions, memories, globals,
// exports, start, code, data) are decoded into structures; the others (tables'
// element segments, custom sections) are kept as bytes. Decoding checks the
// binary format and the feature set; type checking is left to wazero, which
// compiles the result.
package wasm

import "fmt"

// ValType is a value type byte as it appears in the binary format.
type ValType byte

const (
	I32       ValType = 0x7F
	I64       ValType = 0x7E
	F32       ValType = 0x7D
	F64       ValType = 0x7C
	V128      ValType = 0x7B
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6F
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(0x%02x)", byte(t))
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []ValType
}

// Equal reports whether two signatures are identical.
func (t FuncType) Equal(o FuncType) bool {
	if len(t.Params) != len(o.Params) || len(t.Results) != len(o.Results) {
		return false
	}
	for i := range t.Params {
		if t.Params[i] != o.Params[i] {
			return false
		}
	}
	for i := range t.Results {
		if t.Results[i] != o.Results[i] {
			return false
		}
	}
	return true
}

func (t FuncType) String() string {
	return fmt.Sprintf("%v -> %v", t.Params, t.Results)
}

// ExternKind is the kind of an import or export.
type ExternKind byte

const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
)

func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Limits bound a memory (in 64 KiB pages) or a table (in elements).
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// TableType is a table's element type and size.
type TableType struct {
	Elem ValType
	Limits
}

// GlobalType is a global's value type and mutability.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// Import is one entry of the import section; which of the descriptor fields
// is meaningful depends on Kind.
type Import struct {
	Module, Name string
	Kind         ExternKind
	TypeIndex    uint32 // KindFunc
	Table        TableType
	Memory       Limits
	Global       GlobalType
}

// Global is a module-defined global with its constant initializer, kept as
// the raw expression bytes including the final end.
type Global struct {
	Type GlobalType
	Init []byte
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// LocalDecl declares Count locals of one type.
type LocalDecl struct {
	Count uint32
	Type  ValType
}

// Code is one function body: its local declarations and its expression (the
// instruction bytes up to and including the final end).
type Code struct {
	Locals []LocalDecl
	Body   []byte
	// Offset is where Body starts in the module it was decoded from; errors
	// report absolute offsets.
	Offset int
}

// NumLocals returns the number of declared locals (not counting params).
func (c *Code) NumLocals() uint64 {
	var n uint64
	for _, l := range c.Locals {
		n += uint64(l.Count)
	}
	return n
}

// Data is one data segment. Active segments carry a memory index and an
// offset expression (raw bytes including end); passive ones only bytes.
type Data struct {
	Passive bool
	Memory  uint32
	Offset  []byte
	Init    []byte
}

// Custom is a custom section, kept verbatim. After is the id of the known
// section it followed (0 if it came first), so re-encoding keeps its place.
type Custom struct {
	Name  string
	Data  []byte
	After byte
}

// Module is a decoded module. Slices alias the input bytes; callers that
// modify a module build new slices rather than writing into them.
type Module struct {
	Types     []FuncType
	Imports   []Import
	Funcs     []uint32 // type index of each defined function
	Tables    []TableType
	Memories  []Limits
	Globals   []Global
	Exports   []Export
	Start     *uint32
	Elements  []byte // the element section's contents, undecoded
	NumElems  uint32 // number of element segments
	DataCount *uint32
	Codes     []Code
	Datas     []Data
	Customs   []Custom
}

// NumImported counts the imports of one kind; those come first in the
// corresponding index space.
func (m *Module) NumImported(k ExternKind) uint32 {
	var n uint32
	for i := range m.Imports {
		if m.Imports[i].Kind == k {
			n++
		}
	}
	return n
}

// FuncType returns the signature of the function with the given index in the
// function index space (imports first).
func (m *Module) FuncType(idx uint32) (FuncType, bool) {
	var seen uint32
	for i := range m.Imports {
		if m.Imports[i].Kind != KindFunc {
			continue
		}
		if seen == idx {
			ti := m.Imports[i].TypeIndex
			if int(ti) >= len(m.Types) {
				return FuncType{}, false
			}
			return m.Types[ti], true
		}
		seen++
	}
	d := idx - seen
	if idx < seen || int(d) >= len(m.Funcs) {
		return FuncType{}, false
	}
	ti := m.Funcs[d]
	if int(ti) >= len(m.Types) {
		return FuncType{}, false
	}
	return m.Types[ti], true
}

// FuncTypes returns the signature of every function in index order, or an
// error naming the first function whose type index is out of range.
func (m *Module) FuncTypes() ([]FuncType, error) {
	out := make([]FuncType, 0, len(m.Funcs)+len(m.Imports))
	for i := range m.Imports {
		if m.Imports[i].Kind != KindFunc {
			continue
		}
		ti := m.Imports[i].TypeIndex
		if int(ti) >= len(m.Types) {
			return nil, fmt.Errorf("import %s.%s: type index %d out of range", m.Imports[i].Module, m.Imports[i].Name, ti)
		}
		out = append(out, m.Types[ti])
	}
	for _, ti := range m.Funcs {
		if int(ti) >= len(m.Types) {
			return nil, fmt.Errorf("function %d: type index %d out of range", len(out), ti)
		}
		out = append(out, m.Types[ti])
	}
	return out, nil
}

// GlobalTypes returns the type of every global in index order (imports first).
func (m *Module) GlobalTypes() []GlobalType {
	out := make([]GlobalType, 0, len(m.Globals))
	for i := range m.Imports {
		if m.Imports[i].Kind == KindGlobal {
			out = append(out, m.Imports[i].Global)
		}
	}
	for i := range m.Globals {
		out = append(out, m.Globals[i].Type)
	}
	return out
}
