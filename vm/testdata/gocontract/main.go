// Command gocontract is a test contract for the vm package: a Go reactor
// (GOOS=wasip1, -buildmode=c-shared) exercising what the standard Go
// toolchain's output needs from the VM: the WASI shim (clocks, random_get,
// fd_write, the runtime's start-up), maps, floats, fmt, encoding/json and
// crypto. It talks to the host through a tiny test ABI in module "plinth",
// defined by vm/gocontract_test.go (not the real host ABI).
//
// Rebuild with ./build.sh; see README.md.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
	"unsafe"
)

//go:wasmimport plinth input_len
func inputLen() int32

//go:wasmimport plinth input_read
func inputRead(ptr unsafe.Pointer)

//go:wasmimport plinth output
func output(ptr unsafe.Pointer, n int32)

//go:wasmimport plinth storage_set
func storageSet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vlen int32)

// storageGet copies at most vcap bytes of the value of key into vptr and
// returns the value's length, or -1 if the key is absent.
//
//go:wasmimport plinth storage_get
func storageGet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vcap int32) int32

func input() []byte {
	n := inputLen()
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	inputRead(unsafe.Pointer(&b[0]))
	return b
}

func emit(b []byte) {
	if len(b) == 0 {
		output(nil, 0)
		return
	}
	output(unsafe.Pointer(&b[0]), int32(len(b)))
}

func set(key string, val []byte) {
	k := []byte(key)
	var vp unsafe.Pointer
	if len(val) > 0 {
		vp = unsafe.Pointer(&val[0])
	}
	storageSet(unsafe.Pointer(&k[0]), int32(len(k)), vp, int32(len(val)))
}

func get(key string) ([]byte, bool) {
	k := []byte(key)
	buf := make([]byte, 64)
	n := storageGet(unsafe.Pointer(&k[0]), int32(len(k)), unsafe.Pointer(&buf[0]), int32(len(buf)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(buf) {
		buf = make([]byte, n)
		storageGet(unsafe.Pointer(&k[0]), int32(len(k)), unsafe.Pointer(&buf[0]), n)
	}
	return buf[:n], true
}

type request struct {
	Name    string         `json:"name"`
	Values  map[string]int `json:"values"`
	Divisor float64        `json:"divisor"`
}

type response struct {
	Greeting string   `json:"greeting"`
	Sorted   []string `json:"sorted"`
	Sum      int      `json:"sum"`
	Count    int      `json:"count"`
	Ratio    float64  `json:"ratio"`
	Counter  int      `json:"counter"`
	Time     string   `json:"time"`
}

// run reads a JSON request, counts calls in storage, walks a map both in
// sorted order and in Go's (seeded) iteration order, divides floats, prints
// to stdout and answers in JSON. The answer never depends on the map's
// iteration order; the printed line does (it goes only to the debug log).
//
//go:wasmexport run
func run() {
	var req request
	if err := json.Unmarshal(input(), &req); err != nil {
		panic("bad input: " + err.Error())
	}

	counter := 0
	if v, ok := get("counter"); ok {
		counter, _ = strconv.Atoi(string(v))
	}
	counter++
	set("counter", []byte(strconv.Itoa(counter)))
	set("greeting:"+req.Name, []byte("hello, "+req.Name))

	keys := make([]string, 0, len(req.Values))
	for k := range req.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sorted := make([]string, 0, len(keys))
	for _, k := range keys {
		sorted = append(sorted, k+"="+strconv.Itoa(req.Values[k]))
	}

	// Unsorted: the sum is the same in any order; the order itself is
	// only printed.
	sum, order := 0, ""
	for k, v := range req.Values {
		sum += v
		order += k
	}

	ratio := float64(sum) / req.Divisor
	fmt.Println("run:", req.Name, "order", order, "sum", sum, "ratio", ratio)

	out, err := json.Marshal(response{
		Greeting: "hello, " + req.Name,
		Sorted:   sorted,
		Sum:      sum,
		Count:    len(req.Values),
		Ratio:    ratio,
		Counter:  counter,
		Time:     time.Now().UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		panic(err)
	}
	emit(out)
}

// shaData is the buffer sha hashes; it lives in WebAssembly memory.
var shaData [64 << 10]byte

// sha fills 64 KiB with a xorshift stream seeded by seed and outputs its
// SHA-256: all of the work is WebAssembly, none of it host functions.
//
//go:wasmexport sha
func sha(seed int64) {
	x := uint64(seed) | 1
	for i := 0; i < len(shaData); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := 0; j < 8; j++ {
			shaData[i+j] = byte(x >> (8 * j))
		}
	}
	sum := sha256.Sum256(shaData[:])
	emit(sum[:])
}

// put stores v under "value" and returns v+1: the small call of
// BenchmarkCallGo (one storage write, one return value).
//
//go:wasmexport put
func put(v int64) int64 {
	set("value", []byte(strconv.FormatInt(v, 10)))
	return v + 1
}

// random outputs 16 bytes of crypto/rand (WASI random_get) in hex.
//
//go:wasmexport random
func random() {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	emit([]byte(hex.EncodeToString(b[:])))
}

// exit ends the call through WASI proc_exit.
//
//go:wasmexport exit
func exit(code int32) { os.Exit(int(code)) }

// fail panics; the runtime prints the panic to stderr and exits with 2.
//
//go:wasmexport fail
func fail() { panic("contract failed on purpose") }

// sleep sleeps: the clocks do not advance within a call, so it never wakes
// and runs out of gas.
//
//go:wasmexport sleep
func sleep() { time.Sleep(time.Millisecond) }

// stdin reads standard input to the end and outputs how many bytes it got.
//
//go:wasmexport stdin
func stdin() {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	emit([]byte(strconv.Itoa(len(b))))
}

func main() {}
