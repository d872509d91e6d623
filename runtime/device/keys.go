package device

import "encoding/binary"

// The registry's state layout (docs/devices.md, "State layout"). Keys are
// what the state tree hashes, so they are protocol: never change one. The
// runtime reserves a, p, V and g; devices take d and e.
const (
	prefixDevice = 'd' // d ‖ device id → Device
	prefixAttest = 'e' // e ‖ sub-prefix ‖ … → attestation records and indexes

	subRecord  = 'a' // e a ‖ attestation id(32) → the attestation's encoding
	subLatest  = 'l' // e l ‖ device id ‖ kind → latestRef
	subHistory = 'h' // e h ‖ device id ‖ seq u64 big-endian → historyRef
	subWindow  = 'w' // e w ‖ device id → window
)

func deviceKey(id ID) []byte { return append([]byte{prefixDevice}, id[:]...) }

func recordKey(aid [32]byte) []byte {
	return append([]byte{prefixAttest, subRecord}, aid[:]...)
}

func latestKey(dev ID, kind string) []byte {
	k := append([]byte{prefixAttest, subLatest}, dev[:]...)
	return append(k, kind...)
}

// historyPrefix is followed by big-endian sequence numbers, so iteration
// walks a device's history in sequence order.
func historyPrefix(dev ID) []byte {
	return append([]byte{prefixAttest, subHistory}, dev[:]...)
}

func historyKey(dev ID, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(historyPrefix(dev), seq)
}

func windowKey(dev ID) []byte {
	return append([]byte{prefixAttest, subWindow}, dev[:]...)
}
