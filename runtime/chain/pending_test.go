package chain

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/state"
)

// TestPendingBlocks is consensus's use of the chain: a proposer builds a
// block without committing it, a validator executes the same block on its
// own store without committing, either may hold two candidates for one
// height (two rounds' proposals), and only the decided one is committed —
// with the commit that decided it, which the store keeps beside the block.
// The next block carries that commit; a block whose header does not name
// its last commit is refused.
func TestPendingBlocks(t *testing.T) {
	ctx := context.Background()
	net := newNet(t, 2)
	proposer, ps := openChain(t, t.TempDir(), net.genesis)
	validator, vs := openChain(t, t.TempDir(), net.genesis)
	defer ps.Close()
	defer vs.Close()

	t0 := net.genesis.Time + 1000
	a, err := proposer.Build(ctx, Draft{Txs: [][]byte{net.transfer(t, 0, 1, 5, 0)}, Time: t0, Proposer: net.proposer})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proposer.Build(ctx, Draft{Time: t0 + 1, Proposer: net.proposer}) // another round's proposal
	if err != nil {
		t.Fatal(err)
	}
	if ps.Height() != 0 || a.Hash == b.Hash {
		t.Fatalf("building wrote height %d, or two different blocks share hash %x", ps.Height(), a.Hash[:4])
	}
	got, err := validator.Execute(ctx, a.Block)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != a.Hash || got.Out.StateRoot != a.Out.StateRoot || vs.Height() != 0 {
		t.Fatalf("executed %x root %x (height %d), built %x root %x", got.Hash[:4], got.Out.StateRoot[:4], vs.Height(), a.Hash[:4], a.Out.StateRoot[:4])
	}
	if _, err := validator.Execute(ctx, b.Block); err != nil {
		t.Fatal(err)
	}

	commit1 := []byte("the precommits deciding block 1")
	for _, c := range []struct {
		chain *Chain
		p     *Pending
	}{{proposer, a}, {validator, got}} {
		if err := c.chain.CommitPending(c.p, commit1); err != nil {
			t.Fatal(err)
		}
	}
	// The other candidate was prepared over the state before block 1.
	if err := proposer.CommitPending(b, commit1); !errors.Is(err, state.ErrHeight) {
		t.Fatalf("committing a second block at height 1: %v, want ErrHeight", err)
	}
	for _, s := range []*state.Store{ps, vs} {
		stored, err := s.BlockAt(1)
		if err != nil || stored.Hash != a.Hash || !bytes.Equal(stored.Commit, commit1) {
			t.Fatalf("block 1 stored as %x with commit %q (%v)", stored.Hash[:4], stored.Commit, err)
		}
	}
	if ph, _ := proposer.Head(); ph.Height != 1 {
		t.Fatalf("proposer head at %d", ph.Height)
	}

	// Block 2 carries block 1's commit, named by its header.
	c, err := proposer.Build(ctx, Draft{Time: t0 + 2000, Proposer: net.proposer, LastCommit: commit1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Block.Header.LastCommitHash != block.LastCommitHash(commit1) || !bytes.Equal(c.Block.LastCommit, commit1) {
		t.Fatalf("block 2 names last commit %x", c.Block.Header.LastCommitHash[:4])
	}
	if _, err := validator.Execute(ctx, c.Block); err != nil {
		t.Fatal(err)
	}
	forged := *c.Block
	forged.LastCommit = []byte("another commit")
	if _, err := validator.Execute(ctx, &forged); !errors.Is(err, block.ErrHeader) {
		t.Fatalf("a block whose last commit is not the one its header names: %v, want ErrHeader", err)
	}
	if vs.Height() != 1 {
		t.Fatalf("executing wrote: height %d", vs.Height())
	}
}

// TestValidatorsByHeight: the set in force at a height is the genesis set
// for block 1, the state's after the previous block otherwise; heights
// beyond the next are refused.
func TestValidatorsByHeight(t *testing.T) {
	ctx := context.Background()
	net := newNet(t, 1)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	for h := uint64(1); h <= 3; h++ {
		if _, _, err := c.Propose(ctx, nil, net.genesis.Time+h*1000, net.proposer); err != nil {
			t.Fatal(err)
		}
	}
	for h := uint64(1); h <= 4; h++ {
		vs, err := c.Validators(h)
		if err != nil || len(vs) != 1 || !bytes.Equal(vs[0].PublicKey, net.genesis.Validators[0].PublicKey) {
			t.Fatalf("validators of %d: %v %v", h, vs, err)
		}
	}
	for _, h := range []uint64{0, 5} {
		if _, err := c.Validators(h); err == nil {
			t.Fatalf("validators of height %d with the head at 3: no error", h)
		}
	}
}
