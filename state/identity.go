package state

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var metaGenesis = []byte("mgenesis")

// ErrGenesisMismatch: the store was built from another genesis block than
// the one it is asked to follow. A chain id alone does not tell apart two
// networks that share it (a test network restarted from a new genesis);
// the genesis hash does.
var ErrGenesisMismatch = errors.New("state: store has another genesis")

func (s *Store) checkIdentity(opts Options) error {
	format, ok, err := s.get(metaFormat)
	if err != nil {
		return err
	}
	if !ok {
		b := s.db.NewBatch()
		_ = b.Set(metaFormat, binary.BigEndian.AppendUint32(nil, FormatVersion), nil)
		_ = b.Set(metaChainID, []byte(opts.ChainID), nil)
		if opts.Genesis != ([32]byte{}) {
			_ = b.Set(metaGenesis, opts.Genesis[:], nil)
		}
		// Through syncBatch: a failed log write here must be an error, not
		// Pebble ending the process.
		err := s.syncBatch(b)
		b.Close()
		if err != nil {
			return fmt.Errorf("state: initialize store: %w", err)
		}
		s.genesis = opts.Genesis
		return nil
	}
	if len(format) != 4 {
		return fmt.Errorf("%w: format record is %d bytes", ErrCorrupt, len(format))
	}
	if v := binary.BigEndian.Uint32(format); v > FormatVersion {
		return fmt.Errorf("%w: format %d, this build reads up to %d", ErrNewerFormat, v, FormatVersion)
	}
	chain, ok, err := s.get(metaChainID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no chain id recorded", ErrCorrupt)
	}
	if string(chain) != opts.ChainID {
		return fmt.Errorf("%w: the store is for chain %q, opened as %q", ErrChainMismatch, chain, opts.ChainID)
	}
	g, ok, err := s.get(metaGenesis)
	if err != nil {
		return err
	}
	if ok {
		// SetGenesis never records the zero hash, which means "not known".
		if len(g) != 32 || [32]byte(g) == ([32]byte{}) {
			return fmt.Errorf("%w: genesis record is %x", ErrCorrupt, g)
		}
		s.genesis = [32]byte(g)
	}
	if opts.Genesis == ([32]byte{}) {
		return nil
	}
	return s.SetGenesis(opts.Genesis)
}

// SetGenesis records h as the hash of the chain's genesis block, synced,
// once: a node may learn it only after the store exists (from a peer, or
// by executing the genesis block). Setting the recorded hash again is
// harmless; setting another is ErrGenesisMismatch. Like Commit, it must
// not run concurrently with reads.
func (s *Store) SetGenesis(h [32]byte) error {
	switch {
	case h == [32]byte{}:
		return errors.New("state: set genesis: the zero hash means unknown")
	case h == s.genesis:
		return nil
	case s.genesis != [32]byte{}:
		return fmt.Errorf("%w: the store's genesis is %x, not %x", ErrGenesisMismatch, s.genesis[:8], h[:8])
	case s.failed != nil:
		return fmt.Errorf("state: set genesis: %w", s.failed)
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(metaGenesis, h[:], nil); err != nil {
		return err
	}
	if err := s.syncBatch(b); err != nil {
		return fmt.Errorf("state: set genesis %x: %w", h[:8], err)
	}
	s.genesis = h
	return nil
}

// Genesis returns the recorded genesis hash, and false if none is.
func (s *Store) Genesis() ([32]byte, bool) {
	return s.genesis, s.genesis != [32]byte{}
}

func (s *Store) loadLatest() error {
	b, ok, err := s.get(metaLatest)
	if err != nil || !ok {
		return err
	}
	if len(b) != 8 {
		return fmt.Errorf("%w: latest-height record is %d bytes", ErrCorrupt, len(b))
	}
	s.height = binary.BigEndian.Uint64(b)
	p, ok, err := s.get(metaPruned)
	if err != nil {
		return err
	}
	if ok {
		if len(p) != 8 {
			return fmt.Errorf("%w: pruned-height record is %d bytes", ErrCorrupt, len(p))
		}
		s.pruned = binary.BigEndian.Uint64(p)
	}
	// A commit writes its root with the latest height, and Prune keeps the
	// latest height: anything else is damage, not pruning.
	if s.pruned > s.height {
		return fmt.Errorf("%w: pruned to %d, above the latest height %d", ErrCorrupt, s.pruned, s.height)
	}
	if s.height == 0 {
		return nil
	}
	s.root, err = s.readRoot(s.height)
	if errors.Is(err, ErrNotRetained) {
		return fmt.Errorf("%w: no root for the latest height %d", ErrCorrupt, s.height)
	}
	return err
}
