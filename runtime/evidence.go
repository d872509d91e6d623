package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/state"
)

// prefixEvidence keeps a record of each punished equivocation:
// x ‖ offender key ‖ height u64 → the evidence's hash. One record per
// key and height, so an offender is punished once for a height however
// many pieces of evidence (rounds, types) it left there.
const prefixEvidence = 'x'

// EvidenceKey is where the equivocation of pub at height is recorded.
func EvidenceKey(pub []byte, height uint64) []byte {
	k := append([]byte{prefixEvidence}, pub...)
	return binary.BigEndian.AppendUint64(k, height)
}

// CheckEvidence checks one piece of a block's evidence against the state
// before the block (st) and the parameters in force, for the block at
// height: it proves an equivocation on this chain, is at most
// MaxEvidenceAge heights old and not from the future, its offender is in
// the validator set in force, and it was not punished before. A
// proposer calls it to choose what to include; Apply, through
// applyEvidence, to judge what a block includes.
func CheckEvidence(st state.Reader, chainID string, height uint64, p *params.Params, raw []byte) (*evidence.Evidence, error) {
	vals, err := validatorsIn(st)
	if err != nil {
		return nil, err
	}
	return checkEvidence(st, vals, chainID, height, p, raw)
}

// checkEvidence is CheckEvidence with the validator set in force read
// already (a block's pieces share it).
func checkEvidence(st state.Reader, vals []Validator, chainID string, height uint64, p *params.Params, raw []byte) (*evidence.Evidence, error) {
	e, err := evidence.Decode(raw)
	if err != nil {
		return nil, err
	}
	if e.Height > height || height-e.Height > p.Consensus.MaxEvidenceAge {
		return nil, fmt.Errorf("%w of height %d at height %d: older than %d heights or from the future", evidence.ErrEvidence, e.Height, height, p.Consensus.MaxEvidenceAge)
	}
	if err := e.Verify(chainID); err != nil {
		return nil, err
	}
	if indexOf(vals, e.PublicKey) < 0 {
		return nil, fmt.Errorf("%w: %x is not a validator", evidence.ErrEvidence, e.PublicKey[:8])
	}
	_, done, err := st.Get(EvidenceKey(e.PublicKey, e.Height))
	if err != nil {
		return nil, fmt.Errorf("runtime: reading evidence records: %w", err)
	}
	if done {
		return nil, fmt.Errorf("%w: %x already punished for height %d", evidence.ErrEvidence, e.PublicKey[:8], e.Height)
	}
	return e, nil
}

// applyEvidence checks a block's evidence and applies it before its
// transactions: each offender's equivocation is recorded and the
// offender leaves the validator set, from the next height on (the set in
// force for a block is the state's after its parent), until governance
// puts it back (the set_validators system call). A set is never left
// empty: the last validator stays, its equivocation recorded.
func applyEvidence(ws *state.WriteSet, st state.Reader, h *block.Header, p *params.Params, list [][]byte) error {
	if len(list) == 0 {
		return nil
	}
	if len(list) > int(p.Consensus.MaxBlockEvidence) {
		return &InvalidEvidenceError{Index: int(p.Consensus.MaxBlockEvidence),
			Err: fmt.Errorf("%w: %d pieces of evidence, limit %d", evidence.ErrEvidence, len(list), p.Consensus.MaxBlockEvidence)}
	}
	inForce, err := validatorsIn(st)
	if err != nil {
		return err
	}
	vals := slices.Clone(inForce)
	for i, raw := range list {
		// Checked against the state before the block: two pieces
		// against one validator, at different heights, are both valid.
		e, err := checkEvidence(st, inForce, h.ChainID, h.Height, p, raw)
		if err == nil {
			var dup bool
			if _, dup, err = ws.Get(EvidenceKey(e.PublicKey, e.Height)); err == nil && dup {
				err = fmt.Errorf("%w: %x at height %d twice in the block", evidence.ErrEvidence, e.PublicKey[:8], e.Height)
			}
		}
		if err != nil {
			return &InvalidEvidenceError{Index: i, Err: err}
		}
		id := e.Hash()
		if err := ws.Set(EvidenceKey(e.PublicKey, e.Height), id[:]); err != nil {
			return fmt.Errorf("%w: evidence %d: %w", ErrInvalidBlock, i, err)
		}
		if j := indexOf(vals, e.PublicKey); j >= 0 && len(vals) > 1 {
			vals = append(vals[:j:j], vals[j+1:]...)
		}
	}
	enc, err := canon.Marshal(vals)
	if err != nil {
		return err
	}
	if err := ws.Set(ValidatorsKey(), enc); err != nil {
		return fmt.Errorf("%w: validator set: %w", ErrInvalidBlock, err)
	}
	return nil
}

// InvalidEvidenceError is a block refused for a piece of its evidence:
// the first bad one by index (the first beyond MaxBlockEvidence when
// there are too many).
type InvalidEvidenceError struct {
	Index int
	Err   error
}

func (e *InvalidEvidenceError) Error() string {
	return fmt.Sprintf("%v: evidence %d: %v", ErrInvalidBlock, e.Index, e.Err)
}

func (e *InvalidEvidenceError) Unwrap() []error { return []error{ErrInvalidBlock, e.Err} }

// validatorsIn reads the validator set from a state.
func validatorsIn(st state.Reader) ([]Validator, error) {
	b, ok, err := st.Get(ValidatorsKey())
	if err != nil {
		return nil, fmt.Errorf("runtime: reading the validator set: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("runtime: no validator set in state")
	}
	return DecodeValidators(b)
}

func indexOf(vals []Validator, pub []byte) int {
	for i, v := range vals {
		if bytes.Equal(v.PublicKey, pub) {
			return i
		}
	}
	return -1
}
