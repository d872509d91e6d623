package sdktest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/vm"
)

// The frame is the sdk.Host of native tests. Each method does what the
// host function of the same name does in hostfns/functions.go and
// runtime's frameEnv, in the same order: Base, the limit checks, the
// read-only check, the function's price and the bytes it copies, then
// the work. Where the SDK's wasm host (host_wasm.go) copies a result out
// of a register, readRegister charges that too, so a call costs here
// what its host functions cost on chain.
var _ sdk.Host = (*frame)(nil)

func (f *frame) Input() []byte {
	f.enter()
	f.setRegister(f.input, "input")
	return f.readRegister(f.input)
}

func (f *frame) Return(value []byte) {
	f.enter()
	f.mem(len(value))
	f.ret = bytes.Clone(value)
}

// Abort keeps the first KiB of msg, as the host reads no more.
func (f *frame) Abort(msg string) {
	f.enter()
	msg = msg[:min(len(msg), 1024)]
	f.mem(len(msg))
	f.stop(&failure{code: uint32(runtime.CodeAbort), message: msg})
}

// Log keeps at most vm.MaxDebugLog bytes per call, as the VM does; the
// rest is paid for and dropped.
func (f *frame) Log(msg string) {
	f.enter()
	f.mem(len(msg))
	room := vm.MaxDebugLog - f.logBytes
	if room <= 0 {
		return
	}
	msg = msg[:min(len(msg), room)]
	f.logBytes += len(msg)
	f.x.log = append(f.x.log, msg)
}

func (f *frame) StorageRead(key []byte) ([]byte, bool) {
	f.enter()
	if len(key) > int(f.limits().KeyBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("storage_read: key of %d bytes", len(key))))
	}
	g := f.gasPrices()
	f.charge(g.StorageRead)
	f.mem(len(key))
	v, ok, err := f.x.chain.ws.Get(runtime.StorageKey(f.self, key))
	f.x.chain.must(err)
	if !ok {
		return nil, false
	}
	f.charge(g.StorageReadPerByte * uint64(len(key)+len(v)))
	f.setRegister(v, "storage_read")
	v = f.readRegister(v)
	if v == nil {
		v = []byte{}
	}
	return v, true
}

func (f *frame) StorageWrite(key, value []byte) bool {
	f.enter()
	if len(key) > int(f.limits().KeyBytes) || len(value) > int(f.limits().ValueBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("storage_write: key of %d bytes, value of %d", len(key), len(value))))
	}
	f.readOnlyCheck("storage_write")
	g := f.gasPrices()
	f.charge(g.StorageWrite + g.StorageWritePerByte*uint64(len(key)+len(value)))
	f.mem(len(key))
	f.mem(len(value))
	ws, k := f.x.chain.ws, runtime.StorageKey(f.self, key)
	_, existed, err := ws.Get(k)
	f.x.chain.must(err)
	f.x.chain.must(ws.Set(k, value))
	return existed
}

func (f *frame) StorageRemove(key []byte) bool {
	f.enter()
	if len(key) > int(f.limits().KeyBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("storage_remove: key of %d bytes", len(key))))
	}
	f.readOnlyCheck("storage_remove")
	f.charge(f.gasPrices().StorageRemove)
	f.mem(len(key))
	ws, k := f.x.chain.ws, runtime.StorageKey(f.self, key)
	_, existed, err := ws.Get(k)
	f.x.chain.must(err)
	if existed {
		f.x.chain.must(ws.Delete(k))
	}
	return existed
}

func (f *frame) StorageRange(prefix, start []byte, limit uint32, reverse, keysOnly bool) []sdk.Entry {
	f.enter()
	l := f.limits()
	if len(prefix) > int(l.KeyBytes) || len(start) > int(l.KeyBytes) || limit > l.RangeEntries {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("storage_range: prefix %d, start %d bytes, limit %d", len(prefix), len(start), limit)))
	}
	g := f.gasPrices()
	f.charge(g.StorageRange)
	f.mem(len(prefix))
	f.mem(len(start))
	entries, visited := f.rangeEntries(prefix, start, limit, reverse, keysOnly)
	var n uint64
	for _, e := range entries {
		n += uint64(len(e.Key) + len(e.Value))
	}
	f.charge(g.StorageRangeEntry*visited + g.StorageReadPerByte*n)
	enc, err := canon.Marshal(entries)
	f.x.chain.must(err)
	f.setRegister(enc, "storage_range")
	f.readRegister(enc)
	out := make([]sdk.Entry, len(entries))
	for i, e := range entries {
		out[i] = sdk.Entry{Key: e.Key, Value: e.Value}
	}
	return out
}

