package sdktest

import (
	"strings"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

// failure is how a call ended, failed: its receipt code and message. It
// is what the runtime's failure and message functions make of an error,
// made directly.
type failure struct {
	code    uint32
	message string
}

func (f *failure) Error() string { return f.message }

// fail is a failure whose message is its code's name, as the chain
// words every failure but an abort, a trap and a host refusal.
func fail(code runtime.Code) *failure {
	return &failure{code: uint32(code), message: code.String()}
}

// txn is one transaction or query in progress: what runtime's txCall
// holds, minus the fee and the VM.
type txn struct {
	chain  *Chain
	origin address.Address
	hash   [32]byte
	events []Event
	stack  []address.Address // contracts on the call stack, outermost first
	log    []string
}

// dispatched is a call a contract queued to run after its frame returns.
type dispatched struct {
	contract address.Address
	method   string
	input    []byte
	funds    uint256.Int
	migrate  bool // move contract to codeHash instead of calling it
	codeHash [32]byte
}

// callable mirrors the runtime's: init and migrate run only at
// instantiation and migration, and "_" names are the toolchain's.
func callable(method string) bool {
	return method != "" && method != "init" && method != "migrate" && !strings.HasPrefix(method, "_")
}

// invoke is the runtime's invoke: the checks in the same order (method
// name, depth, re-entry, contract, method), the funds, the call, then the
// calls it dispatched, in order, each followed by its own. All of it
// rolls back unless all of it succeeds; readOnly keeps nothing. It
// returns the gas used, also on failure.
func (x *txn) invoke(contract, caller address.Address, method string, input []byte, funds uint256.Int, gas uint64, readOnly, entry bool) ([]byte, uint64, *failure) {
	c := x.chain
	if !entry && !callable(method) {
		return nil, 0, fail(runtime.CodeNoMethod)
	}
	if len(x.stack) >= int(c.params.MaxCallDepth) {
		return nil, 0, fail(runtime.CodeCallDepth)
	}
	for _, a := range x.stack {
		if a == contract {
			return nil, 0, fail(runtime.CodeReentrant)
		}
	}
	rec, ok := c.contract(contract)
	if !ok {
		return nil, 0, fail(runtime.CodeUnknownContract)
	}
	code := c.codes[rec.CodeHash]
	handler, ok := code.Methods[method]
	if !ok {
		return nil, 0, fail(runtime.CodeNoMethod)
	}
	cp, events := c.ws.Checkpoint(), len(x.events)
	undo := func() { c.ws.RevertTo(cp); x.events = x.events[:events] }
	if !funds.IsZero() {
		if readOnly {
			undo()
			return nil, 0, refusal(hostfns.ErrReadOnly, "a query carries no funds")
		}
		if f := c.transfer(caller, contract, canon.U256{Int: funds}); f != nil {
			undo()
			return nil, 0, f
		}
	}
	f := &frame{
		x: x, self: contract, caller: caller, funds: funds, input: input, gas: gas,
		// A method declared with sdk.Query runs read-only even in a
		// transaction (sdk.Handler.ReadOnly): a query that writes should
		// fail its first test, not its first real query.
		readOnly: readOnly || handler.ReadOnly(),
	}
	x.stack = append(x.stack, contract)
	end := f.run(code, method)
	x.stack = x.stack[:len(x.stack)-1]
	used := f.used
	if end != nil {
		undo()
		return nil, used, end
	}
	for _, d := range f.queue {
		var u uint64
		var end *failure
		if d.migrate {
			u, end = x.migrate(contract, d.contract, d.codeHash, d.input, gas-used)
		} else {
			_, u, end = x.invoke(d.contract, contract, d.method, d.input, d.funds, gas-used, false, false)
		}
		used += u
		if end != nil {
			undo()
			return nil, used, end
		}
	}
	if readOnly {
		undo()
	} else {
		c.ws.Commit(cp)
	}
	return f.ret, used, nil
}

// migrate is the runtime's migrate: caller must be contract's admin; the
// record moves to codeHash and the new code's migrate method (if any)
// runs, all of it rolled back if that fails.
func (x *txn) migrate(caller, contract address.Address, codeHash [32]byte, input []byte, gas uint64) (uint64, *failure) {
	c := x.chain
	rec, ok := c.contract(contract)
	if !ok {
		return 0, fail(runtime.CodeUnknownContract)
	}
	if len(rec.Admin) != 20 || address.Address(rec.Admin) != caller {
		return 0, fail(runtime.CodeNotAdmin)
	}
	code, ok := c.codes[codeHash]
	if !ok {
		return 0, fail(runtime.CodeUnknownCode)
	}
	cp, events := c.ws.Checkpoint(), len(x.events)
	rec.CodeHash = codeHash
	c.storeContract(contract, rec)
	if _, ok := code.Methods["migrate"]; !ok {
		c.ws.Commit(cp)
		return 0, nil
	}
	_, used, end := x.invoke(contract, caller, "migrate", input, uint256.Int{}, gas, false, true)
	if end != nil {
		c.ws.RevertTo(cp)
		x.events = x.events[:events]
		return used, end
	}
	c.ws.Commit(cp)
	return used, nil
}

// setAdmin is the runtime's setAdmin: only contract's admin may name
// another (nil: nobody, for good).
func (x *txn) setAdmin(caller, contract address.Address, admin *address.Address) *failure {
	c := x.chain
	rec, ok := c.contract(contract)
	if !ok {
		return fail(runtime.CodeUnknownContract)
	}
	if len(rec.Admin) != 20 || address.Address(rec.Admin) != caller {
		return fail(runtime.CodeNotAdmin)
	}
	rec.Admin = nil
	if admin != nil {
		rec.Admin = admin[:]
	}
	c.storeContract(contract, rec)
	return nil
}

// addr is the runtime's type for an SDK address: the same 20 bytes.
func addr(a sdk.Address) address.Address { return address.Address(a) }
