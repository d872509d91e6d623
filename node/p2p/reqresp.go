package p2p

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/plinthchain/plinth/runtime/canon"
)

// Request/response protocols: a peer's chain status, and committed
// blocks by height range, for a node catching up. Each request and
// response is one length-prefixed canonical CBOR message on its own
// stream; sizes are bounded and requests are rate-limited per peer.
const (
	StatusProtocol protocol.ID = "/plinth/status/1"
	BlocksProtocol protocol.ID = "/plinth/blocks-by-range/1"
	// BlockProtocol fetches one block by hash: how a proposal's block
	// reaches validators (a block can be far larger than a gossip
	// message), from any peer that has it.
	BlockProtocol protocol.ID = "/plinth/block-by-hash/1"
	// ConsensusProtocol asks a peer for the consensus messages it holds
	// for a height: how a node recovers votes and proposals it missed,
	// which gossip will not deliver again once it has seen them.
	ConsensusProtocol protocol.ID = "/plinth/consensus-messages/1"
)

// MaxBlocksPerRequest bounds a blocks-by-range answer.
const MaxBlocksPerRequest = 64

// maxResponseBytes bounds one response (64 blocks of deploys could be
// large; a server stops adding blocks before this).
const maxResponseBytes = 64 << 20

// Status is what a node says of its chain.
type Status struct {
	_           struct{} `cbor:",toarray"`
	ChainID     string
	GenesisHash []byte
	Base        uint64 // the lowest height it can serve
	Height      uint64
	HeadHash    []byte
}

// BlocksRequest asks for Count blocks from Start.
type BlocksRequest struct {
	_     struct{} `cbor:",toarray"`
	Start uint64
	Count uint64
}

// BlockWithCommit is a block and the commit that decided it (encoded).
type BlockWithCommit struct {
	_      struct{} `cbor:",toarray"`
	Block  []byte
	Commit []byte
}

// Serving is what a host answers requests with.
type Serving struct {
	Status func() Status
	// Blocks returns the block at each height in [start, start+count)
	// the node has, in order, stopping at the first it lacks.
	Blocks func(start, count uint64) []BlockWithCommit
	// Block returns the encoded block with hash (a proposal's, or a
	// committed one), if the node has it.
	Block func(hash [32]byte) ([]byte, bool)
	// Consensus returns the signed votes and proposals the node holds for
	// height (none for a height it is not at).
	Consensus func(height uint64) ([]SignedVote, []SignedProposal)
	// PerPeerPerSecond bounds each peer's requests (default 20).
	PerPeerPerSecond int
}

// ConsensusMessages is a ConsensusProtocol answer: the messages as they
// travel on the topic, each checked by the asker as if gossiped.
type ConsensusMessages struct {
	_        struct{} `cbor:",toarray"`
	Messages [][]byte
}

// ErrRateLimited is what a peer gets for asking too often.
var ErrRateLimited = errors.New("p2p: rate limited")

// limiter is a per-peer token bucket, refilled per second.
type limiter struct {
	mu      sync.Mutex
	rate    int
	buckets map[peer.ID]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens int
	at     time.Time
}

func (l *limiter) allow(p peer.ID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[p]
	if !ok {
		b = &bucket{tokens: l.rate, at: now}
		l.buckets[p] = b
	}
	if refill := int(now.Sub(b.at) / time.Second); refill > 0 {
		b.tokens = min(l.rate, b.tokens+refill*l.rate)
		b.at = b.at.Add(time.Duration(refill) * time.Second)
	}
	if b.tokens == 0 {
		return false
	}
	b.tokens--
	return true
}

