package tendermint

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// A deterministic simulation of a network of drivers: a seeded random
// network that delays, drops, duplicates and reorders messages until a
// "global stabilization time" (GST) and is reliable after it, a virtual
// clock for the timeouts, and Byzantine validators (below a third of the
// power) that stay silent, equivocate or vote at random. Gossip is
// modelled by every honest node re-sending, every 500 ms, every vote and
// proposal it holds for its height (its own and those it heard), and
// proposals of the current height and the commits of its decisions (the
// proposal and its precommits, which block sync would serve, fed to
// ReceiveCommit), which is what lets a node that missed messages catch
// up. Checked: agreement (no two honest nodes
// decide differently at a height), validity (a decided value was
// proposed for that height), and liveness (every honest node decides
// the target heights within a bounded time after GST).

type behaviour int

const (
	honest behaviour = iota
	silent
	equivocator
	randomVoter
)

type simEvent struct {
	at   uint64
	seq  uint64
	node int
	// one of:
	proposal *Proposal
	vote     *Vote
	commit   *commitMsg
	timeout  *ScheduleTimeout
	height   uint64 // the timeout's height
	gossip   bool
}

// commitMsg is a decision's proof: what block sync would serve.
type commitMsg struct {
	proposal   Proposal
	precommits []Vote
}

type eventQueue []*simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type simNode struct {
	d       *Driver
	kind    behaviour
	decided map[uint64]ValueID
	sent    []any                // this height's proposal and votes, for gossip
	proofs  map[uint64]commitMsg // each decision's proposal and precommits (what block sync serves)
}

type sim struct {
	t       *testing.T
	rng     *rand.Rand
	now     uint64
	seq     uint64
	q       eventQueue
	nodes   []*simNode
	vals    *ValidatorSet
	gst     uint64
	dropPct int
	target  uint64
	// proposed records every value proposed per height, for validity.
	proposed map[uint64]map[ValueID]bool
	// evidence records the validators some node caught equivocating.
	evidence map[int]bool
}

func (s *sim) push(e *simEvent) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

// deliver sends msg from node `from` to every other node, through the
// unreliable network.
func (s *sim) deliver(from int, msg any) {
	for to := range s.nodes {
		if to == from {
			continue
		}
		copies := 1
		if s.now < s.gst {
			if s.rng.IntN(100) < s.dropPct {
				continue
			}
			if s.rng.IntN(100) < 10 {
				copies = 2
			}
		}
		for range copies {
			delay := 1 + s.rng.Uint64N(50)
			if s.now < s.gst {
				delay = 1 + s.rng.Uint64N(400)
			}
			e := &simEvent{at: s.now + delay, node: to}
			switch m := msg.(type) {
			case Proposal:
				e.proposal = &m
			case Vote:
				e.vote = &m
			case commitMsg:
				e.commit = &m
			}
			s.push(e)
		}
	}
}

func valueFor(h uint64, r Round, node int, salt byte) ValueID {
	b := binary.BigEndian.AppendUint64(nil, h)
	b = binary.BigEndian.AppendUint32(b, uint32(r))
	return sha256.Sum256(append(b, byte(node), salt))
}

// heard is every proposal and vote n's driver holds for its height, in
// round order: honest gossip relays what it has (as CometBFT's vote
// gossip sends a peer the votes it lacks), which is how a vote that a
// Byzantine validator sent to some nodes only reaches the others.
func (n *simNode) heard() []any {
	var out []any
	for _, r := range n.d.proposalRounds() {
		out = append(out, n.d.proposals[r].p)
	}
	rounds := make([]Round, 0, len(n.d.keeper.rounds))
	for r := range n.d.keeper.rounds {
		rounds = append(rounds, r)
	}
	slices.Sort(rounds)
	for _, r := range rounds {
		for _, t := range n.d.keeper.rounds[r] {
			for i := range t.votes {
				for _, v := range []*Vote{t.votes[i], t.second[i]} {
					if v != nil {
						out = append(out, *v)
					}
				}
			}
		}
	}
	return out
}

