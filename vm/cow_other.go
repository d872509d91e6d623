//go:build !linux

package vm

import "errors"

// Copy-on-write snapshots need memfd and madvise; elsewhere pooled instances
// are reset by copying the snapshot (see cow_linux.go).
type cowImage struct{}

type cowMemory struct{}

func newCowImage([]byte) (*cowImage, error) {
	return nil, errors.New("vm: copy-on-write memory is linux-only")
}

func (c *cowImage) close()                     {}
func (c *cowImage) allocate(uint64) *cowMemory { return nil }
func (m *cowMemory) Reallocate(uint64) []byte  { return nil }
func (m *cowMemory) Free()                     {}
func (m *cowMemory) reset() error              { return nil }
