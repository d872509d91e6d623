package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// goContractPath is a reactor built by the standard Go toolchain
// (testdata/gocontract, see its README.md): the module the WASI shim, the
// instrumenter and pre-initialization must all get right together. It is
// read, not embedded: the directory is its own Go module (so the go tool
// never builds it for this one), and go:embed cannot cross modules.
const goContractPath = "testdata/gocontract/contract.wasm"

func goContract(t testing.TB) []byte {
	t.Helper()
	code, err := os.ReadFile(goContractPath)
	if err != nil {
		t.Fatalf("the Go contract: %v (rebuild it with testdata/gocontract/build.sh)", err)
	}
	return code
}

// testHost is the Env of a call of the Go contract: its input, its output
// and an in-memory storage.
type testHost struct {
	input   []byte
	output  []byte
	outputs int
	storage map[string][]byte
}

// Gas of the test host ABI (not the real one: hostfns/ defines that).
const (
	testHostGasBase    = 30
	testHostGasPerByte = 2
)

// testHostFuncs is the test ABI of module "plinth" the Go contract imports.
// Out-of-bounds pointers abort the call.
func testHostFuncs() []HostFunc {
	env := func(c *Caller) *testHost { return c.Env().(*testHost) }
	read := func(c *Caller, what string, ptr, n uint32) []byte {
		b, ok := c.Read(ptr, n)
		if !ok {
			c.Abort(what + ": out of bounds")
		}
		return bytes.Clone(b)
	}
	return []HostFunc{
		{Module: "plinth", Name: "input_len", Results: []ValueType{I32}, Fn: func(_ context.Context, c *Caller, s []uint64) {
			c.Charge(testHostGasBase)
			s[0] = uint64(len(env(c).input))
		}},
		{Module: "plinth", Name: "input_read", Params: []ValueType{I32}, Fn: func(_ context.Context, c *Caller, s []uint64) {
			h := env(c)
			c.Charge(testHostGasBase + testHostGasPerByte*uint64(len(h.input)))
			if !c.Write(uint32(s[0]), h.input) {
				c.Abort("input_read: out of bounds")
			}
		}},
		{Module: "plinth", Name: "output", Params: []ValueType{I32, I32}, Fn: func(_ context.Context, c *Caller, s []uint64) {
			c.Charge(testHostGasBase + testHostGasPerByte*uint64(uint32(s[1])))
			h := env(c)
			h.output = read(c, "output", uint32(s[0]), uint32(s[1]))
			h.outputs++
		}},
		{Module: "plinth", Name: "storage_set", Params: []ValueType{I32, I32, I32, I32}, Fn: func(_ context.Context, c *Caller, s []uint64) {
			c.Charge(testHostGasBase + testHostGasPerByte*(uint64(uint32(s[1]))+uint64(uint32(s[3]))))
			k := read(c, "storage_set key", uint32(s[0]), uint32(s[1]))
			v := read(c, "storage_set value", uint32(s[2]), uint32(s[3]))
			env(c).storage[string(k)] = v
		}},
		{Module: "plinth", Name: "storage_get", Params: []ValueType{I32, I32, I32, I32}, Results: []ValueType{I32}, Fn: func(_ context.Context, c *Caller, s []uint64) {
			c.Charge(testHostGasBase + testHostGasPerByte*uint64(uint32(s[1])))
			k := read(c, "storage_get key", uint32(s[0]), uint32(s[1]))
			v, ok := env(c).storage[string(k)]
			if !ok {
				s[0] = uint64(uint32(0xffffffff)) // -1
				return
			}
			n := min(uint32(len(v)), uint32(s[3]))
			c.Charge(testHostGasPerByte * uint64(n))
			if !c.Write(uint32(s[2]), v[:n]) {
				c.Abort("storage_get value: out of bounds")
			}
			s[0] = uint64(len(v))
		}},
	}
}

// Fixed call context of the Go contract tests.
var (
	goTime  = time.Date(2026, 11, 22, 4, 0, 0, 123456789, time.UTC).UnixNano()
	goSeed  = sha256.Sum256([]byte("gocontract seed"))
	goInput = []byte(`{"name":"alice","values":{"delta":4,"alpha":1,"charlie":3,"bravo":2,"echo":5,"foxtrot":6,"golf":7,"hotel":8},"divisor":7}`)
)

