package wasm

import "strings"

// Sig is the fixed operand signature of a numeric, memory or constant
// instruction: the types it pops (in stack order, bottom first) and the
// type it pushes (0 for none). Instructions whose signature depends on
// their immediates or on context (control, calls, locals, globals, tables,
// references, select, drop) have none; the validator handles those.
type Sig struct {
	In  []ValType
	Out ValType
	// Size is the access width in bytes of a load or store (0 otherwise),
	// which bounds its alignment.
	Size uint32
}

// Signature returns op's fixed signature, if it has one.
func Signature(op Op) (Sig, bool) {
	if op < 0x100 {
		return sigs[op].Sig, sigs[op].ok
	}
	if op>>8 == 0xFC && op&0xFF < Op(len(sigsFC)) {
		return sigsFC[op&0xFF].Sig, sigsFC[op&0xFF].ok
	}
	return Sig{}, false
}

type sigEntry struct {
	Sig
	ok bool
}

// The signature tables are derived from the instruction tables once, when
// the package initializes, and never written again.
var sigs, sigsFC = buildSigs()

func buildSigs() (single [256]sigEntry, fc [len(prefixFC)]sigEntry) {
	for i, in := range opcodes {
		if in.Name != "" {
			s, ok := signatureOf(in.Name, in.Imm)
			single[i] = sigEntry{s, ok}
		}
	}
	for i, in := range prefixFC {
		if in.Name != "" && in.Imm == ImmNone {
			s, ok := signatureOf(in.Name, in.Imm)
			fc[i] = sigEntry{s, ok}
		}
	}
	return single, fc
}

// signatureOf derives a signature from the instruction's name, which the
// text format makes systematic: "T.op" works on T; comparisons yield i32;
// "T.op_U..." converts from U; "T.loadN" reads N bits into T.
func signatureOf(name string, imm Immediate) (Sig, bool) {
	if len(name) < 5 || name[3] != '.' {
		return Sig{}, false
	}
	t, ok := valTypeNamed(name[:3])
	if !ok {
		return Sig{}, false
	}
	rest := name[4:]
	switch imm {
	case ImmMemArg:
		size := uint32(4)
		if t == I64 || t == F64 {
			size = 8
		}
		switch {
		case strings.Contains(rest, "8"):
			size = 1
		case strings.Contains(rest, "16"):
			size = 2
		case strings.Contains(rest, "32"):
			size = 4
		}
		if strings.HasPrefix(rest, "load") {
			return Sig{In: []ValType{I32}, Out: t, Size: size}, true
		}
		return Sig{In: []ValType{I32, t}, Size: size}, true
	case ImmI32, ImmI64, ImmF32, ImmF64:
		return Sig{Out: t}, true
	case ImmNone:
	default:
		return Sig{}, false
	}
	// Conversions name their source type after the operation.
	for _, src := range []string{"i32", "i64", "f32", "f64"} {
		if strings.Contains(rest, "_"+src) {
			from, _ := valTypeNamed(src)
			return Sig{In: []ValType{from}, Out: t}, true
		}
	}
	switch rest {
	case "eqz":
		return Sig{In: []ValType{t}, Out: I32}, true
	case "eq", "ne", "lt", "gt", "le", "ge", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u":
		return Sig{In: []ValType{t, t}, Out: I32}, true
	case "clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt",
		"extend8_s", "extend16_s", "extend32_s":
		return Sig{In: []ValType{t}, Out: t}, true
	}
	return Sig{In: []ValType{t, t}, Out: t}, true
}

func valTypeNamed(s string) (ValType, bool) {
	switch s {
	case "i32":
		return I32, true
	case "i64":
		return I64, true
	case "f32":
		return F32, true
	case "f64":
		return F64, true
	}
	return 0, false
}
