package runtime

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// moduleAddress is the address of an account no key controls, held by the
// protocol itself (deposits, the genesis creator).
func moduleAddress(name string) address.Address {
	h := sha256.Sum256([]byte("plinth/addr/module\x00" + name))
	var a address.Address
	copy(a[:], h[:])
	return a
}

// GenesisState returns the state at height 0 over base (an empty store):
// the accounts, parameters, validators and privileged address, and the
// genesis contracts deployed and instantiated in order: each deploy may
// cost up to MaxBlockGas (what one block could spend: a Go module's
// compile price is in the billions) and each init runs with the VM's
// InitGas. A genesis contract that fails to deploy or initialize
// is an error: a chain does not start half-made.
func (rt *Runtime) GenesisState(ctx context.Context, base state.Reader, g *Genesis) (*state.WriteSet, error) {
	cs, err := g.Changes()
	if err != nil {
		return nil, err
	}
	ws := state.NewWriteSet(base)
	for _, c := range cs {
		if err := ws.Set(c.Key, c.Value); err != nil {
			return nil, err
		}
	}
	p := g.Params
	for i, gc := range g.Contracts {
		// The creator is credited the funds it hands the contract: genesis
		// funds are minted, as genesis balances are.
		if !gc.Funds.IsZero() {
			if err := credit(ws, GenesisCreator, &gc.Funds); err != nil {
				return nil, err
			}
		}
		var used uint64
		d := &tx.Decoded{Tx: tx.Tx{ChainID: g.ChainID, GasLimit: p.MaxBlockGas}, Sender: GenesisCreator}
		d.Hash = sha256.Sum256(append([]byte("plinth/genesis-contract\x00"), byte(i)))
		x := &txCall{ctx: ctx, rt: rt, ws: ws, p: &p, d: d, height: 0, time: g.Time, chainID: g.ChainID, gasUsed: &used}
		r, err := x.deploy(tx.Deploy{Code: gc.Code})
		if err != nil {
			return nil, fmt.Errorf("%w: contracts[%d] (%s): deploy: %w", ErrGenesis, i, gc.Label, err)
		}
		var hash [32]byte
		copy(hash[:], r.Return)
		used = 0
		d.Tx.GasLimit = p.VM.Gas.InitGas
		if _, err := x.instantiate(tx.Instantiate{CodeHash: hash, Init: gc.Init, Label: gc.Label, Admin: gc.Admin, Funds: gc.Funds}); err != nil {
			return nil, fmt.Errorf("%w: contracts[%d] (%s): instantiate: %w", ErrGenesis, i, gc.Label, err)
		}
	}
	return ws, nil
}
