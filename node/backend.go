package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// The node is the API's backend; every read holds the chain lock shared.
var _ api.Backend = (*Node)(nil)

// Subscribe implements api.Streamer.
func (n *Node) Subscribe(f api.StreamFilter) (<-chan []api.StreamEvent, func()) {
	return n.hub.subscribe(f)
}

// Status implements api.Backend.
func (n *Node) Status(context.Context) (api.Status, error) {
	n.mu.RLock()
	h, hash := n.chain.Head()
	vals, err := n.chain.Validators(h.Height + 1)
	n.mu.RUnlock()
	if err != nil {
		return api.Status{}, fmt.Errorf("%w: %w", errState, err)
	}
	st := api.Status{ChainID: h.ChainID, Height: h.Height, BlockHash: hash[:], Time: h.Time, GenesisHash: n.genesisHash[:],
		MempoolTxs: n.pool.Len(), Dev: n.cfg.Genesis.Dev, StateRoot: h.StateRoot[:], Consensus: "solo", Validators: len(vals)}
	self := n.cfg.Proposer
	if n.engine != nil {
		es := n.engine.Status()
		st.Consensus, st.Round, st.CatchingUp, st.Peers = "bft", es.Round, es.CatchingUp, n.host.Peers()
		st.MissedBlocks, st.SyncedBlocks, st.Evidence = es.MissedBlocks, es.SyncedBlocks, es.Evidence
		self = address.FromPublicKey(n.cfg.Network.Key.Public().(ed25519.PublicKey))
	}
	for i, v := range vals {
		if address.FromPublicKey(ed25519.PublicKey(v.PublicKey)) == self {
			st.Validator = &api.ValidatorStatus{Index: i, Name: v.Name, Power: v.Power, Address: self}
		}
	}
	return st, nil
}

// SubmitTx implements api.Backend: a transaction the pool refuses is a bad
// request, named by the pool's error.
func (n *Node) SubmitTx(ctx context.Context, raw []byte) ([32]byte, error) {
	h, err := n.pool.Add(raw)
	if errors.Is(err, errState) {
		return [32]byte{}, err // the node's failure, not the request's: 500
	}
	if errors.Is(err, mempool.ErrPoolFull) {
		return [32]byte{}, fmt.Errorf("%w: %w", api.ErrBusy, err)
	}
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	if n.host != nil {
		// The network's proposers have it too; the pool has it if that
		// fails, and this node proposes it in its turn.
		if err := n.host.PublishTx(context.WithoutCancel(ctx), raw); err != nil {
			n.log.Warn("gossip transaction", "tx", fmt.Sprintf("%x", h[:8]), "err", err)
		}
		return h, nil
	}
	n.producer.Notify()
	return h, nil
}

// Tx implements api.Backend.
func (n *Node) Tx(_ context.Context, hash [32]byte) (api.TxResult, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	loc, raw, err := n.store.Tx(hash)
	if errors.Is(err, state.ErrNotFound) {
		return api.TxResult{}, fmt.Errorf("%w: transaction %x", api.ErrNotFound, hash)
	}
	if err != nil {
		return api.TxResult{}, err
	}
	var r runtime.Receipt
	if err := canon.UnmarshalStored(raw, &r); err != nil {
		return api.TxResult{}, fmt.Errorf("node: receipt of %x: %w", hash, err)
	}
	return api.TxResult{TxHash: hash[:], Height: loc.Height, Index: loc.Index, Receipt: receiptJSON(r)}, nil
}

// Account implements api.Backend.
func (n *Node) Account(_ context.Context, a address.Address) (api.Account, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	acc, err := runtime.LoadAccount(n.chain.State(), a)
	if err != nil {
		return api.Account{}, err
	}
	return api.Account{Address: a, Nonce: acc.Nonce, Balance: acc.Balance.String()}, nil
}

// Contract implements api.Backend.
func (n *Node) Contract(_ context.Context, a address.Address) (api.Contract, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	st := n.chain.State()
	c, err := runtime.LoadContract(st, a)
	if errors.Is(err, runtime.ErrUnknownContract) {
		return api.Contract{}, fmt.Errorf("%w: %w", api.ErrNotFound, err)
	}
	if err != nil {
		return api.Contract{}, err
	}
	acc, err := runtime.LoadAccount(st, a)
	if err != nil {
		return api.Contract{}, err
	}
	out := api.Contract{Address: a, CodeHash: c.CodeHash[:], Creator: c.Creator, Label: c.Label, Balance: acc.Balance.String()}
	if len(c.Admin) == 20 {
		admin := address.Address(c.Admin)
		out.Admin = &admin
	}
	return out, nil
}

// Device implements api.Backend.
func (n *Node) Device(_ context.Context, id [20]byte) (api.Device, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	d, ok, err := device.Get(n.chain.State(), device.ID(id))
	if err != nil {
		return api.Device{}, err
	}
	if !ok {
		return api.Device{}, fmt.Errorf("%w: device %x", api.ErrNotFound, id)
	}
	return api.Device{ID: id[:], Owner: d.Owner, KeyType: uint8(d.KeyType), PublicKey: d.PublicKey, Kind: d.Kind,
		Metadata: d.Metadata, Deposit: d.Deposit.String(), Revoked: d.Revoked}, nil
}

