package tendermint

// Proposer-based timestamps (CometBFT's PBTS): the proposer puts its own
// clock's time in the block, and a validator prevotes nil for a new
// value whose time its own clock does not bear out. Timely is that test;
// the node folds it into the valid flag of ReceiveProposal for proposals
// of a new value (POLRound −1). A re-proposal with a POL round skips it:
// validators with more than two thirds of the power judged it timely
// once already.

// Synchrony are the bounds of PBTS, chain parameters in ms: Precision
// bounds how far apart honest clocks may be, MessageDelay how long a
// proposal may take to arrive in round 0. The allowed delay grows by a
// tenth per round, so a network slower than MessageDelay still makes
// progress in later rounds.
type Synchrony struct {
	Precision    uint64
	MessageDelay uint64
}

// DefaultSynchrony are CometBFT's defaults: 500 ms precision, 15 s delay.
func DefaultSynchrony() Synchrony { return Synchrony{Precision: 500, MessageDelay: 15_000} }

// Timely reports whether a proposal stamped proposalTime (ms), received
// at receivedAt by this validator's clock in round r, is timely:
// proposalTime − Precision ≤ receivedAt ≤ proposalTime + delay(r) +
// Precision, where delay(r) = MessageDelay × (1 + r/10). Integer
// arithmetic only; the bounds saturate instead of wrapping.
func (s Synchrony) Timely(proposalTime, receivedAt uint64, r Round) bool {
	delay := s.MessageDelay + s.MessageDelay*uint64(max(r, 0))/10
	low := sub(proposalTime, s.Precision)
	high := add(add(proposalTime, delay), s.Precision)
	return receivedAt >= low && receivedAt <= high
}

func add(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
