package wasm

// Op identifies one instruction. Single-byte opcodes are their byte value;
// instructions behind the 0xFC prefix are 0xFC00 | sub-opcode.
type Op uint16

// Immediate says how an instruction's operands are encoded after its opcode.
type Immediate uint8

const (
	ImmNone         Immediate = iota
	ImmBlockType              // block, loop, if: a block type (empty, value type or type index)
	ImmLabel                  // br, br_if: a label depth
	ImmBrTable                // br_table: a vector of label depths and a default
	ImmFunc                   // call, ref.func: a function index
	ImmCallIndirect           // call_indirect: a type index, then a table index
	ImmLocal                  // local.get/set/tee
	ImmGlobal                 // global.get/set
	ImmTable                  // table.get/set/grow/size/fill
	ImmMemArg                 // loads and stores: alignment, then offset
	ImmMemZero                // memory.size, memory.grow, memory.fill: one zero byte
	ImmI32                    // i32.const: signed LEB128
	ImmI64                    // i64.const: signed LEB128
	ImmF32                    // f32.const: 4 little-endian bytes
	ImmF64                    // f64.const: 8 little-endian bytes
	ImmSelectT                // typed select: a vector of exactly one value type
	ImmRefType                // ref.null: a reference type
	ImmData                   // data.drop: a data index
	ImmElem                   // elem.drop: an element index
	ImmMemInit                // memory.init: a data index, then a zero byte
	ImmMemCopy                // memory.copy: two zero bytes
	ImmTableInit              // table.init: an element index, then a table index
	ImmTableCopy              // table.copy: two table indices
)

// Features is a set of WebAssembly proposals. The instruction table records
// which one introduced each instruction, so the walker can refuse it by name.
type Features uint32

const (
	FeatureSignExt Features = 1 << iota
	FeatureSatConv
	FeatureBulkMemory
	FeatureRefTypes
	FeatureMultiValue
	FeatureMutableGlobal

	// FeaturesV1 is WebAssembly 1.0 (the MVP plus mutable globals, which the
	// 1.0 spec includes).
	FeaturesV1 = FeatureMutableGlobal
	// FeaturesV2 is WebAssembly 2.0 without SIMD: what Plinth accepts.
	FeaturesV2 = FeaturesV1 | FeatureSignExt | FeatureSatConv | FeatureBulkMemory | FeatureRefTypes | FeatureMultiValue
)

func (f Features) String() string {
	names := []string{"sign-extension", "saturating float-to-int", "bulk memory", "reference types", "multi-value", "mutable globals"}
	s := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if s != "" {
				s += "+"
			}
			s += n
		}
	}
	if s == "" {
		return "mvp"
	}
	return s
}

// Class groups instructions that cost the same. The gas schedule prices
// classes, not single opcodes, so one table row prices a family.
type Class uint8

const (
	ClassControl      Class = iota // nop, block, loop, if, else, end, br, br_if, br_table, return, unreachable
	ClassVariable                  // local.*, global.*, drop, select, constants
	ClassIntALU                    // integer add, sub, logic, shifts, compare, clz/ctz/popcnt, wrap/extend
	ClassIntMul                    // integer mul
	ClassIntDiv                    // integer div and rem
	ClassFloat                     // float add, sub, mul, compare, abs, neg, copysign, min, max, rounding, conversions
	ClassFloatDiv                  // float div and sqrt
	ClassLoad                      // memory loads
	ClassStore                     // memory stores
	ClassCall                      // call
	ClassCallIndirect              // call_indirect
	ClassMemory                    // memory.size, memory.grow (plus per page), bulk memory (plus per byte)
	ClassTable                     // table.* and ref.*, elem.drop, data.drop
	NumClasses
)

