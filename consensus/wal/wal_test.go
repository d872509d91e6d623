package wal

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
)

func val(b byte) tendermint.ValueID {
	var v tendermint.ValueID
	v[0] = b
	return v
}

func sampleRecords() []Record {
	a := val('A')
	return []Record{
		StartRecord(3),
		ValueRecord(0, a),
		ProposalRecord(tendermint.Proposal{Height: 3, Round: 1, Value: a, POLRound: 0, Proposer: 2}, true),
		VoteRecord(tendermint.Vote{Type: tendermint.Prevote, Height: 3, Round: 1, Value: &a, Validator: 1}),
		VoteRecord(tendermint.Vote{Type: tendermint.Precommit, Height: 3, Round: 1, Validator: 2}),
		CommitRecord(tendermint.Proposal{Height: 3, Round: 1, Value: a, POLRound: -1}, []tendermint.Vote{{Type: tendermint.Precommit, Height: 3, Round: 1, Value: &a, Validator: 0}}),
		TimeoutRecord(tendermint.StepPrevote, 4),
	}
}

func TestRoundTripAndTornTail(t *testing.T) {
	dir := t.TempDir()
	w, recs, dropped, err := Open(dir, 3)
	if err != nil || len(recs) != 0 || dropped != 0 {
		t.Fatalf("a new log: %v %d %d", err, len(recs), dropped)
	}
	want := sampleRecords()
	for _, r := range want {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	w, got, dropped, err := Open(dir, 3)
	if err != nil || dropped != 0 || !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("reopened: %v dropped %d\n got %+v\nwant %+v", err, dropped, got, want)
	}
	w.Close()

	// A crash in the middle of the last write: the record is dropped, the
	// file truncated, and appending goes on after the last whole record.
	path := Path(dir, 3)
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	w, got, dropped, err = Open(dir, 3)
	if err != nil || len(got) != len(want)-1 || dropped == 0 {
		t.Fatalf("after a torn write: %v, %d records, dropped %d", err, len(got), dropped)
	}
	if err := w.Append(want[0]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, got, _, err := Open(dir, 3); err != nil || len(got) != len(want) {
		t.Fatalf("appending after the repair: %v %d", err, len(got))
	}

	// Damage before the end is corruption, not a torn write.
	b, _ := os.ReadFile(path)
	b[10] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Open(dir, 3); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a damaged first record: %v", err)
	}
	if err := Drop(dir, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("Drop left the file")
	}
}

// normalize makes nil and empty byte slices equal.
func normalize(rs []Record) []Record {
	out := append([]Record(nil), rs...)
	for i := range out {
		if len(out[i].Value) == 0 {
			out[i].Value = nil
		}
		if len(out[i].Proposal.Value) == 0 {
			out[i].Proposal.Value = nil
		}
		if len(out[i].Votes) == 0 {
			out[i].Votes = nil
		}
		for j := range out[i].Votes {
			if len(out[i].Votes[j].Value) == 0 {
				out[i].Votes[j].Value = nil
			}
		}
	}
	return out
}

// script records node 0's inputs in a run of four validators over three
// heights, with height 2's first proposal withheld so that its round 0
// times out: the inputs a crash test replays.
func script(t *testing.T) []Record {
	t.Helper()
	var vals []tendermint.Validator
	for i := range 4 {
		vals = append(vals, tendermint.Validator{Name: fmt.Sprintf("v%d", i), Power: 1})
	}
	set, err := tendermint.NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	params := tendermint.Params{ProposeBase: 100, PrevoteBase: 100, PrecommitBase: 100}
	type msg struct {
		to  int
		rec Record
	}
	var drivers []*tendermint.Driver
	var queue []msg
	var timers []msg
	var recorded []Record
	heights := make([]uint64, 4)
	var handle func(i int, effects []tendermint.Effect)
	feed := func(i int, rec Record) {
		if i == 0 {
			recorded = append(recorded, rec)
		}
		handle(i, Apply(drivers[i], rec))
	}
	handle = func(i int, effects []tendermint.Effect) {
		for _, e := range effects {
			switch e := e.(type) {
			case tendermint.NeedValue:
				queue = append(queue, msg{i, ValueRecord(e.Round, val(byte('A'+e.Height)))})
			case tendermint.BroadcastProposal:
				if e.Proposal.Height == 2 && e.Proposal.Round == 0 {
					continue // withheld: round 0 of height 2 times out
				}
				for j := range drivers {
					if j != i {
						queue = append(queue, msg{j, ProposalRecord(e.Proposal, true)})
					}
				}
			case tendermint.BroadcastVote:
				for j := range drivers {
					if j != i {
						queue = append(queue, msg{j, VoteRecord(e.Vote)})
					}
				}
			case tendermint.ScheduleTimeout:
				timers = append(timers, msg{i, TimeoutRecord(e.Step, e.Round)})
			case tendermint.Decide:
				heights[i] = e.Height
				if e.Height < 3 {
					queue = append(queue, msg{i, StartRecord(e.Height + 1)})
				}
				// Timers of the finished height no longer fire.
				kept := timers[:0]
				for _, tm := range timers {
					if tm.to != i {
						kept = append(kept, tm)
					}
				}
				timers = kept
			}
		}
	}
	for i := range 4 {
		drivers = append(drivers, tendermint.NewDriver(params, set, i))
	}
	for i := range 4 {
		feed(i, StartRecord(1))
	}
	for steps := 0; steps < 10_000; steps++ {
		switch {
		case len(queue) > 0:
			m := queue[0]
			queue = queue[1:]
			feed(m.to, m.rec)
		case len(timers) > 0: // nothing in flight: the earliest timer fires
			m := timers[0]
			timers = timers[1:]
			feed(m.to, m.rec)
		default:
			if heights[0] != 3 {
				t.Fatalf("the scripted run stalled at heights %v", heights)
			}
			return recorded
		}
	}
	t.Fatal("the scripted run did not settle")
	return nil
}

