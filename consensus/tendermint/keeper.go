package tendermint

import (
	"fmt"
	"slices"
)

// tally is the votes of one type in one round: each validator's first
// vote, and the weight behind each value and nil.
//
// A validator that equivocates is counted once in total, but towards
// each of (at most) its first two values: otherwise a polka that some
// honest nodes saw through its vote for V stays invisible forever to
// those that got its other vote first, and the round cannot be won
// (CometBFT counts such votes once a peer claims a majority for V).
// Counting a Byzantine validator towards two values cannot make two
// conflicting quorums: any two quorums share more than a third of the
// power, so an honest validator, which votes once, would be in both.
type tally struct {
	votes   []*Vote // by validator index: the first vote; nil: none yet
	second  []*Vote // a conflicting second vote, counted too
	byValue map[ValueID]uint64
	nil     uint64
	total   uint64
}

// Evidence is a validator's two different votes for the same height,
// round and type: proof that it equivocated.
type Evidence struct {
	First, Second Vote
}

func (e Evidence) String() string { return fmt.Sprintf("evidence [%s] vs [%s]", e.First, e.Second) }

// keeper turns single weighted votes into the thresholds the rules ask
// about (2f+1 for a value, for nil, for anything; f+1 in a round) and
// catches equivocation. One keeper serves one height.
type keeper struct {
	vals   *ValidatorSet
	height uint64
	rounds map[Round]*[2]tally // [Prevote-1], [Precommit-1]
	// voted is, per round, the weight of the validators with any vote in
	// it (for the f+1 round skip).
	voted map[Round]*votedSet
}

type votedSet struct {
	seen   []bool
	weight uint64
}

func newKeeper(vals *ValidatorSet, height uint64) *keeper {
	return &keeper{vals: vals, height: height, rounds: map[Round]*[2]tally{}, voted: map[Round]*votedSet{}}
}

func (k *keeper) tally(r Round, t VoteType) *tally {
	rt, ok := k.rounds[r]
	if !ok {
		rt = &[2]tally{}
		for i := range rt {
			rt[i] = tally{votes: make([]*Vote, k.vals.Len()), second: make([]*Vote, k.vals.Len()), byValue: map[ValueID]uint64{}}
		}
		k.rounds[r] = rt
	}
	return &rt[t-1]
}

// add counts v. A second, different vote of the same validator for the
// same round and type is not counted and comes back as evidence; an
// identical one is ignored.
func (k *keeper) add(v Vote) (*Evidence, error) {
	if v.Height != k.height {
		return nil, fmt.Errorf("tendermint: vote for height %d at height %d", v.Height, k.height)
	}
	if v.Validator < 0 || v.Validator >= k.vals.Len() {
		return nil, fmt.Errorf("tendermint: vote from validator %d of %d", v.Validator, k.vals.Len())
	}
	if v.Round < 0 || (v.Type != Prevote && v.Type != Precommit) {
		return nil, fmt.Errorf("tendermint: malformed vote %s", v)
	}
	t := k.tally(v.Round, v.Type)
	w := k.vals.Power(v.Validator)
	if prev := t.votes[v.Validator]; prev != nil {
		if sameValue(prev.Value, v.Value) {
			return nil, nil
		}
		if second := t.second[v.Validator]; second == nil {
			vv := v
			t.second[v.Validator] = &vv
			t.count(v.Value, w)
			return &Evidence{First: *prev, Second: v}, nil
		} else if sameValue(second.Value, v.Value) {
			return nil, nil
		}
		return nil, nil // a third value: already caught, not counted
	}
	vv := v
	t.votes[v.Validator] = &vv
	t.total += w
	t.count(v.Value, w)
	vs, ok := k.voted[v.Round]
	if !ok {
		vs = &votedSet{seen: make([]bool, k.vals.Len())}
		k.voted[v.Round] = vs
	}
	if !vs.seen[v.Validator] {
		vs.seen[v.Validator] = true
		vs.weight += w
	}
	return nil, nil
}

func (t *tally) count(v *ValueID, w uint64) {
	if v == nil {
		t.nil += w
	} else {
		t.byValue[*v] += w
	}
}

func sameValue(a, b *ValueID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// quorumFor reports whether value has 2f+1 votes of type t in round r.
func (k *keeper) quorumFor(r Round, t VoteType, value ValueID) bool {
	rt, ok := k.rounds[r]
	return ok && k.vals.Quorum(rt[t-1].byValue[value])
}

// quorumNil reports 2f+1 votes of type t for nil in round r.
func (k *keeper) quorumNil(r Round, t VoteType) bool {
	rt, ok := k.rounds[r]
	return ok && k.vals.Quorum(rt[t-1].nil)
}

// quorumAny reports 2f+1 votes of type t, for anything, in round r.
func (k *keeper) quorumAny(r Round, t VoteType) bool {
	rt, ok := k.rounds[r]
	return ok && k.vals.Quorum(rt[t-1].total)
}

// skipTo is the highest round above current in which validators with
// f+1 power have voted, if any (L55).
func (k *keeper) skipTo(current Round) (Round, bool) {
	rounds := make([]Round, 0, len(k.voted))
	for r := range k.voted {
		rounds = append(rounds, r)
	}
	slices.Sort(rounds) // consensus code never depends on map order
	for i := len(rounds) - 1; i >= 0 && rounds[i] > current; i-- {
		if k.vals.OneThird(k.voted[rounds[i]].weight) {
			return rounds[i], true
		}
	}
	return NilRound, false
}

// votesFor returns the votes of type t in round r for value, in
// validator order: the commit a decision carries.
func (k *keeper) votesFor(r Round, t VoteType, value ValueID) []Vote {
	rt, ok := k.rounds[r]
	if !ok {
		return nil
	}
	tl := &rt[t-1]
	var out []Vote
	for i := range tl.votes {
		for _, v := range []*Vote{tl.votes[i], tl.second[i]} {
			if v != nil && v.Value != nil && *v.Value == value {
				out = append(out, *v)
				break
			}
		}
	}
	return out
}
