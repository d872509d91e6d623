package keystore

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// cheap keeps the tests fast: argon2id at its floor. Nothing in a test
// depends on the cost but the time it takes.
var cheap = Options{KDF: KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}

var pass = []byte("correct horse battery staple")

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "keys"), cheap)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNew(t *testing.T, s *Store, name string) Info {
	t.Helper()
	info, err := s.New(name, pass)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestRoundTrip(t *testing.T) {
	s := openStore(t)
	info := mustNew(t, s, "alice")
	if info.Name != "alice" || len(info.PublicKey) != ed25519.PublicKeySize || info.Address != address.FromPublicKey(info.PublicKey) || info.Dev {
		t.Fatalf("New: %+v", info)
	}
	shown, err := s.Show("alice")
	if err != nil {
		t.Fatal(err)
	}
	if shown.Name != info.Name || shown.Address != info.Address || !bytes.Equal(shown.PublicKey, info.PublicKey) {
		t.Fatalf("Show %+v, New %+v", shown, info)
	}
	key, err := s.Unlock("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key.Public().(ed25519.PublicKey), info.PublicKey) {
		t.Fatal("the unlocked key is not the key New reported")
	}

	// The unlocked key signs a transaction the chain accepts from the
	// key's address.
	raw, err := tx.Sign(&tx.Tx{ChainID: "c", GasLimit: 1, GasPrice: canon.NewU256(1),
		Payload: tx.Payload{Body: tx.Transfer{To: address.Address{1}, Amount: canon.NewU256(1)}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tx.Decode(raw, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); err != nil || d.Sender != info.Address {
		t.Fatalf("signed tx: sender %s, verify %v", d.Sender, err)
	}

	seed, err := s.Export("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seed, key.Seed()) {
		t.Fatal("Export is not the unlocked key's seed")
	}
	// The exported seed, and the 64-byte form, import elsewhere as the
	// same account, under another passphrase.
	other := openStore(t)
	pass2 := []byte("another one")
	for name, material := range map[string][]byte{"from-seed": seed, "from-private": key} {
		got, err := other.Import(name, material, pass2)
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != info.Address {
			t.Fatalf("%s: imported as %s, want %s", name, got.Address, info.Address)
		}
		k2, err := other.Unlock(name, pass2)
		if err != nil {
			t.Fatal(err)
		}
		if !key.Equal(k2) {
			t.Fatalf("%s: unlocked a different key", name)
		}
	}
}

// The default parameters are the ones real keys get; they must at least
// validate and round-trip.
func TestDefaultKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("argon2id with 64 MiB")
	}
	s, err := Open(filepath.Join(t.TempDir(), "keys"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.kdf != DefaultKDF() {
		t.Fatalf("zero Options gave %+v", s.kdf)
	}
	mustNew(t, s, "k")
	start := time.Now()
	if _, err := s.Unlock("k", pass); err != nil {
		t.Fatal(err)
	}
	t.Logf("unlock with %+v: %v", DefaultKDF(), time.Since(start))
	var f keyFile
	data, _ := os.ReadFile(filepath.Join(s.Dir(), "k.json"))
	if err := json.Unmarshal(data, &f); err != nil || f.params() != DefaultKDF() {
		t.Fatalf("file records %+v (%v), want %+v", f.params(), err, DefaultKDF())
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, p := range []KDFParams{
		{Time: 0, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: 64, Threads: 0},
		{Time: 1, MemoryKiB: 31, Threads: 4},
		{Time: 1, MemoryKiB: maxKDFMemoryKiB + 1, Threads: 1},
		{Time: maxKDFTime + 1, MemoryKiB: 64, Threads: 1},
	} {
		if _, err := Open(t.TempDir(), Options{KDF: p}); err == nil {
			t.Errorf("Open with %+v succeeded", p)
		}
	}
}

func TestWrongPassphrase(t *testing.T) {
	s := openStore(t)
	mustNew(t, s, "alice")
	for _, p := range [][]byte{[]byte("wrong"), nil, append(bytes.Clone(pass), ' ')} {
		if _, err := s.Unlock("alice", p); !errors.Is(err, ErrBadPassphrase) {
			t.Errorf("Unlock with %q: %v, want ErrBadPassphrase", p, err)
		}
		if _, err := s.Export("alice", p); !errors.Is(err, ErrBadPassphrase) {
			t.Errorf("Export with %q: %v, want ErrBadPassphrase", p, err)
		}
	}
}

func TestNotFoundAndDelete(t *testing.T) {
	s := openStore(t)
	if _, err := s.Show("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Show: %v", err)
	}
	if _, err := s.Unlock("nobody", pass); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Unlock: %v", err)
	}
	mustNew(t, s, "alice")
	if err := s.Delete("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Show("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Show after Delete: %v", err)
	}
	if err := s.Delete("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	// The name is free again.
	mustNew(t, s, "alice")
}

func TestExistsNeverReplaces(t *testing.T) {
	s := openStore(t)
	first := mustNew(t, s, "alice")
	if _, err := s.New("alice", []byte("other")); !errors.Is(err, ErrExists) {
		t.Fatalf("New over a key: %v", err)
	}
	if _, err := s.Import("alice", make([]byte, 32), []byte("other")); !errors.Is(err, ErrExists) {
		t.Fatalf("Import over a key: %v", err)
	}
	key, err := s.Unlock("alice", pass)
	if err != nil || !bytes.Equal(key.Public().(ed25519.PublicKey), first.PublicKey) {
		t.Fatalf("the first key is gone: %v", err)
	}

	// Racing writers of one name: exactly one wins, whatever the timing.
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { _, errs[i] = s.New("race", pass) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrExists):
			t.Errorf("a racing New: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing News succeeded, want 1", won)
	}
	entries, _ := os.ReadDir(s.Dir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
}

func TestImportRefusesBadMaterial(t *testing.T) {
	s := openStore(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	mismatched := append(bytes.Clone(priv.Seed()), other[32:]...)
	for name, m := range map[string][]byte{"empty": nil, "short": priv[:31], "33 bytes": priv[:33], "mismatched public half": mismatched} {
		if _, err := s.Import("k", m, pass); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v, want ErrBadKey", name, err)
		}
	}
	if _, err := s.Import("k", priv.Seed(), nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
	if _, err := s.New("k", []byte{}); !errors.Is(err, ErrEmptyPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
	if entries, _ := os.ReadDir(s.Dir()); len(entries) != 0 {
		t.Fatalf("refused imports left files: %v", entries)
	}
}

func TestBadNames(t *testing.T) {
	s := openStore(t)
	bad := []string{"", "Alice", "a b", "a.b", "a/b", "../x", "..", `a\b`, "é", "a\x00", strings.Repeat("a", 65),
		"dev0", "dev9", "dev10", "dev007", "dev123456"}
	for _, name := range bad {
		if _, err := s.New(name, pass); !errors.Is(err, ErrBadName) {
			t.Errorf("New(%q): %v, want ErrBadName", name, err)
		}
		if _, err := s.Show(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Show(%q): %v, want ErrBadName", name, err)
		}
		if _, err := s.Unlock(name, pass); !errors.Is(err, ErrBadName) {
			t.Errorf("Unlock(%q): %v, want ErrBadName", name, err)
		}
		if err := s.Delete(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Delete(%q): %v, want ErrBadName", name, err)
		}
	}
	if entries, _ := os.ReadDir(s.Dir()); len(entries) != 0 {
		t.Fatalf("refused names left files: %v", entries)
	}
	for _, name := range []string{"a", "0", "_", "-", "dev", "devx", "dev-1", "my-dev1", "dev1a", strings.Repeat("z", 64)} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "a", "keys")
	s, err := Open(dir, cheap)
	if err != nil {
		t.Fatal(err)
	}
	mustNew(t, s, "alice")
	if _, err := s.Import("bob", make([]byte, 32), pass); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	for _, name := range []string{"alice.json", "bob.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v (%v), want 0600", name, st.Mode().Perm(), err)
		}
	}
	// A directory others can write to is refused, not silently used; one
	// they can only read is not (the files are 0600 and encrypted).
	for _, c := range []struct {
		mode   os.FileMode
		refuse bool
	}{{0o770, true}, {0o702, true}, {0o777, true}, {0o755, false}, {0o700, false}} {
		if err := os.Chmod(dir, c.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, cheap)
		if c.refuse && !errors.Is(err, ErrInsecureDir) || !c.refuse && err != nil {
			t.Errorf("Open of a %v directory: %v", c.mode, err)
		}
	}
}

// secretForms are the ways a secret could appear in a file or output.
func secretForms(secret []byte) [][]byte {
	return [][]byte{
		secret,
		[]byte(hex.EncodeToString(secret)),
		[]byte(strings.ToUpper(hex.EncodeToString(secret))),
		[]byte(base64.StdEncoding.EncodeToString(secret)),
		[]byte(base64.RawURLEncoding.EncodeToString(secret)),
	}
}

func TestListSortedWithoutSecrets(t *testing.T) {
	s := openStore(t)
	var seeds [][]byte
	// Created out of order, and with names whose file names sort
	// differently from the names ("a-b.json" < "a.json").
	for _, name := range []string{"b", "a-b", "a", "a_c", "0"} {
		mustNew(t, s, name)
		key, err := s.Unlock(name, pass)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, key.Seed(), key)
	}
	// Not keys: skipped.
	os.WriteFile(filepath.Join(s.Dir(), ".zz.json.tmp-123"), []byte("partial"), 0o600)
	os.WriteFile(filepath.Join(s.Dir(), "notes.txt"), []byte("hello"), 0o600)
	os.Mkdir(filepath.Join(s.Dir(), "sub.json"), 0o700)

	infos, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	if got, want := strings.Join(names, " "), "0 a a-b a_c b"; got != want {
		t.Fatalf("List: %s, want %s", got, want)
	}

	listJSON, err := json.Marshal(infos)
	if err != nil {
		t.Fatal(err)
	}
	var back []Info
	if err := json.Unmarshal(listJSON, &back); err != nil || len(back) != len(infos) ||
		back[0].Address != infos[0].Address || !bytes.Equal(back[0].PublicKey, infos[0].PublicKey) {
		t.Fatalf("Info JSON does not round-trip: %s (%v)", listJSON, err)
	}
	if !bytes.Contains(listJSON, []byte(hex.EncodeToString(infos[0].PublicKey))) {
		t.Fatalf("Info JSON lacks the hex public key: %s", listJSON)
	}
	haystacks := map[string][]byte{"List JSON": listJSON}
	entries, _ := os.ReadDir(s.Dir())
	for _, e := range entries {
		if !e.IsDir() {
			haystacks[e.Name()], _ = os.ReadFile(filepath.Join(s.Dir(), e.Name()))
		}
	}
	for where, hay := range haystacks {
		for _, secret := range seeds {
			for _, form := range secretForms(secret) {
				if bytes.Contains(hay, form) {
					t.Fatalf("a secret appears in %s", where)
				}
			}
		}
	}
}

func TestListReportsBadFilesAndKeepsGood(t *testing.T) {
	s := openStore(t)
	mustNew(t, s, "good")
	os.WriteFile(filepath.Join(s.Dir(), "broken.json"), []byte("{not json"), 0o600)
	os.WriteFile(filepath.Join(s.Dir(), "Bad Name.json"), []byte("{}"), 0o600)
	infos, err := s.List()
	if len(infos) != 1 || infos[0].Name != "good" {
		t.Fatalf("List kept %v", infos)
	}
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrBadName) {
		t.Fatalf("List error %v, want both ErrCorrupt and ErrBadName", err)
	}
	if !strings.Contains(err.Error(), "broken.json") || !strings.Contains(err.Error(), "Bad Name.json") {
		t.Fatalf("List error does not name the files: %v", err)
	}
	// An empty store lists as empty, not nil, so that JSON says [].
	if infos, err := openStore(t).List(); err != nil || infos == nil || len(infos) != 0 {
		t.Fatalf("empty store: %#v, %v", infos, err)
	}
}

// TestTampered alters one field of a key file at a time. Whatever is bound
// to the ciphertext fails to decrypt; whatever is checked on reading is
// ErrCorrupt; nothing unlocks to a key other than the one stored.
func TestTampered(t *testing.T) {
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub := otherPriv.Public().(ed25519.PublicKey)
	flip := func(h string) string { // change the first hex digit
		b := []byte(h)
		if b[0] == '0' {
			b[0] = '1'
		} else {
			b[0] = '0'
		}
		return string(b)
	}
	// inner edits the string field key of the object obj.
	inner := func(obj, key string, f func(string) string) func(map[string]any) {
		return func(m map[string]any) { o := m[obj].(map[string]any); o[key] = f(o[key].(string)) }
	}
	cases := []struct {
		name string
		edit func(m map[string]any)
		raw  func([]byte) []byte
		want error
	}{
		{name: "ciphertext", edit: inner("cipher", "ciphertext", flip), want: ErrBadPassphrase},
		{name: "nonce", edit: inner("cipher", "nonce", flip), want: ErrBadPassphrase},
		{name: "salt", edit: inner("kdf", "salt", flip), want: ErrBadPassphrase},
		{name: "kdf time", edit: func(m map[string]any) { m["kdf"].(map[string]any)["time"] = 2 }, want: ErrBadPassphrase},
		{name: "another public key with its address", edit: func(m map[string]any) {
			m["public_key"] = hex.EncodeToString(otherPub)
			m["address"] = address.FromPublicKey(otherPub).String()
		}, want: ErrBadPassphrase},
		{name: "address alone", edit: func(m map[string]any) { m["address"] = address.FromPublicKey(otherPub).String() }, want: ErrCorrupt},
		{name: "public key alone", edit: func(m map[string]any) { m["public_key"] = hex.EncodeToString(otherPub) }, want: ErrCorrupt},
		{name: "version", edit: func(m map[string]any) { m["version"] = 2 }, want: ErrCorrupt},
		{name: "no version", edit: func(m map[string]any) { delete(m, "version") }, want: ErrCorrupt},
		{name: "name", edit: func(m map[string]any) { m["name"] = "bob" }, want: ErrCorrupt},
		{name: "kdf", edit: func(m map[string]any) { m["kdf"].(map[string]any)["name"] = "scrypt" }, want: ErrCorrupt},
		{name: "kdf memory", edit: func(m map[string]any) { m["kdf"].(map[string]any)["memory_kib"] = maxKDFMemoryKiB + 1 }, want: ErrCorrupt},
		{name: "cipher", edit: func(m map[string]any) { m["cipher"].(map[string]any)["name"] = "aes-256-gcm" }, want: ErrCorrupt},
		{name: "short ciphertext", edit: inner("cipher", "ciphertext", func(h string) string { return h[2:] }), want: ErrCorrupt},
		{name: "ciphertext not hex", edit: func(m map[string]any) { m["cipher"].(map[string]any)["ciphertext"] = "zz" }, want: ErrCorrupt},
		{name: "unknown field", edit: func(m map[string]any) { m["seed"] = "00" }, want: ErrCorrupt},
		{name: "truncated", raw: func(b []byte) []byte { return b[:len(b)/2] }, want: ErrCorrupt},
		{name: "empty", raw: func([]byte) []byte { return nil }, want: ErrCorrupt},
		{name: "two objects", raw: func(b []byte) []byte { return append(bytes.Clone(b), b...) }, want: ErrCorrupt},
		{name: "huge", raw: func(b []byte) []byte { return append(bytes.Clone(b), bytes.Repeat([]byte(" "), maxFileSize)...) }, want: ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t)
			mustNew(t, s, "alice")
			path := filepath.Join(s.Dir(), "alice.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.raw != nil {
				data = c.raw(data)
			} else {
				var m map[string]any
				if err := json.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				c.edit(m)
				if data, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			key, err := s.Unlock("alice", pass)
			if !errors.Is(err, c.want) {
				t.Fatalf("Unlock: %v, want %v", err, c.want)
			}
			if key != nil {
				t.Fatalf("Unlock returned a key along with %v", err)
			}
			if c.want == ErrCorrupt {
				if _, err := s.Show("alice"); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Show: %v, want ErrCorrupt", err)
				}
			}
		})
	}
}

func TestConcurrentOpenReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := func() *Store {
		s, err := Open(dir, cheap)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	want := map[string]Info{}
	for _, name := range []string{"a", "b", "c"} {
		want[name] = mustNew(t, s, name)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			s, err := Open(dir, cheap)
			if err != nil {
				errs <- err
				return
			}
			infos, err := s.List()
			if err != nil || len(infos) != 3 {
				errs <- errors.Join(err, errors.New("List: wrong count"))
				return
			}
			for name, w := range want {
				info, err := s.Show(name)
				if err != nil || info.Address != w.Address {
					errs <- errors.Join(err, errors.New("Show: wrong key"))
					return
				}
				key, err := s.Unlock(name, pass)
				if err != nil || !bytes.Equal(key.Public().(ed25519.PublicKey), w.PublicKey) {
					errs <- errors.Join(err, errors.New("Unlock: wrong key"))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParseSeed(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	for _, in := range []string{FormatSeed(priv.Seed()), "  " + FormatSeed(priv.Seed()) + "\n", hex.EncodeToString(priv)} {
		got, err := ParseSeed(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !bytes.Equal(got[:32], priv.Seed()) {
			t.Fatalf("%q: parsed %x", in, got)
		}
	}
	// A typo in a secret must not be echoed in the error.
	typo := "s3cr" + FormatSeed(priv.Seed())[4:]
	_, err := ParseSeed(typo)
	if !errors.Is(err, ErrBadKey) {
		t.Fatalf("a typo: %v, want ErrBadKey", err)
	}
	if strings.Contains(err.Error(), "'s'") || strings.Contains(err.Error(), "U+") {
		t.Fatalf("the error quotes the input: %v", err)
	}
	if _, err := ParseSeed(FormatSeed(priv.Seed()[:31])); !errors.Is(err, ErrBadKey) {
		t.Fatalf("31 bytes: %v", err)
	}
}
