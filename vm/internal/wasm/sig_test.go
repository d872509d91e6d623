package wasm

import (
	"fmt"
	"testing"
)

func TestSignature(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"i32.add", "[i32 i32] -> i32 (0)"},
		{"i64.eqz", "[i64] -> i32 (0)"},
		{"f64.lt", "[f64 f64] -> i32 (0)"},
		{"f32.trunc", "[f32] -> f32 (0)"},
		{"i32.trunc_f64_u", "[f64] -> i32 (0)"},
		{"i64.trunc_sat_f32_s", "[f32] -> i64 (0)"},
		{"i64.extend_i32_u", "[i32] -> i64 (0)"},
		{"i64.extend32_s", "[i64] -> i64 (0)"},
		{"f32.demote_f64", "[f64] -> f32 (0)"},
		{"i32.reinterpret_f32", "[f32] -> i32 (0)"},
		{"f64.copysign", "[f64 f64] -> f64 (0)"},
		{"i64.load32_u", "[i32] -> i64 (4)"},
		{"f64.load", "[i32] -> f64 (8)"},
		{"i32.store8", "[i32 i32] -> valtype(0x00) (1)"},
		{"i64.store", "[i32 i64] -> valtype(0x00) (8)"},
		{"f32.const", "[] -> f32 (0)"},
	} {
		op, ok := ByName(tc.name)
		if !ok {
			t.Fatalf("no instruction %s", tc.name)
		}
		s, ok := Signature(op)
		if !ok {
			t.Fatalf("%s has no signature", tc.name)
		}
		if got := fmt.Sprintf("%v -> %v (%d)", s.In, s.Out, s.Size); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, name := range []string{"call", "local.get", "select", "memory.grow", "table.get", "ref.null", "memory.copy", "br_if"} {
		op, _ := ByName(name)
		if _, ok := Signature(op); ok {
			t.Errorf("%s has a fixed signature; the validator must handle it", name)
		}
	}
}
