package hostfns

import (
	"errors"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

// Errors that end a contract's call. The runtime turns each into its
// receipt code; the call's writes are rolled back.
var (
	// ErrMemory: a pointer and length outside the contract's memory.
	ErrMemory = errors.New("hostfns: memory access out of bounds")
	// ErrRegister: reading a register that is empty, or one outside
	// 0..MaxRegisters-1.
	ErrRegister = errors.New("hostfns: bad register")
	// ErrReadOnly: a write, transfer or event in a query.
	ErrReadOnly = errors.New("hostfns: not allowed in a query")
	// ErrLimit: a key, value, event or register beyond its limit.
	ErrLimit = errors.New("hostfns: over a limit")
)

// MaxRegisters is the most registers a call can have: the frame's array.
// Limits.Registers, the parameter, may not exceed it.
const MaxRegisters = 64

// Context is what a call knows of its circumstances.
type Context struct {
	Caller  address.Address // who called: an account, or a contract for a sub-call
	Self    address.Address // the running contract
	Origin  address.Address // the account that signed the transaction
	Funds   canon.U256      // sent with the call, already in Self's balance
	Height  uint64
	Time    uint64 // the block's time, ms since the Unix epoch
	ChainID string
	TxHash  [32]byte
}

// Attribute is one key/value pair of an event.
type Attribute struct {
	_     struct{} `cbor:",toarray"`
	Key   string
	Value []byte
}

// Env is what a call may do to the chain; the runtime implements it per
// frame. Storage is the running contract's own. Its methods return errors
// that end the call (ErrReadOnly, insufficient funds…) or the node's own
// failures.
type Env interface {
	Context() *Context
	ReadOnly() bool
	StorageGet(key []byte) ([]byte, bool, error)
	StorageSet(key, value []byte) (replaced bool, err error)
	StorageRemove(key []byte) (removed bool, err error)
	Balance(a address.Address) (canon.U256, error)
	Transfer(to address.Address, amount canon.U256) error
	Emit(typ string, attrs []Attribute) error
	// Call runs another contract's method now, with at most gas; readOnly
	// makes it a query. A failure of the callee is a CallResult with a
	// non-zero Code (its writes are rolled back, the caller goes on); an
	// error is the caller's end (or the node's).
	Call(contract address.Address, method string, input []byte, funds canon.U256, gas uint64, readOnly bool) (CallResult, error)
	// Dispatch queues a call that runs after the current frame returns,
	// with the current contract as its caller, atomically with the
	// transaction.
	Dispatch(contract address.Address, method string, input []byte, funds canon.U256) error
	// DispatchMigrate queues moving contract (which the current contract
	// must administer) to other code, after the current frame returns.
	DispatchMigrate(contract address.Address, codeHash [32]byte, input []byte) error
	// SetAdmin makes admin (nil: nobody, for good) the admin of contract,
	// which the current contract must administer.
	SetAdmin(contract address.Address, admin *address.Address) error
	// SetParams schedules the encoded parameters from height on;
	// SetValidators replaces the validator set from the next block. Only
	// the privileged address genesis names may.
	SetParams(encoded []byte, height uint64) error
	SetValidators(encoded []byte) error
	// Devices and attestations, canonically encoded (docs/devices.md).
	// CheckAttestation runs every check of accepting raw at this block
	// and returns 0 or the refusal's receipt code; it stores nothing.
	Device(id [20]byte) ([]byte, bool, error)
	Attestation(id [32]byte) ([]byte, bool, error)
	LatestAttestation(dev [20]byte, kind string) ([]byte, bool, error)
	AttestationHistory(dev [20]byte, fromSeq, toSeq uint64, limit uint32) (encoded []byte, n uint32, err error)
	CheckAttestation(raw []byte) (uint32, error)
	// Range returns up to limit entries of the contract's storage whose
	// keys start with prefix and come after start (before it, reverse),
	// and how many keys it visited to find them.
	Range(prefix, start []byte, limit uint32, reverse, keysOnly bool) (entries []Entry, visited uint64, err error)
}

// CallResult is how a call of another contract ended.
type CallResult struct {
	Return  []byte
	GasUsed uint64
	Code    uint32 // 0: success; otherwise the receipt code of the failure
	Message string
}

// Entry is a storage key and value (nil value when keys only), encoded
// for the contract as a CBOR array [key, value].
type Entry struct {
	_     struct{} `cbor:",toarray"`
	Key   []byte
	Value []byte
}

// Frame is one contract call as the host functions see it: the Env, the
// input, the registers and the value returned. The runtime makes one per
// call and passes it as vm.Request.Env.
type Frame struct {
	Env    Env
	Input  []byte
	Gas    *Gas
	Limits *Limits

	// Return is what the contract passed to value_return (nil if it did
	// not).
	Return []byte

	registers     [MaxRegisters][]byte
	set           [MaxRegisters]bool
	registerBytes int
}

// setRegister stores b in register r, replacing what it held.
func (f *Frame) setRegister(r uint32, b []byte) error {
	if r >= f.Limits.Registers || r >= MaxRegisters {
		return ErrRegister
	}
	total := f.registerBytes - len(f.registers[r]) + len(b)
	if total > int(f.Limits.RegisterBytes) {
		return ErrLimit
	}
	f.registers[r], f.set[r], f.registerBytes = b, true, total
	return nil
}
