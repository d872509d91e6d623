package vm

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
)

// MaxDebugLog bounds the debug output one call may collect (fd_write to
// stdout/stderr and the log host function); the rest is dropped.
const MaxDebugLog = 64 << 10

// callState is what host functions see of the running call.
type callState struct {
	inst   *instance
	caller Caller
	gas    *GasSchedule // prices of the module's Params
	req    *Request
	log    []byte
	// random stream state: block counter and unread bytes of the current block
	rndCounter uint64
	rndBuf     []byte
}

// Caller is a host function's handle on the call that invoked it: the
// calling module's memory, the gas meter and the request's context.
type Caller struct {
	mod api.Module
	cs  *callState
}

// Env returns Request.Env of the running call.
func (c *Caller) Env() any { return c.cs.req.Env }

// Read returns n bytes of the caller's memory at ptr, or false if the range
// is out of bounds. The slice aliases the memory: copy it before the module
// runs again.
func (c *Caller) Read(ptr, n uint32) ([]byte, bool) {
	mem := c.mod.Memory()
	if mem == nil {
		return nil, n == 0
	}
	return mem.Read(ptr, n)
}

// Write copies b into the caller's memory at ptr, or returns false (writing
// nothing) if the range is out of bounds.
func (c *Caller) Write(ptr uint32, b []byte) bool {
	mem := c.mod.Memory()
	if mem == nil {
		return len(b) == 0
	}
	return mem.Write(ptr, b)
}

// ReadU32 reads a little-endian uint32 at ptr.
func (c *Caller) ReadU32(ptr uint32) (uint32, bool) {
	mem := c.mod.Memory()
	if mem == nil {
		return 0, false
	}
	return mem.ReadUint32Le(ptr)
}

// WriteU32 writes a little-endian uint32 at ptr.
func (c *Caller) WriteU32(ptr, v uint32) bool {
	mem := c.mod.Memory()
	return mem != nil && mem.WriteUint32Le(ptr, v)
}

// WriteU64 writes a little-endian uint64 at ptr.
func (c *Caller) WriteU64(ptr uint32, v uint64) bool {
	mem := c.mod.Memory()
	return mem != nil && mem.WriteUint64Le(ptr, v)
}

// GasLeft returns the gas the call has left.
func (c *Caller) GasLeft() uint64 {
	g := int64(c.cs.inst.gas.Get())
	if g < 0 {
		return 0
	}
	return uint64(g)
}

// Charge takes gas from the call before the host does work. If the call
// has less than gas left, the meter is left exhausted and the call ends
// with ErrOutOfGas (by panicking through wazero, which unwinds the module).
func (c *Caller) Charge(gas uint64) {
	left := int64(c.cs.inst.gas.Get())
	if left < 0 || uint64(left) < gas {
		c.cs.inst.gas.Set(^uint64(0)) // -1: exhausted
		panic(ErrOutOfGas)
	}
	c.cs.inst.gas.Set(uint64(left) - gas)
}

// Abort ends the call with an *AbortError carrying msg.
func (c *Caller) Abort(msg string) { panic(&AbortError{Message: msg}) }

// Exit ends the call with an *ExitError (WASI proc_exit).
func (c *Caller) Exit(code uint32) { panic(&ExitError{Code: code}) }

// Debug appends to the call's debug log, up to MaxDebugLog bytes. The log
// is returned with the result; it is not part of consensus.
func (c *Caller) Debug(b []byte) {
	room := MaxDebugLog - len(c.cs.log)
	if room <= 0 {
		return
	}
	if len(b) > room {
		b = b[:room]
	}
	c.cs.log = append(c.cs.log, b...)
}

// Time returns Request.Time: the only clock a module can read.
func (c *Caller) Time() int64 { return c.cs.req.Time }

// Random fills b from the call's deterministic stream: SHA-256 of
// Request.Seed and a block counter, so the bytes depend only on the seed and
// how many were read before.
func (c *Caller) Random(b []byte) {
	cs := c.cs
	for len(b) > 0 {
		if len(cs.rndBuf) == 0 {
			var in [40]byte
			copy(in[:32], cs.req.Seed[:])
			binary.LittleEndian.PutUint64(in[32:], cs.rndCounter)
			cs.rndCounter++
			sum := sha256.Sum256(in[:])
			cs.rndBuf = append(cs.rndBuf[:0], sum[:]...)
		}
		n := copy(b, cs.rndBuf)
		b, cs.rndBuf = b[n:], cs.rndBuf[n:]
	}
}
