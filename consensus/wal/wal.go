// Package wal is the consensus write-ahead log: every input of the
// tendermint driver is appended and synced before the driver sees it,
// so a node that crashes replays its inputs into a fresh driver and gets
// the same effects — the same votes, which its signer (consensus/privval)
// re-signs identically instead of signing anything new. One file per
// height; a height's file is dropped once its block is committed.
//
// Records are framed as length (u32, big-endian), CRC-32C of the
// payload (u32), payload (canonical CBOR). A record cut short at the end
// of the file — a crash during the write — is dropped and the file
// truncated to the last whole record; a damaged record anywhere else is
// corruption, and Open refuses the file rather than skip it.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime/canon"
)

// Kinds of record: one per driver input.
const (
	KindStart uint8 = iota + 1
	KindValue
	KindProposal
	KindVote
	KindCommit
	KindTimeout
)

// MaxRecordBytes bounds a record (a commit of many precommits is the
// largest); a larger length in a header is corruption.
const MaxRecordBytes = 16 << 20

// Record is one driver input.
type Record struct {
	_        struct{} `cbor:",toarray"`
	Kind     uint8
	Height   uint64
	Round    int64
	Step     uint8
	Value    []byte // ProposeValue's value
	Proposal Proposal
	Valid    bool
	Votes    []Vote
}

// Proposal and Vote are tendermint's, as records carry them.
type Proposal struct {
	_        struct{} `cbor:",toarray"`
	Height   uint64
	Round    int64
	Value    []byte
	POLRound int64
	Proposer int64
}

type Vote struct {
	_         struct{} `cbor:",toarray"`
	Type      uint8
	Height    uint64
	Round     int64
	Value     []byte // empty: nil
	Validator int64
}

// Records of each input.
func StartRecord(h uint64) Record { return Record{Kind: KindStart, Height: h} }
func ValueRecord(r tendermint.Round, v tendermint.ValueID) Record {
	return Record{Kind: KindValue, Round: int64(r), Value: v[:]}
}
func ProposalRecord(p tendermint.Proposal, valid bool) Record {
	return Record{Kind: KindProposal, Proposal: fromProposal(p), Valid: valid}
}
func VoteRecord(v tendermint.Vote) Record { return Record{Kind: KindVote, Votes: []Vote{fromVote(v)}} }
func CommitRecord(p tendermint.Proposal, precommits []tendermint.Vote) Record {
	r := Record{Kind: KindCommit, Proposal: fromProposal(p)}
	for _, v := range precommits {
		r.Votes = append(r.Votes, fromVote(v))
	}
	return r
}
func TimeoutRecord(s tendermint.Step, r tendermint.Round) Record {
	return Record{Kind: KindTimeout, Step: uint8(s), Round: int64(r)}
}

func fromProposal(p tendermint.Proposal) Proposal {
	return Proposal{Height: p.Height, Round: int64(p.Round), Value: append([]byte(nil), p.Value[:]...), POLRound: int64(p.POLRound), Proposer: int64(p.Proposer)}
}

func fromVote(v tendermint.Vote) Vote {
	out := Vote{Type: uint8(v.Type), Height: v.Height, Round: int64(v.Round), Validator: int64(v.Validator)}
	if v.Value != nil {
		out.Value = append([]byte(nil), v.Value[:]...)
	}
	return out
}

func (p Proposal) toDriver() tendermint.Proposal {
	var v tendermint.ValueID
	copy(v[:], p.Value)
	return tendermint.Proposal{Height: p.Height, Round: tendermint.Round(p.Round), Value: v, POLRound: tendermint.Round(p.POLRound), Proposer: int(p.Proposer)}
}

func (v Vote) toDriver() tendermint.Vote {
	out := tendermint.Vote{Type: tendermint.VoteType(v.Type), Height: v.Height, Round: tendermint.Round(v.Round), Validator: int(v.Validator)}
	if len(v.Value) > 0 {
		var id tendermint.ValueID
		copy(id[:], v.Value)
		out.Value = &id
	}
	return out
}

