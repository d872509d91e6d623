// Package p2p is the node's network: a libp2p host (Noise-secured, its
// identity the node key, a resource manager bounding what peers may
// use) joined to gossipsub topics named by chain and genesis, on which
// consensus messages travel with application-level signatures. Every
// topic has a validator: a message that does not decode, is for another
// chain, names no validator of its height or carries a bad signature is
// rejected (and counts against the peer that relayed it); one for a
// height the node has no validator set for is ignored (docs/p2p.md).
package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/multiformats/go-multiaddr"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"
)

// DefaultMaxMessageBytes bounds a gossiped message: a batch holding a
// transaction up to the chain's largest (MaxTxBytes, 5 MiB: a deploy of
// 4 MiB of code and its envelope), with room for the batch's framing.
// Votes and proposals are far smaller (maxConsensusBytes); blocks never
// travel by gossip: they are fetched by hash (BlockProtocol).
const DefaultMaxMessageBytes = 5<<20 + 1<<10

// queueSize bounds gossipsub's per-peer outbound and validation queues.
const queueSize = 8192

// maxConsensusBytes bounds a vote or proposal envelope.
const maxConsensusBytes = 4 << 10

// Verdict is what the node says of a transaction a peer gossiped.
type Verdict int

const (
	// Accept: the node took it (into its mempool); it is relayed.
	Accept Verdict = iota
	// Ignore: well-formed but not wanted now (known already, a stale
	// nonce, a full pool): not relayed, not held against the peer.
	Ignore
	// Reject: malformed, badly signed, another chain's: the peer that
	// relayed it is penalised.
	Reject
)

// Config configures a Host.
type Config struct {
	// Key is the node's identity (its libp2p peer id derives from it).
	Key ed25519.PrivateKey
	// Listen are multiaddrs to listen on; default 127.0.0.1, any port.
	Listen []string
	// Bootstrap are peers to connect to at start (multiaddrs with /p2p/).
	Bootstrap []string
	// MDNS finds and dials peers of the same chain on the local network.
	MDNS        bool
	ChainID     string
	GenesisHash [32]byte
	// MaxMessageBytes bounds a gossiped message (DefaultMaxMessageBytes).
	MaxMessageBytes int
	// Validators returns the validator set in force at a height, or false
	// if the node does not know it (too far ahead): such messages are
	// ignored, neither delivered nor held against the peer.
	Validators func(height uint64) ([]runtime.Validator, bool)
	// Height, if set, is the height the node is deciding (its head's + 1):
	// consensus messages of lower heights, and announcements of blocks
	// below its head, are stale — ignored, neither delivered nor relayed
	// nor held against the peer, and not checked (checking costs
	// signatures).
	Height func() uint64
	// AcceptTx takes a transaction gossiped by a peer (into the mempool)
	// and says what became of it; nil leaves the node off the
	// transactions topic.
	AcceptTx func(raw []byte) Verdict
	// AcceptEvidence takes evidence of equivocation gossiped by a peer
	// (into the evidence pool) and says what became of it; nil leaves the
	// node off the evidence topic.
	AcceptEvidence func(raw []byte) Verdict
	// DropPercent drops that share of what peers send — gossiped
	// messages before validation, request streams before an answer — to
	// test that the network survives loss. Fault injection: 0 outside
	// tests.
	DropPercent int
	Logger      *slog.Logger
}

// SignedVote is a vote with its validator's signature
// (privval.VoteSignBytes).
type SignedVote struct {
	Vote      tendermint.Vote
	Signature []byte
}

// SignedProposal is a proposal with its proposer's signature
// (privval.ProposalSignBytes). Its block travels separately.
type SignedProposal struct {
	Proposal  tendermint.Proposal
	Signature []byte
}

// Kinds of consensus message.
const (
	kindPrevote   = uint8(tendermint.Prevote)
	kindPrecommit = uint8(tendermint.Precommit)
	kindProposal  = 3
)

// envelope is a consensus message on the wire: a vote (Validator is the
// voter, POLRound unused) or a proposal (Validator is the proposer).
type envelope struct {
	_         struct{} `cbor:",toarray"`
	ChainID   string
	Kind      uint8
	Height    uint64
	Round     int64
	Value     []byte // empty: a nil vote
	Validator uint64
	POLRound  int64
	Signature []byte
}