// perform carries out node i's effects.
func (s *sim) perform(i int, effects []Effect) {
	n := s.nodes[i]
	for _, e := range effects {
		switch e := e.(type) {
		case NeedValue:
			v := valueFor(e.Height, e.Round, i, 0)
			s.perform(i, n.d.ProposeValue(e.Round, v))
		case BroadcastProposal:
			s.proposed[e.Proposal.Height][e.Proposal.Value] = true
			switch n.kind {
			case silent:
			case equivocator: // a different value to every other node
				for to := range s.nodes {
					if to != i {
						p := e.Proposal
						p.Value = valueFor(p.Height, p.Round, i, byte(to))
						s.proposed[p.Height][p.Value] = true
						s.push(&simEvent{at: s.now + 1 + s.rng.Uint64N(50), node: to, proposal: &p})
					}
				}
			default:
				n.sent = append(n.sent, e.Proposal)
				s.deliver(i, e.Proposal)
			}
		case BroadcastVote:
			v := e.Vote
			switch n.kind {
			case silent:
			case equivocator: // two different votes to everyone, in random order
				other := v
				w := valueFor(v.Height, v.Round, i, 99)
				other.Value = &w
				for to := range s.nodes {
					if to != i {
						a, b := v, other
						s.push(&simEvent{at: s.now + 1 + s.rng.Uint64N(50), node: to, vote: &a})
						s.push(&simEvent{at: s.now + 1 + s.rng.Uint64N(50), node: to, vote: &b})
					}
				}
			case randomVoter:
				if s.rng.IntN(2) == 0 {
					w := valueFor(v.Height, v.Round, i, byte(s.rng.IntN(3)))
					v.Value = &w
				} else {
					v.Value = nil
				}
				n.sent = append(n.sent, v)
				s.deliver(i, v)
			default:
				n.sent = append(n.sent, v)
				s.deliver(i, v)
			}
		case ScheduleTimeout:
			s.push(&simEvent{at: s.now + e.Duration, node: i, timeout: &e, height: n.d.Height()})
		case Decide:
			if n.kind == honest {
				if prev, ok := n.decided[e.Height]; ok && prev != e.Value {
					s.t.Fatalf("node %d decided twice at height %d", i, e.Height)
				}
				n.decided[e.Height] = e.Value
			}
			// The proof of the decision, for gossip: the proposal and the
			// precommits the driver counted.
			n.proofs[e.Height] = commitMsg{proposal: n.d.proposals[e.Round].p, precommits: e.Commit}
			n.sent = nil
			if e.Height < s.target+2 {
				if s.proposed[e.Height+1] == nil {
					s.proposed[e.Height+1] = map[ValueID]bool{}
				}
				s.perform(i, n.d.Start(e.Height+1, nil))
			}
		case Equivocation:
			// Evidence is the node's to gossip; here it is enough that it
			// is found (checked by the caller through s.evidence).
			s.evidence[e.Evidence.First.Validator] = true
		}
	}
}

func (s *sim) run(until uint64) {
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(*simEvent)
		if e.at > until {
			return
		}
		s.now = e.at
		n := s.nodes[e.node]
		switch {
		case e.gossip:
			if n.kind == honest || n.kind == randomVoter {
				msgs := append([]any(nil), n.sent...)
				msgs = append(msgs, n.heard()...)
				for h := uint64(1); h <= s.target+2; h++ { // in height order
					if pr, ok := n.proofs[h]; ok {
						msgs = append(msgs, pr)
					}
				}
				for _, m := range msgs {
					s.deliver(e.node, m)
				}
			}
			s.push(&simEvent{at: s.now + 500, node: e.node, gossip: true})
		case e.proposal != nil:
			s.perform(e.node, n.d.ReceiveProposal(*e.proposal, true))
		case e.vote != nil:
			s.perform(e.node, n.d.ReceiveVote(*e.vote))
		case e.commit != nil:
			s.perform(e.node, n.d.ReceiveCommit(e.commit.proposal, e.commit.precommits))
		case e.timeout != nil:
			if e.height == n.d.Height() {
				s.perform(e.node, n.d.Timeout(e.timeout.Step, e.timeout.Round))
			}
		}
	}
}

