package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// floatModule exercises every float instruction whose result the spec leaves
// open for NaNs, plus the exact ones, on operands given as bits.
const floatModule = `(module
  (func (export "f64") (param $op i32) (param $a i64) (param $b i64) (result i64)
    (local $x f64) (local $y f64)
    local.get $a f64.reinterpret_i64 local.set $x
    local.get $b f64.reinterpret_i64 local.set $y
    block $default
      block $7 block $6 block $5 block $4 block $3 block $2 block $1 block $0
        local.get $op
        br_table $0 $1 $2 $3 $4 $5 $6 $7 $default
      end local.get $x local.get $y f64.add i64.reinterpret_f64 return
      end local.get $x local.get $y f64.sub i64.reinterpret_f64 return
      end local.get $x local.get $y f64.mul i64.reinterpret_f64 return
      end local.get $x local.get $y f64.div i64.reinterpret_f64 return
      end local.get $x local.get $y f64.min i64.reinterpret_f64 return
      end local.get $x local.get $y f64.max i64.reinterpret_f64 return
      end local.get $x f64.sqrt i64.reinterpret_f64 return
      end local.get $x f64.nearest local.get $y f64.ceil f64.add i64.reinterpret_f64 return
    end
    local.get $x f32.demote_f64 f64.promote_f32 f64.floor local.get $y f64.trunc f64.copysign
    i64.reinterpret_f64)
  (func (export "f32") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (local $x f32) (local $y f32)
    local.get $a f32.reinterpret_i32 local.set $x
    local.get $b f32.reinterpret_i32 local.set $y
    block $default
      block $3 block $2 block $1 block $0
        local.get $op
        br_table $0 $1 $2 $3 $default
      end local.get $x local.get $y f32.add i32.reinterpret_f32 return
      end local.get $x local.get $y f32.div i32.reinterpret_f32 return
      end local.get $x f32.sqrt local.get $y f32.neg f32.mul i32.reinterpret_f32 return
      end local.get $x local.get $y f32.min local.get $y f32.max i32.reinterpret_f32 return
    end
    local.get $x i32.trunc_sat_f32_s local.get $y i32.trunc_sat_f32_u i32.xor))`

// interestingBits returns float bit patterns worth testing: NaNs with
// payloads and both signs, infinities, zeros, subnormals, and random values.
func interestingBits64(rng *rand.Rand) uint64 {
	special := []uint64{
		0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0xFFF4000000000123,
		0x7FF0000000000000, 0xFFF0000000000000, 0, 0x8000000000000000, 1, 0x000FFFFFFFFFFFFF,
		0x3FF0000000000000, 0xBFF0000000000000, 0x4330000000000000,
	}
	if rng.IntN(2) == 0 {
		return special[rng.IntN(len(special))]
	}
	return rng.Uint64()
}

func interestingBits32(rng *rand.Rand) uint32 {
	special := []uint32{0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFA00123, 0x7F800000, 0xFF800000, 0, 0x80000000, 1, 0x3F800000, 0x4F000000}
	if rng.IntN(2) == 0 {
		return special[rng.IntN(len(special))]
	}
	return rng.Uint32()
}

