package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
	"github.com/plinthchain/plinth/vm"
)

// Contract is a contract's record.
type Contract struct {
	_        struct{} `cbor:",toarray"`
	CodeHash [32]byte
	Admin    []byte // empty: nobody may migrate it
	Creator  address.Address
	Label    string
}

// Failures of contract transactions (receipt codes in receipt.go).
var (
	ErrUnknownCode     = errors.New("runtime: no code with that hash")
	ErrUnknownContract = errors.New("runtime: no contract at that address")
	ErrNoMethod        = errors.New("runtime: not a callable method")
	ErrInvalidCode     = errors.New("runtime: code refused")
)

// codeChunk bounds one stored piece of code: state values are limited to
// 1 MiB, modules to vm's MaxCodeBytes (4 MiB).
const codeChunk = 256 << 10

func codeMetaKey(h [32]byte) []byte { return append([]byte{prefixCodeMeta}, h[:]...) }
func codeChunkKey(h [32]byte, i uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{prefixCode}, h[:]...), i)
}
func contractKey(a address.Address) []byte { return append([]byte{prefixContract}, a[:]...) }
func counterKey(a address.Address) []byte  { return append([]byte{prefixCounter}, a[:]...) }
func storageKey(c address.Address, key []byte) []byte {
	return append(append([]byte{prefixStorage}, c[:]...), key...)
}

// storeCode keeps code under its hash, in chunks, with its length.
func storeCode(ws *state.WriteSet, h [32]byte, code []byte) error {
	if _, ok, err := ws.Get(codeMetaKey(h)); err != nil || ok {
		return err // already stored: code is stored once
	}
	for i := 0; i*codeChunk < len(code); i++ {
		end := min(len(code), (i+1)*codeChunk)
		if err := ws.Set(codeChunkKey(h, uint32(i)), code[i*codeChunk:end]); err != nil {
			return err
		}
	}
	return ws.Set(codeMetaKey(h), binary.BigEndian.AppendUint32(nil, uint32(len(code))))
}

// loadCode reads stored code and checks it against its hash.
func loadCode(r state.Reader, h [32]byte) ([]byte, error) {
	meta, ok, err := r.Get(codeMetaKey(h))
	if err != nil {
		return nil, &nodeError{err}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %x", ErrUnknownCode, h[:8])
	}
	if len(meta) != 4 {
		return nil, &nodeError{fmt.Errorf("runtime: code %x: length record of %d bytes", h[:8], len(meta))}
	}
	n := int(binary.BigEndian.Uint32(meta))
	code := make([]byte, 0, n)
	for i := uint32(0); len(code) < n; i++ {
		chunk, ok, err := r.Get(codeChunkKey(h, i))
		if err != nil || !ok {
			return nil, &nodeError{fmt.Errorf("runtime: code %x: chunk %d missing (%v)", h[:8], i, err)}
		}
		code = append(code, chunk...)
	}
	if sha256.Sum256(code) != h {
		return nil, &nodeError{fmt.Errorf("runtime: code %x: stored bytes do not hash to it", h[:8])}
	}
	return code, nil
}

func loadContract(r state.Reader, a address.Address) (Contract, error) {
	b, ok, err := r.Get(contractKey(a))
	if err != nil {
		return Contract{}, &nodeError{err}
	}
	if !ok {
		return Contract{}, fmt.Errorf("%w: %s", ErrUnknownContract, a)
	}
	var c Contract
	if err := canon.UnmarshalStored(b, &c); err != nil {
		return Contract{}, &nodeError{err}
	}
	return c, nil
}

// txCall is what executing one transaction's payload needs.
type txCall struct {
	ctx     context.Context
	rt      *Runtime
	ws      *state.WriteSet
	p       *params.Params
	d       *tx.Decoded
	height  uint64
	time    uint64
	chainID string
	gasUsed *uint64
	events  []Event
}

