package bft

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinthchain/plinth/consensus/commit"
	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

const testChain = "bft-test"

func seedKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, 32)
	seed[0], seed[31] = b, 0x5a
	return ed25519.NewKeyFromSeed(seed)
}

// testGenesis is a chain of n validators of power 1 (keys seedKey(1…n))
// and one funded account (seedKey(100)).
func testGenesis(t *testing.T, n int) *runtime.Genesis {
	t.Helper()
	user := address.FromPublicKey(seedKey(100).Public().(ed25519.PublicKey))
	vals := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			vals += ","
		}
		vals += fmt.Sprintf(`{"public_key": %q, "power": 1, "name": "v%d"}`, hex.EncodeToString(seedKey(byte(i+1)).Public().(ed25519.PublicKey)), i)
	}
	g, err := runtime.ParseGenesis([]byte(fmt.Sprintf(`{
		"chain_id": %q, "genesis_time": %q,
		"accounts": [{"address": %q, "balance": "1000000000000000"}],
		"validators": [%s],
		"governance": %q,
		"params": {"Consensus": {"Timeouts": {"ProposeBase": 1500, "ProposeDelta": 500, "PrevoteBase": 500,
			"PrevoteDelta": 250, "PrecommitBase": 500, "PrecommitDelta": 250}, "BlockInterval": 100}}
	}`, testChain, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), user, vals, user)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// txQueue is a mempool for tests: every transaction handed in goes into
// the next block until one includes it.
type txQueue struct {
	mu  sync.Mutex
	txs [][]byte
}

func (q *txQueue) add(raw []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.txs = append(q.txs, raw)
}

func (q *txQueue) Reap(uint64, int) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([][]byte(nil), q.txs...)
}

func (q *txQueue) Update(included [][]byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	in := map[string]bool{}
	for _, t := range included {
		in[string(t)] = true
	}
	q.txs = slicesDeleteFunc(q.txs, func(t []byte) bool { return in[string(t)] })
}

func (q *txQueue) Remove(hash [32]byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.txs = slicesDeleteFunc(q.txs, func(t []byte) bool { return tx.Hash(t) == hash })
}

func slicesDeleteFunc(s [][]byte, del func([]byte) bool) [][]byte {
	out := s[:0]
	for _, t := range s {
		if !del(t) {
			out = append(out, t)
		}
	}
	return out
}

// testNode is one node: a real store on disk, the runtime, a libp2p host
// on loopback and the engine.
type testNode struct {
	dir    string
	key    ed25519.PrivateKey // nil: a follower
	local  *Local
	store  *state.Store
	rt     *runtime.Runtime
	host   *p2p.Host
	engine *Engine
	txs    *txQueue
	cancel context.CancelFunc
	done   chan error
}

// startNode opens (or reopens) a node in dir and runs it.
func startNode(t *testing.T, g *runtime.Genesis, dir string, key ed25519.PrivateKey, bootstrap []string) *testNode {
	t.Helper()
	return startNodeAsking(t, g, dir, key, bootstrap, 500*time.Millisecond)
}