func runSim(t *testing.T, seed uint64, powers []uint64, kinds []behaviour) {
	s := newSimFor(t, seed, powers, kinds)
	s.run(s.gst + 120_000)
	s.check(seed, kinds)
}

func newSimFor(t *testing.T, seed uint64, powers []uint64, kinds []behaviour) *sim {
	rng := rand.New(rand.NewPCG(seed, uint64(len(powers))))
	var vs []Validator
	for i, p := range powers {
		vs = append(vs, Validator{Name: fmt.Sprintf("v%d", i), Power: p})
	}
	set, err := NewValidatorSet(vs)
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, rng: rng, vals: set, gst: 2000 + rng.Uint64N(4000), dropPct: rng.IntN(40), target: 3,
		proposed: map[uint64]map[ValueID]bool{1: {}}}
	s.evidence = map[int]bool{}
	params := Params{ProposeBase: 300, ProposeDelta: 100, PrevoteBase: 200, PrevoteDelta: 100, PrecommitBase: 200, PrecommitDelta: 100}
	for i := range powers {
		s.nodes = append(s.nodes, &simNode{d: NewDriver(params, set, i), kind: kinds[i], decided: map[uint64]ValueID{}, proofs: map[uint64]commitMsg{}})
	}
	for i, n := range s.nodes {
		s.push(&simEvent{at: 1 + rng.Uint64N(100), node: i, gossip: true})
		s.perform(i, n.d.Start(1, nil))
	}
	return s
}

func (s *sim) check(seed uint64, kinds []behaviour) {
	t := s.t
	for h := uint64(1); h <= s.target; h++ {
		var first *ValueID
		for i, n := range s.nodes {
			if n.kind != honest {
				continue
			}
			v, ok := n.decided[h]
			if !ok {
				t.Fatalf("seed %d: honest node %d did not decide height %d within 120 s after GST (at %d ms, round %d, step %s)", seed, i, h, s.gst, n.d.Round(), n.d.Step())
			}
			if !s.proposed[h][v] {
				t.Fatalf("seed %d: node %d decided a value never proposed at height %d", seed, i, h)
			}
			if first == nil {
				first = &v
			} else if *first != v {
				t.Fatalf("seed %d: disagreement at height %d", seed, h)
			}
		}
	}
	// An equivocator that was heard from is caught by someone.
	for i, k := range kinds {
		if k == equivocator && !s.evidence[i] {
			t.Fatalf("seed %d: validator %d equivocated and nobody produced evidence", seed, i)
		}
	}
}

// TestSimulation runs many seeds of 4 and 7 validators with up to a
// third of the power Byzantine.
func TestSimulation(t *testing.T) {
	seeds := uint64(150)
	if testing.Short() {
		seeds = 30
	}
	if v, err := strconv.ParseUint(os.Getenv("PLINTH_SIM_SEEDS"), 10, 64); err == nil && v > 0 {
		seeds = v // a long run: PLINTH_SIM_SEEDS=5000 go test ./consensus/tendermint -run TestSimulation
	}
	configs := []struct {
		name   string
		powers []uint64
		kinds  []behaviour
	}{
		{"4 honest", []uint64{1, 1, 1, 1}, []behaviour{honest, honest, honest, honest}},
		{"4, one silent", []uint64{1, 1, 1, 1}, []behaviour{honest, honest, silent, honest}},
		{"4, one equivocator", []uint64{1, 1, 1, 1}, []behaviour{honest, equivocator, honest, honest}},
		{"4, one random voter", []uint64{1, 1, 1, 1}, []behaviour{randomVoter, honest, honest, honest}},
		{"7, two Byzantine", []uint64{1, 1, 1, 1, 1, 1, 1}, []behaviour{honest, equivocator, honest, silent, honest, honest, honest}},
		{"weighted 4+3+2+1+1, one Byzantine of 2", []uint64{4, 3, 2, 1, 1}, []behaviour{honest, honest, equivocator, honest, honest}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= seeds; seed++ {
				runSim(t, seed, c.powers, c.kinds)
			}
		})
	}
}
