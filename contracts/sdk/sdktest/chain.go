// Package sdktest is an in-memory chain for unit-testing contracts written
// with contracts/sdk natively, with plain go test: no WebAssembly, no
// node, a debugger and coverage that work.
//
// The point is that a contract passing its tests here behaves the same on
// the real chain, so the rules are the chain's own wherever they can be:
// state lives in a state.WriteSet under the chain's keys, so rollback is
// the runtime's checkpointing; calls between contracts follow runtime's
// invoke step by step (the order of its checks, re-entry, the depth
// limit, funds, dispatched calls run depth first after the frame that
// queued them); devices and attestations are runtime/device's registry
// and checks, and the host hands out their canonical CBOR, so the SDK's
// decoder meets the real encoding; host limits are hostfns.LimitsV1 and
// receipt codes and messages are the runtime's.
//
// What differs, and why:
//
//   - Gas is an approximation. A call pays what its host functions cost
//     on chain (hostfns.GasV1, charged in hostfns' order, including the
//     register copies the SDK's wasm host makes to read results), and
//     nothing for the contract's own instructions, which only a wasm
//     engine can count; nor is there intrinsic transaction gas, a fee or
//     a nonce. Use it to compare and to bound, not as a price.
//   - A method declared with sdk.Query runs read-only even inside a
//     transaction (see sdk.Handler.ReadOnly), where the chain would let it
//     write: a query that writes should fail its first test.
//   - Parameters and validators that a governance contract sets are
//     checked and recorded as on chain, but the test chain goes on with
//     params.Version1.
//   - Devices registered by RegisterDevice hold no deposit.
//   - A handler's fmt output goes to the test's stdout; only Context.Log
//     reaches Result.Log, in the order of the calls (the chain's debug
//     log has each call's output after that of the calls it made).
//   - A host function's refusal (code 11) has the chain's message
//     followed by the function that refused, ": storage_write".
//
// A Chain is for one test and one goroutine.
package sdktest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/state"
)

// ChainID is the test chain's id: attestations must be signed for it.
const ChainID = "sdktest"

// StartTime is the first block's time, in ms since the Unix epoch: fixed,
// so that tests never depend on the clock.
const StartTime = 1_700_000_000_000

// DefaultGasLimit is the gas each transaction and query starts with:
// plenty for a test contract's host calls, small enough that a runaway
// loop of host calls ends.
const DefaultGasLimit = 10_000_000

// Chain is the test chain: accounts, contracts, devices and the current
// block. Every transaction runs in the current block; SetBlock and
// NextBlock move time on.
type Chain struct {
	t      testing.TB
	params params.Params
	ws     *state.WriteSet
	height uint64
	time   uint64
	gas    uint64

	// codes is the stored code: a contract's method table under a hash,
	// as deployed wasm is stored under its SHA-256.
	codes  map[[32]byte]*sdk.Contract
	hashes map[*sdk.Contract][32]byte
	txs    uint64 // transactions so far, for their hashes
}

// New returns an empty chain at height 1 and time StartTime. Setup
// mistakes (a bad key, an input that does not encode) fail t.
func New(t testing.TB) *Chain {
	return &Chain{
		t:      t,
		params: params.Version1(),
		ws:     state.NewWriteSet(emptyBase{}),
		height: 1,
		time:   StartTime,
		gas:    DefaultGasLimit,
		codes:  map[[32]byte]*sdk.Contract{},
		hashes: map[*sdk.Contract][32]byte{},
	}
}

// SetBlock moves the chain to height and time (ms), for tests of
// deadlines and of attestation freshness.
func (c *Chain) SetBlock(height, timeMs uint64) { c.height, c.time = height, timeMs }

// NextBlock moves to the next block, a second later.
func (c *Chain) NextBlock() { c.height, c.time = c.height+1, c.time+1000 }

// Block is the current block, as contracts see it.
func (c *Chain) Block() sdk.Block { return sdk.Block{Height: c.height, Time: c.time} }

// SetGasLimit sets the gas of each later transaction and query, to test
// what running out does.
func (c *Chain) SetGasLimit(gas uint64) { c.gas = gas }

// Account returns the address named name: the first 20 bytes of
// SHA-256("sdktest/" + name), so a test names its actors and gets the
// same addresses every run.
func (c *Chain) Account(name string) sdk.Address {
	h := sha256.Sum256([]byte("sdktest/" + name))
	return sdk.Address(h[:20])
}

