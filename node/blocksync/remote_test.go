package blocksync

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
)

// TestSyncOverLibp2p: a node catches up 300 blocks from a real host on
// loopback, through blocks-by-range.
func TestSyncOverLibp2p(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a hang guard
	defer cancel()
	vals := func(uint64) ([]runtime.Validator, bool) { return nil, true }
	newHost := func(seed byte, boot []string) *p2p.Host {
		key := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
		h, err := p2p.New(ctx, p2p.Config{Key: key, ChainID: "sync-test", Validators: vals, Bootstrap: boot})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	}
	server := newHost(1, nil)
	server.Serve(p2p.Serving{
		Status: func() p2p.Status { return p2p.Status{ChainID: "sync-test", Height: 300} },
		Blocks: func(start, count uint64) []p2p.BlockWithCommit {
			var out []p2p.BlockWithCommit
			for h := start; h < start+count && h <= 300; h++ {
				out = append(out, blockAt(h))
			}
			return out
		},
		PerPeerPerSecond: 1000,
	})
	client := newHost(2, server.Addrs())
	n := &node{}
	cfg := n.cfg()
	cfg.Window = 64
	s := New(cfg, []Peer{Remote(client, server.PeerID())})
	if err := s.Run(ctx, 1, 300); err != nil {
		t.Fatal(err)
	}
	if len(n.applied) != 300 {
		t.Fatalf("applied %d blocks", len(n.applied))
	}
}
