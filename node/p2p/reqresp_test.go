package p2p

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestStatusAndBlocks: a host asks another for its status and for a
// range of blocks over real loopback streams; bad ranges are refused,
// answers are bounded, and a peer asking too often is rate-limited.
func TestStatusAndBlocks(t *testing.T) {
	hosts, _, _ := testNetwork(t)
	server, client := hosts[0], hosts[1]
	blocks := map[uint64]BlockWithCommit{}
	for h := uint64(1); h <= 100; h++ {
		blocks[h] = BlockWithCommit{Block: []byte{byte(h), 'b'}, Commit: []byte{byte(h), 'c'}}
	}
	server.Serve(Serving{
		Status: func() Status {
			return Status{ChainID: "p2p-test", GenesisHash: []byte{1}, Base: 1, Height: 100, HeadHash: []byte{100}}
		},
		Blocks: func(start, count uint64) []BlockWithCommit {
			var out []BlockWithCommit
			for h := start; h < start+count; h++ {
				b, ok := blocks[h]
				if !ok {
					break
				}
				out = append(out, b)
			}
			return out
		},
		PerPeerPerSecond: 5,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a hang guard
	defer cancel()
	id := server.PeerID()
	st, err := client.RequestStatus(ctx, id)
	if err != nil || st.Height != 100 || st.ChainID != "p2p-test" || st.Base != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
	got, err := client.RequestBlocks(ctx, id, 95, 10)
	if err != nil || len(got) != 6 || got[0].Block[0] != 95 || got[5].Commit[0] != 100 {
		t.Fatalf("blocks 95…: %d %v", len(got), err)
	}
	if _, err := client.RequestBlocks(ctx, id, 1, MaxBlocksPerRequest+1); err == nil || !strings.Contains(err.Error(), "count") {
		t.Fatalf("too many blocks: %v", err)
	}
	// Five requests a second: the next ones within the same second are
	// refused (three were made already; keep asking until refused, a
	// bounded number of times).
	limited := false
	for range 10 {
		if _, err := client.RequestStatus(ctx, id); errors.Is(err, ErrRateLimited) {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("ten requests at once were never rate-limited")
	}
	// Another peer has its own allowance.
	if _, err := hosts[2].RequestStatus(ctx, id); err != nil {
		t.Fatalf("another peer: %v", err)
	}
	// A peer that serves nothing refuses the protocol.
	if _, err := server.RequestStatus(ctx, client.PeerID()); err == nil {
		t.Fatal("a host that does not serve answered")
	}
}

// TestLimiter: the per-peer bucket refills per second of the given clock.
func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := &limiter{rate: 2, buckets: map[peer.ID]*bucket{}, now: func() time.Time { return now }}
	if !l.allow("a") || !l.allow("a") || l.allow("a") {
		t.Fatal("two a second")
	}
	if !l.allow("b") {
		t.Fatal("peers share a bucket")
	}
	now = now.Add(1500 * time.Millisecond)
	if !l.allow("a") || !l.allow("a") || l.allow("a") {
		t.Fatal("the bucket did not refill")
	}
}
