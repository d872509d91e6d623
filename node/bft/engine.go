// Package bft runs a node of a chain with several validators: the
// Tendermint driver (consensus/tendermint) fed from the network, every
// input logged to the write-ahead log (consensus/wal) before the driver
// sees it, every vote and proposal signed behind the double-sign guard
// (consensus/privval) before it leaves, proposals built and checked by
// executing them on the chain without committing, and each decision
// committed with the precommits that made it (consensus/commit).
//
// It is the thin driver the pure core asks for (docs/consensus.md): one
// goroutine owns the driver and performs its effects in order; timers,
// block fetches and peers' requests reach it as events. A node that falls
// behind — it missed votes, or whole blocks — asks its peers: first for
// the height's consensus messages, then for the blocks it lacks
// (node/blocksync), verified against their commits.
package bft

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/plinthchain/plinth/consensus/commit"
	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/consensus/wal"
	"github.com/plinthchain/plinth/node/blocksync"
	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/state"
)

// Chain is the node's chain as consensus uses it (runtime/chain.Chain
// under the node's lock). Only the engine's goroutine calls it.
type Chain interface {
	Head() (block.Header, [32]byte)
	// Validators is the set in force at height (at most the head's + 1).
	Validators(height uint64) ([]runtime.Validator, error)
	Build(ctx context.Context, d chain.Draft) (*chain.Pending, error)
	Execute(ctx context.Context, b *block.Block) (*chain.Pending, error)
	// Commit commits a decided block with its commit.
	Commit(p *chain.Pending, commit []byte) error
	// Block is the committed block at height (its Commit too).
	Block(height uint64) (*state.Block, error)
	// Params are the parameters in force for the next block: the
	// consensus timeouts, block interval, time window and evidence rules.
	Params() (params.Params, error)
	// CheckEvidence checks encoded evidence as the next block would.
	CheckEvidence(raw []byte) (*evidence.Evidence, error)
}

// TxSource is where a proposer's transactions come from (the mempool).
type TxSource interface {
	Reap(maxGas uint64, maxBytes int) [][]byte
	Update(included [][]byte)
	Remove(hash [32]byte)
}

// Network is the node's libp2p host (node/p2p.Host).
type Network interface {
	PublishVote(ctx context.Context, v p2p.SignedVote) error
	PublishProposal(ctx context.Context, p p2p.SignedProposal) error
	Votes() <-chan p2p.SignedVote
	Proposals() <-chan p2p.SignedProposal
	TakeFuture(h uint64) ([]p2p.SignedVote, []p2p.SignedProposal)
	ConnectedPeers() []peer.ID
	RequestBlock(ctx context.Context, p peer.ID, hash [32]byte, hashOf func([]byte) ([32]byte, error)) ([]byte, error)
	RequestConsensus(ctx context.Context, p peer.ID, height uint64) ([]p2p.SignedVote, []p2p.SignedProposal, error)
	RequestStatus(ctx context.Context, p peer.ID) (p2p.Status, error)
	RequestBlocks(ctx context.Context, p peer.ID, start, count uint64) ([]p2p.BlockWithCommit, error)
	PublishEvidence(ctx context.Context, raw []byte) error
	PublishCommitted(ctx context.Context, height uint64, hash [32]byte, commit []byte) error
	CommittedBlocks() <-chan p2p.Committed
}

// Config configures an Engine.
type Config struct {
	// ChainID names the chain votes are signed for. The rounds'
	// timeouts, the block interval and the proposer-based time window
	// are chain parameters (params.Consensus), read at each height.
	ChainID string
	// Signer signs as a validator; nil runs a follower, which votes never.
	Signer privval.Signer
	// WALDir holds the write-ahead log, one file per height.
	WALDir string
	// Now is the node's clock, ms since the Unix epoch: the time a
	// proposal is stamped with and the time one is judged timely by.
	Now func() uint64
	// MaxGas and MaxBytes bound what a proposal takes from the mempool.
	MaxGas   uint64
	MaxBytes int
	// MaxBlockBytes bounds a block fetched from a peer.
	MaxBlockBytes int
	// AskEvery is how long the engine waits without progress before it
	// asks peers for the height's messages and their status (default 1s).
	AskEvery time.Duration
	// OnCommit, if set, is told of each committed block.
	OnCommit func(*chain.Pending)
	Logger   *slog.Logger
}

