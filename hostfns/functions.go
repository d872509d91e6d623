package hostfns

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/vm"
)

// Module is the import module of every host function.
const Module = "plinth"

const (
	i32 = vm.I32
	i64 = vm.I64
)

// Functions returns the host ABI for a vm.Engine (vm.Config.Host). Each
// function charges Gas.Base and its own costs before it does anything.
func Functions() []vm.HostFunc {
	fns := []struct {
		name    string
		params  []vm.ValueType
		results []vm.ValueType
		fn      func(c *vm.Caller, f *Frame, stack []uint64)
	}{
		// Registers.
		{"register_len", []vm.ValueType{i32}, []vm.ValueType{i64}, registerLen},
		{"read_register", []vm.ValueType{i32, i32}, nil, readRegister},
		// Input and output.
		{"input", []vm.ValueType{i32}, nil, input},
		{"value_return", []vm.ValueType{i32, i32}, nil, valueReturn},
		{"abort", []vm.ValueType{i32, i32}, nil, abort},
		{"log", []vm.ValueType{i32, i32}, nil, logBytes},
		// Storage.
		{"storage_read", []vm.ValueType{i32, i32, i32}, []vm.ValueType{i32}, storageRead},
		{"storage_write", []vm.ValueType{i32, i32, i32, i32}, []vm.ValueType{i32}, storageWrite},
		{"storage_remove", []vm.ValueType{i32, i32}, []vm.ValueType{i32}, storageRemove},
		// Context.
		{"caller", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return x.Caller[:] })},
		{"self", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return x.Self[:] })},
		{"origin", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return x.Origin[:] })},
		{"funds", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return amount32(&x.Funds) })},
		{"chain_id", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return []byte(x.ChainID) })},
		{"tx_hash", []vm.ValueType{i32}, nil, contextBytes(func(x *Context) []byte { return x.TxHash[:] })},
		{"block_height", nil, []vm.ValueType{i64}, func(c *vm.Caller, f *Frame, s []uint64) { s[0] = f.Env.Context().Height }},
		{"block_time", nil, []vm.ValueType{i64}, func(c *vm.Caller, f *Frame, s []uint64) { s[0] = f.Env.Context().Time }},
		// The native token.
		{"balance", []vm.ValueType{i32, i32}, nil, balance},
		{"transfer", []vm.ValueType{i32, i32}, nil, transfer},
		// Events.
		{"emit", []vm.ValueType{i32, i32, i32, i32}, nil, emit},
		// Other contracts.
		{"call", []vm.ValueType{i32, i32, i32, i32, i32, i32, i32}, []vm.ValueType{i32}, callContract(false)},
		{"query", []vm.ValueType{i32, i32, i32, i32, i32, i32}, []vm.ValueType{i32}, queryContract},
		{"dispatch", []vm.ValueType{i32, i32, i32, i32, i32, i32}, nil, dispatch},
		// Administering contracts.
		{"dispatch_migrate", []vm.ValueType{i32, i32, i32, i32}, nil, dispatchMigrate},
		{"update_admin", []vm.ValueType{i32, i32}, nil, updateAdmin},
		{"clear_admin", []vm.ValueType{i32}, nil, clearAdmin},
		// Cryptography.
		{"sha256", []vm.ValueType{i32, i32, i32}, nil, hashFn(func(g *Gas) uint64 { return g.Sha256PerByte }, sha256.Sum256)},
		{"keccak256", []vm.ValueType{i32, i32, i32}, nil, hashFn(func(g *Gas) uint64 { return g.Keccak256PerByte }, sigs.Keccak256)},
		{"verify", []vm.ValueType{i32, i32, i32, i32, i32, i32, i32}, []vm.ValueType{i32}, verify},
		// Devices and attestations.
		{"device_get", []vm.ValueType{i32, i32}, []vm.ValueType{i32}, deviceGet},
		{"attestation_get", []vm.ValueType{i32, i32}, []vm.ValueType{i32}, attestationGet},
		{"attestation_latest", []vm.ValueType{i32, i32, i32, i32}, []vm.ValueType{i32}, attestationLatest},
		{"attestation_history", []vm.ValueType{i32, i64, i64, i32, i32}, []vm.ValueType{i32}, attestationHistory},
		{"attestation_check", []vm.ValueType{i32, i32}, []vm.ValueType{i32}, attestationCheck},
		// Privileged system calls.
		{"set_params", []vm.ValueType{i32, i32, i64}, nil, setParams},
		{"set_validators", []vm.ValueType{i32, i32}, nil, setValidators},
		// Range reads.
		{"storage_range", []vm.ValueType{i32, i32, i32, i32, i32, i32, i32}, []vm.ValueType{i32}, storageRange},
	}
	out := make([]vm.HostFunc, len(fns))
	for i, d := range fns {
		fn := d.fn
		out[i] = vm.HostFunc{Module: Module, Name: d.name, Params: d.params, Results: d.results,
			Fn: func(ctx context.Context, c *vm.Caller, stack []uint64) {
				f, ok := c.Env().(*Frame)
				if !ok {
					panic(fmt.Errorf("hostfns: the call has no frame (Request.Env is %T)", c.Env()))
				}
				c.Charge(f.Gas.Base)
				fn(c, f, stack)
			}}
	}
	return out
}

