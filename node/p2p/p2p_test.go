package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"
)

// three real libp2p hosts on loopback, validators of one chain; B and C
// bootstrap from A. Each knows the validator set of heights up to 10.
func testNetwork(t *testing.T) ([]*Host, []ed25519.PrivateKey, []runtime.Validator) {
	t.Helper()
	var known [3]atomic.Uint64
	for i := range known {
		known[i].Store(10)
	}
	return testNetworkKnowing(t, &known)
}

// testNetworkKeys are the three validators' keys and set (no hosts).
func testNetworkKeys(t *testing.T) ([]ed25519.PrivateKey, []runtime.Validator) {
	t.Helper()
	var keys []ed25519.PrivateKey
	var vals []runtime.Validator
	for i := range 3 {
		seed := make([]byte, 32)
		seed[0] = byte(i + 1)
		k := ed25519.NewKeyFromSeed(seed)
		keys = append(keys, k)
		vals = append(vals, runtime.Validator{PublicKey: k.Public().(ed25519.PublicKey), Power: 1, Name: fmt.Sprintf("v%d", i)})
	}
	return keys, vals
}

// testNetworkKnowing is testNetwork with host i knowing the validator set
// of heights up to known[i] (which the test may raise as it goes).
func testNetworkKnowing(t *testing.T, known *[3]atomic.Uint64) ([]*Host, []ed25519.PrivateKey, []runtime.Validator) {
	t.Helper()
	keys, vals := testNetworkKeys(t)
	ctx := context.Background()
	var hosts []*Host
	for i := range 3 {
		provider := func(h uint64) ([]runtime.Validator, bool) { return vals, h <= known[i].Load() }
		cfg := Config{Key: keys[i], ChainID: "p2p-test", GenesisHash: [32]byte{1}, Validators: provider}
		if i > 0 {
			cfg.Bootstrap = hosts[0].Addrs()
		}
		h, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		hosts = append(hosts, h)
	}
	// Gossipsub is ready some heartbeats after peers see each other's
	// subscriptions, and drops what is published before: warm up with
	// probe votes (each different, or they would be deduplicated) until
	// every host has heard host 0, then drain them. A hang guard, not a
	// speed check.
	deadline := time.Now().Add(30 * time.Second)
	heard := make([]bool, len(hosts))
	heard[0] = true
	for round := tendermint.Round(1000); ; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("the hosts never heard each other: %v", heard)
		}
		probe := signed(t, keys[0], tendermint.Vote{Type: tendermint.Prevote, Height: 1, Round: round, Validator: 0})
		if err := hosts[0].PublishVote(ctx, probe); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		all := true
		for i, h := range hosts {
			for drained := false; !drained; {
				select {
				case <-h.Votes():
					heard[i] = true
				default:
					drained = true
				}
			}
			all = all && heard[i]
		}
		if all {
			break
		}
	}
	time.Sleep(200 * time.Millisecond) // let late probes land, then drain them
	for _, h := range hosts {
		for drained := false; !drained; {
			select {
			case <-h.Votes():
			default:
				drained = true
			}
		}
	}
	return hosts, keys, vals
}

