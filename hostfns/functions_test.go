package hostfns

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/vm"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// fakeEnv is an in-memory Env for testing the host functions alone (the
// runtime's Env over real state is tested in runtime).
type fakeEnv struct {
	ctx      Context
	readOnly bool
	store    map[string][]byte
	balances map[address.Address]canon.U256
	events   []string
}

func newFakeEnv() *fakeEnv {
	return &fakeEnv{
		ctx:      Context{Caller: address.Address{1}, Self: address.Address{9}, Origin: address.Address{3}, Funds: canon.NewU256(77), Height: 9, Time: 1234, ChainID: "c", TxHash: [32]byte{4}},
		store:    map[string][]byte{"k": []byte("stored")},
		balances: map[address.Address]canon.U256{{2}: canon.NewU256(1000), {9}: canon.NewU256(1000)},
	}
}

func (e *fakeEnv) Context() *Context { return &e.ctx }
func (e *fakeEnv) ReadOnly() bool    { return e.readOnly }
func (e *fakeEnv) StorageGet(k []byte) ([]byte, bool, error) {
	v, ok := e.store[string(k)]
	return v, ok, nil
}
func (e *fakeEnv) StorageSet(k, v []byte) (bool, error) {
	_, ok := e.store[string(k)]
	e.store[string(k)] = v
	return ok, nil
}
func (e *fakeEnv) StorageRemove(k []byte) (bool, error) {
	_, ok := e.store[string(k)]
	delete(e.store, string(k))
	return ok, nil
}
func (e *fakeEnv) Balance(a address.Address) (canon.U256, error) { return e.balances[a], nil }
func (e *fakeEnv) Transfer(to address.Address, amt canon.U256) error {
	from := e.balances[e.ctx.Self]
	if from.Lt(&amt.Int) {
		return errors.New("insufficient funds")
	}
	from.Sub(&from.Int, &amt.Int)
	e.balances[e.ctx.Self] = from
	t := e.balances[to]
	t.Add(&t.Int, &amt.Int)
	e.balances[to] = t
	return nil
}
func (e *fakeEnv) Call(contract address.Address, method string, input []byte, funds canon.U256, gas uint64, readOnly bool) (CallResult, error) {
	e.events = append(e.events, fmt.Sprintf("call %s %q %q readonly=%v", contract, method, input, readOnly))
	if method == "bad" {
		return CallResult{GasUsed: 30, Code: 9, Message: "callee aborted"}, nil
	}
	return CallResult{Return: []byte("ret"), GasUsed: 30}, nil
}
func (e *fakeEnv) Dispatch(contract address.Address, method string, input []byte, funds canon.U256) error {
	e.events = append(e.events, fmt.Sprintf("dispatch %q", method))
	return nil
}
func (e *fakeEnv) DispatchMigrate(contract address.Address, codeHash [32]byte, input []byte) error {
	e.events = append(e.events, "migrate")
	return nil
}
func (e *fakeEnv) SetAdmin(contract address.Address, admin *address.Address) error {
	e.events = append(e.events, fmt.Sprintf("admin %v", admin))
	return nil
}
func (e *fakeEnv) SetParams(b []byte, height uint64) error  { return nil }
func (e *fakeEnv) SetValidators(b []byte) error             { return nil }
func (e *fakeEnv) Device(id [20]byte) ([]byte, bool, error) { return []byte("dev"), id[0] == 2, nil }
func (e *fakeEnv) Attestation(id [32]byte) ([]byte, bool, error) {
	return []byte("att"), id[0] == 2, nil
}
func (e *fakeEnv) LatestAttestation(dev [20]byte, kind string) ([]byte, bool, error) {
	return []byte("latest " + kind), true, nil
}
func (e *fakeEnv) AttestationHistory(dev [20]byte, from, to uint64, limit uint32) ([]byte, uint32, error) {
	return []byte("hist"), 2, nil
}
func (e *fakeEnv) CheckAttestation(raw []byte) (uint32, error) { return 28, nil }
func (e *fakeEnv) Range(prefix, start []byte, limit uint32, reverse, keysOnly bool) ([]Entry, uint64, error) {
	return []Entry{{Key: []byte("k"), Value: []byte("stored")}}, 2, nil
}
func (e *fakeEnv) Emit(typ string, attrs []Attribute) error {
	e.events = append(e.events, fmt.Sprintf("%s%v", typ, attrs))
	return nil
}