// startNodeAsking is startNode with the engine asking its peers after
// askEvery without progress.
func startNodeAsking(t *testing.T, g *runtime.Genesis, dir string, key ed25519.PrivateKey, bootstrap []string, askEvery time.Duration) *testNode {
	t.Helper()
	ctx := context.Background()
	gh, err := g.Hash()
	if err != nil {
		t.Fatal(err)
	}
	s, err := state.Open(filepath.Join(dir, "state"), state.Options{ChainID: g.ChainID, Genesis: gh})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.Open(ctx, s, rt, g)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{dir: dir, key: key, store: s, rt: rt, txs: &txQueue{}, done: make(chan error, 1)}
	n.local = &Local{Chain: c, Store: s, Mu: &sync.RWMutex{}, GenesisHash: gh}
	hostKey := key
	if hostKey == nil {
		hostKey = seedKey(200)
	}
	var engine atomic.Pointer[Engine]
	n.host, err = p2p.New(ctx, p2p.Config{Key: hostKey, ChainID: g.ChainID, GenesisHash: gh, Bootstrap: bootstrap, Validators: n.local.Known,
		Height: func() uint64 { h, _ := n.local.Head(); return h.Height + 1 },
		AcceptEvidence: func(raw []byte) p2p.Verdict {
			if e := engine.Load(); e != nil {
				return e.AddEvidence(raw)
			}
			return p2p.Ignore
		}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		ChainID: g.ChainID, WALDir: filepath.Join(dir, "wal"),
		Now: func() uint64 { return uint64(time.Now().UnixMilli()) }, MaxGas: g.Params.MaxBlockGas, MaxBytes: int(g.Params.MaxBlockBytes),
		AskEvery: askEvery,
	}
	if key != nil {
		signer, err := privval.Open(key, filepath.Join(dir, "last_signed.json"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Signer = signer
	}
	n.engine = New(cfg, n.local, n.txs, n.host)
	engine.Store(n.engine)
	n.host.Serve(Serving(n.local, n.engine))
	runCtx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	go func() { n.done <- n.engine.Run(runCtx) }()
	return n
}

// stop ends the node as a crash would leave it: the engine stops between
// two steps, nothing is flushed beyond what each step synced.
func (n *testNode) stop(t *testing.T) {
	t.Helper()
	n.cancel()
	if err := <-n.done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("engine: %v", err)
	}
	n.host.Close()
	n.rt.Close(context.Background())
	n.store.Close()
}

func (n *testNode) height() uint64 {
	h, _ := n.local.Head()
	return h.Height
}

// waitHeight waits until every node has committed height h (a hang
// guard, not a speed check).
func waitHeight(t *testing.T, h uint64, nodes ...*testNode) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		all := true
		for _, n := range nodes {
			select {
			case err := <-n.done:
				t.Fatalf("a node stopped: %v", err)
			default:
			}
			all = all && n.height() >= h
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			var hs []uint64
			for _, n := range nodes {
				hs = append(hs, n.height())
			}
			t.Fatalf("waiting for height %d: nodes at %v", h, hs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameChain checks that the nodes hold the same blocks up to h, each
// carrying a commit of its parent that verifies against the validators,
// and each stored with its own commit.
func sameChain(t *testing.T, g *runtime.Genesis, h uint64, nodes ...*testNode) {
	t.Helper()
	for height := uint64(1); height <= h; height++ {
		var first *state.Block
		for i, n := range nodes {
			b, err := n.local.Block(height)
			if err != nil {
				t.Fatalf("node %d: block %d: %v", i, height, err)
			}
			if first == nil {
				first = b
			} else if b.Hash != first.Hash {
				t.Fatalf("height %d: node %d has block %x, node 0 %x", height, i, b.Hash[:4], first.Hash[:4])
			}
			c, err := commit.Decode(b.Commit)
			if err != nil {
				t.Fatalf("node %d: block %d's commit: %v", i, height, err)
			}
			vals, err := n.local.Validators(height)
			if err != nil {
				t.Fatal(err)
			}
			if err := commit.Verify(g.ChainID, c, vals, height, b.Hash); err != nil {
				t.Fatalf("node %d: block %d's commit: %v", i, height, err)
			}
		}
		blk, err := block.Decode(first.Data, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if height == 1 {
			if len(blk.LastCommit) != 0 {
				t.Fatal("block 1 carries a last commit")
			}
			continue
		}
		c, err := commit.Decode(blk.LastCommit)
		if err != nil {
			t.Fatalf("block %d's last commit: %v", height, err)
		}
		if err := commit.Verify(g.ChainID, c, g.Validators, height-1, blk.Header.ParentHash); err != nil {
			t.Fatalf("block %d's last commit: %v", height, err)
		}
	}
}

// startValidators starts the first n validators of g (seedKey(1…n)),
// each in its own directory, bootstrapping from the first.
func startValidators(t *testing.T, g *runtime.Genesis, n int) []*testNode {
	t.Helper()
	var nodes []*testNode
	for i := 0; i < n; i++ {
		var boot []string
		if i > 0 {
			boot = nodes[0].host.Addrs()
		}
		nodes = append(nodes, startNode(t, g, t.TempDir(), seedKey(byte(i+1)), boot))
	}
	return nodes
}

// stopAll stops the nodes still running (nil: stopped already).
func stopAll(t *testing.T, nodes []*testNode) {
	t.Helper()
	for _, n := range nodes {
		if n != nil {
			n.stop(t)
		}
	}
}

func transfer(t *testing.T, nonce uint64) []byte {
	t.Helper()
	to := address.FromPublicKey(seedKey(101).Public().(ed25519.PublicKey))
	raw, err := tx.Sign(&tx.Tx{ChainID: testChain, Nonce: nonce, GasLimit: 200_000, GasPrice: canon.NewU256(1),
		Payload: tx.Payload{Body: tx.Transfer{To: to, Amount: canon.NewU256(1000 + nonce)}}}, seedKey(100))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestFourValidators: four validators on real stores and real libp2p
// hosts on loopback agree on every block; a transaction handed to any
// one of them is committed; every block carries its parent's commit.
// One validator stops (a crash between two steps): the other three keep
// committing; restarted from its WAL and store, it catches up and
// follows again without signing anything that conflicts.
func TestFourValidators(t *testing.T) {
	g := testGenesis(t, 4)
	nodes := startValidators(t, g, 4)
	defer stopAll(t, nodes)
	waitHeight(t, 3, nodes...)

	// A transaction given to node 2 only is committed by all.
	raw := transfer(t, 0)
	nodes[2].txs.add(raw)
	deadline := time.Now().Add(60 * time.Second)
	for {
		loc, _, err := nodes[0].store.Tx(tx.Hash(raw))
		if err == nil {
			t.Logf("transfer committed at height %d", loc.Height)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the transfer was never committed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Node 3 stops; the rest go on.
	dir3 := nodes[3].dir
	nodes[3].stop(t)
	nodes[3] = nil
	at := nodes[0].height()
	waitHeight(t, at+3, nodes[:3]...)

	// It restarts from its WAL and store and catches up.
	away := nodes[0].height() - at // blocks committed without it: 3 or more
	nodes[3] = startNode(t, g, dir3, seedKey(4), nodes[0].host.Addrs())
	at = nodes[0].height()
	waitHeight(t, at+2, nodes...)
	// Those blocks came by catch-up, and their commits lack its
	// signature: the status (and the node's metrics) count them.
	// (It may have committed a block before node 0 did when it stopped,
	// and its WAL may let it decide the height it stopped in by itself:
	// up to two of the blocks counted away need no catch-up.)
	if st := nodes[3].engine.Status(); st.SyncedBlocks+2 < away || st.MissedBlocks+2 < away {
		t.Fatalf("after %d blocks away: %d synced, %d missed; want at least %d each", away, st.SyncedBlocks, st.MissedBlocks, away-2)
	}
	top := nodes[0].height()
	for _, n := range nodes {
		top = min(top, n.height())
	}
	sameChain(t, g, top, nodes...)
	for i, n := range nodes {
		if r1, r0 := n.store.RootHash(), nodes[0].store.RootHash(); n.height() == nodes[0].height() && !bytes.Equal(r1[:], r0[:]) {
			t.Fatalf("node %d: state root %x at the same height as node 0's %x", i, r1[:4], r0[:4])
		}
	}
}

// TestEquivocator: a validator that prevotes twice in each round it sees
// — for the value the others prevote and for nil, or for nil and a value
// no one proposed — is caught. The honest validators make evidence of
// its two votes and gossip it; a block carries it; from the next height
// the validator set no longer holds it, and the three honest validators
// go on agreeing.
func TestEquivocator(t *testing.T) {
	g := testGenesis(t, 4)
	gh, err := g.Hash()
	if err != nil {
		t.Fatal(err)
	}
	nodes := startValidators(t, g, 3)
	defer stopAll(t, nodes)
	byzKey := seedKey(4)
	byzPub := byzKey.Public().(ed25519.PublicKey)
	byz, err := p2p.New(context.Background(), p2p.Config{Key: byzKey, ChainID: g.ChainID, GenesisHash: gh,
		Bootstrap: nodes[0].host.Addrs(), Validators: nodes[0].local.Known})
	if err != nil {
		t.Fatal(err)
	}
	defer byz.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go equivocate(ctx, t, byz, byzKey, nodes[0].local.Known)

	// Wait for a block to carry the evidence.
	deadline := time.Now().Add(90 * time.Second)
	var evHeight uint64
	for evHeight == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no block carried evidence of the equivocation")
		}
		time.Sleep(50 * time.Millisecond)
		for h := uint64(1); h <= nodes[0].height(); h++ {
			b := committed(t, nodes[0], h)
			if len(b.Evidence) == 0 {
				continue
			}
			x, err := evidence.Decode(b.Evidence[0])
			if err != nil || !bytes.Equal(x.PublicKey, byzPub) {
				t.Fatalf("block %d carries evidence %v (%v), not against the equivocator", h, x, err)
			}
			evHeight = h
			break
		}
	}
	waitHeight(t, evHeight+3, nodes...)
	for _, h := range []uint64{evHeight, evHeight + 1} {
		vals, err := nodes[1].local.Validators(h)
		if err != nil {
			t.Fatal(err)
		}
		in := slices.ContainsFunc(vals, func(v runtime.Validator) bool { return bytes.Equal(v.PublicKey, byzPub) })
		if want := h == evHeight; in != want || (!in && len(vals) != 3) {
			t.Fatalf("height %d: equivocator in the set %v, want %v (%d validators)", h, in, want, len(vals))
		}
	}
	top := min(nodes[0].height(), nodes[1].height(), nodes[2].height())
	sameChain(t, g, top, nodes...)
}

// equivocate plays a Byzantine validator on host: for each round's first
// prevote it sees from another validator, it sends two conflicting
// prevotes of its own.
func equivocate(ctx context.Context, t *testing.T, host *p2p.Host, key ed25519.PrivateKey, validators func(uint64) ([]runtime.Validator, bool)) {
	done := map[[2]uint64]bool{}
	for {
		var v p2p.SignedVote
		select {
		case <-ctx.Done():
			return
		case <-host.Proposals():
			continue
		case v = <-host.Votes():
		}
		step := [2]uint64{v.Vote.Height, uint64(v.Vote.Round)}
		if v.Vote.Type != tendermint.Prevote || done[step] {
			continue
		}
		done[step] = true
		vals, ok := validators(v.Vote.Height)
		if !ok {
			continue
		}
		self := slices.IndexFunc(vals, func(x runtime.Validator) bool { return bytes.Equal(x.PublicKey, key.Public().(ed25519.PublicKey)) })
		if self < 0 {
			continue // out of the set: nothing it signs counts any more
		}
		other := v.Vote.Value
		if other == nil {
			other = &tendermint.ValueID{0xba, 0xd}
		}
		for _, value := range []*tendermint.ValueID{other, nil} {
			vote := tendermint.Vote{Type: tendermint.Prevote, Height: v.Vote.Height, Round: v.Vote.Round, Value: value, Validator: self}
			msg, err := privval.VoteSignBytes(testChain, vote)
			if err != nil {
				t.Error(err)
				return
			}
			_ = host.PublishVote(ctx, p2p.SignedVote{Vote: vote, Signature: ed25519.Sign(key, msg)})
		}
	}
}

// committed is node n's block at height h.
func committed(t *testing.T, n *testNode, h uint64) *block.Block {
	t.Helper()
	rec, err := n.local.Block(h)
	if err != nil {
		t.Fatal(err)
	}
	b, err := block.Decode(rec.Data, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFollowerFollowsAnnouncements: a follower that never polls its
// peers (AskEvery of an hour) starts blocks behind and still keeps up:
// each block a validator commits is announced on the committed-blocks
// topic with its commit, and the follower syncs it at once.
func TestFollowerFollowsAnnouncements(t *testing.T) {
	g := testGenesis(t, 4)
	nodes := startValidators(t, g, 4)
	defer func() { stopAll(t, nodes) }()
	waitHeight(t, 4, nodes...)
	follower := startNodeAsking(t, g, t.TempDir(), nil, nodes[0].host.Addrs(), time.Hour)
	nodes = append(nodes, follower)
	waitHeight(t, nodes[0].height()+3, follower)
	if follower.engine.Status().Validator != -1 {
		t.Fatal("the follower votes")
	}
	top := follower.height()
	for _, n := range nodes {
		top = min(top, n.height())
	}
	sameChain(t, g, top, nodes...)
}