// Status is where the engine stands, for the node's status and metrics.
type Status struct {
	Height     uint64
	Round      int32
	Step       string
	Validator  int // index in the height's set; -1 for a follower
	Validators int
	CatchingUp bool
	// MissedBlocks counts blocks committed while this node was in their
	// validator set whose commit lacks its signature; SyncedBlocks the
	// blocks catch-up applied (its rate is the sync speed); Evidence the
	// pieces waiting in the pool.
	MissedBlocks uint64
	SyncedBlocks uint64
	Evidence     int
}

// voteKey names one signed vote: a validator's vote of a type in a round
// for a value (an equivocator's two votes are two keys).
type voteKey struct {
	typ   tendermint.VoteType
	round tendermint.Round
	val   int
	value [32]byte
	isNil bool
}

func keyOf(v tendermint.Vote) voteKey {
	k := voteKey{typ: v.Type, round: v.Round, val: v.Validator, isNil: v.Value == nil}
	if v.Value != nil {
		k.value = *v.Value
	}
	return k
}

// heldProposal is a signed proposal and when this node received it.
type heldProposal struct {
	signed     p2p.SignedProposal
	receivedAt uint64
	delivered  bool // handed to the driver
}

// event is what other goroutines hand the engine's loop.
type event struct {
	height  uint64
	timeout *tendermint.ScheduleTimeout
	fetched *fetched
	build   *tendermint.NeedValue
}

type fetched struct {
	hash [32]byte
	raw  []byte
}

// Engine runs consensus for a node.
type Engine struct {
	cfg   Config
	chain Chain
	txs   TxSource
	net   Network
	log   *slog.Logger

	events chan event

	// The loop's own state, for the current height.
	height     uint64
	vals       []runtime.Validator
	params     params.Consensus // in force at this height
	self       int
	d          *tendermint.Driver
	w          *wal.WAL
	candidates map[[32]byte]*chain.Pending // executed, valid blocks
	invalid    map[[32]byte]error          // blocks that failed execution
	proposals  map[tendermint.Round]*heldProposal
	fetching   map[[32]byte]bool
	progress   uint64 // height when the engine last asked peers
	needValue  *tendermint.NeedValue
	replaying  bool
	lastCommit time.Time // when this node last committed a block
	lastHint   time.Time // when an unverified announcement last started a catch-up

	// mu guards what peers may ask for from other goroutines.
	mu     sync.Mutex
	blocks map[[32]byte][]byte // encoded blocks of this height
	votes  map[voteKey]p2p.SignedVote
	served []p2p.SignedProposal
	status Status

	// evMu guards the evidence pool: equivocations this node saw or
	// peers gossiped, checked, not yet committed (oldest first).
	evMu     sync.Mutex
	evidence []pooled
	evSeen   map[[32]byte]bool
}

// maxPool bounds the evidence pool: evidence is rare, and what is not
// committed within MaxEvidenceAge heights is dropped anyway.
const maxPool = 256

// New makes an engine; Run starts it.
func New(cfg Config, c Chain, txs TxSource, net Network) *Engine {
	if cfg.AskEvery == 0 {
		cfg.AskEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{cfg: cfg, chain: c, txs: txs, net: net, log: cfg.Logger, events: make(chan event, 256), evSeen: map[[32]byte]bool{}}
}

// Status says where the engine stands.
func (e *Engine) Status() Status {
	e.mu.Lock()
	st := e.status
	e.mu.Unlock()
	st.Evidence = e.PoolSize()
	return st
}

// Block returns an encoded block of the current height the engine holds
// (a proposal's), for peers fetching it.
func (e *Engine) Block(hash [32]byte) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.blocks[hash]
	return b, ok
}

// Messages returns the signed proposals and votes the engine holds for
// height (none unless it is the current one), for peers that missed them.
func (e *Engine) Messages(height uint64) ([]p2p.SignedVote, []p2p.SignedProposal) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if height != e.status.Height {
		return nil, nil
	}
	votes := make([]p2p.SignedVote, 0, len(e.votes))
	for _, v := range e.votes {
		votes = append(votes, v)
	}
	return votes, append([]p2p.SignedProposal(nil), e.served...)
}

// Run runs consensus until ctx ends. It returns ctx's error, or the error
// that stopped it (the store or the WAL failed: the node must not go on).
func (e *Engine) Run(ctx context.Context) error {
	if err := e.startHeight(ctx); err != nil {
		return err
	}
	defer func() {
		if e.w != nil {
			_ = e.w.Close()
		}
	}()
	ask := time.NewTicker(e.cfg.AskEvery)
	defer ask.Stop()
	e.progress = e.height
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case v := <-e.net.Votes():
			err = e.onVote(ctx, v)
		case p := <-e.net.Proposals():
			err = e.onProposal(ctx, p, e.cfg.Now())
		case ev := <-e.events:
			err = e.onEvent(ctx, ev)
		case c := <-e.net.CommittedBlocks():
			err = e.onCommitted(ctx, c)
		case <-ask.C:
			if e.progress == e.height {
				err = e.askPeers(ctx)
			}
			e.progress = e.height
		}
		if err != nil {
			return err
		}
	}
}