// Host is a running network node.
type Host struct {
	cfg       Config
	h         host.Host
	ps        *pubsub.PubSub
	consensus *pubsub.Topic
	sub       *pubsub.Subscription
	txTopic   *pubsub.Topic
	txSub     *pubsub.Subscription
	txs       *txBatcher
	evTopic   *pubsub.Topic
	evSub     *pubsub.Subscription
	// The committed-blocks topic (committed.go).
	blocksTopic *pubsub.Topic
	blocksSub   *pubsub.Subscription
	committed   chan Committed
	votes       chan SignedVote
	proposals   chan SignedProposal
	futureMu    sync.Mutex
	future      [][]byte // messages of heights not known yet, oldest first
	cancel      context.CancelFunc
	done        chan struct{}
	mdns        interface{ Close() error }
	scoreMu     sync.Mutex
	scores      map[peer.ID]float64
}

// mdnsNotifee dials the peers mDNS finds.
type mdnsNotifee struct {
	h   host.Host
	log *slog.Logger
}

func (m mdnsNotifee) HandlePeerFound(pi peer.AddrInfo) {
	if pi.ID == m.h.ID() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.h.Connect(ctx, pi); err != nil {
		m.log.Debug("mdns peer unreachable", "peer", pi.ID, "err", err)
	}
}

// Topic names the consensus topic of a chain: chain id and genesis hash
// keep chains that share a network apart.
func Topic(chainID string, genesis [32]byte) string {
	return topicPrefix(chainID, genesis) + "/consensus"
}

func topicPrefix(chainID string, genesis [32]byte) string {
	return "/plinth/" + chainID + "/" + hex.EncodeToString(genesis[:8])
}

// TxTopic names the transactions topic of a chain.
func TxTopic(chainID string, genesis [32]byte) string {
	return topicPrefix(chainID, genesis) + "/txs"
}

// EvidenceTopic names the evidence topic of a chain.
func EvidenceTopic(chainID string, genesis [32]byte) string {
	return topicPrefix(chainID, genesis) + "/evidence"
}

// New starts a host, joins the consensus topic and connects to the
// bootstrap peers.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if len(cfg.Listen) == 0 {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Validators == nil {
		return nil, errors.New("p2p: no validator set provider")
	}
	key, err := crypto.UnmarshalEd25519PrivateKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("p2p: node key: %w", err)
	}
	// The resource manager's scaled defaults bound connections, streams
	// and memory per peer and in all (docs/p2p.md).
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(rcmgr.DefaultLimits.AutoScale()))
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	h, err := libp2p.New(libp2p.Identity(key), libp2p.ListenAddrStrings(cfg.Listen...),
		libp2p.Security(noise.ID, noise.New), libp2p.ResourceManager(rm))
	if err != nil {
		return nil, fmt.Errorf("p2p: host: %w", err)
	}
	n := &Host{cfg: cfg, h: h, votes: make(chan SignedVote, 1024), proposals: make(chan SignedProposal, 64),
		committed: make(chan Committed, 16), done: make(chan struct{})}
	name := Topic(cfg.ChainID, cfg.GenesisHash)
	score, thresholds := scoreParams([]string{name, TxTopic(cfg.ChainID, cfg.GenesisHash), EvidenceTopic(cfg.ChainID, cfg.GenesisHash),
		BlocksTopic(cfg.ChainID, cfg.GenesisHash)})
	// Messages carry their own signatures; pubsub's are off, and a
	// message is known by its content.
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithPeerScore(score, thresholds),
		pubsub.WithPeerScoreInspect(n.inspectScores, time.Second),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { s := sha256.Sum256(m.Data); return string(s[:]) }),
		pubsub.WithMaxMessageSize(cfg.MaxMessageBytes),
		// Transactions share the queues with votes: gossipsub's defaults
		// (32 messages per peer and in validation) drop votes under a
		// few thousand transactions a second, and a dropped vote costs a
		// round trip to recover (docs/p2p.md).
		pubsub.WithPeerOutboundQueueSize(queueSize),
		pubsub.WithValidateQueueSize(queueSize))
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.ps = ps
	if err := ps.RegisterTopicValidator(name, n.validate); err != nil {
		h.Close()
		return nil, fmt.Errorf("p2p: %w", err)
	}
	if n.consensus, err = ps.Join(name); err != nil {
		h.Close()
		return nil, fmt.Errorf("p2p: join %s: %w", name, err)
	}
	if n.sub, err = n.consensus.Subscribe(pubsub.WithBufferSize(queueSize)); err != nil {
		h.Close()
		return nil, fmt.Errorf("p2p: subscribe %s: %w", name, err)
	}
	if cfg.AcceptTx != nil {
		accept := func(data []byte) Verdict { return judgeBatch(data, cfg.AcceptTx) }
		if n.txTopic, n.txSub, err = n.joinChecked(TxTopic(cfg.ChainID, cfg.GenesisHash), accept); err != nil {
			h.Close()
			return nil, err
		}
		topic := n.txTopic
		n.txs = &txBatcher{publish: func(ctx context.Context, data []byte) error { return topic.Publish(ctx, data) }, onError: func(err error) { cfg.Logger.Debug("publishing transactions", "err", err) }}
	}
	if cfg.AcceptEvidence != nil {
		if n.evTopic, n.evSub, err = n.joinChecked(EvidenceTopic(cfg.ChainID, cfg.GenesisHash), cfg.AcceptEvidence); err != nil {
			h.Close()
			return nil, err
		}
	}
	var boot []peer.AddrInfo
	for _, a := range cfg.Bootstrap {
		info, err := peer.AddrInfoFromString(a)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("p2p: bootstrap peer %q: %w", a, err)
		}
		boot = append(boot, *info)
	}
	for _, info := range boot {
		if err := h.Connect(ctx, info); err != nil {
			cfg.Logger.Warn("bootstrap peer unreachable", "peer", info.ID, "err", err)
		}
	}
	if cfg.MDNS {
		// The service name carries the chain, so nodes of other chains
		// on the LAN do not dial each other.
		svc := mdns.NewMdnsService(h, "plinth-"+cfg.ChainID+"-"+hex.EncodeToString(cfg.GenesisHash[:4]), mdnsNotifee{h: h, log: cfg.Logger})
		if err := svc.Start(); err != nil {
			h.Close()
			return nil, fmt.Errorf("p2p: mdns: %w", err)
		}
		n.mdns = svc
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if err := n.joinBlocks(loopCtx); err != nil {
		cancel()
		h.Close()
		return nil, err
	}
	go n.read(loopCtx)
	if len(boot) > 0 {
		go n.redial(loopCtx, boot)
	}
	for _, sub := range []*pubsub.Subscription{n.txSub, n.evSub} {
		if sub == nil {
			continue
		}
		// The topic's validator hands each message to the node (the
		// mempool, the evidence pool); what the subscription delivers
		// after it is only drained.
		go func() {
			for {
				if _, err := sub.Next(loopCtx); err != nil {
					return
				}
			}
		}()
	}
	return n, nil
}

