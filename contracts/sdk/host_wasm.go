//go:build wasip1

package sdk

import "unsafe"

// The host ABI's imports (docs/abi.md). Every result of unknown length
// comes back in register 0 and is copied out at once.

//go:wasmimport plinth register_len
func registerLen(r uint32) int64

//go:wasmimport plinth read_register
func readRegister(r uint32, ptr unsafe.Pointer)

//go:wasmimport plinth input
func hostInput(r uint32)

//go:wasmimport plinth value_return
func valueReturn(ptr unsafe.Pointer, n uint32)

//go:wasmimport plinth abort
func hostAbort(ptr unsafe.Pointer, n uint32)

//go:wasmimport plinth log
func hostLog(ptr unsafe.Pointer, n uint32)

//go:wasmimport plinth storage_read
func storageRead(k unsafe.Pointer, kn uint32, r uint32) uint32

//go:wasmimport plinth storage_write
func storageWrite(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vn uint32) uint32

//go:wasmimport plinth storage_remove
func storageRemove(k unsafe.Pointer, kn uint32) uint32

//go:wasmimport plinth storage_range
func storageRange(p unsafe.Pointer, pn uint32, s unsafe.Pointer, sn uint32, limit, flags, r uint32) uint32

//go:wasmimport plinth caller
func hostCaller(r uint32)

//go:wasmimport plinth self
func hostSelf(r uint32)

//go:wasmimport plinth origin
func hostOrigin(r uint32)

//go:wasmimport plinth funds
func hostFunds(r uint32)

//go:wasmimport plinth chain_id
func hostChainID(r uint32)

//go:wasmimport plinth tx_hash
func hostTxHash(r uint32)

//go:wasmimport plinth block_height
func blockHeight() uint64

//go:wasmimport plinth block_time
func blockTime() uint64

//go:wasmimport plinth balance
func hostBalance(a unsafe.Pointer, r uint32)

//go:wasmimport plinth transfer
func hostTransfer(a unsafe.Pointer, amount unsafe.Pointer)

//go:wasmimport plinth emit
func hostEmit(t unsafe.Pointer, tn uint32, a unsafe.Pointer, an uint32)

//go:wasmimport plinth call
func hostCall(c unsafe.Pointer, m unsafe.Pointer, mn uint32, in unsafe.Pointer, inn uint32, funds unsafe.Pointer, r uint32) uint32

//go:wasmimport plinth query
func hostQuery(c unsafe.Pointer, m unsafe.Pointer, mn uint32, in unsafe.Pointer, inn uint32, r uint32) uint32

//go:wasmimport plinth dispatch
func hostDispatch(c unsafe.Pointer, m unsafe.Pointer, mn uint32, in unsafe.Pointer, inn uint32, funds unsafe.Pointer)

//go:wasmimport plinth dispatch_migrate
func hostDispatchMigrate(c unsafe.Pointer, code unsafe.Pointer, in unsafe.Pointer, inn uint32)

//go:wasmimport plinth update_admin
func hostUpdateAdmin(c unsafe.Pointer, admin unsafe.Pointer)

//go:wasmimport plinth clear_admin
func hostClearAdmin(c unsafe.Pointer)

//go:wasmimport plinth sha256
func hostSha256(p unsafe.Pointer, n uint32, r uint32)

//go:wasmimport plinth keccak256
func hostKeccak256(p unsafe.Pointer, n uint32, r uint32)

//go:wasmimport plinth verify
func hostVerify(kt uint32, pub unsafe.Pointer, pn uint32, msg unsafe.Pointer, mn uint32, sig unsafe.Pointer, sn uint32) uint32

//go:wasmimport plinth device_get
func deviceGet(id unsafe.Pointer, r uint32) uint32

//go:wasmimport plinth attestation_get
func attestationGet(id unsafe.Pointer, r uint32) uint32

//go:wasmimport plinth attestation_latest
func attestationLatest(dev unsafe.Pointer, k unsafe.Pointer, kn uint32, r uint32) uint32

//go:wasmimport plinth attestation_history
func attestationHistory(dev unsafe.Pointer, from, to uint64, limit uint32, r uint32) uint32

//go:wasmimport plinth attestation_check
func attestationCheck(p unsafe.Pointer, n uint32) uint32

//go:wasmimport plinth set_params
func setParams(p unsafe.Pointer, n uint32, height uint64)

//go:wasmimport plinth set_validators
func setValidators(p unsafe.Pointer, n uint32)

// ptr is the address of b's first byte, or nil for an empty slice: the
// host reads nothing at a zero length.
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func strptr(s string) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

// register copies register 0 out.
func register() []byte {
	n := registerLen(0)
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	readRegister(0, unsafe.Pointer(&b[0]))
	return b
}

func amount32(a Amount) *[32]byte {
	b := a.Bytes32()
	return &b
}

// wasmHost is the real host; it has no state of its own.
type wasmHost struct{}

func defaultHost() Host { return wasmHost{} }

func (wasmHost) Input() []byte       { hostInput(0); return register() }
func (wasmHost) Return(v []byte)     { valueReturn(ptr(v), uint32(len(v))) }
func (wasmHost) Log(msg string)      { hostLog(strptr(msg), uint32(len(msg))) }
func (wasmHost) Abort(msg string)    { hostAbort(strptr(msg), uint32(len(msg))); panic("unreachable") }
func (wasmHost) BlockHeight() uint64 { return blockHeight() }
func (wasmHost) BlockTime() uint64   { return blockTime() }

