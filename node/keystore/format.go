package keystore

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/plinthchain/plinth/runtime/address"
)

// Version is the key file format this package writes and reads
// (docs/keys.md, "File format").
const Version = 1

// Names of the one KDF and the one cipher of version 1. They are written
// into each file so that the file says what it needs, and checked on
// reading so that a file of another kind fails as ErrCorrupt instead of
// as a wrong passphrase.
const (
	kdfName    = "argon2id"
	cipherName = "xchacha20-poly1305"
)

// aadTag starts the additional data the ciphertext is bound to; it carries
// the version so that a v1 ciphertext cannot be read as another version's.
const aadTag = "plinth/keystore/v1\x00"

const (
	saltSize  = 32
	seedSize  = ed25519.SeedSize
	sealedLen = seedSize + chacha20poly1305.Overhead
	// maxFileSize bounds what reading a key file may allocate: a v1 file
	// is well under 1 KiB, so anything near this is not one.
	maxFileSize = 64 << 10
)

// KDFParams are argon2id's costs. The file records them, so keys written
// under different parameters live side by side and stay readable.
type KDFParams struct {
	Time      uint32 // passes over the memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes (argon2's p)
}

// Bounds on the parameters, for writing and for reading. The upper ones
// keep a key file — which might come from elsewhere — from making Unlock
// allocate or compute without limit; they are far above the defaults.
const (
	maxKDFTime      = 64
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
)

// DefaultKDF is the cost new keys get unless Options says otherwise:
// RFC 9106's second recommended option (t=3, m=64 MiB, p=4), about a
// quarter of a second per unlock on a laptop. docs/keys.md has the reasons.
func DefaultKDF() KDFParams {
	return KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}
}

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("argon2id time %d, want 1 to %d", p.Time, maxKDFTime)
	case p.Threads < 1:
		return fmt.Errorf("argon2id threads %d, want at least 1", p.Threads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		// argon2 needs 8 KiB per lane; below that the library silently
		// raises the memory, so the file would not say what was used.
		return fmt.Errorf("argon2id memory %d KiB, want %d to %d", p.MemoryKiB, 8*uint32(p.Threads), maxKDFMemoryKiB)
	}
	return nil
}

// hexBytes is binary data written as lowercase hex.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	out, err := hex.DecodeString(string(b))
	if err != nil {
		return err
	}
	*h = out
	return nil
}

// keyFile is the JSON of <name>.json.
type keyFile struct {
	Version   int             `json:"version"`
	Name      string          `json:"name"`
	Address   address.Address `json:"address"`
	PublicKey hexBytes        `json:"public_key"`
	KDF       kdfJSON         `json:"kdf"`
	Cipher    cipherJSON      `json:"cipher"`
}

type kdfJSON struct {
	Name      string   `json:"name"`
	Time      uint32   `json:"time"`
	MemoryKiB uint32   `json:"memory_kib"`
	Threads   uint8    `json:"threads"`
	Salt      hexBytes `json:"salt"`
}

type cipherJSON struct {
	Name       string   `json:"name"`
	Nonce      hexBytes `json:"nonce"`
	Ciphertext hexBytes `json:"ciphertext"`
}

func (f *keyFile) params() KDFParams {
	return KDFParams{Time: f.KDF.Time, MemoryKiB: f.KDF.MemoryKiB, Threads: f.KDF.Threads}
}

// aad is what the ciphertext is bound to besides the key: everything in
// the file a reader acts on without decrypting, except the name (so that
// a key can be renamed by renaming its file and the name field) and the
// address (which is checked to follow from the public key). Binding the
// public key means that a file whose public part was swapped for someone
// else's does not decrypt.
func (f *keyFile) aad() []byte {
	b := []byte(aadTag)
	b = append(b, f.PublicKey...)
	b = append(b, byte(len(f.KDF.Name)))
	b = append(b, f.KDF.Name...)
	b = binary.BigEndian.AppendUint32(b, f.KDF.Time)
	b = binary.BigEndian.AppendUint32(b, f.KDF.MemoryKiB)
	b = append(b, f.KDF.Threads, byte(len(f.KDF.Salt)))
	b = append(b, f.KDF.Salt...)
	b = append(b, byte(len(f.Cipher.Name)))
	b = append(b, f.Cipher.Name...)
	return b
}

// deriveKey runs argon2id over the passphrase; the caller clears the key.
func deriveKey(passphrase, salt []byte, p KDFParams) []byte {
	return argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, chacha20poly1305.KeySize)
}

