package p2p

import (
	"context"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/plinthchain/plinth/consensus/commit"
	"github.com/plinthchain/plinth/runtime/canon"
)

// The committed-blocks topic announces each block a validator commits:
// its height, hash and commit — the proof — but not the block, which
// can be far larger than gossip carries; a node that wants it fetches it
// by hash, or by range with its commit (docs/p2p.md). A follower learns
// of a new block the moment it exists instead of polling its peers, and
// a node that fell behind learns it at once.

// maxAnnouncementBytes bounds an announcement: a commit holds one
// signature (about 70 bytes) per signing validator.
const maxAnnouncementBytes = 64 << 10

// Committed is an announcement of a committed block. Verified says its
// commit was checked against the validators of its height; an unverified
// one is of a height the node cannot check yet — it is blocks behind —
// and is only a hint to catch up (whose blocks are all checked).
type Committed struct {
	Height   uint64
	Hash     [32]byte
	Commit   []byte // encoded consensus/commit
	Verified bool
	From     peer.ID
}

type announcement struct {
	_       struct{} `cbor:",toarray"`
	ChainID string
	Height  uint64
	Hash    []byte
	Commit  []byte
}

// BlocksTopic names the committed-blocks topic of a chain.
func BlocksTopic(chainID string, genesis [32]byte) string {
	return topicPrefix(chainID, genesis) + "/blocks"
}

// PublishCommitted announces a block this node committed, with the commit
// that decided it.
func (n *Host) PublishCommitted(ctx context.Context, height uint64, hash [32]byte, enc []byte) error {
	b, err := canon.Marshal(announcement{ChainID: n.cfg.ChainID, Height: height, Hash: hash[:], Commit: enc})
	if err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	return n.blocksTopic.Publish(ctx, b)
}

// CommittedBlocks delivers checked announcements of blocks peers committed.
func (n *Host) CommittedBlocks() <-chan Committed { return n.committed }

// checkCommitted judges an announcement: it must decode, be of this
// chain, and carry a commit of its block by the validators in force at
// its height (rejected otherwise); one for a height whose validators the
// node does not know yet — it is more than a block behind — is ignored,
// not relayed, and delivered unverified, as a hint.
func (n *Host) checkCommitted(data []byte) (*Committed, pubsub.ValidationResult) {
	if len(data) > maxAnnouncementBytes {
		return nil, pubsub.ValidationReject
	}
	var a announcement
	if err := canon.Unmarshal(data, &a); err != nil || a.ChainID != n.cfg.ChainID || len(a.Hash) != 32 {
		return nil, pubsub.ValidationReject
	}
	if n.cfg.Height != nil && a.Height+1 < n.cfg.Height() {
		return nil, pubsub.ValidationIgnore // the node has the block: stale
	}
	vals, ok := n.cfg.Validators(a.Height)
	if !ok {
		return &Committed{Height: a.Height, Hash: [32]byte(a.Hash), Commit: a.Commit}, pubsub.ValidationIgnore
	}
	c, err := commit.Decode(a.Commit)
	if err == nil {
		err = commit.Verify(n.cfg.ChainID, c, vals, a.Height, [32]byte(a.Hash))
	}
	if err != nil {
		return nil, pubsub.ValidationReject
	}
	return &Committed{Height: a.Height, Hash: [32]byte(a.Hash), Commit: a.Commit, Verified: true}, pubsub.ValidationAccept
}

// joinBlocks joins the committed-blocks topic and hands announcements to
// CommittedBlocks.
func (n *Host) joinBlocks(ctx context.Context) error {
	name := BlocksTopic(n.cfg.ChainID, n.cfg.GenesisHash)
	self := n.h.ID()
	err := n.ps.RegisterTopicValidator(name, func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from != self && n.drop() {
			return pubsub.ValidationIgnore
		}
		c, res := n.checkCommitted(m.Data)
		if res == pubsub.ValidationIgnore && c != nil {
			// Not relayed (the node cannot vouch for it), but a hint
			// that the peer is ahead.
			c.From = from
			n.deliverCommitted(*c)
		}
		return res
	})
	if err != nil {
		return fmt.Errorf("p2p: %s: %w", name, err)
	}
	if n.blocksTopic, err = n.ps.Join(name); err != nil {
		return fmt.Errorf("p2p: join %s: %w", name, err)
	}
	sub, err := n.blocksTopic.Subscribe()
	if err != nil {
		return fmt.Errorf("p2p: subscribe %s: %w", name, err)
	}
	n.blocksSub = sub
	go func() {
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if m.ReceivedFrom == self {
				continue
			}
			// The topic's validator accepted it, its commit verified:
			// only decoded here.
			var a announcement
			if err := canon.Unmarshal(m.Data, &a); err != nil || len(a.Hash) != 32 {
				continue
			}
			n.deliverCommitted(Committed{Height: a.Height, Hash: [32]byte(a.Hash), Commit: a.Commit, Verified: true, From: m.ReceivedFrom})
		}
	}()
	return nil
}

// deliverCommitted hands c to CommittedBlocks, or drops it if the node is
// not reading: a later announcement says as much.
func (n *Host) deliverCommitted(c Committed) {
	select {
	case n.committed <- c:
	default:
	}
}
