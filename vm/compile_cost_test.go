package vm

import (
	"context"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// BenchmarkCompileCost deploys modules of the shapes that are hardest on a
// compiler, each on a fresh engine so nothing is cached, and reports the
// cost per byte of code: the figure Params.Gas.DeployPerByte must cover
// (docs/gas.md, "Compile cost"; docs/benchmarks.md has the figures).
func BenchmarkCompileCost(b *testing.B) {
	shapes := []struct {
		name string
		code func() []byte
	}{
		{"many-tiny-functions", manyTinyFunctions},
		{"huge-functions", hugeFunctions},
		{"deep-nesting", deepNesting},
		{"huge-br_table", hugeBrTables},
		{"many-locals", manyLocalsLive},
		{"go-contract", func() []byte { return goContract(b) }},
	}
	ctx := context.Background()
	for _, s := range shapes {
		code := s.code()
		b.Run(s.name, func(b *testing.B) {
			host := []HostFunc(nil)
			if s.name == "go-contract" {
				host = testHostFuncs()
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e, err := NewEngine(ctx, Config{Host: host})
				if err != nil {
					b.Fatal(err)
				}
				m, err := e.Deploy(ctx, code, ParamsV1())
				if err != nil {
					b.Fatal(err)
				}
				_ = m.Close(ctx)
				_ = e.Close(ctx)
			}
			cost, err := DeployCost(code, ParamsV1())
			if err != nil {
				b.Fatal(err)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/float64(len(code)), "ns/byte")
			b.ReportMetric(float64(len(code)), "bytes")
			// gas charged per nanosecond spent: must stay >= 1.
			b.ReportMetric(float64(cost)/ns, "gas/ns")
		})
	}
}

// module builds a module of defined functions of type () -> () or
// (i32) -> i32 with the given bodies (each ending with end).
func moduleOf(withParam bool, bodies ...[]byte) []byte {
	ft := wasm.FuncType{}
	if withParam {
		ft = wasm.FuncType{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I32}}
	}
	m := &wasm.Module{Types: []wasm.FuncType{ft}, Memories: []wasm.Limits{{Min: 1}}}
	for _, body := range bodies {
		m.Funcs = append(m.Funcs, 0)
		m.Codes = append(m.Codes, wasm.Code{Body: body})
	}
	return wasm.Encode(m)
}

// manyTinyFunctions: the most functions Params allow, each empty.
func manyTinyFunctions() []byte {
	n := int(ParamsV1().MaxFunctions)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = []byte{byte(wasm.OpEnd)}
	}
	return moduleOf(false, bodies...)
}

// hugeFunctions: four bodies of the largest size allowed, straight-line
// arithmetic on memory.
func hugeFunctions() []byte {
	var b []byte
	for len(b)+13 < int(ParamsV1().MaxFunctionBytes) {
		// i32.const 0; i32.const 0; i32.load; i32.const 7; i32.mul; i32.store
		b = append(b, 0x41, 0, 0x41, 0, 0x28, 2, 0, 0x41, 7, 0x6C, 0x36, 2, 0)
	}
	b = append(b, byte(wasm.OpEnd))
	return moduleOf(false, b, b, b, b)
}

// deepNesting: 8 functions with blocks nested as deep as Params allow,
// each level with a conditional branch. Compile time grows with depth ×
// size, not size alone (20,000 levels took 100 s for 140 KB, which is why
// MaxNestingDepth exists).
func deepNesting() []byte {
	depth := int(ParamsV1().MaxNestingDepth)
	var b []byte
	for i := 0; i < depth; i++ {
		b = append(b, byte(wasm.OpBlock), 0x40, 0x20, 0, 0x0D, 0) // block; local.get 0; br_if 0
	}
	for i := 0; i < depth; i++ {
		b = append(b, byte(wasm.OpEnd))
	}
	b = append(b, 0x20, 0, byte(wasm.OpEnd)) // local.get 0; end
	bodies := make([][]byte, 8)
	for i := range bodies {
		bodies[i] = b
	}
	return moduleOf(true, bodies...)
}

// hugeBrTables: 64 functions with a br_table of the largest allowed size.
func hugeBrTables() []byte {
	n := int(ParamsV1().MaxBrTableTargets)
	var bodies [][]byte
	for f := 0; f < 64; f++ {
		b := []byte{byte(wasm.OpBlock), 0x40, 0x20, 0, byte(wasm.OpBrTable)}
		b = wasm.AppendU32(b, uint32(n))
		for i := 0; i < n; i++ {
			b = append(b, 0)
		}
		b = append(b, 0, byte(wasm.OpEnd), 0x20, 0, byte(wasm.OpEnd))
		bodies = append(bodies, b)
	}
	return moduleOf(true, bodies...)
}

// manyLocalsLive: functions with the most locals allowed, all live across
// a loop, to stress register allocation.
func manyLocalsLive() []byte {
	n := int(ParamsV1().MaxLocalsPerFunction) - 1
	m := &wasm.Module{
		Types: []wasm.FuncType{{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I32}}},
	}
	for f := 0; f < 16; f++ {
		b := []byte{byte(wasm.OpLoop), 0x40}
		for i := 1; i <= n; i++ { // local.get i; local.get 0; i32.add; local.set i
			b = append(b, 0x20)
			b = wasm.AppendU32(b, uint32(i))
			b = append(b, 0x20, 0, 0x6A, 0x21)
			b = wasm.AppendU32(b, uint32(i))
		}
		b = append(b, 0x20, 0, 0x0D, 0, byte(wasm.OpEnd), 0x20, 0, byte(wasm.OpEnd))
		m.Funcs = append(m.Funcs, 0)
		m.Codes = append(m.Codes, wasm.Code{Locals: []wasm.LocalDecl{{Count: uint32(n), Type: wasm.I32}}, Body: b})
	}
	return wasm.Encode(m)
}
