package wasm

import "encoding/binary"

// Block types are stored in Instr.Imm as the signed 33-bit value of the
// binary format: BlockEmpty, a negative value type code, or a type index.
const BlockEmpty int64 = -0x40

// BlockValType returns the block type that yields one value of type t.
func BlockValType(t ValType) int64 { return int64(t) - 0x80 }

// Instr is one decoded instruction. Pos and End are its byte span in the
// body it was decoded from. The meaning of the immediates depends on the
// instruction's Immediate kind:
//
//	ImmBlockType                Imm = block type (int64 bits)
//	ImmLabel, ImmFunc, ImmLocal, ImmGlobal, ImmTable, ImmData, ImmElem
//	                            Imm = the index
//	ImmBrTable                  Labels = targets, Imm = default
//	ImmCallIndirect             Imm = type index, Imm2 = table index
//	ImmMemArg                   Imm = alignment exponent, Imm2 = offset
//	ImmI32, ImmI64              Imm = the value (sign-extended to 64 bits)
//	ImmF32, ImmF64              Imm = the IEEE 754 bits
//	ImmSelectT, ImmRefType      Imm = the value type
//	ImmMemInit                  Imm = data index
//	ImmTableInit                Imm = element index, Imm2 = table index
//	ImmTableCopy                Imm = destination table, Imm2 = source table
type Instr struct {
	Op       Op
	Pos, End uint32
	Imm      uint64
	Imm2     uint64
	Labels   []uint32
}

// BlockType returns the block type of a block, loop or if.
func (in *Instr) BlockType() int64 { return int64(in.Imm) }

// Body is a decoded function body. Reusing one Body across functions keeps
// decoding allocation-free once it has grown.
type Body struct {
	Instrs []Instr
	labels []uint32
	frames []Op
}

// DecodeBody decodes the instructions of one function body (the bytes after
// the local declarations, ending with the function's end). base is the
// absolute offset of body[0] in the module and fn the function's index, both
// for error messages. Instructions outside features are refused with
// ErrFeature; the nesting of blocks is checked, types are not.
func DecodeBody(body []byte, base, fn int, f Features, into *Body) error {
	r := &reader{b: body, base: base, section: "code", fn: fn}
	into.Instrs = into.Instrs[:0]
	into.labels = into.labels[:0]
	into.frames = append(into.frames[:0], OpBlock) // the function's own frame
	for {
		if r.eof() {
			return r.malformed("unexpected end of function body: END opcode expected")
		}
		start := r.pos
		c, _ := r.byte()
		op := Op(c)
		switch c {
		case 0xFC:
			sub, err := r.u32()
			if err != nil {
				return err
			}
			if sub >= uint32(len(prefixFC)) {
				r.pos = start
				return r.malformed("illegal opcode 0xfc %d", sub)
			}
			op = 0xFC00 | Op(sub)
		case 0xFD:
			r.pos = start
			return r.errf(ErrFeature, "SIMD instruction (prefix 0xfd): SIMD is not accepted")
		case 0xFE:
			r.pos = start
			return r.errf(ErrFeature, "atomic instruction (prefix 0xfe): threads are not accepted")
		}
		info, ok := Lookup(op)
		if !ok {
			r.pos = start
			return r.malformed("illegal opcode 0x%02x", c)
		}
		if info.Feature != 0 && f&info.Feature == 0 {
			r.pos = start
			return r.errf(ErrFeature, "%s requires %v", info.Name, info.Feature)
		}
		in := Instr{Op: op, Pos: uint32(start)}
		if err := readImmediate(r, info.Imm, f, &in, into); err != nil {
			return err
		}
		in.End = uint32(r.pos)
		into.Instrs = append(into.Instrs, in)
		switch op {
		case OpBlock, OpLoop, OpIf:
			into.frames = append(into.frames, op)
		case OpElse:
			if into.frames[len(into.frames)-1] != OpIf {
				r.pos = start
				return r.malformed("else without a matching if")
			}
			into.frames[len(into.frames)-1] = OpElse
		case OpEnd:
			into.frames = into.frames[:len(into.frames)-1]
			if len(into.frames) == 0 {
				if !r.eof() {
					return r.malformed("section size mismatch: %d bytes after the function's end", len(body)-r.pos)
				}
				return nil
			}
		}
	}
}

