package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// The WASI shim tests call each function from a hand-assembled module:
//
//	(func (export "call") (param <the function's params>) (result i32)
//	  local.get 0 ... call $wasi_function
//	  (call $dump (i32.const 0) (i32.const 65536)))
//
// with one page of memory prefilled with 0xAA plus the case's data; dump
// hands the whole memory to the test, which compares it byte for byte with
// the expected image (so a write anywhere else, or a partial write, fails).
// The same module importing a no-op twin of the function (module "nop",
// same name and signature, charging nothing) gives the gas of the
// WebAssembly code around the call; the difference is the function's gas.

// wasiSignatures is the WASI preview1 signature of every function the Go
// toolchain's wasip1 output may import (from the WASI preview1 witx and the
// go:wasmimport declarations in GOROOT), plus clock_res_get. All return an
// i32 errno except proc_exit.
var wasiSignatures = map[string][]ValueType{
	"args_get":                {I32, I32},
	"args_sizes_get":          {I32, I32},
	"clock_res_get":           {I32, I32},
	"clock_time_get":          {I32, I64, I32},
	"environ_get":             {I32, I32},
	"environ_sizes_get":       {I32, I32},
	"fd_close":                {I32},
	"fd_fdstat_get":           {I32, I32},
	"fd_fdstat_set_flags":     {I32, I32},
	"fd_fdstat_set_rights":    {I32, I64, I64},
	"fd_filestat_get":         {I32, I32},
	"fd_filestat_set_size":    {I32, I64},
	"fd_pread":                {I32, I32, I32, I64, I32},
	"fd_prestat_dir_name":     {I32, I32, I32},
	"fd_prestat_get":          {I32, I32},
	"fd_pwrite":               {I32, I32, I32, I64, I32},
	"fd_read":                 {I32, I32, I32, I32},
	"fd_readdir":              {I32, I32, I32, I64, I32},
	"fd_seek":                 {I32, I64, I32, I32},
	"fd_sync":                 {I32},
	"fd_write":                {I32, I32, I32, I32},
	"path_create_directory":   {I32, I32, I32},
	"path_filestat_get":       {I32, I32, I32, I32, I32},
	"path_filestat_set_times": {I32, I32, I32, I32, I64, I64, I32},
	"path_link":               {I32, I32, I32, I32, I32, I32, I32},
	"path_open":               {I32, I32, I32, I32, I32, I64, I64, I32, I32},
	"path_readlink":           {I32, I32, I32, I32, I32, I32},
	"path_remove_directory":   {I32, I32, I32},
	"path_rename":             {I32, I32, I32, I32, I32, I32},
	"path_symlink":            {I32, I32, I32, I32, I32},
	"path_unlink_file":        {I32, I32, I32},
	"poll_oneoff":             {I32, I32, I32, I32},
	"proc_exit":               {I32},
	"random_get":              {I32, I32},
	"sched_yield":             {},
	"sock_accept":             {I32, I32, I32},
	"sock_shutdown":           {I32, I32},
}

func TestWASISignatures(t *testing.T) {
	seen := map[string]bool{}
	for _, hf := range wasiFuncs() {
		if hf.Module != "wasi_snapshot_preview1" {
			t.Errorf("%s.%s: wrong module", hf.Module, hf.Name)
		}
		if seen[hf.Name] {
			t.Errorf("%s defined twice", hf.Name)
		}
		seen[hf.Name] = true
		want, ok := wasiSignatures[hf.Name]
		if !ok {
			t.Errorf("%s is not in the expected list", hf.Name)
			continue
		}
		wantResults := []ValueType{I32}
		if hf.Name == "proc_exit" {
			wantResults = nil
		}
		if fmt.Sprint(hf.Params) != fmt.Sprint(want) || fmt.Sprint(hf.Results) != fmt.Sprint(wantResults) {
			t.Errorf("%s: signature %v -> %v, want %v -> %v", hf.Name, hf.Params, hf.Results, want, wantResults)
		}
	}
	for name := range wasiSignatures {
		if !seen[name] {
			t.Errorf("%s is missing", name)
		}
	}
}

