// Package keystore keeps ed25519 account keys encrypted on disk, one file
// per key, for the plinth keys commands and for anything that signs
// (docs/keys.md). A key's seed is encrypted under a passphrase with
// argon2id and XChaCha20-Poly1305; its name, address and public key are in
// the clear, so listing and showing keys needs no passphrase and never
// touches a secret.
//
// The package also holds the well-known dev keys (DevKeys) and the rule
// that they sign only for a development chain (CheckAllowed).
package keystore

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/plinthchain/plinth/runtime/address"
)

// Errors. Each is wrapped as "keystore: <what was being done>: <error>",
// so they carry no prefix of their own.
var (
	ErrExists   = errors.New("a key of that name exists")
	ErrNotFound = errors.New("no key of that name")
	// ErrBadPassphrase is a failed authenticated decryption: usually a
	// wrong passphrase, but an altered ciphertext or public key looks the
	// same to the cipher.
	ErrBadPassphrase = errors.New("wrong passphrase (or the key file was altered)")
	ErrBadName       = errors.New("bad key name")
	// ErrCorrupt is a key file this build cannot use: not JSON, another
	// format version, a field out of range, a public key that disagrees
	// with the address or with the decrypted seed.
	ErrCorrupt = errors.New("corrupt key file")
	// ErrBadKey is imported key material that is not an ed25519 seed or
	// private key.
	ErrBadKey = errors.New("bad key material")
	// ErrEmptyPassphrase refuses to encrypt under nothing: such a file
	// would look protected and not be.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrInsecureDir is a keystore directory other users can write to:
	// they could delete keys or put their own in place of ours, which the
	// key files' own mode cannot prevent. (Reading is not refused: the
	// files are 0600 and encrypted; a readable directory shows names.)
	ErrInsecureDir = errors.New("directory is writable by other users")
	// ErrDevKey is a well-known dev key used for a chain that is not a dev
	// chain (CheckAllowed).
	ErrDevKey = errors.New("a well-known dev key is usable only on a dev chain")
)

// Key files are the owner's alone; on systems without Unix modes these are
// what Go approximates.
const (
	dirMode  = 0o700
	fileMode = 0o600
	fileExt  = ".json"
)

// maxNameLen bounds a name, so that a file name stays well within every
// file system's limit.
const maxNameLen = 64

// Options configure a Store.
type Options struct {
	// KDF is the argon2id cost of keys written through this Store; the
	// zero value means DefaultKDF. Reading uses each file's own
	// parameters. Lower it only for tests: the cost is all that stands
	// between a copied key file and a guessed passphrase.
	KDF KDFParams
}

// Store is a keystore directory. It holds no state but its options, so
// any number of Stores, in any number of processes, may use one directory;
// writes are atomic and never replace a key.
type Store struct {
	dir string
	kdf KDFParams
}

// Info is what a key shows without its passphrase. It holds nothing
// secret.
type Info struct {
	Name      string
	Address   address.Address
	PublicKey ed25519.PublicKey
	// Dev is true for one of the well-known dev keys (imported, say):
	// CheckAllowed refuses it outside a dev chain.
	Dev bool
}

type infoJSON struct {
	Name      string          `json:"name"`
	Address   address.Address `json:"address"`
	PublicKey hexBytes        `json:"public_key"`
	Dev       bool            `json:"dev"`
}

// MarshalJSON writes the public key in hex, as genesis files do.
func (i Info) MarshalJSON() ([]byte, error) {
	return json.Marshal(infoJSON{Name: i.Name, Address: i.Address, PublicKey: hexBytes(i.PublicKey), Dev: i.Dev})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (i *Info) UnmarshalJSON(b []byte) error {
	var j infoJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*i = Info{Name: j.Name, Address: j.Address, PublicKey: ed25519.PublicKey(j.PublicKey), Dev: j.Dev}
	return nil
}

// Open opens the keystore in dir, creating the directory (mode 0700) if it
// does not exist. It refuses a directory that other users can write
// (ErrInsecureDir), and KDF options out of bounds.
func Open(dir string, opts Options) (*Store, error) {
	kdf := opts.KDF
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF()
	}
	if err := kdf.validate(); err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("keystore: open %s: not a directory", dir)
	}
	// Windows has no such mode bits (Go reports 0777 for every directory),
	// so the check would refuse everything there.
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("keystore: open %s: %w: mode %v; chmod 700 it", dir, ErrInsecureDir, st.Mode().Perm())
	}
	return &Store{dir: dir, kdf: kdf}, nil
}