// startHeight begins the height after the chain's head: its validator
// set, a fresh driver, and the WAL of that height replayed (a restart) or
// started.
func (e *Engine) startHeight(ctx context.Context) error {
	if e.w != nil {
		_ = e.w.Close()
		e.w = nil
	}
	head, _ := e.chain.Head()
	h := head.Height + 1
	vals, err := e.chain.Validators(h)
	if err != nil {
		return fmt.Errorf("bft: height %d: %w", h, err)
	}
	tv := make([]tendermint.Validator, len(vals))
	self := -1
	for i, v := range vals {
		tv[i] = tendermint.Validator{Name: v.Name, Power: v.Power}
		if e.cfg.Signer != nil && bytes.Equal(v.PublicKey, e.cfg.Signer.PublicKey()) {
			self = i
		}
	}
	set, err := tendermint.NewValidatorSet(tv)
	if err != nil {
		return fmt.Errorf("bft: height %d: %w", h, err)
	}
	p, err := e.chain.Params()
	if err != nil {
		return fmt.Errorf("bft: height %d: %w", h, err)
	}
	e.height, e.vals, e.self, e.params = h, vals, self, p.Consensus
	e.d = tendermint.NewDriver(tendermint.Params(p.Consensus.Timeouts), set, self)
	e.candidates, e.invalid = map[[32]byte]*chain.Pending{}, map[[32]byte]error{}
	e.proposals, e.fetching, e.needValue = map[tendermint.Round]*heldProposal{}, map[[32]byte]bool{}, nil
	e.mu.Lock()
	e.blocks, e.votes, e.served = map[[32]byte][]byte{}, map[voteKey]p2p.SignedVote{}, nil
	e.mu.Unlock()
	w, recs, dropped, err := wal.Open(e.cfg.WALDir, h)
	if err != nil {
		return fmt.Errorf("bft: height %d: %w", h, err)
	}
	e.w = w
	if dropped > 0 {
		e.log.Warn("consensus WAL: dropped a torn record", "height", h, "bytes", dropped)
	}
	if len(recs) == 0 {
		if err := e.input(ctx, wal.StartRecord(h)); err != nil {
			return err
		}
	} else {
		// Replay: the same inputs give the same effects; the signer
		// re-signs what it signed, and refuses nothing new to sign that
		// conflicts with it.
		e.log.Info("consensus WAL: replaying", "height", h, "records", len(recs))
		e.replaying = true
		for _, rec := range recs {
			if rec.Kind == wal.KindValue {
				e.needValue = nil
			}
			if err := e.perform(ctx, wal.Apply(e.d, rec)); err != nil {
				e.replaying = false
				return err
			}
			if e.height != h {
				e.replaying = false
				return nil // the replay decided and committed the height
			}
		}
		e.replaying = false
		if nv := e.needValue; nv != nil {
			e.needValue = nil
			if err := e.propose(ctx, *nv); err != nil {
				return err
			}
		}
	}
	e.updateStatus()
	// Messages of this height that arrived before the node knew its
	// validators.
	votes, props := e.net.TakeFuture(h)
	for _, p := range props {
		if err := e.onProposal(ctx, p, e.cfg.Now()); err != nil {
			return err
		}
	}
	for _, v := range votes {
		if err := e.onVote(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) updateStatus() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.Height, e.status.Round, e.status.Step = e.height, int32(e.d.Round()), e.d.Step().String()
	e.status.Validator, e.status.Validators = e.self, len(e.vals)
}

// input logs rec, then hands it to the driver and performs the effects.
func (e *Engine) input(ctx context.Context, rec wal.Record) error {
	if err := e.w.Append(rec); err != nil {
		return fmt.Errorf("bft: height %d: %w", e.height, err)
	}
	err := e.perform(ctx, wal.Apply(e.d, rec))
	e.updateStatus()
	return err
}

func (e *Engine) onVote(ctx context.Context, sv p2p.SignedVote) error {
	v := sv.Vote
	if v.Height != e.height {
		return nil
	}
	k := keyOf(v)
	e.mu.Lock()
	_, seen := e.votes[k]
	if !seen {
		e.votes[k] = sv
	}
	e.mu.Unlock()
	if seen {
		return nil // the driver has it; no need to log it twice
	}
	return e.input(ctx, wal.VoteRecord(v))
}

func (e *Engine) onProposal(ctx context.Context, sp p2p.SignedProposal, receivedAt uint64) error {
	p := sp.Proposal
	if p.Height != e.height {
		return nil
	}
	if _, seen := e.proposals[p.Round]; seen {
		return nil
	}
	e.proposals[p.Round] = &heldProposal{signed: sp, receivedAt: receivedAt}
	e.mu.Lock()
	e.served = append(e.served, sp)
	e.mu.Unlock()
	return e.deliverProposals(ctx)
}

// deliverProposals hands the driver each held proposal whose block is
// known (executed, or failed), and starts fetching the blocks of the
// others.
func (e *Engine) deliverProposals(ctx context.Context) error {
	rounds := make([]tendermint.Round, 0, len(e.proposals))
	for r := range e.proposals {
		rounds = append(rounds, r)
	}
	slices.Sort(rounds)
	for _, r := range rounds {
		hp := e.proposals[r]
		if hp.delivered {
			continue
		}
		id := [32]byte(hp.signed.Proposal.Value)
		e.mu.Lock()
		raw, have := e.blocks[id]
		e.mu.Unlock()
		if !have {
			e.fetch(ctx, id, e.peerOf(hp.signed.Proposal.Proposer))
			continue
		}
		valid := e.valid(ctx, hp, raw)
		hp.delivered = true
		if err := e.input(ctx, wal.ProposalRecord(hp.signed.Proposal, valid)); err != nil {
			return err
		}
		if e.height != hp.signed.Proposal.Height {
			return nil // decided meanwhile
		}
	}
	return nil
}

// valid is the paper's valid(v) for a proposal's block: it executes on
// the head with the state root its header names, its proposer is the
// round's, it carries a commit of its parent by the parent's validators,
// and — for a new value — its time is timely by this node's clock.
func (e *Engine) valid(ctx context.Context, hp *heldProposal, raw []byte) bool {
	p := hp.signed.Proposal
	id := [32]byte(p.Value)
	err := e.invalid[id]
	pend := e.candidates[id]
	if err == nil && pend == nil {
		started := time.Now()
		pend, err = e.check(ctx, raw)
		e.log.Debug("executed a proposal", "height", p.Height, "round", p.Round, "took", time.Since(started), "err", err)
		if err != nil {
			e.invalid[id] = err
		} else {
			e.candidates[id] = pend
		}
	}
	if err == nil && p.Proposer >= 0 && p.Proposer < len(e.vals) {
		if want := address.FromPublicKey(ed25519.PublicKey(e.vals[p.Proposer].PublicKey)); pend.Block.Header.Proposer != want {
			err = fmt.Errorf("proposer %s, the round's is %s", pend.Block.Header.Proposer, want)
		}
	}
	if err == nil && p.POLRound == tendermint.NilRound && !tendermint.Synchrony(e.params.Synchrony).Timely(pend.Block.Header.Time, hp.receivedAt, p.Round) {
		err = fmt.Errorf("time %d not timely, received at %d", pend.Block.Header.Time, hp.receivedAt)
	}
	if err != nil {
		e.log.Warn("invalid proposal", "height", p.Height, "round", p.Round, "block", fmt.Sprintf("%x", id[:4]), "err", err)
		return false
	}
	return true
}

// check decodes and executes a block and verifies its last commit.
func (e *Engine) check(ctx context.Context, raw []byte) (*chain.Pending, error) {
	b, err := block.Decode(raw, e.maxBlockBytes())
	if err != nil {
		return nil, err
	}
	if err := e.verifyLastCommit(b); err != nil {
		return nil, err
	}
	return e.chain.Execute(ctx, b)
}

func (e *Engine) maxBlockBytes() int {
	if e.cfg.MaxBlockBytes > 0 {
		return e.cfg.MaxBlockBytes
	}
	return 64 << 20
}

// verifyLastCommit checks that b carries a commit of its parent by the
// parent's validators (none for block 1).
func (e *Engine) verifyLastCommit(b *block.Block) error {
	h := b.Header.Height
	if h <= 1 {
		if len(b.LastCommit) != 0 {
			return errors.New("block 1 carries a last commit")
		}
		return nil
	}
	c, err := commit.Decode(b.LastCommit)
	if err != nil {
		return fmt.Errorf("last commit: %w", err)
	}
	vals, err := e.chain.Validators(h - 1)
	if err != nil {
		return err
	}
	return commit.Verify(e.cfg.ChainID, c, vals, h-1, b.Header.ParentHash)
}

// peerOf is the libp2p peer of validator i: a validator's node key is its
// validator key, so its peer id derives from it.
func (e *Engine) peerOf(i int) peer.ID {
	if i < 0 || i >= len(e.vals) {
		return ""
	}
	id, err := p2p.PeerIDOf(ed25519.PublicKey(e.vals[i].PublicKey))
	if err != nil {
		return ""
	}
	p, err := peer.Decode(id)
	if err != nil {
		return ""
	}
	return p
}

// fetch asks peers for a block by hash, in the background, first (the
// proposer) if it is connected; the answer comes back as an event.
func (e *Engine) fetch(ctx context.Context, id [32]byte, first peer.ID) {
	if e.fetching[id] {
		return
	}
	e.fetching[id] = true
	h := e.height
	hashOf := func(raw []byte) ([32]byte, error) {
		b, err := block.Decode(raw, e.maxBlockBytes())
		if err != nil {
			return [32]byte{}, err
		}
		return b.Header.Hash()
	}
	go func() {
		for attempt := 0; ; attempt++ {
			peers := e.net.ConnectedPeers()
			rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
			if i := slices.Index(peers, first); i > 0 {
				peers[0], peers[i] = peers[i], peers[0]
			}
			for _, p := range peers {
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				raw, err := e.net.RequestBlock(rctx, p, id, hashOf)
				cancel()
				if err == nil {
					select {
					case e.events <- event{height: h, fetched: &fetched{hash: id, raw: raw}}:
					case <-ctx.Done():
					}
					return
				}
			}
			// Nobody has it yet (the proposer's peers fetch it too):
			// try again shortly, until the height is over.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond):
			}
			if e.Status().Height != h {
				return
			}
		}
	}()
}

