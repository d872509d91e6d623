//go:build linux

package vm

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cowImage holds a module's memory snapshot in a memfd. Each pooled
// instance maps it privately (copy-on-write), so creating an instance
// shares the snapshot's pages, and resetting one after a call is a single
// madvise(MADV_DONTNEED) that drops only the pages the call wrote: they
// fault back in from the snapshot on the next touch. This is the technique
// behind wasmtime's fast instantiation (docs/RATIONALE.md).
type cowImage struct {
	fd   int
	size int
}

func newCowImage(snapshot []byte) (*cowImage, error) {
	fd, err := unix.MemfdCreate("plinth-snapshot", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("vm: memfd_create: %w", err)
	}
	for off := 0; off < len(snapshot); {
		n, err := unix.Pwrite(fd, snapshot[off:], int64(off))
		if err != nil {
			_ = unix.Close(fd)
			return nil, fmt.Errorf("vm: write snapshot: %w", err)
		}
		off += n
	}
	return &cowImage{fd: fd, size: len(snapshot)}, nil
}

func (c *cowImage) close() { _ = unix.Close(c.fd) }

// cowMemory is one instance's linear memory: max bytes of address space,
// the first size of which map the image privately and the rest anonymous
// zero pages.
type cowMemory struct {
	buf   []byte // the whole reservation
	image int    // bytes backed by the image
}

// allocate reserves max bytes and maps the image over their start, or
// returns nil if the kernel refuses.
func (c *cowImage) allocate(max uint64) *cowMemory {
	if max < uint64(c.size) {
		max = uint64(c.size)
	}
	if max == 0 || max > 1<<32 {
		return nil
	}
	buf, err := unix.Mmap(-1, 0, int(max), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	if c.size > 0 {
		if _, err := unix.MmapPtr(c.fd, 0, unsafe.Pointer(&buf[0]), uintptr(c.size),
			unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED); err != nil {
			_ = unix.Munmap(buf)
			return nil
		}
	}
	return &cowMemory{buf: buf, image: c.size}
}

// Reallocate implements experimental.LinearMemory: the address never moves.
func (m *cowMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size]
}

// Free implements experimental.LinearMemory.
func (m *cowMemory) Free() { _ = unix.Munmap(m.buf) }

// reset drops every page written since the mapping was made or last reset.
func (m *cowMemory) reset() error {
	if m.image == 0 {
		return nil
	}
	return unix.Madvise(m.buf[:m.image], unix.MADV_DONTNEED)
}