func (x *txCall) charge(cost uint64) error { return charge(x.gasUsed, x.d.Tx.GasLimit, cost) }

func (x *txCall) deploy(body tx.Deploy) (Receipt, error) {
	cost, err := vm.DeployCost(body.Code, x.p.VM)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrInvalidCode, err)
	}
	if err := x.charge(cost + x.p.CodeStorePerByte*uint64(len(body.Code))); err != nil {
		return Receipt{}, err
	}
	m, err := x.rt.engine.Deploy(x.ctx, body.Code, x.p.VM)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrInvalidCode, err)
	}
	if err := storeCode(x.ws, m.CodeHash, body.Code); err != nil {
		return Receipt{}, &nodeError{err}
	}
	x.rt.mu.Lock()
	x.rt.modules[m.CodeHash] = m
	x.rt.mu.Unlock()
	return Receipt{Return: m.CodeHash[:], Events: []Event{{Type: "deploy", Attributes: []Attribute{{Key: "code_hash", Value: m.CodeHash[:]}}}}}, nil
}

func (x *txCall) instantiate(body tx.Instantiate) (Receipt, error) {
	if len(body.Admin) != 0 && len(body.Admin) != 20 {
		return Receipt{}, fmt.Errorf("%w: admin of %d bytes", ErrInvalidCode, len(body.Admin))
	}
	if err := x.charge(x.p.InstantiateGas); err != nil {
		return Receipt{}, err
	}
	m, err := x.rt.module(x.ctx, x.ws, x.p, body.CodeHash)
	if err != nil {
		return Receipt{}, err
	}
	sender := x.d.Sender
	var n uint64
	if b, ok, err := x.ws.Get(counterKey(sender)); err != nil {
		return Receipt{}, &nodeError{err}
	} else if ok {
		n = binary.BigEndian.Uint64(b)
	}
	addr := address.Contract(sender, n)
	rec, err := canon.Marshal(Contract{CodeHash: body.CodeHash, Admin: body.Admin, Creator: sender, Label: body.Label})
	if err != nil {
		return Receipt{}, err
	}
	if err := errors.Join(x.ws.Set(counterKey(sender), binary.BigEndian.AppendUint64(nil, n+1)), x.ws.Set(contractKey(addr), rec)); err != nil {
		return Receipt{}, &nodeError{err}
	}
	if err := transfer(x.ws, sender, addr, &body.Funds); err != nil {
		return Receipt{}, err
	}
	x.events = append(x.events, Event{Type: "instantiate", Attributes: []Attribute{{Key: "contract", Value: addr[:]}, {Key: "code_hash", Value: body.CodeHash[:]}}})
	r := Receipt{Return: addr[:]}
	if hasExport(m, "init") {
		ret, err := x.run(m, addr, sender, "init", body.Init, body.Funds, false)
		if err != nil {
			return Receipt{}, err
		}
		r.Return = append(addr[:], ret...)
	}
	return r, nil
}

func (x *txCall) call(body tx.Call) (Receipt, error) {
	if !callable(body.Method) {
		return Receipt{}, fmt.Errorf("%w: %q", ErrNoMethod, body.Method)
	}
	c, err := loadContract(x.ws, body.Contract)
	if err != nil {
		return Receipt{}, err
	}
	m, err := x.rt.module(x.ctx, x.ws, x.p, c.CodeHash)
	if err != nil {
		return Receipt{}, err
	}
	if !hasExport(m, body.Method) {
		return Receipt{}, fmt.Errorf("%w: %q", ErrNoMethod, body.Method)
	}
	if err := transfer(x.ws, x.d.Sender, body.Contract, &body.Funds); err != nil {
		return Receipt{}, err
	}
	ret, err := x.run(m, body.Contract, x.d.Sender, body.Method, body.Input, body.Funds, false)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Return: ret}, nil
}

// callable: entry points a transaction may name. init runs once, at
// instantiation; names starting with "_" are the toolchain's (_start,
// _initialize) and the VM's (__plinth_…).
func callable(method string) bool {
	return method != "" && method != "init" && !strings.HasPrefix(method, "_")
}

