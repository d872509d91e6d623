package vm

import (
	"context"
	"encoding/binary"
	"math"
	"math/bits"
)

// The deterministic WASI shim: module wasi_snapshot_preview1, as imported by
// the standard Go toolchain's GOOS=wasip1 GOARCH=wasm output.
//
// A contract sees no host clock, no host randomness and no file system:
//
//   - clocks (realtime and monotonic) read Request.Time, the block time;
//     time does not advance during a call;
//   - random_get reads the call's seeded stream (Caller.Random);
//   - fd_write to stdout or stderr appends to the call's debug log;
//   - stdin reads as empty; there are no arguments, no environment and no
//     preopened directories;
//   - poll_oneoff answers at once and never waits (see wasiPollOneoff);
//   - every other operation fails with a fixed errno: ENOSYS on the three
//     stdio descriptors (they exist but do not support it), EBADF on any
//     other descriptor (none exist).
//
// Every function charges GasSchedule.WASIBase before anything else, and
// those that copy a caller-sized amount of memory charge WASIPerByte per
// byte before copying (fd_write's iovec array and data, random_get's
// buffer, poll_oneoff's subscriptions and events). Pointers out of bounds give EFAULT; a function that fails writes
// nothing. docs/abi.md lists every function with its result and gas.

// WASI preview1 errno values (a subset).
const (
	errnoSuccess uint32 = 0
	errnoBadf    uint32 = 8
	errnoFault   uint32 = 21
	errnoInval   uint32 = 28
	errnoNosys   uint32 = 52
)

// WASI preview1 layout constants.
const (
	wasiClockRealtime  = 0
	wasiClockMonotonic = 1

	wasiFiletypeCharacterDevice = 2

	wasiRightFdRead          = 1 << 1
	wasiRightFdWrite         = 1 << 6
	wasiRightPollFdReadwrite = 1 << 27

	wasiEventtypeClock     = 0
	wasiEventtypeFdRead    = 1
	wasiEventtypeFdWrite   = 2
	wasiEventrwflagsHangup = 1

	wasiSubscriptionSize = 48
	wasiEventSize        = 32
	wasiIovecSize        = 8
	wasiFdstatSize       = 24

	wasiStdin     = 0
	wasiStdout    = 1
	wasiStderr    = 2
	wasiFirstFree = 3 // the first descriptor that is not stdio
)

// wasiModule is the import module name of WASI preview1.
const wasiModule = "wasi_snapshot_preview1"

// wasiFunc is one shim function: it returns the errno (unless it has no
// results) after WASIBase has been charged.
type wasiFunc struct {
	name    string
	params  []ValueType
	fn      func(c *Caller, p []uint64) uint32
	noErrno bool // proc_exit: no result
}

// wasiFuncs returns the deterministic WASI shim (module
// wasi_snapshot_preview1): every function the Go toolchain may import, plus
// clock_res_get. Signatures are those of WASI preview1.
func wasiFuncs() []HostFunc {
	out := make([]HostFunc, 0, len(wasiTable))
	for _, w := range wasiTable {
		hf := HostFunc{Module: wasiModule, Name: w.name, Params: w.params}
		if !w.noErrno {
			hf.Results = []ValueType{I32}
		}
		hf.Fn = wasiHost(w)
		out = append(out, hf)
	}
	return out
}

// wasiHost wraps a shim function: charge the base cost, run, store the errno.
func wasiHost(w wasiFunc) func(context.Context, *Caller, []uint64) {
	return func(_ context.Context, c *Caller, stack []uint64) {
		c.Charge(c.cs.gas.WASIBase)
		errno := w.fn(c, stack)
		if !w.noErrno {
			stack[0] = uint64(errno)
		}
	}
}

var (
	i32x1 = []ValueType{I32}
	i32x2 = []ValueType{I32, I32}
	i32x3 = []ValueType{I32, I32, I32}
	i32x4 = []ValueType{I32, I32, I32, I32}
	i32x5 = []ValueType{I32, I32, I32, I32, I32}
	i32x6 = []ValueType{I32, I32, I32, I32, I32, I32}
	i32x7 = []ValueType{I32, I32, I32, I32, I32, I32, I32}
)

