package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// benchKey is the i-th key of the benchmark keyspace: 32 bytes, like a
// contract's hashed storage slot.
func benchKey(i int) []byte {
	k := make([]byte, 32)
	binary.BigEndian.PutUint64(k, uint64(i)*0x9E3779B97F4A7C15)
	binary.BigEndian.PutUint64(k[24:], uint64(i))
	return k
}

func benchValue(i, round int) []byte {
	return []byte(fmt.Sprintf("value-%d-%d-padding-to-about-48-bytes", i, round))
}

// BenchmarkCommit: blocks of 10,000 random updates into a store pre-filled
// with keys (PLINTH_BENCH_KEYS, default 1,000,000). pebble writes the same
// keys and values as one synced Pebble batch; plinth is Store.Commit with
// the state root. Each reports updates/s; docs/benchmarks.md has the figures.
func BenchmarkCommit(b *testing.B) {
	const perBlock = 10_000
	prefill := 1_000_000
	if n := envInt("PLINTH_BENCH_KEYS"); n > 0 {
		prefill = n
	}
	// pebble is the baseline: the block's keys and values in the
	// order they come. pebble-sorted sorts them first, as the store does
	// with each kind of record (keyOrder): a Pebble user can have that
	// speed-up too, so the ratio is reported against both.
	for _, sorted := range []bool{false, true} {
		b.Run(map[bool]string{false: "pebble", true: "pebble-sorted"}[sorted], func(b *testing.B) {
			benchPebbleCommit(b, prefill, perBlock, sorted)
		})
	}
	b.Run("plinth", func(b *testing.B) {
		s, err := Open(b.TempDir(), Options{ChainID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		// Pre-filled in blocks of the benchmark's size: a node grows its
		// state block by block, and peak memory is measured over the run.
		for start := 0; start < prefill; start += perBlock {
			var cs []Change
			for i := start; i < min(prefill, start+perBlock); i++ {
				cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, 0)})
			}
			if _, err := s.Commit(s.Height()+1, cs); err != nil {
				b.Fatal(err)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			seen := make(map[int]bool, perBlock)
			cs := make([]Change, 0, perBlock)
			for len(cs) < perBlock {
				i := rng.IntN(prefill)
				if seen[i] {
					continue
				}
				seen[i] = true
				cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, n+1)})
			}
			if _, err := s.Commit(s.Height()+1, cs); err != nil {
				b.Fatal(err)
			}
		}
		// Not the deferred Close: it waits for whatever compaction is
		// running, which is not a commit's time.
		b.StopTimer()
		b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "updates/s")
	})
}

// benchPebbleCommit is BenchmarkCommit's baseline: the same keys and
// values as one synced batch, on Pebble configured as the store
// configures it, so the ratio measures what the state layer adds, not
// Pebble tuning.
func benchPebbleCommit(b *testing.B, prefill, perBlock int, sorted bool) {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	db, err := pebble.Open(b.TempDir(), pebbleOptions(Options{}, cache))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for start := 0; start < prefill; start += 100_000 {
		batch := db.NewBatch()
		for i := start; i < min(prefill, start+100_000); i++ {
			_ = batch.Set(append([]byte{prefixFlat}, benchKey(i)...), benchValue(i, 0), nil)
		}
		if err := batch.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		kvs := make([][2][]byte, perBlock)
		for j := range kvs {
			i := rng.IntN(prefill)
			kvs[j] = [2][]byte{append([]byte{prefixFlat}, benchKey(i)...), benchValue(i, n+1)}
		}
		if sorted {
			slices.SortFunc(kvs, func(x, y [2][]byte) int { return bytes.Compare(x[0], y[0]) })
		}
		batch := db.NewBatch()
		for _, kv := range kvs {
			_ = batch.Set(kv[0], kv[1], nil)
		}
		if err := batch.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer() // as in BenchmarkCommit/plinth: not the deferred Close
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "updates/s")
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// readBenchDir fills a store with PLINTH_BENCH_KEYS keys (default
// 1,000,000) over 10 heights, settles its LSM and closes it.
func readBenchDir(b *testing.B) (string, int) {
	n := 1_000_000
	if v := envInt("PLINTH_BENCH_KEYS"); v > 0 {
		n = v
	}
	dir := b.TempDir()
	s, err := Open(dir, Options{ChainID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	per := (n + 9) / 10
	for start := 0; start < n; start += per {
		var cs []Change
		for i := start; i < min(n, start+per); i++ {
			cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, 0)})
		}
		if _, err := s.Commit(s.Height()+1, cs); err != nil {
			b.Fatal(err)
		}
	}
	// Settle the LSM as a node that has been running would have it (the
	// bulk load leaves dozens of L0 files and a compaction debt), then
	// close: the reopen is cold.
	if err := s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir, n
}

// openCold reopens a read benchmark's store with a 64 MiB block cache,
// smaller than the data, so reads measure the store, not RAM. With the
// node cache, the timer starts once its warm-up has loaded the tree's
// internal nodes (reported as warm-ms); without it, every node of a proof
// is read from Pebble.
func openCold(b *testing.B, dir string, nodeCache bool) *Store {
	opts := Options{ChainID: "bench", CacheBytes: 64 << 20, NodeCacheBytes: -1}
	if nodeCache {
		opts.NodeCacheBytes = 0 // the default
	}
	start := time.Now()
	s, err := Open(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	<-s.warmDone
	s.nodes.mu.RLock()
	cached := s.nodes.size
	s.nodes.mu.RUnlock()
	b.Logf("reopened and warmed in %v; %d nodes cached in %d MiB", time.Since(start), s.nodes.len(), cached>>20)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkProve: proofs (with their values) of random keys at the latest
// height, after a cold reopen; reports proofs/s (target >= 50,000).
func BenchmarkProve(b *testing.B) {
	dir, n := readBenchDir(b)
	for _, nc := range []bool{true, false} {
		name := map[bool]string{true: "node-cache", false: "no-node-cache"}[nc]
		b.Run(name, func(b *testing.B) {
			s := openCold(b, dir, nc)
			rng := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.Prove(benchKey(rng.IntN(n)), s.Height()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
		})
	}
}

// BenchmarkGetAt: historical reads of random keys at random retained
// heights, after a cold reopen; reports reads/s.
func BenchmarkGetAt(b *testing.B) {
	dir, n := readBenchDir(b)
	s := openCold(b, dir, false)
	rng := rand.New(rand.NewPCG(5, 6))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.GetAt(benchKey(rng.IntN(n)), 1+uint64(rng.IntN(int(s.Height())))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