// joinChecked joins a topic whose messages the node takes in its
// validator, accept: what it accepts is relayed, what it rejects counts
// against the peer that sent it.
func (n *Host) joinChecked(name string, accept func([]byte) Verdict) (*pubsub.Topic, *pubsub.Subscription, error) {
	self := n.h.ID()
	err := n.ps.RegisterTopicValidator(name, func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from == self {
			return pubsub.ValidationAccept // the node's own: it took it before publishing
		}
		if n.drop() {
			return pubsub.ValidationIgnore
		}
		switch accept(m.Data) {
		case Accept:
			return pubsub.ValidationAccept
		case Reject:
			return pubsub.ValidationReject
		}
		return pubsub.ValidationIgnore
	})
	if err != nil {
		return nil, nil, fmt.Errorf("p2p: %s: %w", name, err)
	}
	t, err := n.ps.Join(name)
	if err != nil {
		return nil, nil, fmt.Errorf("p2p: join %s: %w", name, err)
	}
	sub, err := t.Subscribe()
	if err != nil {
		return nil, nil, fmt.Errorf("p2p: subscribe %s: %w", name, err)
	}
	return t, sub, nil
}

// Addrs are the host's addresses, each with its peer id: what another
// node's Bootstrap lists.
func (n *Host) Addrs() []string {
	self, _ := multiaddr.NewMultiaddr("/p2p/" + n.h.ID().String())
	var out []string
	for _, a := range n.h.Addrs() {
		out = append(out, a.Encapsulate(self).String())
	}
	return out
}

// Peers is how many peers the host is connected to.
func (n *Host) Peers() int { return len(n.h.Network().Peers()) }

// TopicPeers is how many peers share the consensus topic.
func (n *Host) TopicPeers() int { return len(n.consensus.ListPeers()) }

// PublishTx gossips a transaction the node's mempool accepted, in the
// next batch (txbatch.go).
func (n *Host) PublishTx(_ context.Context, raw []byte) error {
	if n.txs == nil {
		return errors.New("p2p: not on the transactions topic")
	}
	n.txs.add(raw)
	return nil
}

// FlushTxs sends the batch being gathered now.
func (n *Host) FlushTxs() {
	if n.txs != nil {
		n.txs.flush()
	}
}

// PublishEvidence gossips evidence the node's pool accepted.
func (n *Host) PublishEvidence(ctx context.Context, raw []byte) error {
	if n.evTopic == nil {
		return errors.New("p2p: not on the evidence topic")
	}
	return n.evTopic.Publish(ctx, raw)
}

