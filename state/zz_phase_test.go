package state

import (
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/plinthchain/plinth/state/internal/jmt"
)

func TestZZPhases(t *testing.T) {
	prefill := envInt("PLINTH_BENCH_KEYS")
	if prefill == 0 {
		t.Skip()
	}
	s, err := Open(t.TempDir(), Options{ChainID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for start := 0; start < prefill; start += 100_000 {
		var cs []Change
		for i := start; i < min(prefill, start+100_000); i++ {
			cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, 0)})
		}
		if _, err := s.Commit(s.Height()+1, cs); err != nil {
			t.Fatal(err)
		}
	}
	if f := os.Getenv("ZZPROF"); f != "" {
		pf, _ := os.Create(f)
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var dHash, dUpd, dBatch, dSync, dCache time.Duration
	const N = 20
	for n := 0; n < N; n++ {
		seen := map[int]bool{}
		cs := make([]Change, 0, 10000)
		for len(cs) < 10000 {
			i := rng.IntN(prefill)
			if seen[i] {
				continue
			}
			seen[i] = true
			cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, n+1)})
		}
		height := s.height + 1
		if os.Getenv("ZZCOMMIT") != "" {
			t0 := time.Now()
			if _, err := s.Commit(height, cs); err != nil {
				t.Fatal(err)
			}
			dUpd += time.Since(t0)
			continue
		}
		t0 := time.Now()
		tc := make([]jmt.Change, len(cs))
		for i, c := range cs {
			tc[i] = jmt.Change{KeyHash: jmt.HashKey(c.Key), ValueHash: jmt.HashValue(c.Value)}
		}
		t1 := time.Now()
		res, err := jmt.UpdateParallel(nodeReader{s: s, latest: true}, s.root, height, tc, 2)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		b, enc, err := s.commitBatch(height, cs, nil, res)
		if err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		if err := s.syncBatch(b); err != nil {
			t.Fatal(err)
		}
		t4 := time.Now()
		if n == 0 {
			t.Logf("batch %d bytes %d entries", b.Len(), b.Count())
		}
		b.Close()
		s.height, s.root = height, res.Root
		for _, k := range res.Stale {
			s.nodes.drop(k)
		}
		for i, e := range res.New {
			s.nodes.put(e.Key, enc[i])
		}
		t5 := time.Now()
		dHash += t1.Sub(t0)
		dUpd += t2.Sub(t1)
		dBatch += t3.Sub(t2)
		dSync += t4.Sub(t3)
		dCache += t5.Sub(t4)
		if n == 0 {
			t.Logf("new %d stale %d batch %d bytes %d entries", len(res.New), len(res.Stale), b.Len(), b.Count())
		}
	}
	t.Logf("%s", s.db.Metrics())
	t.Logf("per block: hash %v update %v batch %v sync %v cache %v", dHash/N, dUpd/N, dBatch/N, dSync/N, dCache/N)
}
