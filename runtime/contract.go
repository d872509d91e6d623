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
	"github.com/plinthchain/plinth/runtime/device"
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
	ErrReentrant       = errors.New("runtime: the contract is already on the call stack")
	ErrCallDepth       = errors.New("runtime: call depth limit")
	ErrNotAdmin        = errors.New("runtime: only the contract's admin may")
	ErrNotPrivileged   = errors.New("runtime: only the privileged address may")
	ErrBadSystemCall   = errors.New("runtime: system call refused")
)

// codeChunk bounds one stored piece of code: state values are limited to
// 1 MiB, modules to vm's MaxCodeBytes (4 MiB).
const codeChunk = 256 << 10

func codeMetaKey(h [32]byte) []byte { return append([]byte{prefixCodeMeta}, h[:]...) }
func codeChunkKey(h [32]byte, i uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{prefixCode}, h[:]...), i)
}

// ContractKey is where contract a's record is kept, CounterKey how many
// contracts creator a has instantiated, StorageKey contract c's value
// under key (docs/protocol.md, "State layout").
func ContractKey(a address.Address) []byte { return append([]byte{prefixContract}, a[:]...) }
func CounterKey(a address.Address) []byte  { return append([]byte{prefixCounter}, a[:]...) }
func StorageKey(c address.Address, key []byte) []byte {
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

// LoadContract reads a contract's record (ErrUnknownContract if none).
func LoadContract(r state.Reader, a address.Address) (Contract, error) { return loadContract(r, a) }

func loadContract(r state.Reader, a address.Address) (Contract, error) {
	b, ok, err := r.Get(ContractKey(a))
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
	stack   []address.Address // contracts on the call stack, outermost first
	log     []byte            // the calls' debug output (not consensus)
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
	_, release := x.rt.modules.add(m)
	release()
	return Receipt{Return: m.CodeHash[:], Events: []Event{{Type: "deploy", Attributes: []Attribute{{Key: "code_hash", Value: m.CodeHash[:]}}}}}, nil
}

func (x *txCall) instantiate(body tx.Instantiate) (Receipt, error) {
	if len(body.Admin) != 0 && len(body.Admin) != 20 {
		return Receipt{}, fmt.Errorf("%w: admin of %d bytes", ErrInvalidCode, len(body.Admin))
	}
	if err := x.charge(x.p.InstantiateGas); err != nil {
		return Receipt{}, err
	}
	m, release, err := x.rt.module(x.ctx, x.ws, x.p, body.CodeHash)
	if err != nil {
		return Receipt{}, err
	}
	defer release()
	sender := x.d.Sender
	var n uint64
	if b, ok, err := x.ws.Get(CounterKey(sender)); err != nil {
		return Receipt{}, &nodeError{err}
	} else if ok {
		n = binary.BigEndian.Uint64(b)
	}
	addr := address.Contract(sender, n)
	rec, err := canon.Marshal(Contract{CodeHash: body.CodeHash, Admin: body.Admin, Creator: sender, Label: body.Label})
	if err != nil {
		return Receipt{}, err
	}
	if err := errors.Join(x.ws.Set(CounterKey(sender), binary.BigEndian.AppendUint64(nil, n+1)), x.ws.Set(ContractKey(addr), rec)); err != nil {
		return Receipt{}, &nodeError{err}
	}
	x.events = append(x.events, Event{Type: "instantiate", Attributes: []Attribute{{Key: "contract", Value: addr[:]}, {Key: "code_hash", Value: body.CodeHash[:]}}})
	if !m.HasExport("init") {
		if err := transfer(x.ws, sender, addr, &body.Funds); err != nil {
			return Receipt{}, err
		}
		return Receipt{Return: addr[:]}, nil
	}
	ret, err := x.top(addr, "init", body.Init, body.Funds, true)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Return: append(addr[:], ret...)}, nil
}

func (x *txCall) call(body tx.Call) (Receipt, error) {
	ret, err := x.top(body.Contract, body.Method, body.Input, body.Funds, false)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Return: ret}, nil
}

// migrateTx is the Migrate payload: the sender must be the admin.
func (x *txCall) migrateTx(body tx.Migrate) (Receipt, error) {
	used, err := x.migrate(x.d.Sender, body.Contract, body.CodeHash, body.Input, x.d.Tx.GasLimit-*x.gasUsed)
	*x.gasUsed += used
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Events: []Event{{Type: "migrate", Attributes: []Attribute{{Key: "contract", Value: body.Contract[:]}, {Key: "code_hash", Value: body.CodeHash[:]}}}}}, nil
}

