package sdk

// Host is the chain as a contract sees it: the host ABI of docs/abi.md,
// one method per host function, in Go types. Under GOOS=wasip1 it is the
// real host (host_wasm.go); in a native test it is sdktest's in-memory
// chain. Contracts never call it directly: Context wraps it.
//
// Failures that end the call (a write in a query, a limit, running out of
// gas) never come back as errors: the real host traps, and sdktest's
// panics, so contract code is the same under both.
type Host interface {
	// Input is the call's input; Return sets its return value.
	Input() []byte
	Return(value []byte)
	// Abort ends the call, failed, with msg. It does not return.
	Abort(msg string)
	// Log writes to the debug log (simulations only).
	Log(msg string)

	StorageRead(key []byte) ([]byte, bool)
	StorageWrite(key, value []byte) (replaced bool)
	StorageRemove(key []byte) (removed bool)
	// StorageRange returns up to limit entries whose keys start with
	// prefix and sort after start (before it, reverse), in order;
	// values are empty when keysOnly.
	StorageRange(prefix, start []byte, limit uint32, reverse, keysOnly bool) []Entry

	Caller() Address
	Self() Address
	Origin() Address
	Funds() Amount
	ChainID() string
	TxHash() [32]byte
	BlockHeight() uint64
	BlockTime() uint64

	Balance(a Address) Amount
	Transfer(to Address, amount Amount)
	// Emit adds an event to the receipt.
	Emit(typ string, attrs []Attribute)

	// Call runs another contract now. code is 0 and out its return
	// value, or code is the failure's receipt code and out its message.
	Call(contract Address, method string, input []byte, funds Amount) (code uint32, out []byte)
	// Query is Call, read-only and without funds.
	Query(contract Address, method string, input []byte) (code uint32, out []byte)
	// Dispatch queues a call that runs after this one returns; its
	// failure fails this call.
	Dispatch(contract Address, method string, input []byte, funds Amount)
	DispatchMigrate(contract Address, codeHash [32]byte, input []byte)
	// UpdateAdmin and ClearAdmin change the admin of a contract this one
	// administers.
	UpdateAdmin(contract, admin Address)
	ClearAdmin(contract Address)
	// SetParams and SetValidators are the privileged system calls: only
	// the governance address genesis names may make them.
	SetParams(encoded []byte, height uint64)
	SetValidators(encoded []byte)

	Sha256(data []byte) [32]byte
	Keccak256(data []byte) [32]byte
	// Verify returns 0 if sig is valid (docs/abi.md lists the other codes).
	Verify(keyType KeyType, pub, msg, sig []byte) uint32

	// Device records and attestations, canonically encoded CBOR, as
	// docs/devices.md describes them; the SDK decodes them.
	DeviceGet(id DeviceID) ([]byte, bool)
	AttestationGet(id [32]byte) ([]byte, bool)
	AttestationLatest(dev DeviceID, kind string) ([]byte, bool)
	AttestationHistory(dev DeviceID, fromSeq, toSeq uint64, limit uint32) []byte
	AttestationCheck(raw []byte) uint32
}

// Entry is one storage key and value.
type Entry struct {
	Key, Value []byte
}

// Attribute is one key/value pair of an event.
type Attribute struct {
	Key   string
	Value []byte
}