func (e *Engine) onEvent(ctx context.Context, ev event) error {
	if ev.height != e.height {
		return nil // of a height that is over
	}
	switch {
	case ev.timeout != nil:
		return e.input(ctx, wal.TimeoutRecord(ev.timeout.Step, ev.timeout.Round))
	case ev.build != nil:
		if e.d.Round() != ev.build.Round || e.d.Step() != tendermint.StepPropose {
			return nil // the round moved on while the proposer waited
		}
		return e.propose(ctx, *ev.build)
	case ev.fetched != nil:
		e.log.Debug("fetched a block", "height", ev.height, "bytes", len(ev.fetched.raw))
		delete(e.fetching, ev.fetched.hash)
		e.mu.Lock()
		e.blocks[ev.fetched.hash] = ev.fetched.raw
		e.mu.Unlock()
		return e.deliverProposals(ctx)
	}
	return nil
}

// perform does the driver's effects, in order.
func (e *Engine) perform(ctx context.Context, effects []tendermint.Effect) error {
	for _, ef := range effects {
		switch ef := ef.(type) {
		case tendermint.NeedValue:
			if e.replaying {
				// The WAL says what was proposed, if anything was; only
				// a NeedValue left open by the replay builds a block.
				nv := ef
				e.needValue = &nv
				continue
			}
			if wait := time.Until(e.lastCommit.Add(time.Duration(e.params.BlockInterval) * time.Millisecond)); wait > 0 {
				nv, h := ef, e.height
				time.AfterFunc(wait, func() {
					select {
					case e.events <- event{height: h, build: &nv}:
					case <-ctx.Done():
					}
				})
				continue
			}
			if err := e.propose(ctx, ef); err != nil {
				return err
			}
		case tendermint.BroadcastProposal:
			e.broadcastProposal(ctx, ef.Proposal)
		case tendermint.BroadcastVote:
			e.broadcastVote(ctx, ef.Vote)
		case tendermint.ScheduleTimeout:
			e.schedule(ctx, ef)
		case tendermint.Decide:
			return e.decide(ctx, ef)
		case tendermint.Equivocation:
			e.onEquivocation(ctx, ef.Evidence)
		}
	}
	return nil
}

