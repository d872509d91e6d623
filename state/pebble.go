package state

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// pebbleOptions configures Pebble for the state's workload; docs/state.md
// gives the reasons for each choice.
func pebbleOptions(opts Options, cache *pebble.Cache) *pebble.Options {
	o := &pebble.Options{
		Logger:             pebbleLogger{},
		EventListener:      pebbleEvents(),
		FS:                 opts.FS,
		Cache:              cache,
		FormatMajorVersion: pebble.FormatNewest,
		// A block of 10,000 updates writes about 10 MB (values, versions and
		// the tree's new nodes). A 64 MiB memtable holds several blocks, so
		// a flush is not due every block, and four of them queued let a
		// commit go on while one flushes.
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		// L0 files from those flushes are large; compact them into Lbase
		// sooner rather than let reads check many overlapping files.
		L0CompactionThreshold: 2,
		L0StopWritesThreshold: 1000,
		LBaseMaxBytes:         256 << 20,
		// A second compaction may run when there is a backlog; the node
		// keeps at least a core for execution.
		CompactionConcurrencyRange: func() (int, int) { return 1, 2 },
	}
	// Output tables are cut at every record kind (the key's first byte).
	// Tree nodes are keyed by ascending version: in tables of their own,
	// a flush of newer nodes overlaps no older table of nodes, and Pebble
	// moves such tables down a level instead of rewriting them with the
	// randomly keyed values they used to share tables with.
	o.Experimental.SpanPolicyFunc = func(start []byte) (pebble.SpanPolicy, []byte, error) {
		if len(start) == 0 || start[0] == 0xff {
			return pebble.SpanPolicy{}, nil, nil
		}
		return pebble.SpanPolicy{}, []byte{start[0] + 1}, nil
	}
	for i := range o.Levels {
		// Point reads (Get of a flat value or a tree node) check a bloom
		// filter before a table's index: most tables do not hold the key.
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return o
}
