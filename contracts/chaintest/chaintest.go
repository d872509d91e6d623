// Package chaintest runs contracts on the real chain from a Go test: the
// runtime (wazero, the host functions, gas) over a state store on Pebble
// in the test's temporary directory, fed real signed transactions, one
// block each. Where sdktest checks a contract's logic natively and
// quickly, chaintest checks that its WebAssembly build does the same
// thing on chain, with real gas.
package chaintest

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinthchain/plinth/contracts/build"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// ChainID is the test chain's id.
const ChainID = "chaintest"

// Proposer proposes every block and collects the fees: an address of no
// test account, so fees never blur an account's balance in a test.
var Proposer = address.FromPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))

// Balance is each account's genesis balance: enough to deploy many Go
// contracts (a few 10^8 gas each at price 1).
const Balance = 1_000_000_000_000_000

// GasLimit is every transaction's gas limit but a deploy's, and the gas
// cap of queries.
const GasLimit = 2_000_000_000

// DeployGasLimit is a deploy's gas limit: compiling a Go module of a few
// MB costs about 5,000 gas a byte (docs/gas.md), most of a block.
const DeployGasLimit = 50_000_000_000

// Chain is a single-node chain for one test.
type Chain struct {
	t       testing.TB
	dir     string
	genesis *runtime.Genesis
	keys    []ed25519.PrivateKey
	nonces  []uint64
	time    uint64

	store *state.Store
	rt    *runtime.Runtime
	c     *chain.Chain
}

// New starts a chain with n funded accounts (Account(0) … Account(n-1)).
// It is closed when the test ends.
func New(t testing.TB, n int) *Chain {
	t.Helper()
	c := &Chain{t: t, dir: t.TempDir()}
	accounts := ""
	for i := range n {
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1], seed[31] = byte(i), byte(i>>8), 0xc7
		k := ed25519.NewKeyFromSeed(seed)
		c.keys = append(c.keys, k)
		if i > 0 {
			accounts += ","
		}
		accounts += fmt.Sprintf(`{"address": %q, "balance": "%d"}`, c.Account(i), Balance)
	}
	c.nonces = make([]uint64, n)
	val := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	g, err := runtime.ParseGenesis([]byte(fmt.Sprintf(`{
		"chain_id": %q, "genesis_time": "2026-12-01T00:00:00Z",
		"accounts": [%s],
		"validators": [{"public_key": %q, "power": 1, "name": "v0"}],
		"governance": %q
	}`, ChainID, accounts, hex.EncodeToString(val), address.FromPublicKey(val))))
	if err != nil {
		t.Fatalf("chaintest: genesis: %v", err)
	}
	c.genesis = g
	c.time = g.Time
	c.open()
	t.Cleanup(c.close)
	return c
}

func (c *Chain) open() {
	c.t.Helper()
	s, err := state.Open(filepath.Join(c.dir, "state"), state.Options{ChainID: ChainID})
	if err != nil {
		c.t.Fatalf("chaintest: open the store: %v", err)
	}
	rt, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		s.Close()
		c.t.Fatalf("chaintest: runtime: %v", err)
	}
	ch, err := chain.Open(context.Background(), s, rt, c.genesis)
	if err != nil {
		rt.Close(context.Background())
		s.Close()
		c.t.Fatalf("chaintest: open the chain: %v", err)
	}
	c.store, c.rt, c.c = s, rt, ch
}

func (c *Chain) close() {
	if c.store == nil {
		return
	}
	c.rt.Close(context.Background())
	if err := c.store.Close(); err != nil {
		c.t.Errorf("chaintest: close the store: %v", err)
	}
	c.store, c.rt, c.c = nil, nil, nil
}

// Reopen closes the store and the runtime and opens them again on the
// same directory: what survives is what was committed.
func (c *Chain) Reopen() {
	c.t.Helper()
	c.close()
	c.open()
}

// Time is the last block's time (ms since the Unix epoch); the next block
// is a second later, plus any Advance.
func (c *Chain) Time() uint64 { return c.time }