// goGas is plenty for one call of the Go contract.
const goGas = 50_000_000

// deployGoContract deploys the Go contract on a new engine.
func deployGoContract(t testing.TB, interpreter bool) *Module {
	t.Helper()
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Interpreter: interpreter, Host: testHostFuncs()})
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close(ctx) })
	code := goContract(t)
	m, err := e.Deploy(ctx, code, DefaultParams())
	if err != nil {
		t.Fatalf("Deploy of the Go contract (%d bytes): %v", len(code), err)
	}
	return m
}

// sharedGoContract is the Go contract deployed once on a compiler engine
// for the tests that need no fresh engine (a deploy takes seconds).
func sharedGoContract(t testing.TB) *Module {
	t.Helper()
	sharedGo.once.Do(func() {
		ctx := context.Background()
		e, err := NewEngine(ctx, Config{Host: testHostFuncs()})
		if err != nil {
			sharedGo.err = err
			return
		}
		code, err := os.ReadFile(goContractPath)
		if err != nil {
			sharedGo.err = err
			return
		}
		sharedGo.m, sharedGo.err = e.Deploy(ctx, code, DefaultParams())
	})
	if sharedGo.err != nil {
		t.Fatalf("Deploy of the Go contract: %v", sharedGo.err)
	}
	return sharedGo.m
}

var sharedGo struct {
	once sync.Once
	m    *Module
	err  error
}

// goCall is one call's observable outcome.
type goCall struct {
	output  string
	gasUsed uint64
	log     string
	storage map[string]string
	err     error
}

func callGo(t testing.TB, m *Module, fn string, args []uint64, input []byte, seed [32]byte, gas uint64, storage map[string][]byte) goCall {
	t.Helper()
	if storage == nil {
		storage = map[string][]byte{}
	}
	h := &testHost{input: input, storage: storage}
	res, err := m.Call(context.Background(), Request{Func: fn, Args: args, Gas: gas, Env: h, Time: goTime, Seed: seed})
	out := goCall{output: string(h.output), gasUsed: res.GasUsed, log: string(res.Log), storage: map[string]string{}, err: err}
	for k, v := range storage {
		out.storage[k] = string(v)
	}
	return out
}

func (c goCall) String() string {
	return fmt.Sprintf("err=%v gas=%d output=%q log=%q storage=%q", c.err, c.gasUsed, c.output, c.log, c.storage)
}

// TestGoContractRun runs the contract's run export repeatedly, on fresh and
// pooled instances, on fresh engines, on the compiler and the interpreter:
// output, gas, debug log and storage must be identical every time.
func TestGoContractRun(t *testing.T) {
	var first *goCall
	for _, interp := range []bool{false, true, false} {
		m := deployGoContract(t, interp)
		for i := 0; i < 3; i++ {
			got := callGo(t, m, "run", nil, goInput, goSeed, goGas, nil)
			if got.err != nil {
				t.Fatalf("interpreter=%v call %d: %v", interp, i, got)
			}
			if first == nil {
				first = &got
				t.Logf("run: gas %d, output %s, log %q", got.gasUsed, got.output, got.log)
				continue
			}
			if got.String() != first.String() {
				t.Fatalf("interpreter=%v call %d differs:\n got %v\nwant %v", interp, i, got, *first)
			}
		}
	}

	var resp struct {
		Greeting string   `json:"greeting"`
		Sorted   []string `json:"sorted"`
		Sum      int      `json:"sum"`
		Count    int      `json:"count"`
		Ratio    float64  `json:"ratio"`
		Counter  int      `json:"counter"`
		Time     string   `json:"time"`
	}
	if err := json.Unmarshal([]byte(first.output), &resp); err != nil {
		t.Fatalf("output %q: %v", first.output, err)
	}
	want := `{"greeting":"hello, alice","sorted":["alpha=1","bravo=2","charlie=3","delta=4","echo=5","foxtrot=6","golf=7","hotel=8"],"sum":36,"count":8,"ratio":5.142857142857143,"counter":1,"time":"2026-11-22T04:00:00.123456789Z"}`
	if first.output != want {
		t.Errorf("output\n got %s\nwant %s", first.output, want)
	}
	if resp.Ratio != 36.0/7 {
		t.Errorf("ratio %v, want %v", resp.Ratio, 36.0/7)
	}
	wantStorage := map[string]string{"counter": "1", "greeting:alice": "hello, alice"}
	if fmt.Sprint(first.storage) != fmt.Sprint(wantStorage) {
		t.Errorf("storage %q, want %q", first.storage, wantStorage)
	}
	if !strings.HasPrefix(first.log, "run: alice order ") || !strings.HasSuffix(first.log, " sum 36 ratio 5.142857142857143\n") {
		t.Errorf("debug log %q lacks the Println line", first.log)
	}
}

