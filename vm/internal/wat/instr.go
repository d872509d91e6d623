package wat

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// ops maps instruction names to opcodes, built from the wasm package's
// table so that an instruction added there is assembled without changes
// here. The typed select shares its name with the plain one; the plain one
// wins and a following (result t) switches to the typed opcode.
var ops = func() map[string]wasm.Op {
	m := map[string]wasm.Op{}
	add := func(op wasm.Op) {
		if info, ok := wasm.Lookup(op); ok {
			if _, dup := m[info.Name]; !dup {
				m[info.Name] = op
			}
		}
	}
	for op := wasm.Op(0); op < 0x100; op++ {
		add(op)
	}
	for op := wasm.Op(0xFC00); op < 0xFD00; op++ {
		add(op)
	}
	return m
}()

// frame is an open block. Labels resolve against the frames' names, and
// else/end check against the innermost frame's kind and name.
type frame struct {
	op    wasm.Op // OpBlock, OpLoop, OpIf, or OpElse once the else is seen
	label *node   // nil when unnamed
	pos   pos
}

// assembler assembles one function body or constant expression.
type assembler struct {
	b      *builder
	locals *space
	frames []frame // frames[0] is the function's own block
	// floor is the number of frames a flat end may not close: those of the
	// enclosing folded blocks, whose ends are implied by their parentheses.
	floor int
	out   []byte
}

// code assembles the instructions left in c and appends the final end.
func (b *builder) code(c *cursor, locals *space, start pos) ([]byte, error) {
	a := &assembler{b: b, locals: locals, frames: []frame{{op: wasm.OpBlock, pos: start}}, floor: 1}
	if err := a.seq(c); err != nil {
		return nil, err
	}
	return append(a.out, byte(wasm.OpEnd)), nil
}

// seq assembles instructions to the end of c, which must leave every
// block it opened closed.
func (a *assembler) seq(c *cursor) error {
	depth, floor := len(a.frames), a.floor
	a.floor = depth
	for !c.done() {
		if err := a.instr(c); err != nil {
			return err
		}
	}
	if len(a.frames) > depth {
		top := a.frames[len(a.frames)-1]
		return errAt(top.pos, "%s is missing its end", opName(top.op))
	}
	a.floor = floor
	return nil
}

func opName(op wasm.Op) string {
	info, _ := wasm.Lookup(op)
	return info.Name
}

func (a *assembler) emit(in *wasm.Instr) { a.out = wasm.AppendInstr(a.out, in) }

// instr assembles one flat instruction, or one folded one if c is at a list.
func (a *assembler) instr(c *cursor) error {
	n := c.next()
	if n.isList {
		return a.folded(n)
	}
	if n.str || isIndex(n) || n.text[0] == '-' || n.text[0] == '+' {
		return errAt(n.pos, "expected an instruction, found %s", n.describe())
	}
	op, ok := ops[n.text]
	if !ok {
		return errAt(n.pos, "unknown instruction %q", n.text)
	}
	switch op {
	case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
		return a.open(op, n.pos, c)
	case wasm.OpElse:
		top := &a.frames[len(a.frames)-1]
		if len(a.frames) <= a.floor || top.op != wasm.OpIf {
			return errAt(n.pos, "else without a matching if")
		}
		if err := a.endLabel(c, top); err != nil {
			return err
		}
		top.op = wasm.OpElse
		a.emit(&wasm.Instr{Op: wasm.OpElse})
		return nil
	case wasm.OpEnd:
		if len(a.frames) <= a.floor {
			return errAt(n.pos, "end without a matching block, loop or if")
		}
		if err := a.endLabel(c, &a.frames[len(a.frames)-1]); err != nil {
			return err
		}
		a.end()
		return nil
	}
	in, err := a.immediates(op, n.text, c)
	if err != nil {
		return err
	}
	a.emit(&in)
	return nil
}

// open starts a block, loop or if: label, block type, and the new frame.
func (a *assembler) open(op wasm.Op, p pos, c *cursor) error {
	label := c.optID()
	bt, err := a.blockType(c)
	if err != nil {
		return err
	}
	a.emit(&wasm.Instr{Op: op, Imm: uint64(bt)})
	a.frames = append(a.frames, frame{op: op, label: label, pos: p})
	return nil
}

// endLabel checks the optional label after else or end, which must repeat
// the block's own label.
func (a *assembler) endLabel(c *cursor, f *frame) error {
	id := c.optID()
	if id == nil {
		return nil
	}
	if f.label == nil || f.label.text != id.text {
		want := "no label"
		if f.label != nil {
			want = "label " + f.label.text
		}
		return errAt(id.pos, "mismatching label %s: the %s has %s", id.text, opName(f.op), want)
	}
	return nil
}

