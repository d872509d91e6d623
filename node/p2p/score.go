package p2p

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Peer scoring (docs/p2p.md, "Peer scoring"). Gossipsub scores each peer
// from what it relays; Plinth weighs one thing: invalid messages — ones a
// topic's validator rejected (a bad signature, a non-validator, another
// chain, malformed, oversized). The penalty grows with the square of a
// peer's recent invalid messages and decays to a tenth in about a
// minute, so a peer that relays one bad vote by mistake recovers, and one
// that keeps sending them is soon cut off. Mesh-delivery scores (P2, P3)
// are off: a validator set of a handful of nodes has no spare peers to
// replace a slow one with, and loopback testnets share one IP, so the
// IP-colocation penalty is off too. Scores are floats: gossip's business,
// never consensus's.
const (
	// invalidWeight × (invalid messages)²: 10 bad messages reach the
	// graylist threshold.
	invalidWeight = -10
	invalidDecay  = time.Minute
	// Below GossipThreshold a peer gets no gossip (IHAVE) from the node;
	// below PublishThreshold the node publishes nothing to it; below
	// GraylistThreshold everything it sends is ignored.
	gossipThreshold   = -100
	publishThreshold  = -500
	graylistThreshold = -1000
)

// scoreParams are the peer-score parameters of the node's topics.
func scoreParams(topics []string) (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	ts := map[string]*pubsub.TopicScoreParams{}
	for _, t := range topics {
		ts[t] = &pubsub.TopicScoreParams{
			SkipAtomicValidation: true,
			TopicWeight:          1,
			// Unweighted, but gossipsub divides by the quantum.
			TimeInMeshQuantum:              time.Second,
			InvalidMessageDeliveriesWeight: invalidWeight,
			InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(invalidDecay),
		}
	}
	return &pubsub.PeerScoreParams{
			SkipAtomicValidation: true,
			Topics:               ts,
			AppSpecificScore:     func(peer.ID) float64 { return 0 },
			// Gossip misbehaviour (broken promises, too many IWANTs).
			BehaviourPenaltyWeight:    -1,
			BehaviourPenaltyThreshold: 10,
			BehaviourPenaltyDecay:     pubsub.ScoreParameterDecay(10 * time.Minute),
			DecayInterval:             time.Second,
			DecayToZero:               0.01,
			RetainScore:               10 * time.Minute,
		}, &pubsub.PeerScoreThresholds{
			SkipAtomicValidation: true,
			GossipThreshold:      gossipThreshold,
			PublishThreshold:     publishThreshold,
			GraylistThreshold:    graylistThreshold,
		}
}

// PeerScore is gossipsub's latest score of a peer (refreshed every
// second), and whether the node has one.
func (n *Host) PeerScore(p peer.ID) (float64, bool) {
	n.scoreMu.Lock()
	defer n.scoreMu.Unlock()
	s, ok := n.scores[p]
	return s, ok
}

func (n *Host) inspectScores(scores map[peer.ID]float64) {
	n.scoreMu.Lock()
	defer n.scoreMu.Unlock()
	n.scores = scores
}
