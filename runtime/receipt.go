package runtime

import (
	"errors"

	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/vm"
)

// Code says how a transaction's execution ended. Codes are protocol: they
// are in receipts and the conformance vectors; never renumber one.
type Code uint32

// The receipt codes (docs/protocol.md, "Receipts").
const (
	CodeOK                Code = 0
	CodeOutOfGas          Code = 1
	CodeInsufficientFunds Code = 2
	CodeOverflow          Code = 3
	CodeInvalidCode       Code = 4 // deploy: not a module this chain accepts
	CodeUnknownCode       Code = 5
	CodeUnknownContract   Code = 6
	CodeNoMethod          Code = 7 // not an export, or not callable by a transaction
	CodeTrap              Code = 8 // the contract trapped (or exhausted its stack)
	CodeAbort             Code = 9 // the contract called abort: Message is its message
	CodeMemoryLimit       Code = 10
	CodeHostError         Code = 11 // a host function refused its arguments
	CodeReentrant         Code = 12 // a call of a contract already on the call stack
	CodeCallDepth         Code = 13
	CodeNotAdmin          Code = 14
	CodeNotPrivileged     Code = 15
	CodeBadSystemCall     Code = 16
	// Devices and attestations (docs/devices.md): one code per refusal.
	CodeDeviceExists         Code = 17
	CodeUnknownDevice        Code = 18
	CodeNotOwner             Code = 19
	CodeRevoked              Code = 20
	CodeBadDeviceKey         Code = 21
	CodeAttestationTooLarge  Code = 22
	CodeAttestationEncoding  Code = 23
	CodeAttestationChainID   Code = 24
	CodeAttestationSignature Code = 25
	CodeAttestationStale     Code = 26
	CodeAttestationFuture    Code = 27
	CodeAttestationReplay    Code = 28
	CodeAttestationSeqTooOld Code = 29
)

var codeNames = map[Code]string{
	CodeOK:                   "ok",
	CodeOutOfGas:             "out of gas",
	CodeInsufficientFunds:    "insufficient funds",
	CodeOverflow:             "amount overflows",
	CodeInvalidCode:          "invalid code",
	CodeUnknownCode:          "unknown code",
	CodeUnknownContract:      "unknown contract",
	CodeNoMethod:             "no such method",
	CodeTrap:                 "trap",
	CodeAbort:                "aborted",
	CodeMemoryLimit:          "memory limit",
	CodeHostError:            "host function refused",
	CodeReentrant:            "re-entrant call",
	CodeCallDepth:            "call depth limit",
	CodeNotAdmin:             "not the admin",
	CodeNotPrivileged:        "not privileged",
	CodeBadSystemCall:        "system call refused",
	CodeDeviceExists:         "device already registered",
	CodeUnknownDevice:        "unknown device",
	CodeNotOwner:             "not the device's owner",
	CodeRevoked:              "device revoked",
	CodeBadDeviceKey:         "bad device key",
	CodeAttestationTooLarge:  "attestation too large",
	CodeAttestationEncoding:  "attestation not canonically encoded",
	CodeAttestationChainID:   "attestation for another chain",
	CodeAttestationSignature: "attestation signature does not verify",
	CodeAttestationStale:     "attestation too old",
	CodeAttestationFuture:    "attestation too far ahead",
	CodeAttestationReplay:    "attestation replayed",
	CodeAttestationSeqTooOld: "attestation sequence below the window",
}

func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "unknown"
}

// Event is something a transaction reports: a type and attributes.
type Event struct {
	_          struct{} `cbor:",toarray"`
	Type       string
	Attributes []Attribute
}

// Attribute is one key/value pair of an event.
type Attribute struct {
	_     struct{} `cbor:",toarray"`
	Key   string
	Value []byte
}

// Receipt is the outcome of one included transaction.
type Receipt struct {
	_       struct{} `cbor:",toarray"`
	Code    Code
	GasUsed uint64
	Events  []Event
	Return  []byte
	Message string // why it failed, for people; not for programs (use Code)
}

// failure maps an execution error to its receipt code; ok is false for
// errors that are not a transaction's failure but the node's (a state
// read that failed), which abort the block instead.
func failure(err error) (Code, bool) {
	var ne *nodeError
	var de *deviceError
	if errors.As(err, &de) {
		return de.code, true
	}
	var abort *vm.AbortError
	var trap *vm.TrapError
	switch {
	case errors.As(err, &ne):
		return 0, false
	case errors.Is(err, errOutOfGas), errors.Is(err, vm.ErrOutOfGas):
		return CodeOutOfGas, true
	case errors.Is(err, ErrInsufficientFunds):
		return CodeInsufficientFunds, true
	case errors.Is(err, ErrOverflow):
		return CodeOverflow, true
	case errors.Is(err, ErrInvalidCode):
		return CodeInvalidCode, true
	case errors.Is(err, ErrUnknownCode):
		return CodeUnknownCode, true
	case errors.Is(err, ErrUnknownContract):
		return CodeUnknownContract, true
	case errors.Is(err, ErrNoMethod), errors.Is(err, vm.ErrNoExport):
		return CodeNoMethod, true
	case errors.Is(err, ErrReentrant):
		return CodeReentrant, true
	case errors.Is(err, ErrCallDepth):
		return CodeCallDepth, true
	case errors.Is(err, ErrNotAdmin):
		return CodeNotAdmin, true
	case errors.Is(err, ErrNotPrivileged):
		return CodeNotPrivileged, true
	case errors.Is(err, ErrBadSystemCall):
		return CodeBadSystemCall, true
	case errors.Is(err, ErrKeyType):
		return CodeBadDeviceKey, true
	case errors.As(err, &abort):
		return CodeAbort, true
	case errors.Is(err, vm.ErrMemoryLimit):
		return CodeMemoryLimit, true
	case errors.As(err, &trap), errors.Is(err, vm.ErrStackExhausted):
		return CodeTrap, true
	}
	var ce *contractError
	if errors.As(err, &ce) {
		// Whatever else ends a contract's call (a host function's refusal:
		// a bad pointer, a register, a limit, a write in a query).
		return CodeHostError, true
	}
	return 0, false
}

var errOutOfGas = errors.New("runtime: out of gas")

// Encode returns the receipt's canonical encoding (what the block store
// keeps and the conformance vectors compare).
func (r *Receipt) Encode() ([]byte, error) { return canon.Marshal(r) }

// message is a failed receipt's Message. It must be the same on every node,
// so it is built from the failure's kind, never from an error's text (a
// VM error's text carries a stack trace that depends on the engine).
func message(code Code, err error) string {
	var abort *vm.AbortError
	var trap *vm.TrapError
	switch {
	case errors.As(err, &abort):
		return abort.Message
	case errors.As(err, &trap):
		return "trap: " + trap.Kind.String()
	case errors.Is(err, vm.ErrStackExhausted):
		return "trap: call stack exhausted"
	case code == CodeHostError:
		for _, e := range []error{hostfns.ErrMemory, hostfns.ErrRegister, hostfns.ErrReadOnly, hostfns.ErrLimit, canon.ErrEncoding} {
			if errors.Is(err, e) {
				return e.Error()
			}
		}
	}
	return code.String()
}
