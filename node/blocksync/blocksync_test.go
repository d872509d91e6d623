package blocksync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/plinthchain/plinth/node/p2p"
)

func blockAt(h uint64) p2p.BlockWithCommit {
	return p2p.BlockWithCommit{Block: []byte(fmt.Sprintf("block %d", h)), Commit: []byte(fmt.Sprintf("commit %d", h))}
}

// fakePeer serves the chain up to height top, tampering with the block
// at height bad (0: none), or failing every request.
type fakePeer struct {
	id       string
	top, bad uint64
	fail     bool
	mu       sync.Mutex
	asked    int
}

func (p *fakePeer) ID() string { return p.id }

func (p *fakePeer) Blocks(_ context.Context, start, count uint64) ([]p2p.BlockWithCommit, error) {
	p.mu.Lock()
	p.asked++
	p.mu.Unlock()
	if p.fail {
		return nil, errors.New("timeout")
	}
	var out []p2p.BlockWithCommit
	for h := start; h < start+count && h <= p.top; h++ {
		b := blockAt(h)
		if h == p.bad {
			b.Commit = []byte("forged")
		}
		out = append(out, b)
	}
	return out, nil
}

// node applies blocks in order; Verify plays the hash link and commit
// check by comparing with the true chain.
type node struct {
	applied []uint64
}

func (n *node) cfg() Config {
	return Config{
		Window: 10,
		Verify: func(h uint64, b p2p.BlockWithCommit) error {
			if want := uint64(len(n.applied)) + 1; h != want {
				return fmt.Errorf("verify called for %d before %d", h, want)
			}
			if w := blockAt(h); !bytes.Equal(b.Block, w.Block) || !bytes.Equal(b.Commit, w.Commit) {
				return errors.New("the commit does not check")
			}
			return nil
		},
		Apply: func(_ context.Context, h uint64, _ p2p.BlockWithCommit) error {
			n.applied = append(n.applied, h)
			return nil
		},
	}
}

// TestSyncAroundBadPeers: a forger, a peer that always fails and one
// that has only part of the chain cannot stop a sync while an honest peer
// remains; the forger is banned, the failing peer is not (it may be slow,
// not malicious), and every block is applied once, in order.
func TestSyncAroundBadPeers(t *testing.T) {
	evil := &fakePeer{id: "evil", top: 200, bad: 75}
	flaky := &fakePeer{id: "flaky", fail: true}
	short := &fakePeer{id: "short", top: 60}
	good := &fakePeer{id: "good", top: 200}
	n := &node{}
	s := New(n.cfg(), []Peer{evil, flaky, short, good})
	if err := s.Run(context.Background(), 1, 200); err != nil {
		t.Fatal(err)
	}
	if len(n.applied) != 200 || n.applied[199] != 200 {
		t.Fatalf("applied %d blocks, last %v", len(n.applied), n.applied[len(n.applied)-1])
	}
	banned := s.Banned()
	if banned["evil"] == nil || len(banned) != 1 {
		t.Fatalf("banned: %v", banned)
	}
	if flaky.asked == 0 || good.asked == 0 {
		t.Fatalf("requests: flaky %d, good %d", flaky.asked, good.asked)
	}
}

// TestSyncRunsOutOfPeers: when every peer forged or failed, the sync
// stops with ErrNoPeers having applied only what checked.
func TestSyncRunsOutOfPeers(t *testing.T) {
	n := &node{}
	s := New(n.cfg(), []Peer{&fakePeer{id: "e1", top: 50, bad: 2}, &fakePeer{id: "e2", top: 50, bad: 2}, &fakePeer{id: "f", fail: true}})
	err := s.Run(context.Background(), 1, 50)
	if !errors.Is(err, ErrNoPeers) {
		t.Fatalf("with only bad peers: %v", err)
	}
	// Both forge height 2 and the third never answers: only block 1 is
	// applied, and both forgers are banned.
	if len(n.applied) != 1 || len(s.Banned()) != 2 {
		t.Fatalf("applied %v, banned %v", n.applied, s.Banned())
	}
}