func hasExport(m *vm.Module, name string) bool { return m.HasExport(name) }

// run calls a contract's export with the gas the transaction has left.
func (x *txCall) run(m *vm.Module, self, caller address.Address, method string, input []byte, funds canon.U256, readOnly bool) ([]byte, error) {
	env := &frameEnv{
		ws: x.ws, readOnly: readOnly, call: x,
		ctx: hostfns.Context{Caller: caller, Self: self, Origin: x.d.Sender, Funds: funds, Height: x.height, Time: x.time, ChainID: x.chainID, TxHash: x.d.Hash},
	}
	f := &hostfns.Frame{Env: env, Input: input, Gas: &x.p.Host}
	left := x.d.Tx.GasLimit - *x.gasUsed
	res, err := m.Call(x.ctx, vm.Request{Func: method, Gas: left, Env: f, Time: int64(x.time) * 1_000_000, Seed: seed(x.d.Hash, method)})
	*x.gasUsed += res.GasUsed
	if err != nil {
		var ne *nodeError
		if errors.As(err, &ne) {
			return nil, ne
		}
		return nil, &contractError{err}
	}
	return f.Return, nil
}

// seed derives a call's WASI random seed from the transaction and method:
// deterministic, different per transaction.
func seed(txHash [32]byte, method string) [32]byte {
	return sha256.Sum256(append(append([]byte("plinth/seed\x00"), txHash[:]...), method...))
}

// contractError is a contract call that ended in failure: a trap, an
// abort, running out of gas, a host function's refusal.
type contractError struct{ err error }

func (e *contractError) Error() string { return e.err.Error() }
func (e *contractError) Unwrap() error { return e.err }

// frameEnv is hostfns.Env over the transaction's write set.
type frameEnv struct {
	ws       *state.WriteSet
	readOnly bool
	ctx      hostfns.Context
	call     *txCall
}

func (e *frameEnv) Context() *hostfns.Context { return &e.ctx }
func (e *frameEnv) ReadOnly() bool            { return e.readOnly }

func (e *frameEnv) StorageGet(key []byte) ([]byte, bool, error) {
	v, ok, err := e.ws.Get(storageKey(e.ctx.Self, key))
	if err != nil {
		return nil, false, &nodeError{err}
	}
	return v, ok, nil
}

func (e *frameEnv) StorageSet(key, value []byte) (bool, error) {
	k := storageKey(e.ctx.Self, key)
	_, existed, err := e.ws.Get(k)
	if err == nil {
		err = e.ws.Set(k, bytes.Clone(value))
	}
	if err != nil {
		return false, &nodeError{err}
	}
	return existed, nil
}

func (e *frameEnv) StorageRemove(key []byte) (bool, error) {
	k := storageKey(e.ctx.Self, key)
	_, existed, err := e.ws.Get(k)
	if err == nil && existed {
		err = e.ws.Delete(k)
	}
	if err != nil {
		return false, &nodeError{err}
	}
	return existed, nil
}

func (e *frameEnv) Balance(a address.Address) (canon.U256, error) {
	acc, err := loadAccount(e.ws, a)
	if err != nil {
		return canon.U256{}, &nodeError{err}
	}
	return acc.Balance, nil
}

func (e *frameEnv) Transfer(to address.Address, amount canon.U256) error {
	return transfer(e.ws, e.ctx.Self, to, &amount)
}

func (e *frameEnv) Emit(typ string, attrs []hostfns.Attribute) error {
	ev := Event{Type: typ, Attributes: []Attribute{{Key: "_contract", Value: e.ctx.Self[:]}}}
	for _, a := range attrs {
		ev.Attributes = append(ev.Attributes, Attribute{Key: a.Key, Value: a.Value})
	}
	e.call.events = append(e.call.events, ev)
	return nil
}
