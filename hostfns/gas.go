package hostfns

// Gas prices the host functions. It is part of the chain's parameters
// (runtime/params) and so of every header's parameters hash; docs/gas.md
// lists each price beside its function. The scale is the VM's: about a
// nanosecond of work per unit on the reference machine.
type Gas struct {
	// Base is charged by every host function, before anything else.
	Base uint64
	// MemoryPerByte is charged per byte copied between the contract's
	// memory and the host, either way.
	MemoryPerByte uint64

	StorageRead         uint64 // a state read (a tree lookup on a cold key)
	StorageReadPerByte  uint64 // per byte of key and value read
	StorageWrite        uint64 // a state write
	StorageWritePerByte uint64 // per byte of key and value written: stored by every node, forever
	StorageRemove       uint64

	Balance      uint64 // an account read
	Transfer     uint64 // two account writes
	Event        uint64 // an event, plus EventPerByte per byte of its type and attributes
	EventPerByte uint64

	// Call is a synchronous call or query of another contract, besides
	// the gas the callee uses (charged to the caller when it returns).
	Call uint64
	// Dispatch queues a call to run after the current frame.
	Dispatch uint64
	// StorageRange is a range read; StorageRangeEntry is charged per key
	// visited (skipped ones too) and StorageReadPerByte per byte returned.
	StorageRange      uint64
	StorageRangeEntry uint64

	// Hashing: a base plus a price per byte hashed.
	Hash             uint64
	Sha256PerByte    uint64
	Keccak256PerByte uint64
	// Signature verification per key type (runtime/sigs), measured by
	// runtime/sigs' BenchmarkVerify at about 1.2 units per ns; the message
	// is hashed at Sha256PerByte.
	VerifyEd25519   uint64
	VerifyP256      uint64
	VerifySecp256k1 uint64
}

// GasV1 is the first host price list.
func GasV1() Gas {
	return Gas{
		Base:                200,
		MemoryPerByte:       1,
		StorageRead:         2_000,
		StorageReadPerByte:  2,
		StorageWrite:        10_000,
		StorageWritePerByte: 50,
		StorageRemove:       5_000,
		Balance:             2_000,
		Transfer:            20_000,
		Event:               1_000,
		EventPerByte:        10,
		Call:                20_000,
		Dispatch:            5_000,
		StorageRange:        2_000,
		StorageRangeEntry:   500,
		Hash:                500,
		Sha256PerByte:       2,
		Keccak256PerByte:    6,
		VerifyEd25519:       70_000,
		VerifyP256:          90_000,
		VerifySecp256k1:     170_000,
	}
}
