// Package block is the block and its header: encoding, hash, the
// transactions root, and the checks of a header against its parent that
// need no state (docs/protocol.md, "Blocks").
package block

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// ProtocolVersion is the version of these rules a header declares.
const ProtocolVersion = 1

// MaxTxs is the most transactions a block can hold: the canonical
// decoder's ceiling on array elements (runtime/canon), so that every node
// can decode every valid block.
const MaxTxs = 1 << 17

// Header commits to a block: its place in the chain, its transactions and
// the state after them.
type Header struct {
	_              struct{} `cbor:",toarray"`
	Version        uint64
	ChainID        string
	Height         uint64
	Time           uint64 // milliseconds since the Unix epoch, chosen by the proposer
	Proposer       address.Address
	ParentHash     [32]byte
	TxsRoot        [32]byte
	StateRoot      [32]byte // the state root after this block's transactions
	ValidatorsHash [32]byte
	ParamsHash     [32]byte
	LastCommitHash [32]byte
	EvidenceHash   [32]byte
}

// Block is a header, its transactions (encoded tx.Signed envelopes), the
// commit of its parent (consensus's; empty on a dev chain) and evidence
// of validators' equivocation (encoded runtime/evidence; the runtime
// checks and applies it).
type Block struct {
	_          struct{} `cbor:",toarray"`
	Header     Header
	Txs        [][]byte
	LastCommit []byte
	Evidence   [][]byte
}

// ErrHeader reports a header that does not follow its parent.
var ErrHeader = errors.New("block: invalid header")

// Hash is the block's id: SHA-256 of the header's encoding under a domain
// tag. The header commits to everything else.
func (h *Header) Hash() ([32]byte, error) {
	b, err := canon.Marshal(h)
	if err != nil {
		return [32]byte{}, err
	}
	return canon.TaggedHash("plinth/block\x00", b), nil
}

// Encode returns the block's canonical encoding.
func (b *Block) Encode() ([]byte, error) { return canon.Marshal(b) }

// Decode reads a block of at most maxBytes.
func Decode(raw []byte, maxBytes int) (*Block, error) {
	if len(raw) > maxBytes {
		return nil, fmt.Errorf("block: %d bytes, limit %d", len(raw), maxBytes)
	}
	var b Block
	if err := canon.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	return &b, nil
}

// LastCommitHash is what a header carries of its block's LastCommit: zero
// for none (the dev chain's blocks, and a BFT chain's first block), else
// its hash under a domain tag.
func LastCommitHash(lastCommit []byte) [32]byte {
	if len(lastCommit) == 0 {
		return [32]byte{}
	}
	return canon.TaggedHash("plinth/commit\x00", lastCommit)
}

// EvidenceHash is what a header carries of its block's evidence: zero for
// none, else the hash of the list's canonical encoding under a domain tag.
func EvidenceHash(evidence [][]byte) [32]byte {
	if len(evidence) == 0 {
		return [32]byte{}
	}
	b, err := canon.Marshal(evidence)
	if err != nil {
		panic(fmt.Sprintf("block: encoding byte strings: %v", err)) // cannot fail
	}
	return canon.TaggedHash("plinth/evidence-list\x00", b)
}

// TxsRoot is the binary Merkle root of transaction hashes in order, shaped
// as RFC 6962's: a leaf is SHA-256(0x00 ‖ hash), a node SHA-256(0x01 ‖
// left ‖ right), a level's odd node out moves up unchanged, and no
// transactions hash to SHA-256 of nothing.
func TxsRoot(txs [][]byte) [32]byte {
	if len(txs) == 0 {
		return sha256.Sum256(nil)
	}
	level := make([][32]byte, len(txs))
	var buf [65]byte
	for i, raw := range txs {
		id := tx.Hash(raw)
		buf[0] = 0
		copy(buf[1:], id[:])
		level[i] = sha256.Sum256(buf[:33])
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i+1 < len(level); i += 2 {
			buf[0] = 1
			copy(buf[1:33], level[i][:])
			copy(buf[33:], level[i+1][:])
			next = append(next, sha256.Sum256(buf[:]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// CheckChild checks what a header must satisfy against its parent and the
// chain, before any transaction runs: version, chain, height, time strictly
// after the parent's, parent hash, last commit and evidence hashes,
// transactions root.
// Whether the last commit proves the parent is consensus's check
// (consensus/commit), which knows the validators that signed it. Parameters and
// validators are checked by the runtime, which knows which are in force.
func CheckChild(parent *Header, parentHash [32]byte, b *Block) error {
	h := &b.Header
	var errs []error
	if h.Version != ProtocolVersion {
		errs = append(errs, fmt.Errorf("version %d, want %d", h.Version, ProtocolVersion))
	}
	if h.ChainID != parent.ChainID {
		errs = append(errs, fmt.Errorf("chain %q, want %q", h.ChainID, parent.ChainID))
	}
	if h.Height != parent.Height+1 {
		errs = append(errs, fmt.Errorf("height %d after %d", h.Height, parent.Height))
	}
	if h.Time <= parent.Time {
		errs = append(errs, fmt.Errorf("time %d not after the parent's %d", h.Time, parent.Time))
	}
	if h.ParentHash != parentHash {
		errs = append(errs, fmt.Errorf("parent hash %x, want %x", h.ParentHash[:8], parentHash[:8]))
	}
	if lc := LastCommitHash(b.LastCommit); h.LastCommitHash != lc {
		errs = append(errs, fmt.Errorf("last commit hash %x, computed %x", h.LastCommitHash[:8], lc[:8]))
	}
	if eh := EvidenceHash(b.Evidence); h.EvidenceHash != eh {
		errs = append(errs, fmt.Errorf("evidence hash %x, computed %x", h.EvidenceHash[:8], eh[:8]))
	}
	if root := TxsRoot(b.Txs); h.TxsRoot != root {
		errs = append(errs, fmt.Errorf("transactions root %x, computed %x", h.TxsRoot[:8], root[:8]))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: block %d: %w", ErrHeader, h.Height, err)
	}
	return nil
}