// Apply feeds rec to d and returns the driver's effects: what the node
// does after appending rec, and again when replaying it.
func Apply(d *tendermint.Driver, rec Record) []tendermint.Effect {
	switch rec.Kind {
	case KindStart:
		return d.Start(rec.Height, nil)
	case KindValue:
		var v tendermint.ValueID
		copy(v[:], rec.Value)
		return d.ProposeValue(tendermint.Round(rec.Round), v)
	case KindProposal:
		return d.ReceiveProposal(rec.Proposal.toDriver(), rec.Valid)
	case KindVote:
		if len(rec.Votes) == 1 {
			return d.ReceiveVote(rec.Votes[0].toDriver())
		}
	case KindCommit:
		var vs []tendermint.Vote
		for _, v := range rec.Votes {
			vs = append(vs, v.toDriver())
		}
		return d.ReceiveCommit(rec.Proposal.toDriver(), vs)
	case KindTimeout:
		return d.Timeout(tendermint.Step(rec.Step), tendermint.Round(rec.Round))
	}
	return nil
}

// WAL is one height's log file.
type WAL struct {
	f    *os.File
	path string
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is a damaged record before the end of the log.
var ErrCorrupt = errors.New("wal: corrupt")

// Path is the file of height h's log in dir.
func Path(dir string, h uint64) string { return filepath.Join(dir, "wal-"+strconv.FormatUint(h, 10)) }

// Open opens (or creates) height h's log in dir and returns the records
// it holds, to replay. A record cut short at the end is dropped (the
// file truncated after the last whole one); dropped reports how many
// bytes went.
func Open(dir string, h uint64) (w *WAL, recs []Record, dropped int64, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, 0, fmt.Errorf("wal: %w", err)
	}
	path := Path(dir, h)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("wal: %w", err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("wal: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("wal: %w", err)
	}
	r := bufio.NewReader(f)
	var good int64
	for good < size {
		rec, n, err := readRecord(r, size-good)
		if errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("%w: %s at byte %d: %v", ErrCorrupt, path, good, err)
		}
		recs = append(recs, rec)
		good += n
	}
	if good < size {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("wal: truncate %s: %w", path, err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("wal: %w", err)
	}
	return &WAL{f: f, path: path}, recs, size - good, nil
}

var errTorn = errors.New("torn")

// readRecord reads one record with at most left bytes of file left: a
// header or payload that runs past the end is a torn write; a CRC or
// decoding failure of a whole record is corruption, unless it is the
// file's last record (a torn write the file system padded).
func readRecord(r *bufio.Reader, left int64) (Record, int64, error) {
	var rec Record
	if left < 8 {
		return rec, 0, errTorn
	}
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return rec, 0, errTorn
	}
	n := int64(binary.BigEndian.Uint32(hdr[:4]))
	if n > MaxRecordBytes {
		return rec, 0, fmt.Errorf("a record of %d bytes", n)
	}
	if 8+n > left {
		return rec, 0, errTorn
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return rec, 0, errTorn
	}
	last := 8+n == left
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(hdr[4:]) {
		if last {
			return rec, 0, errTorn
		}
		return rec, 0, errors.New("checksum mismatch")
	}
	if err := canon.Unmarshal(payload, &rec); err != nil {
		if last {
			return rec, 0, errTorn
		}
		return rec, 0, err
	}
	return rec, 8 + n, nil
}

// Append writes rec and syncs it: only then may the driver see it.
func (w *WAL) Append(rec Record) error {
	payload, err := canon.Marshal(rec)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	buf := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(payload, crcTable))
	if _, err := w.f.Write(append(buf, payload...)); err != nil {
		return fmt.Errorf("wal: append to %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", w.path, err)
	}
	return nil
}

// Close closes the file.
func (w *WAL) Close() error { return w.f.Close() }

// Drop removes height h's log once its block is committed: the store
// has what replaying it would give.
func Drop(dir string, h uint64) error {
	if err := os.Remove(Path(dir, h)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}