// seal encrypts key's seed under passphrase into a new key file.
func seal(name string, key ed25519.PrivateKey, passphrase []byte, p KDFParams) (*keyFile, error) {
	pub := key.Public().(ed25519.PublicKey)
	f := &keyFile{
		Version:   Version,
		Name:      name,
		Address:   address.FromPublicKey(pub),
		PublicKey: hexBytes(pub),
		KDF:       kdfJSON{Name: kdfName, Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads, Salt: make([]byte, saltSize)},
		Cipher:    cipherJSON{Name: cipherName, Nonce: make([]byte, chacha20poly1305.NonceSizeX)},
	}
	// A fresh salt makes a fresh key for every file, so even a repeated
	// nonce would not repeat a (key, nonce) pair; the random 192-bit nonce
	// is there so that this does not have to be relied on.
	rand.Read(f.KDF.Salt)
	rand.Read(f.Cipher.Nonce)
	k := deriveKey(passphrase, f.KDF.Salt, p)
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, fmt.Errorf("cipher: %w", err)
	}
	f.Cipher.Ciphertext = aead.Seal(nil, f.Cipher.Nonce, key.Seed(), f.aad())
	return f, nil
}

// open decrypts f's seed and returns the key. A failed authentication is
// ErrBadPassphrase: the cipher cannot tell a wrong passphrase from an
// altered file.
func (f *keyFile) open(passphrase []byte) (ed25519.PrivateKey, error) {
	k := deriveKey(passphrase, f.KDF.Salt, f.params())
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, fmt.Errorf("cipher: %w", err)
	}
	seed, err := aead.Open(nil, f.Cipher.Nonce, f.Cipher.Ciphertext, f.aad())
	if err != nil {
		return nil, ErrBadPassphrase
	}
	defer clear(seed)
	key := ed25519.NewKeyFromSeed(seed)
	// Unreachable unless the file was made, with this passphrase, by
	// something other than seal: the public key is bound as additional data.
	if !bytes.Equal(key.Public().(ed25519.PublicKey), f.PublicKey) {
		clear(key)
		return nil, fmt.Errorf("%w: the decrypted seed is not the public key's", ErrCorrupt)
	}
	return key, nil
}

// parseFile decodes and checks a key file; every failure is ErrCorrupt.
// wantName is the name the file was looked up by: a file must say the name
// it is stored under, so that List and Show cannot disagree about a key.
func parseFile(data []byte, wantName string) (*keyFile, error) {
	// The version first and leniently, so that a file of another version
	// is reported as such rather than by whichever field no longer fits.
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if v.Version != Version {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrCorrupt, v.Version, Version)
	}
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrCorrupt)
	}
	switch {
	case f.Name != wantName:
		return nil, fmt.Errorf("%w: the file says name %q", ErrCorrupt, f.Name)
	case len(f.PublicKey) != ed25519.PublicKeySize:
		return nil, fmt.Errorf("%w: public key of %d bytes", ErrCorrupt, len(f.PublicKey))
	case f.Address != address.FromPublicKey(ed25519.PublicKey(f.PublicKey)):
		return nil, fmt.Errorf("%w: address %s is not the public key's", ErrCorrupt, f.Address)
	case f.KDF.Name != kdfName:
		return nil, fmt.Errorf("%w: kdf %q, want %q", ErrCorrupt, f.KDF.Name, kdfName)
	case len(f.KDF.Salt) < 16 || len(f.KDF.Salt) > 64:
		return nil, fmt.Errorf("%w: salt of %d bytes", ErrCorrupt, len(f.KDF.Salt))
	case f.Cipher.Name != cipherName:
		return nil, fmt.Errorf("%w: cipher %q, want %q", ErrCorrupt, f.Cipher.Name, cipherName)
	case len(f.Cipher.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrCorrupt, len(f.Cipher.Nonce))
	case len(f.Cipher.Ciphertext) != sealedLen:
		return nil, fmt.Errorf("%w: ciphertext of %d bytes, want %d", ErrCorrupt, len(f.Cipher.Ciphertext), sealedLen)
	}
	if err := f.params().validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &f, nil
}

func (f *keyFile) info() Info {
	pub := ed25519.PublicKey(bytes.Clone(f.PublicKey))
	return Info{Name: f.Name, Address: f.Address, PublicKey: pub, Dev: IsDevKey(pub)}
}