// propose builds this node's block for a round and hands its hash to
// the driver. A transaction that makes the block invalid is dropped from
// the mempool and the block built again without it.
func (e *Engine) propose(ctx context.Context, nv tendermint.NeedValue) error {
	head, _ := e.chain.Head()
	var lastCommit []byte
	if head.Height > 0 {
		b, err := e.chain.Block(head.Height)
		if err != nil {
			return fmt.Errorf("bft: propose %d: the head's commit: %w", nv.Height, err)
		}
		lastCommit = b.Commit
	}
	proposer := address.FromPublicKey(e.cfg.Signer.PublicKey())
	t := max(e.cfg.Now(), head.Time+1)
	started := time.Now()
	var pend *chain.Pending
	for attempt := 0; ; attempt++ {
		txs := e.txs.Reap(e.cfg.MaxGas, e.cfg.MaxBytes)
		var err error
		pend, err = e.chain.Build(ctx, chain.Draft{Txs: txs, Time: t, Proposer: proposer, LastCommit: lastCommit, Evidence: e.evidenceToInclude()})
		var bad *runtime.InvalidTxError
		if err == nil {
			break
		}
		if errors.As(err, &bad) && attempt < len(txs) {
			e.log.Warn("dropping an invalid transaction", "tx", fmt.Sprintf("%x", bad.Hash), "err", bad.Err)
			e.txs.Remove(bad.Hash)
			continue
		}
		return fmt.Errorf("bft: propose %d: %w", nv.Height, err)
	}
	raw, err := pend.Block.Encode()
	if err != nil {
		return fmt.Errorf("bft: propose %d: %w", nv.Height, err)
	}
	e.candidates[pend.Hash] = pend
	e.mu.Lock()
	e.blocks[pend.Hash] = raw
	e.mu.Unlock()
	e.log.Debug("built a proposal", "height", nv.Height, "round", nv.Round, "txs", len(pend.Block.Txs), "took", time.Since(started))
	return e.input(ctx, wal.ValueRecord(nv.Round, tendermint.ValueID(pend.Hash)))
}