// wasiTable lists the shim in import-name order.
var wasiTable = []wasiFunc{
	{name: "args_get", params: i32x2, fn: wasiNoStrings},
	{name: "args_sizes_get", params: i32x2, fn: wasiZeroSizes},
	{name: "clock_res_get", params: i32x2, fn: wasiClockResGet},
	{name: "clock_time_get", params: []ValueType{I32, I64, I32}, fn: wasiClockTimeGet},
	{name: "environ_get", params: i32x2, fn: wasiNoStrings},
	{name: "environ_sizes_get", params: i32x2, fn: wasiZeroSizes},
	{name: "fd_close", params: i32x1, fn: wasiUnsupported(0)},
	{name: "fd_fdstat_get", params: i32x2, fn: wasiFdstatGet},
	{name: "fd_fdstat_set_flags", params: i32x2, fn: wasiUnsupported(0)},
	{name: "fd_fdstat_set_rights", params: []ValueType{I32, I64, I64}, fn: wasiUnsupported(0)},
	{name: "fd_filestat_get", params: i32x2, fn: wasiUnsupported(0)},
	{name: "fd_filestat_set_size", params: []ValueType{I32, I64}, fn: wasiUnsupported(0)},
	{name: "fd_pread", params: []ValueType{I32, I32, I32, I64, I32}, fn: wasiUnsupported(0)},
	{name: "fd_prestat_dir_name", params: i32x3, fn: wasiBadf},
	{name: "fd_prestat_get", params: i32x2, fn: wasiBadf},
	{name: "fd_pwrite", params: []ValueType{I32, I32, I32, I64, I32}, fn: wasiUnsupported(0)},
	{name: "fd_read", params: i32x4, fn: wasiFdRead},
	{name: "fd_readdir", params: []ValueType{I32, I32, I32, I64, I32}, fn: wasiUnsupported(0)},
	{name: "fd_seek", params: []ValueType{I32, I64, I32, I32}, fn: wasiUnsupported(0)},
	{name: "fd_sync", params: i32x1, fn: wasiUnsupported(0)},
	{name: "fd_write", params: i32x4, fn: wasiFdWrite},
	{name: "path_create_directory", params: i32x3, fn: wasiUnsupported(0)},
	{name: "path_filestat_get", params: i32x5, fn: wasiUnsupported(0)},
	{name: "path_filestat_set_times", params: []ValueType{I32, I32, I32, I32, I64, I64, I32}, fn: wasiUnsupported(0)},
	{name: "path_link", params: i32x7, fn: wasiUnsupported(0)},
	{name: "path_open", params: []ValueType{I32, I32, I32, I32, I32, I64, I64, I32, I32}, fn: wasiUnsupported(0)},
	{name: "path_readlink", params: i32x6, fn: wasiUnsupported(0)},
	{name: "path_remove_directory", params: i32x3, fn: wasiUnsupported(0)},
	{name: "path_rename", params: i32x6, fn: wasiUnsupported(0)},
	{name: "path_symlink", params: i32x5, fn: wasiUnsupported(2)},
	{name: "path_unlink_file", params: i32x3, fn: wasiUnsupported(0)},
	{name: "poll_oneoff", params: i32x4, fn: wasiPollOneoff},
	{name: "proc_exit", params: i32x1, fn: wasiProcExit, noErrno: true},
	{name: "random_get", params: i32x2, fn: wasiRandomGet},
	{name: "sched_yield", params: nil, fn: func(*Caller, []uint64) uint32 { return errnoSuccess }},
	{name: "sock_accept", params: i32x3, fn: wasiUnsupported(0)},
	{name: "sock_shutdown", params: i32x2, fn: wasiUnsupported(0)},
}