// rangeEntries is the chain's storage_range (runtime.StorageRange).
func (f *frame) rangeEntries(prefix, start []byte, limit uint32, reverse, keysOnly bool) ([]hostfns.Entry, uint64) {
	out, visited, err := runtime.StorageRange(f.x.chain.ws, f.self, prefix, start, limit, reverse, keysOnly)
	f.x.chain.must(err)
	return out, visited
}

// contextBytes is caller, self, origin, funds, chain_id and tx_hash: the
// bytes into a register, then out of it.
func (f *frame) contextBytes(b []byte) []byte {
	f.enter()
	f.mem(len(b))
	f.setRegister(b, "context")
	return f.readRegister(b)
}

func (f *frame) Caller() sdk.Address {
	f.contextBytes(f.caller[:])
	return sdk.Address(f.caller)
}

func (f *frame) Self() sdk.Address {
	f.contextBytes(f.self[:])
	return sdk.Address(f.self)
}

func (f *frame) Origin() sdk.Address {
	f.contextBytes(f.x.origin[:])
	return sdk.Address(f.x.origin)
}

func (f *frame) Funds() sdk.Amount {
	b := f.funds.Bytes32()
	f.contextBytes(b[:])
	return amount(f.funds)
}

func (f *frame) ChainID() string {
	f.contextBytes([]byte(ChainID))
	return ChainID
}

func (f *frame) TxHash() [32]byte {
	f.contextBytes(f.x.hash[:])
	return f.x.hash
}

func (f *frame) BlockHeight() uint64 {
	f.enter()
	return f.x.chain.height
}

func (f *frame) BlockTime() uint64 {
	f.enter()
	return f.x.chain.time
}

func (f *frame) Balance(a sdk.Address) sdk.Amount {
	f.enter()
	f.charge(f.gasPrices().Balance)
	f.mem(20)
	bal := f.x.chain.balance(address.Address(a))
	b := bal.Bytes32()
	f.setRegister(b[:], "balance")
	f.readRegister(b[:])
	return amount(bal.Int)
}

func (f *frame) Transfer(to sdk.Address, value sdk.Amount) {
	f.enter()
	f.readOnlyCheck("transfer")
	f.charge(f.gasPrices().Transfer)
	f.mem(20 + 32)
	if e := f.x.chain.transfer(f.self, address.Address(to), canon.U256{Int: u256(value)}); e != nil {
		f.stop(e)
	}
}

func (f *frame) Emit(typ string, attrs []sdk.Attribute) {
	f.enter()
	size := len(typ) + attributesSize(attrs)
	if size > int(f.limits().EventBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("emit: event of %d bytes", size)))
	}
	f.readOnlyCheck("emit")
	g := f.gasPrices()
	f.charge(g.Event + g.EventPerByte*uint64(size))
	f.mem(size)
	for _, a := range attrs {
		// The host decodes the attributes strictly: a key that is not
		// UTF-8 is not a CBOR text string.
		if !utf8.ValidString(a.Key) {
			f.stop(refusal(canon.ErrEncoding, "emit: attributes"))
		}
	}
	ev := Event{Type: typ, Attributes: []sdk.Attribute{{Key: "_contract", Value: bytes.Clone(f.self[:])}}}
	for _, a := range attrs {
		ev.Attributes = append(ev.Attributes, sdk.Attribute{Key: a.Key, Value: bytes.Clone(a.Value)})
	}
	f.x.events = append(f.x.events, ev)
}

// attributesSize is the length of the attributes as the SDK sends them,
// canonical CBOR [[key, value], …] (cbor_test.go in package sdk checks
// that encoding against canon's): the size emit is priced and limited by.
func attributesSize(attrs []sdk.Attribute) int {
	n := cborHeadSize(len(attrs))
	for _, a := range attrs {
		n += 1 + cborHeadSize(len(a.Key)) + len(a.Key) + cborHeadSize(len(a.Value)) + len(a.Value)
	}
	return n
}