// migrate moves contract to other stored code, for caller, who must be its
// admin, then runs the new code's migrate export (if it has one) with
// input. Its state stays; all of it rolls back if migrate fails.
func (x *txCall) migrate(caller, contract address.Address, codeHash [32]byte, input []byte, gas uint64) (uint64, error) {
	c, err := loadContract(x.ws, contract)
	if err != nil {
		return 0, err
	}
	if len(c.Admin) != 20 || address.Address(c.Admin) != caller {
		return 0, fmt.Errorf("%w: migrate %s (caller %s)", ErrNotAdmin, contract, caller)
	}
	m, release, err := x.rt.module(x.ctx, x.ws, x.p, codeHash)
	if err != nil {
		return 0, err
	}
	defer release()
	cp, events := x.ws.Checkpoint(), len(x.events)
	c.CodeHash = codeHash
	if err := x.storeContract(contract, c); err != nil {
		return 0, err
	}
	if !m.HasExport("migrate") {
		x.ws.Commit(cp)
		return 0, nil
	}
	_, used, err := x.invoke(contract, caller, "migrate", input, canon.U256{}, gas, false, true)
	if err != nil {
		x.ws.RevertTo(cp)
		x.events = x.events[:events]
		return used, err
	}
	x.ws.Commit(cp)
	return used, nil
}

func (x *txCall) storeContract(a address.Address, c Contract) error {
	b, err := canon.Marshal(c)
	if err == nil {
		err = x.ws.Set(ContractKey(a), b)
	}
	if err != nil {
		return &nodeError{err}
	}
	return nil
}

// setAdmin changes contract's admin (nil: none, for good), for caller,
// who must be its admin.
func (x *txCall) setAdmin(caller, contract address.Address, admin *address.Address) error {
	c, err := loadContract(x.ws, contract)
	if err != nil {
		return err
	}
	if len(c.Admin) != 20 || address.Address(c.Admin) != caller {
		return fmt.Errorf("%w: change the admin of %s (caller %s)", ErrNotAdmin, contract, caller)
	}
	c.Admin = nil
	if admin != nil {
		c.Admin = admin[:]
	}
	return x.storeContract(contract, c)
}

// top runs a transaction's own call of a contract with all its gas left.
func (x *txCall) top(contract address.Address, method string, input []byte, funds canon.U256, init bool) ([]byte, error) {
	ret, used, err := x.invoke(contract, x.d.Sender, method, input, funds, x.d.Tx.GasLimit-*x.gasUsed, false, init)
	*x.gasUsed += used
	return ret, err
}

// callable: entry points a transaction or a contract may name. init runs
// once, at instantiation, and migrate when the contract moves to new code;
// names starting with "_" are the toolchain's (_start, _initialize) and the
// VM's (__plinth_…).
func callable(method string) bool {
	return method != "" && method != "init" && method != "migrate" && !strings.HasPrefix(method, "_")
}

// dispatched is a call a contract queued to run after its frame returns.
type dispatched struct {
	contract address.Address
	method   string
	input    []byte
	funds    canon.U256
	// migrate: move contract to codeHash (method and funds unused).
	migrate  bool
	codeHash [32]byte
}

// invoke calls contract's method for caller with at most gas: funds move
// from caller to contract first, the call runs, and then the calls it
// dispatched, in order, each followed by its own. Its writes (and events)
// stay only if all of that succeeds; readOnly keeps none. It returns the
// return value and the gas used, also on failure.
func (x *txCall) invoke(contract, caller address.Address, method string, input []byte, funds canon.U256, gas uint64, readOnly, init bool) ([]byte, uint64, error) {
	if !init && !callable(method) {
		return nil, 0, fmt.Errorf("%w: %q", ErrNoMethod, method)
	}
	if len(x.stack) >= int(x.p.MaxCallDepth) {
		return nil, 0, fmt.Errorf("%w: %d", ErrCallDepth, x.p.MaxCallDepth)
	}
	for _, a := range x.stack {
		if a == contract {
			return nil, 0, fmt.Errorf("%w: %s", ErrReentrant, contract)
		}
	}
	c, err := loadContract(x.ws, contract)
	if err != nil {
		return nil, 0, err
	}
	m, release, err := x.rt.module(x.ctx, x.ws, x.p, c.CodeHash)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	if !m.HasExport(method) {
		return nil, 0, fmt.Errorf("%w: %q", ErrNoMethod, method)
	}
	cp, events := x.ws.Checkpoint(), len(x.events)
	undo := func() { x.ws.RevertTo(cp); x.events = x.events[:events] }
	if !funds.IsZero() {
		if readOnly {
			undo()
			return nil, 0, fmt.Errorf("%w: a query carries no funds", hostfns.ErrReadOnly)
		}
		if err := transfer(x.ws, caller, contract, &funds); err != nil {
			undo()
			return nil, 0, err
		}
	}
	var queue []dispatched
	env := &frameEnv{
		ws: x.ws, readOnly: readOnly, call: x, queue: &queue,
		ctx: hostfns.Context{Caller: caller, Self: contract, Origin: x.d.Sender, Funds: funds, Height: x.height, Time: x.time, ChainID: x.chainID, TxHash: x.d.Hash},
	}
	f := &hostfns.Frame{Env: env, Input: input, Gas: &x.p.Host, Limits: &x.p.HostLimits}
	x.stack = append(x.stack, contract)
	res, err := m.Call(x.ctx, vm.Request{Func: method, Gas: gas, Env: f, Time: int64(x.time) * 1_000_000, Seed: seed(x.d.Hash, contract, method)})
	x.stack = x.stack[:len(x.stack)-1]
	if len(x.log) < vm.MaxDebugLog {
		x.log = append(x.log, res.Log...)
	}
	used := res.GasUsed
	if err != nil {
		undo()
		var ne *nodeError
		if errors.As(err, &ne) {
			return nil, used, ne
		}
		return nil, used, &contractError{err}
	}
	for _, d := range queue {
		var u uint64
		if d.migrate {
			u, err = x.migrate(contract, d.contract, d.codeHash, d.input, gas-used)
		} else {
			_, u, err = x.invoke(d.contract, contract, d.method, d.input, d.funds, gas-used, false, false)
		}
		used += u
		if err != nil {
			undo()
			return nil, used, err
		}
	}
	if readOnly {
		undo()
	} else {
		x.ws.Commit(cp)
	}
	return f.Return, used, nil
}