// wasiGasBytes is WASIPerByte × n, saturating (a saturated charge runs the
// call out of gas; it never wraps).
func wasiGasBytes(c *Caller, n uint64) uint64 {
	hi, lo := bits.Mul64(n, c.cs.gas.WASIPerByte)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// wasiSpan returns n bytes of the caller's memory at ptr, or false when the
// range is out of bounds (or the module has no memory and n > 0).
func wasiSpan(c *Caller, ptr, n uint32) ([]byte, bool) { return c.Read(ptr, n) }

// wasiUnsupported returns the stub for an operation on a descriptor the shim
// does not support: ENOSYS if the descriptor (parameter fdParam) is stdin,
// stdout or stderr, EBADF otherwise. It reads no memory.
func wasiUnsupported(fdParam int) func(*Caller, []uint64) uint32 {
	return func(_ *Caller, p []uint64) uint32 {
		if uint32(p[fdParam]) < wasiFirstFree {
			return errnoNosys
		}
		return errnoBadf
	}
}

// wasiBadf is fd_prestat_get and fd_prestat_dir_name: there are no
// preopened directories. It must be EBADF, not ENOSYS: Go's syscall package
// stops scanning for preopens at EBADF and panics on any other error.
func wasiBadf(*Caller, []uint64) uint32 { return errnoBadf }

// wasiNoStrings is args_get and environ_get: there is nothing to write.
func wasiNoStrings(*Caller, []uint64) uint32 { return errnoSuccess }

// wasiZeroSizes is args_sizes_get and environ_sizes_get: 0 strings of 0
// bytes, written to the two result pointers.
func wasiZeroSizes(c *Caller, p []uint64) uint32 {
	count, size := uint32(p[0]), uint32(p[1])
	if _, ok := wasiSpan(c, count, 4); !ok {
		return errnoFault
	}
	if _, ok := wasiSpan(c, size, 4); !ok {
		return errnoFault
	}
	c.WriteU32(count, 0)
	c.WriteU32(size, 0)
	return errnoSuccess
}

// wasiClockResGet(id, result_ptr): 1 ns for the realtime and monotonic
// clocks, EINVAL for any other.
func wasiClockResGet(c *Caller, p []uint64) uint32 {
	if id := uint32(p[0]); id != wasiClockRealtime && id != wasiClockMonotonic {
		return errnoInval
	}
	if !c.WriteU64(uint32(p[1]), 1) {
		return errnoFault
	}
	return errnoSuccess
}

// wasiClockTimeGet(id, precision, result_ptr): Request.Time for the
// realtime and monotonic clocks, EINVAL for any other. The precision is
// ignored.
//
// The monotonic clock never reads 0: a Time of 0 reads as 1. Go's runtime
// throws "nanotime returning zero" at start-up otherwise, and that start-up
// runs in pre-initialization at deploy, where there is no block time.
func wasiClockTimeGet(c *Caller, p []uint64) uint32 {
	var now uint64
	switch uint32(p[0]) {
	case wasiClockRealtime:
		now = uint64(c.Time())
	case wasiClockMonotonic:
		now = max(uint64(c.Time()), 1)
	default:
		return errnoInval
	}
	if !c.WriteU64(uint32(p[2]), now) {
		return errnoFault
	}
	return errnoSuccess
}

// wasiFdstatGet(fd, result_ptr): stdin, stdout and stderr are character
// devices, blocking (fdflags 0, so Go writes to them directly instead of
// through its poller), with read rights on stdin and write rights on
// stdout and stderr. Go reads only the filetype and the flags.
func wasiFdstatGet(c *Caller, p []uint64) uint32 {
	fd := uint32(p[0])
	var rights uint64
	switch fd {
	case wasiStdin:
		rights = wasiRightFdRead | wasiRightPollFdReadwrite
	case wasiStdout, wasiStderr:
		rights = wasiRightFdWrite | wasiRightPollFdReadwrite
	default:
		return errnoBadf
	}
	var st [wasiFdstatSize]byte
	st[0] = wasiFiletypeCharacterDevice
	// st[2:4] fdflags = 0
	binary.LittleEndian.PutUint64(st[8:], rights)
	// st[16:24] rights_inheriting = 0
	if !c.Write(uint32(p[1]), st[:]) {
		return errnoFault
	}
	return errnoSuccess
}

// wasiFdRead(fd, iovs, iovs_len, nread_ptr): stdin is empty (0 bytes read,
// which Go reads as EOF); stdout, stderr and any other descriptor give
// EBADF. The iovecs are not read.
func wasiFdRead(c *Caller, p []uint64) uint32 {
	if uint32(p[0]) != wasiStdin {
		return errnoBadf
	}
	if !c.WriteU32(uint32(p[3]), 0) {
		return errnoFault
	}
	return errnoSuccess
}

// wasiFdWrite(fd, iovs, iovs_len, nwritten_ptr): bytes written to stdout or
// stderr go to the call's debug log (up to MaxDebugLog; the rest is dropped
// but still reported written and paid for); any other descriptor gives
// EBADF. Gas: WASIPerByte per byte of the iovec array, charged first,
// then per byte of data, charged before anything is copied.
func wasiFdWrite(c *Caller, p []uint64) uint32 {
	fd, iovs, n, nwritten := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
	c.Charge(wasiGasBytes(c, uint64(n)*wasiIovecSize))
	if fd != wasiStdout && fd != wasiStderr {
		return errnoBadf
	}
	if uint64(n)*wasiIovecSize > math.MaxUint32 {
		return errnoFault
	}
	arr, ok := wasiSpan(c, iovs, n*wasiIovecSize)
	if !ok {
		return errnoFault
	}
	if _, ok := wasiSpan(c, nwritten, 4); !ok {
		return errnoFault
	}
	var total uint64
	for i := uint32(0); i < n; i++ {
		iov := arr[i*wasiIovecSize:]
		ptr, size := binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:])
		if _, ok := wasiSpan(c, ptr, size); !ok {
			return errnoFault
		}
		total += uint64(size)
	}
	if total > math.MaxUint32 {
		// nwritten cannot say it.
		return errnoInval
	}
	c.Charge(wasiGasBytes(c, total))
	// Gas is paid; arr still aliases the same memory (host code ran, the
	// module did not).
	for i := uint32(0); i < n; i++ {
		iov := arr[i*wasiIovecSize:]
		ptr, size := binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:])
		b, _ := wasiSpan(c, ptr, size)
		c.Debug(b)
	}
	c.WriteU32(nwritten, uint32(total))
	return errnoSuccess
}

