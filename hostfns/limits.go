package hostfns

// Limits bound what one call can make the host hold or do, whatever gas it
// has. Like Gas, they are part of the chain's parameters (runtime/params),
// so a change is a new parameters version; docs/abi.md lists them.
type Limits struct {
	// Registers: register numbers 0..Registers-1 (at most MaxRegisters).
	Registers uint32
	// RegisterBytes bounds all registers of a call together.
	RegisterBytes uint32
	// KeyBytes and ValueBytes bound a contract's storage key and value;
	// the stored key adds 21 bytes (prefix and contract), and the state's
	// own ceilings (state.MaxKeyBytes, state.MaxValueBytes) must hold.
	KeyBytes   uint32
	ValueBytes uint32
	// EventBytes bounds an event's type and attributes, encoded (and an
	// attestation passed to attestation_check).
	EventBytes  uint32
	MethodBytes uint32
	// RangeEntries bounds what one storage_range returns; HistoryEntries
	// what one attestation_history returns.
	RangeEntries   uint32
	HistoryEntries uint32
	// SystemBytes bounds encoded parameters or a validator set.
	SystemBytes uint32
}

// LimitsV1 is the first set of limits.
func LimitsV1() Limits {
	return Limits{
		Registers:      64,
		RegisterBytes:  8 << 20,
		KeyBytes:       512,
		ValueBytes:     512 << 10,
		EventBytes:     16 << 10,
		MethodBytes:    128,
		RangeEntries:   1024,
		HistoryEntries: 256,
		SystemBytes:    64 << 10,
	}
}
