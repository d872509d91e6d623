package vm

import (
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/instrument"
	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// Params are the VM's consensus parameters: every limit a module must fit and
// every gas price the instrumenter bakes into it. They are a value: a chain
// changes them only by switching to a new Params at a set height, and blocks
// before that height replay under the old one. Version selects the
// instrumentation algorithm; it changes whenever the rewrite of the same
// module under the same numbers would change. docs/gas.md lists every field.
type Params struct {
	Version uint32

	MaxCodeBytes         uint32 // size of the deployed module
	MaxFunctions         uint32 // defined plus imported functions
	MaxLocalsPerFunction uint32 // params plus declared locals
	MaxFunctionBytes     uint32 // size of one function body
	MaxImports           uint32
	MaxExports           uint32
	MaxGlobals           uint32
	MaxTableElements     uint32 // initial and maximum size of every table
	MaxMemoryPages       uint32 // 64 KiB pages; initial size, and the cap on growth
	MaxBrTableTargets    uint32 // labels in one br_table
	MaxNestingDepth      uint32 // blocks nested in one function
	MaxStackSlots        uint32 // sum of the frame sizes of all active calls
	FrameOverhead        uint32 // slots added to every frame

	Gas GasSchedule
}

// GasSchedule prices execution. One gas is roughly one simple instruction.
type GasSchedule struct {
	// Per instruction, by class (see the table in docs/gas.md).
	Control, Variable, IntALU, IntMul, IntDiv uint64
	Float, FloatDiv, Load, Store              uint64
	Call, CallIndirect, Memory, Table         uint64

	SegmentCheck    uint64 // per metered segment: the check itself
	FunctionEntry   uint64 // per call: the stack-limit prologue and epilogue
	NaNCanonicalize uint64 // per float instruction that may produce a NaN

	MemoryGrowPerPage uint64 // per page requested by memory.grow
	BulkMemoryPerWord uint64 // per started 8 bytes of memory.copy/fill/init
	TablePerElement   uint64 // per element of table.grow/fill/copy/init

	// DeployPerByte is charged per byte of deployed code and
	// DeployPerNestedByte per byte of function body per level of that
	// function's deepest block nesting. Together they pay for validation,
	// instrumentation, pre-initialization and compilation, priced from the
	// worst cases measured (docs/gas.md, "Compile cost").
	DeployPerByte       uint64
	DeployPerNestedByte uint64
	// InitGas bounds the start function and _initialize run at deploy.
	InitGas uint64

	// WASIBase is charged by every WASI function on entry, WASIPerByte per
	// byte of caller memory one copies in an amount the caller chooses
	// (docs/abi.md).
	WASIBase, WASIPerByte uint64
}

// ParamsV1 returns the first parameter set. It is a function, not a
// variable, so nobody can change it for everyone.
func ParamsV1() Params {
	return Params{
		Version:              1,
		MaxCodeBytes:         4 << 20,
		MaxFunctions:         65536,
		MaxLocalsPerFunction: 4096,
		MaxFunctionBytes:     256 << 10,
		MaxImports:           256,
		MaxExports:           1024,
		MaxGlobals:           1024,
		MaxTableElements:     65536,
		MaxMemoryPages:       512,
		MaxBrTableTargets:    16384,
		MaxNestingDepth:      1024,
		MaxStackSlots:        256 * 1024,
		FrameOverhead:        8,
		Gas: GasSchedule{
			Control: 1, Variable: 1, IntALU: 1, IntMul: 2, IntDiv: 6,
			Float: 2, FloatDiv: 6, Load: 2, Store: 2,
			Call: 4, CallIndirect: 6, Memory: 4, Table: 2,
			SegmentCheck:        2,
			FunctionEntry:       4,
			NaNCanonicalize:     2,
			MemoryGrowPerPage:   2048,
			BulkMemoryPerWord:   1,
			TablePerElement:     2,
			DeployPerByte:       5000,
			DeployPerNestedByte: 40,
			InitGas:             1 << 30,
			WASIBase:            20,
			WASIPerByte:         1,
		},
	}
}

// DefaultParams returns the newest parameter set.
func DefaultParams() Params { return ParamsV1() }

// Validate reports every problem with p in one error.
func (p *Params) Validate() error {
	var errs []error
	if p.Version != 1 {
		errs = append(errs, fmt.Errorf("vm: params version %d is unknown (this build knows 1)", p.Version))
	}
	for _, f := range []struct {
		name string
		v    uint32
	}{
		{"MaxCodeBytes", p.MaxCodeBytes}, {"MaxFunctions", p.MaxFunctions}, {"MaxLocalsPerFunction", p.MaxLocalsPerFunction},
		{"MaxExports", p.MaxExports}, {"MaxFunctionBytes", p.MaxFunctionBytes}, {"MaxMemoryPages", p.MaxMemoryPages}, {"MaxStackSlots", p.MaxStackSlots},
	} {
		if f.v == 0 {
			errs = append(errs, fmt.Errorf("vm: %s must be positive", f.name))
		}
	}
	if p.FrameOverhead < 4 {
		errs = append(errs, fmt.Errorf("vm: FrameOverhead %d is below 4, the slots the instrumentation itself may use", p.FrameOverhead))
	}
	if p.Gas.InitGas > instrument.MaxGas {
		errs = append(errs, fmt.Errorf("vm: InitGas %d exceeds %d", p.Gas.InitGas, uint64(instrument.MaxGas)))
	}
	cfg := p.instrumentConfig(wasm.FeaturesV2)
	if err := cfg.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("vm: %w", err))
	}
	return errors.Join(errs...)
}

// instrumentConfig translates the parameters for the instrumenter.
func (p *Params) instrumentConfig(f wasm.Features) *instrument.Config {
	g := &p.Gas
	cfg := &instrument.Config{
		Features:          f,
		SegmentCheck:      g.SegmentCheck,
		FunctionEntry:     g.FunctionEntry,
		NaNCanonicalize:   g.NaNCanonicalize,
		MemoryGrowPerPage: g.MemoryGrowPerPage,
		BulkMemoryPerWord: g.BulkMemoryPerWord,
		TablePerElement:   g.TablePerElement,
		StackLimit:        p.MaxStackSlots,
		FrameOverhead:     p.FrameOverhead,
		MaxMemoryPages:    p.MaxMemoryPages,
		MaxBrTableTargets: p.MaxBrTableTargets,
		MaxNestingDepth:   p.MaxNestingDepth,
	}
	cfg.Weights[wasm.ClassControl] = g.Control
	cfg.Weights[wasm.ClassVariable] = g.Variable
	cfg.Weights[wasm.ClassIntALU] = g.IntALU
	cfg.Weights[wasm.ClassIntMul] = g.IntMul
	cfg.Weights[wasm.ClassIntDiv] = g.IntDiv
	cfg.Weights[wasm.ClassFloat] = g.Float
	cfg.Weights[wasm.ClassFloatDiv] = g.FloatDiv
	cfg.Weights[wasm.ClassLoad] = g.Load
	cfg.Weights[wasm.ClassStore] = g.Store
	cfg.Weights[wasm.ClassCall] = g.Call
	cfg.Weights[wasm.ClassCallIndirect] = g.CallIndirect
	cfg.Weights[wasm.ClassMemory] = g.Memory
	cfg.Weights[wasm.ClassTable] = g.Table
	return cfg
}
