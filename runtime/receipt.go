package runtime

import (
	"errors"

	"github.com/plinthchain/plinth/runtime/canon"
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
)

var codeNames = map[Code]string{
	CodeOK:                "ok",
	CodeOutOfGas:          "out of gas",
	CodeInsufficientFunds: "insufficient funds",
	CodeOverflow:          "amount overflows",
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
	switch {
	case errors.Is(err, errOutOfGas):
		return CodeOutOfGas, true
	case errors.Is(err, ErrInsufficientFunds):
		return CodeInsufficientFunds, true
	case errors.Is(err, ErrOverflow):
		return CodeOverflow, true
	}
	return 0, false
}

var errOutOfGas = errors.New("runtime: out of gas")

// Encode returns the receipt's canonical encoding (what the block store
// keeps and the conformance vectors compare).
func (r *Receipt) Encode() ([]byte, error) { return canon.Marshal(r) }
