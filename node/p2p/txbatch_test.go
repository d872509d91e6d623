package p2p

import (
	"testing"

	"github.com/plinthchain/plinth/runtime/canon"
)

// TestJudgeBatch: what is not a batch — garbage, an empty list, too many
// transactions — is rejected before any transaction is looked at; a batch
// takes the verdict of its worst transaction, accepted if any is new.
func TestJudgeBatch(t *testing.T) {
	verdicts := map[string]Verdict{"a": Accept, "i": Ignore, "r": Reject}
	calls := 0
	accept := func(raw []byte) Verdict { calls++; return verdicts[string(raw)] }
	batch := func(txs ...string) []byte {
		var l [][]byte
		for _, s := range txs {
			l = append(l, []byte(s))
		}
		b, err := canon.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	many := make([]string, maxBatchTxs+1)
	for i := range many {
		many[i] = "a"
	}
	for _, c := range []struct {
		name string
		data []byte
		want Verdict
	}{
		{"garbage", []byte("not a batch"), Reject},
		{"empty", batch(), Reject},
		{"too many", batch(many...), Reject},
		{"trailing bytes", append(batch("a"), 0), Reject},
		{"all new", batch("a", "a"), Accept},
		{"known and new", batch("i", "a"), Accept},
		{"all known", batch("i", "i"), Ignore},
		{"one bad", batch("a", "r", "a"), Reject},
	} {
		calls = 0
		if got := judgeBatch(c.data, accept); got != c.want {
			t.Errorf("%s: verdict %v, want %v", c.name, got, c.want)
		}
		if c.name == "garbage" || c.name == "too many" || c.name == "empty" {
			if calls != 0 {
				t.Errorf("%s: %d transactions judged", c.name, calls)
			}
		}
	}
}
