package runtime

import (
	"encoding/binary"

	"github.com/plinthchain/plinth/runtime/address"
)

// The runtime's state layout: one prefix byte per kind of record
// (docs/protocol.md, "State layout"). Keys are what the state tree hashes,
// so they are protocol: never change one.
const (
	prefixAccount    = 'a' // a ‖ address → Account
	prefixParams     = 'p' // p ‖ height u64 → params in force from height
	prefixValidators = 'V' // V → the validator set
	keyGovernance    = "g" // the address allowed the privileged calls
)

func accountKey(a address.Address) []byte {
	return append([]byte{prefixAccount}, a[:]...)
}

func paramsKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixParams}, height)
}

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
