package state

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

func (s *Store) checkIdentity(opts Options) error {
	format, ok, err := s.get(metaFormat)
	if err != nil {
		return err
	}
	if !ok {
		b := s.db.NewBatch()
		_ = b.Set(metaFormat, binary.BigEndian.AppendUint32(nil, FormatVersion), nil)
		_ = b.Set(metaChainID, []byte(opts.ChainID), nil)
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("state: initialize store: %w", err)
		}
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
	return nil
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
	s.root, err = s.rootAt(s.height)
	return err
}