// Advance moves the clock: the next block is ms later than it would
// have been (each block is otherwise a second after the last), for
// deadlines and voting periods.
func (c *Chain) Advance(ms uint64) { c.time += ms }

// Account is the address of test account i.
func (c *Chain) Account(i int) address.Address {
	return address.FromPublicKey(c.keys[i].Public().(ed25519.PublicKey))
}

// State is the head's state, for reading balances and storage directly.
func (c *Chain) State() state.Reader { return c.c.State() }

// Send signs body as account from and includes it alone in the next
// block, returning its receipt. An invalid transaction fails the test.
func (c *Chain) Send(from int, body tx.Body) runtime.Receipt {
	c.t.Helper()
	gas := uint64(GasLimit)
	if _, ok := body.(tx.Deploy); ok {
		gas = DeployGasLimit
	}
	raw, err := tx.Sign(&tx.Tx{ChainID: ChainID, Nonce: c.nonces[from], GasLimit: gas,
		GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, c.keys[from])
	if err != nil {
		c.t.Fatalf("chaintest: sign: %v", err)
	}
	c.time += 1000
	_, out, err := c.c.Propose(context.Background(), [][]byte{raw}, c.time, Proposer)
	if err != nil {
		c.t.Fatalf("chaintest: block: %v", err)
	}
	c.nonces[from]++
	return out.Receipts[0]
}

// Deploy stores code as account from and returns its code hash; a
// refusal fails the test.
func (c *Chain) Deploy(from int, code []byte) [32]byte {
	c.t.Helper()
	r := c.mustOK("deploy", c.Send(from, tx.Deploy{Code: code}))
	var h [32]byte
	if copy(h[:], r.Return) != 32 {
		c.t.Fatalf("chaintest: deploy returned %d bytes", len(r.Return))
	}
	return h
}

// Instantiate creates a contract from stored code as account from, with
// init as its init input and from as its admin; a failure fails the
// test.
func (c *Chain) Instantiate(from int, codeHash [32]byte, init []byte) address.Address {
	c.t.Helper()
	admin := c.Account(from)
	r := c.mustOK("instantiate", c.Send(from, tx.Instantiate{CodeHash: codeHash, Init: init, Label: "chaintest", Admin: admin[:]}))
	var a address.Address
	if copy(a[:], r.Return) != len(a) {
		c.t.Fatalf("chaintest: instantiate returned %d bytes", len(r.Return))
	}
	return a
}

// Call calls method of contract as account from and returns the receipt,
// failed or not.
func (c *Chain) Call(from int, contract address.Address, method string, input []byte) runtime.Receipt {
	c.t.Helper()
	return c.Send(from, tx.Call{Contract: contract, Method: method, Input: input})
}

// Query runs method of contract read-only on the head's state.
func (c *Chain) Query(contract address.Address, method string, input []byte) ([]byte, error) {
	out, _, _, err := c.c.Query(context.Background(), contract, method, input, GasLimit)
	return out, err
}

func (c *Chain) mustOK(what string, r runtime.Receipt) runtime.Receipt {
	c.t.Helper()
	if r.Code != runtime.CodeOK {
		c.t.Fatalf("chaintest: %s: code %d (%s): %s", what, r.Code, r.Code, r.Message)
	}
	return r
}

// Module reads the committed module of the reference contract name
// (contracts/<name>/<name>.wasm) from a test in any contracts/…
// package: the bytes contracts/build's tests keep equal to the source.
func Module(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name, name+".wasm"))
	if err != nil {
		t.Fatalf("chaintest: %v", err)
	}
	return b
}

// Build compiles the Go contract in dir with contracts/build (as `plinth
// contract build` does) and returns the module's bytes.
func Build(t testing.TB, dir string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "contract.wasm")
	if _, err := build.Build(context.Background(), dir, out); err != nil {
		t.Fatalf("chaintest: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("chaintest: %v", err)
	}
	return b
}
