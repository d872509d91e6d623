package canon

import "crypto/sha256"

// TaggedHash is the protocol's one hash: SHA-256 of a domain tag (an
// ASCII string ending in a zero byte, "plinth/tx\x00") followed by the
// parts, so that no hash of one kind can pass for another
// (docs/protocol.md, "Encoding").
func TaggedHash(tag string, parts ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(tag))
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
