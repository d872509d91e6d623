package p2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
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

// TestBlockAndConsensusRequests: a node fetches a block by hash (the
// answer checked against the hash) and a height's consensus messages
// (each checked as if gossiped: a peer serving a forged vote is refused
// whole), over real loopback streams.
func TestBlockAndConsensusRequests(t *testing.T) {
	hosts, keys, _ := testNetwork(t)
	server, client := hosts[0], hosts[1]
	good := signed(t, keys[0], tendermint.Vote{Type: tendermint.Prevote, Height: 3, Round: 0, Validator: 0})
	forged := signed(t, keys[1], tendermint.Vote{Type: tendermint.Prevote, Height: 4, Round: 0, Validator: 0}) // key 1 signs as validator 0
	prop := tendermint.Proposal{Height: 3, Round: 0, Value: tendermint.ValueID{7}, POLRound: tendermint.NilRound}
	vals, _ := server.cfg.Validators(3)
	prop.Proposer, _ = proposerOf(vals, 3, 0)
	ps, err := privval.Open(keys[prop.Proposer], filepath.Join(t.TempDir(), "last_signed"))
	if err != nil {
		t.Fatal(err)
	}
	psig, err := ps.SignProposal("p2p-test", prop)
	if err != nil {
		t.Fatal(err)
	}
	blockData := []byte("a block")
	hashOf := func(b []byte) ([32]byte, error) { return sha256.Sum256(b), nil }
	server.Serve(Serving{
		Status: func() Status { return Status{} },
		Blocks: func(uint64, uint64) []BlockWithCommit { return nil },
		Block: func(h [32]byte) ([]byte, bool) {
			switch h {
			case sha256.Sum256(blockData):
				return blockData, true
			case sha256.Sum256([]byte("liar")):
				return []byte("not the block asked for"), true
			}
			return nil, false
		},
		Consensus: func(h uint64) ([]SignedVote, []SignedProposal) {
			switch h {
			case 3:
				return []SignedVote{good}, []SignedProposal{{Proposal: prop, Signature: psig}}
			case 4:
				return []SignedVote{forged}, nil
			}
			return nil, nil
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a hang guard
	defer cancel()
	id := server.PeerID()
	got, err := client.RequestBlock(ctx, id, sha256.Sum256(blockData), hashOf)
	if err != nil || string(got) != "a block" {
		t.Fatalf("block by hash: %q %v", got, err)
	}
	if _, err := client.RequestBlock(ctx, id, sha256.Sum256([]byte("liar")), hashOf); !errors.Is(err, ErrBadPeerData) {
		t.Fatalf("a block that is not the one asked for: %v, want ErrBadPeerData", err)
	}
	if _, err := client.RequestBlock(ctx, id, [32]byte{9}, hashOf); err == nil || !strings.Contains(err.Error(), "no block") {
		t.Fatalf("an unknown block: %v", err)
	}
	votes, props, err := client.RequestConsensus(ctx, id, 3)
	if err != nil || len(votes) != 1 || votes[0].Vote.Height != 3 || len(props) != 1 || props[0].Proposal.Value != prop.Value {
		t.Fatalf("consensus messages of height 3: %v %v %v", votes, props, err)
	}
	if _, _, err := client.RequestConsensus(ctx, id, 4); !errors.Is(err, ErrBadPeerData) {
		t.Fatalf("a forged vote served: %v, want ErrBadPeerData", err)
	}
	if votes, props, err := client.RequestConsensus(ctx, id, 5); err != nil || len(votes)+len(props) != 0 {
		t.Fatalf("a height with no messages: %v %v %v", votes, props, err)
	}
}

// TestFutureMessages: a vote of a height the receiver has no validator
// set for yet is ignored by its topic validator but kept, and handed over
// (checked) once the receiver knows that height; older ones are dropped.
func TestFutureMessages(t *testing.T) {
	var known [3]atomic.Uint64
	known[0].Store(12)
	known[1].Store(10)
	known[2].Store(12)
	hosts, keys, _ := testNetworkKnowing(t, &known)
	ctx := context.Background()
	for _, h := range []uint64{11, 12} {
		if err := hosts[0].PublishVote(ctx, signed(t, keys[0], tendermint.Vote{Type: tendermint.Prevote, Height: h, Round: 0, Validator: 0})); err != nil {
			t.Fatal(err)
		}
	}
	// Host 2 knows heights 11 and 12: both arrive through gossip. Host 1
	// does not: they arrive as kept messages, which it can take once it
	// knows them (here: TakeFuture checks them with the set it now has).
	for range 2 {
		receive(t, hosts[2])
	}
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for {
		hosts[1].futureMu.Lock()
		n := len(hosts[1].future)
		hosts[1].futureMu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("host 1 kept %d future messages", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case v := <-hosts[1].Votes():
		t.Fatalf("host 1 was handed a vote of a height it does not know: %v", v.Vote)
	default:
	}
	// At height 10, both are for later: nothing is handed over and
	// nothing is lost.
	if votes, _ := hosts[1].TakeFuture(10); len(votes) != 0 {
		t.Fatalf("took %d votes of heights above 10", len(votes))
	}
	known[1].Store(12)
	votes, _ := hosts[1].TakeFuture(12)
	if len(votes) != 1 || votes[0].Vote.Height != 12 {
		t.Fatalf("took %v at height 12", votes)
	}
	hosts[1].futureMu.Lock()
	left := len(hosts[1].future)
	hosts[1].futureMu.Unlock()
	if left != 0 {
		t.Fatalf("%d messages still kept after taking height 12", left)
	}
}