// Votes delivers the votes peers sent, checked.
func (n *Host) Votes() <-chan SignedVote { return n.votes }

// PublishVote gossips a signed vote.
func (n *Host) PublishVote(ctx context.Context, v SignedVote) error {
	return n.publish(ctx, voteEnvelope(n.cfg.ChainID, v))
}

// PublishProposal gossips a signed proposal.
func (n *Host) PublishProposal(ctx context.Context, p SignedProposal) error {
	return n.publish(ctx, proposalEnvelope(n.cfg.ChainID, p))
}

func proposalEnvelope(chainID string, p SignedProposal) envelope {
	return envelope{ChainID: chainID, Kind: kindProposal, Height: p.Proposal.Height, Round: int64(p.Proposal.Round),
		Value: append([]byte(nil), p.Proposal.Value[:]...), Validator: uint64(p.Proposal.Proposer), POLRound: int64(p.Proposal.POLRound), Signature: p.Signature}
}

// Proposals delivers the proposals peers sent, checked.
func (n *Host) Proposals() <-chan SignedProposal { return n.proposals }

func (n *Host) publish(ctx context.Context, e envelope) error {
	b, err := canon.Marshal(e)
	if err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	return n.consensus.Publish(ctx, b)
}

func voteEnvelope(chainID string, v SignedVote) envelope {
	e := envelope{ChainID: chainID, Kind: uint8(v.Vote.Type), Height: v.Vote.Height, Round: int64(v.Vote.Round),
		Validator: uint64(v.Vote.Validator), Signature: v.Signature}
	if v.Vote.Value != nil {
		e.Value = append([]byte(nil), v.Vote.Value[:]...)
	}
	return e
}

// decode reads an envelope strictly and checks its shape; it returns
// the vote or the proposal it carries.
func decode(data []byte) (envelope, *SignedVote, *SignedProposal, error) {
	var e envelope
	if err := canon.Unmarshal(data, &e); err != nil {
		return e, nil, nil, err
	}
	if e.Round < 0 || e.Round > 1<<31-1 || e.Validator > 1<<20 {
		return e, nil, nil, errors.New("malformed message")
	}
	switch e.Kind {
	case kindPrevote, kindPrecommit:
		if len(e.Value) != 0 && len(e.Value) != 32 || e.POLRound != 0 {
			return e, nil, nil, errors.New("malformed vote")
		}
		v := tendermint.Vote{Type: tendermint.VoteType(e.Kind), Height: e.Height, Round: tendermint.Round(e.Round), Validator: int(e.Validator)}
		if len(e.Value) == 32 {
			var id tendermint.ValueID
			copy(id[:], e.Value)
			v.Value = &id
		}
		return e, &SignedVote{Vote: v, Signature: e.Signature}, nil, nil
	case kindProposal:
		if len(e.Value) != 32 || e.POLRound < -1 || e.POLRound >= e.Round {
			return e, nil, nil, errors.New("malformed proposal")
		}
		p := tendermint.Proposal{Height: e.Height, Round: tendermint.Round(e.Round), POLRound: tendermint.Round(e.POLRound), Proposer: int(e.Validator)}
		copy(p.Value[:], e.Value)
		return e, nil, &SignedProposal{Proposal: p, Signature: e.Signature}, nil
	}
	return e, nil, nil, errors.New("unknown kind of message")
}

// validate is the consensus topic's validator. A message for a height
// whose validator set the node does not know yet — the next height's,
// sent by peers a block ahead — is ignored (not relayed, not held against
// the peer) but kept, a bounded number of them, for TakeFuture: without
// it a node that commits a block a moment after its peers would lose
// their first votes of the next height to gossip's de-duplication.
func (n *Host) validate(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from != n.h.ID() && n.drop() {
		return pubsub.ValidationIgnore
	}
	e, _, _, res := n.check(m.Data)
	if res == pubsub.ValidationIgnore && (n.cfg.Height == nil || e.Height >= n.cfg.Height()) {
		n.keepFuture(m.Data) // a future message, not a stale one
	}
	return res
}

