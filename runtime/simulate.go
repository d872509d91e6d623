package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// Simulation is the outcome of a dry run: what would happen, written
// nowhere.
type Simulation struct {
	Receipt Receipt
	// Log is the contracts' debug output (the log host function, WASI
	// stdout and stderr): for people, never part of consensus.
	Log []byte
}

// Simulate runs t as if sent by sender in the block after head, on st (the
// state after head), without a signature and without writing anything.
// An invalid transaction is an error naming why, as Apply would reject it.
func (rt *Runtime) Simulate(ctx context.Context, st state.Reader, head *block.Header, sender address.Address, t *tx.Tx) (*Simulation, error) {
	body, err := canon.Marshal(t)
	if err != nil {
		return nil, err
	}
	h := *head
	h.Height++
	d := &tx.Decoded{Tx: *t, Raw: body, Hash: tx.Hash(body), Sender: sender}
	p, err := paramsAt(st, h.Height)
	if err != nil {
		return nil, err
	}
	ws := state.NewWriteSet(st)
	x := &txCall{}
	r, _, err := rt.applyTxWith(ctx, ws, &h, &p, d, x)
	if err != nil {
		return nil, err
	}
	return &Simulation{Receipt: r, Log: x.log}, nil
}

// ErrQueryFailed wraps how a query's contract call failed.
var ErrQueryFailed = errors.New("runtime: query failed")

// Query calls contract's method read-only on st (the state after head),
// with at most gasCap gas: its return value, the gas it used and its debug
// log. Writes, transfers, events and dispatches fail in a query.
func (rt *Runtime) Query(ctx context.Context, st state.Reader, head *block.Header, contract address.Address, method string, input []byte, gasCap uint64) ([]byte, uint64, []byte, error) {
	p, err := paramsAt(st, head.Height+1)
	if err != nil {
		return nil, 0, nil, err
	}
	var used uint64
	x := &txCall{ctx: ctx, rt: rt, ws: state.NewWriteSet(st), p: &p, d: &tx.Decoded{Tx: tx.Tx{GasLimit: gasCap}},
		height: head.Height + 1, time: head.Time, chainID: head.ChainID, gasUsed: &used}
	ret, used, err := x.invoke(contract, address.Address{}, method, input, canon.U256{}, gasCap, true, false)
	if err != nil {
		var ne *nodeError
		if errors.As(err, &ne) {
			return nil, used, x.log, err
		}
		code, _ := failure(err)
		return nil, used, x.log, fmt.Errorf("%w: %v: %s", ErrQueryFailed, code, message(code, err))
	}
	return ret, used, x.log, nil
}
