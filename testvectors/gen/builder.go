package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// chainID and genesisTime are every vector's unless it says otherwise.
const chainID = "plinth-vectors"

var genesisTime = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// p is the parameters every vector runs under: version 1.
var p = params.Version1()

// builder assembles one vector: named accounts with well-known keys
// (seed = SHA-256 of "vector/" + name), a genesis, blocks of signed
// transactions, and the expectations derived by hand, which the
// generator checks against the implementation before writing the file.
type builder struct {
	v         testvectors.Vector
	keys      map[string]ed25519.PrivateKey
	nonces    map[string]uint64
	accounts  []map[string]any
	contracts []map[string]any
	time      uint64
	proposer  string
	hand      []handCheck
	watch     []address.Address // accounts recorded besides the named ones
	// governance, if set, is the privileged address instead of the
	// "governance" account's.
	governance *address.Address
	// validators, if set, names the genesis validators (power 1 each)
	// instead of the one "validator".
	validators []string
	// params, if set, is the genesis "params" object laid over version 1.
	params map[string]any
	err    error
}

// handCheck is an expectation worked out from the docs.
type handCheck struct {
	block, receipt int
	code           *uint32
	gas            *uint64
	invalid        *testvectors.Invalid
	account        string // with balance/nonce: the account after the block
	balance        *string
	nonce          *uint64
}

func newBuilder(name, description string) *builder {
	b := &builder{keys: map[string]ed25519.PrivateKey{}, nonces: map[string]uint64{},
		time: uint64(genesisTime.UnixMilli())}
	b.v = testvectors.Vector{Format: testvectors.Format, Name: name, Description: description, Derivation: "generated"}
	b.proposer = b.addr("proposer").String()
	return b
}

func (b *builder) key(name string) ed25519.PrivateKey {
	k, ok := b.keys[name]
	if !ok {
		seed := sha256.Sum256([]byte("vector/" + name))
		k = ed25519.NewKeyFromSeed(seed[:])
		b.keys[name] = k
	}
	return k
}

func (b *builder) addr(name string) address.Address {
	return address.FromPublicKey(b.key(name).Public().(ed25519.PublicKey))
}

// fund adds a genesis account.
func (b *builder) fund(name string, balance uint64) {
	b.accounts = append(b.accounts, map[string]any{"address": b.addr(name).String(), "balance": fmt.Sprint(balance)})
}

// txOpt changes a transaction before it is signed, or its bytes after.
type txOpt struct {
	tx  func(*tx.Tx)
	raw func([]byte) []byte
}

func gas(limit uint64) txOpt             { return txOpt{tx: func(t *tx.Tx) { t.GasLimit = limit }} }
func price(v uint64) txOpt               { return txOpt{tx: func(t *tx.Tx) { t.GasPrice = canon.NewU256(v) }} }
func nonce(n uint64) txOpt               { return txOpt{tx: func(t *tx.Tx) { t.Nonce = n }} }
func chain(id string) txOpt              { return txOpt{tx: func(t *tx.Tx) { t.ChainID = id }} }
func mangle(f func([]byte) []byte) txOpt { return txOpt{raw: f} }

// tx signs body from account from with its next nonce (unless an option
// sets one), gas limit 100,000 (a transfer needs about 83,000) and price 1.
func (b *builder) tx(from string, body tx.Body, opts ...txOpt) testvectors.Hex {
	t := &tx.Tx{ChainID: chainID, Nonce: b.nonces[from], GasLimit: 100_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}
	for _, o := range opts {
		if o.tx != nil {
			o.tx(t)
		}
	}
	if t.Nonce == b.nonces[from] {
		b.nonces[from]++
	}
	raw, err := tx.Sign(t, b.key(from))
	if err != nil && b.err == nil {
		b.err = err
	}
	for _, o := range opts {
		if o.raw != nil {
			raw = o.raw(raw)
		}
	}
	return raw
}

// block appends a block of txs, a second after the last, proposed by
// "proposer"; it returns the block's index.
func (b *builder) block(txs ...testvectors.Hex) int {
	b.time += 1000
	if txs == nil {
		txs = []testvectors.Hex{}
	}
	b.v.Blocks = append(b.v.Blocks, testvectors.Block{Time: b.time, Proposer: b.proposer, Txs: txs})
	return len(b.v.Blocks) - 1
}

// evidenceBlock appends a block of no transactions carrying evidence.
func (b *builder) evidenceBlock(evidence ...testvectors.Hex) int {
	i := b.block()
	b.v.Blocks[i].Evidence = evidence
	return i
}

// derive records the derivation text of a hand vector.
func (b *builder) derive(format string, args ...any) {
	b.v.Derivation = "hand: " + fmt.Sprintf(format, args...)
}

func (b *builder) wantReceipt(block, receipt int, code uint32, gas uint64) {
	b.hand = append(b.hand, handCheck{block: block, receipt: receipt, code: &code, gas: &gas})
}

func (b *builder) wantInvalid(block, tx int, reason string) {
	b.hand = append(b.hand, handCheck{block: block, invalid: &testvectors.Invalid{Tx: tx, Reason: reason}})
}

func (b *builder) wantAccount(block int, name string, balance uint64, nonce uint64) {
	bal := fmt.Sprint(balance)
	b.hand = append(b.hand, handCheck{block: block, account: b.addr(name).String(), balance: &bal, nonce: &nonce})
}

// genesis writes the genesis object: the funded accounts, one validator,
// "governance" as the privileged address, version 1 parameters.
func (b *builder) genesis() json.RawMessage {
	g := map[string]any{
		"chain_id":     chainID,
		"genesis_time": genesisTime.Format(time.RFC3339),
		"accounts":     b.accounts,
		"validators":   []map[string]any{{"public_key": hex.EncodeToString(b.key("validator").Public().(ed25519.PublicKey)), "power": 1, "name": "v"}},
		"governance":   b.addr("governance").String(),
	}
	if len(b.validators) > 0 {
		var vs []map[string]any
		for _, name := range b.validators {
			vs = append(vs, map[string]any{"public_key": hex.EncodeToString(b.key(name).Public().(ed25519.PublicKey)), "power": 1, "name": name})
		}
		g["validators"] = vs
	}
	if b.params != nil {
		g["params"] = b.params
	}
	if b.governance != nil {
		g["governance"] = b.governance.String()
	}
	if len(b.contracts) > 0 {
		g["contracts"] = b.contracts
	}
	raw, err := json.Marshal(g)
	if err != nil {
		panic(err)
	}
	return raw
}

// intrinsic is TxBaseGas + TxByteGas × len(signed bytes)
// (docs/protocol.md, "Gas and fees").
func intrinsic(raw []byte) uint64 { return p.TxBaseGas + p.TxByteGas*uint64(len(raw)) }
