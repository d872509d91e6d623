package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// Errors that make a block invalid: it is rejected whole, nothing of it is
// applied and nobody is charged. Each wraps the index of the offending
// transaction and the reason.
var (
	ErrInvalidBlock = errors.New("runtime: invalid block")
	ErrInvalidTx    = errors.New("runtime: invalid transaction")
	// Reasons a transaction is invalid (beside tx.ErrSignature, tx's
	// encoding errors and tx.ErrTooLarge).
	ErrChainID     = errors.New("wrong chain id")
	ErrNonce       = errors.New("wrong nonce")
	ErrGasPrice    = errors.New("gas price below the minimum")
	ErrGasLimit    = errors.New("gas limit below the intrinsic gas")
	ErrCannotPay   = errors.New("sender cannot pay the maximum fee")
	ErrUnsupported = errors.New("payload kind not executed by this runtime yet")
)

// InvalidTxError names the transaction that made a block invalid, so a
// proposer can drop it from its pool and try again. It is ErrInvalidBlock
// and its reason (errors.Is finds both).
type InvalidTxError struct {
	Index int
	Hash  [32]byte
	Err   error
}

func (e *InvalidTxError) Error() string {
	return fmt.Sprintf("%v: tx %d (%x): %v", ErrInvalidBlock, e.Index, e.Hash[:8], e.Err)
}

func (e *InvalidTxError) Unwrap() []error { return []error{ErrInvalidBlock, e.Err} }

// Output is what a block does: a receipt per transaction and the state
// changes, sorted, for state.Store.Prepare.
type Output struct {
	Receipts []Receipt
	Changes  []state.Change
	GasUsed  uint64
	// StateRoot is the root after the changes. Apply cannot know it (the
	// tree is the store's): the caller that prepares the changes on its
	// store sets it (chain.Chain does, and checks it against the header).
	StateRoot [32]byte
}