// fail ends the call with err (the VM returns it from Module.Call).
func fail(err error) { panic(err) }

// read copies n bytes of the contract's memory at ptr, charging for them
// first.
func read(c *vm.Caller, f *Frame, ptr, n uint32) []byte {
	c.Charge(f.Gas.MemoryPerByte * uint64(n))
	b, ok := c.Read(ptr, n)
	if !ok {
		fail(fmt.Errorf("%w: %d bytes at %d", ErrMemory, n, ptr))
	}
	return append([]byte(nil), b...)
}

// write copies b into the contract's memory at ptr, charging first.
func write(c *vm.Caller, f *Frame, ptr uint32, b []byte) {
	c.Charge(f.Gas.MemoryPerByte * uint64(len(b)))
	if !c.Write(ptr, b) {
		fail(fmt.Errorf("%w: %d bytes at %d", ErrMemory, len(b), ptr))
	}
}

func setRegister(f *Frame, r uint32, b []byte) {
	if err := f.setRegister(r, b); err != nil {
		fail(fmt.Errorf("register %d: %w", r, err))
	}
}

// envErr ends the call with an error from the Env.
func envErr(op string, err error) {
	if err != nil {
		fail(fmt.Errorf("hostfns: %s: %w", op, err))
	}
}

func registerLen(c *vm.Caller, f *Frame, s []uint64) {
	r := uint32(s[0])
	if r >= MaxRegisters || !f.set[r] {
		s[0] = ^uint64(0) // -1: empty
		return
	}
	s[0] = uint64(len(f.registers[r]))
}

func readRegister(c *vm.Caller, f *Frame, s []uint64) {
	r, ptr := uint32(s[0]), uint32(s[1])
	if r >= MaxRegisters || !f.set[r] {
		fail(fmt.Errorf("%w: register %d is empty", ErrRegister, r))
	}
	write(c, f, ptr, f.registers[r])
}

func input(c *vm.Caller, f *Frame, s []uint64) { setRegister(f, uint32(s[0]), f.Input) }

func valueReturn(c *vm.Caller, f *Frame, s []uint64) {
	f.Return = read(c, f, uint32(s[0]), uint32(s[1]))
}

func abort(c *vm.Caller, f *Frame, s []uint64) {
	msg := read(c, f, uint32(s[0]), min(uint32(s[1]), 1024))
	c.Abort(string(msg))
}

func logBytes(c *vm.Caller, f *Frame, s []uint64) {
	c.Debug(read(c, f, uint32(s[0]), uint32(s[1])))
}

func storageRead(c *vm.Caller, f *Frame, s []uint64) {
	kptr, klen, r := uint32(s[0]), uint32(s[1]), uint32(s[2])
	if klen > f.Limits.KeyBytes {
		fail(fmt.Errorf("%w: storage key of %d bytes", ErrLimit, klen))
	}
	c.Charge(f.Gas.StorageRead)
	key := read(c, f, kptr, klen)
	v, ok, err := f.Env.StorageGet(key)
	envErr("storage_read", err)
	if !ok {
		s[0] = 0
		return
	}
	c.Charge(f.Gas.StorageReadPerByte * uint64(len(key)+len(v)))
	setRegister(f, r, v)
	s[0] = 1
}

