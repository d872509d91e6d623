// gocounter is the smallest Go contract on the real host ABI (docs/abi.md):
// incr adds one to a counter in storage and returns it. The runtime's
// call-go benchmark calls it; issue 5's SDK will replace these raw imports.
package main

import (
	"encoding/binary"
	"unsafe"
)

//go:wasmimport plinth storage_read
func storageRead(kptr unsafe.Pointer, klen uint32, reg uint32) uint32

//go:wasmimport plinth read_register
func readRegister(reg uint32, ptr unsafe.Pointer)

//go:wasmimport plinth storage_write
func storageWrite(kptr unsafe.Pointer, klen uint32, vptr unsafe.Pointer, vlen uint32) uint32

//go:wasmimport plinth value_return
func valueReturn(ptr unsafe.Pointer, n uint32)

var key = []byte("n")

//go:wasmexport incr
func incr() {
	var buf [8]byte
	if storageRead(unsafe.Pointer(&key[0]), uint32(len(key)), 0) == 1 {
		readRegister(0, unsafe.Pointer(&buf[0]))
	}
	binary.LittleEndian.PutUint64(buf[:], binary.LittleEndian.Uint64(buf[:])+1)
	storageWrite(unsafe.Pointer(&key[0]), uint32(len(key)), unsafe.Pointer(&buf[0]), 8)
	valueReturn(unsafe.Pointer(&buf[0]), 8)
}

func main() {}