// node is node 0 with its WAL and signer: every input is appended before
// it is applied, every vote and proposal signed before it would be sent.
type node struct {
	t      *testing.T
	dir    string
	w      *WAL
	d      *tendermint.Driver
	s      *privval.FileSigner
	decide []tendermint.ValueID
}

func startNode(t *testing.T, dir string) (*node, []Record) {
	t.Helper()
	var vals []tendermint.Validator
	for i := range 4 {
		vals = append(vals, tendermint.Validator{Name: fmt.Sprintf("v%d", i), Power: 1})
	}
	set, _ := tendermint.NewValidatorSet(vals)
	s, err := privval.Open(ed25519.NewKeyFromSeed(make([]byte, 32)), filepath.Join(dir, "last_signed"))
	if err != nil {
		t.Fatal(err)
	}
	w, recs, _, err := Open(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, dir: dir, w: w, d: tendermint.NewDriver(tendermint.Params{ProposeBase: 100, PrevoteBase: 100, PrecommitBase: 100}, set, 0), s: s}
	for _, r := range recs { // replay: the same effects
		n.perform(Apply(n.d, r), true)
	}
	return n, recs
}

// perform signs what the effects send. While replaying, a vote for a
// step before the last signed one was signed and sent before the crash
// (the driver is deterministic and the WAL the same): it is skipped; the
// last signed step is signed again identically; anything else refused
// is a double sign, and fails the test.
func (n *node) perform(effects []tendermint.Effect, replaying bool) {
	sign := func(err error, what string) {
		if err != nil && !(replaying && errors.Is(err, privval.ErrRegression)) {
			n.t.Fatalf("signing %s: %v", what, err)
		}
	}
	for _, e := range effects {
		switch e := e.(type) {
		case tendermint.BroadcastVote:
			_, err := n.s.SignVote("crash", e.Vote)
			sign(err, e.Vote.String())
		case tendermint.BroadcastProposal:
			_, err := n.s.SignProposal("crash", e.Proposal)
			sign(err, "a proposal")
		case tendermint.Decide:
			n.decide = append(n.decide, e.Value)
		}
	}
}

func (n *node) input(r Record) {
	if err := n.w.Append(r); err != nil {
		n.t.Fatal(err)
	}
	n.perform(Apply(n.d, r), false)
}

// TestCrashAtEveryStep kills node 0 after each input of a scripted run —
// after the input reached the WAL but before the driver applied it, and
// after its effects were signed but before anything was sent — restarts
// it from its WAL and last-signed record, and feeds it the rest: it never
// fails to sign (which would be a double sign refused), and it decides
// the same values as a run without crashes.
func TestCrashAtEveryStep(t *testing.T) {
	inputs := script(t)
	ref, _ := startNode(t, t.TempDir())
	for _, r := range inputs {
		ref.input(r)
	}
	if len(ref.decide) != 3 {
		t.Fatalf("the reference run decided %d heights", len(ref.decide))
	}
	for k := range len(inputs) {
		for _, appendedOnly := range []bool{false, true} {
			dir := t.TempDir()
			n, _ := startNode(t, dir)
			for _, r := range inputs[:k] {
				n.input(r)
			}
			if appendedOnly { // the crash came after the append, before the apply
				if err := n.w.Append(inputs[k]); err != nil {
					t.Fatal(err)
				}
			}
			n.w.Close()                  // the process dies; what was synced stays
			n, recs := startNode(t, dir) // it decides again, in the replay, what it decided before
			if len(recs) != k && !(appendedOnly && len(recs) == k+1) {
				t.Fatalf("k=%d: %d records replayed", k, len(recs))
			}
			for _, r := range inputs[len(recs):] {
				n.input(r)
			}
			if !reflect.DeepEqual(n.decide, ref.decide) {
				t.Fatalf("k=%d appendedOnly=%v: decided %v, the run without crashes %v", k, appendedOnly, n.decide, ref.decide)
			}
			n.w.Close()
		}
	}
	t.Logf("%d inputs, crashed at each twice", len(inputs))
}
