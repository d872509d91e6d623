// Package chain drives the runtime over a real store: it starts a chain
// from its genesis, applies or proposes blocks, checks each block's state
// root before anything is written, and commits the state and the block in
// one synced batch. It is the thin layer between the pure state transition
// (package runtime) and whoever produces blocks (consensus, the dev chain,
// tests and benchmarks).
package chain

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// ErrStateRoot: a block whose header names another state root than its
// transactions produce.
var ErrStateRoot = errors.New("chain: state root mismatch")

// Chain is a store with a genesis and a head. It is not safe for
// concurrent use: one goroutine applies blocks.
type Chain struct {
	rt       *runtime.Runtime
	store    *state.Store
	genesis  *runtime.Genesis
	head     block.Header
	headHash [32]byte
	// height is head.Height, readable while a commit holds the chain
	// (Height).
	height atomic.Uint64
	// Before the first block: the genesis state and its changes.
	genesisState   *state.WriteSet
	genesisChanges []state.Change
}

// Open opens the chain in store: at genesis if the store is empty, else at
// its latest block. The store's identity records the genesis hash, so a
// store is never run against another chain's genesis.
func Open(ctx context.Context, store *state.Store, rt *runtime.Runtime, g *runtime.Genesis) (*Chain, error) {
	gh, err := g.Hash()
	if err != nil {
		return nil, err
	}
	if err := store.SetGenesis(gh); err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	c := &Chain{rt: rt, store: store, genesis: g}
	if store.Height() == 0 {
		// The genesis state is never committed on its own (the store's
		// first height is 1): it is block 1's base, and its root, which
		// the genesis header carries, is computed without writing.
		ws, err := rt.GenesisState(ctx, store, g)
		if err != nil {
			return nil, err
		}
		c.genesisState, c.genesisChanges = ws, ws.Changes()
		p, err := store.Prepare(1, c.genesisChanges)
		if err != nil {
			return nil, err
		}
		if c.head, err = g.Header(p.Root()); err != nil {
			return nil, err
		}
		c.headHash = gh
		return c, nil
	}
	blk, err := store.BlockAt(store.Height())
	if err != nil {
		return nil, fmt.Errorf("chain: latest block: %w", err)
	}
	b, err := block.Decode(blk.Data, 1<<31-1)
	if err != nil {
		return nil, fmt.Errorf("chain: latest block: %w", err)
	}
	c.head, c.headHash = b.Header, blk.Hash
	c.height.Store(b.Header.Height)
	return c, nil
}

// Height is the head's height. Unlike the rest of Chain it is safe to
// call at any time, even during a commit (which it reports as not yet
// done until the head has moved): the mempool's hot path asks it.
func (c *Chain) Height() uint64 { return c.height.Load() }

// Head returns the latest block's header and hash (the genesis header and
// hash before the first block).
func (c *Chain) Head() (block.Header, [32]byte) { return c.head, c.headHash }

// base is the state a new block executes on: the store's, or before the
// first block the genesis state (with its changes, which block 1 commits).
func (c *Chain) base() (state.Reader, []state.Change, error) {
	if c.store.Height() > 0 {
		return c.store, nil, nil
	}
	return c.genesisState, c.genesisChanges, nil
}

// Pending is a block executed on the head but not committed: consensus
// checks a proposal by executing it, and commits it only once decided.
// It is valid until the chain commits another block.
type Pending struct {
	Block *block.Block
	Hash  [32]byte
	Out   *runtime.Output
	p     *state.Prepared
}

// Apply executes b on the head, checks its state root, and commits it.
func (c *Chain) Apply(ctx context.Context, b *block.Block) (*runtime.Output, error) {
	p, err := c.Execute(ctx, b)
	if err != nil {
		return nil, err
	}
	return p.Out, c.CommitPending(p, nil)
}

// Execute runs b on the head and checks its state root, writing nothing.
func (c *Chain) Execute(ctx context.Context, b *block.Block) (*Pending, error) {
	base, genesis, err := c.base()
	if err != nil {
		return nil, err
	}
	out, err := c.rt.Apply(ctx, base, &c.head, c.headHash, b)
	if err != nil {
		return nil, err
	}
	p, err := c.store.Prepare(b.Header.Height, merge(genesis, out.Changes))
	if err != nil {
		return nil, err
	}
	out.StateRoot = p.Root()
	if p.Root() != b.Header.StateRoot {
		got := p.Root()
		return nil, fmt.Errorf("%w: block %d names %x, its transactions make %x", ErrStateRoot, b.Header.Height, b.Header.StateRoot[:8], got[:8])
	}
	hash, err := b.Header.Hash()
	if err != nil {
		return nil, err
	}
	return &Pending{Block: b, Hash: hash, Out: out, p: p}, nil
}

// Propose builds the next block from txs (encoded envelopes, in order) at
// time (ms, after the head's) for proposer, executes and commits it.
func (c *Chain) Propose(ctx context.Context, txs [][]byte, time uint64, proposer address.Address) (*block.Block, *runtime.Output, error) {
	p, err := c.Build(ctx, Draft{Txs: txs, Time: time, Proposer: proposer})
	if err != nil {
		return nil, nil, err
	}
	return p.Block, p.Out, c.CommitPending(p, nil)
}

// Draft is what a proposer puts in the next block.
type Draft struct {
	Txs      [][]byte // encoded envelopes, in order
	Time     uint64   // ms, after the head's
	Proposer address.Address
	// LastCommit is the head's commit, encoded; nil on a chain without
	// one.
	LastCommit []byte
	// Evidence is encoded runtime/evidence, each checked with
	// CheckEvidence.
	Evidence [][]byte
}

