package bft

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"slices"

	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime/evidence"
)

// onEquivocation turns the driver's evidence — a validator's two votes
// for one step — into signed evidence for the pool and the network. The
// signatures are the ones the engine holds for the votes; a replay from
// the WAL, which keeps no signatures, has none and makes none (the live
// run before the crash gossiped it).
func (e *Engine) onEquivocation(ctx context.Context, ev tendermint.Evidence) {
	e.mu.Lock()
	a, okA := e.votes[keyOf(ev.First)]
	b, okB := e.votes[keyOf(ev.Second)]
	e.mu.Unlock()
	v := ev.First.Validator
	if !okA || !okB || v < 0 || v >= len(e.vals) {
		e.log.Warn("equivocation seen, without both signatures", "evidence", ev.String())
		return
	}
	x, err := evidence.New(ed25519.PublicKey(e.vals[v].PublicKey), evidenceVote(a), evidenceVote(b))
	if err != nil {
		e.log.Warn("equivocation: making evidence", "err", err)
		return
	}
	raw, err := x.Encode()
	if err != nil {
		e.log.Warn("equivocation: encoding evidence", "err", err)
		return
	}
	e.log.Warn("equivocation", "validator", e.vals[v].Name, "evidence", x.String())
	if e.AddEvidence(raw) != p2p.Accept {
		return
	}
	if err := e.net.PublishEvidence(ctx, raw); err != nil {
		e.log.Debug("publishing evidence", "err", err)
	}
}

// evidenceVote is a signed vote as evidence carries it.
func evidenceVote(sv p2p.SignedVote) evidence.Vote {
	v := evidence.Vote{Type: uint8(sv.Vote.Type), Height: sv.Vote.Height, Round: int64(sv.Vote.Round), Signature: sv.Signature}
	if sv.Vote.Value != nil {
		v.Value = sv.Vote.Value[:]
	}
	return v
}

// pooled is a piece of evidence waiting for a block.
type pooled struct {
	raw []byte
	id  [32]byte
}

// AddEvidence takes evidence this node made or a peer gossiped into the
// pool, if it checks out against the chain's head (the p2p evidence
// topic's validator): Reject for evidence that proves nothing, Ignore for
// valid evidence that cannot be included (known, too old, its offender
// already out of the set).
func (e *Engine) AddEvidence(raw []byte) p2p.Verdict {
	x, err := evidence.Decode(raw)
	if err != nil {
		return p2p.Reject
	}
	id := x.Hash()
	e.evMu.Lock()
	seen := e.evSeen[id]
	e.evMu.Unlock()
	if seen {
		return p2p.Ignore
	}
	if _, err := e.chain.CheckEvidence(raw); err != nil {
		if err := x.Verify(e.cfg.ChainID); err != nil {
			return p2p.Reject
		}
		return p2p.Ignore
	}
	e.evMu.Lock()
	defer e.evMu.Unlock()
	if e.evSeen[id] {
		return p2p.Ignore
	}
	if len(e.evidence) >= maxPool {
		delete(e.evSeen, e.evidence[0].id)
		e.evidence = e.evidence[1:]
	}
	e.evidence = append(e.evidence, pooled{raw: raw, id: id})
	e.evSeen[id] = true
	return p2p.Accept
}

// evidenceToInclude is what the next block should carry: the pool's
// evidence that still checks out against the head (not committed, not
// too old, its offender still a validator), one per offender and height,
// at most MaxBlockEvidence. What no longer checks out leaves the pool.
func (e *Engine) evidenceToInclude() [][]byte {
	e.evMu.Lock()
	pool := append([]pooled(nil), e.evidence...)
	e.evMu.Unlock()
	var out [][]byte
	stale := map[[32]byte]bool{}
	picked := map[string]bool{}
	for _, p := range pool {
		x, err := e.chain.CheckEvidence(p.raw)
		if err != nil {
			stale[p.id] = true
			continue
		}
		offence := string(binary.BigEndian.AppendUint64(bytes.Clone(x.PublicKey), x.Height))
		if picked[offence] || len(out) >= int(e.params.MaxBlockEvidence) {
			continue
		}
		picked[offence] = true
		out = append(out, p.raw)
	}
	if len(stale) > 0 {
		e.evMu.Lock()
		e.evidence = slices.DeleteFunc(e.evidence, func(p pooled) bool { return stale[p.id] })
		for id := range stale {
			delete(e.evSeen, id)
		}
		e.evMu.Unlock()
	}
	return out
}

// PoolSize is how many pieces of evidence wait for a block.
func (e *Engine) PoolSize() int {
	e.evMu.Lock()
	defer e.evMu.Unlock()
	return len(e.evidence)
}