func storageWrite(c *vm.Caller, f *Frame, s []uint64) {
	kptr, klen, vptr, vlen := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if klen > f.Limits.KeyBytes || vlen > f.Limits.ValueBytes {
		fail(fmt.Errorf("%w: storage key of %d bytes, value of %d", ErrLimit, klen, vlen))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: storage_write", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageWrite + f.Gas.StorageWritePerByte*uint64(klen+vlen))
	key, val := read(c, f, kptr, klen), read(c, f, vptr, vlen)
	replaced, err := f.Env.StorageSet(key, val)
	envErr("storage_write", err)
	s[0] = boolResult(replaced)
}

func storageRemove(c *vm.Caller, f *Frame, s []uint64) {
	kptr, klen := uint32(s[0]), uint32(s[1])
	if klen > f.Limits.KeyBytes {
		fail(fmt.Errorf("%w: storage key of %d bytes", ErrLimit, klen))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: storage_remove", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageRemove)
	removed, err := f.Env.StorageRemove(read(c, f, kptr, klen))
	envErr("storage_remove", err)
	s[0] = boolResult(removed)
}

func contextBytes(get func(*Context) []byte) func(*vm.Caller, *Frame, []uint64) {
	return func(c *vm.Caller, f *Frame, s []uint64) {
		b := get(f.Env.Context())
		c.Charge(f.Gas.MemoryPerByte * uint64(len(b)))
		setRegister(f, uint32(s[0]), append([]byte(nil), b...))
	}
}

func balance(c *vm.Caller, f *Frame, s []uint64) {
	c.Charge(f.Gas.Balance)
	a := readAddress(c, f, uint32(s[0]))
	bal, err := f.Env.Balance(a)
	envErr("balance", err)
	setRegister(f, uint32(s[1]), amount32(&bal))
}

func transfer(c *vm.Caller, f *Frame, s []uint64) {
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: transfer", ErrReadOnly))
	}
	c.Charge(f.Gas.Transfer)
	to := readAddress(c, f, uint32(s[0]))
	var amt canon.U256
	amt.SetBytes32(read(c, f, uint32(s[1]), 32))
	envErr("transfer", f.Env.Transfer(to, amt))
}

func emit(c *vm.Caller, f *Frame, s []uint64) {
	tptr, tlen, aptr, alen := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if uint64(tlen)+uint64(alen) > uint64(f.Limits.EventBytes) {
		fail(fmt.Errorf("%w: event of %d bytes", ErrLimit, uint64(tlen)+uint64(alen)))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: emit", ErrReadOnly))
	}
	c.Charge(f.Gas.Event + f.Gas.EventPerByte*uint64(tlen+alen))
	typ := read(c, f, tptr, tlen)
	var attrs []Attribute
	if alen > 0 {
		if err := canon.Unmarshal(read(c, f, aptr, alen), &attrs); err != nil {
			fail(fmt.Errorf("hostfns: emit: attributes: %w", err))
		}
	}
	envErr("emit", f.Env.Emit(string(typ), attrs))
}

func readAddress(c *vm.Caller, f *Frame, ptr uint32) address.Address {
	var a address.Address
	copy(a[:], read(c, f, ptr, 20))
	return a
}

// amount32 is an amount as 32 big-endian bytes, the ABI's form.
func amount32(u *canon.U256) []byte {
	b := u.Bytes32()
	return b[:]
}

func boolResult(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Flags of storage_range.
const (
	RangeReverse  = 1 << 0
	RangeKeysOnly = 1 << 1
)

// callContract: call(contract, method, method_len, input, input_len,
// funds, reg) -> code. The callee's return value (or, on failure, its
// message) goes to reg; the code is 0 on success, else the failure's
// receipt code.
func callContract(readOnly bool) func(*vm.Caller, *Frame, []uint64) {
	return func(c *vm.Caller, f *Frame, s []uint64) {
		cptr, mptr, mlen, iptr, ilen := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3]), uint32(s[4])
		var funds canon.U256
		var reg uint32
		if readOnly {
			reg = uint32(s[5]) // query has no funds parameter
		} else {
			funds.SetBytes32(read(c, f, uint32(s[5]), 32))
			reg = uint32(s[6])
		}
		if mlen > f.Limits.MethodBytes {
			fail(fmt.Errorf("%w: method name of %d bytes", ErrLimit, mlen))
		}
		if !readOnly && f.Env.ReadOnly() {
			fail(fmt.Errorf("%w: call (a query may only query)", ErrReadOnly))
		}
		c.Charge(f.Gas.Call)
		contract := readAddress(c, f, cptr)
		method := string(read(c, f, mptr, mlen))
		input := read(c, f, iptr, ilen)
		res, err := f.Env.Call(contract, method, input, funds, c.GasLeft(), readOnly || f.Env.ReadOnly())
		envErr("call", err)
		c.Charge(res.GasUsed)
		out := res.Return
		if res.Code != 0 {
			out = []byte(res.Message)
		}
		setRegister(f, reg, out)
		s[0] = uint64(res.Code)
	}
}