func (wasmHost) StorageRead(key []byte) ([]byte, bool) {
	if storageRead(ptr(key), uint32(len(key)), 0) == 0 {
		return nil, false
	}
	return register(), true
}

func (wasmHost) StorageWrite(key, value []byte) bool {
	return storageWrite(ptr(key), uint32(len(key)), ptr(value), uint32(len(value))) == 1
}

func (wasmHost) StorageRemove(key []byte) bool {
	return storageRemove(ptr(key), uint32(len(key))) == 1
}

func (wasmHost) StorageRange(prefix, start []byte, limit uint32, reverse, keysOnly bool) []Entry {
	var flags uint32
	if reverse {
		flags |= 1
	}
	if keysOnly {
		flags |= 2
	}
	storageRange(ptr(prefix), uint32(len(prefix)), ptr(start), uint32(len(start)), limit, flags, 0)
	entries, err := decodeEntries(register())
	if err != nil {
		panic("sdk: storage_range: " + err.Error())
	}
	return entries
}

func addressFrom(get func(uint32)) (a Address) {
	get(0)
	copy(a[:], register())
	return a
}

func (wasmHost) Caller() Address { return addressFrom(hostCaller) }
func (wasmHost) Self() Address   { return addressFrom(hostSelf) }
func (wasmHost) Origin() Address { return addressFrom(hostOrigin) }

func (wasmHost) Funds() Amount {
	hostFunds(0)
	return AmountFromBytes(register())
}

func (wasmHost) ChainID() string { hostChainID(0); return string(register()) }

func (wasmHost) TxHash() (h [32]byte) {
	hostTxHash(0)
	copy(h[:], register())
	return h
}

func (wasmHost) Balance(a Address) Amount {
	hostBalance(unsafe.Pointer(&a[0]), 0)
	return AmountFromBytes(register())
}

func (wasmHost) Transfer(to Address, amount Amount) {
	hostTransfer(unsafe.Pointer(&to[0]), unsafe.Pointer(amount32(amount)))
}

func (wasmHost) Emit(typ string, attrs []Attribute) {
	b := encodeAttributes(attrs)
	hostEmit(strptr(typ), uint32(len(typ)), ptr(b), uint32(len(b)))
}

func (wasmHost) Call(c Address, method string, input []byte, funds Amount) (uint32, []byte) {
	code := hostCall(unsafe.Pointer(&c[0]), strptr(method), uint32(len(method)), ptr(input), uint32(len(input)), unsafe.Pointer(amount32(funds)), 0)
	return code, register()
}

func (wasmHost) Query(c Address, method string, input []byte) (uint32, []byte) {
	code := hostQuery(unsafe.Pointer(&c[0]), strptr(method), uint32(len(method)), ptr(input), uint32(len(input)), 0)
	return code, register()
}

func (wasmHost) Dispatch(c Address, method string, input []byte, funds Amount) {
	hostDispatch(unsafe.Pointer(&c[0]), strptr(method), uint32(len(method)), ptr(input), uint32(len(input)), unsafe.Pointer(amount32(funds)))
}

func (wasmHost) DispatchMigrate(c Address, codeHash [32]byte, input []byte) {
	hostDispatchMigrate(unsafe.Pointer(&c[0]), unsafe.Pointer(&codeHash[0]), ptr(input), uint32(len(input)))
}

func (wasmHost) UpdateAdmin(c, admin Address) {
	hostUpdateAdmin(unsafe.Pointer(&c[0]), unsafe.Pointer(&admin[0]))
}

func (wasmHost) ClearAdmin(c Address) { hostClearAdmin(unsafe.Pointer(&c[0])) }

func (wasmHost) SetParams(encoded []byte, height uint64) {
	setParams(ptr(encoded), uint32(len(encoded)), height)
}

func (wasmHost) SetValidators(encoded []byte) { setValidators(ptr(encoded), uint32(len(encoded))) }

func (wasmHost) Sha256(data []byte) (h [32]byte) {
	hostSha256(ptr(data), uint32(len(data)), 0)
	copy(h[:], register())
	return h
}

func (wasmHost) Keccak256(data []byte) (h [32]byte) {
	hostKeccak256(ptr(data), uint32(len(data)), 0)
	copy(h[:], register())
	return h
}

func (wasmHost) Verify(kt KeyType, pub, msg, sig []byte) uint32 {
	return hostVerify(uint32(kt), ptr(pub), uint32(len(pub)), ptr(msg), uint32(len(msg)), ptr(sig), uint32(len(sig)))
}

func found(ok uint32) ([]byte, bool) {
	if ok == 0 {
		return nil, false
	}
	return register(), true
}

func (wasmHost) DeviceGet(id DeviceID) ([]byte, bool) {
	return found(deviceGet(unsafe.Pointer(&id[0]), 0))
}

func (wasmHost) AttestationGet(id [32]byte) ([]byte, bool) {
	return found(attestationGet(unsafe.Pointer(&id[0]), 0))
}

func (wasmHost) AttestationLatest(dev DeviceID, kind string) ([]byte, bool) {
	return found(attestationLatest(unsafe.Pointer(&dev[0]), strptr(kind), uint32(len(kind)), 0))
}

func (wasmHost) AttestationHistory(dev DeviceID, from, to uint64, limit uint32) []byte {
	attestationHistory(unsafe.Pointer(&dev[0]), from, to, limit, 0)
	return register()
}

func (wasmHost) AttestationCheck(raw []byte) uint32 {
	return attestationCheck(ptr(raw), uint32(len(raw)))
}
