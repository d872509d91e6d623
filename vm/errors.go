package vm

import (
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/vm/internal/instrument"
	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// Deploy errors. Every rejection wraps one of these, so callers can map them
// to receipt codes with errors.Is; the message names what was wrong and
// where (section, function, byte offset).
var (
	// ErrMalformed: the bytes are not a WebAssembly module.
	ErrMalformed = errors.New("vm: malformed module")
	// ErrFeature: the module uses a feature Plinth does not accept (SIMD,
	// threads, 64-bit or shared memory).
	ErrFeature = errors.New("vm: feature not accepted")
	// ErrInvalid: the module is well formed but does not validate.
	ErrInvalid = errors.New("vm: invalid module")
	// ErrLimit: the module exceeds one of the Params limits.
	ErrLimit = errors.New("vm: module exceeds a limit")
	// ErrImport: the module imports something the host does not provide,
	// or with the wrong signature.
	ErrImport = errors.New("vm: unknown import")
)

// Call errors.
var (
	// ErrOutOfGas: the call used all the gas it was given.
	ErrOutOfGas = errors.New("vm: out of gas")
	// ErrStackExhausted: the call nested deeper than MaxStackSlots allows.
	ErrStackExhausted = errors.New("vm: stack exhausted")
	// ErrMemoryLimit: memory.grow asked for more than MaxMemoryPages.
	ErrMemoryLimit = errors.New("vm: memory limit exceeded")
	// ErrNoExport: the called export does not exist or is not a function.
	ErrNoExport = errors.New("vm: no such export")
)

// TrapKind says which WebAssembly trap ended a call.
type TrapKind uint8

const (
	TrapUnknown TrapKind = iota
	TrapUnreachable
	TrapIntegerDivideByZero
	TrapIntegerOverflow
	TrapInvalidConversion
	TrapOutOfBoundsMemory
	TrapInvalidTableAccess
	TrapIndirectCallTypeMismatch
	TrapNullReference
	// TrapEngineStackOverflow is wazero's own stack limit. The stack limiter
	// is configured to fire first (ErrStackExhausted); seeing this means
	// that promise broke.
	TrapEngineStackOverflow
)

var trapNames = [...]string{
	TrapUnknown:                  "unknown trap",
	TrapUnreachable:              "unreachable",
	TrapIntegerDivideByZero:      "integer divide by zero",
	TrapIntegerOverflow:          "integer overflow",
	TrapInvalidConversion:        "invalid conversion to integer",
	TrapOutOfBoundsMemory:        "out of bounds memory access",
	TrapInvalidTableAccess:       "invalid table access",
	TrapIndirectCallTypeMismatch: "indirect call type mismatch",
	TrapNullReference:            "null reference",
	TrapEngineStackOverflow:      "stack overflow",
}

func (k TrapKind) String() string {
	if int(k) < len(trapNames) {
		return trapNames[k]
	}
	return fmt.Sprintf("trap(%d)", uint8(k))
}

// TrapError is a WebAssembly trap.
type TrapError struct {
	Kind TrapKind
}

func (e *TrapError) Error() string { return "vm: trap: " + e.Kind.String() }

// AbortError is a call ended by the host on the contract's request (for
// example an abort host function), carrying the contract's message.
type AbortError struct {
	Message string
}

func (e *AbortError) Error() string { return "vm: aborted: " + e.Message }

// ExitError is a call ended by WASI proc_exit.
type ExitError struct {
	Code uint32
}

func (e *ExitError) Error() string { return fmt.Sprintf("vm: exited with code %d", e.Code) }

// classifyDeploy maps errors from the lower layers to the deploy sentinels,
// keeping their messages.
func classifyDeploy(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wasm.ErrFeature):
		return fmt.Errorf("%w: %w", ErrFeature, err)
	case errors.Is(err, wasm.ErrMalformed):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	case errors.Is(err, instrument.ErrLimit):
		return fmt.Errorf("%w: %w", ErrLimit, err)
	case errors.Is(err, instrument.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}