func readImmediate(r *reader, kind Immediate, f Features, in *Instr, body *Body) error {
	var err error
	var v uint32
	switch kind {
	case ImmNone:
	case ImmBlockType:
		var bt int64
		if bt, err = r.s33(); err != nil {
			return err
		}
		switch {
		case bt >= 0:
			if f&FeatureMultiValue == 0 {
				return r.errf(ErrFeature, "block type index requires multi-value")
			}
		case bt == BlockEmpty:
		case bt == BlockValType(I32), bt == BlockValType(I64), bt == BlockValType(F32), bt == BlockValType(F64),
			bt == BlockValType(FuncRef), bt == BlockValType(ExternRef):
		case bt == BlockValType(V128):
			return r.errf(ErrFeature, "v128 block type requires SIMD, which Plinth does not accept")
		default:
			return r.malformed("malformed block type %d", bt)
		}
		in.Imm = uint64(bt)
	case ImmLabel, ImmFunc, ImmLocal, ImmGlobal, ImmTable, ImmData, ImmElem:
		v, err = r.u32()
		in.Imm = uint64(v)
	case ImmBrTable:
		var n uint32
		if n, err = r.count(1); err != nil {
			return err
		}
		start := len(body.labels)
		for i := uint32(0); i < n; i++ {
			if v, err = r.u32(); err != nil {
				return err
			}
			body.labels = append(body.labels, v)
		}
		in.Labels = body.labels[start:len(body.labels):len(body.labels)]
		v, err = r.u32()
		in.Imm = uint64(v)
	case ImmCallIndirect:
		if v, err = r.u32(); err != nil {
			return err
		}
		in.Imm = uint64(v)
		if f&FeatureRefTypes != 0 {
			v, err = r.u32()
			in.Imm2 = uint64(v)
		} else {
			err = zeroByte(r)
		}
	case ImmMemArg:
		if v, err = r.u32(); err != nil {
			return err
		}
		in.Imm = uint64(v)
		v, err = r.u32()
		in.Imm2 = uint64(v)
	case ImmMemZero:
		err = zeroByte(r)
	case ImmI32:
		var x int32
		x, err = r.s32()
		in.Imm = uint64(int64(x))
	case ImmI64:
		var x int64
		x, err = r.s64()
		in.Imm = uint64(x)
	case ImmF32:
		var b []byte
		if b, err = r.bytes(4); err == nil {
			in.Imm = uint64(binary.LittleEndian.Uint32(b))
		}
	case ImmF64:
		var b []byte
		if b, err = r.bytes(8); err == nil {
			in.Imm = binary.LittleEndian.Uint64(b)
		}
	case ImmSelectT:
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		if n != 1 {
			return r.malformed("invalid result arity %d for typed select", n)
		}
		var t ValType
		t, err = readValType(r, f)
		in.Imm = uint64(t)
	case ImmRefType:
		var t ValType
		if t, err = readValType(r, f); err != nil {
			return err
		}
		if t != FuncRef && t != ExternRef {
			return r.malformed("malformed reference type %v", t)
		}
		in.Imm = uint64(t)
	case ImmMemInit:
		if v, err = r.u32(); err != nil {
			return err
		}
		in.Imm = uint64(v)
		err = zeroByte(r)
	case ImmMemCopy:
		if err = zeroByte(r); err == nil {
			err = zeroByte(r)
		}
	case ImmTableInit, ImmTableCopy:
		if v, err = r.u32(); err != nil {
			return err
		}
		in.Imm = uint64(v)
		v, err = r.u32()
		in.Imm2 = uint64(v)
	}
	return err
}

func zeroByte(r *reader) error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	if c != 0 {
		r.pos--
		return r.malformed("zero byte expected")
	}
	return nil
}

// AppendInstr appends the canonical encoding of in. Instructions decoded
// from a body round-trip exactly when they were canonically encoded; callers
// that must preserve a body byte for byte copy its original span instead.
func AppendInstr(b []byte, in *Instr) []byte {
	if in.Op >= 0x100 {
		b = append(b, 0xFC)
		b = AppendU32(b, uint32(in.Op&0xFF))
	} else {
		b = append(b, byte(in.Op))
	}
	info, _ := Lookup(in.Op)
	switch info.Imm {
	case ImmBlockType, ImmI32, ImmI64:
		b = AppendS64(b, int64(in.Imm))
	case ImmLabel, ImmFunc, ImmLocal, ImmGlobal, ImmTable, ImmData, ImmElem:
		b = AppendU32(b, uint32(in.Imm))
	case ImmBrTable:
		b = AppendU32(b, uint32(len(in.Labels)))
		for _, l := range in.Labels {
			b = AppendU32(b, l)
		}
		b = AppendU32(b, uint32(in.Imm))
	case ImmCallIndirect, ImmMemArg, ImmTableInit, ImmTableCopy:
		b = AppendU32(b, uint32(in.Imm))
		b = AppendU32(b, uint32(in.Imm2))
	case ImmMemZero:
		b = append(b, 0)
	case ImmF32:
		b = binary.LittleEndian.AppendUint32(b, uint32(in.Imm))
	case ImmF64:
		b = binary.LittleEndian.AppendUint64(b, in.Imm)
	case ImmSelectT:
		b = append(b, 1, byte(in.Imm))
	case ImmRefType:
		b = append(b, byte(in.Imm))
	case ImmMemInit:
		b = AppendU32(b, uint32(in.Imm))
		b = append(b, 0)
	case ImmMemCopy:
		b = append(b, 0, 0)
	}
	return b
}

// Convenience constructors for the instructions the instrumenter emits.

// I32Const returns an i32.const instruction.
func I32Const(v int32) Instr { return Instr{Op: OpI32Const, Imm: uint64(int64(v))} }

// I64Const returns an i64.const instruction.
func I64Const(v int64) Instr { return Instr{Op: OpI64Const, Imm: uint64(v)} }

// F32Const returns an f32.const instruction with the given bits.
func F32Const(bits uint32) Instr { return Instr{Op: OpF32Const, Imm: uint64(bits)} }

// F64Const returns an f64.const instruction with the given bits.
func F64Const(bits uint64) Instr { return Instr{Op: OpF64Const, Imm: bits} }

// CanonicalNaN32 and CanonicalNaN64 are the positive canonical NaNs every
// NaN result is rewritten to.
const (
	CanonicalNaN32 uint32 = 0x7FC00000
	CanonicalNaN64 uint64 = 0x7FF8000000000000
)