// meteredEngine is an engine whose host functions record what each call
// of them charged, so a test can compare it with the price list.
func meteredEngine(t *testing.T, charged *[]uint64) *vm.Engine {
	t.Helper()
	fns := Functions()
	for i := range fns {
		inner := fns[i].Fn
		fns[i].Fn = func(ctx context.Context, c *vm.Caller, stack []uint64) {
			before := c.GasLeft()
			defer func() { *charged = append(*charged, before-c.GasLeft()) }()
			inner(ctx, c, stack)
		}
	}
	e, err := vm.NewEngine(context.Background(), vm.Config{Host: fns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// module wraps body in a contract with every host function imported, one
// page of memory holding "k" at 0, "value" at 16 and address {2} at 32.
func module(body string) string {
	return `(module
		(import "plinth" "register_len" (func $register_len (param i32) (result i64)))
		(import "plinth" "read_register" (func $read_register (param i32 i32)))
		(import "plinth" "input" (func $input (param i32)))
		(import "plinth" "value_return" (func $value_return (param i32 i32)))
		(import "plinth" "abort" (func $abort (param i32 i32)))
		(import "plinth" "log" (func $log (param i32 i32)))
		(import "plinth" "storage_read" (func $storage_read (param i32 i32 i32) (result i32)))
		(import "plinth" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
		(import "plinth" "storage_remove" (func $storage_remove (param i32 i32) (result i32)))
		(import "plinth" "caller" (func $caller (param i32)))
		(import "plinth" "funds" (func $funds (param i32)))
		(import "plinth" "block_height" (func $block_height (result i64)))
		(import "plinth" "balance" (func $balance (param i32 i32)))
		(import "plinth" "transfer" (func $transfer (param i32 i32)))
		(import "plinth" "emit" (func $emit (param i32 i32 i32 i32)))
		(import "plinth" "call" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
		(import "plinth" "query" (func $query (param i32 i32 i32 i32 i32 i32) (result i32)))
		(import "plinth" "dispatch" (func $dispatch (param i32 i32 i32 i32 i32 i32)))
		(import "plinth" "storage_range" (func $storage_range (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
		(import "plinth" "sha256" (func $sha256 (param i32 i32 i32)))
		(import "plinth" "keccak256" (func $keccak256 (param i32 i32 i32)))
		(import "plinth" "verify" (func $verify (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
		(import "plinth" "device_get" (func $device_get (param i32 i32) (result i32)))
		(import "plinth" "attestation_latest" (func $attestation_latest (param i32 i32 i32 i32) (result i32)))
		(import "plinth" "attestation_history" (func $attestation_history (param i32 i64 i64 i32 i32) (result i32)))
		(import "plinth" "attestation_check" (func $attestation_check (param i32 i32) (result i32)))
		(import "plinth" "attestation_get" (func $attestation_get (param i32 i32) (result i32)))
		(import "plinth" "block_time" (func $block_time (result i64)))
		(import "plinth" "origin" (func $origin (param i32)))
		(import "plinth" "tx_hash" (func $tx_hash (param i32)))
		(import "plinth" "dispatch_migrate" (func $dispatch_migrate (param i32 i32 i32 i32)))
		(import "plinth" "update_admin" (func $update_admin (param i32 i32)))
		(import "plinth" "clear_admin" (func $clear_admin (param i32)))
		(import "plinth" "set_params" (func $set_params (param i32 i32 i64)))
		(import "plinth" "set_validators" (func $set_validators (param i32 i32)))

		(memory 1 1)
		(data (i32.const 0) "k")
		(data (i32.const 16) "value")
		(data (i32.const 32) "\02\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
		(data (i32.const 95) "\05")
		(data (i32.const 128) "\81\82\61a\41b")
		(data (i32.const 140) "bad")
		(func (export "run") ` + body + `))`
}

// TestHostFunctions: each host function charges exactly its price, runs
// out of gas one unit short with nothing changed, and does what it says.
func TestHostFunctions(t *testing.T) {
	g, lim := GasV1(), LimitsV1()
	cases := []struct {
		name string
		body string
		// want is the host charge of each host call, in order.
		want  []uint64
		check func(t *testing.T, e *fakeEnv, f *Frame)
		// writes: running out of gas must leave the env as it was.
		writes bool
	}{
		{"input and register_len", `(call $input (i32.const 0)) (drop (call $register_len (i32.const 0)))`,
			[]uint64{g.Base, g.Base}, nil, false},
		{"read_register", `(call $input (i32.const 3)) (call $read_register (i32.const 3) (i32.const 200))`,
			[]uint64{g.Base, g.Base + 5*g.MemoryPerByte}, nil, false},
		{"value_return", `(call $value_return (i32.const 16) (i32.const 5))`,
			[]uint64{g.Base + 5*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.Return) != "value" {
					t.Errorf("returned %q", f.Return)
				}
			}, false},
		{"storage_read hit", `(drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 1)))`,
			[]uint64{g.Base + g.StorageRead + g.MemoryPerByte + g.StorageReadPerByte*(1+6)}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.registers[1]) != "stored" {
					t.Errorf("register 1 holds %q", f.registers[1])
				}
			}, false},
		{"storage_read miss", `(drop (call $storage_read (i32.const 16) (i32.const 5) (i32.const 1)))`,
			[]uint64{g.Base + g.StorageRead + 5*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if f.set[1] {
					t.Error("a miss filled the register")
				}
			}, false},
		{"storage_write", `(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 5)))`,
			[]uint64{g.Base + g.StorageWrite + g.StorageWritePerByte*6 + 6*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(e.store["k"]) != "value" {
					t.Errorf("stored %q", e.store["k"])
				}
			}, true},
		{"storage_remove", `(drop (call $storage_remove (i32.const 0) (i32.const 1)))`,
			[]uint64{g.Base + g.StorageRemove + g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if _, ok := e.store["k"]; ok {
					t.Error("not removed")
				}
			}, true},
		{"caller and funds", `(call $caller (i32.const 0)) (call $funds (i32.const 1))`,
			[]uint64{g.Base + 20*g.MemoryPerByte, g.Base + 32*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if f.registers[0][0] != 1 || f.registers[1][31] != 77 {
					t.Errorf("caller %x funds %x", f.registers[0], f.registers[1])
				}
			}, false},
		{"block_height", `(drop (call $block_height))`, []uint64{g.Base}, nil, false},
		{"balance", `(call $balance (i32.const 32) (i32.const 0))`,
			[]uint64{g.Base + g.Balance + 20*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if len(f.registers[0]) != 32 || f.registers[0][30] != 3 || f.registers[0][31] != 0xe8 {
					t.Errorf("balance %x", f.registers[0])
				}
			}, false},
		{"transfer", `(call $transfer (i32.const 32) (i32.const 64))`, // 32 bytes at 64: the amount 5
			[]uint64{g.Base + g.Transfer + 52*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if b, to := e.balances[address.Address{9}], e.balances[address.Address{2}]; b.Uint64() != 995 || to.Uint64() != 1005 {
					t.Errorf("after sending 5: the contract holds %d, the recipient %d", b.Uint64(), to.Uint64())
				}
			}, true},
		{"emit", `(call $emit (i32.const 16) (i32.const 5) (i32.const 128) (i32.const 6))`,
			[]uint64{g.Base + g.Event + g.EventPerByte*11 + 11*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if len(e.events) != 1 {
					t.Errorf("events %v", e.events)
				}
			}, true},
		{"call", `(drop (call $call (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 64) (i32.const 2)))`,
			[]uint64{g.Base + g.Call + (32+20+5+1)*g.MemoryPerByte + 30}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.registers[2]) != "ret" || len(e.events) != 1 {
					t.Errorf("register %q, env saw %v", f.registers[2], e.events)
				}
			}, false}, // the callee ran before the caller paid for it: its writes go with the caller's failure, in the runtime
		{"failed call", `(drop (call $call (i32.const 32) (i32.const 140) (i32.const 3) (i32.const 0) (i32.const 1) (i32.const 64) (i32.const 2)))`,
			[]uint64{g.Base + g.Call + (32+20+3+1)*g.MemoryPerByte + 30}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.registers[2]) != "callee aborted" {
					t.Errorf("register %q", f.registers[2])
				}
			}, false},
		{"query", `(drop (call $query (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 2)))`,
			[]uint64{g.Base + g.Call + (20+5+1)*g.MemoryPerByte + 30}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if len(e.events) != 1 || e.events[0][len(e.events[0])-4:] != "true" {
					t.Errorf("env saw %v", e.events)
				}
			}, false},
		{"dispatch", `(call $dispatch (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 64))`,
			[]uint64{g.Base + g.Dispatch + (20+5+1+32)*g.MemoryPerByte}, nil, true},
		{"sha256", `(call $sha256 (i32.const 16) (i32.const 5) (i32.const 0))`,
			[]uint64{g.Base + g.Hash + 5*g.Sha256PerByte + 5*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if want := sha256.Sum256([]byte("value")); string(f.registers[0]) != string(want[:]) {
					t.Errorf("sha256 %x", f.registers[0])
				}
			}, false},
		{"keccak256", `(call $keccak256 (i32.const 16) (i32.const 5) (i32.const 0))`,
			[]uint64{g.Base + g.Hash + 5*g.Keccak256PerByte + 5*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if want := sigs.Keccak256([]byte("value")); string(f.registers[0]) != string(want[:]) {
					t.Errorf("keccak256 %x", f.registers[0])
				}
			}, false},
		{"verify secp256k1", `(drop (call $verify (i32.const 3) (i32.const 1000) (i32.const 33) (i32.const 16) (i32.const 5) (i32.const 1100) (i32.const 64)))`,
			[]uint64{g.Base + g.VerifySecp256k1 + 5*g.Sha256PerByte + (33+5+64)*g.MemoryPerByte}, nil, false},
		{"device_get", `(drop (call $device_get (i32.const 32) (i32.const 3)))`,
			[]uint64{g.Base + g.StorageRead + 20*g.MemoryPerByte + 3*g.StorageReadPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.registers[3]) != "dev" {
					t.Errorf("register 3: %q", f.registers[3])
				}
			}, false},
		{"attestation_latest", `(drop (call $attestation_latest (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 3)))`,
			[]uint64{g.Base + g.StorageRead + 25*g.MemoryPerByte + 12*g.StorageReadPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if string(f.registers[3]) != "latest value" {
					t.Errorf("register 3: %q", f.registers[3])
				}
			}, false},
		{"attestation_history", `(drop (call $attestation_history (i32.const 32) (i64.const 0) (i64.const 9) (i32.const 10) (i32.const 3)))`,
			[]uint64{g.Base + g.StorageRange + 10*g.StorageRangeEntry + 20*g.MemoryPerByte + 4*g.StorageReadPerByte}, nil, false},
		{"attestation_check", `(drop (call $attestation_check (i32.const 16) (i32.const 5)))`,
			[]uint64{g.Base + g.StorageRead + g.VerifySecp256k1 + 5*g.Sha256PerByte + 5*g.MemoryPerByte}, nil, false},
		{"log", `(call $log (i32.const 16) (i32.const 5))`, []uint64{g.Base + 5*g.MemoryPerByte}, nil, false},
		{"block_time, origin, tx_hash", `(drop (call $block_time)) (call $origin (i32.const 0)) (call $tx_hash (i32.const 1))`,
			[]uint64{g.Base, g.Base + 20*g.MemoryPerByte, g.Base + 32*g.MemoryPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				if f.registers[0][0] != 3 || f.registers[1][0] != 4 {
					t.Errorf("origin %x tx hash %x", f.registers[0], f.registers[1])
				}
			}, false},
		{"attestation_get", `(drop (call $attestation_get (i32.const 32) (i32.const 3)))`,
			[]uint64{g.Base + g.StorageRead + 32*g.MemoryPerByte + 3*g.StorageReadPerByte}, nil, false},
		{"dispatch_migrate", `(call $dispatch_migrate (i32.const 32) (i32.const 64) (i32.const 16) (i32.const 5))`,
			[]uint64{g.Base + g.Dispatch + (20+32+5)*g.MemoryPerByte}, nil, true},
		{"update_admin", `(call $update_admin (i32.const 32) (i32.const 32))`,
			[]uint64{g.Base + g.StorageWrite + 40*g.MemoryPerByte}, nil, true},
		{"clear_admin", `(call $clear_admin (i32.const 32))`,
			[]uint64{g.Base + g.StorageWrite + 20*g.MemoryPerByte}, nil, true},
		{"set_params", `(call $set_params (i32.const 16) (i32.const 5) (i64.const 9))`,
			[]uint64{g.Base + g.StorageWrite + 5*g.StorageWritePerByte + 5*g.MemoryPerByte}, nil, false},
		{"set_validators", `(call $set_validators (i32.const 16) (i32.const 5))`,
			[]uint64{g.Base + g.StorageWrite + 5*g.StorageWritePerByte + 5*g.MemoryPerByte}, nil, false},
		{"storage_range", `(drop (call $storage_range (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 10) (i32.const 0) (i32.const 4)))`,
			[]uint64{g.Base + g.StorageRange + 1*g.MemoryPerByte + 2*g.StorageRangeEntry + 7*g.StorageReadPerByte}, func(t *testing.T, e *fakeEnv, f *Frame) {
				var got []Entry
				if err := canon.Unmarshal(f.registers[4], &got); err != nil || len(got) != 1 || string(got[0].Value) != "stored" {
					t.Errorf("register 4: %x (%v)", f.registers[4], err)
				}
			}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var charged []uint64
			eng := meteredEngine(t, &charged)
			src, err := vmtest.Wat(module(c.body))
			if err != nil {
				t.Fatal(err)
			}
			m, err := eng.Deploy(context.Background(), src, vm.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			env := newFakeEnv()
			f := &Frame{Env: env, Input: []byte("hello"), Gas: &g, Limits: &lim}
			res, err := m.Call(context.Background(), vm.Request{Func: "run", Gas: 1 << 30, Env: f})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(charged) != fmt.Sprint(c.want) {
				t.Fatalf("charged %v, price list says %v", charged, c.want)
			}
			if c.check != nil {
				c.check(t, env, f)
			}
			// One unit short: out of gas, and nothing written.
			fresh := newFakeEnv()
			_, err = m.Call(context.Background(), vm.Request{Func: "run", Gas: res.GasUsed - 1, Env: &Frame{Env: fresh, Input: []byte("hello"), Gas: &g, Limits: &lim}})
			if !errors.Is(err, vm.ErrOutOfGas) {
				t.Fatalf("one unit short: %v", err)
			}
			if c.writes && (fmt.Sprint(fresh.store) != fmt.Sprint(newFakeEnv().store) || len(fresh.events) > 0 || fmt.Sprint(fresh.balances) != fmt.Sprint(newFakeEnv().balances)) {
				t.Fatal("running out of gas left a write behind")
			}
		})
	}
}