// WASI errno values as the tests expect them (independent of the shim's
// constants).
const (
	eSuccess = 0
	eBadf    = 8
	eFault   = 21
	eInval   = 28
	eNosys   = 52
)

const (
	wasiTestTime = int64(1_700_000_000_123_456_789)
	wasiTestGas  = 1 << 30
	pageSize     = 65536
	prefillSize  = 4096 // bytes of 0xAA at the start of memory
)

var wasiTestSeed = sha256.Sum256([]byte("wasi test seed"))

// wasiProbe is the Env of a shim test call: dump stores the memory here.
type wasiProbe struct{ mem []byte }

// wasiTestEngines returns a compiler and an interpreter engine with the
// dump function and the no-op twin of every shim function.
func wasiTestEngines(t *testing.T) []*Engine {
	t.Helper()
	host := []HostFunc{{Module: "test", Name: "dump", Params: []ValueType{I32, I32},
		Fn: func(_ context.Context, c *Caller, s []uint64) {
			b, ok := c.Read(uint32(s[0]), uint32(s[1]))
			if !ok {
				c.Abort("dump: out of bounds")
			}
			c.Env().(*wasiProbe).mem = bytes.Clone(b)
		}}}
	for _, hf := range wasiFuncs() {
		nop := hf
		nop.Module = "nop"
		nop.Fn = func(_ context.Context, _ *Caller, s []uint64) {
			if len(s) > 0 {
				s[0] = 0
			}
		}
		host = append(host, nop)
	}
	var out []*Engine
	for _, interp := range []bool{false, true} {
		e, err := NewEngine(context.Background(), Config{Interpreter: interp, Host: host})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close(context.Background()) })
		out = append(out, e)
	}
	return out
}

// watString writes b as a WebAssembly text string.
func watString(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		fmt.Fprintf(&sb, "\\%02x", c)
	}
	sb.WriteByte('"')
	return sb.String()
}

func valTypeNames(ts []ValueType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = map[ValueType]string{I32: "i32", I64: "i64"}[t]
	}
	return strings.Join(names, " ")
}

// wasiCallModule assembles the probe module for fn imported from module.
func wasiCallModule(module string, hf HostFunc, data map[uint32][]byte, noMemory bool) []byte {
	var sb strings.Builder
	sig := ""
	if len(hf.Params) > 0 {
		sig = "(param " + valTypeNames(hf.Params) + ")"
	}
	res := ""
	if len(hf.Results) > 0 {
		res = "(result i32)"
	}
	fmt.Fprintf(&sb, "(module\n(import %q %q (func $f %s %s))\n", module, hf.Name, sig, res)
	sb.WriteString("(import \"test\" \"dump\" (func $dump (param i32 i32)))\n")
	if !noMemory {
		sb.WriteString("(memory 1 1)\n")
		fmt.Fprintf(&sb, "(data (i32.const 0) %s)\n", watString(bytes.Repeat([]byte{0xAA}, prefillSize)))
		for _, off := range slices.Sorted(maps.Keys(data)) {
			fmt.Fprintf(&sb, "(data (i32.const %d) %s)\n", off, watString(data[off]))
		}
	}
	fmt.Fprintf(&sb, "(func (export \"call\") %s %s\n", sig, res)
	for i := range hf.Params {
		fmt.Fprintf(&sb, "local.get %d\n", i)
	}
	sb.WriteString("call $f\n")
	if !noMemory {
		fmt.Fprintf(&sb, "(call $dump (i32.const 0) (i32.const %d))\n", pageSize)
	}
	sb.WriteString("))")
	return wat.MustCompile(sb.String())
}