// transcript runs a fixed, seeded history of calls and returns one line per
// call: values, gas and how the call ended.
func transcript(t *testing.T, cfg Config) string {
	t.Helper()
	ctx := context.Background()
	e, err := NewEngine(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	deploy := func(src string) *Module {
		m, err := e.Deploy(ctx, wat.MustCompile(src), ParamsV1())
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pool, floats := deploy(poolModule), deploy(floatModule)
	rng := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fns := []string{"write", "grow", "trap", "burn", "fill", "probe"}
		req := Request{Func: fns[rng.IntN(len(fns))], Args: []uint64{uint64(rng.Uint32()), rng.Uint64()}, Gas: uint64(50 + rng.IntN(2000))}
		if req.Func == "probe" {
			req.Args, req.Gas = nil, 1<<30
		}
		res, err := pool.Call(ctx, req)
		fmt.Fprintf(&b, "%s %s\n", req.Func, describe(res, err))
	}
	for i := 0; i < 2000; i++ {
		req := Request{Func: "f64", Args: []uint64{uint64(rng.IntN(9)), interestingBits64(rng), interestingBits64(rng)}, Gas: 1000}
		if i%2 == 1 {
			req = Request{Func: "f32", Args: []uint64{uint64(rng.IntN(5)), uint64(interestingBits32(rng)), uint64(interestingBits32(rng))}, Gas: 1000}
		}
		res, err := floats.Call(ctx, req)
		fmt.Fprintf(&b, "%s%x %s\n", req.Func, req.Args, describe(res, err))
	}
	return b.String()
}

// TestDeterminism runs the same history under every configuration that must
// not matter — compiler or interpreter, pooled or fresh instances, cold or
// warm compile cache, the first or a repeated run — and requires identical
// transcripts. The transcript's hash is pinned in testdata, so the same test
// run on another architecture (the arm64 build under qemu in .ci/run)
// proves that machine agrees with this one. PLINTH_UPDATE_GOLDEN=1 rewrites
// the pinned hash; a change is a consensus change.
func TestDeterminism(t *testing.T) {
	cache := t.TempDir()
	configs := []struct {
		name string
		cfg  Config
	}{
		{"compiler", Config{}},
		{"compiler again", Config{}},
		{"interpreter", Config{Interpreter: true}},
		{"fresh instances", Config{PoolSize: -1}},
		{"cold cache", Config{CacheDir: cache}},
		{"warm cache", Config{CacheDir: cache}},
	}
	var first string
	for _, c := range configs {
		got := transcript(t, c.cfg)
		if first == "" {
			first = got
			continue
		}
		if got != first {
			t.Fatalf("%s differs from %s:\n%s", c.name, configs[0].name, firstDiff(first, got))
		}
	}
	checkGolden(t, "determinism.golden", first)
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			other := ""
			if i < len(bl) {
				other = bl[i]
			}
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], other)
		}
	}
	return "lengths differ"
}

// TestGoDeterminism pins the outcome of a few calls of the Go test contract
// (output, gas, debug log) in testdata, so that the arm64 run of this test
// under qemu in .ci/run proves that machine agrees with this one on real Go
// output, not just on hand-written modules. The other Go contract tests
// compare engines and instances on one machine.
func TestGoDeterminism(t *testing.T) {
	m := sharedGoContract(t)
	var b strings.Builder
	storage := map[string][]byte{}
	for _, c := range []struct {
		fn    string
		args  []uint64
		input []byte
	}{
		{"run", nil, goInput},
		{"run", nil, goInput},
		{"put", []uint64{41}, nil},
		{"sha", []uint64{42}, nil},
		{"random", nil, nil},
		{"fail", nil, nil},
	} {
		got := callGo(t, m, c.fn, c.args, c.input, goSeed, goGas, storage)
		fmt.Fprintf(&b, "%s %v: %s\n", c.fn, c.args, got)
	}
	checkGolden(t, "go_determinism.golden", b.String())
}

// checkGolden compares the hash of a transcript with the one pinned in
// testdata/name (PLINTH_UPDATE_GOLDEN=1 rewrites it).
func checkGolden(t *testing.T, name, transcript string) {
	t.Helper()
	sum := sha256.Sum256([]byte(transcript))
	hash := hex.EncodeToString(sum[:])
	golden := filepath.Join("testdata", name)
	if os.Getenv("PLINTH_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(hash+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != hash {
		t.Fatalf("transcript on %s/%s hashes to %s, pinned %s:\n%s", runtime.GOOS, runtime.GOARCH, hash, strings.TrimSpace(string(want)), transcript)
	}
	t.Logf("%s/%s transcript %s (%d lines)", runtime.GOOS, runtime.GOARCH, hash, strings.Count(transcript, "\n"))
}