// Info is one row of the instruction table: everything the walker, the
// instrumenter and the text assembler need to know about an instruction.
type Info struct {
	Name    string
	Imm     Immediate
	Feature Features // 0 for MVP instructions
	Class   Class
	// Pop and Push are the operand-stack effect for instructions with a
	// fixed arity. Instructions whose effect depends on types (calls,
	// blocks) or that make the stack polymorphic are handled by the
	// stack-height analysis itself; see Varies.
	Pop, Push int8
	Varies    bool
	// NaN is set for float instructions whose NaN results the spec leaves
	// nondeterministic; its value is the result type (F32 or F64).
	NaN ValType
}

// Lookup returns the row for op and whether op is an instruction at all.
func Lookup(op Op) (Info, bool) {
	if op < 0x100 {
		in := opcodes[op]
		return in, in.Name != ""
	}
	if op>>8 == 0xFC && op&0xFF < Op(len(prefixFC)) {
		in := prefixFC[op&0xFF]
		return in, in.Name != ""
	}
	return Info{}, false
}

// ByName returns the opcode of the instruction with the given text-format
// name.
func ByName(name string) (Op, bool) {
	for i := range opcodes {
		if opcodes[i].Name == name {
			return Op(i), true
		}
	}
	for i := range prefixFC {
		if prefixFC[i].Name == name {
			return Op(0xFC00 | i), true
		}
	}
	return 0, false
}

// Opcodes named in code (the rest are reached through the table).
const (
	OpUnreachable   Op = 0x00
	OpNop           Op = 0x01
	OpBlock         Op = 0x02
	OpLoop          Op = 0x03
	OpIf            Op = 0x04
	OpElse          Op = 0x05
	OpEnd           Op = 0x0B
	OpBr            Op = 0x0C
	OpBrIf          Op = 0x0D
	OpBrTable       Op = 0x0E
	OpReturn        Op = 0x0F
	OpCall          Op = 0x10
	OpCallIndirect  Op = 0x11
	OpDrop          Op = 0x1A
	OpSelect        Op = 0x1B
	OpSelectT       Op = 0x1C
	OpLocalGet      Op = 0x20
	OpLocalSet      Op = 0x21
	OpLocalTee      Op = 0x22
	OpGlobalGet     Op = 0x23
	OpGlobalSet     Op = 0x24
	OpMemoryGrow    Op = 0x40
	OpI32Const      Op = 0x41
	OpI64Const      Op = 0x42
	OpF32Const      Op = 0x43
	OpF64Const      Op = 0x44
	OpI32Add        Op = 0x6A
	OpI32Sub        Op = 0x6B
	OpI32Eqz        Op = 0x45
	OpI32Ne         Op = 0x47
	OpI32GtU        Op = 0x4B
	OpI64LtU        Op = 0x54
	OpI64Sub        Op = 0x7D
	OpI64Mul        Op = 0x7E
	OpF32Ne         Op = 0x5C
	OpF64Ne         Op = 0x62
	OpI64ExtendI32U Op = 0xAD
	OpRefNull       Op = 0xD0
	OpRefFunc       Op = 0xD2

	OpMemoryInit Op = 0xFC08
	OpDataDrop   Op = 0xFC09
	OpMemoryCopy Op = 0xFC0A
	OpMemoryFill Op = 0xFC0B
	OpTableInit  Op = 0xFC0C
	OpElemDrop   Op = 0xFC0D
	OpTableCopy  Op = 0xFC0E
	OpTableGrow  Op = 0xFC0F
	OpTableSize  Op = 0xFC10
	OpTableFill  Op = 0xFC11
)

// Table rows are built by small helpers so that each family reads as one
// line: name, class, stack effect.
func ctl(name string, imm Immediate, pop, push int8, varies bool) Info {
	return Info{Name: name, Imm: imm, Class: ClassControl, Pop: pop, Push: push, Varies: varies}
}
func num(name string, c Class, pop int8) Info { return Info{Name: name, Class: c, Pop: pop, Push: 1} }
func fnan(name string, c Class, pop int8, t ValType) Info {
	return Info{Name: name, Class: c, Pop: pop, Push: 1, NaN: t}
}
func load(name string) Info {
	return Info{Name: name, Imm: ImmMemArg, Class: ClassLoad, Pop: 1, Push: 1}
}
func store(name string) Info { return Info{Name: name, Imm: ImmMemArg, Class: ClassStore, Pop: 2} }
func feat(in Info, f Features) Info {
	in.Feature = f
	return in
}