// Attestations implements api.Backend.
func (n *Node) Attestations(_ context.Context, id [20]byte, kind string, from, to uint64, limit int) ([]api.Attestation, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	st := n.chain.State()
	var as []*device.Attestation
	if kind != "" {
		a, ok, err := device.Latest(st, device.ID(id), kind)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: no %q attestation of device %x", api.ErrNotFound, kind, id)
		}
		as = append(as, a)
	} else {
		var err error
		if as, err = device.History(st, device.ID(id), from, to, limit); err != nil {
			return nil, err
		}
	}
	out := make([]api.Attestation, 0, len(as))
	for _, a := range as {
		aid, err := a.ID()
		if err != nil {
			return nil, err
		}
		out = append(out, api.Attestation{ID: aid[:], Device: a.Device[:], Seq: a.Seq, Time: a.Time, Kind: a.Kind, Payload: a.Payload})
	}
	return out, nil
}

// Block implements api.Backend.
func (n *Node) Block(_ context.Context, height uint64) (api.Block, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if height == 0 {
		height = n.store.Height()
	}
	if height == 0 {
		return api.Block{}, fmt.Errorf("%w: no block yet", api.ErrNotFound)
	}
	rec, err := n.store.BlockAt(height)
	if errors.Is(err, state.ErrNotFound) {
		return api.Block{}, fmt.Errorf("%w: block %d", api.ErrNotFound, height)
	}
	if err != nil {
		return api.Block{}, err
	}
	b, err := block.Decode(rec.Data, len(rec.Data))
	if err != nil {
		return api.Block{}, err
	}
	h := b.Header
	out := api.Block{Height: h.Height, Hash: rec.Hash[:], Time: h.Time, Proposer: h.Proposer, ParentHash: h.ParentHash[:], StateRoot: h.StateRoot[:], TxsRoot: h.TxsRoot[:]}
	for _, th := range rec.TxHashes {
		out.Txs = append(out.Txs, th[:])
	}
	return out, nil
}

// Query implements api.Backend, under the node's gas cap.
func (n *Node) Query(ctx context.Context, req api.QueryRequest) (api.QueryResult, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	gas := n.cfg.QueryGasCap
	if req.Gas > 0 && req.Gas < gas {
		gas = req.Gas
	}
	ret, used, log, err := n.chain.Query(ctx, req.Contract, req.Method, req.Input, gas)
	if errors.Is(err, runtime.ErrQueryFailed) {
		return api.QueryResult{GasUsed: used, Log: string(log)}, fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	if err != nil {
		return api.QueryResult{}, err
	}
	return api.QueryResult{Result: ret, GasUsed: used, Log: string(log)}, nil
}

// Simulate implements api.Backend: the transaction's gas limit is capped
// at the node's query cap.
func (n *Node) Simulate(ctx context.Context, req api.SimulateRequest) (api.SimulateResult, error) {
	var t tx.Tx
	if err := canon.Unmarshal(req.Tx, &t); err != nil {
		return api.SimulateResult{}, fmt.Errorf("%w: tx: %w", api.ErrBadRequest, err)
	}
	if t.GasLimit > n.cfg.QueryGasCap {
		t.GasLimit = n.cfg.QueryGasCap
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	sim, err := n.chain.Simulate(ctx, req.From, &t)
	if errors.Is(err, runtime.ErrInvalidTx) {
		return api.SimulateResult{}, fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	if err != nil {
		return api.SimulateResult{}, err
	}
	return api.SimulateResult{Receipt: receiptJSON(sim.Receipt), Log: string(sim.Log)}, nil
}

func receiptJSON(r runtime.Receipt) api.Receipt {
	out := api.Receipt{Code: uint32(r.Code), CodeName: r.Code.String(), GasUsed: r.GasUsed, Return: r.Return, Message: r.Message, Events: []api.Event{}}
	for _, e := range r.Events {
		ev := api.Event{Type: e.Type, Attributes: []api.Attribute{}}
		for _, a := range e.Attributes {
			ev.Attributes = append(ev.Attributes, api.Attribute{Key: a.Key, Value: a.Value})
		}
		out.Events = append(out.Events, ev)
	}
	return out
}

// headState is the mempool's view of the head (HeadState). The parameters
// in force change only with a block, so they are read once per head, not
// on every transaction the pool checks.
type headState struct {
	n *Node

	mu     sync.Mutex
	height uint64
	params *params.Params
}

func (h *headState) ChainID() string { return h.n.cfg.Genesis.ChainID }

func (h *headState) SigCache() *tx.SigCache { return h.n.sigs }

func (h *headState) Params() *params.Params {
	// The cached parameters are answered without the node's lock: every
	// transaction asks, and a commit holds the lock for tens of
	// milliseconds, during which arriving transactions would wait to be
	// checked instead of being checked (docs/benchmarks.md, issue 7).
	h.mu.Lock()
	if p := h.params; p != nil && h.height == h.n.chain.Height() {
		h.mu.Unlock()
		return p
	}
	h.mu.Unlock()
	h.n.mu.RLock()
	defer h.n.mu.RUnlock()
	head, _ := h.n.chain.Head()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.params != nil && h.height == head.Height {
		return h.params
	}
	p, err := runtime.ParamsAt(h.n.chain.State(), head.Height+1)
	if err != nil {
		h.n.log.Error("node: parameters in force", "err", err)
		gp := h.n.cfg.Genesis.Params
		return &gp
	}
	h.height, h.params = head.Height, &p
	return &p
}

func (h *headState) Account(a address.Address) (uint64, canon.U256, error) {
	h.n.mu.RLock()
	defer h.n.mu.RUnlock()
	acc, err := runtime.LoadAccount(h.n.chain.State(), a)
	if err != nil {
		return 0, canon.U256{}, fmt.Errorf("%w: account %s: %w", errState, a, err)
	}
	return acc.Nonce, acc.Balance, nil
}

// errState marks a failure to read the node's own state, so that the API
// answers 500 rather than blaming the request.
var errState = errors.New("node: reading state")
