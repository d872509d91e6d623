package main

import (
	"github.com/plinthchain/plinth/runtime/tx"
)

// The gas of straight-line code, derived by hand from docs/gas.md: each
// module's f runs one or two segments whose instruction weights are
// summed, plus SegmentCheck (2) per segment run, FunctionEntry (4) per
// function called, NaNCanonicalize (2) per float instruction that may
// make a NaN, and the dynamic charges. The call pays that on top of its
// intrinsic gas.

type vmCase struct {
	name, desc, module string
	gas                uint64 // the VM gas of one call of f
	why                string
}

var vmCases = []vmCase{
	{"i32-mul", "IntMul weighs 2", `(module (func (export "f") (drop (i32.mul (i32.const 3) (i32.const 4)))))`,
		1 + 1 + 2 + 1 + 1 + 2 + 4, "const 1 + const 1 + i32.mul 2 + drop 1 + end 1 + check 2 + entry 4"},
	{"i64-div", "IntDiv weighs 6", `(module (func (export "f") (drop (i64.div_s (i64.const 8) (i64.const 2)))))`,
		1 + 1 + 6 + 1 + 1 + 2 + 4, "const 1 + const 1 + i64.div_s 6 + drop 1 + end 1 + check 2 + entry 4"},
	{"f64-add", "Float weighs 2, and add may make a NaN: +2", `(module (func (export "f") (drop (f64.add (f64.const 1) (f64.const 2)))))`,
		1 + 1 + 2 + 2 + 1 + 1 + 2 + 4, "const 1 + const 1 + f64.add 2 + NaNCanonicalize 2 + drop 1 + end 1 + check 2 + entry 4"},
	{"f32-sqrt", "FloatDiv weighs 6, sqrt may make a NaN: +2", `(module (func (export "f") (drop (f32.sqrt (f32.const 2)))))`,
		1 + 6 + 2 + 1 + 1 + 2 + 4, "const 1 + f32.sqrt 6 + NaNCanonicalize 2 + drop 1 + end 1 + check 2 + entry 4"},
	{"f64-neg", "neg is an exact bit operation: no NaN charge", `(module (func (export "f") (drop (f64.neg (f64.const 1)))))`,
		1 + 2 + 1 + 1 + 2 + 4, "const 1 + f64.neg 2 + drop 1 + end 1 + check 2 + entry 4"},
	{"load-store", "Load and Store weigh 2", `(module (memory 1) (func (export "f") (i32.store (i32.const 0) (i32.const 7)) (drop (i32.load (i32.const 0)))))`,
		1 + 1 + 2 + 1 + 2 + 1 + 1 + 2 + 4, "const + const + store 2 + const + load 2 + drop + end + check 2 + entry 4"},
	{"call", "a call: Call weighs 4, the callee pays its own entry and segment", `(module (func $g) (func (export "f") (call $g)))`,
		(4 + 1 + 2 + 4) + (1 + 2 + 4), "f: call 4 + end 1 + check 2 + entry 4 = 11; g: end 1 + check 2 + entry 4 = 7"},
	{"call-indirect", "call_indirect weighs 6", `(module (type $t (func)) (table 1 funcref) (elem (i32.const 0) $g) (func $g) (func (export "f") (call_indirect (type $t) (i32.const 0))))`,
		(1 + 6 + 1 + 2 + 4) + (1 + 2 + 4), "f: const 1 + call_indirect 6 + end 1 + check 2 + entry 4 = 14; g: 7"},
	{"memory-size", "Memory weighs 4", `(module (memory 1) (func (export "f") (drop (memory.size))))`,
		4 + 1 + 1 + 2 + 4, "memory.size 4 + drop + end + check 2 + entry 4"},
	{"memory-grow", "memory.grow pays MemoryGrowPerPage 2,048 per page requested", `(module (memory 1 4) (func (export "f") (drop (memory.grow (i32.const 1)))))`,
		1 + 4 + 1 + 1 + 2 + 4 + 2048, "const 1 + memory.grow 4 + drop + end + check 2 + entry 4 + 2048 × 1 page"},
	{"memory-fill", "memory.fill pays BulkMemoryPerWord 1 per 8 bytes, rounded up", `(module (memory 1) (func (export "f") (memory.fill (i32.const 0) (i32.const 0) (i32.const 100))))`,
		1 + 1 + 1 + 4 + 1 + 2 + 4 + 13, "3 const + memory.fill 4 + end + check 2 + entry 4 + ⌈100 / 8⌉ = 13"},
	{"select", "select weighs 1 (Variable)", `(module (func (export "f") (drop (select (i32.const 1) (i32.const 2) (i32.const 0)))))`,
		1 + 1 + 1 + 1 + 1 + 1 + 2 + 4, "3 const + select + drop + end + check 2 + entry 4"},
	{"locals", "local.set and local.get weigh 1", `(module (func (export "f") (local i32) (local.set 0 (i32.const 5)) (drop (local.get 0))))`,
		1 + 1 + 1 + 1 + 1 + 2 + 4, "const + local.set + local.get + drop + end + check 2 + entry 4"},
	{"globals", "global.set and global.get weigh 1", `(module (global $g (mut i32) (i32.const 0)) (func (export "f") (global.set $g (i32.const 5)) (drop (global.get $g))))`,
		1 + 1 + 1 + 1 + 1 + 2 + 4, "const + global.set + global.get + drop + end + check 2 + entry 4"},
	{"popcnt", "clz, ctz and popcnt are IntALU: 1", `(module (func (export "f") (drop (i64.popcnt (i64.const 255)))))`,
		1 + 1 + 1 + 1 + 2 + 4, "const + popcnt + drop + end + check 2 + entry 4"},
	{"two-segments", "an if whose then arm runs: three segments charged", `(module (func (export "f") (if (i32.const 1) (then nop))))`,
		(1 + 1 + 2 + 4) + (1 + 1 + 2) + (1 + 2), "const + if + check 2 + entry 4 = 8; nop + end + check 2 = 4; the function's end + check 2 = 3"},
}

func init() {
	for _, c := range vmCases {
		c := c
		register("vm-gas", scenario{name: c.name, build: func(b *builder) {
			b.v.Description = c.desc
			addr := b.deployed(b.wat(c.module))
			raw := b.tx("dev", tx.Call{Contract: addr, Method: "f"}, gas(1_000_000))
			blk := b.block(raw)
			b.derive("gas = intrinsic %d + (%s = %d) = %d (docs/gas.md)", intrinsic(raw), c.why, c.gas, intrinsic(raw)+c.gas)
			b.wantReceipt(blk, 0, 0, intrinsic(raw)+c.gas)
		}})
	}
}