// Build makes the next block from d and executes it, writing nothing.
func (c *Chain) Build(ctx context.Context, d Draft) (*Pending, error) {
	txs, lastCommit := d.Txs, d.LastCommit
	base, genesis, err := c.base()
	if err != nil {
		return nil, err
	}
	ph, vh, err := runtime.InForce(base, c.head.Height+1)
	if err != nil {
		return nil, err
	}
	b := &block.Block{
		Header: block.Header{
			Version: block.ProtocolVersion, ChainID: c.head.ChainID, Height: c.head.Height + 1, Time: d.Time,
			Proposer: d.Proposer, ParentHash: c.headHash, TxsRoot: block.TxsRoot(txs),
			ValidatorsHash: vh, ParamsHash: ph, LastCommitHash: block.LastCommitHash(lastCommit),
			EvidenceHash: block.EvidenceHash(d.Evidence),
		},
		Txs:        txs,
		LastCommit: lastCommit,
		Evidence:   d.Evidence,
	}
	out, err := c.rt.Apply(ctx, base, &c.head, c.headHash, b)
	if err != nil {
		return nil, err
	}
	p, err := c.store.Prepare(b.Header.Height, merge(genesis, out.Changes))
	if err != nil {
		return nil, err
	}
	b.Header.StateRoot = p.Root()
	out.StateRoot = p.Root()
	hash, err := b.Header.Hash()
	if err != nil {
		return nil, err
	}
	return &Pending{Block: b, Hash: hash, Out: out, p: p}, nil
}

// CommitPending commits an executed block, with the commit that decided
// it (encoded; nil on a chain without one), in one synced batch. It fails
// if the chain has committed another block since.
func (c *Chain) CommitPending(p *Pending, commit []byte) error {
	b, out, hash := p.Block, p.Out, p.Hash
	data, err := b.Encode()
	if err != nil {
		return err
	}
	rec := &state.Block{Hash: hash, Data: data, Commit: commit, TxHashes: make([][32]byte, len(b.Txs)), Receipts: make([][]byte, len(b.Txs))}
	for i, raw := range b.Txs {
		rec.TxHashes[i] = tx.Hash(raw)
		if rec.Receipts[i], err = out.Receipts[i].Encode(); err != nil {
			return err
		}
	}
	if err := c.store.CommitPrepared(p.p, rec); err != nil {
		return err
	}
	c.head, c.headHash = b.Header, hash
	c.height.Store(b.Header.Height)
	if c.genesisState != nil {
		c.genesisState, c.genesisChanges = nil, nil
	}
	return nil
}

// merge lays a block's changes over the genesis changes (before the first
// block; afterwards genesis is nil and the block's changes pass through).
func merge(genesis, block []state.Change) []state.Change {
	if len(genesis) == 0 {
		return block
	}
	byKey := map[string]int{}
	out := append([]state.Change(nil), genesis...)
	for i, c := range out {
		byKey[string(c.Key)] = i
	}
	for _, c := range block {
		if i, ok := byKey[string(c.Key)]; ok {
			out[i] = c
			continue
		}
		out = append(out, c)
	}
	return out
}

// Simulate dry-runs t from sender on the head's state (runtime.Simulate).
func (c *Chain) Simulate(ctx context.Context, sender address.Address, t *tx.Tx) (*runtime.Simulation, error) {
	base, _, err := c.base()
	if err != nil {
		return nil, err
	}
	return c.rt.Simulate(ctx, base, &c.head, sender, t)
}

// Query calls a contract read-only on the head's state (runtime.Query).
func (c *Chain) Query(ctx context.Context, contract address.Address, method string, input []byte, gasCap uint64) ([]byte, uint64, []byte, error) {
	base, _, err := c.base()
	if err != nil {
		return nil, 0, nil, err
	}
	return c.rt.Query(ctx, base, &c.head, contract, method, input, gasCap)
}

// Validators returns the validator set in force at height (at most the
// head's plus one): the one in the state after the block before it, so a
// set changed by block h governs block h+1 on.
func (c *Chain) Validators(height uint64) ([]runtime.Validator, error) {
	var (
		b   []byte
		ok  bool
		err error
	)
	switch {
	case height == 0 || height > c.head.Height+1:
		return nil, fmt.Errorf("chain: validators of height %d: the head is %d", height, c.head.Height)
	case height == 1:
		return c.genesis.Validators, nil
	case height == c.head.Height+1:
		b, ok, err = c.store.Get(runtime.ValidatorsKey())
	default:
		b, ok, err = c.store.GetAt(runtime.ValidatorsKey(), height-1)
	}
	if err != nil {
		return nil, fmt.Errorf("chain: validators of height %d: %w", height, err)
	}
	if !ok {
		return nil, fmt.Errorf("chain: validators of height %d: none in the state", height)
	}
	return runtime.DecodeValidators(b)
}

// Params returns the parameters in force for the next block.
func (c *Chain) Params() (params.Params, error) {
	return runtime.ParamsAt(c.State(), c.head.Height+1)
}

// CheckEvidence checks encoded evidence as the next block would
// (runtime.CheckEvidence): a proposer includes only what passes, and the
// network relays only what passes.
func (c *Chain) CheckEvidence(raw []byte) (*evidence.Evidence, error) {
	p, err := c.Params()
	if err != nil {
		return nil, err
	}
	return runtime.CheckEvidence(c.State(), c.head.ChainID, c.head.Height+1, &p, raw)
}

// State is the head's state, to read: the store, or the genesis state
// before the first block.
func (c *Chain) State() state.Reader {
	r, _, _ := c.base()
	return r
}
