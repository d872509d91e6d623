package vm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// poolModule writes memory and globals, grows memory, traps and runs out of
// gas, so that any state a reset misses would show in probe, which hashes
// the whole memory, its size and every global.
const poolModule = `(module
  (memory 1 8)
  (global $g (mut i64) (i64.const 7))
  (global $h (mut i32) (i32.const 3))
  (global $f (mut f64) (f64.const 1.5))
  (data (i32.const 100) "initial bytes of the snapshot")
  (func $scribble (param $addr i32) (param $v i64)
    local.get $addr
    i32.const 65528
    i32.and
    local.get $v
    i64.store
    global.get $g
    local.get $v
    i64.add
    global.set $g
    global.get $h
    i32.const 1
    i32.add
    global.set $h
    global.get $f
    f64.const 2
    f64.mul
    global.set $f)
  (func (export "write") (param i32 i64) (result i64)
    local.get 0 local.get 1 call $scribble
    global.get $g)
  (func (export "grow") (param i32 i64) (result i32)
    local.get 0 local.get 1 call $scribble
    i32.const 1
    memory.grow
    drop
    ;; dirty the new page too
    i32.const 65536
    local.get 1
    i64.store
    memory.size)
  (func (export "trap") (param i32 i64)
    local.get 0 local.get 1 call $scribble
    unreachable)
  (func (export "burn") (param i32 i64)
    local.get 0 local.get 1 call $scribble
    loop $l br $l end)
  (func (export "fill") (param i32 i64)
    local.get 0 local.get 1 call $scribble
    i32.const 0
    local.get 1
    i32.wrap_i64
    i32.const 4096
    memory.fill)
  (func (export "probe") (result i64) (local $i i32) (local $h i64)
    memory.size
    i64.extend_i32_u
    local.set $h
    block $done
      loop $l
        local.get $i
        memory.size
        i32.const 65536
        i32.mul
        i32.ge_u
        br_if $done
        local.get $h
        i64.const 1099511628211
        i64.mul
        local.get $i
        i64.load
        i64.xor
        local.set $h
        local.get $i
        i32.const 8
        i32.add
        local.set $i
        br $l
      end
    end
    local.get $h
    global.get $g
    i64.xor
    global.get $h
    i64.extend_i32_u
    i64.xor
    global.get $f
    i64.reinterpret_f64
    i64.xor))`

// TestPoolNeverLeaks runs a random history of calls on a pooled module and
// the same calls on a module that gets a fresh instance every time; every
// call must give the same values, gas and error, and probing memory and
// globals after every call must too.
func TestPoolNeverLeaks(t *testing.T) {
	ctx := context.Background()
	code := wat.MustCompile(poolModule)
	deploy := func(poolSize int) *Module {
		e, err := NewEngine(ctx, Config{PoolSize: poolSize})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close(ctx) })
		m, err := e.Deploy(ctx, code, ParamsV1())
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pooled, fresh := deploy(1), deploy(-1)
	rng := rand.New(rand.NewPCG(1, 2))
	funcs := []string{"write", "grow", "trap", "burn", "fill"}
	outcomes := map[string]int{}
	for i := 0; i < 400; i++ {
		req := Request{
			Func: funcs[rng.IntN(len(funcs))],
			Args: []uint64{uint64(rng.Uint32()), rng.Uint64()},
			Gas:  uint64(50 + rng.IntN(400)),
		}
		a, errA := pooled.Call(ctx, req)
		b, errB := fresh.Call(ctx, req)
		if got, want := describe(a, errA), describe(b, errB); got != want {
			t.Fatalf("call %d %s: pooled %s, fresh %s", i, req.Func, got, want)
		}
		outcomes[classOf(errA)]++
		probe := Request{Func: "probe", Gas: 1 << 30}
		pa, errA := pooled.Call(ctx, probe)
		pb, errB := fresh.Call(ctx, probe)
		if errA != nil || errB != nil {
			t.Fatalf("probe after call %d: %v / %v", i, errA, errB)
		}
		if describe(pa, nil) != describe(pb, nil) {
			t.Fatalf("after call %d (%s): pooled instance probes %s, fresh %s", i, req.Func, describe(pa, nil), describe(pb, nil))
		}
	}
	// The history must have covered every way a call can end.
	for _, c := range []string{"ok", "trap", "out of gas"} {
		if outcomes[c] == 0 {
			t.Fatalf("no call ended %q: %v", c, outcomes)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func describe(r Result, err error) string {
	return fmt.Sprintf("values=%x gas=%d err=%s", r.Values, r.GasUsed, classOf(err))
}

func classOf(err error) string {
	var trap *TrapError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrOutOfGas):
		return "out of gas"
	case errors.As(err, &trap):
		return "trap"
	}
	return err.Error()
}

// TestConcurrentCalls runs calls from many goroutines on one module (run it
// with -race): every result must equal the one the same call gives alone.
func TestConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{PoolSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	m, err := e.Deploy(ctx, wat.MustCompile(poolModule), ParamsV1())
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]Request, 64)
	want := make([]string, len(reqs))
	rng := rand.New(rand.NewPCG(3, 4))
	funcs := []string{"write", "grow", "trap", "fill"}
	for i := range reqs {
		reqs[i] = Request{Func: funcs[rng.IntN(len(funcs))], Args: []uint64{uint64(rng.Uint32()), rng.Uint64()}, Gas: 10_000}
		res, err := m.Call(ctx, reqs[i])
		want[i] = describe(res, err)
	}
	errs := make(chan string, len(reqs)*4)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for k := range reqs {
				i := (k + g*16) % len(reqs)
				res, err := m.Call(ctx, reqs[i])
				if got := describe(res, err); got != want[i] {
					errs <- fmt.Sprintf("goroutine %d call %d: %s, alone %s", g, i, got, want[i])
				}
			}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
