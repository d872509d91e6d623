package state

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestZZRead(t *testing.T) {
	n := envInt("PLINTH_BENCH_KEYS")
	if n == 0 {
		t.Skip()
	}
	dir := t.TempDir()
	s, err := Open(dir, Options{ChainID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	per := (n + 9) / 10
	for start := 0; start < n; start += per {
		var cs []Change
		for i := start; i < min(n, start+per); i++ {
			cs = append(cs, Change{Key: benchKey(i), Value: benchValue(i, 0)})
		}
		if _, err := s.Commit(s.Height()+1, cs); err != nil {
			t.Fatal(err)
		}
	}
	s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true)
	s.Close()
	s, err = Open(dir, Options{ChainID: "bench", CacheBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now()
	<-s.warmDone
	t.Logf("warm %v: %d nodes, %d bytes, %d slabs", time.Since(t0), s.nodes.len(), s.nodes.size, len(s.nodes.slabs))
	if f := os.Getenv("ZZPROF"); f != "" {
		pf, _ := os.Create(f)
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 3; round++ {
		t0 := time.Now()
		for i := 0; i < 5000; i++ {
			if _, _, err := s.Prove(benchKey(rng.IntN(n)), s.Height()); err != nil {
				t.Fatal(err)
			}
		}
		t1 := time.Now()
		for i := 0; i < 5000; i++ {
			if _, _, err := s.GetAt(benchKey(rng.IntN(n)), 1+uint64(rng.IntN(int(s.Height())))); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("prove %v/op getat %v/op nodes cached %d", t1.Sub(t0)/5000, time.Since(t1)/5000, s.nodes.len())
	}
}