func (e *Engine) broadcastProposal(ctx context.Context, p tendermint.Proposal) {
	sig, err := e.cfg.Signer.SignProposal(e.cfg.ChainID, p)
	if err != nil {
		// A replayed proposal of an earlier step, or one the guard
		// refuses: it must not leave.
		e.log.Warn("not signing a proposal", "height", p.Height, "round", p.Round, "err", err)
		return
	}
	sp := p2p.SignedProposal{Proposal: p, Signature: sig}
	if _, seen := e.proposals[p.Round]; !seen {
		e.proposals[p.Round] = &heldProposal{signed: sp, receivedAt: e.cfg.Now(), delivered: true}
	}
	e.mu.Lock()
	e.served = append(e.served, sp)
	e.mu.Unlock()
	if err := e.net.PublishProposal(ctx, sp); err != nil {
		e.log.Debug("publish proposal", "err", err) // peers ask for it
	}
}

func (e *Engine) broadcastVote(ctx context.Context, v tendermint.Vote) {
	sig, err := e.cfg.Signer.SignVote(e.cfg.ChainID, v)
	if err != nil {
		if !errors.Is(err, privval.ErrRegression) || !e.replaying {
			e.log.Warn("not signing a vote", "vote", v.String(), "err", err)
		}
		return
	}
	sv := p2p.SignedVote{Vote: v, Signature: sig}
	e.mu.Lock()
	e.votes[keyOf(v)] = sv
	e.mu.Unlock()
	if err := e.net.PublishVote(ctx, sv); err != nil {
		e.log.Debug("publish vote", "err", err) // peers ask for it
	}
}

func (e *Engine) schedule(ctx context.Context, t tendermint.ScheduleTimeout) {
	h := e.height
	time.AfterFunc(time.Duration(t.Duration)*time.Millisecond, func() {
		select {
		case e.events <- event{height: h, timeout: &t}:
		case <-ctx.Done():
		}
	})
}