// Dir returns the keystore's directory.
func (s *Store) Dir() string { return s.dir }

// CheckName returns an error wrapping ErrBadName unless name is 1 to 64 of
// a-z, 0-9, '_' and '-', and not a dev key's name (dev followed by
// digits, reserved for LookupDevKey). The set keeps a name a safe file name
// everywhere, with no case to fold and no path in it.
func CheckName(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}

func checkName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: %q: want 1 to %d characters", ErrBadName, name, maxNameLen)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q: only a-z, 0-9, _ and - are allowed", ErrBadName, name)
		}
	}
	if digits, ok := strings.CutPrefix(name, "dev"); ok && digits != "" && strings.Trim(digits, "0123456789") == "" {
		return fmt.Errorf("%w: %q: dev followed by digits names a well-known dev key", ErrBadName, name)
	}
	return nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+fileExt) }

// New makes a random key, stores it under name encrypted with passphrase
// and returns its Info.
func (s *Store) New(name string, passphrase []byte) (Info, error) {
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	rand.Read(seed) // never fails: it crashes the program instead (Go 1.24)
	key := ed25519.NewKeyFromSeed(seed)
	defer clear(key)
	info, err := s.add(name, key, passphrase)
	if err != nil {
		return Info{}, fmt.Errorf("keystore: new %q: %w", name, err)
	}
	return info, nil
}

// Import stores an existing key under name: material is a 32-byte ed25519
// seed (what Export returns) or a 64-byte private key (seed ‖ public key,
// whose public half must match the seed). The caller keeps and clears
// material.
func (s *Store) Import(name string, material, passphrase []byte) (Info, error) {
	var key ed25519.PrivateKey
	switch len(material) {
	case ed25519.SeedSize:
		key = ed25519.NewKeyFromSeed(material)
	case ed25519.PrivateKeySize:
		key = ed25519.NewKeyFromSeed(material[:ed25519.SeedSize])
		if !bytes.Equal(key[ed25519.SeedSize:], material[ed25519.SeedSize:]) {
			clear(key)
			return Info{}, fmt.Errorf("keystore: import %q: %w: the public half is not the seed's", name, ErrBadKey)
		}
	default:
		return Info{}, fmt.Errorf("keystore: import %q: %w: %d bytes, want a %d-byte seed or a %d-byte private key",
			name, ErrBadKey, len(material), ed25519.SeedSize, ed25519.PrivateKeySize)
	}
	defer clear(key)
	info, err := s.add(name, key, passphrase)
	if err != nil {
		return Info{}, fmt.Errorf("keystore: import %q: %w", name, err)
	}
	return info, nil
}

func (s *Store) add(name string, key ed25519.PrivateKey, passphrase []byte) (Info, error) {
	if err := checkName(name); err != nil {
		return Info{}, err
	}
	if len(passphrase) == 0 {
		return Info{}, ErrEmptyPassphrase
	}
	// Fail before paying for the KDF; createFile checks again, atomically.
	if _, err := os.Lstat(s.path(name)); err == nil {
		return Info{}, ErrExists
	}
	f, err := seal(name, key, passphrase, s.kdf)
	if err != nil {
		return Info{}, err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return Info{}, fmt.Errorf("encode: %w", err)
	}
	if err := createFile(s.dir, name+fileExt, append(data, '\n')); err != nil {
		return Info{}, err
	}
	return f.info(), nil
}

// read loads and checks the key file of name.
func (s *Store) read(name string) (*keyFile, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	fh, err := os.Open(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrCorrupt, maxFileSize)
	}
	return parseFile(data, name)
}