// cborHeadSize is the size of a CBOR head carrying n in its shortest form.
func cborHeadSize(n int) int {
	switch {
	case n < 24:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case uint64(n) <= 0xffffffff:
		return 5
	}
	return 9
}

func (f *frame) Call(contract sdk.Address, method string, input []byte, funds sdk.Amount) (uint32, []byte) {
	f.enter()
	f.mem(32) // the funds are read first
	if len(method) > int(f.limits().MethodBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("call: method name of %d bytes", len(method))))
	}
	f.readOnlyCheck("call (a query may only query)")
	f.charge(f.gasPrices().Call)
	f.mem(20 + len(method) + len(input))
	return f.call(contract, method, input, u256(funds), false)
}

func (f *frame) Query(contract sdk.Address, method string, input []byte) (uint32, []byte) {
	f.enter()
	if len(method) > int(f.limits().MethodBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("query: method name of %d bytes", len(method))))
	}
	f.charge(f.gasPrices().Call)
	f.mem(20 + len(method) + len(input))
	return f.call(contract, method, input, uint256.Int{}, true)
}

// call runs the callee with all the gas the caller has left and charges
// the caller what it used; the callee's failure is a code for the caller,
// with its message in place of the return value.
func (f *frame) call(contract sdk.Address, method string, input []byte, funds uint256.Int, readOnly bool) (uint32, []byte) {
	ret, used, end := f.x.invoke(address.Address(contract), f.self, method, bytes.Clone(input), funds, f.gas-f.used, readOnly, false)
	f.charge(used)
	var code uint32
	out := ret
	if end != nil {
		code, out = end.code, []byte(end.message)
	}
	f.setRegister(out, "call")
	return code, f.readRegister(out)
}

func (f *frame) Dispatch(contract sdk.Address, method string, input []byte, funds sdk.Amount) {
	f.enter()
	if len(method) > int(f.limits().MethodBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("dispatch: method name of %d bytes", len(method))))
	}
	f.readOnlyCheck("dispatch")
	f.charge(f.gasPrices().Dispatch)
	f.mem(20 + len(method) + len(input) + 32)
	f.queueCall(dispatched{contract: address.Address(contract), method: method, input: bytes.Clone(input), funds: u256(funds)})
}

func (f *frame) DispatchMigrate(contract sdk.Address, codeHash [32]byte, input []byte) {
	f.enter()
	f.readOnlyCheck("dispatch_migrate")
	f.charge(f.gasPrices().Dispatch)
	f.mem(20 + 32 + len(input))
	f.queueCall(dispatched{contract: address.Address(contract), input: bytes.Clone(input), migrate: true, codeHash: codeHash})
}

// u256 and amount convert between the SDK's amounts and the runtime's:
// the same 256-bit numbers.
func u256(a sdk.Amount) uint256.Int {
	b := a.Bytes32()
	var u uint256.Int
	u.SetBytes32(b[:])
	return u
}

func amount(u uint256.Int) sdk.Amount {
	b := u.Bytes32()
	return sdk.AmountFromBytes(b[:])
}

// queueCall bounds the queue as the runtime does: MaxCallDepth × 8.
func (f *frame) queueCall(d dispatched) {
	if n := int(f.x.chain.params.MaxCallDepth) * 8; len(f.queue) >= n {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("more than %d dispatched calls", n)))
	}
	f.queue = append(f.queue, d)
}

func (f *frame) UpdateAdmin(contract, admin sdk.Address) {
	f.enter()
	f.readOnlyCheck("update_admin")
	f.charge(f.gasPrices().StorageWrite)
	f.mem(40)
	a := address.Address(admin)
	if e := f.x.setAdmin(f.self, address.Address(contract), &a); e != nil {
		f.stop(e)
	}
}

func (f *frame) ClearAdmin(contract sdk.Address) {
	f.enter()
	f.readOnlyCheck("clear_admin")
	f.charge(f.gasPrices().StorageWrite)
	f.mem(20)
	if e := f.x.setAdmin(f.self, address.Address(contract), nil); e != nil {
		f.stop(e)
	}
}

