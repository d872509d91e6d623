package tendermint

import "testing"

func TestTimely(t *testing.T) {
	s := Synchrony{Precision: 500, MessageDelay: 2000}
	const at = 1_000_000
	for _, c := range []struct {
		name     string
		received uint64
		round    Round
		want     bool
	}{
		{"on time", at + 100, 0, true},
		{"the proposer's clock a little ahead", at - 500, 0, true},
		{"too far ahead of ours", at - 501, 0, false},
		{"just within the delay", at + 2500, 0, true},
		{"too late for round 0", at + 2501, 0, false},
		{"round 5 allows half as much delay again", at + 3500, 5, true},
		{"but not more", at + 3501, 5, false},
		{"a negative round is round 0", at + 2501, -1, false},
	} {
		if got := s.Timely(at, c.received, c.round); got != c.want {
			t.Errorf("%s: Timely(%d, %d, %d) = %v", c.name, uint64(at), c.received, c.round, got)
		}
	}
	// The bounds saturate at the ends of the clock.
	if !s.Timely(100, 0, 0) || !s.Timely(^uint64(0)-10, ^uint64(0), 0) {
		t.Fatal("the bounds wrapped")
	}
}