// TestGoContractSeed: the contract's result does not depend on the seed (it
// never lets map order reach its output), and repeated calls see storage.
func TestGoContractSeed(t *testing.T) {
	m := sharedGoContract(t)
	a := callGo(t, m, "run", nil, goInput, goSeed, goGas, nil)
	b := callGo(t, m, "run", nil, goInput, [32]byte{1, 2, 3}, goGas, nil)
	if a.err != nil || b.err != nil {
		t.Fatalf("run: %v / %v", a, b)
	}
	if a.output != b.output || fmt.Sprint(a.storage) != fmt.Sprint(b.storage) {
		t.Errorf("result depends on the seed:\n%v\n%v", a, b)
	}

	storage := map[string][]byte{}
	for i := 1; i <= 3; i++ {
		got := callGo(t, m, "run", nil, goInput, goSeed, goGas, storage)
		if got.err != nil {
			t.Fatalf("run %d: %v", i, got)
		}
		if want := fmt.Sprintf(`"counter":%d`, i); !strings.Contains(got.output, want) {
			t.Errorf("run %d: output %s lacks %s", i, got.output, want)
		}
	}
}

// TestGoContractRandom: crypto/rand in the contract reads random_get, which
// reads the call's seeded stream: SHA-256(seed ‖ counter as u64 LE).
func TestGoContractRandom(t *testing.T) {
	m := sharedGoContract(t)
	for _, seed := range [][32]byte{goSeed, {1, 2, 3}} {
		var in [40]byte
		copy(in[:], seed[:])
		block := sha256.Sum256(in[:])
		want := hex.EncodeToString(block[:16])
		for i := 0; i < 2; i++ {
			got := callGo(t, m, "random", nil, nil, seed, goGas, nil)
			if got.err != nil {
				t.Fatalf("random: %v", got)
			}
			if got.output != want {
				t.Errorf("seed %x call %d: random %s, want %s", seed[:4], i, got.output, want)
			}
		}
	}
}

// TestGoContractSha: the sha export hashes 64 KiB generated in WebAssembly
// memory; the digest must be the one Go computes natively, on both engines
// with the same gas.
func TestGoContractSha(t *testing.T) {
	data := make([]byte, 64<<10)
	x := uint64(42) | 1
	for i := 0; i < len(data); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(data[i:], x)
	}
	sum := sha256.Sum256(data)
	var gas uint64
	for _, interp := range []bool{false, true} {
		m := sharedGoContract(t)
		if interp {
			m = deployGoContract(t, true)
		}
		got := callGo(t, m, "sha", []uint64{42}, nil, goSeed, goGas, nil)
		if got.err != nil {
			t.Fatalf("sha: %v", got)
		}
		if got.output != string(sum[:]) {
			t.Errorf("interpreter=%v: sha %x, want %x", interp, got.output, sum)
		}
		if gas != 0 && got.gasUsed != gas {
			t.Errorf("interpreter=%v: gas %d, compiler used %d", interp, got.gasUsed, gas)
		}
		gas = got.gasUsed
	}
	t.Logf("sha over 64 KiB: %d gas", gas)
}

