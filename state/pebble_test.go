package state

import (
	"context"
	"testing"
)

// TestTablesHoldOneKindOfRecord: flushes and compactions cut their output
// tables at record-kind boundaries, so a table of tree nodes (keyed by
// ascending version) never spans the flat or versioned values (random
// keys) and a later flush of newer nodes overlaps no older table of nodes:
// Pebble can then move those tables down instead of rewriting them.
func TestTablesHoldOneKindOfRecord(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	for h := uint64(1); h <= 5; h++ {
		var cs []Change
		for i := 0; i < 300; i++ {
			cs = append(cs, Change{Key: benchKey(i + int(h)*100), Value: benchValue(i, int(h))})
		}
		if _, err := s.CommitBlock(h, cs, &Block{Hash: [32]byte{byte(h)}, Data: []byte("block")}); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, false); err != nil {
		t.Fatal(err)
	}
	levels, err := s.db.SSTables()
	if err != nil {
		t.Fatal(err)
	}
	tables, kinds := 0, map[byte]bool{}
	for level, ts := range levels {
		for _, tb := range ts {
			tables++
			lo, hi := tb.Smallest.UserKey, tb.Largest.UserKey
			if lo[0] != hi[0] {
				t.Errorf("L%d table %d holds records from %q to %q", level, tb.FileNum, lo[:1], hi[:1])
			}
			kinds[lo[0]] = true
		}
	}
	if tables < 5 || !kinds[prefixNode] || !kinds[prefixFlat] {
		t.Fatalf("%d tables of %d kinds: the test wrote too little to check", tables, len(kinds))
	}
}
