package sdktest

import (
	"fmt"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
)

// frame is one contract call: the sdk.Host its handler runs on (host.go)
// and the gas meter host functions charge (this file). It plays the
// parts of runtime's frameEnv, hostfns.Frame and the VM's meter.
type frame struct {
	x        *txn
	self     address.Address
	caller   address.Address
	funds    uint256.Int
	input    []byte
	readOnly bool

	gas  uint64 // the most the call may use, its callees included
	used uint64

	ret      []byte
	queue    []dispatched
	logBytes int

	// end is how the call ended if it failed. It is kept apart from the
	// panic that carries it, so a contract that recovers that panic and
	// goes on still fails, as a trapped wasm instance cannot go on.
	end *failure
}

// refusal is a host function's refusal: code 11, with the chain's
// message and, after it, the function that refused, which the chain's
// message leaves out but a failing test wants.
func refusal(err error, detail string) *failure {
	return &failure{code: uint32(runtime.CodeHostError), message: err.Error() + ": " + detail}
}

// run executes method of code on f and returns how it failed, or nil.
// Ending a call is a panic of sdk.Ended (as the real host traps);
// sdk.Contract.Execute lets it through and it stops here. Any other panic
// that reaches here is a trap, as an unrecovered Go panic is in wasm.
func (f *frame) run(code *sdk.Contract, method string) (end *failure) {
	defer func() {
		r := recover()
		if r != nil && f.end == nil {
			if e, ok := r.(sdk.Ended); ok {
				f.end = &failure{code: e.Code, message: e.Message}
			} else {
				f.x.log = append(f.x.log, fmt.Sprintf("panic: %v", r))
				f.end = &failure{code: uint32(runtime.CodeTrap), message: "trap: unreachable"}
			}
		}
		end = f.end
	}()
	code.Execute(f, method)
	return nil
}

// stop ends the call with e.
func (f *frame) stop(e *failure) {
	f.end = e
	panic(sdk.Ended{Code: e.code, Message: e.message})
}

// enter starts every host function: a call that has ended stays ended,
// and each function charges Base before anything else.
func (f *frame) enter() {
	if f.end != nil {
		panic(sdk.Ended{Code: f.end.code, Message: f.end.message})
	}
	f.charge(f.gasPrices().Base)
}

func (f *frame) gasPrices() *hostfns.Gas { return &f.x.chain.params.Host }
func (f *frame) limits() *hostfns.Limits { return &f.x.chain.params.HostLimits }

// charge takes gas before the work it pays for; running out uses all of
// the call's gas and ends it with code 1, as the VM's meter does.
func (f *frame) charge(n uint64) {
	if f.gas-f.used < n {
		f.used = f.gas
		f.stop(fail(runtime.CodeOutOfGas))
	}
	f.used += n
}

// mem charges for n bytes copied between the contract's memory and the
// host.
func (f *frame) mem(n int) { f.charge(f.gasPrices().MemoryPerByte * uint64(n)) }

// setRegister is the host filling register 0 with a result: refused past
// the registers' byte limit. (The SDK uses register 0 alone, so its
// length is all the registers hold.)
func (f *frame) setRegister(b []byte, op string) {
	if uint64(len(b)) > uint64(f.limits().RegisterBytes) {
		f.stop(refusal(hostfns.ErrLimit, fmt.Sprintf("%s: a result of %d bytes in a register", op, len(b))))
	}
}

// readRegister charges what the SDK's wasm side pays to copy a result
// out: register_len, then read_register if it is not empty. It returns a
// copy the contract may keep and change.
func (f *frame) readRegister(b []byte) []byte {
	f.charge(f.gasPrices().Base)
	if len(b) == 0 {
		return nil
	}
	f.charge(f.gasPrices().Base)
	f.mem(len(b))
	return append([]byte(nil), b...)
}

// readOnlyCheck refuses a write in a read-only call.
func (f *frame) readOnlyCheck(op string) {
	if f.readOnly {
		f.stop(refusal(hostfns.ErrReadOnly, op))
	}
}