// seed derives a call's WASI random seed from the transaction, contract and
// method: deterministic, different per transaction.
func seed(txHash [32]byte, contract address.Address, method string) [32]byte {
	b := append([]byte("plinth/seed\x00"), txHash[:]...)
	return sha256.Sum256(append(append(b, contract[:]...), method...))
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
	queue    *[]dispatched
}

func (e *frameEnv) Context() *hostfns.Context { return &e.ctx }
func (e *frameEnv) ReadOnly() bool            { return e.readOnly }

func (e *frameEnv) StorageGet(key []byte) ([]byte, bool, error) {
	v, ok, err := e.ws.Get(StorageKey(e.ctx.Self, key))
	if err != nil {
		return nil, false, &nodeError{err}
	}
	return v, ok, nil
}

func (e *frameEnv) StorageSet(key, value []byte) (bool, error) {
	k := StorageKey(e.ctx.Self, key)
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
	k := StorageKey(e.ctx.Self, key)
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

func (e *frameEnv) Call(contract address.Address, method string, input []byte, funds canon.U256, gas uint64, readOnly bool) (hostfns.CallResult, error) {
	ret, used, err := e.call.invoke(contract, e.ctx.Self, method, input, funds, gas, readOnly, false)
	if err != nil {
		code, failed := failure(err)
		if !failed {
			return hostfns.CallResult{}, err
		}
		return hostfns.CallResult{GasUsed: used, Code: uint32(code), Message: message(code, err)}, nil
	}
	return hostfns.CallResult{Return: ret, GasUsed: used}, nil
}

func (e *frameEnv) Dispatch(contract address.Address, method string, input []byte, funds canon.U256) error {
	if len(*e.queue) >= int(e.call.p.MaxCallDepth)*8 {
		return fmt.Errorf("%w: more than %d dispatched calls", hostfns.ErrLimit, e.call.p.MaxCallDepth*8)
	}
	*e.queue = append(*e.queue, dispatched{contract: contract, method: method, input: bytes.Clone(input), funds: funds})
	return nil
}

func (e *frameEnv) Range(prefix, start []byte, limit uint32, reverse, keysOnly bool) ([]hostfns.Entry, uint64, error) {
	out, visited, err := StorageRange(e.ws, e.ctx.Self, prefix, start, limit, reverse, keysOnly)
	if err != nil {
		return nil, 0, &nodeError{err}
	}
	return out, visited, nil
}

// StorageRange is storage_range over contract's storage in ws: up to
// limit entries whose keys start with prefix, after start (before it,
// reverse), and how many keys it visited to find them, skipped ones too
// (the gas counts them). Exported so that sdktest ranges exactly as the
// chain does.
func StorageRange(ws *state.WriteSet, contract address.Address, prefix, start []byte, limit uint32, reverse, keysOnly bool) ([]hostfns.Entry, uint64, error) {
	base := StorageKey(contract, nil)
	it, err := ws.Iterate(append(bytes.Clone(base), prefix...), state.IterOptions{Reverse: reverse, KeysOnly: keysOnly})
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	var out []hostfns.Entry
	var visited uint64
	for uint32(len(out)) < limit && it.Next() {
		visited++
		k := it.Key()[len(base):]
		if len(start) > 0 {
			if c := bytes.Compare(k, start); (!reverse && c <= 0) || (reverse && c >= 0) {
				continue
			}
		}
		e := hostfns.Entry{Key: bytes.Clone(k)}
		if !keysOnly {
			e.Value = bytes.Clone(it.Value())
		}
		out = append(out, e)
	}
	if err := it.Err(); err != nil {
		return nil, 0, err
	}
	return out, visited, nil
}

func (e *frameEnv) DispatchMigrate(contract address.Address, codeHash [32]byte, input []byte) error {
	if len(*e.queue) >= int(e.call.p.MaxCallDepth)*8 {
		return fmt.Errorf("%w: more than %d dispatched calls", hostfns.ErrLimit, e.call.p.MaxCallDepth*8)
	}
	*e.queue = append(*e.queue, dispatched{contract: contract, input: bytes.Clone(input), migrate: true, codeHash: codeHash})
	return nil
}

func (e *frameEnv) SetAdmin(contract address.Address, admin *address.Address) error {
	return e.call.setAdmin(e.ctx.Self, contract, admin)
}

// privileged checks that the running contract is the address genesis
// named for the system calls.
func (e *frameEnv) privileged(op string) error {
	g, ok, err := e.ws.Get(GovernanceKey())
	if err != nil {
		return &nodeError{err}
	}
	if !ok || len(g) != 20 || address.Address(g) != e.ctx.Self {
		return fmt.Errorf("%w: %s by %s", ErrNotPrivileged, op, e.ctx.Self)
	}
	return nil
}

func (e *frameEnv) SetParams(encoded []byte, height uint64) error {
	if err := e.privileged("set_params"); err != nil {
		return err
	}
	if height <= e.ctx.Height {
		return fmt.Errorf("%w: parameters from height %d, which is not after %d", ErrBadSystemCall, height, e.ctx.Height)
	}
	p, err := params.Decode(encoded)
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSystemCall, err)
	}
	if err := e.ws.Set(ParamsKey(height), bytes.Clone(encoded)); err != nil {
		return &nodeError{err}
	}
	return nil
}

