package wat

import (
	"unicode/utf8"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// Compile assembles a module written in (a subset of) the WebAssembly text
// format into its binary encoding.
//
// Names must resolve and the syntax must be well formed, but the module is
// not validated: numeric indices (other than type indices, whose signature
// is needed), over-large alignments and operand types are written as given,
// so tests can also build modules a validator is supposed to reject.
func Compile(src string) ([]byte, error) {
	nodes, err := parse(src)
	if err != nil {
		return nil, err
	}
	fields, err := moduleFields(nodes)
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	if err := b.build(fields); err != nil {
		return nil, err
	}
	return wasm.Encode(&b.m), nil
}

// MustCompile is Compile for tests; it panics with the error (which names
// the line and column).
func MustCompile(src string) []byte {
	bin, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return bin
}

// moduleFields unwraps (module $name? field*). Like wat2wasm, a file of
// bare fields is accepted as the body of an implicit module.
func moduleFields(nodes []*node) ([]*node, error) {
	if len(nodes) > 0 && nodes[0].head() == "module" {
		if len(nodes) > 1 {
			return nil, errAt(nodes[1].pos, "unexpected %s after the module", nodes[1].describe())
		}
		c := listCursor(nodes[0], 1)
		c.optID()
		return c.items[c.i:], nil
	}
	for _, n := range nodes {
		if !n.isList {
			return nil, errAt(n.pos, "expected (module ...), found %s", n.describe())
		}
	}
	return nodes, nil
}

// space is one index space. Indices are handed out in declaration order,
// which is also binary order because imports must precede definitions.
type space struct {
	what  string
	names map[string]uint32
	n     uint32
}

func newSpace(what string) *space { return &space{what: what, names: map[string]uint32{}} }

func (s *space) add(id *node) (uint32, error) {
	idx := s.n
	s.n++
	if id != nil {
		if _, dup := s.names[id.text]; dup {
			return 0, errAt(id.pos, "duplicate %s %s", s.what, id.text)
		}
		s.names[id.text] = idx
	}
	return idx, nil
}

// isIndex reports whether n can be an index: a $name or a number.
func isIndex(n *node) bool {
	return n != nil && !n.isList && !n.str && n.text != "" && (n.text[0] == '$' || '0' <= n.text[0] && n.text[0] <= '9')
}

// resolve takes the next item as an index into s. Numeric indices are not
// range-checked (see Compile).
func (s *space) resolve(c *cursor) (uint32, error) {
	n := c.peek()
	if !isIndex(n) {
		return 0, errAt(c.here(), "expected %s index, found %s", s.what, n.describe())
	}
	c.next()
	if n.isID() {
		idx, ok := s.names[n.text]
		if !ok {
			return 0, errAt(n.pos, "unknown %s %s", s.what, n.text)
		}
		return idx, nil
	}
	v, ok := parseUint(n.text, 32)
	if !ok {
		return 0, errAt(n.pos, "bad %s index %q", s.what, n.text)
	}
	return uint32(v), nil
}

type builder struct {
	m wasm.Module

	types, funcs, tables, mems, globals, elems, datas *space

	exportNames   map[string]bool
	elemSection   []byte // the segments, without their count
	usesDataCount bool   // memory.init and data.drop need the data count section
	// defined is set by the first function, table, memory or global
	// definition; imports after it would break the binary's index order.
	defined bool
}

func newBuilder() *builder {
	return &builder{
		types: newSpace("type"), funcs: newSpace("func"), tables: newSpace("table"), mems: newSpace("memory"),
		globals: newSpace("global"), elems: newSpace("elem"), datas: newSpace("data"),
		exportNames: map[string]bool{},
	}
}

// build reads the fields in two passes: the first gives every name its
// index (so fields may refer forward), the second builds the contents.
func (b *builder) build(fields []*node) error {
	for _, f := range fields {
		if err := b.declare(f); err != nil {
			return err
		}
	}
	for _, f := range fields {
		if err := b.define(f); err != nil {
			return err
		}
	}
	if b.m.NumElems > 0 {
		b.m.Elements = append(wasm.AppendU32(nil, b.m.NumElems), b.elemSection...)
	}
	if b.usesDataCount {
		n := uint32(len(b.m.Datas))
		b.m.DataCount = &n
	}
	return nil
}

func (b *builder) declare(f *node) error {
	if !f.isList {
		return errAt(f.pos, "expected a module field, found %s", f.describe())
	}
	c := listCursor(f, 1)
	switch f.head() {
	case "type":
		if _, err := b.types.add(c.optID()); err != nil {
			return err
		}
		t, err := b.typeDef(c)
		if err != nil {
			return err
		}
		b.m.Types = append(b.m.Types, t)
		return c.close("type")
	case "import":
		for range 2 {
			if _, err := c.str("import"); err != nil {
				return err
			}
		}
		d := c.peek()
		s := b.spaceFor(d.head())
		if s == nil {
			return errAt(c.here(), "expected an import description (func, table, memory or global), found %s", d.describe())
		}
		if b.defined {
			return errAt(f.pos, "imports must come before the module's own functions, tables, memories and globals")
		}
		_, err := s.add(listCursor(d, 1).optID())
		return err
	case "func", "table", "memory", "global":
		for _, n := range f.list {
			if n.head() == "import" {
				return errAt(n.pos, "inline imports are not supported; use an (import ...) field")
			}
		}
		b.defined = true
		if _, err := b.spaceFor(f.head()).add(c.optID()); err != nil {
			return err
		}
		if f.head() == "table" {
			for !c.done() {
				if c.next().head() == "elem" { // the inline segment takes an elem index
					b.elems.n++
				}
			}
		}
		return nil
	case "elem":
		_, err := b.elems.add(c.optID())
		return err
	case "data":
		_, err := b.datas.add(c.optID())
		return err
	case "export", "start":
		return nil
	case "":
		return errAt(f.pos, "expected a module field, found %s", f.describe())
	}
	return errAt(f.list[0].pos, "unknown module field %q", f.head())
}

func (b *builder) spaceFor(kind string) *space {
	switch kind {
	case "func":
		return b.funcs
	case "table":
		return b.tables
	case "memory":
		return b.mems
	case "global":
		return b.globals
	}
	return nil
}

func (b *builder) define(f *node) error {
	c := listCursor(f, 1)
	switch f.head() {
	case "import":
		return b.defineImport(c)
	case "func":
		return b.defineFunc(f, c)
	case "table":
		return b.defineTable(c)
	case "memory":
		return b.defineMemory(c)
	case "global":
		return b.defineGlobal(f, c)
	case "export":
		name, err := c.str("export name")
		if err != nil {
			return err
		}
		at, d := c.here(), c.next()
		s := b.spaceFor(d.head())
		if s == nil {
			return errAt(at, "expected (func|table|memory|global index), found %s", d.describe())
		}
		dc := listCursor(d, 1)
		idx, err := s.resolve(dc)
		if err != nil {
			return err
		}
		if err := dc.close("export"); err != nil {
			return err
		}
		if err := b.export(f.pos, name, kindOf(d.head()), idx); err != nil {
			return err
		}
		return c.close("export")
	case "start":
		if b.m.Start != nil {
			return errAt(f.pos, "multiple start functions")
		}
		idx, err := b.funcs.resolve(c)
		if err != nil {
			return err
		}
		b.m.Start = &idx
		return c.close("start")
	case "elem":
		return b.defineElem(c)
	case "data":
		return b.defineData(c)
	}
	return nil // type: done in declare
}

func (b *builder) defineMemory(c *cursor) error {
	c.optID()
	if err := b.inlineExports(c, wasm.KindMemory, uint32(len(b.m.Memories))+b.m.NumImported(wasm.KindMemory)); err != nil {
		return err
	}
	if c.peekList("data") {
		return errAt(c.peek().pos, "inline data is not supported; use a (data ...) field")
	}
	l, err := limits(c)
	if err != nil {
		return err
	}
	b.m.Memories = append(b.m.Memories, l)
	return c.close("memory")
}

func (b *builder) defineGlobal(f *node, c *cursor) error {
	c.optID()
	if err := b.inlineExports(c, wasm.KindGlobal, uint32(len(b.m.Globals))+b.m.NumImported(wasm.KindGlobal)); err != nil {
		return err
	}
	t, err := globalType(c)
	if err != nil {
		return err
	}
	init, err := b.constExpr(c, f.pos)
	if err != nil {
		return err
	}
	b.m.Globals = append(b.m.Globals, wasm.Global{Type: t, Init: init})
	return nil
}

func kindOf(keyword string) wasm.ExternKind {
	switch keyword {
	case "table":
		return wasm.KindTable
	case "memory":
		return wasm.KindMemory
	case "global":
		return wasm.KindGlobal
	}
	return wasm.KindFunc
}

func (b *builder) export(p pos, name string, kind wasm.ExternKind, idx uint32) error {
	if !utf8.ValidString(name) {
		return errAt(p, "export name %q is not valid UTF-8", name)
	}
	if b.exportNames[name] {
		return errAt(p, "duplicate export %q", name)
	}
	b.exportNames[name] = true
	b.m.Exports = append(b.m.Exports, wasm.Export{Name: name, Kind: kind, Index: idx})
	return nil
}

// inlineExports reads the (export "name") abbreviations of a definition.
func (b *builder) inlineExports(c *cursor, kind wasm.ExternKind, idx uint32) error {
	for c.peekList("export") {
		n := c.next()
		ec := listCursor(n, 1)
		name, err := ec.str("export name")
		if err != nil {
			return err
		}
		if err := ec.close("export"); err != nil {
			return err
		}
		if err := b.export(n.pos, name, kind, idx); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) defineImport(c *cursor) error {
	var im wasm.Import
	im.Module, _ = c.str("module") // both checked by declare
	im.Name, _ = c.str("name")
	for _, s := range []string{im.Module, im.Name} {
		if !utf8.ValidString(s) {
			return errAt(c.items[0].pos, "import name %q is not valid UTF-8", s)
		}
	}
	d := c.next()
	dc := listCursor(d, 1)
	dc.optID()
	im.Kind = kindOf(d.head())
	var err error
	switch im.Kind {
	case wasm.KindFunc:
		var u typeUse
		if u, err = b.typeUse(dc, true); err == nil {
			im.TypeIndex = b.useIndex(u)
		}
	case wasm.KindTable:
		im.Table, err = tableType(dc)
	case wasm.KindMemory:
		im.Memory, err = limits(dc)
	case wasm.KindGlobal:
		im.Global, err = globalType(dc)
	}
	if err != nil {
		return err
	}
	if err := dc.close("import " + d.head()); err != nil {
		return err
	}
	b.m.Imports = append(b.m.Imports, im)
	return c.close("import")
}

func (b *builder) defineFunc(f *node, c *cursor) error {
	c.optID()
	idx := uint32(len(b.m.Funcs)) + b.m.NumImported(wasm.KindFunc)
	if err := b.inlineExports(c, wasm.KindFunc, idx); err != nil {
		return err
	}
	u, err := b.typeUse(c, true)
	if err != nil {
		return err
	}
	locals := newSpace("local")
	for _, id := range u.names {
		if _, err := locals.add(id); err != nil {
			return err
		}
	}
	var code wasm.Code
	for c.peekList("local") {
		n := c.next()
		lc := listCursor(n, 1)
		ids, types, err := valTypeList(lc, true)
		if err != nil {
			return err
		}
		for i, t := range types {
			if _, err := locals.add(ids[i]); err != nil {
				return err
			}
			if k := len(code.Locals) - 1; k >= 0 && code.Locals[k].Type == t {
				code.Locals[k].Count++
			} else {
				code.Locals = append(code.Locals, wasm.LocalDecl{Count: 1, Type: t})
			}
		}
	}
	// The signature's type is added before those of the body's block types
	// and call_indirects, which gives the type order wat2wasm produces.
	b.m.Funcs = append(b.m.Funcs, b.useIndex(u))
	code.Body, err = b.code(c, locals, f.pos)
	b.m.Codes = append(b.m.Codes, code)
	return err
}

// defineTable handles both (table min max? reftype) and the abbreviation
// (table reftype (elem func*)), which sizes the table to its segment.
func (b *builder) defineTable(c *cursor) error {
	c.optID()
	idx := uint32(len(b.m.Tables)) + b.m.NumImported(wasm.KindTable)
	if err := b.inlineExports(c, wasm.KindTable, idx); err != nil {
		return err
	}
	if c.peekAtom("funcref") || c.peekAtom("externref") {
		t, _ := refType(c)
		if !c.peekList("elem") {
			return errAt(c.here(), "expected limits before %s, or an (elem ...) after it", t)
		}
		ec := listCursor(c.next(), 1)
		funcs, err := b.funcIndices(ec)
		if err != nil {
			return err
		}
		size := uint32(len(funcs))
		b.m.Tables = append(b.m.Tables, wasm.TableType{Elem: t, Limits: wasm.Limits{Min: size, Max: size, HasMax: true}})
		b.activeElem(idx, wasm.ConstI32(0), funcs)
		return c.close("table")
	}
	t, err := tableType(c)
	if err != nil {
		return err
	}
	b.m.Tables = append(b.m.Tables, t)
	return c.close("table")
}

// defineElem encodes one element segment. wasm.Module keeps the element
// section as bytes, so the binary layout is written here: flags 0 (active,
// table 0), 1 (passive), 2 (active, explicit table) and 3 (declarative),
// all with function indices.
func (b *builder) defineElem(c *cursor) error {
	c.optID()
	switch {
	case c.done() || c.peekAtom("declare") || !c.peek().isList:
		flag := byte(1)
		if c.peekAtom("declare") {
			c.next()
			flag = 3
		}
		if !c.peekAtom("func") {
			return errAt(c.here(), "expected func before the function indices of a passive or declared segment")
		}
		c.next()
		funcs, err := b.funcIndices(c)
		if err != nil {
			return err
		}
		b.elemSection = append(b.elemSection, flag, 0x00) // elemkind funcref
		b.elemSection = appendIndices(b.elemSection, funcs)
		b.m.NumElems++
		return nil
	}
	var table uint32
	if c.peekList("table") {
		tc := listCursor(c.next(), 1)
		var err error
		if table, err = b.tables.resolve(tc); err != nil {
			return err
		}
		if err := tc.close("table"); err != nil {
			return err
		}
	}
	offset, err := b.offsetExpr(c)
	if err != nil {
		return err
	}
	if c.peekAtom("func") {
		c.next()
	}
	funcs, err := b.funcIndices(c)
	if err != nil {
		return err
	}
	b.activeElem(table, offset, funcs)
	return nil
}

func (b *builder) activeElem(table uint32, offset []byte, funcs []uint32) {
	if table == 0 {
		b.elemSection = append(b.elemSection, 0)
		b.elemSection = append(b.elemSection, offset...)
	} else {
		b.elemSection = append(b.elemSection, 2)
		b.elemSection = wasm.AppendU32(b.elemSection, table)
		b.elemSection = append(b.elemSection, offset...)
		b.elemSection = append(b.elemSection, 0x00)
	}
	b.elemSection = appendIndices(b.elemSection, funcs)
	b.m.NumElems++
}

func appendIndices(b []byte, idx []uint32) []byte {
	b = wasm.AppendU32(b, uint32(len(idx)))
	for _, i := range idx {
		b = wasm.AppendU32(b, i)
	}
	return b
}

// funcIndices reads function indices up to the end of the list.
func (b *builder) funcIndices(c *cursor) ([]uint32, error) {
	var out []uint32
	for !c.done() {
		idx, err := b.funcs.resolve(c)
		if err != nil {
			return nil, err
		}
		out = append(out, idx)
	}
	return out, nil
}

func (b *builder) defineData(c *cursor) error {
	c.optID()
	var d wasm.Data
	explicitMemory := c.peekList("memory")
	if explicitMemory {
		mc := listCursor(c.next(), 1)
		var err error
		if d.Memory, err = b.mems.resolve(mc); err != nil {
			return err
		}
		if err := mc.close("memory"); err != nil {
			return err
		}
	}
	if n := c.peek(); explicitMemory || n != nil && n.isList {
		var err error
		if d.Offset, err = b.offsetExpr(c); err != nil {
			return err
		}
	} else {
		d.Passive = true
	}
	for !c.done() {
		s, err := c.str("data")
		if err != nil {
			return err
		}
		d.Init = append(d.Init, s...)
	}
	b.m.Datas = append(b.m.Datas, d)
	return nil
}

// offsetExpr reads (offset instr*) or its abbreviation, one folded
// instruction, and returns the constant expression with its end.
func (b *builder) offsetExpr(c *cursor) ([]byte, error) {
	at, n := c.here(), c.next()
	if n == nil || !n.isList {
		return nil, errAt(at, "expected an offset expression, found %s", n.describe())
	}
	if n.head() == "offset" {
		return b.constExpr(listCursor(n, 1), n.pos)
	}
	return b.constExpr(&cursor{items: []*node{n}, end: n.end}, n.pos)
}

// constExpr assembles the rest of c as a constant expression. It goes
// through the instruction assembler, so global.get and ref.func resolve
// names like they do in code; whether the expression is constant is left
// to validation.
func (b *builder) constExpr(c *cursor, p pos) ([]byte, error) {
	if c.done() {
		return nil, errAt(c.here(), "expected a constant expression")
	}
	return b.code(c, newSpace("local"), p)
}

// typeUse is a parsed (type x)? (param ...)* (result ...)*.
type typeUse struct {
	hasRef bool
	index  uint32 // the (type x) index, when hasRef
	sig    wasm.FuncType
	names  []*node // each parameter's $name or nil
}

// typeUse reads a type use. A (type x) with inline params and results must
// agree with them; without them it supplies the signature.
func (b *builder) typeUse(c *cursor, named bool) (typeUse, error) {
	var u typeUse
	var ref *node
	if c.peekList("type") {
		ref = c.next()
		tc := listCursor(ref, 1)
		var err error
		if u.index, err = b.types.resolve(tc); err != nil {
			return u, err
		}
		if err := tc.close("type"); err != nil {
			return u, err
		}
		if int(u.index) >= len(b.m.Types) {
			return u, errAt(ref.pos, "type index %d out of range (%d types)", u.index, len(b.m.Types))
		}
		u.hasRef = true
	}
	inline := false
	for c.peekList("param") {
		n := c.next()
		ids, types, err := valTypeList(listCursor(n, 1), named)
		if err != nil {
			return u, err
		}
		u.names = append(u.names, ids...)
		u.sig.Params = append(u.sig.Params, types...)
		inline = true
	}
	for c.peekList("result") {
		_, types, err := valTypeList(listCursor(c.next(), 1), false)
		if err != nil {
			return u, err
		}
		u.sig.Results = append(u.sig.Results, types...)
		inline = true
	}
	if c.peekList("param") {
		return u, errAt(c.here(), "params must come before results")
	}
	if u.hasRef {
		declared := b.m.Types[u.index]
		if inline && !declared.Equal(u.sig) {
			return u, errAt(ref.pos, "inline signature %v does not match type %d (%v)", u.sig, u.index, declared)
		}
		if !inline {
			u.sig = declared
			u.names = make([]*node, len(declared.Params))
		}
	}
	return u, nil
}

// useIndex returns the type index a type use stands for, adding the
// signature to the type section if no identical type exists yet.
func (b *builder) useIndex(u typeUse) uint32 {
	if u.hasRef {
		return u.index
	}
	return b.typeIndex(u.sig)
}

func (b *builder) typeIndex(sig wasm.FuncType) uint32 {
	for i, t := range b.m.Types {
		if t.Equal(sig) {
			return uint32(i)
		}
	}
	b.m.Types = append(b.m.Types, sig)
	b.types.n++
	return uint32(len(b.m.Types) - 1)
}

// typeDef reads (func (param ...)* (result ...)*) of a type field.
func (b *builder) typeDef(c *cursor) (wasm.FuncType, error) {
	if !c.peekList("func") {
		return wasm.FuncType{}, errAt(c.here(), "expected (func ...) in type definition, found %s", c.peek().describe())
	}
	n := c.next()
	fc := listCursor(n, 1)
	var t wasm.FuncType
	for fc.peekList("param") || fc.peekList("result") {
		p := fc.next()
		_, types, err := valTypeList(listCursor(p, 1), p.head() == "param")
		if err != nil {
			return t, err
		}
		if p.head() == "param" {
			if len(t.Results) > 0 {
				return t, errAt(p.pos, "params must come before results")
			}
			t.Params = append(t.Params, types...)
		} else {
			t.Results = append(t.Results, types...)
		}
	}
	return t, fc.close("func type")
}

// valTypeList reads the inside of (param ...), (result ...) or
// (local ...): either one $name and one type, or anonymous types.
func valTypeList(c *cursor, named bool) ([]*node, []wasm.ValType, error) {
	if id := c.optID(); id != nil {
		if !named {
			return nil, nil, errAt(id.pos, "unexpected name %s here", id.text)
		}
		t, err := valType(c)
		if err != nil {
			return nil, nil, err
		}
		return []*node{id}, []wasm.ValType{t}, c.close("declaration")
	}
	var ids []*node
	var types []wasm.ValType
	for !c.done() {
		t, err := valType(c)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, nil)
		types = append(types, t)
	}
	return ids, types, nil
}

func valType(c *cursor) (wasm.ValType, error) {
	n, err := c.atom("value type")
	if err != nil {
		return 0, err
	}
	switch n.text {
	case "i32":
		return wasm.I32, nil
	case "i64":
		return wasm.I64, nil
	case "f32":
		return wasm.F32, nil
	case "f64":
		return wasm.F64, nil
	case "funcref":
		return wasm.FuncRef, nil
	case "externref":
		return wasm.ExternRef, nil
	}
	return 0, errAt(n.pos, "unknown value type %q", n.text)
}

func refType(c *cursor) (wasm.ValType, error) {
	switch {
	case c.peekAtom("funcref"):
		c.next()
		return wasm.FuncRef, nil
	case c.peekAtom("externref"):
		c.next()
		return wasm.ExternRef, nil
	}
	return 0, errAt(c.here(), "expected funcref or externref, found %s", c.peek().describe())
}

func globalType(c *cursor) (wasm.GlobalType, error) {
	if c.peekList("mut") {
		mc := listCursor(c.next(), 1)
		t, err := valType(mc)
		if err != nil {
			return wasm.GlobalType{}, err
		}
		return wasm.GlobalType{Type: t, Mutable: true}, mc.close("mut")
	}
	t, err := valType(c)
	return wasm.GlobalType{Type: t}, err
}

func limits(c *cursor) (wasm.Limits, error) {
	var l wasm.Limits
	n, err := c.atom("minimum size")
	if err != nil {
		return l, err
	}
	v, ok := parseUint(n.text, 32)
	if !ok {
		return l, errAt(n.pos, "bad minimum size %q", n.text)
	}
	l.Min = uint32(v)
	if n := c.peek(); isIndex(n) && !n.isID() {
		c.next()
		if v, ok = parseUint(n.text, 32); !ok {
			return l, errAt(n.pos, "bad maximum size %q", n.text)
		}
		l.Max, l.HasMax = uint32(v), true
	}
	return l, nil
}

func tableType(c *cursor) (wasm.TableType, error) {
	l, err := limits(c)
	if err != nil {
		return wasm.TableType{}, err
	}
	t, err := refType(c)
	return wasm.TableType{Elem: t, Limits: l}, err
}