func (a *assembler) blockType(c *cursor) (int64, error) {
	u, err := a.b.typeUse(c, false)
	if err != nil {
		return 0, err
	}
	switch {
	case u.hasRef:
		return int64(u.index), nil
	case len(u.sig.Params) == 0 && len(u.sig.Results) == 0:
		return wasm.BlockEmpty, nil
	case len(u.sig.Params) == 0 && len(u.sig.Results) == 1:
		return wasm.BlockValType(u.sig.Results[0]), nil
	}
	return int64(a.b.typeIndex(u.sig)), nil
}

// folded assembles (op immediate* operand*): the operands first, then op.
// block, loop and if have their own shapes and imply their end.
func (a *assembler) folded(n *node) error {
	name := n.head()
	if name == "" {
		return errAt(n.pos, "expected a folded instruction, found %s", n.describe())
	}
	op, ok := ops[name]
	if !ok {
		if name == "then" || name == "else" {
			return errAt(n.pos, "(%s ...) outside a folded if", name)
		}
		return errAt(n.list[0].pos, "unknown instruction %q", name)
	}
	c := listCursor(n, 1)
	switch op {
	case wasm.OpBlock, wasm.OpLoop:
		if err := a.open(op, n.pos, c); err != nil {
			return err
		}
		return a.close(c)
	case wasm.OpIf:
		label := c.optID()
		bt, err := a.blockType(c)
		if err != nil {
			return err
		}
		for !c.done() && !c.peekList("then") {
			if !c.peek().isList {
				return errAt(c.here(), "expected a folded condition or (then ...), found %s", c.peek().describe())
			}
			if err := a.folded(c.next()); err != nil {
				return err
			}
		}
		if !c.peekList("then") {
			return errAt(c.here(), "expected (then ...) in if")
		}
		a.emit(&wasm.Instr{Op: op, Imm: uint64(bt)})
		a.frames = append(a.frames, frame{op: op, label: label, pos: n.pos})
		if err := a.seq(listCursor(c.next(), 1)); err != nil {
			return err
		}
		if c.peekList("else") {
			a.frames[len(a.frames)-1].op = wasm.OpElse
			a.emit(&wasm.Instr{Op: wasm.OpElse})
			if err := a.seq(listCursor(c.next(), 1)); err != nil {
				return err
			}
		}
		if err := c.close("if"); err != nil {
			return err
		}
		a.end()
		return nil
	case wasm.OpElse, wasm.OpEnd:
		return errAt(n.pos, "%s cannot be folded", name)
	}
	in, err := a.immediates(op, name, c)
	if err != nil {
		return err
	}
	for !c.done() {
		operand := c.next()
		if !operand.isList {
			return errAt(operand.pos, "unexpected %s: operands of a folded instruction are folded instructions", operand.describe())
		}
		if err := a.folded(operand); err != nil {
			return err
		}
	}
	a.emit(&in)
	return nil
}

// close assembles the rest of a folded block's list and its implied end.
func (a *assembler) close(c *cursor) error {
	if err := a.seq(c); err != nil {
		return err
	}
	a.end()
	return nil
}

func (a *assembler) end() {
	a.frames = a.frames[:len(a.frames)-1]
	a.emit(&wasm.Instr{Op: wasm.OpEnd})
}

