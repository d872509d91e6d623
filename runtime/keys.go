package runtime

import (
	"encoding/binary"

	"github.com/plinthchain/plinth/runtime/address"
)

// The runtime's state layout: one prefix byte per kind of record
// (docs/protocol.md, "State layout"). Keys are what the state tree hashes,
// so they are protocol: never change one. The key functions are exported
// for what must write the same layout without running the runtime
// (contracts/sdk/sdktest's in-memory chain, tools reading a state).
const (
	prefixAccount    = 'a' // a ‖ address → Account
	prefixParams     = 'p' // p ‖ height u64 → params in force from height
	prefixValidators = 'V' // V → the validator set
	keyGovernance    = "g" // the address allowed the privileged calls
)

// AccountKey is where a's Account is kept.
func AccountKey(a address.Address) []byte {
	return append([]byte{prefixAccount}, a[:]...)
}

// ParamsPrefix starts every ParamsKey.
func ParamsPrefix() []byte { return []byte{prefixParams} }

// ParamsKey is where parameters in force from height are kept.
func ParamsKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixParams}, height)
}

// ValidatorsKey is where the validator set is kept; GovernanceKey the
// address allowed the privileged calls.
func ValidatorsKey() []byte { return []byte{prefixValidators} }
func GovernanceKey() []byte { return []byte(keyGovernance) }

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// Devices and attestations live under 'd' and 'e' (runtime/device,
// docs/devices.md).

// Contract records (contract.go).
const (
	prefixCode     = 'k' // k ‖ code hash ‖ chunk u32 → a piece of the code
	prefixCodeMeta = 'K' // K ‖ code hash → code length u32
	prefixContract = 'c' // c ‖ address → Contract
	prefixCounter  = 'n' // n ‖ creator → contracts instantiated so far, u64
	prefixStorage  = 's' // s ‖ contract ‖ key → the contract's value
)