// wasiCase is one call of one shim function.
type wasiCase struct {
	name     string
	fn       string
	args     []uint64
	data     map[uint32][]byte // memory contents before the call
	noMemory bool
	time     *int64 // Request.Time; wasiTestTime if nil

	errno  uint32            // expected result
	writes map[uint32][]byte // expected changes to memory
	log    string            // expected debug log
	gas    uint64            // expected gas of the WASI function
	exit   *uint32           // expected *ExitError code instead of a result
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func cat(bs ...[]byte) []byte {
	return bytes.Join(bs, nil)
}

// randomStream is the first n bytes of the seeded stream: SHA-256(seed ‖
// counter as u64 LE), counters 0, 1, ...
func randomStream(seed [32]byte, n int) []byte {
	var out []byte
	for i := uint64(0); len(out) < n; i++ {
		sum := sha256.Sum256(cat(seed[:], u64(i)))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// subscription is a WASI poll_oneoff subscription (48 bytes).
func subscription(userdata uint64, tag byte, idOrFd uint32, timeout uint64) []byte {
	b := make([]byte, 48)
	binary.LittleEndian.PutUint64(b, userdata)
	b[8] = tag
	binary.LittleEndian.PutUint32(b[16:], idOrFd)
	binary.LittleEndian.PutUint64(b[24:], timeout)
	return b
}

// event is a WASI poll_oneoff event (32 bytes).
func event(userdata uint64, errno uint16, tag byte, flags uint16) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint64(b, userdata)
	binary.LittleEndian.PutUint16(b[8:], errno)
	b[10] = tag
	binary.LittleEndian.PutUint16(b[24:], flags)
	return b
}

func wasiCases() []wasiCase {
	zero := int64(0)
	exit7, exitMax := uint32(7), uint32(0xffffffff)
	rnd := randomStream(wasiTestSeed, 64)
	fdstat := func(rights uint64) []byte { return cat([]byte{2, 0, 0, 0, 0, 0, 0, 0}, u64(rights), u64(0)) }
	const rightRead, rightWrite, rightPoll = 1 << 1, 1 << 6, 1 << 27
	// fd_write data: iovecs at 16, strings at 100 and 200.
	iovs := map[uint32][]byte{
		16:  cat(u32(100), u32(5), u32(200), u32(7)),
		100: []byte("hello"),
		200: []byte(", world"),
	}
	cases := []wasiCase{
		{name: "args_sizes_get", fn: "args_sizes_get", args: []uint64{100, 104}, writes: map[uint32][]byte{100: u32(0), 104: u32(0)}, gas: 20},
		{name: "args_sizes_get/argc out of bounds", fn: "args_sizes_get", args: []uint64{pageSize - 3, 104}, errno: eFault, gas: 20},
		{name: "args_sizes_get/second out of bounds", fn: "args_sizes_get", args: []uint64{100, pageSize - 3}, errno: eFault, gas: 20},
		{name: "args_sizes_get/last word", fn: "args_sizes_get", args: []uint64{100, pageSize - 4}, writes: map[uint32][]byte{100: u32(0), pageSize - 4: u32(0)}, gas: 20},
		{name: "args_get", fn: "args_get", args: []uint64{100, 200}, gas: 20},
		{name: "args_get/out of bounds writes nothing", fn: "args_get", args: []uint64{pageSize, pageSize}, gas: 20},
		{name: "environ_sizes_get", fn: "environ_sizes_get", args: []uint64{100, 104}, writes: map[uint32][]byte{100: u32(0), 104: u32(0)}, gas: 20},
		{name: "environ_sizes_get/out of bounds", fn: "environ_sizes_get", args: []uint64{100, pageSize}, errno: eFault, gas: 20},
		{name: "environ_get", fn: "environ_get", args: []uint64{100, 200}, gas: 20},

		{name: "clock_time_get/realtime", fn: "clock_time_get", args: []uint64{0, 1000, 100}, writes: map[uint32][]byte{100: u64(uint64(wasiTestTime))}, gas: 20},
		{name: "clock_time_get/monotonic", fn: "clock_time_get", args: []uint64{1, 0, 100}, writes: map[uint32][]byte{100: u64(uint64(wasiTestTime))}, gas: 20},
		{name: "clock_time_get/realtime at time 0", fn: "clock_time_get", time: &zero, args: []uint64{0, 0, 100}, writes: map[uint32][]byte{100: u64(0)}, gas: 20},
		{name: "clock_time_get/monotonic at time 0 reads 1", fn: "clock_time_get", time: &zero, args: []uint64{1, 0, 100}, writes: map[uint32][]byte{100: u64(1)}, gas: 20},
		{name: "clock_time_get/process cputime", fn: "clock_time_get", args: []uint64{2, 0, 100}, errno: eInval, gas: 20},
		{name: "clock_time_get/thread cputime", fn: "clock_time_get", args: []uint64{3, 0, 100}, errno: eInval, gas: 20},
		{name: "clock_time_get/unknown clock", fn: "clock_time_get", args: []uint64{0xffffffff, 0, 100}, errno: eInval, gas: 20},
		{name: "clock_time_get/last 8 bytes", fn: "clock_time_get", args: []uint64{0, 0, pageSize - 8}, writes: map[uint32][]byte{pageSize - 8: u64(uint64(wasiTestTime))}, gas: 20},
		{name: "clock_time_get/out of bounds", fn: "clock_time_get", args: []uint64{0, 0, pageSize - 7}, errno: eFault, gas: 20},
		{name: "clock_res_get", fn: "clock_res_get", args: []uint64{1, 100}, writes: map[uint32][]byte{100: u64(1)}, gas: 20},
		{name: "clock_res_get/unknown clock", fn: "clock_res_get", args: []uint64{2, 100}, errno: eInval, gas: 20},
		{name: "clock_res_get/out of bounds", fn: "clock_res_get", args: []uint64{0, pageSize - 4}, errno: eFault, gas: 20},

		{name: "random_get", fn: "random_get", args: []uint64{100, 40}, writes: map[uint32][]byte{100: rnd[:40]}, gas: 20 + 40},
		{name: "random_get/empty", fn: "random_get", args: []uint64{pageSize, 0}, gas: 20},
		{name: "random_get/to the end", fn: "random_get", args: []uint64{pageSize - 36, 36}, writes: map[uint32][]byte{pageSize - 36: rnd[:36]}, gas: 20 + 36},
		{name: "random_get/out of bounds", fn: "random_get", args: []uint64{pageSize - 36, 37}, errno: eFault, gas: 20 + 37},

		{name: "fd_write/stdout", fn: "fd_write", args: []uint64{1, 16, 2, 8}, data: iovs, writes: map[uint32][]byte{8: u32(12)}, log: "hello, world", gas: 20 + 16 + 12},
		{name: "fd_write/stderr", fn: "fd_write", args: []uint64{2, 16, 2, 8}, data: iovs, writes: map[uint32][]byte{8: u32(12)}, log: "hello, world", gas: 20 + 16 + 12},
		{name: "fd_write/no iovecs", fn: "fd_write", args: []uint64{1, pageSize, 0, 8}, writes: map[uint32][]byte{8: u32(0)}, gas: 20},
		{name: "fd_write/empty iovec", fn: "fd_write", args: []uint64{1, 16, 1, 8}, data: map[uint32][]byte{16: cat(u32(pageSize), u32(0))}, writes: map[uint32][]byte{8: u32(0)}, gas: 20 + 8},
		{name: "fd_write/stdin", fn: "fd_write", args: []uint64{0, 16, 2, 8}, data: iovs, errno: eBadf, gas: 20 + 16},
		{name: "fd_write/fd 3", fn: "fd_write", args: []uint64{3, 16, 2, 8}, data: iovs, errno: eBadf, gas: 20 + 16},
		{name: "fd_write/buffer out of bounds", fn: "fd_write", args: []uint64{1, 16, 2, 8},
			data: map[uint32][]byte{16: cat(u32(100), u32(5), u32(pageSize-6), u32(7)), 100: []byte("hello")}, errno: eFault, gas: 20 + 16},
		{name: "fd_write/buffer at the end", fn: "fd_write", args: []uint64{1, 16, 2, 8},
			data:   map[uint32][]byte{16: cat(u32(100), u32(5), u32(pageSize-6), u32(6)), 100: []byte("hello"), pageSize - 6: []byte(" there")},
			writes: map[uint32][]byte{8: u32(11)}, log: "hello there", gas: 20 + 16 + 11},
		{name: "fd_write/iovecs out of bounds", fn: "fd_write", args: []uint64{1, pageSize - 8, 2, 8}, errno: eFault, gas: 20 + 16},
		{name: "fd_write/nwritten out of bounds", fn: "fd_write", args: []uint64{1, 16, 2, pageSize - 2}, data: iovs, errno: eFault, gas: 20 + 16},
		{name: "fd_read/stdin is empty", fn: "fd_read", args: []uint64{0, 16, 2, 8}, data: iovs, writes: map[uint32][]byte{8: u32(0)}, gas: 20},
		{name: "fd_read/stdout", fn: "fd_read", args: []uint64{1, 16, 2, 8}, errno: eBadf, gas: 20},
		{name: "fd_read/fd 3", fn: "fd_read", args: []uint64{3, 16, 2, 8}, errno: eBadf, gas: 20},
		{name: "fd_read/nread out of bounds", fn: "fd_read", args: []uint64{0, 16, 2, pageSize}, errno: eFault, gas: 20},

		{name: "fd_fdstat_get/stdin", fn: "fd_fdstat_get", args: []uint64{0, 100}, writes: map[uint32][]byte{100: fdstat(rightRead | rightPoll)}, gas: 20},
		{name: "fd_fdstat_get/stdout", fn: "fd_fdstat_get", args: []uint64{1, 100}, writes: map[uint32][]byte{100: fdstat(rightWrite | rightPoll)}, gas: 20},
		{name: "fd_fdstat_get/stderr", fn: "fd_fdstat_get", args: []uint64{2, 100}, writes: map[uint32][]byte{100: fdstat(rightWrite | rightPoll)}, gas: 20},
		{name: "fd_fdstat_get/fd 3", fn: "fd_fdstat_get", args: []uint64{3, 100}, errno: eBadf, gas: 20},
		{name: "fd_fdstat_get/out of bounds", fn: "fd_fdstat_get", args: []uint64{1, pageSize - 23}, errno: eFault, gas: 20},
		{name: "fd_prestat_get", fn: "fd_prestat_get", args: []uint64{3, 100}, errno: eBadf, gas: 20},
		{name: "fd_prestat_get/stdout", fn: "fd_prestat_get", args: []uint64{1, 100}, errno: eBadf, gas: 20},
		{name: "fd_prestat_dir_name", fn: "fd_prestat_dir_name", args: []uint64{3, 100, 10}, errno: eBadf, gas: 20},

		{name: "poll_oneoff", fn: "poll_oneoff", args: []uint64{1000, 2000, 6, 8},
			data: map[uint32][]byte{1000: cat(
				subscription(0x1111, 0, 1, 1_000_000), // monotonic clock, 1 ms
				subscription(0x2222, 1, 0, 0),         // read stdin
				subscription(0x3333, 2, 1, 0),         // write stdout
				subscription(0x4444, 1, 7, 0),         // read fd 7
				subscription(0x5555, 0, 9, 0),         // clock 9
				subscription(0x6666, 2, 0, 0),         // write stdin
			)},
			writes: map[uint32][]byte{8: u32(6), 2000: cat(
				event(0x1111, 0, 0, 0),
				event(0x2222, 0, 1, 1), // hang-up: end of file
				event(0x3333, 0, 2, 0),
				event(0x4444, eBadf, 1, 0),
				event(0x5555, eInval, 0, 0),
				event(0x6666, eBadf, 2, 0),
			)},
			gas: 20 + 6*(48+32)},
		{name: "poll_oneoff/in place", fn: "poll_oneoff", args: []uint64{1000, 1000, 1, 8},
			data:   map[uint32][]byte{1000: subscription(0x77, 0, 0, 5)},
			writes: map[uint32][]byte{8: u32(1), 1000: event(0x77, 0, 0, 0)}, gas: 20 + 80},
		{name: "poll_oneoff/no subscriptions", fn: "poll_oneoff", args: []uint64{1000, 2000, 0, 8}, errno: eInval, gas: 20},
		{name: "poll_oneoff/unknown type", fn: "poll_oneoff", args: []uint64{1000, 2000, 2, 8},
			data: map[uint32][]byte{1000: cat(subscription(1, 0, 0, 0), subscription(2, 3, 0, 0))}, errno: eInval, gas: 20 + 2*80},
		{name: "poll_oneoff/subscriptions out of bounds", fn: "poll_oneoff", args: []uint64{pageSize - 47, 2000, 1, 8}, errno: eFault, gas: 20 + 80},
		{name: "poll_oneoff/events out of bounds", fn: "poll_oneoff", args: []uint64{1000, pageSize - 63, 2, 8},
			data: map[uint32][]byte{1000: cat(subscription(1, 0, 0, 0), subscription(2, 0, 0, 0))}, errno: eFault, gas: 20 + 2*80},
		{name: "poll_oneoff/nevents out of bounds", fn: "poll_oneoff", args: []uint64{1000, 2000, 1, pageSize - 1},
			data: map[uint32][]byte{1000: subscription(1, 0, 0, 0)}, errno: eFault, gas: 20 + 80},

		{name: "sched_yield", fn: "sched_yield", gas: 20},
		{name: "proc_exit", fn: "proc_exit", args: []uint64{7}, exit: &exit7, gas: 20},
		{name: "proc_exit/-1", fn: "proc_exit", args: []uint64{0xffffffff}, exit: &exitMax, gas: 20},

		// Without a memory every pointer is out of bounds.
		{name: "no memory/clock_time_get", fn: "clock_time_get", noMemory: true, args: []uint64{0, 0, 0}, errno: eFault, gas: 20},
		{name: "no memory/args_sizes_get", fn: "args_sizes_get", noMemory: true, args: []uint64{0, 0}, errno: eFault, gas: 20},
		{name: "no memory/fd_write", fn: "fd_write", noMemory: true, args: []uint64{1, 0, 0, 0}, errno: eFault, gas: 20},
		{name: "no memory/fd_fdstat_get", fn: "fd_fdstat_get", noMemory: true, args: []uint64{1, 0}, errno: eFault, gas: 20},
		{name: "no memory/random_get of 0 bytes", fn: "random_get", noMemory: true, args: []uint64{0, 0}, gas: 20},
		{name: "no memory/random_get", fn: "random_get", noMemory: true, args: []uint64{0, 1}, errno: eFault, gas: 21},
	}

	// The unsupported operations: ENOSYS on stdio, EBADF on any other fd.
	for _, u := range []struct {
		fn   string
		fdAt int
	}{
		{"fd_close", 0}, {"fd_fdstat_set_flags", 0}, {"fd_fdstat_set_rights", 0}, {"fd_filestat_get", 0},
		{"fd_filestat_set_size", 0}, {"fd_pread", 0}, {"fd_pwrite", 0}, {"fd_readdir", 0}, {"fd_seek", 0},
		{"fd_sync", 0}, {"path_create_directory", 0}, {"path_filestat_get", 0}, {"path_filestat_set_times", 0},
		{"path_link", 0}, {"path_open", 0}, {"path_readlink", 0}, {"path_remove_directory", 0}, {"path_rename", 0},
		{"path_symlink", 2}, {"path_unlink_file", 0}, {"sock_accept", 0}, {"sock_shutdown", 0},
	} {
		for _, fd := range []struct {
			v     uint64
			errno uint32
		}{{0, eNosys}, {2, eNosys}, {3, eBadf}, {0xffffffff, eBadf}} {
			args := make([]uint64, len(wasiSignatures[u.fn]))
			for i := range args {
				args[i] = 3 // would be "fd 3" at any other position
			}
			args[u.fdAt] = fd.v
			// Pointers beyond memory: the stubs read none.
			if u.fdAt != 1 && len(args) > 1 {
				args[1] = pageSize
			}
			cases = append(cases, wasiCase{name: fmt.Sprintf("%s/fd %d", u.fn, int32(fd.v)), fn: u.fn, args: args, errno: fd.errno, gas: 20})
		}
	}
	return cases
}

// TestWASI calls every shim function with exact arguments and checks the
// errno, every byte of memory, the debug log and the gas, on the compiler
// and the interpreter.
func TestWASI(t *testing.T) {
	engines := wasiTestEngines(t)
	byName := map[string]HostFunc{}
	for _, hf := range wasiFuncs() {
		byName[hf.Name] = hf
	}
	covered := map[string]bool{}
	ctx := context.Background()
	for _, tc := range wasiCases() {
		covered[tc.fn] = true
		t.Run(tc.name, func(t *testing.T) {
			hf, ok := byName[tc.fn]
			if !ok {
				t.Fatalf("no shim function %s", tc.fn)
			}
			want := make([]byte, pageSize)
			for i := 0; i < prefillSize; i++ {
				want[i] = 0xAA
			}
			for _, off := range slices.Sorted(maps.Keys(tc.data)) {
				copy(want[off:], tc.data[off])
			}
			for off, b := range tc.writes {
				copy(want[off:], b)
			}
			now := wasiTestTime
			if tc.time != nil {
				now = *tc.time
			}
			for _, e := range engines {
				var gas [2]uint64
				for i, module := range []string{"nop", "wasi_snapshot_preview1"} {
					m, err := e.Deploy(ctx, wasiCallModule(module, hf, tc.data, tc.noMemory), DefaultParams())
					if err != nil {
						t.Fatalf("deploy: %v", err)
					}
					probe := &wasiProbe{}
					res, err := m.Call(ctx, Request{Func: "call", Args: tc.args, Gas: wasiTestGas, Env: probe, Time: now, Seed: wasiTestSeed})
					gas[i] = res.GasUsed
					if module == "nop" {
						if tc.exit == nil && err != nil {
							t.Fatalf("nop twin: %v", err)
						}
						continue
					}
					interp := e.cfg.Interpreter
					if tc.exit != nil {
						var exit *ExitError
						if !errors.As(err, &exit) || exit.Code != *tc.exit {
							t.Fatalf("interpreter=%v: err %v, want *ExitError{%d}", interp, err, *tc.exit)
						}
					} else {
						if err != nil {
							t.Fatalf("interpreter=%v: %v", interp, err)
						}
						if errno := uint32(res.Values[0]); errno != tc.errno {
							t.Errorf("interpreter=%v: errno %d, want %d", interp, errno, tc.errno)
						}
					}
					if string(res.Log) != tc.log {
						t.Errorf("interpreter=%v: log %q, want %q", interp, res.Log, tc.log)
					}
					if got := gas[1] - gas[0]; gas[1] < gas[0] || got != tc.gas {
						t.Errorf("interpreter=%v: WASI gas %d (call %d, nop twin %d), want %d", interp, int64(got), gas[1], gas[0], tc.gas)
					}
					if !tc.noMemory && tc.exit == nil {
						if len(probe.mem) != pageSize {
							t.Fatalf("interpreter=%v: dump got %d bytes", interp, len(probe.mem))
						}
						if !bytes.Equal(probe.mem, want) {
							for i := range want {
								if probe.mem[i] != want[i] {
									t.Errorf("interpreter=%v: memory differs from byte %d: got % x, want % x", interp, i,
										probe.mem[i:min(i+32, pageSize)], want[i:min(i+32, pageSize)])
									break
								}
							}
						}
					}
					// One gas less than the call needs: out of gas, all used.
					res, err = m.Call(ctx, Request{Func: "call", Args: tc.args, Gas: gas[1] - 1, Env: &wasiProbe{}, Time: now, Seed: wasiTestSeed})
					if !errors.Is(err, ErrOutOfGas) || res.GasUsed != gas[1]-1 {
						t.Errorf("interpreter=%v: at gas-1: %v, used %d, want ErrOutOfGas using %d", interp, err, res.GasUsed, gas[1]-1)
					}
				}
			}
		})
	}
	for name := range wasiSignatures {
		if !covered[name] {
			t.Errorf("no case calls %s", name)
		}
	}
}

// TestWASIRandomStream: successive random_get calls continue the stream;
// another seed gives another stream; EFAULT consumes none of it.
func TestWASIRandomStream(t *testing.T) {
	e := wasiTestEngines(t)[0]
	ctx := context.Background()
	m, err := e.Deploy(ctx, wat.MustCompile(`(module
		(import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
		(import "test" "dump" (func $dump (param i32 i32)))
		(memory 1 1)
		(func (export "call") (result i32)
			(call $r (i32.const 0) (i32.const 10)) drop
			(call $r (i32.const 65535) (i32.const 2)) drop ;; EFAULT
			(call $r (i32.const 10) (i32.const 50)) drop
			(call $r (i32.const 60) (i32.const 0)) drop
			(call $r (i32.const 60) (i32.const 40))
			(call $dump (i32.const 0) (i32.const 100))))`), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range [][32]byte{wasiTestSeed, {}, {1}} {
		probe := &wasiProbe{}
		res, err := m.Call(ctx, Request{Func: "call", Gas: wasiTestGas, Env: probe, Seed: seed})
		if err != nil || res.Values[0] != 0 {
			t.Fatalf("call: %v %v", res.Values, err)
		}
		if want := randomStream(seed, 100); !bytes.Equal(probe.mem, want) {
			t.Errorf("seed %x: got\n% x\nwant\n% x", seed[:4], probe.mem, want)
		}
	}
}

// TestWASIDebugLogLimit: fd_write past MaxDebugLog is reported written and
// paid for, but the log keeps only MaxDebugLog bytes.
func TestWASIDebugLogLimit(t *testing.T) {
	e := wasiTestEngines(t)[0]
	ctx := context.Background()
	// Three iovecs of 40000 bytes each over the same buffer.
	m, err := e.Deploy(ctx, wat.MustCompile(fmt.Sprintf(`(module
		(import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
		(memory 1 1)
		(data (i32.const 16) %s)
		(func (export "call") (result i32)
			(call $w (i32.const 1) (i32.const 16) (i32.const 3) (i32.const 8)) drop
			(i32.load (i32.const 8))))`, watString(cat(u32(100), u32(40000), u32(100), u32(40000), u32(100), u32(40000))))), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Call(ctx, Request{Func: "call", Gas: wasiTestGas})
	if err != nil {
		t.Fatal(err)
	}
	if res.Values[0] != 120000 {
		t.Errorf("nwritten %d, want 120000", res.Values[0])
	}
	if len(res.Log) != MaxDebugLog {
		t.Errorf("log has %d bytes, want %d", len(res.Log), MaxDebugLog)
	}
	if res.GasUsed < 20+24+120000 {
		t.Errorf("gas %d does not cover 120000 bytes written", res.GasUsed)
	}
}