// wasiPollOneoff(in, out, nsubscriptions, nevents_ptr) answers at once: the
// host never waits. Every subscription gets an event, in order:
//
//   - clock (realtime or monotonic): fired, whatever the timeout; any other
//     clock: event error EINVAL;
//   - fd_read on stdin: ready, 0 bytes, hang-up (end of file);
//   - fd_write on stdout or stderr: ready;
//   - fd_read or fd_write on any other descriptor: event error EBADF.
//
// A subscription of an unknown type makes the whole call EINVAL, as does
// nsubscriptions = 0; nothing is written then.
//
// It cannot be ENOSYS: Go's runtime calls it from usleep (also while
// printing a fatal panic) and from its scheduler when every goroutine
// sleeps, and throws on any error. Since the clocks do not advance within a
// call, a Go contract that sleeps (time.Sleep, a timer) never wakes: its
// scheduler polls until the call runs out of gas.
//
// Gas: WASIPerByte per byte of subscriptions read and events written
// (48 + 32 per subscription), before reading them.
func wasiPollOneoff(c *Caller, p []uint64) uint32 {
	in, out, n, nevents := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
	if n == 0 {
		return errnoInval
	}
	c.Charge(wasiGasBytes(c, uint64(n)*(wasiSubscriptionSize+wasiEventSize)))
	if uint64(n)*wasiSubscriptionSize > math.MaxUint32 {
		return errnoFault
	}
	subs, ok := wasiSpan(c, in, n*wasiSubscriptionSize)
	if !ok {
		return errnoFault
	}
	if _, ok := wasiSpan(c, out, n*wasiEventSize); !ok {
		return errnoFault
	}
	if _, ok := wasiSpan(c, nevents, 4); !ok {
		return errnoFault
	}
	events := make([]byte, n*wasiEventSize)
	le := binary.LittleEndian
	for i := uint32(0); i < n; i++ {
		s := subs[i*wasiSubscriptionSize : (i+1)*wasiSubscriptionSize]
		e := events[i*wasiEventSize : (i+1)*wasiEventSize]
		copy(e[0:8], s[0:8]) // userdata
		tag := s[8]
		e[10] = tag
		var errno uint32
		switch tag {
		case wasiEventtypeClock:
			if id := le.Uint32(s[16:]); id != wasiClockRealtime && id != wasiClockMonotonic {
				errno = errnoInval
			}
		case wasiEventtypeFdRead:
			if le.Uint32(s[16:]) == wasiStdin {
				le.PutUint16(e[24:], wasiEventrwflagsHangup)
			} else {
				errno = errnoBadf
			}
		case wasiEventtypeFdWrite:
			if fd := le.Uint32(s[16:]); fd != wasiStdout && fd != wasiStderr {
				errno = errnoBadf
			}
		default:
			return errnoInval
		}
		le.PutUint16(e[8:], uint16(errno))
	}
	c.Write(out, events)
	c.WriteU32(nevents, n)
	return errnoSuccess
}

// wasiProcExit(code) ends the call with *ExitError{Code: code}.
func wasiProcExit(c *Caller, p []uint64) uint32 {
	c.Exit(uint32(p[0]))
	return 0 // not reached
}

// wasiRandomGet(buf, buf_len) fills the buffer from the call's seeded
// stream (Caller.Random). Gas: WASIPerByte per byte, before filling.
// EFAULT consumes nothing of the stream.
func wasiRandomGet(c *Caller, p []uint64) uint32 {
	ptr, n := uint32(p[0]), uint32(p[1])
	c.Charge(wasiGasBytes(c, uint64(n)))
	b, ok := wasiSpan(c, ptr, n)
	if !ok {
		return errnoFault
	}
	c.Random(b)
	return errnoSuccess
}