// systemCall is the start of set_params and set_validators: the size,
// the read-only check, the price, and then the privilege (code 15).
func (f *frame) systemCall(op string, encoded []byte) {
	f.enter()
	if len(encoded) > int(f.limits().SystemBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("%s: %d bytes", op, len(encoded))))
	}
	f.readOnlyCheck(op)
	g := f.gasPrices()
	f.charge(g.StorageWrite + g.StorageWritePerByte*uint64(len(encoded)))
	f.mem(len(encoded))
	gov, ok, err := f.x.chain.ws.Get(runtime.GovernanceKey())
	f.x.chain.must(err)
	if !ok || len(gov) != 20 || address.Address(gov) != f.self {
		f.stop(fail(runtime.CodeNotPrivileged))
	}
}

// SetParams checks the parameters as the chain does (a later height, a
// valid encoding of valid parameters: code 16 otherwise) and records
// them under the chain's key; the test chain itself keeps running on
// Version1 (Chain.Params reads them back).
func (f *frame) SetParams(encoded []byte, height uint64) {
	f.systemCall("set_params", encoded)
	if height <= f.x.chain.height {
		f.stop(fail(runtime.CodeBadSystemCall))
	}
	p, err := params.Decode(encoded)
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		f.stop(fail(runtime.CodeBadSystemCall))
	}
	f.x.chain.must(f.x.chain.ws.Set(runtime.ParamsKey(height), encoded))
}

// SetValidators checks the set as the chain does (canonical, not empty,
// 32-byte keys, no power 0, no key twice: code 16 otherwise) and records
// it (Chain.Validators reads it back).
func (f *frame) SetValidators(encoded []byte) {
	f.systemCall("set_validators", encoded)
	var vs []runtime.Validator
	if err := canon.Unmarshal(encoded, &vs); err != nil || checkValidators(vs) != nil {
		f.stop(fail(runtime.CodeBadSystemCall))
	}
	f.x.chain.must(f.x.chain.ws.Set(runtime.ValidatorsKey(), encoded))
}

// checkValidators repeats runtime's unexported checkValidators.
func checkValidators(vs []runtime.Validator) error {
	if len(vs) == 0 {
		return errors.New("no validators")
	}
	seen := map[string]bool{}
	for i, v := range vs {
		switch {
		case len(v.PublicKey) != ed25519.PublicKeySize:
			return fmt.Errorf("validator %d: key of %d bytes", i, len(v.PublicKey))
		case v.Power == 0:
			return fmt.Errorf("validator %d: power 0", i)
		case seen[string(v.PublicKey)]:
			return fmt.Errorf("validator %d: key listed twice", i)
		}
		seen[string(v.PublicKey)] = true
	}
	return nil
}

func (f *frame) Sha256(data []byte) [32]byte {
	return f.hash(data, f.gasPrices().Sha256PerByte, sha256.Sum256)
}

func (f *frame) Keccak256(data []byte) [32]byte {
	return f.hash(data, f.gasPrices().Keccak256PerByte, sigs.Keccak256)
}

func (f *frame) hash(data []byte, perByte uint64, sum func([]byte) [32]byte) [32]byte {
	f.enter()
	f.charge(f.gasPrices().Hash + perByte*uint64(len(data)))
	f.mem(len(data))
	d := sum(data)
	f.setRegister(d[:], "hash")
	f.readRegister(d[:])
	return d
}

// Verify is hostfns' verify: an unknown key type answers 5 for Base
// alone; the host reads at most 65 bytes of key and 72 of signature.
func (f *frame) Verify(kt sdk.KeyType, pub, msg, sig []byte) uint32 {
	f.enter()
	price, ok := verifyPrice(f.gasPrices(), sigs.KeyType(kt))
	if !ok {
		return hostfns.VerifyUnknownKeyType
	}
	f.charge(price + f.gasPrices().Sha256PerByte*uint64(len(msg)))
	pub = pub[:min(len(pub), 65)]
	sig = sig[:min(len(sig), 72)]
	f.mem(len(pub) + len(msg) + len(sig))
	return verifyResult(sigs.Verify(sigs.KeyType(kt), pub, msg, sig))
}

func verifyPrice(g *hostfns.Gas, kt sigs.KeyType) (uint64, bool) {
	switch kt {
	case sigs.Ed25519:
		return g.VerifyEd25519, true
	case sigs.P256:
		return g.VerifyP256, true
	case sigs.Secp256k1:
		return g.VerifySecp256k1, true
	}
	return 0, false
}

