package device

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/state"
)

// latestRef is the value of a latest-per-kind index entry.
type latestRef struct {
	_   struct{} `cbor:",toarray"`
	Seq uint64
	ID  [32]byte
}

// historyRef is the value of a history index entry. The kind is kept so
// that dropping the entry can tell, without reading the attestation,
// whether it is still its kind's latest.
type historyRef struct {
	_    struct{} `cbor:",toarray"`
	ID   [32]byte
	Kind string
}

// checked is an attestation that passed every check, with what Submit
// needs to store it.
type checked struct {
	a   *Attestation
	id  [32]byte
	win window // the device's window, fitted, before accepting a.Seq
}

// Check runs every check Submit runs, in the same order, against r, and
// writes nothing: on success Submit would accept raw in a block at
// blockTime on chain chainID. The order (docs/devices.md, "Checks"):
//
//  1. size: at most MaxAttestationBytes (ErrTooLarge), then the canonical
//     encoding (canon.ErrEncoding) and the kind's size (ErrTooLarge);
//  2. the device is registered (ErrUnknownDevice) and not revoked
//     (ErrRevoked);
//  3. the chain id is chainID (ErrChainID);
//  4. the signature verifies under the device key (ErrBadSignature,
//     wrapping the sigs error that says why);
//  5. |time - blockTime| <= AttestationFreshness: ErrStale if older,
//     ErrFuture if later;
//  6. seq is inside the anti-replay window (ErrSeqTooOld) and unused
//     (ErrReplay).
func Check(r state.Reader, p *params.Params, chainID string, blockTime uint64, raw []byte) (*Attestation, [32]byte, error) {
	c, err := check(r, p, chainID, blockTime, raw)
	if err != nil {
		return nil, [32]byte{}, err
	}
	return c.a, c.id, nil
}

func check(r state.Reader, p *params.Params, chainID string, blockTime uint64, raw []byte) (*checked, error) {
	// Size first: it needs nothing but the length, and bounds the work of
	// everything after it.
	a, err := Decode(raw, p)
	if err != nil {
		return nil, err
	}
	dev, ok, err := Get(r, a.Device)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownDevice, a.Device)
	}
	if dev.Revoked {
		return nil, fmt.Errorf("%w: %s", ErrRevoked, a.Device)
	}
	if a.ChainID != chainID {
		return nil, fmt.Errorf("%w: %q, this chain is %q", ErrChainID, a.ChainID, chainID)
	}
	body, err := a.SignedBytes()
	if err != nil {
		return nil, err
	}
	if err := sigs.Verify(dev.KeyType, dev.PublicKey, SigningMessage(body), a.Signature); err != nil {
		return nil, fmt.Errorf("%w: device %s seq %d: %w", ErrBadSignature, a.Device, a.Seq, err)
	}
	// Differences, not sums: time and blockTime are any uint64.
	if blockTime > a.Time && blockTime-a.Time > p.AttestationFreshness {
		return nil, fmt.Errorf("%w: time %d is %d ms before the block's %d (window %d ms)", ErrStale, a.Time, blockTime-a.Time, blockTime, p.AttestationFreshness)
	}
	if a.Time > blockTime && a.Time-blockTime > p.AttestationFreshness {
		return nil, fmt.Errorf("%w: time %d is %d ms after the block's %d (window %d ms)", ErrFuture, a.Time, a.Time-blockTime, blockTime, p.AttestationFreshness)
	}
	win, err := loadWindow(r, a.Device, p.AttestationWindow)
	if err != nil {
		return nil, err
	}
	if err := win.check(a.Seq, p.AttestationWindow); err != nil {
		return nil, fmt.Errorf("device %s: %w", a.Device, err)
	}
	return &checked{a: a, id: AttestationID(body), win: win}, nil
}

