package runtime

import (
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/state"
)

// Account is an account's state: how many of its transactions were
// included, and its balance of the native token.
type Account struct {
	_       struct{} `cbor:",toarray"`
	Nonce   uint64
	Balance canon.U256
}

// ErrInsufficientFunds: a debit larger than the balance.
var ErrInsufficientFunds = errors.New("runtime: insufficient funds")

// ErrOverflow: a credit that would pass 2^256 - 1.
var ErrOverflow = errors.New("runtime: amount overflows")

// LoadAccount reads a's account from r; an address never credited has the
// zero account.
func LoadAccount(r state.Reader, a address.Address) (Account, error) { return loadAccount(r, a) }

func loadAccount(r state.Reader, a address.Address) (Account, error) {
	b, ok, err := r.Get(AccountKey(a))
	if err != nil || !ok {
		return Account{}, err
	}
	var acc Account
	if err := canon.UnmarshalStored(b, &acc); err != nil {
		return Account{}, fmt.Errorf("runtime: account %s: %w", a, err)
	}
	return acc, nil
}

func storeAccount(w *state.WriteSet, a address.Address, acc Account) error {
	b, err := canon.Marshal(acc)
	if err != nil {
		return err
	}
	return w.Set(AccountKey(a), b)
}

// credit adds amount to a's balance.
func credit(w *state.WriteSet, a address.Address, amount *canon.U256) error {
	acc, err := loadAccount(w, a)
	if err != nil {
		return err
	}
	if _, overflow := acc.Balance.AddOverflow(&acc.Balance.Int, &amount.Int); overflow {
		return fmt.Errorf("%w: crediting %s to %s", ErrOverflow, amount, a)
	}
	return storeAccount(w, a, acc)
}

// debit takes amount from a's balance.
func debit(w *state.WriteSet, a address.Address, amount *canon.U256) error {
	acc, err := loadAccount(w, a)
	if err != nil {
		return err
	}
	if acc.Balance.Lt(&amount.Int) {
		return fmt.Errorf("%w: %s has %s, needs %s", ErrInsufficientFunds, a, acc.Balance, amount)
	}
	acc.Balance.Sub(&acc.Balance.Int, &amount.Int)
	return storeAccount(w, a, acc)
}

// transfer moves amount from one account to another.
func transfer(w *state.WriteSet, from, to address.Address, amount *canon.U256) error {
	if err := debit(w, from, amount); err != nil {
		return err
	}
	return credit(w, to, amount)
}