// immediates reads the operands written after an instruction's name, as
// the opcode table's Immediate kind dictates.
func (a *assembler) immediates(op wasm.Op, name string, c *cursor) (wasm.Instr, error) {
	in := wasm.Instr{Op: op}
	info, _ := wasm.Lookup(op)
	var err error
	var v uint32
	switch info.Imm {
	case wasm.ImmNone:
		if op == wasm.OpSelect && c.peekList("result") {
			rc := listCursor(c.next(), 1)
			t, err := valType(rc)
			if err != nil {
				return in, err
			}
			in.Op, in.Imm = wasm.OpSelectT, uint64(t)
			return in, rc.close("select result")
		}
	case wasm.ImmLabel:
		v, err = a.label(c)
		in.Imm = uint64(v)
	case wasm.ImmBrTable:
		var labels []uint32
		for isIndex(c.peek()) {
			if v, err = a.label(c); err != nil {
				return in, err
			}
			labels = append(labels, v)
		}
		if len(labels) == 0 {
			return in, errAt(c.here(), "expected br_table labels, found %s", c.peek().describe())
		}
		in.Labels, in.Imm = labels[:len(labels)-1], uint64(labels[len(labels)-1])
	case wasm.ImmFunc:
		v, err = a.b.funcs.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmCallIndirect:
		if isIndex(c.peek()) {
			if v, err = a.b.tables.resolve(c); err != nil {
				return in, err
			}
			in.Imm2 = uint64(v)
		}
		var u typeUse
		if u, err = a.b.typeUse(c, false); err == nil {
			in.Imm = uint64(a.b.useIndex(u))
		}
	case wasm.ImmLocal:
		v, err = a.locals.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmGlobal:
		v, err = a.b.globals.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmTable:
		if isIndex(c.peek()) {
			v, err = a.b.tables.resolve(c)
			in.Imm = uint64(v)
		}
	case wasm.ImmMemArg:
		err = memArg(name, c, &in)
	case wasm.ImmI32, wasm.ImmI64, wasm.ImmF32, wasm.ImmF64:
		err = constant(info.Imm, c, &in)
	case wasm.ImmRefType:
		var n *node
		if n, err = c.atom("func or extern"); err != nil {
			return in, err
		}
		switch n.text {
		case "func", "funcref":
			in.Imm = uint64(wasm.FuncRef)
		case "extern", "externref":
			in.Imm = uint64(wasm.ExternRef)
		default:
			err = errAt(n.pos, "expected func or extern, found %s", n.describe())
		}
	case wasm.ImmData, wasm.ImmMemInit:
		a.b.usesDataCount = true
		v, err = a.b.datas.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmElem:
		v, err = a.b.elems.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmTableInit: // table.init table? elem
		if isIndex(c.peek()) && isIndex(c.peekAt(1)) {
			if v, err = a.b.tables.resolve(c); err != nil {
				return in, err
			}
			in.Imm2 = uint64(v)
		}
		v, err = a.b.elems.resolve(c)
		in.Imm = uint64(v)
	case wasm.ImmTableCopy: // table.copy (dst src)?
		if isIndex(c.peek()) {
			var dst uint32
			if dst, err = a.b.tables.resolve(c); err != nil {
				return in, err
			}
			v, err = a.b.tables.resolve(c)
			in.Imm, in.Imm2 = uint64(dst), uint64(v)
		}
	}
	return in, err
}

// label resolves a label to its depth: a $name counts the frames out to
// the innermost block carrying that name.
func (a *assembler) label(c *cursor) (uint32, error) {
	n := c.peek()
	if !isIndex(n) {
		return 0, errAt(c.here(), "expected a label, found %s", n.describe())
	}
	c.next()
	if !n.isID() {
		v, ok := parseUint(n.text, 32)
		if !ok {
			return 0, errAt(n.pos, "bad label depth %q", n.text)
		}
		return uint32(v), nil
	}
	for i := len(a.frames) - 1; i >= 0; i-- {
		if l := a.frames[i].label; l != nil && l.text == n.text {
			return uint32(len(a.frames) - 1 - i), nil
		}
	}
	return 0, errAt(n.pos, "unknown label %s", n.text)
}

// memArg reads offset=N and align=N. The text gives the alignment in
// bytes and defaults to the access width; the binary holds its log2.
func memArg(name string, c *cursor, in *wasm.Instr) error {
	align := naturalAlign(name)
	for {
		n := c.peek()
		if n == nil || n.isList || n.str {
			break
		}
		key, val, ok := strings.Cut(n.text, "=")
		if !ok || key != "offset" && key != "align" {
			break
		}
		c.next()
		v, ok := parseUint(val, 32)
		if !ok {
			return errAt(n.pos, "bad %s %q", key, val)
		}
		if key == "offset" {
			in.Imm2 = v
			continue
		}
		if v == 0 || v&(v-1) != 0 {
			return errAt(n.pos, "alignment %d is not a power of two", v)
		}
		align = v
	}
	in.Imm = uint64(bits.TrailingZeros64(align))
	return nil
}

// naturalAlign is an access's width in bytes, read off its name:
// "i64.load32_u" accesses 4 bytes, "f64.store" 8.
func naturalAlign(name string) uint64 {
	typ, access, _ := strings.Cut(name, ".")
	access = strings.TrimPrefix(strings.TrimPrefix(access, "load"), "store")
	width, _, _ := strings.Cut(access, "_")
	if width == "" {
		width = typ[1:]
	}
	n, _ := strconv.Atoi(width)
	return uint64(n / 8)
}

// constant reads the literal of i32/i64/f32/f64.const into Imm: integers
// sign-extended, floats as IEEE bits.
func constant(kind wasm.Immediate, c *cursor, in *wasm.Instr) error {
	n, err := c.atom("a number")
	if err != nil {
		return err
	}
	var ok bool
	var what string
	switch kind {
	case wasm.ImmI32:
		in.Imm, ok = parseInt(n.text, 32)
		what = "i32"
	case wasm.ImmI64:
		in.Imm, ok = parseInt(n.text, 64)
		what = "i64"
	case wasm.ImmF32:
		in.Imm, ok = parseFloat(n.text, 32)
		what = "f32"
	case wasm.ImmF64:
		in.Imm, ok = parseFloat(n.text, 64)
		what = "f64"
	}
	if !ok {
		return errAt(n.pos, "bad %s constant %q", what, n.text)
	}
	return nil
}