// check decodes and verifies a consensus message: its chain, its signer's
// place in the validator set of its height, the proposer of its round
// and the signature.
func (n *Host) check(data []byte) (envelope, *SignedVote, *SignedProposal, pubsub.ValidationResult) {
	if len(data) > maxConsensusBytes {
		return envelope{}, nil, nil, pubsub.ValidationReject
	}
	e, v, p, err := decode(data)
	if err != nil || e.ChainID != n.cfg.ChainID {
		return e, nil, nil, pubsub.ValidationReject
	}
	if n.cfg.Height != nil && e.Height < n.cfg.Height() {
		return e, nil, nil, pubsub.ValidationIgnore
	}
	vals, ok := n.cfg.Validators(e.Height)
	if !ok {
		return e, nil, nil, pubsub.ValidationIgnore
	}
	if e.Validator >= uint64(len(vals)) {
		return e, nil, nil, pubsub.ValidationReject
	}
	pub := ed25519.PublicKey(vals[e.Validator].PublicKey)
	if v != nil {
		err = privval.VerifyVote(n.cfg.ChainID, v.Vote, pub, v.Signature)
	} else {
		// Only the round's proposer may propose.
		if proposer, perr := proposerOf(vals, p.Proposal.Height, p.Proposal.Round); perr != nil || proposer != p.Proposal.Proposer {
			return e, nil, nil, pubsub.ValidationReject
		}
		err = privval.VerifyProposal(n.cfg.ChainID, p.Proposal, pub, p.Signature)
	}
	if err != nil {
		return e, nil, nil, pubsub.ValidationReject
	}
	return e, v, p, pubsub.ValidationAccept
}

// drop decides whether to drop a message (Config.DropPercent).
func (n *Host) drop() bool {
	return n.cfg.DropPercent > 0 && rand.IntN(100) < n.cfg.DropPercent
}

// maxFuture bounds the messages kept for heights not yet known.
const maxFuture = 4096

func (n *Host) keepFuture(data []byte) {
	n.futureMu.Lock()
	defer n.futureMu.Unlock()
	if len(n.future) >= maxFuture {
		n.future = n.future[1:]
	}
	n.future = append(n.future, append([]byte(nil), data...))
}

// TakeFuture returns the kept messages of height h that check out now
// that its validator set is known, and forgets every kept message of
// height h or below.
func (n *Host) TakeFuture(h uint64) ([]SignedVote, []SignedProposal) {
	n.futureMu.Lock()
	kept := n.future
	n.future = nil
	n.futureMu.Unlock()
	var votes []SignedVote
	var props []SignedProposal
	var later [][]byte
	for _, data := range kept {
		e, v, p, res := n.check(data)
		switch {
		case e.Height > h:
			later = append(later, data)
		case e.Height < h || res != pubsub.ValidationAccept:
		case v != nil:
			votes = append(votes, *v)
		default:
			props = append(props, *p)
		}
	}
	n.futureMu.Lock()
	n.future = append(later, n.future...)
	n.futureMu.Unlock()
	return votes, props
}

// proposerOf is tendermint's proposer of (h, r) in the set vals.
func proposerOf(vals []runtime.Validator, h uint64, r tendermint.Round) (int, error) {
	tv := make([]tendermint.Validator, len(vals))
	for i, v := range vals {
		tv[i] = tendermint.Validator{Name: v.Name, Power: v.Power}
	}
	set, err := tendermint.NewValidatorSet(tv)
	if err != nil {
		return 0, err
	}
	return set.Proposer(h, r), nil
}

// read hands checked messages from others to Votes.
func (n *Host) read(ctx context.Context) {
	defer close(n.done)
	for {
		m, err := n.sub.Next(ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == n.h.ID() {
			continue // our own, published
		}
		_, v, p, err := decode(m.Data)
		if err != nil {
			continue // validated already; cannot happen
		}
		if v != nil {
			select {
			case n.votes <- *v:
			case <-ctx.Done():
				return
			}
			continue
		}
		select {
		case n.proposals <- *p:
		case <-ctx.Done():
			return
		}
	}
}

// redial reconnects to bootstrap peers the host is not connected to, every
// few seconds: peers that started later, or restarted.
func (n *Host) redial(ctx context.Context, boot []peer.AddrInfo) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, info := range boot {
			if len(n.h.Network().ConnsToPeer(info.ID)) > 0 {
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := n.h.Connect(dctx, info); err != nil {
				n.cfg.Logger.Debug("bootstrap peer unreachable", "peer", info.ID, "err", err)
			}
			cancel()
		}
	}
}

// Close leaves the topic and stops the host.
func (n *Host) Close() error {
	if n.mdns != nil {
		_ = n.mdns.Close()
	}
	n.cancel()
	if n.txs != nil {
		n.txs.stop()
	}
	n.sub.Cancel()
	for _, sub := range []*pubsub.Subscription{n.txSub, n.evSub, n.blocksSub} {
		if sub != nil {
			sub.Cancel()
		}
	}
	<-n.done
	n.consensus.Close()
	return n.h.Close()
}
