package bft

import (
	"context"
	"sync"

	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/state"
)

// Local is a node's chain and store behind its lock, as the engine and
// the node's peers use them: a commit takes the write lock; execution,
// the validator sets and peers' requests take the read lock (the store's
// rule: reads never overlap a commit).
type Local struct {
	Chain       *chain.Chain
	Store       *state.Store
	Mu          *sync.RWMutex
	GenesisHash [32]byte
}

var _ Chain = (*Local)(nil)

func (l *Local) Head() (block.Header, [32]byte) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.Head()
}

func (l *Local) Validators(height uint64) ([]runtime.Validator, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.Validators(height)
}

// Known is the p2p host's validator-set provider: the set of any height
// up to the next, and false beyond it (messages of later heights wait).
func (l *Local) Known(height uint64) ([]runtime.Validator, bool) {
	vals, err := l.Validators(height)
	return vals, err == nil
}

func (l *Local) Build(ctx context.Context, d chain.Draft) (*chain.Pending, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.Build(ctx, d)
}

func (l *Local) Params() (params.Params, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.Params()
}

func (l *Local) CheckEvidence(raw []byte) (*evidence.Evidence, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.CheckEvidence(raw)
}

func (l *Local) Execute(ctx context.Context, b *block.Block) (*chain.Pending, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Chain.Execute(ctx, b)
}

func (l *Local) Commit(p *chain.Pending, commit []byte) error {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return l.Chain.CommitPending(p, commit)
}

func (l *Local) Block(height uint64) (*state.Block, error) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	return l.Store.BlockAt(height)
}

// Status is what the node tells peers of its chain.
func (l *Local) Status() p2p.Status {
	head, hash := l.Head()
	return p2p.Status{ChainID: head.ChainID, GenesisHash: l.GenesisHash[:], Base: 1, Height: head.Height, HeadHash: hash[:]}
}

// Blocks serves committed blocks by range, each with its commit; it
// stops at the first height it lacks.
func (l *Local) Blocks(start, count uint64) []p2p.BlockWithCommit {
	var out []p2p.BlockWithCommit
	for h := start; h < start+count; h++ {
		b, err := l.Block(h)
		if err != nil {
			break
		}
		out = append(out, p2p.BlockWithCommit{Block: b.Data, Commit: b.Commit})
	}
	return out
}

// CommittedBlock serves a committed block by hash.
func (l *Local) CommittedBlock(hash [32]byte) ([]byte, bool) {
	l.Mu.RLock()
	defer l.Mu.RUnlock()
	_, b, err := l.Store.BlockByHash(hash)
	if err != nil {
		return nil, false
	}
	return b.Data, true
}

// Serving is what the node's host answers peers with: the store's blocks
// and status, and the engine's current height.
func Serving(l *Local, e *Engine) p2p.Serving {
	return p2p.Serving{
		Status: l.Status,
		Blocks: l.Blocks,
		Block: func(hash [32]byte) ([]byte, bool) {
			if b, ok := e.Block(hash); ok {
				return b, true
			}
			return l.CommittedBlock(hash)
		},
		Consensus: e.Messages,
	}
}