// verifyResult repeats hostfns' unexported mapping of runtime/sigs'
// errors to verify's results (docs/abi.md).
func verifyResult(err error) uint32 {
	switch {
	case err == nil:
		return hostfns.VerifyOK
	case errors.Is(err, sigs.ErrHighS):
		return hostfns.VerifyHighS
	case errors.Is(err, sigs.ErrPublicKey):
		return hostfns.VerifyBadKey
	case errors.Is(err, sigs.ErrSignatureFormat):
		return hostfns.VerifyBadFormat
	case errors.Is(err, sigs.ErrKeyType):
		return hostfns.VerifyUnknownKeyType
	}
	return hostfns.VerifyBadSignature
}

// found charges for a device or attestation read that found enc and
// copies it out, as hostfns' found and the SDK's register read do.
func (f *frame) found(enc []byte, op string) ([]byte, bool) {
	f.charge(f.gasPrices().StorageReadPerByte * uint64(len(enc)))
	f.setRegister(enc, op)
	return f.readRegister(enc), true
}

func (f *frame) DeviceGet(id sdk.DeviceID) ([]byte, bool) {
	f.enter()
	f.charge(f.gasPrices().StorageRead)
	f.mem(20)
	d, ok, err := device.Get(f.x.chain.ws, device.ID(id))
	f.x.chain.must(err)
	if !ok {
		return nil, false
	}
	enc, err := canon.Marshal(d)
	f.x.chain.must(err)
	return f.found(enc, "device_get")
}

func (f *frame) AttestationGet(id [32]byte) ([]byte, bool) {
	f.enter()
	f.charge(f.gasPrices().StorageRead)
	f.mem(32)
	a, ok, err := device.AttestationByID(f.x.chain.ws, id)
	f.x.chain.must(err)
	if !ok {
		return nil, false
	}
	enc, err := canon.Marshal(a)
	f.x.chain.must(err)
	return f.found(enc, "attestation_get")
}

func (f *frame) AttestationLatest(dev sdk.DeviceID, kind string) ([]byte, bool) {
	f.enter()
	if len(kind) > int(f.limits().KeyBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("attestation_latest: kind of %d bytes", len(kind))))
	}
	f.charge(f.gasPrices().StorageRead)
	f.mem(20 + len(kind))
	a, ok, err := device.Latest(f.x.chain.ws, device.ID(dev), kind)
	f.x.chain.must(err)
	if !ok {
		return nil, false
	}
	enc, err := canon.Marshal(a)
	f.x.chain.must(err)
	return f.found(enc, "attestation_latest")
}

func (f *frame) AttestationHistory(dev sdk.DeviceID, fromSeq, toSeq uint64, limit uint32) []byte {
	f.enter()
	if limit > f.limits().HistoryEntries {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("attestation_history: limit %d", limit)))
	}
	g := f.gasPrices()
	f.charge(g.StorageRange + g.StorageRangeEntry*uint64(limit))
	f.mem(20)
	as := []*device.Attestation{} // a limit of 0 reads none, as on chain
	if limit > 0 {
		var err error
		as, err = device.History(f.x.chain.ws, device.ID(dev), fromSeq, toSeq, int(limit))
		f.x.chain.must(err)
	}
	enc, err := canon.Marshal(as)
	f.x.chain.must(err)
	f.charge(g.StorageReadPerByte * uint64(len(enc)))
	f.setRegister(enc, "attestation_history")
	return f.readRegister(enc)
}

// AttestationCheck is priced as the dearest signature, as on chain: the
// key type is known only after the read.
func (f *frame) AttestationCheck(raw []byte) uint32 {
	f.enter()
	if len(raw) > int(f.limits().EventBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("attestation_check: %d bytes", len(raw))))
	}
	g := f.gasPrices()
	f.charge(g.StorageRead + max(g.VerifyEd25519, g.VerifyP256, g.VerifySecp256k1) + g.Sha256PerByte*uint64(len(raw)))
	f.mem(len(raw))
	c := f.x.chain
	_, _, err := device.Check(c.ws, &c.params, ChainID, c.time, raw)
	return uint32(c.deviceCode(err))
}