// Show returns the Info of the key name. It reads only the file's public
// part: Unlock is what proves that part belongs to the encrypted seed.
func (s *Store) Show(name string) (Info, error) {
	f, err := s.read(name)
	if err != nil {
		return Info{}, fmt.Errorf("keystore: show %q: %w", name, err)
	}
	return f.info(), nil
}

// List returns the Info of every key, sorted by name. Files that are not
// keys' (other extensions, hidden files such as an interrupted write's
// temporary file, directories) are skipped. A key file that cannot be read
// does not hide the others: List returns every good key and an error
// joining one error per bad file (each wrapping ErrCorrupt, ErrBadName, or
// the I/O error).
func (s *Store) List() ([]Info, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: list %s: %w", s.dir, err)
	}
	infos := []Info{}
	var errs []error
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		f, err := s.read(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("keystore: list: %s: %w", e.Name(), err))
			continue
		}
		infos = append(infos, f.info())
	}
	// ReadDir sorts by file name, and "a.json" < "a-b.json" is not
	// "a" < "a-b": sort by the names themselves.
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return infos, errors.Join(errs...)
}

// Unlock decrypts the key name. A wrong passphrase is ErrBadPassphrase.
// It does not apply the dev-key rule: see UnlockForChain.
func (s *Store) Unlock(name string, passphrase []byte) (ed25519.PrivateKey, error) {
	key, err := s.unlock(name, passphrase, nil)
	if err != nil {
		return nil, fmt.Errorf("keystore: unlock %q: %w", name, err)
	}
	return key, nil
}

// UnlockForChain is Unlock for signing on a chain: it refuses a
// well-known dev key unless devChain (CheckAllowed) — before paying for
// the KDF, since the public key is in the clear.
func (s *Store) UnlockForChain(name string, passphrase []byte, devChain bool) (ed25519.PrivateKey, error) {
	key, err := s.unlock(name, passphrase, func(pub ed25519.PublicKey) error { return checkAllowed(pub, devChain) })
	if err != nil {
		return nil, fmt.Errorf("keystore: unlock %q: %w", name, err)
	}
	return key, nil
}

// unlock reads and decrypts the key name, first applying check, if any, to
// its public key.
func (s *Store) unlock(name string, passphrase []byte, check func(ed25519.PublicKey) error) (ed25519.PrivateKey, error) {
	f, err := s.read(name)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(ed25519.PublicKey(f.PublicKey)); err != nil {
			return nil, err
		}
	}
	return f.open(passphrase)
}

// Export decrypts the key name and returns its 32-byte seed, the form
// Import takes back. The caller clears it when done.
func (s *Store) Export(name string, passphrase []byte) ([]byte, error) {
	key, err := s.unlock(name, passphrase, nil)
	if err != nil {
		return nil, fmt.Errorf("keystore: export %q: %w", name, err)
	}
	defer clear(key)
	return bytes.Clone(key.Seed()), nil
}

// Delete removes the key name for good: the seed exists nowhere else
// unless it was exported, so a command should ask before calling this.
func (s *Store) Delete(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("keystore: delete %q: %w", name, err)
	}
	if err := os.Remove(s.path(name)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keystore: delete %q: %w", name, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("keystore: delete %q: %w", name, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("keystore: delete %q: %w", name, err)
	}
	return nil
}

// FormatSeed is a seed's text form for export and import: lowercase hex.
func FormatSeed(seed []byte) string { return hex.EncodeToString(seed) }

// ParseSeed reads FormatSeed's form (or a 64-byte private key in hex),
// ignoring surrounding white space, as a pasted or piped key carries.
func ParseSeed(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		// Not hex's own error: it quotes the offending character, which is
		// part of a secret.
		clear(b)
		return nil, fmt.Errorf("keystore: %w: not hex", ErrBadKey)
	}
	if len(b) != ed25519.SeedSize && len(b) != ed25519.PrivateKeySize {
		clear(b)
		return nil, fmt.Errorf("keystore: %w: %d bytes, want %d or %d", ErrBadKey, len(b), ed25519.SeedSize, ed25519.PrivateKeySize)
	}
	return b, nil
}