// decide commits the decided block with its commit and starts the next
// height. A block the node never had (it decided from others' votes) is
// fetched from peers first.
func (e *Engine) decide(ctx context.Context, d tendermint.Decide) error {
	id := [32]byte(d.Value)
	c := &commit.Commit{Height: d.Height, Round: int64(d.Round), BlockHash: id[:]}
	e.mu.Lock()
	for _, v := range d.Commit {
		sv, ok := e.votes[keyOf(v)]
		if !ok {
			e.mu.Unlock()
			return fmt.Errorf("bft: decide %d: no signature of %s", d.Height, v)
		}
		c.Signatures = append(c.Signatures, commit.Signature{Validator: uint64(v.Validator), Signature: sv.Signature})
	}
	e.mu.Unlock()
	slices.SortFunc(c.Signatures, func(a, b commit.Signature) int { return cmp.Compare(a.Validator, b.Validator) })
	enc, err := c.Encode()
	if err != nil {
		return fmt.Errorf("bft: decide %d: %w", d.Height, err)
	}
	pend := e.candidates[id]
	for pend == nil {
		raw, err := e.fetchNow(ctx, id)
		if err != nil {
			return fmt.Errorf("bft: decide %d: block %x: %w", d.Height, id[:4], err)
		}
		if pend, err = e.check(ctx, raw); err != nil {
			// Validators with more than two thirds of the power decided
			// a block this node cannot execute: it must stop, not fork.
			return fmt.Errorf("bft: decided block %d (%x) does not execute here: %w", d.Height, id[:4], err)
		}
	}
	started := time.Now()
	if err := e.chain.Commit(pend, enc); err != nil {
		return fmt.Errorf("bft: commit %d: %w", d.Height, err)
	}
	e.log.Debug("decided", "height", d.Height, "round", d.Round, "commit took", time.Since(started))
	e.countSigned(e.vals, c, false)
	e.committed(pend)
	if e.self >= 0 {
		// Followers, and validators a block behind, learn of it now.
		if err := e.net.PublishCommitted(ctx, d.Height, id, enc); err != nil {
			e.log.Debug("announcing a committed block", "height", d.Height, "err", err)
		}
	}
	return e.startHeight(ctx)
}