// Apply executes b on the state after its parent (st), given the parent's
// header and hash. It checks the header against the parent, the parameters
// and validator set in force; decodes and verifies every transaction
// (signatures on all cores); then runs them in order. It depends on
// nothing but its inputs. The caller checks b.Header.StateRoot against
// the root of the returned changes (state.Store.Prepare). The block's
// evidence is applied before its transactions (applyEvidence).
func (rt *Runtime) Apply(ctx context.Context, st state.Reader, parent *block.Header, parentHash [32]byte, b *block.Block) (*Output, error) {
	h := &b.Header
	if err := block.CheckChild(parent, parentHash, b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	p, err := paramsAt(st, h.Height)
	if err != nil {
		return nil, err
	}
	if err := checkInForce(st, h); err != nil {
		return nil, err
	}
	txs, err := decodeAll(b, &p, rt.sigs)
	if err != nil {
		return nil, err
	}
	// The signatures are checked on every core while the transactions
	// run: a block with a bad signature is thrown away whole anyway, and
	// its signature error is the one reported, whatever execution met, so
	// every node names the same reason.
	verified := make(chan error, 1)
	go func() { verified <- verifyAll(ctx, txs, rt.sigs) }()
	ws := state.NewWriteSet(st)
	// Evidence goes first: it changes only the validator set of later
	// heights, and a block's transactions see the offender gone.
	if err := applyEvidence(ws, st, h, &p, b.Evidence); err != nil {
		if verr := <-verified; verr != nil {
			return nil, verr
		}
		return nil, err
	}
	out := &Output{Receipts: make([]Receipt, len(txs))}
	fees, err := rt.applyAll(ctx, ws, h, &p, txs, out)
	if verr := <-verified; verr != nil {
		return nil, verr
	}
	if err != nil {
		return nil, err
	}
	// The block's fees are paid to its proposer once, after its last
	// transaction: one account write instead of one per transaction, and
	// no transaction of the block sees fees of the block.
	if !fees.IsZero() {
		if err := credit(ws, h.Proposer, &fees); err != nil {
			return nil, fmt.Errorf("%w: paying fees: %w", ErrInvalidBlock, err)
		}
	}
	out.Changes = ws.Changes()
	return out, nil
}

// applyAll runs the block's transactions in order, filling out's receipts
// and gas, and returns the fees they paid.
func (rt *Runtime) applyAll(ctx context.Context, ws *state.WriteSet, h *block.Header, p *params.Params, txs []*tx.Decoded, out *Output) (canon.U256, error) {
	var fees canon.U256
	for i, d := range txs {
		if err := ctx.Err(); err != nil {
			return fees, err
		}
		r, fee, err := rt.applyTx(ctx, ws, h, p, d)
		if err != nil {
			var ne *nodeError
			if errors.Is(err, ErrInvalidTx) && !errors.As(err, &ne) {
				return fees, &InvalidTxError{Index: i, Hash: d.Hash, Err: err}
			}
			return fees, fmt.Errorf("%w: tx %d (%x): %w", ErrInvalidBlock, i, d.Hash[:8], err)
		}
		out.Receipts[i] = r
		out.GasUsed += r.GasUsed
		if _, overflow := fees.AddOverflow(&fees.Int, &fee.Int); overflow {
			return fees, fmt.Errorf("%w: fees overflow", ErrInvalidBlock)
		}
	}
	return fees, nil
}

// checkInForce checks the header's parameter and validator hashes against
// those in force, and the block's size limits.
func checkInForce(st state.Reader, h *block.Header) error {
	ph, vh, err := InForce(st, h.Height)
	if err != nil {
		return err
	}
	if h.ParamsHash != ph {
		return fmt.Errorf("%w: params hash %x, in force %x", ErrInvalidBlock, h.ParamsHash[:8], ph[:8])
	}
	if h.ValidatorsHash != vh {
		return fmt.Errorf("%w: validators hash %x, in force %x", ErrInvalidBlock, h.ValidatorsHash[:8], vh[:8])
	}
	return nil
}

// decodeAll decodes the block's transactions and checks the block limits
// (the signatures are VerifyAll's).
func decodeAll(b *block.Block, p *params.Params, cache *tx.SigCache) ([]*tx.Decoded, error) {
	if len(b.Txs) > block.MaxTxs {
		// Another node could not even decode it (canon's array ceiling).
		return nil, fmt.Errorf("%w: %d transactions, the format allows %d", ErrInvalidBlock, len(b.Txs), block.MaxTxs)
	}
	txs := make([]*tx.Decoded, len(b.Txs))
	var bytes, gas, code uint64
	for i, raw := range b.Txs {
		// A transaction the node decoded and verified before (its
		// mempool took it) is the same bytes: the same result.
		d, ok := cache.Get(tx.Hash(raw))
		if !ok || len(raw) > int(p.MaxTxBytes) {
			var err error
			if d, err = tx.Decode(raw, int(p.MaxTxBytes)); err != nil {
				return nil, &InvalidTxError{Index: i, Hash: tx.Hash(raw), Err: err}
			}
		}
		txs[i] = d
		bytes += uint64(len(raw))
		gas += d.Tx.GasLimit
		if dep, ok := d.Tx.Payload.Body.(tx.Deploy); ok {
			code += uint64(len(dep.Code))
		}
	}
	switch {
	case bytes > uint64(p.MaxBlockBytes):
		return nil, fmt.Errorf("%w: %d bytes of transactions, limit %d", ErrInvalidBlock, bytes, p.MaxBlockBytes)
	case gas > p.MaxBlockGas:
		return nil, fmt.Errorf("%w: gas limits sum to %d, limit %d", ErrInvalidBlock, gas, p.MaxBlockGas)
	case code > uint64(p.MaxBlockCodeBytes):
		return nil, fmt.Errorf("%w: %d bytes of code deployed, limit %d", ErrInvalidBlock, code, p.MaxBlockCodeBytes)
	}
	return txs, nil
}

// VerifyAll checks the signatures of txs on every core. The first invalid
// one by index is reported, so every node reports the same one.
func VerifyAll(ctx context.Context, txs []*tx.Decoded) error { return verifyAll(ctx, txs, nil) }

// verifyAll is VerifyAll answering from cache what verified before.
func verifyAll(ctx context.Context, txs []*tx.Decoded, cache *tx.SigCache) error {
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	next := make(chan int, len(txs))
	for i := range txs {
		next <- i
	}
	close(next)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(txs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				errs[i] = cache.Verify(txs[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, err := range errs {
		if err != nil {
			return &InvalidTxError{Index: i, Hash: txs[i].Hash, Err: err}
		}
	}
	return nil
}

// applyTx runs one transaction. An error means the transaction is invalid
// (and so the block); a failed execution is a receipt.
func (rt *Runtime) applyTx(ctx context.Context, ws *state.WriteSet, h *block.Header, p *params.Params, d *tx.Decoded) (Receipt, canon.U256, error) {
	return rt.applyTxWith(ctx, ws, h, p, d, &txCall{})
}

// applyTxWith is applyTx with the execution state x, which a simulation
// keeps to read the debug log.
func (rt *Runtime) applyTxWith(ctx context.Context, ws *state.WriteSet, h *block.Header, p *params.Params, d *tx.Decoded, x *txCall) (Receipt, canon.U256, error) {
	t := &d.Tx
	if t.ChainID != h.ChainID {
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: %q", ErrInvalidTx, ErrChainID, t.ChainID)
	}
	if t.GasPrice.Lt(&p.MinGasPrice.Int) {
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: %s < %s", ErrInvalidTx, ErrGasPrice, t.GasPrice, p.MinGasPrice)
	}
	intrinsic := p.TxBaseGas + p.TxByteGas*uint64(len(d.Raw))
	if t.GasLimit < intrinsic {
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: %d < %d", ErrInvalidTx, ErrGasLimit, t.GasLimit, intrinsic)
	}
	sender, err := loadAccount(ws, d.Sender)
	if err != nil {
		return Receipt{}, canon.U256{}, err
	}
	if t.Nonce != sender.Nonce {
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: %d, account %s is at %d", ErrInvalidTx, ErrNonce, t.Nonce, d.Sender, sender.Nonce)
	}
	var maxFee canon.U256
	if _, overflow := maxFee.MulOverflow(uint256.NewInt(t.GasLimit), &t.GasPrice.Int); overflow || sender.Balance.Lt(&maxFee.Int) {
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: %s (balance %s)", ErrInvalidTx, ErrCannotPay, maxFee.String(), sender.Balance)
	}
	switch t.Payload.Body.(type) {
	case tx.Transfer, tx.Deploy, tx.Instantiate, tx.Call, tx.Migrate,
		tx.DeviceRegister, tx.DeviceUpdate, tx.DeviceRevoke, tx.Attest:
	default:
		return Receipt{}, canon.U256{}, fmt.Errorf("%w: %w: kind %d", ErrInvalidTx, ErrUnsupported, t.Payload.Body.Kind())
	}

	// Valid: the nonce bumps and the maximum fee is held whatever happens
	// next; the unused part comes back after execution.
	sender.Nonce++
	sender.Balance.Sub(&sender.Balance.Int, &maxFee.Int)
	if body, ok := t.Payload.Body.(tx.Transfer); ok && body.To != d.Sender {
		return applyTransfer(ws, p, d, body, sender, intrinsic, &maxFee)
	}
	if err := storeAccount(ws, d.Sender, sender); err != nil {
		return Receipt{}, canon.U256{}, err
	}
	gasUsed := intrinsic
	cp := ws.Checkpoint()
	*x = txCall{ctx: ctx, rt: rt, ws: ws, p: p, d: d, height: h.Height, time: h.Time, chainID: h.ChainID, gasUsed: &gasUsed}
	r, err := x.execute()
	if err != nil {
		code, failed := failure(err)
		if !failed {
			return Receipt{}, canon.U256{}, err // the node's own error: abort the block
		}
		ws.RevertTo(cp)
		r = Receipt{Code: code, Message: message(code, err)}
	} else {
		r.Events = append(x.events, r.Events...)
		ws.Commit(cp)
	}
	r.GasUsed = gasUsed
	fee, err := settleFee(ws, d, gasUsed, &maxFee)
	if err != nil {
		return Receipt{}, canon.U256{}, err
	}
	return r, fee, nil
}

// applyTransfer is a native transfer to another account with the sender's
// account (nonce bumped, maximum fee held) in hand: one read and one write
// of each account, where the general path takes several. Its outcome is
// the general path's, as TestScenarios and TestTransfers pin down.
func applyTransfer(ws *state.WriteSet, p *params.Params, d *tx.Decoded, body tx.Transfer, sender Account, intrinsic uint64, maxFee *canon.U256) (Receipt, canon.U256, error) {
	gasUsed := intrinsic
	var r Receipt
	switch {
	case d.Tx.GasLimit-gasUsed < p.TransferGas:
		gasUsed = d.Tx.GasLimit
		r = Receipt{Code: CodeOutOfGas, Message: CodeOutOfGas.String()}
	case sender.Balance.Lt(&body.Amount.Int):
		gasUsed += p.TransferGas
		r = Receipt{Code: CodeInsufficientFunds, Message: CodeInsufficientFunds.String()}
	default:
		gasUsed += p.TransferGas
		if err := credit(ws, body.To, &body.Amount); err != nil {
			code, failed := failure(err)
			if !failed {
				return Receipt{}, canon.U256{}, err
			}
			r = Receipt{Code: code, Message: message(code, err)}
			break
		}
		sender.Balance.Sub(&sender.Balance.Int, &body.Amount.Int)
		r = Receipt{Events: []Event{transferEvent(d.Sender, body)}}
	}
	r.GasUsed = gasUsed
	var fee, refund canon.U256
	fee.Mul(uint256.NewInt(gasUsed), &d.Tx.GasPrice.Int) // ≤ maxFee: cannot overflow
	refund.Sub(&maxFee.Int, &fee.Int)
	sender.Balance.Add(&sender.Balance.Int, &refund.Int) // gives back what was held: cannot overflow
	if err := storeAccount(ws, d.Sender, sender); err != nil {
		return Receipt{}, canon.U256{}, err
	}
	return r, fee, nil
}

// execute runs the payload, charging gasUsed as it goes.
func (x *txCall) execute() (Receipt, error) {
	switch body := x.d.Tx.Payload.Body.(type) {
	case tx.Transfer:
		if err := x.charge(x.p.TransferGas); err != nil {
			return Receipt{}, err
		}
		if err := transfer(x.ws, x.d.Sender, body.To, &body.Amount); err != nil {
			return Receipt{}, err
		}
		return Receipt{Events: []Event{transferEvent(x.d.Sender, body)}}, nil
	case tx.Deploy:
		return x.deploy(body)
	case tx.Instantiate:
		return x.instantiate(body)
	case tx.Call:
		return x.call(body)
	case tx.Migrate:
		return x.migrateTx(body)
	case tx.DeviceRegister:
		return x.deviceRegister(body)
	case tx.DeviceUpdate:
		return x.deviceUpdate(body)
	case tx.DeviceRevoke:
		return x.deviceRevoke(body)
	case tx.Attest:
		return x.attest(body)
	}
	return Receipt{}, fmt.Errorf("runtime: execute kind %d: %w", x.d.Tx.Payload.Body.Kind(), ErrUnsupported)
}

// transferEvent is the event of a native transfer.
func transferEvent(from address.Address, t tx.Transfer) Event {
	return Event{Type: "transfer", Attributes: []Attribute{
		{Key: "from", Value: from[:]},
		{Key: "to", Value: t.To[:]},
		{Key: "amount", Value: t.Amount.Bytes()},
	}}
}

// charge adds cost to gasUsed, failing with out-of-gas (and using the
// whole limit) past limit.
func charge(gasUsed *uint64, limit, cost uint64) error {
	if limit-*gasUsed < cost {
		*gasUsed = limit
		return fmt.Errorf("%w: limit %d", errOutOfGas, limit)
	}
	*gasUsed += cost
	return nil
}

// settleFee returns the unused part of the held maximum fee to the sender
// and returns the fee, for the proposer.
func settleFee(ws *state.WriteSet, d *tx.Decoded, gasUsed uint64, maxFee *canon.U256) (canon.U256, error) {
	var fee, refund canon.U256
	fee.Mul(uint256.NewInt(gasUsed), &d.Tx.GasPrice.Int) // ≤ maxFee: cannot overflow
	refund.Sub(&maxFee.Int, &fee.Int)
	if !refund.IsZero() {
		if err := credit(ws, d.Sender, &refund); err != nil {
			return canon.U256{}, err
		}
	}
	return fee, nil
}

// ParamsAt returns the parameters in force at height over st.
func ParamsAt(st state.Reader, height uint64) (params.Params, error) { return paramsAt(st, height) }

// InForce returns the hashes a header at height must carry over the state
// st after its parent: of the parameters and of the validator set in force.
func InForce(st state.Reader, height uint64) (paramsHash, validatorsHash [32]byte, err error) {
	p, err := paramsAt(st, height)
	if err != nil {
		return
	}
	if paramsHash, err = p.Hash(); err != nil {
		return
	}
	vb, ok, err := st.Get(ValidatorsKey())
	if err != nil {
		return
	}
	if !ok {
		err = fmt.Errorf("runtime: no validator set in state")
		return
	}
	return paramsHash, canon.TaggedHash("plinth/validators\x00", vb), nil
}

// paramsAt returns the parameters in force at height: the last change at
// or below it.
func paramsAt(st state.Reader, height uint64) (params.Params, error) {
	it, err := st.Iterate([]byte{prefixParams}, state.IterOptions{Reverse: true})
	if err != nil {
		return params.Params{}, err
	}
	defer it.Close()
	for it.Next() {
		k := it.Key()
		if len(k) != 9 {
			return params.Params{}, fmt.Errorf("runtime: params key of %d bytes", len(k))
		}
		if from := beUint64(k[1:]); from <= height {
			p, err := params.Decode(it.Value())
			if err != nil {
				return params.Params{}, err
			}
			return p, nil
		}
	}
	if err := it.Err(); err != nil {
		return params.Params{}, err
	}
	return params.Params{}, fmt.Errorf("runtime: no parameters in force at %d", height)
}