func signed(t *testing.T, key ed25519.PrivateKey, v tendermint.Vote) SignedVote {
	t.Helper()
	s, err := privval.Open(key, filepath.Join(t.TempDir(), "last_signed"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.SignVote("p2p-test", v)
	if err != nil {
		t.Fatal(err)
	}
	return SignedVote{Vote: v, Signature: sig}
}

func receive(t *testing.T, h *Host) SignedVote {
	t.Helper()
	select {
	case v := <-h.Votes():
		return v
	case <-time.After(30 * time.Second): // a hang guard
		t.Fatal("no vote arrived")
		return SignedVote{}
	}
}

// TestGossipValidates: a validator's signed vote reaches the other
// hosts; a forged signature, a vote naming no validator, a vote for a
// height without a known set, another chain's vote and garbage never
// leave the publisher (pubsub runs the topic validator on what a host
// publishes too, so peers would reject them the same way); the next good
// vote is what arrives.
func TestGossipValidates(t *testing.T) {
	hosts, keys, _ := testNetwork(t)
	ctx := context.Background()
	a := tendermint.ValueID{0xAA}
	good := signed(t, keys[0], tendermint.Vote{Type: tendermint.Prevote, Height: 1, Round: 0, Value: &a, Validator: 0})
	if err := hosts[0].PublishVote(ctx, good); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts[1:] {
		if got := receive(t, h); got.Vote.Validator != 0 || *got.Vote.Value != a || got.Vote.Type != tendermint.Prevote {
			t.Fatalf("received %+v", got.Vote)
		}
	}

	forged := signed(t, keys[1], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 0, Value: &a, Validator: 2}) // v1's key, v2's name
	stranger := signed(t, keys[0], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 0, Value: &a, Validator: 7})
	farAhead := signed(t, keys[0], tendermint.Vote{Type: tendermint.Precommit, Height: 99, Round: 0, Value: &a, Validator: 0})
	// A host's own validator refuses to send what it would refuse to
	// receive (forged, no such validator); a vote for a height it has no
	// set for is ignored locally, so it is not sent either.
	for _, bad := range []SignedVote{forged, stranger, farAhead} {
		if err := hosts[0].PublishVote(ctx, bad); err == nil {
			t.Fatalf("published %+v", bad.Vote)
		}
	}
	// Another chain's vote on this topic (published raw, as a misbehaving
	// or misconfigured peer would).
	other, err := canon.Marshal(voteEnvelope("elsewhere", signed(t, keys[0], tendermint.Vote{Type: tendermint.Precommit, Height: 2, Round: 0, Value: &a, Validator: 0})))
	if err != nil {
		t.Fatal(err)
	}
	if err := hosts[0].consensus.Publish(ctx, other); err == nil {
		t.Fatal("the publisher's own validator let another chain's vote out")
	}
	if err := hosts[0].consensus.Publish(ctx, []byte("not a vote")); err == nil {
		t.Fatal("garbage was published")
	}
	marker := signed(t, keys[1], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 0, Value: &a, Validator: 1})
	if err := hosts[0].PublishVote(ctx, marker); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts[1:] {
		if got := receive(t, h); got.Vote.Validator != 1 || got.Vote.Type != tendermint.Precommit {
			t.Fatalf("a refused vote got through: %+v", got.Vote)
		}
	}
}

// TestRejectsBadPeers: a peer that runs no validators (a misbehaving or
// foreign node on the same topic) publishes forged, unknown-validator,
// other-chain and garbage messages; the hosts reject every one, and the
// valid vote it sends after them is the first thing they deliver.
func TestRejectsBadPeers(t *testing.T) {
	hosts, keys, _ := testNetwork(t)
	_, topic, publish := rawPeer(t, hosts[0], keys[0])
	ctx := context.Background()
	a := tendermint.ValueID{0xBB}
	publish(signed(t, keys[1], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 5, Value: &a, Validator: 2}), "p2p-test")  // forged
	publish(signed(t, keys[0], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 5, Value: &a, Validator: 9}), "p2p-test")  // no such validator
	publish(signed(t, keys[0], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 5, Value: &a, Validator: 0}), "elsewhere") // another chain
	if err := topic.Publish(ctx, []byte("not a vote")); err != nil {
		t.Fatal(err)
	}
	publish(signed(t, keys[2], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 6, Value: &a, Validator: 2}), "p2p-test") // good
	if got := receive(t, hosts[0]); got.Vote.Validator != 2 || got.Vote.Round != 6 {
		t.Fatalf("a rejected message got through: %+v", got.Vote)
	}
}