// Serve answers the request/response protocols with s.
func (n *Host) Serve(s Serving) {
	if s.PerPeerPerSecond == 0 {
		s.PerPeerPerSecond = 20
	}
	lim := &limiter{rate: s.PerPeerPerSecond, buckets: map[peer.ID]*bucket{}, now: time.Now}
	handle := func(answer func(req []byte) (any, error)) network.StreamHandler {
		return func(st network.Stream) {
			defer st.Close()
			_ = st.SetDeadline(time.Now().Add(30 * time.Second))
			if n.drop() {
				_ = st.Reset() // lost, as far as the asker can tell
				return
			}
			if !lim.allow(st.Conn().RemotePeer()) {
				_ = writeMsg(st, response{Error: ErrRateLimited.Error()})
				return
			}
			req, err := readMsg(st, 1<<10)
			if err != nil {
				return
			}
			v, err := answer(req)
			r := response{}
			if err != nil {
				r.Error = err.Error()
			} else if r.Body, err = canon.Marshal(v); err != nil {
				r.Error = err.Error()
			}
			_ = writeMsg(st, r)
		}
	}
	n.h.SetStreamHandler(StatusProtocol, handle(func([]byte) (any, error) { return s.Status(), nil }))
	n.h.SetStreamHandler(BlocksProtocol, handle(func(req []byte) (any, error) {
		var q BlocksRequest
		if err := canon.Unmarshal(req, &q); err != nil {
			return nil, fmt.Errorf("bad request: %w", err)
		}
		if q.Count == 0 || q.Count > MaxBlocksPerRequest {
			return nil, fmt.Errorf("bad request: count %d (1 to %d)", q.Count, MaxBlocksPerRequest)
		}
		var out []BlockWithCommit
		size := 0
		for _, b := range s.Blocks(q.Start, q.Count) {
			if size += len(b.Block) + len(b.Commit); size > maxResponseBytes && len(out) > 0 {
				break
			}
			out = append(out, b)
		}
		return out, nil
	}))
	if s.Block != nil {
		n.h.SetStreamHandler(BlockProtocol, handle(func(req []byte) (any, error) {
			var hash []byte
			if err := canon.Unmarshal(req, &hash); err != nil || len(hash) != 32 {
				return nil, fmt.Errorf("bad request: want a 32-byte block hash")
			}
			b, ok := s.Block([32]byte(hash))
			if !ok {
				return nil, fmt.Errorf("no block %x", hash[:8])
			}
			return b, nil
		}))
	}
	if s.Consensus != nil {
		n.h.SetStreamHandler(ConsensusProtocol, handle(func(req []byte) (any, error) {
			var h uint64
			if err := canon.Unmarshal(req, &h); err != nil {
				return nil, fmt.Errorf("bad request: want a height")
			}
			votes, props := s.Consensus(h)
			var out ConsensusMessages
			for _, p := range props {
				b, err := canon.Marshal(proposalEnvelope(n.cfg.ChainID, p))
				if err != nil {
					return nil, err
				}
				out.Messages = append(out.Messages, b)
			}
			for _, v := range votes {
				b, err := canon.Marshal(voteEnvelope(n.cfg.ChainID, v))
				if err != nil {
					return nil, err
				}
				out.Messages = append(out.Messages, b)
			}
			return out, nil
		}))
	}
}

// ErrBadPeerData is the answer of a peer that served something that does
// not check out (a block of another hash, a forged vote).
var ErrBadPeerData = errors.New("p2p: peer served bad data")

// RequestBlock asks p for the block with hash; the answer is checked
// against it with hashOf (the block's hash as the chain computes it).
func (n *Host) RequestBlock(ctx context.Context, p peer.ID, hash [32]byte, hashOf func([]byte) ([32]byte, error)) ([]byte, error) {
	var b []byte
	if err := n.request(ctx, p, BlockProtocol, hash[:], &b); err != nil {
		return nil, err
	}
	if got, err := hashOf(b); err != nil || got != hash {
		return nil, fmt.Errorf("%w: %s answered block %x with another (%v)", ErrBadPeerData, p, hash[:8], err)
	}
	return b, nil
}