// Fund credits amount to a, out of nothing: a test's genesis.
func (c *Chain) Fund(a sdk.Address, amount uint64) {
	c.t.Helper()
	b := c.balance(addr(a))
	if _, overflow := b.AddOverflow(&b.Int, uint256.NewInt(amount)); overflow {
		c.t.Fatalf("sdktest: funding %s overflows its balance", a)
	}
	c.setBalance(addr(a), b)
}

// Balance is a's balance of the native token, in the SDK's type, so a
// test compares it with what contracts see.
func (c *Chain) Balance(a sdk.Address) sdk.Amount { return amount(c.balance(addr(a)).Int) }

// Deploy stores code and returns its code hash, what DispatchMigrate and
// a migration name code by. A contract is stored once: deploying it
// again returns the same hash. The hash is the test chain's (numbered in
// deploy order), not a SHA-256 of wasm, since there is none.
func (c *Chain) Deploy(code *sdk.Contract) [32]byte {
	c.t.Helper()
	if code == nil {
		c.t.Fatal("sdktest: deploy a nil contract")
	}
	if h, ok := c.hashes[code]; ok {
		return h
	}
	h := canon.TaggedHash("sdktest/code\x00", binary.BigEndian.AppendUint64(nil, uint64(len(c.codes))))
	c.codes[h], c.hashes[code] = code, h
	return h
}

// Option changes how Instantiate creates a contract.
type Option func(*instantiation)

type instantiation struct {
	admin *address.Address
	label string
}

// WithAdmin gives the contract an admin, who alone may migrate it and
// change its admin. Without one, a contract can never be migrated.
func WithAdmin(a sdk.Address) Option {
	return func(i *instantiation) { ad := addr(a); i.admin = &ad }
}

// WithLabel sets the contract's label (the chain stores it; nothing
// reads it).
func WithLabel(label string) Option { return func(i *instantiation) { i.label = label } }

// Instantiate creates a contract running code, as creator's instantiate
// transaction would: at the chain's address for creator's next contract
// (address.Contract), with funds moved from creator to it, and init run
// with input if code has an "init" method. Input is JSON-encoded unless
// it is []byte or json.RawMessage; nil is no input. If it fails, nothing
// of it stays and the address is the one the next attempt will get.
func (c *Chain) Instantiate(creator sdk.Address, code *sdk.Contract, input any, funds uint64, opts ...Option) (sdk.Address, *Result) {
	c.t.Helper()
	var o instantiation
	for _, opt := range opts {
		opt(&o)
	}
	hash := c.Deploy(code)
	in := c.encode(input)
	from := addr(creator)
	x := c.newTx(from)
	var contract address.Address
	r := c.run(x, func() ([]byte, uint64, *failure) {
		var n uint64
		if b, ok, err := c.ws.Get(runtime.CounterKey(from)); err != nil {
			c.must(err)
		} else if ok {
			n = binary.BigEndian.Uint64(b)
		}
		contract = address.Contract(from, n)
		c.must(c.ws.Set(runtime.CounterKey(from), binary.BigEndian.AppendUint64(nil, n+1)))
		rec := runtime.Contract{CodeHash: hash, Creator: from, Label: o.label}
		if o.admin != nil {
			rec.Admin = o.admin[:]
		}
		c.storeContract(contract, rec)
		x.events = append(x.events, Event{Type: "instantiate", Attributes: []sdk.Attribute{
			{Key: "contract", Value: contract[:]}, {Key: "code_hash", Value: hash[:]},
		}})
		if _, ok := code.Methods["init"]; !ok {
			return nil, 0, c.transfer(from, contract, canon.NewU256(funds))
		}
		return x.invoke(contract, from, "init", in, *uint256.NewInt(funds), c.gas, false, true)
	})
	return sdk.Address(contract), r
}

// Execute is a transaction of sender calling contract's method with
// input (encoded as Instantiate's) and funds: sender is the caller and
// the origin; the funds move before the method runs (code 2 if sender
// lacks them); the calls it dispatched run after it, in order. If any of
// it fails, none of it stays.
func (c *Chain) Execute(sender, contract sdk.Address, method string, input any, funds uint64) *Result {
	c.t.Helper()
	in := c.encode(input)
	x := c.newTx(addr(sender))
	return c.run(x, func() ([]byte, uint64, *failure) {
		return x.invoke(addr(contract), addr(sender), method, in, *uint256.NewInt(funds), c.gas, false, false)
	})
}