// opcodes is the single-byte instruction table. It is never written after
// initialization.
var opcodes = [256]Info{
	0x00: ctl("unreachable", ImmNone, 0, 0, true),
	0x01: ctl("nop", ImmNone, 0, 0, false),
	0x02: ctl("block", ImmBlockType, 0, 0, true),
	0x03: ctl("loop", ImmBlockType, 0, 0, true),
	0x04: ctl("if", ImmBlockType, 1, 0, true),
	0x05: ctl("else", ImmNone, 0, 0, true),
	0x0B: ctl("end", ImmNone, 0, 0, true),
	0x0C: ctl("br", ImmLabel, 0, 0, true),
	0x0D: ctl("br_if", ImmLabel, 1, 0, false),
	0x0E: ctl("br_table", ImmBrTable, 1, 0, true),
	0x0F: ctl("return", ImmNone, 0, 0, true),
	0x10: {Name: "call", Imm: ImmFunc, Class: ClassCall, Varies: true},
	0x11: {Name: "call_indirect", Imm: ImmCallIndirect, Class: ClassCallIndirect, Varies: true},

	0x1A: {Name: "drop", Class: ClassVariable, Pop: 1},
	0x1B: {Name: "select", Class: ClassVariable, Pop: 3, Push: 1},
	0x1C: {Name: "select", Imm: ImmSelectT, Feature: FeatureRefTypes, Class: ClassVariable, Pop: 3, Push: 1},

	0x20: {Name: "local.get", Imm: ImmLocal, Class: ClassVariable, Push: 1},
	0x21: {Name: "local.set", Imm: ImmLocal, Class: ClassVariable, Pop: 1},
	0x22: {Name: "local.tee", Imm: ImmLocal, Class: ClassVariable, Pop: 1, Push: 1},
	0x23: {Name: "global.get", Imm: ImmGlobal, Class: ClassVariable, Push: 1},
	0x24: {Name: "global.set", Imm: ImmGlobal, Class: ClassVariable, Pop: 1},
	0x25: {Name: "table.get", Imm: ImmTable, Feature: FeatureRefTypes, Class: ClassTable, Pop: 1, Push: 1},
	0x26: {Name: "table.set", Imm: ImmTable, Feature: FeatureRefTypes, Class: ClassTable, Pop: 2},

	0x28: load("i32.load"), 0x29: load("i64.load"), 0x2A: load("f32.load"), 0x2B: load("f64.load"),
	0x2C: load("i32.load8_s"), 0x2D: load("i32.load8_u"), 0x2E: load("i32.load16_s"), 0x2F: load("i32.load16_u"),
	0x30: load("i64.load8_s"), 0x31: load("i64.load8_u"), 0x32: load("i64.load16_s"), 0x33: load("i64.load16_u"),
	0x34: load("i64.load32_s"), 0x35: load("i64.load32_u"),
	0x36: store("i32.store"), 0x37: store("i64.store"), 0x38: store("f32.store"), 0x39: store("f64.store"),
	0x3A: store("i32.store8"), 0x3B: store("i32.store16"),
	0x3C: store("i64.store8"), 0x3D: store("i64.store16"), 0x3E: store("i64.store32"),
	0x3F: {Name: "memory.size", Imm: ImmMemZero, Class: ClassMemory, Push: 1},
	0x40: {Name: "memory.grow", Imm: ImmMemZero, Class: ClassMemory, Pop: 1, Push: 1},

	0x41: {Name: "i32.const", Imm: ImmI32, Class: ClassVariable, Push: 1},
	0x42: {Name: "i64.const", Imm: ImmI64, Class: ClassVariable, Push: 1},
	0x43: {Name: "f32.const", Imm: ImmF32, Class: ClassVariable, Push: 1},
	0x44: {Name: "f64.const", Imm: ImmF64, Class: ClassVariable, Push: 1},

	0x45: num("i32.eqz", ClassIntALU, 1),
	0x46: num("i32.eq", ClassIntALU, 2), 0x47: num("i32.ne", ClassIntALU, 2),
	0x48: num("i32.lt_s", ClassIntALU, 2), 0x49: num("i32.lt_u", ClassIntALU, 2),
	0x4A: num("i32.gt_s", ClassIntALU, 2), 0x4B: num("i32.gt_u", ClassIntALU, 2),
	0x4C: num("i32.le_s", ClassIntALU, 2), 0x4D: num("i32.le_u", ClassIntALU, 2),
	0x4E: num("i32.ge_s", ClassIntALU, 2), 0x4F: num("i32.ge_u", ClassIntALU, 2),
	0x50: num("i64.eqz", ClassIntALU, 1),
	0x51: num("i64.eq", ClassIntALU, 2), 0x52: num("i64.ne", ClassIntALU, 2),
	0x53: num("i64.lt_s", ClassIntALU, 2), 0x54: num("i64.lt_u", ClassIntALU, 2),
	0x55: num("i64.gt_s", ClassIntALU, 2), 0x56: num("i64.gt_u", ClassIntALU, 2),
	0x57: num("i64.le_s", ClassIntALU, 2), 0x58: num("i64.le_u", ClassIntALU, 2),
	0x59: num("i64.ge_s", ClassIntALU, 2), 0x5A: num("i64.ge_u", ClassIntALU, 2),
	0x5B: num("f32.eq", ClassFloat, 2), 0x5C: num("f32.ne", ClassFloat, 2),
	0x5D: num("f32.lt", ClassFloat, 2), 0x5E: num("f32.gt", ClassFloat, 2),
	0x5F: num("f32.le", ClassFloat, 2), 0x60: num("f32.ge", ClassFloat, 2),
	0x61: num("f64.eq", ClassFloat, 2), 0x62: num("f64.ne", ClassFloat, 2),
	0x63: num("f64.lt", ClassFloat, 2), 0x64: num("f64.gt", ClassFloat, 2),
	0x65: num("f64.le", ClassFloat, 2), 0x66: num("f64.ge", ClassFloat, 2),

	0x67: num("i32.clz", ClassIntALU, 1), 0x68: num("i32.ctz", ClassIntALU, 1), 0x69: num("i32.popcnt", ClassIntALU, 1),
	0x6A: num("i32.add", ClassIntALU, 2), 0x6B: num("i32.sub", ClassIntALU, 2), 0x6C: num("i32.mul", ClassIntMul, 2),
	0x6D: num("i32.div_s", ClassIntDiv, 2), 0x6E: num("i32.div_u", ClassIntDiv, 2),
	0x6F: num("i32.rem_s", ClassIntDiv, 2), 0x70: num("i32.rem_u", ClassIntDiv, 2),
	0x71: num("i32.and", ClassIntALU, 2), 0x72: num("i32.or", ClassIntALU, 2), 0x73: num("i32.xor", ClassIntALU, 2),
	0x74: num("i32.shl", ClassIntALU, 2), 0x75: num("i32.shr_s", ClassIntALU, 2), 0x76: num("i32.shr_u", ClassIntALU, 2),
	0x77: num("i32.rotl", ClassIntALU, 2), 0x78: num("i32.rotr", ClassIntALU, 2),

	0x79: num("i64.clz", ClassIntALU, 1), 0x7A: num("i64.ctz", ClassIntALU, 1), 0x7B: num("i64.popcnt", ClassIntALU, 1),
	0x7C: num("i64.add", ClassIntALU, 2), 0x7D: num("i64.sub", ClassIntALU, 2), 0x7E: num("i64.mul", ClassIntMul, 2),
	0x7F: num("i64.div_s", ClassIntDiv, 2), 0x80: num("i64.div_u", ClassIntDiv, 2),
	0x81: num("i64.rem_s", ClassIntDiv, 2), 0x82: num("i64.rem_u", ClassIntDiv, 2),
	0x83: num("i64.and", ClassIntALU, 2), 0x84: num("i64.or", ClassIntALU, 2), 0x85: num("i64.xor", ClassIntALU, 2),
	0x86: num("i64.shl", ClassIntALU, 2), 0x87: num("i64.shr_s", ClassIntALU, 2), 0x88: num("i64.shr_u", ClassIntALU, 2),
	0x89: num("i64.rotl", ClassIntALU, 2), 0x8A: num("i64.rotr", ClassIntALU, 2),

	0x8B: num("f32.abs", ClassFloat, 1), 0x8C: num("f32.neg", ClassFloat, 1),
	0x8D: fnan("f32.ceil", ClassFloat, 1, F32), 0x8E: fnan("f32.floor", ClassFloat, 1, F32),
	0x8F: fnan("f32.trunc", ClassFloat, 1, F32), 0x90: fnan("f32.nearest", ClassFloat, 1, F32),
	0x91: fnan("f32.sqrt", ClassFloatDiv, 1, F32),
	0x92: fnan("f32.add", ClassFloat, 2, F32), 0x93: fnan("f32.sub", ClassFloat, 2, F32),
	0x94: fnan("f32.mul", ClassFloat, 2, F32), 0x95: fnan("f32.div", ClassFloatDiv, 2, F32),
	0x96: fnan("f32.min", ClassFloat, 2, F32), 0x97: fnan("f32.max", ClassFloat, 2, F32),
	0x98: num("f32.copysign", ClassFloat, 2),

	0x99: num("f64.abs", ClassFloat, 1), 0x9A: num("f64.neg", ClassFloat, 1),
	0x9B: fnan("f64.ceil", ClassFloat, 1, F64), 0x9C: fnan("f64.floor", ClassFloat, 1, F64),
	0x9D: fnan("f64.trunc", ClassFloat, 1, F64), 0x9E: fnan("f64.nearest", ClassFloat, 1, F64),
	0x9F: fnan("f64.sqrt", ClassFloatDiv, 1, F64),
	0xA0: fnan("f64.add", ClassFloat, 2, F64), 0xA1: fnan("f64.sub", ClassFloat, 2, F64),
	0xA2: fnan("f64.mul", ClassFloat, 2, F64), 0xA3: fnan("f64.div", ClassFloatDiv, 2, F64),
	0xA4: fnan("f64.min", ClassFloat, 2, F64), 0xA5: fnan("f64.max", ClassFloat, 2, F64),
	0xA6: num("f64.copysign", ClassFloat, 2),

	0xA7: num("i32.wrap_i64", ClassIntALU, 1),
	0xA8: num("i32.trunc_f32_s", ClassFloat, 1), 0xA9: num("i32.trunc_f32_u", ClassFloat, 1),
	0xAA: num("i32.trunc_f64_s", ClassFloat, 1), 0xAB: num("i32.trunc_f64_u", ClassFloat, 1),
	0xAC: num("i64.extend_i32_s", ClassIntALU, 1), 0xAD: num("i64.extend_i32_u", ClassIntALU, 1),
	0xAE: num("i64.trunc_f32_s", ClassFloat, 1), 0xAF: num("i64.trunc_f32_u", ClassFloat, 1),
	0xB0: num("i64.trunc_f64_s", ClassFloat, 1), 0xB1: num("i64.trunc_f64_u", ClassFloat, 1),
	0xB2: num("f32.convert_i32_s", ClassFloat, 1), 0xB3: num("f32.convert_i32_u", ClassFloat, 1),
	0xB4: num("f32.convert_i64_s", ClassFloat, 1), 0xB5: num("f32.convert_i64_u", ClassFloat, 1),
	0xB6: fnan("f32.demote_f64", ClassFloat, 1, F32),
	0xB7: num("f64.convert_i32_s", ClassFloat, 1), 0xB8: num("f64.convert_i32_u", ClassFloat, 1),
	0xB9: num("f64.convert_i64_s", ClassFloat, 1), 0xBA: num("f64.convert_i64_u", ClassFloat, 1),
	0xBB: fnan("f64.promote_f32", ClassFloat, 1, F64),
	0xBC: num("i32.reinterpret_f32", ClassIntALU, 1), 0xBD: num("i64.reinterpret_f64", ClassIntALU, 1),
	0xBE: num("f32.reinterpret_i32", ClassIntALU, 1), 0xBF: num("f64.reinterpret_i64", ClassIntALU, 1),

	0xC0: feat(num("i32.extend8_s", ClassIntALU, 1), FeatureSignExt),
	0xC1: feat(num("i32.extend16_s", ClassIntALU, 1), FeatureSignExt),
	0xC2: feat(num("i64.extend8_s", ClassIntALU, 1), FeatureSignExt),
	0xC3: feat(num("i64.extend16_s", ClassIntALU, 1), FeatureSignExt),
	0xC4: feat(num("i64.extend32_s", ClassIntALU, 1), FeatureSignExt),

	0xD0: {Name: "ref.null", Imm: ImmRefType, Feature: FeatureRefTypes, Class: ClassTable, Push: 1},
	0xD1: {Name: "ref.is_null", Feature: FeatureRefTypes, Class: ClassTable, Pop: 1, Push: 1},
	0xD2: {Name: "ref.func", Imm: ImmFunc, Feature: FeatureRefTypes, Class: ClassTable, Push: 1},
}