// countSigned counts a committed block in the status: missed if this
// node's key is in its validator set vals but not among the commit's
// signers; synced if catch-up applied it.
func (e *Engine) countSigned(vals []runtime.Validator, c *commit.Commit, synced bool) {
	missed := false
	if e.cfg.Signer != nil && c != nil {
		self := slices.IndexFunc(vals, func(v runtime.Validator) bool { return bytes.Equal(v.PublicKey, e.cfg.Signer.PublicKey()) })
		missed = self >= 0 && !slices.ContainsFunc(c.Signatures, func(s commit.Signature) bool { return s.Validator == uint64(self) })
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if missed {
		e.status.MissedBlocks++
	}
	if synced {
		e.status.SyncedBlocks++
	}
}

// committed tidies up after a block is committed, whoever decided it.
func (e *Engine) committed(pend *chain.Pending) {
	e.lastCommit = time.Now()
	e.txs.Update(pend.Block.Txs)
	h := pend.Block.Header.Height
	e.log.Info("committed", "height", h, "txs", len(pend.Block.Txs), "hash", fmt.Sprintf("%x", pend.Hash[:4]))
	if e.w != nil {
		_ = e.w.Close()
		e.w = nil
	}
	if err := wal.Drop(e.cfg.WALDir, h); err != nil {
		e.log.Warn("consensus WAL: drop", "height", h, "err", err)
	}
	if e.cfg.OnCommit != nil {
		e.cfg.OnCommit(pend)
	}
}

// fetchNow asks peers for a block until one answers or ctx ends.
func (e *Engine) fetchNow(ctx context.Context, id [32]byte) ([]byte, error) {
	e.mu.Lock()
	raw, ok := e.blocks[id]
	e.mu.Unlock()
	if ok {
		return raw, nil
	}
	hashOf := func(raw []byte) ([32]byte, error) {
		b, err := block.Decode(raw, e.maxBlockBytes())
		if err != nil {
			return [32]byte{}, err
		}
		return b.Header.Hash()
	}
	for {
		for _, p := range e.net.ConnectedPeers() {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			raw, err := e.net.RequestBlock(rctx, p, id, hashOf)
			cancel()
			if err == nil {
				return raw, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// askPeers is what a node that made no progress for a while does: it
// asks a peer for the height's messages it may have missed, and its
// peers for their status; if any is ahead, it syncs the blocks it lacks.
func (e *Engine) askPeers(ctx context.Context) error {
	peers := e.net.ConnectedPeers()
	if len(peers) == 0 {
		return nil
	}
	rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var ahead []peer.ID
	var top uint64
	for _, p := range peers {
		st, err := e.net.RequestStatus(rctx, p)
		if err != nil {
			continue
		}
		if st.Height >= e.height {
			ahead = append(ahead, p)
			top = max(top, st.Height)
		}
	}
	if len(ahead) > 0 {
		return e.catchUp(ctx, ahead, top)
	}
	votes, props, err := e.net.RequestConsensus(rctx, peers[0], e.height)
	if err != nil {
		e.log.Debug("asking for consensus messages", "peer", peers[0], "err", err)
		return nil
	}
	for _, p := range props {
		if err := e.onProposal(ctx, p, e.cfg.Now()); err != nil {
			return err
		}
	}
	for _, v := range votes {
		if err := e.onVote(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// hintEvery bounds how often unverified announcements start a catch-up.
const hintEvery = time.Second

// onCommitted acts on a peer's announcement of a committed block (its
// commit checked by the host): a follower, which takes no part in
// deciding, syncs it from that peer at once, and so does any node that
// the announcement shows a block or more behind. A validator announced
// its own height carries on: it is deciding that height itself, and if
// it stalls, AskEvery's catch-up comes soon.
//
// An unverified announcement (of a height this node cannot check yet) is
// acted on at most once per hintEvery: anyone can send one, and a
// catch-up checks every block it applies anyway.
func (e *Engine) onCommitted(ctx context.Context, c p2p.Committed) error {
	if c.Height < e.height || (c.Height == e.height && e.self >= 0) {
		return nil
	}
	if !c.Verified {
		if time.Since(e.lastHint) < hintEvery {
			return nil
		}
		e.lastHint = time.Now()
	}
	// The peer that relayed it first (it may only have relayed it, not
	// committed it yet), then the others.
	peers := []peer.ID{c.From}
	for _, p := range e.net.ConnectedPeers() {
		if p != c.From {
			peers = append(peers, p)
		}
	}
	return e.catchUp(ctx, peers, c.Height)
}

// catchUp syncs the blocks from the current height to top from peers
// that have them, each verified against its commit by the validators in
// force, then resumes consensus at the new head.
func (e *Engine) catchUp(ctx context.Context, peers []peer.ID, top uint64) error {
	from := e.height
	e.mu.Lock()
	e.status.CatchingUp = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.status.CatchingUp = false
		e.mu.Unlock()
	}()
	e.log.Info("catching up", "from", from, "to", top, "peers", len(peers))
	var remotes []blocksync.Peer
	for _, p := range peers {
		remotes = append(remotes, remote{net: e.net, id: p})
	}
	// A verified block waits here for its turn to be committed, with
	// what Verify read of it.
	type verified struct {
		pend   *chain.Pending
		vals   []runtime.Validator
		commit *commit.Commit
	}
	pending := map[uint64]verified{}
	s := blocksync.New(blocksync.Config{
		Verify: func(h uint64, bc p2p.BlockWithCommit) error {
			b, err := block.Decode(bc.Block, e.maxBlockBytes())
			if err != nil {
				return err
			}
			hash, err := b.Header.Hash()
			if err != nil {
				return err
			}
			if b.Header.Height != h {
				return fmt.Errorf("block of height %d served for %d", b.Header.Height, h)
			}
			c, err := commit.Decode(bc.Commit)
			if err != nil {
				return err
			}
			vals, err := e.chain.Validators(h)
			if err != nil {
				return err
			}
			if err := commit.Verify(e.cfg.ChainID, c, vals, h, hash); err != nil {
				return err
			}
			if err := e.verifyLastCommit(b); err != nil {
				return err
			}
			pend, err := e.chain.Execute(ctx, b)
			if err != nil {
				return err
			}
			pending[h] = verified{pend: pend, vals: vals, commit: c}
			return nil
		},
		Apply: func(ctx context.Context, h uint64, bc p2p.BlockWithCommit) error {
			v := pending[h]
			delete(pending, h)
			if err := e.chain.Commit(v.pend, bc.Commit); err != nil {
				return err
			}
			e.countSigned(v.vals, v.commit, true)
			e.committed(v.pend)
			return nil
		},
	}, remotes)
	err := s.Run(ctx, from, top)
	if head, _ := e.chain.Head(); head.Height+1 != e.height {
		// Whatever was applied stands: consensus resumes after it.
		if serr := e.startHeight(ctx); serr != nil {
			return serr
		}
	}
	switch {
	case err == nil, ctx.Err() != nil:
	case errors.Is(err, blocksync.ErrNoPeers):
		// Every peer asked served bad blocks: they are banned for this
		// catch-up, and consensus (or the next catch-up) goes on.
		e.log.Warn("catch-up stopped", "at", e.height, "err", err, "banned", len(s.Banned()))
	default:
		// A verified block failed to apply: the store failed.
		return fmt.Errorf("bft: catch-up: %w", err)
	}
	return nil
}

// remote is a peer as block sync asks it.
type remote struct {
	net Network
	id  peer.ID
}

func (r remote) ID() string { return r.id.String() }

func (r remote) Blocks(ctx context.Context, start, count uint64) ([]p2p.BlockWithCommit, error) {
	return r.net.RequestBlocks(ctx, r.id, start, count)
}
