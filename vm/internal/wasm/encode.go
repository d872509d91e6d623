package wasm

import "encoding/binary"

// Encode writes m in the binary format. Sections appear in the standard
// order and custom sections keep their place after the section they
// followed. Encoding a freshly decoded module reproduces the input's
// structure; integers are written in their shortest form.
func Encode(m *Module) []byte {
	out := append([]byte(nil), magic...)
	var sec []byte
	emit := func(id byte) {
		out = append(out, id)
		out = AppendU32(out, uint32(len(sec)))
		out = append(out, sec...)
		sec = sec[:0]
	}
	customsAfter := func(id byte) {
		for _, c := range m.Customs {
			if c.After == id {
				sec = appendName(sec, c.Name)
				sec = append(sec, c.Data...)
				emit(secCustom)
			}
		}
	}
	customsAfter(0)
	if len(m.Types) > 0 {
		sec = AppendU32(sec, uint32(len(m.Types)))
		for _, t := range m.Types {
			sec = append(sec, 0x60)
			sec = appendValTypes(sec, t.Params)
			sec = appendValTypes(sec, t.Results)
		}
		emit(secType)
	}
	customsAfter(secType)
	if len(m.Imports) > 0 {
		sec = AppendU32(sec, uint32(len(m.Imports)))
		for _, im := range m.Imports {
			sec = appendName(sec, im.Module)
			sec = appendName(sec, im.Name)
			sec = append(sec, byte(im.Kind))
			switch im.Kind {
			case KindFunc:
				sec = AppendU32(sec, im.TypeIndex)
			case KindTable:
				sec = append(sec, byte(im.Table.Elem))
				sec = appendLimits(sec, im.Table.Limits)
			case KindMemory:
				sec = appendLimits(sec, im.Memory)
			case KindGlobal:
				sec = appendGlobalType(sec, im.Global)
			}
		}
		emit(secImport)
	}
	customsAfter(secImport)
	if len(m.Funcs) > 0 {
		sec = AppendU32(sec, uint32(len(m.Funcs)))
		for _, ti := range m.Funcs {
			sec = AppendU32(sec, ti)
		}
		emit(secFunction)
	}
	customsAfter(secFunction)
	if len(m.Tables) > 0 {
		sec = AppendU32(sec, uint32(len(m.Tables)))
		for _, t := range m.Tables {
			sec = append(sec, byte(t.Elem))
			sec = appendLimits(sec, t.Limits)
		}
		emit(secTable)
	}
	customsAfter(secTable)
	if len(m.Memories) > 0 {
		sec = AppendU32(sec, uint32(len(m.Memories)))
		for _, l := range m.Memories {
			sec = appendLimits(sec, l)
		}
		emit(secMemory)
	}
	customsAfter(secMemory)
	if len(m.Globals) > 0 {
		sec = AppendU32(sec, uint32(len(m.Globals)))
		for _, g := range m.Globals {
			sec = appendGlobalType(sec, g.Type)
			sec = append(sec, g.Init...)
		}
		emit(secGlobal)
	}
	customsAfter(secGlobal)
	if len(m.Exports) > 0 {
		sec = AppendU32(sec, uint32(len(m.Exports)))
		for _, e := range m.Exports {
			sec = appendName(sec, e.Name)
			sec = append(sec, byte(e.Kind))
			sec = AppendU32(sec, e.Index)
		}
		emit(secExport)
	}
	customsAfter(secExport)
	if m.Start != nil {
		sec = AppendU32(sec, *m.Start)
		emit(secStart)
	}
	customsAfter(secStart)
	if m.Elements != nil {
		sec = append(sec, m.Elements...)
		emit(secElement)
	}
	customsAfter(secElement)
	if m.DataCount != nil {
		sec = AppendU32(sec, *m.DataCount)
		emit(secDataCount)
	}
	customsAfter(secDataCount)
	if len(m.Codes) > 0 || len(m.Funcs) > 0 {
		sec = AppendU32(sec, uint32(len(m.Codes)))
		var entry []byte
		for _, c := range m.Codes {
			entry = entry[:0]
			entry = AppendU32(entry, uint32(len(c.Locals)))
			for _, l := range c.Locals {
				entry = AppendU32(entry, l.Count)
				entry = append(entry, byte(l.Type))
			}
			sec = AppendU32(sec, uint32(len(entry)+len(c.Body)))
			sec = append(sec, entry...)
			sec = append(sec, c.Body...)
		}
		emit(secCode)
	}
	customsAfter(secCode)
	if len(m.Datas) > 0 {
		sec = AppendU32(sec, uint32(len(m.Datas)))
		for _, d := range m.Datas {
			switch {
			case d.Passive:
				sec = append(sec, 1)
			case d.Memory == 0:
				sec = append(sec, 0)
				sec = append(sec, d.Offset...)
			default:
				sec = append(sec, 2)
				sec = AppendU32(sec, d.Memory)
				sec = append(sec, d.Offset...)
			}
			sec = AppendU32(sec, uint32(len(d.Init)))
			sec = append(sec, d.Init...)
		}
		emit(secData)
	}
	customsAfter(secData)
	return out
}

func appendValTypes(b []byte, ts []ValType) []byte {
	b = AppendU32(b, uint32(len(ts)))
	for _, t := range ts {
		b = append(b, byte(t))
	}
	return b
}

func appendLimits(b []byte, l Limits) []byte {
	if l.HasMax {
		b = append(b, 1)
		b = AppendU32(b, l.Min)
		return AppendU32(b, l.Max)
	}
	b = append(b, 0)
	return AppendU32(b, l.Min)
}

func appendGlobalType(b []byte, g GlobalType) []byte {
	mut := byte(0)
	if g.Mutable {
		mut = 1
	}
	return append(b, byte(g.Type), mut)
}

// ConstI32 returns the constant expression "i32.const v; end".
func ConstI32(v int32) []byte {
	return append(AppendS64([]byte{byte(OpI32Const)}, int64(v)), byte(OpEnd))
}

// ConstI64 returns the constant expression "i64.const v; end".
func ConstI64(v int64) []byte { return append(AppendS64([]byte{byte(OpI64Const)}, v), byte(OpEnd)) }

// ConstF32 returns the constant expression "f32.const bits; end".
func ConstF32(bits uint32) []byte {
	return append(binary.LittleEndian.AppendUint32([]byte{byte(OpF32Const)}, bits), byte(OpEnd))
}

// ConstF64 returns the constant expression "f64.const bits; end".
func ConstF64(bits uint64) []byte {
	return append(binary.LittleEndian.AppendUint64([]byte{byte(OpF64Const)}, bits), byte(OpEnd))
}