// Query calls contract's method read-only, as runtime.Query does: the
// caller and origin are the zero address, and a write, transfer, event,
// call (a query is allowed), dispatch, admin or system call ends it with
// code 11.
func (c *Chain) Query(contract sdk.Address, method string, input any) *Result {
	c.t.Helper()
	in := c.encode(input)
	x := c.newTx(address.Address{})
	return c.run(x, func() ([]byte, uint64, *failure) {
		return x.invoke(addr(contract), address.Address{}, method, in, uint256.Int{}, c.gas, true, false)
	})
}

// Migrate is sender's migrate transaction: contract moves to code (its
// storage stays) and code's "migrate" method, if any, runs with input.
// Only the contract's admin may (code 14).
func (c *Chain) Migrate(sender, contract sdk.Address, code *sdk.Contract, input any) *Result {
	c.t.Helper()
	hash := c.Deploy(code)
	in := c.encode(input)
	x := c.newTx(addr(sender))
	return c.run(x, func() ([]byte, uint64, *failure) {
		used, end := x.migrate(addr(sender), addr(contract), hash, in, c.gas)
		if end == nil {
			x.events = append(x.events, Event{Type: "migrate", Attributes: []sdk.Attribute{
				{Key: "contract", Value: contract[:]}, {Key: "code_hash", Value: hash[:]},
			}})
		}
		return nil, used, end
	})
}

// AdminOf returns contract's admin; ok is false if it has none (or is not
// a contract).
func (c *Chain) AdminOf(contract sdk.Address) (admin sdk.Address, ok bool) {
	rec, found := c.contract(addr(contract))
	if !found || len(rec.Admin) != 20 {
		return sdk.Address{}, false
	}
	return sdk.Address(rec.Admin), true
}

// SetGovernance names the address allowed the privileged calls
// (SetParams, SetValidators), as genesis does on chain.
func (c *Chain) SetGovernance(a sdk.Address) { c.must(c.ws.Set(runtime.GovernanceKey(), a[:])) }

// Params returns the parameters a governance contract scheduled with
// SetParams, the latest height first: their encoding and the height they
// take effect at. ok is false if none were.
func (c *Chain) Params() (encoded []byte, height uint64, ok bool) {
	it, err := c.ws.Iterate(runtime.ParamsPrefix(), state.IterOptions{Reverse: true})
	c.must(err)
	defer it.Close()
	if !it.Next() {
		c.must(it.Err())
		return nil, 0, false
	}
	return append([]byte(nil), it.Value()...), binary.BigEndian.Uint64(it.Key()[1:]), true
}

// Validators returns the validator set a governance contract last set
// with SetValidators; ok is false if none was.
func (c *Chain) Validators() (encoded []byte, ok bool) {
	v, ok, err := c.ws.Get(runtime.ValidatorsKey())
	c.must(err)
	return append([]byte(nil), v...), ok
}

// newTx starts a transaction (or query) of origin, with its own hash.
func (c *Chain) newTx(origin address.Address) *txn {
	c.txs++
	return &txn{chain: c, origin: origin, hash: canon.TaggedHash("sdktest/tx\x00", binary.BigEndian.AppendUint64(nil, c.txs))}
}

// run runs exec as one transaction: all of its writes and events stay if
// it succeeds, none if it fails.
func (c *Chain) run(x *txn, exec func() ([]byte, uint64, *failure)) *Result {
	cp := c.ws.Checkpoint()
	ret, used, end := exec()
	r := &Result{Gas: used, Log: x.log}
	if end != nil {
		c.ws.RevertTo(cp)
		r.Code, r.Message = end.code, end.message
		return r
	}
	c.ws.Commit(cp)
	r.Return, r.Events = ret, x.events
	return r
}

// encode is a call's input: bytes as they are, anything else as JSON
// (what sdk.Exec and sdk.Query handlers read), nil as nothing.
func (c *Chain) encode(input any) []byte {
	c.t.Helper()
	switch v := input.(type) {
	case nil:
		return nil
	case []byte:
		return append([]byte(nil), v...)
	case json.RawMessage:
		return append([]byte(nil), v...)
	}
	b, err := json.Marshal(input)
	if err != nil {
		c.t.Fatalf("sdktest: encode input %T: %v", input, err)
	}
	return b
}
