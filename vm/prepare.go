package vm

import (
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/instrument"
	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// prepared is a module checked against the limits and rewritten by the
// instrumenter, ready for wazero to compile.
type prepared struct {
	bin []byte
	mod *wasm.Module // the rewritten module
	res *instrument.Result
}

// prepare runs the deploy-time pipeline up to compilation: decode with the
// feature gate, check the limits, instrument, encode. Import checks belong
// to the caller, which knows what it provides.
func prepare(code []byte, p *Params, f wasm.Features) (*prepared, error) {
	if uint64(len(code)) > uint64(p.MaxCodeBytes) {
		return nil, fmt.Errorf("%w: code is %d bytes, the limit is %d", ErrLimit, len(code), p.MaxCodeBytes)
	}
	m, err := wasm.Decode(code, f)
	if err != nil {
		return nil, classifyDeploy(err)
	}
	if err := checkLimits(m, p); err != nil {
		return nil, err
	}
	res, err := instrument.Instrument(m, p.instrumentConfig(f))
	if err != nil {
		return nil, classifyDeploy(err)
	}
	return &prepared{bin: wasm.Encode(res.Module), mod: res.Module, res: res}, nil
}

// checkLimits compares a decoded module with the Params limits. Tables
// without a maximum, or with one above the limit, get the limit as maximum,
// as memories do in the instrumenter: table.grow past it returns -1.
func checkLimits(m *wasm.Module, p *Params) error {
	limit := func(what string, n uint64, max uint32) error {
		if n > uint64(max) {
			return fmt.Errorf("%w: %d %s, the limit is %d", ErrLimit, n, what, max)
		}
		return nil
	}
	nFuncs := uint64(m.NumImported(wasm.KindFunc)) + uint64(len(m.Funcs))
	nGlobals := uint64(m.NumImported(wasm.KindGlobal)) + uint64(len(m.Globals))
	for _, err := range []error{
		limit("functions", nFuncs, p.MaxFunctions),
		limit("imports", uint64(len(m.Imports)), p.MaxImports),
		limit("exports", uint64(len(m.Exports)), p.MaxExports),
		limit("globals", nGlobals, p.MaxGlobals),
	} {
		if err != nil {
			return err
		}
	}
	if len(m.Tables) > 0 {
		tables := append([]wasm.TableType(nil), m.Tables...)
		for i := range tables {
			t := &tables[i]
			if t.Min > p.MaxTableElements {
				return fmt.Errorf("%w: table %d starts with %d elements, the limit is %d", ErrLimit, i, t.Min, p.MaxTableElements)
			}
			if !t.HasMax || t.Max > p.MaxTableElements {
				t.Max, t.HasMax = p.MaxTableElements, true
			}
		}
		m.Tables = tables
	}
	imported := int(m.NumImported(wasm.KindFunc))
	for i := range m.Codes {
		ft, ok := m.FuncType(uint32(imported + i))
		if !ok {
			return fmt.Errorf("%w: function %d has an unknown type", ErrInvalid, imported+i)
		}
		if n := len(m.Codes[i].Body); n > int(p.MaxFunctionBytes) {
			return fmt.Errorf("%w: function %d has a %d-byte body, the limit is %d", ErrLimit, imported+i, n, p.MaxFunctionBytes)
		}
		if n := uint64(len(ft.Params)) + m.Codes[i].NumLocals(); n > uint64(p.MaxLocalsPerFunction) {
			return fmt.Errorf("%w: function %d has %d locals (with params), the limit is %d", ErrLimit, imported+i, n, p.MaxLocalsPerFunction)
		}
	}
	return nil
}

// deployGas prices a deploy (docs/gas.md, "Compile cost"). Both terms are
// far below 2^64 for code within MaxCodeBytes; the sum saturates anyway.
func deployGas(p *Params, codeLen int, nestedBytes uint64) uint64 {
	g := p.Gas.DeployPerByte * uint64(codeLen)
	n := p.Gas.DeployPerNestedByte * nestedBytes
	if g+n < g {
		return ^uint64(0)
	}
	return g + n
}

// DeployCost returns the gas Deploy of code under p costs, or the error
// Deploy would refuse it with before compiling. It decodes and instruments
// but does not compile, so a caller can charge before paying for
// compilation.
func DeployCost(code []byte, p Params) (uint64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	prep, err := prepare(code, &p, wasm.FeaturesV2)
	if err != nil {
		return 0, err
	}
	return deployGas(&p, len(code), prep.res.NestedBytes), nil
}
