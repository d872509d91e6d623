package keystore

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/sigs"
)

// devSeedTag starts the hash a dev key's seed is (docs/keys.md, "Dev
// keys"). Changing it changes every dev account: never do.
const devSeedTag = "plinth/dev-key\x00"

// MaxDevKeys is how many dev keys there are: DevKeys refuses more, and
// IsDevKey recognizes exactly these. A fixed set is what makes "is this a
// dev key" answerable at all, since anyone can derive more.
const MaxDevKeys = 100

// devKey is the i-th dev key: its seed is SHA-256(devSeedTag ‖ i as a
// big-endian uint32).
func devKey(i int) ed25519.PrivateKey {
	h := sha256.New()
	h.Write([]byte(devSeedTag))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(i)))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// DevKeys returns the first n well-known dev keys, dev0 … dev(n-1). They
// are public knowledge — anyone can compute them — and so fit a throwaway
// chain (plinth dev) and nothing else: see CheckAllowed. It panics if n is
// negative or above MaxDevKeys, a programming error.
func DevKeys(n int) []ed25519.PrivateKey {
	if n < 0 || n > MaxDevKeys {
		panic(fmt.Sprintf("keystore: DevKeys(%d): want 0 to %d", n, MaxDevKeys))
	}
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		keys[i] = devKey(i)
	}
	return keys
}

// DevKeyName is the i-th dev key's name: "dev" and i in decimal.
func DevKeyName(i int) string { return "dev" + strconv.Itoa(i) }

// LookupDevKey returns the dev key named name (dev0 … dev99), so that a
// command can take --from dev1 on a dev chain without a keystore. Names of
// this shape are reserved: a keystore refuses them (ErrBadName), so a
// name never means two keys.
func LookupDevKey(name string) (ed25519.PrivateKey, bool) {
	digits, ok := strings.CutPrefix(name, "dev")
	// Only the canonical spelling: digits alone (Atoi would take "+1"),
	// no leading zero, so that each key has one name.
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || (len(digits) > 1 && digits[0] == '0') {
		return nil, false
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || i >= MaxDevKeys {
		return nil, false
	}
	return devKey(i), true
}

// devIndex returns pub's index among the dev keys, or -1.
func devIndex(pub ed25519.PublicKey) int {
	if len(pub) != ed25519.PublicKeySize {
		return -1
	}
	for i := range MaxDevKeys {
		if bytes.Equal(devKey(i).Public().(ed25519.PublicKey), pub) {
			return i
		}
	}
	return -1
}

// IsDevKey reports whether pub is one of the well-known dev keys.
func IsDevKey(pub ed25519.PublicKey) bool { return devIndex(pub) >= 0 }

// CheckAllowed is the rule on dev keys: a dev key may sign only for a
// development chain. devChain is the chain's genesis Dev flag (set by
// plinth dev, part of the genesis hash), never a user's flag, since the
// point is to stop a key that anyone can compute from holding real value
// or validating a real chain. It returns an error wrapping ErrDevKey, or
// nil. It is for the node to call on its own key at start, and for the CLI
// on every key before signing (or Store.UnlockForChain).
func CheckAllowed(pub ed25519.PublicKey, devChain bool) error {
	if err := checkAllowed(pub, devChain); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}

func checkAllowed(pub ed25519.PublicKey, devChain bool) error {
	if devChain {
		return nil
	}
	if i := devIndex(pub); i >= 0 {
		return fmt.Errorf("%w: %s is %s, whose key is public; this chain's genesis is not a dev chain's",
			ErrDevKey, address.FromPublicKey(pub), DevKeyName(i))
	}
	return nil
}

// DevDeviceKeyName names the well-known dev device key: `plinth device
// attest --key dev-meter` signs as the demo meter `plinth dev` registers.
const DevDeviceKeyName = "dev-meter"

// DevDeviceKey is the demo meter's ed25519 key, its seed SHA-256 of
// "plinth/dev-device\0". Like the dev account keys it is public
// knowledge: fit for a dev chain's demo and nothing else.
func DevDeviceKey() sigs.PrivateKey {
	seed := sha256.Sum256([]byte("plinth/dev-device\x00"))
	k, err := sigs.NewPrivateKey(sigs.Ed25519, seed[:])
	if err != nil {
		panic(err) // a 32-byte seed always makes a key
	}
	return k
}
