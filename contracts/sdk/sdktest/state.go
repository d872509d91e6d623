package sdktest

import (
	"errors"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/state"
)

// The test chain keeps everything in one state.WriteSet over an empty
// base, under the real chain's keys (runtime's exported layout,
// docs/protocol.md "State layout"): the write set's nested checkpoints
// are the real runtime's rollback, and runtime/device's registry and
// attestation rules run on it unchanged.

// emptyBase is the committed state under the write set: there is none,
// since the test chain never commits a block.
type emptyBase struct{}

func (emptyBase) Get([]byte) ([]byte, bool, error) { return nil, false, nil }
func (emptyBase) Iterate([]byte, state.IterOptions) (state.Iterator, error) {
	return emptyIter{}, nil
}

type emptyIter struct{}

func (emptyIter) Next() bool    { return false }
func (emptyIter) Key() []byte   { return nil }
func (emptyIter) Value() []byte { return nil }
func (emptyIter) Err() error    { return nil }
func (emptyIter) Close() error  { return nil }

// balance reads a's balance (zero for an address never credited).
func (c *Chain) balance(a address.Address) canon.U256 {
	acc, err := runtime.LoadAccount(c.ws, a)
	c.must(err)
	return acc.Balance
}

func (c *Chain) setBalance(a address.Address, b canon.U256) {
	acc, err := runtime.LoadAccount(c.ws, a)
	c.must(err)
	acc.Balance = b
	enc, err := canon.Marshal(acc)
	c.must(err)
	c.must(c.ws.Set(runtime.AccountKey(a), enc))
}

// transfer moves amount as the runtime's transfer does: debit first
// (insufficient funds), then credit (overflow).
func (c *Chain) transfer(from, to address.Address, amount canon.U256) *failure {
	fb := c.balance(from)
	if fb.Lt(&amount.Int) {
		return fail(runtime.CodeInsufficientFunds)
	}
	fb.Sub(&fb.Int, &amount.Int)
	c.setBalance(from, fb)
	tb := c.balance(to)
	if _, overflow := tb.AddOverflow(&tb.Int, &amount.Int); overflow {
		return fail(runtime.CodeOverflow)
	}
	c.setBalance(to, tb)
	return nil
}

// contract reads a contract's record; ok is false if there is none.
func (c *Chain) contract(a address.Address) (runtime.Contract, bool) {
	rec, err := runtime.LoadContract(c.ws, a)
	if errors.Is(err, runtime.ErrUnknownContract) {
		return runtime.Contract{}, false
	}
	c.must(err)
	return rec, true
}

func (c *Chain) storeContract(a address.Address, rec runtime.Contract) {
	b, err := canon.Marshal(rec)
	c.must(err)
	c.must(c.ws.Set(runtime.ContractKey(a), b))
}

// must stops the test on an error only a bug in sdktest can cause (the
// write set refusing a key the host limits already bound, say).
func (c *Chain) must(err error) {
	if err != nil {
		c.t.Helper()
		c.t.Fatalf("sdktest: internal error: %v", err)
	}
}