// rawPeer is a libp2p host with gossipsub and no validators on the
// consensus topic (a misbehaving or foreign node), connected to h and
// warmed up until h hears it; publish sends a vote envelope for a chain.
func rawPeer(t *testing.T, h *Host, key ed25519.PrivateKey) (host.Host, *pubsub.Topic, func(SignedVote, string)) {
	t.Helper()
	ctx := context.Background()
	raw, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ps, err := pubsub.NewGossipSub(ctx, raw, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { s := sha256.Sum256(m.Data); return string(s[:]) }))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := ps.Join(Topic("p2p-test", [32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topic.Subscribe(); err != nil {
		t.Fatal(err)
	}
	info, err := peer.AddrInfoFromString(h.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Connect(ctx, *info); err != nil {
		t.Fatal(err)
	}
	publish := func(v SignedVote, chain string) {
		t.Helper()
		b, err := canon.Marshal(voteEnvelope(chain, v))
		if err != nil {
			t.Fatal(err)
		}
		if err := topic.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// Warm up until h hears the raw peer.
	deadline := time.Now().Add(30 * time.Second)
	for round := tendermint.Round(2000); ; round++ {
		if time.Now().After(deadline) {
			t.Fatal("the host never heard the raw peer")
		}
		publish(signed(t, key, tendermint.Vote{Type: tendermint.Prevote, Height: 1, Round: round, Validator: 0}), "p2p-test")
		time.Sleep(100 * time.Millisecond)
		if len(h.Votes()) > 0 {
			break
		}
	}
	time.Sleep(200 * time.Millisecond)
	for len(h.Votes()) > 0 {
		<-h.Votes()
	}
	return raw, topic, publish
}

// TestPeerScoring: a peer that relays invalid messages loses score with
// each, and after a dozen is graylisted — even its valid votes are then
// ignored — while the honest peers keep a score of at least zero.
func TestPeerScoring(t *testing.T) {
	hosts, keys, _ := testNetwork(t)
	raw, topic, publish := rawPeer(t, hosts[0], keys[0])
	ctx := context.Background()
	// waitScore waits for host 0's score of p to satisfy ok (scores
	// refresh every second; a hang guard, not a speed check).
	waitScore := func(p peer.ID, what string, ok func(float64) bool) float64 {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			s, known := hosts[0].PeerScore(p)
			if known && ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("score of %s: %v (known %v), want %s", p, s, known, what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for i := range 3 {
		if err := topic.Publish(ctx, []byte(fmt.Sprintf("garbage %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	s3 := waitScore(raw.ID(), "negative", func(s float64) bool { return s < 0 })
	for i := 3; i < 12; i++ {
		if err := topic.Publish(ctx, []byte(fmt.Sprintf("garbage %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	s12 := waitScore(raw.ID(), "graylisted", func(s float64) bool { return s <= graylistThreshold })
	t.Logf("score after 3 invalid messages %.0f, after 12 %.0f", s3, s12)
	// Graylisted: a valid vote from it is not delivered (a second is
	// ample for it to arrive if it were); one from an honest host, sent
	// after it, is.
	a := tendermint.ValueID{0xCC}
	publish(signed(t, keys[2], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 8, Value: &a, Validator: 2}), "p2p-test")
	time.Sleep(time.Second)
	if err := hosts[1].PublishVote(ctx, signed(t, keys[1], tendermint.Vote{Type: tendermint.Precommit, Height: 1, Round: 9, Value: &a, Validator: 1})); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, hosts[0]); got.Vote.Round != 9 {
		t.Fatalf("the graylisted peer's vote got through: %+v", got.Vote)
	}
	for _, h := range hosts[1:] {
		waitScore(h.h.ID(), "at least zero", func(s float64) bool { return s >= 0 })
	}
}

// TestProposals: the round's proposer's signed proposal reaches the
// others; a proposal by anyone else for that round, a forged one and a
// malformed POL round never leave the publisher.
func TestProposals(t *testing.T) {
	hosts, keys, vals := testNetwork(t)
	ctx := context.Background()
	proposer, err := proposerOf(vals, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(signer int, p tendermint.Proposal) SignedProposal {
		t.Helper()
		s, err := privval.Open(keys[signer], filepath.Join(t.TempDir(), "last_signed"))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.SignProposal("p2p-test", p)
		if err != nil {
			t.Fatal(err)
		}
		return SignedProposal{Proposal: p, Signature: sig}
	}
	other := (proposer + 1) % len(vals)
	block := tendermint.ValueID{0xCC}
	for _, bad := range []SignedProposal{
		sign(other, tendermint.Proposal{Height: 1, Round: 0, Value: block, POLRound: -1, Proposer: other}),      // not the proposer
		sign(other, tendermint.Proposal{Height: 1, Round: 0, Value: block, POLRound: -1, Proposer: proposer}),   // forged
		sign(proposer, tendermint.Proposal{Height: 1, Round: 0, Value: block, POLRound: 0, Proposer: proposer}), // POL round not below the round
	} {
		if err := hosts[proposer].PublishProposal(ctx, bad); err == nil {
			t.Fatalf("published %+v", bad.Proposal)
		}
	}
	good := sign(proposer, tendermint.Proposal{Height: 1, Round: 0, Value: block, POLRound: -1, Proposer: proposer})
	if err := hosts[proposer].PublishProposal(ctx, good); err != nil {
		t.Fatal(err)
	}
	for i, h := range hosts {
		if i == proposer {
			continue
		}
		select {
		case p := <-h.Proposals():
			if p.Proposal != good.Proposal {
				t.Fatalf("host %d received %+v", i, p.Proposal)
			}
		case <-time.After(30 * time.Second): // a hang guard
			t.Fatalf("host %d received no proposal", i)
		}
	}
}

// TestTransactions: a transaction published by one host reaches the
// other's AcceptTx over the transactions topic; one the receiver rejects
// is not relayed further, and one it ignores is not either.
func TestTransactions(t *testing.T) {
	ctx := context.Background()
	var keys []ed25519.PrivateKey
	for i := range 3 {
		seed := make([]byte, 32)
		seed[0] = byte(i + 40)
		keys = append(keys, ed25519.NewKeyFromSeed(seed))
	}
	none := func(uint64) ([]runtime.Validator, bool) { return nil, false }
	got := make([]chan string, 3)
	var hosts []*Host
	// Probes (the warm-up) are reported on probed, the rest on got: a
	// probe gossip delivers late must not pass for a relayed test
	// transaction.
	probed := make([]chan struct{}, 3)
	for i := range 3 {
		got[i] = make(chan string, 64)
		probed[i] = make(chan struct{}, 1)
		cfg := Config{Key: keys[i], ChainID: "p2p-test", GenesisHash: [32]byte{1}, Validators: none,
			AcceptTx: func(raw []byte) Verdict {
				if strings.HasPrefix(string(raw), "probe") {
					select {
					case probed[i] <- struct{}{}:
					default:
					}
					return Accept
				}
				got[i] <- string(raw)
				switch {
				case strings.HasPrefix(string(raw), "bad"):
					return Reject
				case strings.HasPrefix(string(raw), "old"):
					return Ignore
				}
				return Accept
			}}
		if i > 0 {
			cfg.Bootstrap = hosts[i-1].Addrs() // a line: 0 — 1 — 2
		}
		h, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		hosts = append(hosts, h)
	}
	// Publish distinct probes until host 2, two hops away, has one (the
	// mesh forms over a few heartbeats); a hang guard, not a speed check.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		if err := hosts[0].PublishTx(ctx, fmt.Appendf(nil, "probe %d", i)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-probed[2]:
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no transaction crossed two hops")
			}
			continue
		}
		break
	}
	// Each in a batch of its own.
	for _, raw := range []string{"bad tx", "old tx", "good tx"} {
		if err := hosts[0].PublishTx(ctx, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		hosts[0].FlushTxs()
	}
	// Host 1 sees all three; only the accepted one goes on to host 2.
	var at1 []string
	for range 3 {
		select {
		case s := <-got[1]:
			at1 = append(at1, s)
		case <-time.After(30 * time.Second):
			t.Fatalf("host 1 saw only %q", at1)
		}
	}
	select {
	case s := <-got[2]:
		if s != "good tx" {
			t.Fatalf("host 2 got %q relayed", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the accepted transaction never reached host 2")
	}
	time.Sleep(300 * time.Millisecond)
	if len(got[2]) != 0 {
		t.Fatalf("host 2 got %q too", <-got[2])
	}

	// Transactions published together travel as one batch, judged
	// whole: a batch of good ones reaches host 2 entire; one holding a
	// rejected transaction stops at host 1, good ones and all.
	for _, raw := range []string{"good 1", "good 2", "old 3"} {
		if err := hosts[0].PublishTx(ctx, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	hosts[0].FlushTxs()
	var at2 []string
	for range 3 {
		select {
		case s := <-got[2]:
			at2 = append(at2, s)
		case <-time.After(30 * time.Second):
			t.Fatalf("host 2 got only %q of the batch", at2)
		}
	}
	if strings.Join(at2, ",") != "good 1,good 2,old 3" {
		t.Fatalf("host 2 got %q", at2)
	}
	for _, raw := range []string{"good 4", "bad 5"} {
		if err := hosts[0].PublishTx(ctx, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	hosts[0].FlushTxs()
	time.Sleep(500 * time.Millisecond)
	for len(got[1]) > 0 {
		<-got[1]
	}
	if len(got[2]) != 0 {
		t.Fatalf("a batch with a rejected transaction was relayed: host 2 got %q", <-got[2])
	}
	if len(got[0]) != 0 {
		t.Fatalf("the publisher's own AcceptTx ran on its transaction %q", <-got[0])
	}
}

// TestMDNS: two hosts of one chain with mDNS on and no bootstrap peers
// find and connect to each other on the local network.
func TestMDNS(t *testing.T) {
	none := func(uint64) ([]runtime.Validator, bool) { return nil, false }
	var hosts []*Host
	for i := range 2 {
		seed := make([]byte, 32)
		seed[0] = byte(i + 70)
		h, err := New(context.Background(), Config{Key: ed25519.NewKeyFromSeed(seed), ChainID: "mdns-test", GenesisHash: [32]byte{2},
			Validators: none, MDNS: true, Listen: []string{"/ip4/0.0.0.0/tcp/0"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		hosts = append(hosts, h)
	}
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for hosts[0].Peers() == 0 || hosts[1].Peers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hosts never found each other by mDNS")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStaleIgnored: a node deciding height 5 ignores — without checking
// the signature — a vote of height 3 and an announcement of block 3,
// however valid; a vote of height 5 it accepts.
func TestStaleIgnored(t *testing.T) {
	keys, vals := testNetworkKeys(t)
	checked := 0
	n := &Host{cfg: Config{ChainID: "p2p-test", Height: func() uint64 { return 5 },
		Validators: func(uint64) ([]runtime.Validator, bool) { checked++; return vals, true }}}
	a := tendermint.ValueID{0xAB}
	vote := func(h uint64) []byte {
		b, err := canon.Marshal(voteEnvelope("p2p-test", signed(t, keys[0], tendermint.Vote{Type: tendermint.Prevote, Height: h, Round: 0, Value: &a, Validator: 0})))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, _, _, res := n.check(vote(3)); res != pubsub.ValidationIgnore || checked != 0 {
		t.Fatalf("stale vote: %v, %d validator lookups", res, checked)
	}
	if _, _, _, res := n.check(vote(5)); res != pubsub.ValidationAccept {
		t.Fatalf("current vote: %v", res)
	}
	ann, err := canon.Marshal(announcement{ChainID: "p2p-test", Height: 3, Hash: a[:], Commit: []byte{0x80}})
	if err != nil {
		t.Fatal(err)
	}
	checked = 0
	if _, res := n.checkCommitted(ann); res != pubsub.ValidationIgnore || checked != 0 {
		t.Fatalf("stale announcement: %v, %d validator lookups", res, checked)
	}
}
