package testvectors

import (
	"errors"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Reasons a transaction makes its block invalid (docs/protocol.md,
// "Invalid and failed"), as vectors name them.
var reasons = []struct {
	name string
	err  error
}{
	{"too_large", tx.ErrTooLarge},
	{"encoding", canon.ErrEncoding},
	{"public_key", tx.ErrPublicKey},
	{"signature", tx.ErrSignature},
	{"chain_id", runtime.ErrChainID},
	{"nonce", runtime.ErrNonce},
	{"gas_price", runtime.ErrGasPrice},
	{"gas_limit", runtime.ErrGasLimit},
	{"cannot_pay", runtime.ErrCannotPay},
	{"unsupported", runtime.ErrUnsupported},
}

// Reason classifies why a block was refused for one of its transactions:
// the transaction's index and the reason's name, or ok false if err is
// not an invalid transaction.
//
// A block refused for its evidence is reason "evidence", and the index is
// the piece's in the block's evidence list.
func Reason(err error) (index int, name string, ok bool) {
	var ee *runtime.InvalidEvidenceError
	if errors.As(err, &ee) {
		return ee.Index, "evidence", true
	}
	var ie *runtime.InvalidTxError
	if !errors.As(err, &ie) {
		return 0, "", false
	}
	for _, r := range reasons {
		if errors.Is(ie.Err, r.err) {
			return ie.Index, r.name, true
		}
	}
	return ie.Index, "other", true
}