// TestGoContractOutOfGas: at a small limit, and at exactly one gas less
// than run needs, the call fails with ErrOutOfGas having used all its gas;
// at exactly what it needs, it succeeds.
func TestGoContractOutOfGas(t *testing.T) {
	m := sharedGoContract(t)
	full := callGo(t, m, "run", nil, goInput, goSeed, goGas, nil)
	if full.err != nil {
		t.Fatalf("run: %v", full)
	}
	for _, limit := range []uint64{0, 1, 1000, full.gasUsed - 1} {
		got := callGo(t, m, "run", nil, goInput, goSeed, limit, nil)
		if !errors.Is(got.err, ErrOutOfGas) {
			t.Errorf("limit %d: err %v, want ErrOutOfGas", limit, got.err)
		}
		if got.gasUsed != limit {
			t.Errorf("limit %d: GasUsed %d, want the limit", limit, got.gasUsed)
		}
	}
	exact := callGo(t, m, "run", nil, goInput, goSeed, full.gasUsed, nil)
	if exact.String() != full.String() {
		t.Errorf("at exactly its gas:\n got %v\nwant %v", exact, full)
	}
	// The instance that ran out of gas went back to the pool; the next call
	// must not notice.
	again := callGo(t, m, "run", nil, goInput, goSeed, goGas, nil)
	if again.String() != full.String() {
		t.Errorf("after out of gas:\n got %v\nwant %v", again, full)
	}
}

// TestGoContractExit: os.Exit is proc_exit, an *ExitError with the code. A
// panic prints to stderr (the debug log) and then, in a c-shared Go module,
// crashes with unreachable; on the way the runtime sleeps (freezetheworld
// calls usleep, which is poll_oneoff and throws if it fails).
func TestGoContractExit(t *testing.T) {
	m := sharedGoContract(t)
	got := callGo(t, m, "exit", []uint64{3}, nil, goSeed, goGas, nil)
	var exit *ExitError
	if !errors.As(got.err, &exit) || exit.Code != 3 {
		t.Errorf("exit(3): %v, want *ExitError{3}", got)
	}

	got = callGo(t, m, "fail", nil, nil, goSeed, goGas, nil)
	var trap *TrapError
	if !errors.As(got.err, &trap) || trap.Kind != TrapUnreachable {
		t.Errorf("fail: %v, want an unreachable trap", got)
	}
	if !strings.HasPrefix(got.log, "panic: contract failed on purpose\n\ngoroutine 1 [running]:\nmain.fail()\n") {
		t.Errorf("fail: log %q lacks the panic message", got.log)
	}

	// Instances are reset after an exit and a crash: run still works.
	if got := callGo(t, m, "run", nil, goInput, goSeed, goGas, nil); got.err != nil {
		t.Errorf("run after exit: %v", got)
	}
}

// TestGoContractSleep: time does not advance within a call, so a sleeping
// contract never wakes; its scheduler polls (poll_oneoff answers at once)
// until the gas is gone. It must never wait for real time.
func TestGoContractSleep(t *testing.T) {
	m := sharedGoContract(t)
	got := callGo(t, m, "sleep", nil, nil, goSeed, 2_000_000, nil)
	if !errors.Is(got.err, ErrOutOfGas) || got.gasUsed != 2_000_000 {
		t.Errorf("sleep: %v, want ErrOutOfGas using all 2000000 gas", got)
	}
}

// TestGoContractStdin: stdin is empty.
func TestGoContractStdin(t *testing.T) {
	m := sharedGoContract(t)
	got := callGo(t, m, "stdin", nil, nil, goSeed, goGas, nil)
	if got.err != nil || got.output != "0" {
		t.Errorf("stdin: %v, want output 0", got)
	}
}

// BenchmarkGoContract measures calls of the Go contract on the compiler:
// run (JSON, storage, fmt) and sha (SHA-256 of 64 KiB, all WebAssembly).
func BenchmarkGoContract(b *testing.B) {
	m := sharedGoContract(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		fn    string
		args  []uint64
		input []byte
	}{
		{"run", "run", nil, goInput},
		{"sha64KiB", "sha", []uint64{42}, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var gas uint64
			for b.Loop() {
				h := &testHost{input: bc.input, storage: map[string][]byte{}}
				res, err := m.Call(ctx, Request{Func: bc.fn, Args: bc.args, Gas: goGas, Env: h, Time: goTime, Seed: goSeed})
				if err != nil {
					b.Fatal(err)
				}
				gas = res.GasUsed
			}
			b.ReportMetric(float64(gas), "gas/op")
		})
	}
}