// queryContract: query(contract, method, method_len, input, input_len,
// reg) -> code: a call that may not write.
func queryContract(c *vm.Caller, f *Frame, s []uint64) { callContract(true)(c, f, s) }

// dispatch(contract, method, method_len, input, input_len, funds).
func dispatch(c *vm.Caller, f *Frame, s []uint64) {
	cptr, mptr, mlen, iptr, ilen, fptr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3]), uint32(s[4]), uint32(s[5])
	if mlen > f.Limits.MethodBytes {
		fail(fmt.Errorf("%w: method name of %d bytes", ErrLimit, mlen))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: dispatch", ErrReadOnly))
	}
	c.Charge(f.Gas.Dispatch)
	contract := readAddress(c, f, cptr)
	method := string(read(c, f, mptr, mlen))
	input := read(c, f, iptr, ilen)
	var funds canon.U256
	funds.SetBytes32(read(c, f, fptr, 32))
	envErr("dispatch", f.Env.Dispatch(contract, method, input, funds))
}

// storageRange(prefix, prefix_len, start, start_len, limit, flags, reg)
// -> count: up to limit entries after start (an empty start: from the
// first), as a CBOR array of [key, value] in reg.
func storageRange(c *vm.Caller, f *Frame, s []uint64) {
	pptr, plen, sptr, slen, limit, flags, reg := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3]), uint32(s[4]), uint32(s[5]), uint32(s[6])
	if plen > f.Limits.KeyBytes || slen > f.Limits.KeyBytes || limit > f.Limits.RangeEntries {
		fail(fmt.Errorf("%w: storage_range prefix %d, start %d bytes, limit %d", ErrLimit, plen, slen, limit))
	}
	c.Charge(f.Gas.StorageRange)
	prefix, start := read(c, f, pptr, plen), read(c, f, sptr, slen)
	entries, visited, err := f.Env.Range(prefix, start, limit, flags&RangeReverse != 0, flags&RangeKeysOnly != 0)
	envErr("storage_range", err)
	var n uint64
	for _, e := range entries {
		n += uint64(len(e.Key) + len(e.Value))
	}
	c.Charge(f.Gas.StorageRangeEntry*visited + f.Gas.StorageReadPerByte*n)
	b, err := canon.Marshal(entries)
	envErr("storage_range", err)
	setRegister(f, reg, b)
	s[0] = uint64(len(entries))
}

// dispatchMigrate(contract, code_hash, input, input_len): queued like a
// dispatched call, so a contract may migrate itself.
func dispatchMigrate(c *vm.Caller, f *Frame, s []uint64) {
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: dispatch_migrate", ErrReadOnly))
	}
	c.Charge(f.Gas.Dispatch)
	contract := readAddress(c, f, uint32(s[0]))
	var h [32]byte
	copy(h[:], read(c, f, uint32(s[1]), 32))
	input := read(c, f, uint32(s[2]), uint32(s[3]))
	envErr("dispatch_migrate", f.Env.DispatchMigrate(contract, h, input))
}

