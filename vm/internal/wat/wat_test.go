package wat

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// decode assembles src and decodes the result with the wasm package, so
// every test also checks that the output is a well-formed binary.
func decode(t *testing.T, src string) *wasm.Module {
	t.Helper()
	bin, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	m, err := wasm.Decode(bin, wasm.FeaturesV2)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return m
}

// disasm renders function body i (in the defined functions) one
// instruction per string, with immediates in binary terms (label depths,
// alignment exponents, float bits), which is what the assembler must get
// right.
func disasm(t *testing.T, m *wasm.Module, i int) []string {
	t.Helper()
	var body wasm.Body
	c := m.Codes[i]
	if err := wasm.DecodeBody(c.Body, c.Offset, i, wasm.FeaturesV2, &body); err != nil {
		t.Fatalf("DecodeBody: %v", err)
	}
	var out []string
	for _, in := range body.Instrs {
		info, _ := wasm.Lookup(in.Op)
		s := info.Name
		switch info.Imm {
		case wasm.ImmBlockType:
			switch bt := in.BlockType(); {
			case bt == wasm.BlockEmpty:
			case bt < 0:
				s += " " + wasm.ValType(bt+0x80).String()
			default:
				s += fmt.Sprintf(" type=%d", bt)
			}
		case wasm.ImmLabel, wasm.ImmFunc, wasm.ImmLocal, wasm.ImmGlobal, wasm.ImmTable, wasm.ImmData, wasm.ImmElem, wasm.ImmMemInit:
			s += fmt.Sprintf(" %d", in.Imm)
		case wasm.ImmBrTable:
			s += fmt.Sprintf(" %v %d", in.Labels, in.Imm)
		case wasm.ImmCallIndirect:
			s += fmt.Sprintf(" type=%d table=%d", in.Imm, in.Imm2)
		case wasm.ImmMemArg:
			s += fmt.Sprintf(" align=%d offset=%d", in.Imm, in.Imm2)
		case wasm.ImmI32, wasm.ImmI64:
			s += fmt.Sprintf(" %d", int64(in.Imm))
		case wasm.ImmF32, wasm.ImmF64:
			s += fmt.Sprintf(" %#x", in.Imm)
		case wasm.ImmSelectT, wasm.ImmRefType:
			s += " " + wasm.ValType(in.Imm).String()
		case wasm.ImmTableInit:
			s += fmt.Sprintf(" elem=%d table=%d", in.Imm, in.Imm2)
		case wasm.ImmTableCopy:
			s += fmt.Sprintf(" %d %d", in.Imm, in.Imm2)
		}
		out = append(out, s)
	}
	return out
}

