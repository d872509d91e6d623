package state

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// crashBlocks is how far the crash test's chain goes.
const crashBlocks = 150

// crashBlock is block h of the crash test's chain: deterministic, so the
// parent knows every height's expected state without asking the child.
func crashBlock(h uint64) []Change {
	var cs []Change
	for i := uint64(0); i < 40; i++ {
		k := []byte(fmt.Sprintf("key-%04d", (h*37+i*11)%600))
		if (h+i)%9 == 0 {
			cs = append(cs, Change{Key: k, Delete: true})
			continue
		}
		cs = append(cs, Change{Key: k, Value: []byte(fmt.Sprintf("%d:%d", h, i))})
	}
	return dedupe(cs)
}

func dedupe(cs []Change) []Change {
	seen := map[string]bool{}
	out := cs[:0]
	for _, c := range cs {
		if !seen[string(c.Key)] {
			seen[string(c.Key)] = true
			out = append(out, c)
		}
	}
	return out
}

// TestCrashChild is the process TestCrashRecovery kills: it commits the
// crash chain from wherever the store is, printing each height once its
// commit has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("PLINTH_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashRecovery as a child process")
	}
	s, err := Open(dir, Options{ChainID: "crash"})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for h := s.Height() + 1; h <= crashBlocks; h++ {
		if _, err := s.Commit(h, crashBlock(h)); err != nil {
			fmt.Println("commit:", err)
			os.Exit(2)
		}
		fmt.Println(h)
	}
	_ = s.Close()
}

// TestCrashRecovery runs a real child process that commits blocks and kills
// it with SIGKILL at random points, again and again, resuming each time
// from what the store holds. After every kill the store must be exactly at
// a committed height: at least the last one the child reported, with that
// height's root, and every key reading as the chain says. Nothing
// half-written.
func TestCrashRecovery(t *testing.T) {
	// The expected root and live set after each height, from an
	// uninterrupted run.
	ref := openTest(t, t.TempDir())
	roots := [][32]byte{{}}
	for h := uint64(1); h <= crashBlocks; h++ {
		r, err := ref.Commit(h, crashBlock(h))
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, r)
	}
	defer ref.Close()

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(21, 22))
	kills := 0
	for round := 0; round < 60; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PLINTH_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		reported := uint64(0)
		stopAfter := 1 + rng.IntN(12)
		lines := 0
		for sc.Scan() {
			h, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				continue // the test framework's own output
			}
			reported, lines = h, lines+1
			if lines == stopAfter {
				_ = cmd.Process.Kill() // SIGKILL
				kills++
				break
			}
		}
		_ = cmd.Wait()

		s, err := Open(dir, Options{ChainID: "crash"})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		h := s.Height()
		if h < reported || h > crashBlocks {
			t.Fatalf("round %d: store at height %d, child had reported %d", round, h, reported)
		}
		if s.RootHash() != roots[h] {
			t.Fatalf("round %d: root at height %d is %x, want %x", round, h, s.RootHash(), roots[h][:8])
		}
		for i := 0; i < 600; i += 13 {
			k := []byte(fmt.Sprintf("key-%04d", i))
			want, wok, _ := ref.GetAt(k, max(h, 1))
			got, gok, err := s.Get(k)
			if h == 0 {
				want, wok = nil, false
			}
			if err != nil || gok != wok || string(got) != string(want) {
				t.Fatalf("round %d height %d: %s = %q %v %v, want %q %v", round, h, k, got, gok, err, want, wok)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if h == crashBlocks {
			break
		}
	}
	if kills < 5 {
		t.Fatalf("only %d kills happened", kills)
	}
	t.Logf("%d SIGKILLs, every reopen at a committed height with the right root", kills)
}
