package wat

import (
	"context"
	"math"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// instantiate assembles src and instantiates it in a fresh interpreter
// runtime that also holds an "env" host module, so modules can import a
// host function.
func instantiate(t *testing.T, src string) api.Module {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { r.Close(ctx) })
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func(x uint32) uint32 { return x*10 + 1 }).Export("times10plus1").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, MustCompile(src))
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	return mod
}

func call(t *testing.T, mod api.Module, name string, args ...uint64) []uint64 {
	t.Helper()
	f := mod.ExportedFunction(name)
	if f == nil {
		t.Fatalf("no export %q", name)
	}
	res, err := f.Call(context.Background(), args...)
	if err != nil {
		t.Fatalf("%s%v: %v", name, args, err)
	}
	return res
}

func i32(v int32) uint64 { return uint64(uint32(v)) }

func TestRun(t *testing.T) {
	type check struct {
		fn   string
		args []uint64
		want []uint64
	}
	tests := []struct {
		name   string
		src    string
		checks []check
	}{
		{"arithmetic", `(module
			(func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
			(func (export "calc") (param $x i64) (result i64)
			  (i64.sub (i64.mul (local.get $x) (i64.const 3)) (i64.const 0x10)))
			(func (export "neg") (result i32) i32.const 0xffffffff))`,
			[]check{
				{"add", []uint64{2, 40}, []uint64{42}},
				{"add", []uint64{i32(-5), 3}, []uint64{i32(-2)}},
				{"calc", []uint64{10}, []uint64{14}},
				{"neg", nil, []uint64{i32(-1)}},
			}},
		{"locals", `(module (func (export "swap") (param $a i32) (param $b i32) (result i32 i32)
			(local $t i32)
			local.get $a local.set $t
			local.get $b local.set $a
			local.get $t local.tee $b drop
			local.get $a local.get $b))`,
			[]check{{"swap", []uint64{1, 2}, []uint64{2, 1}}}},
		{"loop summing 1..n", `(module (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
			block $done
			  loop $next
			    local.get $i local.get $n i32.ge_u br_if $done
			    local.get $i i32.const 1 i32.add local.tee $i
			    local.get $acc i32.add local.set $acc
			    br $next
			  end
			end
			local.get $acc))`,
			[]check{{"sum", []uint64{10}, []uint64{55}}, {"sum", []uint64{0}, []uint64{0}}}},
		{"folded loop", `(module (func (export "fact") (param $n i64) (result i64) (local $r i64)
			(local.set $r (i64.const 1))
			(block $done
			  (loop $l
			    (br_if $done (i64.eqz (local.get $n)))
			    (local.set $r (i64.mul (local.get $r) (local.get $n)))
			    (local.set $n (i64.sub (local.get $n) (i64.const 1)))
			    (br $l)))
			(local.get $r)))`,
			[]check{{"fact", []uint64{5}, []uint64{120}}, {"fact", []uint64{20}, []uint64{2432902008176640000}}}},
		{"br_table dispatch", `(module (func (export "switch") (param i32) (result i32)
			block $default
			  block $two
			    block $one
			      block $zero
			        local.get 0
			        br_table $zero $one $two $default
			      end
			      i32.const 100 return
			    end
			    i32.const 101 return
			  end
			  i32.const 102 return
			end
			i32.const -1))`,
			[]check{
				{"switch", []uint64{0}, []uint64{100}},
				{"switch", []uint64{1}, []uint64{101}},
				{"switch", []uint64{2}, []uint64{102}},
				{"switch", []uint64{3}, []uint64{i32(-1)}},
				{"switch", []uint64{1000}, []uint64{i32(-1)}},
			}},
		{"if else with results", `(module
			(func (export "max") (param $a i32) (param $b i32) (result i32)
			  (if (result i32) (i32.gt_s (local.get $a) (local.get $b))
			    (then (local.get $a))
			    (else (local.get $b))))
			(func (export "sign") (param i64) (result i64)
			  local.get 0 i64.const 0 i64.lt_s
			  if (result i64)
			    i64.const -1
			  else
			    local.get 0 i64.eqz
			    if $z (result i64) i64.const 0 else $z i64.const 1 end $z
			  end))`,
			[]check{
				{"max", []uint64{3, 9}, []uint64{9}},
				{"max", []uint64{i32(-3), i32(-9)}, []uint64{i32(-3)}},
				{"sign", []uint64{uint64(math.MaxUint64)}, []uint64{uint64(math.MaxUint64)}},
				{"sign", []uint64{0}, []uint64{0}},
				{"sign", []uint64{7}, []uint64{1}},
			}},
		{"memory with offsets", `(module (memory (export "mem") 1)
			(func (export "roundtrip") (param $addr i32) (param $v i64) (result i64 i32 i32)
			  (i64.store offset=8 (local.get $addr) (local.get $v))
			  (i64.load offset=4 align=4 (i32.add (local.get $addr) (i32.const 4)))
			  (i32.load8_u offset=8 (local.get $addr))
			  (i32.load16_s offset=14 (local.get $addr))))`,
			[]check{{"roundtrip", []uint64{100, 0x8001_0000_0000_00ff}, []uint64{0x8001_0000_0000_00ff, 0xff, i32(-32767)}}}},
		{"data segments and bulk memory", `(module (memory 1)
			(data (i32.const 16) "hel" "lo\00\ff")
			(data $p "\01\02\03\04")
			(func (export "active") (result i32 i32 i32)
			  (i32.load (i32.const 16)) (i32.load8_u (i32.const 21)) (i32.load8_u (i32.const 22)))
			(func (export "passive") (result i32)
			  (memory.init $p (i32.const 100) (i32.const 1) (i32.const 3))
			  (data.drop $p)
			  (memory.copy (i32.const 200) (i32.const 100) (i32.const 3))
			  (memory.fill (i32.const 203) (i32.const 0xAA) (i32.const 1))
			  (i32.load (i32.const 200))))`,
			[]check{
				{"active", nil, []uint64{0x6c6c6568, 0, 0xff}},
				{"passive", nil, []uint64{0xAA040302}},
			}},
		{"globals and start", `(module
			(global $counter (mut i32) (i32.const 5))
			(global $step i32 (i32.const 3))
			(global $big (export "big") i64 (i64.const 0x7fffffffffffffff))
			(start $init)
			(func $init (global.set $counter (i32.mul (global.get $counter) (i32.const 2))))
			(func (export "bump") (result i32)
			  (global.set $counter (i32.add (global.get $counter) (global.get $step)))
			  (global.get $counter)))`,
			[]check{{"bump", nil, []uint64{13}}, {"bump", nil, []uint64{16}}}},
		{"call and call_indirect", `(module
			(type $binop (func (param i32 i32) (result i32)))
			(table 3 funcref)
			(elem (i32.const 0) $add $sub)
			(elem (i32.const 2) func $mul)
			(func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
			(func $sub (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
			(func $mul (type $binop) local.get 0 local.get 1 i32.mul)
			(func (export "direct") (result i32) (call $sub (i32.const 10) (call $add (i32.const 1) (i32.const 2))))
			(func (export "dispatch") (param $op i32) (param $a i32) (param $b i32) (result i32)
			  (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op))))`,
			[]check{
				{"direct", nil, []uint64{7}},
				{"dispatch", []uint64{0, 6, 2}, []uint64{8}},
				{"dispatch", []uint64{1, 6, 2}, []uint64{4}},
				{"dispatch", []uint64{2, 6, 2}, []uint64{12}},
			}},
		{"imported host function", `(module
			(import "env" "times10plus1" (func $host (param i32) (result i32)))
			(func (export "twice") (param i32) (result i32) (call $host (call $host (local.get 0)))))`,
			[]check{{"twice", []uint64{4}, []uint64{411}}}},
		{"multi-value", `(module
			(type $pair (func (param i32) (result i32 i64)))
			(func $split (type $pair) (local.get 0) (i64.extend_i32_u (i32.mul (local.get 0) (i32.const 2))))
			(func (export "pair") (param i32) (result i32 i64) (call $split (local.get 0)))
			(func (export "block") (result i32)
			  i32.const 7
			  block (param i32) (result i32 i32)
			    i32.const 1
			  end
			  i32.sub)
			(func (export "blocktype") (result i32 i64)
			  (i32.const 4) (block (type $pair) (i64.const 9))))`,
			[]check{
				{"pair", []uint64{21}, []uint64{21, 42}},
				{"block", nil, []uint64{6}},
				{"blocktype", []uint64{}, []uint64{4, 9}},
			}},
		{"float constants", `(module
			(func (export "f32s") (result f32 f32 f32 f32 f32)
			  f32.const 1.5 f32.const -0.0 f32.const -inf f32.const nan:0x200000 f32.const 0x1p-3)
			(func (export "f64s") (result f64 f64 f64)
			  f64.const -nan:0x1 f64.const 0.1 f64.const 1e308)
			(func (export "bits") (result i32 i64)
			  (i32.reinterpret_f32 (f32.const -nan:0x7fffff))
			  (i64.reinterpret_f64 (f64.const nan:0x8000000000001)))
			(func (export "arith") (result f64) (f64.add (f64.const 0x1.8p1) (f64.const 1_000.25)))
			(func (export "sat") (result i32 i64) (i32.trunc_sat_f32_s (f32.const 1e10)) (i64.trunc_sat_f64_u (f64.const -5))))`,
			[]check{
				{"f32s", nil, []uint64{0x3fc00000, 0x80000000, 0xff800000, 0x7fa00000, 0x3e000000}},
				{"f64s", nil, []uint64{0xfff0000000000001, math.Float64bits(0.1), math.Float64bits(1e308)}},
				{"bits", nil, []uint64{0xffffffff, 0x7ff8000000000001}},
				{"arith", nil, []uint64{math.Float64bits(1003.25)}},
				{"sat", nil, []uint64{0x7fffffff, 0}},
			}},
		{"reference types", `(module
			(table $t 2 funcref)
			(elem declare func $seven)
			(func $seven (result i32) i32.const 7)
			(func (export "refs") (result i32 i32 i32)
			  (table.set $t (i32.const 1) (ref.func $seven))
			  (ref.is_null (table.get $t (i32.const 0)))
			  (table.grow $t (ref.null func) (i32.const 3))
			  (call_indirect (result i32) (i32.const 1)))
			(func (export "size") (result i32) table.size $t)
			(func (export "pick") (param i32) (result i64)
			  (select (result i64) (i64.const 10) (i64.const 20) (local.get 0))))`,
			[]check{
				{"refs", nil, []uint64{1, 2, 7}},
				{"size", nil, []uint64{5}},
				{"pick", []uint64{1}, []uint64{10}},
				{"pick", []uint64{0}, []uint64{20}},
			}},
		{"table.init and elem.drop", `(module
			(table $t 4 funcref)
			(elem $e func $a $b)
			(func $a (result i32) i32.const 1)
			(func $b (result i32) i32.const 2)
			(func (export "init") (result i32)
			  (table.init $t $e (i32.const 2) (i32.const 0) (i32.const 2))
			  (elem.drop $e)
			  (table.copy $t $t (i32.const 0) (i32.const 2) (i32.const 2))
			  (i32.add (call_indirect (result i32) (i32.const 0))
			           (i32.mul (i32.const 10) (call_indirect (result i32) (i32.const 3))))))`,
			[]check{{"init", nil, []uint64{21}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod := instantiate(t, tt.src)
			for _, c := range tt.checks {
				got := call(t, mod, c.fn, c.args...)
				if len(got) != len(c.want) {
					t.Errorf("%s%v = %#x, want %#x", c.fn, c.args, got, c.want)
					continue
				}
				for i := range got {
					if got[i] != c.want[i] {
						t.Errorf("%s%v = %#x, want %#x", c.fn, c.args, got, c.want)
						break
					}
				}
			}
		})
	}
}

func TestRunGlobalsAndMemoryExports(t *testing.T) {
	mod := instantiate(t, `(module
		(global $g (export "g") (mut f64) (f64.const 1.5))
		(memory (export "memory") 1 2)
		(data (i32.const 0) "wat!")
		(func (export "set") (param f64) (global.set $g (local.get 0))))`)
	if got := mod.ExportedGlobal("g").Get(); got != math.Float64bits(1.5) {
		t.Errorf("g = %#x", got)
	}
	call(t, mod, "set", math.Float64bits(-2.25))
	if got := mod.ExportedGlobal("g").Get(); got != math.Float64bits(-2.25) {
		t.Errorf("g after set = %#x", got)
	}
	mem := mod.ExportedMemory("memory")
	if b, ok := mem.Read(0, 4); !ok || string(b) != "wat!" {
		t.Errorf("memory[0:4] = %q", b)
	}
	if max, ok := mem.Definition().Max(); !ok || max != 2 {
		t.Errorf("memory max = %d, %v", max, ok)
	}
}