func TestInstructions(t *testing.T) {
	tests := []struct {
		name string
		src  string // a module whose first defined function is checked
		want []string
	}{
		{"flat with names", `(func (param $x i32) (local $y i32)
			local.get $x i32.const 1 i32.add local.set $y local.get 1 drop)`,
			[]string{"local.get 0", "i32.const 1", "i32.add", "local.set 1", "local.get 1", "drop", "end"}},
		{"folded", `(func (param i32) (result i32) (i32.add (local.get 0) (i32.mul (i32.const 2) (i32.const 3))))`,
			[]string{"local.get 0", "i32.const 2", "i32.const 3", "i32.mul", "i32.add", "end"}},
		{"mixed", `(func (result i32) i32.const 1 (i32.add (i32.const 2)))`,
			[]string{"i32.const 1", "i32.const 2", "i32.add", "end"}},
		{"integer constants", `(func
			i32.const -1 i32.const 0x7fffffff i32.const 4_000 i32.const 0xffffffff i32.const -2147483648
			i64.const -1 i64.const 0xffffffffffffffff i64.const 9223372036854775807 i64.const -0x8000000000000000)`,
			[]string{"i32.const -1", "i32.const 2147483647", "i32.const 4000", "i32.const -1", "i32.const -2147483648",
				"i64.const -1", "i64.const -1", "i64.const 9223372036854775807", "i64.const -9223372036854775808", "end"}},
		{"float constants", `(func
			f32.const 1.5 f32.const -0.0 f32.const inf f32.const -inf f32.const nan f32.const nan:0x200000
			f32.const -nan:0x1 f32.const 0x1p-3 f32.const 0x1.8p1 f32.const 1e3 f32.const 0.1 f32.const 1_000.5
			f64.const 1.5 f64.const -0.0 f64.const nan f64.const nan:0x4000000000000 f64.const -inf f64.const 0x1p-1074
			f64.const 0.1 f64.const 0x10 f64.const 1.)`,
			[]string{"f32.const 0x3fc00000", "f32.const 0x80000000", "f32.const 0x7f800000", "f32.const 0xff800000",
				"f32.const 0x7fc00000", "f32.const 0x7fa00000", "f32.const 0xff800001", "f32.const 0x3e000000",
				"f32.const 0x40400000", "f32.const 0x447a0000", "f32.const 0x3dcccccd", "f32.const 0x447a2000",
				"f64.const 0x3ff8000000000000", "f64.const 0x8000000000000000", "f64.const 0x7ff8000000000000",
				"f64.const 0x7ff4000000000000", "f64.const 0xfff0000000000000", "f64.const 0x1",
				"f64.const 0x3fb999999999999a", "f64.const 0x4030000000000000", "f64.const 0x3ff0000000000000", "end"}},
		{"blocks and labels", `(func (result i32)
			block $out (result i32)
			  loop $top
			    br $top
			    br_if $out
			    block br 2 end
			  end $top
			  i32.const 0
			end $out)`,
			[]string{"block i32", "loop", "br 0", "br_if 1", "block", "br 2", "end", "end", "i32.const 0", "end", "end"}},
		{"shadowed label", `(func block $l block $l br $l end br $l end)`,
			[]string{"block", "block", "br 0", "end", "br 0", "end", "end"}},
		{"br_table", `(func (param i32) block $a block $b block $c
			local.get 0 br_table $c $b 2 $a end end end)`,
			[]string{"block", "block", "block", "local.get 0", "br_table [0 1 2] 2", "end", "end", "end", "end"}},
		{"br_table default only", `(func (param i32) (br_table 0 (local.get 0)))`,
			[]string{"local.get 0", "br_table [] 0", "end"}},
		{"flat if else", `(func (param i32) (result i64)
			local.get 0 if $l (result i64) i64.const 1 else $l i64.const 2 end $l)`,
			[]string{"local.get 0", "if i64", "i64.const 1", "else", "i64.const 2", "end", "end"}},
		{"folded if", `(func (param i32) (result i32)
			(if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))`,
			[]string{"local.get 0", "if i32", "i32.const 1", "else", "i32.const 2", "end", "end"}},
		{"folded if without else, label in then", `(func (param i32)
			(if $l (i32.eqz (local.get 0)) (then (br $l) nop)))`,
			[]string{"local.get 0", "i32.eqz", "if", "br 0", "nop", "end", "end"}},
		{"folded block and loop", `(func (result i32)
			(block $b (result i32) (loop $l (br_if $l (i32.const 0))) (i32.const 7)))`,
			[]string{"block i32", "loop", "i32.const 0", "br_if 0", "end", "i32.const 7", "end", "end"}},
		{"flat block inside folded", `(func (block block end nop))`,
			[]string{"block", "block", "end", "nop", "end", "end"}},
		{"multi-value block types", `(type $t (func (param i32) (result i32 i32)))
			(func (param i32) (result i32 i32)
			  local.get 0 block (param i32) (result i32 i32) local.get 0 end
			  block (type $t) end
			  block (param i32) (result i32) end drop)`,
			[]string{"local.get 0", "block type=0", "local.get 0", "end", "block type=0", "end", "block type=1", "end", "drop", "end"}},
		{"memory arguments", `(memory 1) (func
			i32.load i64.load offset=8 f32.load align=1 f64.load offset=0x10 align=4
			i32.load8_s i32.load16_u i64.load32_u i64.load8_u
			i32.store offset=4 i64.store8 i64.store16 i64.store32 f64.store i32.store16 align=1)`,
			[]string{"i32.load align=2 offset=0", "i64.load align=3 offset=8", "f32.load align=0 offset=0",
				"f64.load align=2 offset=16", "i32.load8_s align=0 offset=0", "i32.load16_u align=1 offset=0",
				"i64.load32_u align=2 offset=0", "i64.load8_u align=0 offset=0", "i32.store align=2 offset=4",
				"i64.store8 align=0 offset=0", "i64.store16 align=1 offset=0", "i64.store32 align=2 offset=0",
				"f64.store align=3 offset=0", "i32.store16 align=0 offset=0", "end"}},
		{"folded memory access", `(memory 1) (func (i32.store offset=4 (i32.const 8) (i32.load align=1 (i32.const 0))))`,
			[]string{"i32.const 8", "i32.const 0", "i32.load align=0 offset=0", "i32.store align=2 offset=4", "end"}},
		{"calls", `(type $v (func)) (table 1 funcref) (table $t2 1 funcref)
			(func $f call $f call 0 (call_indirect (type $v) (i32.const 0))
			  i32.const 1 call_indirect $t2 (param i32) (result i32) drop
			  i32.const 0 call_indirect)`,
			[]string{"call 0", "call 0", "i32.const 0", "call_indirect type=0 table=0", "i32.const 1",
				"call_indirect type=1 table=1", "drop", "i32.const 0", "call_indirect type=0 table=0", "end"}},
		{"globals and select", `(global $a i32 (i32.const 0)) (global $b (mut i64) (i64.const 0))
			(func global.get $a global.get 0 global.set $b
			  select (select (result i64) (i64.const 1) (i64.const 2) (i32.const 0)) drop)`,
			[]string{"global.get 0", "global.get 0", "global.set 1", "select", "i64.const 1", "i64.const 2",
				"i32.const 0", "select i64", "drop", "end"}},
		{"reference types", `(table $t 1 funcref) (table $x 2 externref) (elem declare func $f)
			(func $f ref.null func ref.null extern ref.func $f ref.is_null
			  table.get $x table.set 1 table.size table.size $x table.grow 0 table.fill $t)`,
			[]string{"ref.null funcref", "ref.null externref", "ref.func 0", "ref.is_null", "table.get 1",
				"table.set 1", "table.size 0", "table.size 1", "table.grow 0", "table.fill 0", "end"}},
		{"bulk memory", `(memory 1) (table $t 1 funcref) (table $u 1 funcref) (data $d "x") (elem $e func $f)
			(func $f memory.init $d data.drop 0 memory.copy memory.fill memory.size memory.grow
			  table.init $e table.init $u $e table.init 1 0 elem.drop $e table.copy table.copy $u $t)`,
			[]string{"memory.init 0", "data.drop 0", "memory.copy", "memory.fill", "memory.size", "memory.grow",
				"table.init elem=0 table=0", "table.init elem=0 table=1", "table.init elem=0 table=1",
				"elem.drop 0", "table.copy 0 0", "table.copy 1 0", "end"}},
		{"saturating truncation", `(func
			i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u
			i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u)`,
			[]string{"i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
				"i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u", "end"}},
		{"comments", `(func ;; line comment
			(; block (; nested ;) comment ;) i32.const 1 ;; another
			drop)`,
			[]string{"i32.const 1", "drop", "end"}},
		{"misc", `(func unreachable nop return i32.extend8_s i64.extend32_s f64.promote_f32 i64.extend_i32_u)`,
			[]string{"unreachable", "nop", "return", "i32.extend8_s", "i64.extend32_s", "f64.promote_f32", "i64.extend_i32_u", "end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode(t, "(module "+tt.src+")")
			got := disasm(t, m, 0)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestTypes(t *testing.T) {
	m := decode(t, `(module
		(type $v (func))
		(type $ii (func (param i32) (result i32)))
		(import "env" "f" (func $imp (param i32) (result i32)))
		(import "env" "g" (func (type $v)))
		(func $a (param $x i32) (result i32) local.get $x)
		(func $b (type $ii) local.get 0)
		(func $c (type $ii) (param i32) (result i32) local.get 0)
		(func $d (param i64 i64) (result i32 i64) unreachable)
		(func $e (param i64) (param i64) (result i32) (result i64) unreachable)
		(func $f (result f32) unreachable)
		(type $late (func (param f64))))`)
	want := []string{"[] -> []", "[i32] -> [i32]", "[f64] -> []", "[i64 i64] -> [i32 i64]", "[] -> [f32]"}
	var got []string
	for _, ft := range m.Types {
		got = append(got, ft.String())
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("types = %v, want %v", got, want)
	}
	if fmt.Sprint(m.Funcs) != "[1 1 1 3 3 4]" {
		t.Errorf("function types = %v", m.Funcs)
	}
	if m.Imports[0].TypeIndex != 1 || m.Imports[1].TypeIndex != 0 {
		t.Errorf("import types = %d, %d", m.Imports[0].TypeIndex, m.Imports[1].TypeIndex)
	}
}

func TestModuleFields(t *testing.T) {
	m := decode(t, `(module $m
		(start $init)
		(export "first" (func $init))
		(import "env" "mem" (memory 1))
		(import "env" "tab" (table 1 funcref))
		(import "env" "g" (global $ig i32))
		(import "env" "mg" (global (mut i64)))
		(memory $mem (export "memory") (export "mem2") 2 3)
		(table $tab (export "table") 2 10 externref)
		(table 4 funcref)
		(global $g (export "g") (mut i32) (i32.const 5))
		(global f64 (f64.const 1.5))
		(global i32 global.get $ig)
		(global funcref (ref.func $init))
		(func $init (export "init") (local i32 i32 i64 i32) nop)
		(export "second" (global $g))
		(export "third" (memory 1))
		(export "fourth" (table $tab))
		(data (i32.const 16) "hello\00\ff\n\t\\\"" "\u{e9}")
		(data $d "passive" " bytes")
		(data (memory $mem) (offset (i32.const 1)) "m1")
		(data (memory 0) (global.get $ig))
		(elem (i32.const 0) $init 0)
		(elem $e func $init)
		(elem (table 2) (offset (i32.const 1)) func $init)
		(elem declare func 0))`)

	if m.Start == nil || *m.Start != 0 {
		t.Errorf("start = %v", m.Start)
	}
	wantImports := []wasm.Import{
		{Module: "env", Name: "mem", Kind: wasm.KindMemory, Memory: wasm.Limits{Min: 1}},
		{Module: "env", Name: "tab", Kind: wasm.KindTable, Table: wasm.TableType{Elem: wasm.FuncRef, Limits: wasm.Limits{Min: 1}}},
		{Module: "env", Name: "g", Kind: wasm.KindGlobal, Global: wasm.GlobalType{Type: wasm.I32}},
		{Module: "env", Name: "mg", Kind: wasm.KindGlobal, Global: wasm.GlobalType{Type: wasm.I64, Mutable: true}},
	}
	if fmt.Sprint(m.Imports) != fmt.Sprint(wantImports) {
		t.Errorf("imports = %+v\nwant %+v", m.Imports, wantImports)
	}
	if fmt.Sprint(m.Memories) != fmt.Sprint([]wasm.Limits{{Min: 2, Max: 3, HasMax: true}}) {
		t.Errorf("memories = %+v", m.Memories)
	}
	wantTables := []wasm.TableType{{Elem: wasm.ExternRef, Limits: wasm.Limits{Min: 2, Max: 10, HasMax: true}}, {Elem: wasm.FuncRef, Limits: wasm.Limits{Min: 4}}}
	if fmt.Sprint(m.Tables) != fmt.Sprint(wantTables) {
		t.Errorf("tables = %+v", m.Tables)
	}
	wantGlobals := []wasm.Global{
		{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: wasm.ConstI32(5)},
		{Type: wasm.GlobalType{Type: wasm.F64}, Init: wasm.ConstF64(math.Float64bits(1.5))},
		{Type: wasm.GlobalType{Type: wasm.I32}, Init: []byte{byte(wasm.OpGlobalGet), 0, byte(wasm.OpEnd)}},
		{Type: wasm.GlobalType{Type: wasm.FuncRef}, Init: []byte{byte(wasm.OpRefFunc), 0, byte(wasm.OpEnd)}},
	}
	if fmt.Sprint(m.Globals) != fmt.Sprint(wantGlobals) {
		t.Errorf("globals = %v\nwant %v", m.Globals, wantGlobals)
	}
	wantExports := []wasm.Export{
		{Name: "first", Kind: wasm.KindFunc}, {Name: "memory", Kind: wasm.KindMemory, Index: 1},
		{Name: "mem2", Kind: wasm.KindMemory, Index: 1}, {Name: "table", Kind: wasm.KindTable, Index: 1},
		{Name: "g", Kind: wasm.KindGlobal, Index: 2}, {Name: "init", Kind: wasm.KindFunc},
		{Name: "second", Kind: wasm.KindGlobal, Index: 2}, {Name: "third", Kind: wasm.KindMemory, Index: 1},
		{Name: "fourth", Kind: wasm.KindTable, Index: 1},
	}
	if fmt.Sprint(m.Exports) != fmt.Sprint(wantExports) {
		t.Errorf("exports = %v\nwant %v", m.Exports, wantExports)
	}
	wantLocals := []wasm.LocalDecl{{Count: 2, Type: wasm.I32}, {Count: 1, Type: wasm.I64}, {Count: 1, Type: wasm.I32}}
	if fmt.Sprint(m.Codes[0].Locals) != fmt.Sprint(wantLocals) {
		t.Errorf("locals = %v", m.Codes[0].Locals)
	}
	wantData := []wasm.Data{
		{Offset: wasm.ConstI32(16), Init: []byte("hello\x00\xff\n\t\\\"\xc3\xa9")},
		{Passive: true, Init: []byte("passive bytes")},
		{Memory: 1, Offset: wasm.ConstI32(1), Init: []byte("m1")},
		{Offset: []byte{byte(wasm.OpGlobalGet), 0, byte(wasm.OpEnd)}, Init: []byte{}},
	}
	if fmt.Sprint(m.Datas) != fmt.Sprint(wantData) {
		t.Errorf("data = %v\nwant %v", m.Datas, wantData)
	}
	if m.DataCount != nil {
		t.Errorf("data count section without memory.init or data.drop")
	}
	wantElems := []byte{4,
		0, byte(wasm.OpI32Const), 0, byte(wasm.OpEnd), 2, 0, 0, // active, table 0, MVP encoding
		1, 0, 1, 0, // passive, elemkind funcref
		2, 2, byte(wasm.OpI32Const), 1, byte(wasm.OpEnd), 0, 1, 0, // active, explicit table
		3, 0, 1, 0, // declarative
	}
	if m.NumElems != 4 || !bytes.Equal(m.Elements, wantElems) {
		t.Errorf("elements (%d) = %v\nwant %v", m.NumElems, m.Elements, wantElems)
	}
	elems, err := wasm.DecodeElements(m, wasm.FeaturesV2)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{0 0 [65 0 11] [0 0] []} {1 0 [] [0] []} {2 2 [65 1 11] [0] []} {3 0 [] [0] []}]"
	if got := fmt.Sprint(elems); got != want {
		t.Errorf("decoded elements = %s\nwant %s", got, want)
	}
}

func TestTableWithInlineElem(t *testing.T) {
	m := decode(t, `(func $a) (func $b) (table $t (export "t") funcref (elem $b $a $b)) (elem $e func $a)
		(func elem.drop $e)`)
	if fmt.Sprint(m.Tables) != fmt.Sprint([]wasm.TableType{{Elem: wasm.FuncRef, Limits: wasm.Limits{Min: 3, Max: 3, HasMax: true}}}) {
		t.Errorf("tables = %v", m.Tables)
	}
	wantElems := []byte{2, 0, byte(wasm.OpI32Const), 0, byte(wasm.OpEnd), 3, 1, 0, 1, 1, 0, 1, 0}
	if !bytes.Equal(m.Elements, wantElems) {
		t.Errorf("elements = %v, want %v", m.Elements, wantElems)
	}
	if got := disasm(t, m, 2); fmt.Sprint(got) != "[elem.drop 1 end]" {
		t.Errorf("body = %v", got)
	}
}

func TestDataCount(t *testing.T) {
	m := decode(t, `(memory 1) (data "a") (data $d "b") (func data.drop $d)`)
	if m.DataCount == nil || *m.DataCount != 2 {
		t.Fatalf("data count = %v, want 2", m.DataCount)
	}
}

func TestEmptyModule(t *testing.T) {
	for _, src := range []string{"", "(module)", "(module $m)", ";; nothing\n"} {
		bin, err := Compile(src)
		if err != nil || !bytes.Equal(bin, []byte("\x00asm\x01\x00\x00\x00")) {
			t.Errorf("Compile(%q) = %x, %v", src, bin, err)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown instruction", "(module\n  (func\n    i32.const 1 i32.ad))", `wat: 3:17: unknown instruction "i32.ad"`},
		{"unknown folded instruction", "(module (func (i32.ad (i32.const 1))))", `wat: 1:16: unknown instruction "i32.ad"`},
		{"unknown label", "(module (func block $a br $b end))", "wat: 1:27: unknown label $b"},
		{"label out of scope", "(module (func block $a end br $a))", "wat: 1:31: unknown label $a"},
		{"if label not in condition", "(module (func (if $l (br_if $l (i32.const 1)) (then))))", "wat: 1:29: unknown label $l"},
		{"unknown local", "(module (func (param $x i32)\n local.get $y))", "wat: 2:12: unknown local $y"},
		{"unknown func", "(module (func call $nope))", "wat: 1:20: unknown func $nope"},
		{"unknown type", "(module (func (type $t)))", "wat: 1:21: unknown type $t"},
		{"unknown global", "(module (func global.get $g))", "wat: 1:26: unknown global $g"},
		{"unknown data", "(module (func data.drop $d))", "wat: 1:25: unknown data $d"},
		{"unclosed paren", "(module\n  (func (result i32)\n    i32.const 1)", "wat: 1:1: unbalanced parentheses: ( is never closed"},
		{"unclosed inner paren", "(module (func\n (i32.add (i32.const 1) (i32.const 2)\n))", "wat: 1:1: unbalanced parentheses: ( is never closed"},
		{"extra close paren", "(module (func))\n)", "wat: 2:1: unbalanced parentheses: unexpected )"},
		{"bad i32", "(module (func i32.const 0x1_0000_0000))", `wat: 1:25: bad i32 constant "0x1_0000_0000"`},
		{"bad i32 negative", "(module (func i32.const -2147483649))", `wat: 1:25: bad i32 constant "-2147483649"`},
		{"bad i64", "(module (func i64.const 12a))", `wat: 1:25: bad i64 constant "12a"`},
		{"octal-looking is decimal, but underscores must separate", "(module (func i32.const 1__0))", `wat: 1:25: bad i32 constant "1__0"`},
		{"f32 overflow", "(module (func f32.const 1e39))", `wat: 1:25: bad f32 constant "1e39"`},
		{"bad nan payload", "(module (func f32.const nan:0x800000))", `wat: 1:25: bad f32 constant "nan:0x800000"`},
		{"bad float", "(module (func f64.const 1.2.3))", `wat: 1:25: bad f64 constant "1.2.3"`},
		{"missing constant", "(module (func (i32.const)))", "wat: 1:25: expected a number, found end of list"},
		{"bad align", "(module (memory 1) (func i32.load align=3))", "wat: 1:35: alignment 3 is not a power of two"},
		{"mismatched end label", "(module (func block $a end $b))", "wat: 1:28: mismatching label $b: the block has label $a"},
		{"missing end", "(module (func\n  block nop))", "wat: 2:3: block is missing its end"},
		{"stray end", "(module (func nop end))", "wat: 1:19: end without a matching block, loop or if"},
		{"end closing a folded block", "(module (func (block end)))", "wat: 1:22: end without a matching block, loop or if"},
		{"else without if", "(module (func block else end))", "wat: 1:21: else without a matching if"},
		{"then outside if", "(module (func (then)))", "wat: 1:15: (then ...) outside a folded if"},
		{"instruction after else", "(module (func (if (then) (else) (nop))))", "wat: 1:33: unexpected (nop ...) in if"},
		{"if without then", "(module (func (if (i32.const 1))))", "wat: 1:32: expected (then ...) in if"},
		{"number as instruction", "(module (func 5))", "wat: 1:15: expected an instruction, found \"5\""},
		{"atom operand in folded", "(module (func (i32.add i32.const 1)))", `wat: 1:24: unexpected "i32.const": operands of a folded instruction are folded instructions`},
		{"duplicate func", "(module (func $f) (func $f))", "wat: 1:25: duplicate func $f"},
		{"duplicate local", "(module (func (param $x i32) (local $x i32)))", "wat: 1:37: duplicate local $x"},
		{"duplicate export", `(module (func (export "a")) (memory (export "a") 1))`, `wat: 1:37: duplicate export "a"`},
		{"unknown field", "(module (funk))", `wat: 1:10: unknown module field "funk"`},
		{"import after definition", `(module (func) (import "a" "b" (func)))`, "wat: 1:16: imports must come before the module's own functions, tables, memories and globals"},
		{"type mismatch", "(module (type $t (func (param i32))) (func (type $t) (param i64)))", "wat: 1:44: inline signature [i64] -> [] does not match type 0 ([i32] -> [])"},
		{"unknown value type", "(module (func (param i33)))", `wat: 1:22: unknown value type "i33"`},
		{"unterminated string", "(module (data \"abc))", "wat: 1:15: unterminated string"},
		{"bad escape", `(module (data "\q"))`, `wat: 1:16: unknown escape \q in string`},
		{"unterminated comment", "(module (; open", "wat: 1:9: unterminated block comment"},
		{"two modules", "(module) (module)", "wat: 1:10: unexpected (module ...) after the module"},
		{"param name in block type", "(module (func block (param $x i32) end))", "wat: 1:28: unexpected name $x here"},
		{"inline import", `(module (func $f (export "e") (import "m" "f")))`, "wat: 1:31: inline imports are not supported; use an (import ...) field"},
		{"table without element type", "(module (table 1))", "wat: 1:17: expected funcref or externref, found end of list"},
		{"export without descriptor", `(module (export "x"))`, "wat: 1:20: expected (func|table|memory|global index), found end of list"},
		{"else label mismatch", "(module (func if $a else $b end))", "wat: 1:26: mismatching label $b: the if has label $a"},
		{"string as instruction", `(module (func "x"))`, `wat: 1:15: expected an instruction, found string "x"`},
		{"bad memory offset", "(module (memory 1) (func i32.load offset=-1))", `wat: 1:35: bad offset "-1"`},
		{"multiple start", "(module (func $f) (start $f) (start $f))", "wat: 1:30: multiple start functions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src)
			if err == nil {
				t.Fatalf("Compile succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error is %T, not *Error", err)
			}
		})
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || err.Error() != `wat: 1:15: unknown instruction "bogus"` {
			t.Errorf("panic value = %v", r)
		}
	}()
	MustCompile("(module (func bogus))")
	t.Error("MustCompile did not panic")
}

func TestNumbers(t *testing.T) {
	ints := []struct {
		s    string
		bits int
		want uint64
		ok   bool
	}{
		{"0", 32, 0, true},
		{"+7", 32, 7, true},
		{"010", 32, 10, true}, // decimal, not octal
		{"0xFF_ff", 32, 0xffff, true},
		{"4294967295", 32, math.MaxUint64, true}, // unsigned form wraps, then sign-extends
		{"4294967296", 32, 0, false},
		{"-0x80000000", 32, 0xFFFFFFFF80000000, true},
		{"-0x80000001", 32, 0, false},
		{"_1", 32, 0, false},
		{"1_", 32, 0, false},
		{"0x", 32, 0, false},
		{"0b1", 32, 0, false},
		{"18446744073709551615", 64, math.MaxUint64, true},
		{"-9223372036854775809", 64, 0, false},
	}
	for _, tt := range ints {
		got, ok := parseInt(tt.s, tt.bits)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q, %d) = %#x, %v; want %#x, %v", tt.s, tt.bits, got, ok, tt.want, tt.ok)
		}
	}
	floats := []struct {
		s    string
		bits int
		want uint64
		ok   bool
	}{
		{"16777217", 32, 0x4b800000, true}, // rounds to even once, straight to float32
		{"0x1.fffffep127", 32, 0x7f7fffff, true},
		{"0x1p128", 32, 0, false},
		{"+nan", 32, 0x7fc00000, true},
		{"-nan", 64, 0xfff8000000000000, true},
		{"nan:0x0", 64, 0, false},
		{"nan:0xfffffffffffff", 64, 0x7fffffffffffffff, true},
		{"1e-400", 64, 0, true},
		{"-1E+2", 64, math.Float64bits(-100), true},
		{"1e", 64, 0, false},
		{".5", 64, 0, false},
		{"infinity", 64, 0, false},
		{"0x_1p0", 64, 0, false},
		{"1_0.0_1", 64, math.Float64bits(10.01), true},
	}
	for _, tt := range floats {
		got, ok := parseFloat(tt.s, tt.bits)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseFloat(%q, %d) = %#x, %v; want %#x, %v", tt.s, tt.bits, got, ok, tt.want, tt.ok)
		}
	}
}