// updateAdmin(contract, admin).
func updateAdmin(c *vm.Caller, f *Frame, s []uint64) {
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: update_admin", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageWrite)
	contract, admin := readAddress(c, f, uint32(s[0])), readAddress(c, f, uint32(s[1]))
	envErr("update_admin", f.Env.SetAdmin(contract, &admin))
}

// clearAdmin(contract): nobody may migrate it again.
func clearAdmin(c *vm.Caller, f *Frame, s []uint64) {
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: clear_admin", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageWrite)
	envErr("clear_admin", f.Env.SetAdmin(readAddress(c, f, uint32(s[0])), nil))
}

// setParams(ptr, len, height): schedule parameters (canonical CBOR of
// runtime/params.Params) from a later height.
func setParams(c *vm.Caller, f *Frame, s []uint64) {
	ptr, n, height := uint32(s[0]), uint32(s[1]), s[2]
	if n > f.Limits.SystemBytes {
		fail(fmt.Errorf("%w: parameters of %d bytes", ErrLimit, n))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: set_params", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageWrite + f.Gas.StorageWritePerByte*uint64(n))
	envErr("set_params", f.Env.SetParams(read(c, f, ptr, n), height))
}

// setValidators(ptr, len): the validator set (canonical CBOR) from the
// next block.
func setValidators(c *vm.Caller, f *Frame, s []uint64) {
	ptr, n := uint32(s[0]), uint32(s[1])
	if n > f.Limits.SystemBytes {
		fail(fmt.Errorf("%w: validator set of %d bytes", ErrLimit, n))
	}
	if f.Env.ReadOnly() {
		fail(fmt.Errorf("%w: set_validators", ErrReadOnly))
	}
	c.Charge(f.Gas.StorageWrite + f.Gas.StorageWritePerByte*uint64(n))
	envErr("set_validators", f.Env.SetValidators(read(c, f, ptr, n)))
}

// Results of verify.
const (
	VerifyOK             = 0
	VerifyBadSignature   = 1 // well formed, does not verify
	VerifyHighS          = 2 // an ECDSA signature's malleable twin
	VerifyBadKey         = 3
	VerifyBadFormat      = 4 // a signature of the wrong size, r or s out of range
	VerifyUnknownKeyType = 5
)

// hashFn: sha256 / keccak256(ptr, len, reg) -> the 32-byte digest in reg.
func hashFn(perByte func(*Gas) uint64, sum func([]byte) [32]byte) func(*vm.Caller, *Frame, []uint64) {
	return func(c *vm.Caller, f *Frame, s []uint64) {
		n := uint32(s[1])
		c.Charge(f.Gas.Hash + perByte(f.Gas)*uint64(n))
		d := sum(read(c, f, uint32(s[0]), n))
		setRegister(f, uint32(s[2]), d[:])
	}
}

// verify(key_type, pub, pub_len, msg, msg_len, sig, sig_len) -> result:
// key types and encodings as runtime/sigs (1 ed25519, 2 P-256, 3
// secp256k1; ECDSA over SHA-256 of the message, low S only).
func verify(c *vm.Caller, f *Frame, s []uint64) {
	kt := sigs.KeyType(s[0])
	var price uint64
	switch kt {
	case sigs.Ed25519:
		price = f.Gas.VerifyEd25519
	case sigs.P256:
		price = f.Gas.VerifyP256
	case sigs.Secp256k1:
		price = f.Gas.VerifySecp256k1
	default:
		s[0] = VerifyUnknownKeyType
		return
	}
	mlen := uint32(s[4])
	c.Charge(price + f.Gas.Sha256PerByte*uint64(mlen))
	pub := read(c, f, uint32(s[1]), min(uint32(s[2]), 65))
	msg := read(c, f, uint32(s[3]), mlen)
	sig := read(c, f, uint32(s[5]), min(uint32(s[6]), 72))
	err := sigs.Verify(kt, pub, msg, sig)
	switch {
	case err == nil:
		s[0] = VerifyOK
	case errors.Is(err, sigs.ErrHighS):
		s[0] = VerifyHighS
	case errors.Is(err, sigs.ErrPublicKey):
		s[0] = VerifyBadKey
	case errors.Is(err, sigs.ErrSignatureFormat):
		s[0] = VerifyBadFormat
	case errors.Is(err, sigs.ErrKeyType):
		s[0] = VerifyUnknownKeyType
	default:
		s[0] = VerifyBadSignature
	}
}

// found charges for and stores a read's result, returning 1 if found.
func found(c *vm.Caller, f *Frame, reg uint32, b []byte, ok bool, err error, op string) uint64 {
	envErr(op, err)
	if !ok {
		return 0
	}
	c.Charge(f.Gas.StorageReadPerByte * uint64(len(b)))
	setRegister(f, reg, b)
	return 1
}

// deviceGet(id, reg) -> found: the device record.
func deviceGet(c *vm.Caller, f *Frame, s []uint64) {
	c.Charge(f.Gas.StorageRead)
	var id [20]byte
	copy(id[:], read(c, f, uint32(s[0]), 20))
	b, ok, err := f.Env.Device(id)
	s[0] = found(c, f, uint32(s[1]), b, ok, err, "device_get")
}

// attestationGet(id (32 bytes), reg) -> found.
func attestationGet(c *vm.Caller, f *Frame, s []uint64) {
	c.Charge(f.Gas.StorageRead)
	var id [32]byte
	copy(id[:], read(c, f, uint32(s[0]), 32))
	b, ok, err := f.Env.Attestation(id)
	s[0] = found(c, f, uint32(s[1]), b, ok, err, "attestation_get")
}

// attestationLatest(device, kind, kind_len, reg) -> found: the device's
// attestation of that kind with the highest sequence number.
func attestationLatest(c *vm.Caller, f *Frame, s []uint64) {
	if uint32(s[2]) > f.Limits.KeyBytes {
		fail(fmt.Errorf("%w: kind of %d bytes", ErrLimit, uint32(s[2])))
	}
	c.Charge(f.Gas.StorageRead)
	var dev [20]byte
	copy(dev[:], read(c, f, uint32(s[0]), 20))
	kind := read(c, f, uint32(s[1]), uint32(s[2]))
	b, ok, err := f.Env.LatestAttestation(dev, string(kind))
	s[0] = found(c, f, uint32(s[3]), b, ok, err, "attestation_latest")
}

// attestationHistory(device, from_seq, to_seq, limit, reg) -> count: the
// kept attestations with from_seq <= seq <= to_seq, ascending.
func attestationHistory(c *vm.Caller, f *Frame, s []uint64) {
	limit := uint32(s[3])
	if limit > f.Limits.HistoryEntries {
		fail(fmt.Errorf("%w: history limit %d", ErrLimit, limit))
	}
	c.Charge(f.Gas.StorageRange + f.Gas.StorageRangeEntry*uint64(limit))
	var dev [20]byte
	copy(dev[:], read(c, f, uint32(s[0]), 20))
	b, n, err := f.Env.AttestationHistory(dev, s[1], s[2], limit)
	envErr("attestation_history", err)
	c.Charge(f.Gas.StorageReadPerByte * uint64(len(b)))
	setRegister(f, uint32(s[4]), b)
	s[0] = uint64(n)
}

// attestationCheck(ptr, len) -> code: 0 if the attestation would be
// accepted in this block, else the refusal's receipt code. Priced as the
// dearest signature, since the key type is known only after the read.
func attestationCheck(c *vm.Caller, f *Frame, s []uint64) {
	n := uint32(s[1])
	if n > f.Limits.EventBytes {
		fail(fmt.Errorf("%w: attestation of %d bytes", ErrLimit, n))
	}
	c.Charge(f.Gas.StorageRead + max(f.Gas.VerifyEd25519, f.Gas.VerifyP256, f.Gas.VerifySecp256k1) + f.Gas.Sha256PerByte*uint64(n))
	code, err := f.Env.CheckAttestation(read(c, f, uint32(s[0]), n))
	envErr("attestation_check", err)
	s[0] = uint64(code)
}