// Submit checks an attestation (see Check for the checks and their
// order) and stores it: by id, as its device's latest of its kind if its
// seq is the highest seen for that kind, and in the device's history,
// which keeps the AttestationHistory highest sequence numbers. It returns the
// id and the decoded attestation. A refused attestation writes nothing.
//
// An attestation is stored by id for as long as the history or a latest
// entry refers to it, so the state a device occupies is bounded by
// AttestationHistory plus its number of kinds. An accepted attestation whose
// seq is below all AttestationHistory kept ones and below its kind's latest is
// therefore not stored at all: its seq is marked used and its id
// returned (for the receipt), and that is all.
func Submit(ws *state.WriteSet, p *params.Params, chainID string, blockTime uint64, raw []byte) ([32]byte, *Attestation, error) {
	c, err := check(ws, p, chainID, blockTime, raw)
	if err != nil {
		return [32]byte{}, nil, err
	}
	if err := store(ws, p, c, raw); err != nil {
		return [32]byte{}, nil, fmt.Errorf("device: store attestation %x: %w", c.id[:8], err)
	}
	return c.id, c.a, nil
}

func store(ws *state.WriteSet, p *params.Params, c *checked, raw []byte) error {
	a, dev, win := c.a, c.a.Device, c.win
	win.accept(a.Seq, p.AttestationWindow)

	// History: the AttestationHistory highest sequence numbers.
	inHistory := true
	if win.History >= p.AttestationHistory {
		lowSeq, low, err := lowestHistory(ws, dev)
		if err != nil {
			return err
		}
		if a.Seq < lowSeq {
			inHistory = false
		} else {
			if err := ws.Delete(historyKey(dev, lowSeq)); err != nil {
				return err
			}
			win.History--
			// Keep the record if it is still its kind's latest.
			if cur, ok, err := getLatest(ws, dev, low.Kind); err != nil {
				return err
			} else if !ok || cur.ID != low.ID {
				if err := ws.Delete(recordKey(low.ID)); err != nil {
					return err
				}
			}
		}
	}
	if inHistory {
		if err := setCBOR(ws, historyKey(dev, a.Seq), historyRef{ID: c.id, Kind: a.Kind}); err != nil {
			return err
		}
		win.History++
	}

	// Latest of its kind: the highest seq, not the last to arrive, so a
	// late reading never hides a newer one.
	isLatest := false
	cur, ok, err := getLatest(ws, dev, a.Kind)
	if err != nil {
		return err
	}
	if !ok || a.Seq > cur.Seq {
		if ok {
			// The one it replaces loses its record unless the history
			// still holds it.
			if _, held, err := ws.Get(historyKey(dev, cur.Seq)); err != nil {
				return err
			} else if !held {
				if err := ws.Delete(recordKey(cur.ID)); err != nil {
					return err
				}
			}
		}
		if err := setCBOR(ws, latestKey(dev, a.Kind), latestRef{Seq: a.Seq, ID: c.id}); err != nil {
			return err
		}
		isLatest = true
	}

	if inHistory || isLatest {
		if err := ws.Set(recordKey(c.id), raw); err != nil {
			return err
		}
	}
	return putWindow(ws, dev, &win)
}

func setCBOR(ws *state.WriteSet, key []byte, v any) error {
	b, err := canon.Marshal(v)
	if err != nil {
		return err
	}
	return ws.Set(key, b)
}

func getLatest(r state.Reader, dev ID, kind string) (latestRef, bool, error) {
	b, ok, err := r.Get(latestKey(dev, kind))
	if err != nil || !ok {
		return latestRef{}, false, err
	}
	var l latestRef
	if err := canon.Unmarshal(b, &l); err != nil {
		return latestRef{}, false, fmt.Errorf("device: stored latest %q of %s: %w", kind, dev, err)
	}
	return l, true, nil
}