// TestAbort: abort ends the call with the contract's message, charging
// for the bytes it reads.
func TestAbort(t *testing.T) {
	g, lim := GasV1(), LimitsV1()
	var charged []uint64
	eng := meteredEngine(t, &charged)
	src, err := vmtest.Wat(module(`(call $abort (i32.const 16) (i32.const 5))`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := eng.Deploy(context.Background(), src, vm.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Call(context.Background(), vm.Request{Func: "run", Gas: 1 << 30, Env: &Frame{Env: newFakeEnv(), Gas: &g, Limits: &lim}})
	var abort *vm.AbortError
	if !errors.As(err, &abort) || abort.Message != "value" {
		t.Fatalf("abort: %v", err)
	}
	if len(charged) != 1 || charged[0] != g.Base+5*g.MemoryPerByte {
		t.Fatalf("abort charged %v", charged)
	}
}

// TestRefusals: bad pointers, empty registers, writes in a query and
// oversized keys end the call with their own errors.
func TestRefusals(t *testing.T) {
	g, lim := GasV1(), LimitsV1()
	var charged []uint64
	eng := meteredEngine(t, &charged)
	for _, c := range []struct {
		name, body string
		readOnly   bool
		want       error
	}{
		{"pointer past memory", `(call $value_return (i32.const 65530) (i32.const 10))`, false, ErrMemory},
		{"empty register", `(call $read_register (i32.const 5) (i32.const 0))`, false, ErrRegister},
		{"register out of range", `(call $input (i32.const 64))`, false, ErrRegister},
		{"write in a query", `(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 5)))`, true, ErrReadOnly},
		{"transfer in a query", `(call $transfer (i32.const 32) (i32.const 64))`, true, ErrReadOnly},
		{"emit in a query", `(call $emit (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 0))`, true, ErrReadOnly},
		{"key too long", `(drop (call $storage_read (i32.const 0) (i32.const 2000) (i32.const 0)))`, false, ErrLimit},
		{"call in a query", `(drop (call $call (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 64) (i32.const 2)))`, true, ErrReadOnly},
		{"dispatch in a query", `(call $dispatch (i32.const 32) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 64))`, true, ErrReadOnly},
		{"range limit", `(drop (call $storage_range (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 0) (i32.const 4)))`, false, ErrLimit},
		{"non-canonical attributes", `(call $emit (i32.const 16) (i32.const 5) (i32.const 16) (i32.const 5))`, false, canon.ErrEncoding},
	} {
		src, err := vmtest.Wat(module(c.body))
		if err != nil {
			t.Fatal(err)
		}
		m, err := eng.Deploy(context.Background(), src, vm.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		env := newFakeEnv()
		env.readOnly = c.readOnly
		_, err = m.Call(context.Background(), vm.Request{Func: "run", Gas: 1 << 30, Env: &Frame{Env: env, Gas: &g, Limits: &lim}})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if fmt.Sprint(env.store) != fmt.Sprint(newFakeEnv().store) {
			t.Errorf("%s: the refused call wrote", c.name)
		}
	}
}

// TestVerify: verify's result for a valid signature of each key type, its
// high-S twin, a wrong message, a malformed key and an unknown key type.
func TestVerify(t *testing.T) {
	g, lim := GasV1(), LimitsV1()
	var charged []uint64
	eng := meteredEngine(t, &charged)
	// The input is copied to 900: key type, key length and message length
	// (u32 LE each), the key at 1000, the signature at 1100; the message
	// is "value" at 16. The result is returned as a u32.
	src, err := vmtest.Wat(module(`
		(call $input (i32.const 7))
		(call $read_register (i32.const 7) (i32.const 900))
		(i32.store (i32.const 1300) (call $verify (i32.load (i32.const 900)) (i32.const 1000) (i32.load (i32.const 904)) (i32.const 16) (i32.load (i32.const 908)) (i32.const 1100) (i32.const 64)))
		(call $value_return (i32.const 1300) (i32.const 4))`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := eng.Deploy(context.Background(), src, vm.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	verifyIn := func(kt uint32, pub, sig []byte, msgLen uint32) uint32 {
		t.Helper()
		in := make([]byte, 264)
		binary.LittleEndian.PutUint32(in[0:], kt)
		binary.LittleEndian.PutUint32(in[4:], uint32(len(pub)))
		binary.LittleEndian.PutUint32(in[8:], msgLen)
		copy(in[100:], pub)
		copy(in[200:], sig)
		f := &Frame{Env: newFakeEnv(), Input: in, Gas: &g, Limits: &lim}
		if _, err := m.Call(context.Background(), vm.Request{Func: "run", Gas: 1 << 30, Env: f}); err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint32(f.Return)
	}
	for _, kt := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		seed := make([]byte, 32)
		seed[31] = 9
		k, err := sigs.NewPrivateKey(kt, seed)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := k.Sign([]byte("value"))
		if err != nil {
			t.Fatal(err)
		}
		pub := k.Public().Bytes()
		type vc struct {
			name   string
			kt     uint32
			pub    []byte
			sig    []byte
			msgLen uint32
			want   uint32
		}
		cases := []vc{
			{"valid", uint32(kt), pub, sig, 5, VerifyOK},
			{"other message", uint32(kt), pub, sig, 4, VerifyBadSignature},
			{"malformed key", uint32(kt), pub[:len(pub)-1], sig, 5, VerifyBadKey},
			{"unknown key type", 9, pub, sig, 5, VerifyUnknownKeyType},
		}
		if kt != sigs.Ed25519 {
			cases = append(cases, vc{"high S", uint32(kt), pub, highS(kt, sig), 5, VerifyHighS})
		}
		for _, c := range cases {
			if res := verifyIn(c.kt, c.pub, c.sig, c.msgLen); res != c.want {
				t.Errorf("%v %s: %d, want %d", kt, c.name, res, c.want)
			}
		}
	}
}

// highS returns the malleable twin (r, n - s) of an ECDSA signature.
func highS(kt sigs.KeyType, sig []byte) []byte {
	n := map[sigs.KeyType]string{
		sigs.P256:      "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
		sigs.Secp256k1: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
	}[kt]
	order, _ := new(big.Int).SetString(n, 16)
	sv := new(big.Int).SetBytes(sig[32:])
	out := append([]byte(nil), sig[:32]...)
	return append(out, new(big.Int).Sub(order, sv).FillBytes(make([]byte, 32))...)
}