// RequestConsensus asks p for its consensus messages of height, each
// checked as the topic's validator checks a gossiped one; a message that
// fails is the peer's fault, and nothing it sent is returned.
func (n *Host) RequestConsensus(ctx context.Context, p peer.ID, height uint64) ([]SignedVote, []SignedProposal, error) {
	var m ConsensusMessages
	if err := n.request(ctx, p, ConsensusProtocol, height, &m); err != nil {
		return nil, nil, err
	}
	var votes []SignedVote
	var props []SignedProposal
	for _, data := range m.Messages {
		e, v, pr, res := n.check(data)
		if res != pubsub.ValidationAccept || e.Height != height {
			return nil, nil, fmt.Errorf("%w: %s sent a consensus message for height %d that does not check out", ErrBadPeerData, p, e.Height)
		}
		if v != nil {
			votes = append(votes, *v)
		} else {
			props = append(props, *pr)
		}
	}
	return votes, props, nil
}

// ConnectedPeers lists the peers the host is connected to.
func (n *Host) ConnectedPeers() []peer.ID { return n.h.Network().Peers() }

// response is every answer's envelope: the body, or why not.
type response struct {
	_     struct{} `cbor:",toarray"`
	Body  []byte
	Error string
}

// RequestStatus asks p for its status.
func (n *Host) RequestStatus(ctx context.Context, p peer.ID) (Status, error) {
	var s Status
	err := n.request(ctx, p, StatusProtocol, struct{}{}, &s)
	return s, err
}

// RequestBlocks asks p for count blocks from start.
func (n *Host) RequestBlocks(ctx context.Context, p peer.ID, start, count uint64) ([]BlockWithCommit, error) {
	var out []BlockWithCommit
	err := n.request(ctx, p, BlocksProtocol, BlocksRequest{Start: start, Count: count}, &out)
	return out, err
}

func (n *Host) request(ctx context.Context, p peer.ID, proto protocol.ID, req, out any) error {
	st, err := n.h.NewStream(ctx, p, proto)
	if err != nil {
		return fmt.Errorf("p2p: %s to %s: %w", proto, p, err)
	}
	defer st.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	b, err := canon.Marshal(req)
	if err != nil {
		return err
	}
	if err := writeRaw(st, b); err != nil {
		return fmt.Errorf("p2p: %s: %w", proto, err)
	}
	raw, err := readMsg(st, maxResponseBytes+1<<20)
	if err != nil {
		return fmt.Errorf("p2p: %s: %w", proto, err)
	}
	var r response
	if err := canon.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("p2p: %s: a malformed answer: %w", proto, err)
	}
	if r.Error != "" {
		if r.Error == ErrRateLimited.Error() {
			return ErrRateLimited
		}
		return fmt.Errorf("p2p: %s refused: %s", proto, r.Error)
	}
	if err := canon.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("p2p: %s: a malformed answer: %w", proto, err)
	}
	return nil
}

// PeerIDOf is the libp2p peer id of a node key: what follows /p2p/ in
// the node's addresses.
func PeerIDOf(pub ed25519.PublicKey) (string, error) {
	k, err := crypto.UnmarshalEd25519PublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("p2p: %w", err)
	}
	id, err := peer.IDFromPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("p2p: %w", err)
	}
	return id.String(), nil
}

// PeerID is the host's peer id.
func (n *Host) PeerID() peer.ID { return n.h.ID() }

func writeMsg(w io.Writer, v any) error {
	b, err := canon.Marshal(v)
	if err != nil {
		return err
	}
	return writeRaw(w, b)
}

func writeRaw(w io.Writer, b []byte) error {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
	if _, err := w.Write(append(hdr[:], b...)); err != nil {
		return err
	}
	return nil
}

// readMsg reads one length-prefixed message of at most limit bytes.
func readMsg(r io.Reader, limit int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n > limit {
		return nil, fmt.Errorf("a message of %d bytes (at most %d)", n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
