// Package blocksync catches a node up: it fetches committed blocks by
// height range from several peers at once, checks each block in height
// order (its link to the parent and its commit, by the node's Verify)
// before applying it, bans a peer that served anything that does not
// check, and asks another peer for what that one should have served.
// The protocol it speaks is node/p2p's blocks-by-range.
package blocksync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/plinthchain/plinth/node/p2p"
)

// Peer serves blocks by range.
type Peer interface {
	ID() string
	Blocks(ctx context.Context, start, count uint64) ([]p2p.BlockWithCommit, error)
}

// Config is what a Syncer needs of the node.
type Config struct {
	// Verify checks the block at height against the chain so far (its
	// parent's hash, its commit by the validator set in force): called in
	// height order, after every lower block was applied.
	Verify func(height uint64, b p2p.BlockWithCommit) error
	// Apply executes and commits a verified block.
	Apply func(ctx context.Context, height uint64, b p2p.BlockWithCommit) error
	// Window is how many blocks one request asks for (at most
	// p2p.MaxBlocksPerRequest; default 32).
	Window uint64
}

// ErrNoPeers is the end of a sync that ran out of peers to ask.
var ErrNoPeers = errors.New("blocksync: no peer left to ask")

// Syncer runs a catch-up.
type Syncer struct {
	cfg    Config
	peers  []Peer
	banned map[string]error
}

// New makes a Syncer over peers.
func New(cfg Config, peers []Peer) *Syncer {
	if cfg.Window == 0 || cfg.Window > p2p.MaxBlocksPerRequest {
		cfg.Window = 32
	}
	return &Syncer{cfg: cfg, peers: peers, banned: map[string]error{}}
}

// Banned lists the peers banned and why, by id.
func (s *Syncer) Banned() map[string]error { return s.banned }

type window struct {
	start  uint64
	blocks []p2p.BlockWithCommit
	peer   Peer
	err    error
}

// Run applies the blocks from height from through to, fetching windows
// from the peers in parallel (one window per peer at a time) and
// applying them in order.
func (s *Syncer) Run(ctx context.Context, from, to uint64) error {
	next := from                    // the next height to apply
	pending := map[uint64]*window{} // fetched windows by start height
	var tried = map[uint64]map[string]bool{}
	for next <= to {
		// Fetch the windows from next on, one per usable peer.
		var wg sync.WaitGroup
		var mu sync.Mutex
		// The fetches report here, not into pending, which this loop reads
		// while they run.
		var fetched []*window
		assigned := 0
		for start := next; start <= to && assigned < len(s.peers); start += s.cfg.Window {
			if _, ok := pending[start]; ok {
				continue
			}
			p := s.pick(tried[start])
			if p == nil {
				if start == next {
					return fmt.Errorf("%w for heights from %d (banned: %d)", ErrNoPeers, start, len(s.banned))
				}
				break
			}
			if tried[start] == nil {
				tried[start] = map[string]bool{}
			}
			tried[start][p.ID()] = true
			assigned++
			count := min(s.cfg.Window, to-start+1)
			wg.Add(1)
			go func(start uint64, p Peer) {
				defer wg.Done()
				bs, err := p.Blocks(ctx, start, count)
				mu.Lock()
				fetched = append(fetched, &window{start: start, blocks: bs, peer: p, err: err})
				mu.Unlock()
			}(start, p)
		}
		wg.Wait()
		for _, w := range fetched {
			pending[w.start] = w
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Apply what is contiguous from next, in order.
		starts := make([]uint64, 0, len(pending))
		for st := range pending {
			starts = append(starts, st)
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
		for _, st := range starts {
			if st != next {
				break
			}
			w := pending[st]
			delete(pending, st)
			if w.err != nil || len(w.blocks) == 0 {
				continue // ask another peer for this window next round
			}
			for i, b := range w.blocks {
				h := w.start + uint64(i)
				if h > to {
					break
				}
				if err := s.cfg.Verify(h, b); err != nil {
					s.banned[w.peer.ID()] = fmt.Errorf("height %d: %w", h, err)
					break // the rest of its window is not trusted either
				}
				if err := s.cfg.Apply(ctx, h, b); err != nil {
					return fmt.Errorf("blocksync: apply %d: %w", h, err)
				}
				next = h + 1
			}
			if next != w.start+uint64(len(w.blocks)) {
				break // the window was cut short: refetch from next
			}
		}
		// Windows fetched beyond a gap stay pending; those from a banned
		// peer are dropped.
		for st, w := range pending {
			if _, bad := s.banned[w.peer.ID()]; bad || st < next {
				delete(pending, st)
			}
		}
	}
	return nil
}

// pick is the first peer not banned and not yet tried for a window.
func (s *Syncer) pick(tried map[string]bool) Peer {
	for _, p := range s.peers {
		if _, bad := s.banned[p.ID()]; !bad && !tried[p.ID()] {
			return p
		}
	}
	return nil
}

// remote is a peer reached through node/p2p's blocks-by-range.
type remote struct {
	h  *p2p.Host
	id peer.ID
}

// Remote makes the peer id, reached from host h, a Peer.
func Remote(h *p2p.Host, id peer.ID) Peer { return remote{h: h, id: id} }

func (r remote) ID() string { return r.id.String() }

func (r remote) Blocks(ctx context.Context, start, count uint64) ([]p2p.BlockWithCommit, error) {
	return r.h.RequestBlocks(ctx, r.id, start, count)
}