// prefixFC is the table of 0xFC-prefixed instructions, indexed by sub-opcode.
var prefixFC = [18]Info{
	0x00: feat(num("i32.trunc_sat_f32_s", ClassFloat, 1), FeatureSatConv),
	0x01: feat(num("i32.trunc_sat_f32_u", ClassFloat, 1), FeatureSatConv),
	0x02: feat(num("i32.trunc_sat_f64_s", ClassFloat, 1), FeatureSatConv),
	0x03: feat(num("i32.trunc_sat_f64_u", ClassFloat, 1), FeatureSatConv),
	0x04: feat(num("i64.trunc_sat_f32_s", ClassFloat, 1), FeatureSatConv),
	0x05: feat(num("i64.trunc_sat_f32_u", ClassFloat, 1), FeatureSatConv),
	0x06: feat(num("i64.trunc_sat_f64_s", ClassFloat, 1), FeatureSatConv),
	0x07: feat(num("i64.trunc_sat_f64_u", ClassFloat, 1), FeatureSatConv),
	0x08: {Name: "memory.init", Imm: ImmMemInit, Feature: FeatureBulkMemory, Class: ClassMemory, Pop: 3},
	0x09: {Name: "data.drop", Imm: ImmData, Feature: FeatureBulkMemory, Class: ClassTable},
	0x0A: {Name: "memory.copy", Imm: ImmMemCopy, Feature: FeatureBulkMemory, Class: ClassMemory, Pop: 3},
	0x0B: {Name: "memory.fill", Imm: ImmMemZero, Feature: FeatureBulkMemory, Class: ClassMemory, Pop: 3},
	0x0C: {Name: "table.init", Imm: ImmTableInit, Feature: FeatureBulkMemory, Class: ClassTable, Pop: 3},
	0x0D: {Name: "elem.drop", Imm: ImmElem, Feature: FeatureBulkMemory, Class: ClassTable},
	0x0E: {Name: "table.copy", Imm: ImmTableCopy, Feature: FeatureBulkMemory, Class: ClassTable, Pop: 3},
	0x0F: {Name: "table.grow", Imm: ImmTable, Feature: FeatureRefTypes, Class: ClassTable, Pop: 2, Push: 1},
	0x10: {Name: "table.size", Imm: ImmTable, Feature: FeatureRefTypes, Class: ClassTable, Push: 1},
	0x11: {Name: "table.fill", Imm: ImmTable, Feature: FeatureRefTypes, Class: ClassTable, Pop: 3},
}