// lowestHistory returns the device's history entry with the lowest seq.
func lowestHistory(r state.Reader, dev ID) (seq uint64, ref historyRef, err error) {
	it, err := r.Iterate(historyPrefix(dev), state.IterOptions{})
	if err != nil {
		return 0, ref, err
	}
	defer closeIter(it, &err)
	if !it.Next() {
		if err := it.Err(); err != nil {
			return 0, ref, err
		}
		return 0, ref, fmt.Errorf("device: history of %s is empty but counted full", dev)
	}
	if seq, err = historySeq(dev, it.Key()); err != nil {
		return 0, ref, err
	}
	if err := canon.Unmarshal(it.Value(), &ref); err != nil {
		return 0, ref, fmt.Errorf("device: stored history entry %d of %s: %w", seq, dev, err)
	}
	return seq, ref, nil
}

// closeIter closes it once, keeping the first error.
func closeIter(it state.Iterator, err *error) {
	if cerr := it.Close(); *err == nil {
		*err = cerr
	}
}

func historySeq(dev ID, key []byte) (uint64, error) {
	prefix := historyPrefix(dev)
	if len(key) != len(prefix)+8 || !bytes.HasPrefix(key, prefix) {
		return 0, fmt.Errorf("device: stray key %x in the history of %s", key, dev)
	}
	return binary.BigEndian.Uint64(key[len(prefix):]), nil
}

// AttestationByID returns a stored attestation; ok is false if none is
// stored under id (never accepted, or dropped from the history and no
// longer its kind's latest).
func AttestationByID(r state.Reader, id [32]byte) (*Attestation, bool, error) {
	b, ok, err := r.Get(recordKey(id))
	if err != nil || !ok {
		return nil, false, err
	}
	a := new(Attestation)
	if err := canon.Unmarshal(b, a); err != nil {
		return nil, false, fmt.Errorf("device: stored attestation %x: %w", id[:8], err)
	}
	return a, true, nil
}

// mustRecord reads a record an index refers to: its absence is
// corruption, not "not found".
func mustRecord(r state.Reader, id [32]byte) (*Attestation, error) {
	a, ok, err := AttestationByID(r, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("device: an index refers to attestation %x, which is not stored", id[:8])
	}
	return a, nil
}

// Latest returns the attestation of the given kind with the highest seq
// that dev has had accepted; ok is false if there is none.
func Latest(r state.Reader, dev ID, kind string) (*Attestation, bool, error) {
	l, ok, err := getLatest(r, dev, kind)
	if err != nil || !ok {
		return nil, false, err
	}
	a, err := mustRecord(r, l.ID)
	if err != nil {
		return nil, false, err
	}
	return a, true, nil
}

// History returns dev's attestations in its history with fromSeq <= seq
// <= toSeq, in ascending seq, at most limit of them (limit <= 0, or above
// maxHistoryRead, means maxHistoryRead).
func History(r state.Reader, dev ID, fromSeq, toSeq uint64, limit int) ([]*Attestation, error) {
	if limit <= 0 || limit > maxHistoryRead {
		limit = maxHistoryRead
	}
	ids, err := historyIDs(r, dev, fromSeq, toSeq, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*Attestation, 0, len(ids))
	for _, id := range ids {
		a, err := mustRecord(r, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func historyIDs(r state.Reader, dev ID, fromSeq, toSeq uint64, limit int) (ids [][32]byte, err error) {
	it, err := r.Iterate(historyPrefix(dev), state.IterOptions{})
	if err != nil {
		return nil, err
	}
	defer closeIter(it, &err)
	for len(ids) < limit && it.Next() {
		seq, err := historySeq(dev, it.Key())
		if err != nil {
			return nil, err
		}
		if seq < fromSeq {
			continue
		}
		if seq > toSeq {
			break
		}
		var ref historyRef
		if err := canon.Unmarshal(it.Value(), &ref); err != nil {
			return nil, fmt.Errorf("device: stored history entry %d of %s: %w", seq, dev, err)
		}
		ids = append(ids, ref.ID)
	}
	return ids, it.Err()
}
