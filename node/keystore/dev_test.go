package keystore

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
)

// The dev keys are well known: tools, docs and other people's scripts
// hard-code them, so they must never change. These are docs/keys.md's
// table (seeds checked independently against SHA-256 of the tag and index).
var devGolden = []struct{ seed, addr string }{
	{"1d6437107943d84a883b8f4981ec3fd6667b936b6af5833f22a1af227dc08aff", "plinth1f8mnn43mvwhkh2w7gjng56akpnzzsgy3r949g8"},
	{"5b9afd98d9251b38bea9811a9e4be6e62857ba8261696cceb1ddacf3bb38fb39", "plinth1rmf6736md6kkqcsx95gvraljqdp36kysn2n66j"},
	{"fcbbb463c263dcb1f7388aa3ff5fe896e57d88f79ba770a0a8d3a3b3429af430", "plinth18jqc2rwhclkl02kyv73pv74zxm8de34h7g5ksv"},
}

func TestDevKeysWellKnown(t *testing.T) {
	keys := DevKeys(10)
	for i, g := range map[int]int{0: 0, 1: 1, 9: 2} {
		k := keys[i]
		if got := hex.EncodeToString(k.Seed()); got != devGolden[g].seed {
			t.Errorf("dev%d seed %s, want %s", i, got, devGolden[g].seed)
		}
		if got := address.FromPublicKey(k.Public().(ed25519.PublicKey)).String(); got != devGolden[g].addr {
			t.Errorf("dev%d address %s, want %s", i, got, devGolden[g].addr)
		}
	}
	// Deterministic, a prefix of the longer list, all distinct.
	again := DevKeys(MaxDevKeys)
	seen := map[string]bool{}
	for i, k := range again {
		if i < len(keys) && !k.Equal(keys[i]) {
			t.Fatalf("dev%d differs between calls", i)
		}
		if seen[string(k)] {
			t.Fatalf("dev%d repeats a key", i)
		}
		seen[string(k)] = true
	}
	if len(DevKeys(0)) != 0 {
		t.Fatal("DevKeys(0) is not empty")
	}
	for _, n := range []int{-1, MaxDevKeys + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("DevKeys(%d) did not panic", n)
				}
			}()
			DevKeys(n)
		}()
	}
}

func TestIsDevKey(t *testing.T) {
	for i, k := range DevKeys(MaxDevKeys) {
		if !IsDevKey(k.Public().(ed25519.PublicKey)) {
			t.Fatalf("dev%d is not recognized", i)
		}
	}
	// The 101st key of the same derivation is outside the set.
	if IsDevKey(devKey(MaxDevKeys).Public().(ed25519.PublicKey)) {
		t.Fatal("a key past MaxDevKeys is recognized")
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if IsDevKey(pub) {
		t.Fatal("a random key is a dev key")
	}
	if IsDevKey(nil) || IsDevKey(make([]byte, 31)) {
		t.Fatal("malformed keys are dev keys")
	}
}

func TestLookupDevKey(t *testing.T) {
	keys := DevKeys(MaxDevKeys)
	for _, i := range []int{0, 3, 10, 99} {
		k, ok := LookupDevKey(DevKeyName(i))
		if !ok || !k.Equal(keys[i]) {
			t.Errorf("LookupDevKey(%q): %v", DevKeyName(i), ok)
		}
		// The name is reserved, so it cannot also name a stored key.
		if err := CheckName(DevKeyName(i)); !errors.Is(err, ErrBadName) {
			t.Errorf("CheckName(%q): %v", DevKeyName(i), err)
		}
	}
	for _, name := range []string{"dev", "dev01", "dev100", "dev-1", "dev+1", "Dev1", "dev1a", "alice", ""} {
		if _, ok := LookupDevKey(name); ok {
			t.Errorf("LookupDevKey(%q) found a key", name)
		}
	}
}

func TestCheckAllowed(t *testing.T) {
	dev := DevKeys(10)[4].Public().(ed25519.PublicKey)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if err := CheckAllowed(dev, false); !errors.Is(err, ErrDevKey) {
		t.Fatalf("a dev key on a non-dev chain: %v", err)
	}
	if err := CheckAllowed(dev, true); err != nil {
		t.Fatalf("a dev key on a dev chain: %v", err)
	}
	for _, devChain := range []bool{false, true} {
		if err := CheckAllowed(pub, devChain); err != nil {
			t.Fatalf("a random key, dev chain %v: %v", devChain, err)
		}
	}
}

// A dev key imported under an ordinary name is still a dev key: the rule
// follows the key, not the name.
func TestImportedDevKey(t *testing.T) {
	s := openStore(t)
	devSeed := DevKeys(2)[1].Seed()
	info, err := s.Import("mine", devSeed, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Dev {
		t.Fatal("Info.Dev is false for an imported dev key")
	}
	if _, err := s.UnlockForChain("mine", pass, false); !errors.Is(err, ErrDevKey) {
		t.Fatalf("UnlockForChain on a non-dev chain: %v", err)
	}
	// Refused before the passphrase is even checked.
	if _, err := s.UnlockForChain("mine", []byte("wrong"), false); !errors.Is(err, ErrDevKey) {
		t.Fatalf("UnlockForChain with a wrong passphrase, non-dev chain: %v", err)
	}
	key, err := s.UnlockForChain("mine", pass, true)
	if err != nil || !bytes.Equal(key.Seed(), devSeed) {
		t.Fatalf("UnlockForChain on a dev chain: %v", err)
	}
	if _, err := s.UnlockForChain("mine", []byte("wrong"), true); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("UnlockForChain with a wrong passphrase: %v", err)
	}
	ord := mustNew(t, s, "ordinary")
	if ord.Dev {
		t.Fatal("a new key is marked Dev")
	}
	if _, err := s.UnlockForChain("ordinary", pass, false); err != nil {
		t.Fatalf("an ordinary key on a non-dev chain: %v", err)
	}
}