func (e *frameEnv) SetValidators(encoded []byte) error {
	if err := e.privileged("set_validators"); err != nil {
		return err
	}
	var vs []Validator
	if err := canon.Unmarshal(encoded, &vs); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSystemCall, err)
	}
	if err := checkValidators(vs); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSystemCall, err)
	}
	if err := e.ws.Set(ValidatorsKey(), bytes.Clone(encoded)); err != nil {
		return &nodeError{err}
	}
	return nil
}

func (e *frameEnv) Device(id [20]byte) ([]byte, bool, error) {
	d, ok, err := device.Get(e.ws, device.ID(id))
	if err != nil || !ok {
		return nil, false, wrapNode(err)
	}
	b, err := canon.Marshal(d)
	return b, true, err
}

func (e *frameEnv) Attestation(id [32]byte) ([]byte, bool, error) {
	a, ok, err := device.AttestationByID(e.ws, id)
	if err != nil || !ok {
		return nil, false, wrapNode(err)
	}
	b, err := canon.Marshal(a)
	return b, true, err
}

func (e *frameEnv) LatestAttestation(dev [20]byte, kind string) ([]byte, bool, error) {
	a, ok, err := device.Latest(e.ws, device.ID(dev), kind)
	if err != nil || !ok {
		return nil, false, wrapNode(err)
	}
	b, err := canon.Marshal(a)
	return b, true, err
}

func (e *frameEnv) AttestationHistory(dev [20]byte, fromSeq, toSeq uint64, limit uint32) ([]byte, uint32, error) {
	if limit == 0 {
		// Charged for no entries, so it reads none (device.History
		// takes 0 as "its own maximum").
		b, err := canon.Marshal([]*device.Attestation{})
		return b, 0, err
	}
	as, err := device.History(e.ws, device.ID(dev), fromSeq, toSeq, int(limit))
	if err != nil {
		return nil, 0, wrapNode(err)
	}
	b, err := canon.Marshal(as)
	return b, uint32(len(as)), err
}

func (e *frameEnv) CheckAttestation(raw []byte) (uint32, error) {
	_, _, err := device.Check(e.ws, e.call.p, e.ctx.ChainID, e.ctx.Time, raw)
	if err == nil {
		return 0, nil
	}
	if de, ok := deviceErr(err).(*deviceError); ok {
		return uint32(de.code), nil
	}
	return 0, &nodeError{err}
}

func wrapNode(err error) error {
	if err == nil {
		return nil
	}
	return &nodeError{err}
}
