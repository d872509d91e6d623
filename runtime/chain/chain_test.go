package chain

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

const chainID = "plinth-test"

type testNet struct {
	keys     []ed25519.PrivateKey
	addrs    []address.Address
	genesis  *runtime.Genesis
	proposer address.Address
}

func key(i int) ed25519.PrivateKey {
	seed := make([]byte, 32)
	seed[0], seed[1] = byte(i), byte(i>>8)
	return ed25519.NewKeyFromSeed(seed)
}

// genesisBalance funds each test account: enough to deploy a Go contract
// (about 10^10 gas at the minimum price).
const genesisBalance = 1_000_000_000_000_000

// newNet makes a genesis funding n accounts with genesisBalance each.
func newNet(t testing.TB, n int) *testNet {
	t.Helper()
	net := &testNet{proposer: address.FromPublicKey(key(60000).Public().(ed25519.PublicKey))}
	accounts := ""
	for i := 0; i < n; i++ {
		k := key(i)
		net.keys = append(net.keys, k)
		net.addrs = append(net.addrs, address.FromPublicKey(k.Public().(ed25519.PublicKey)))
		if i > 0 {
			accounts += ","
		}
		accounts += fmt.Sprintf(`{"address": %q, "balance": "%d"}`, net.addrs[i], genesisBalance)
	}
	val := hex.EncodeToString(key(60001).Public().(ed25519.PublicKey))
	g, err := runtime.ParseGenesis([]byte(fmt.Sprintf(`{
		"chain_id": %q, "genesis_time": "2026-12-01T00:00:00Z",
		"accounts": [%s],
		"validators": [{"public_key": %q, "power": 1, "name": "v0"}],
		"governance": %q
	}`, chainID, accounts, val, net.addrs[0])))
	if err != nil {
		t.Fatal(err)
	}
	net.genesis = g
	return net
}

func openChain(t testing.TB, dir string, g *runtime.Genesis) (*Chain, *state.Store) {
	t.Helper()
	return openChainWith(t, dir, g, runtime.Config{})
}

func openChainWith(t testing.TB, dir string, g *runtime.Genesis, cfg runtime.Config) (*Chain, *state.Store) {
	t.Helper()
	s, err := state.Open(dir, state.Options{ChainID: chainID})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := runtime.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	c, err := Open(context.Background(), s, rt, g)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return c, s
}

type txOpt func(*tx.Tx)

func (n *testNet) transfer(t testing.TB, from, to int, amount, nonce uint64, opts ...txOpt) []byte {
	t.Helper()
	tt := &tx.Tx{ChainID: chainID, Nonce: nonce, GasLimit: 200_000, GasPrice: canon.NewU256(1),
		Payload: tx.Payload{Body: tx.Transfer{To: n.addrs[to], Amount: canon.NewU256(amount)}}}
	for _, o := range opts {
		o(tt)
	}
	raw, err := tx.Sign(tt, n.keys[from])
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func balance(t testing.TB, r state.Reader, a address.Address) (uint64, uint64) {
	t.Helper()
	acc, err := runtime.LoadAccount(r, a)
	if err != nil {
		t.Fatal(err)
	}
	return acc.Balance.Uint64(), acc.Nonce
}

// TestTransfers: a block of transfers moves funds, bumps nonces, pays the
// proposer exactly gas used × price, and survives a reopen; a validator
// applying the proposed block on its own store reaches the same root and
// receipts.
func TestTransfers(t *testing.T) {
	net := newNet(t, 3)
	dir := t.TempDir()
	c, s := openChain(t, dir, net.genesis)
	txs := [][]byte{
		net.transfer(t, 0, 1, 500, 0),
		net.transfer(t, 0, 2, 700, 1),
		net.transfer(t, 1, 2, genesisBalance+1, 0), // more than account 1 holds: fails
	}
	b, out, err := c.Propose(context.Background(), txs, net.genesis.Time+1000, net.proposer)
	if err != nil {
		t.Fatal(err)
	}
	if out.Receipts[0].Code != runtime.CodeOK || out.Receipts[1].Code != runtime.CodeOK || out.Receipts[2].Code != runtime.CodeInsufficientFunds {
		t.Fatalf("receipts %+v", out.Receipts)
	}
	p := net.genesis.Params
	var fees uint64
	for i, r := range out.Receipts {
		want := p.TxBaseGas + p.TxByteGas*uint64(len(txs[i])) + p.TransferGas
		if r.GasUsed != want {
			t.Fatalf("tx %d used %d gas, want %d", i, r.GasUsed, want)
		}
		fees += r.GasUsed
	}
	check := func(r state.Reader) {
		t.Helper()
		for i, want := range []struct{ bal, nonce uint64 }{
			{genesisBalance - 500 - 700 - out.Receipts[0].GasUsed - out.Receipts[1].GasUsed, 2},
			{genesisBalance + 500 - out.Receipts[2].GasUsed, 1}, // failed: fee and nonce only
			{genesisBalance + 700, 0},
		} {
			if bal, nonce := balance(t, r, net.addrs[i]); bal != want.bal || nonce != want.nonce {
				t.Fatalf("account %d: balance %d nonce %d, want %d %d", i, bal, nonce, want.bal, want.nonce)
			}
		}
		if bal, _ := balance(t, r, net.proposer); bal != fees {
			t.Fatalf("proposer holds %d, fees were %d", bal, fees)
		}
	}
	check(s)
	// Reopen: the chain resumes at its head.
	s.Close()
	c, s = openChain(t, dir, net.genesis)
	defer s.Close()
	head, hh := c.Head()
	if bh, _ := b.Header.Hash(); head.Height != 1 || hh != bh {
		t.Fatalf("head after reopen: %d %x", head.Height, hh[:8])
	}
	check(s)
	if _, rec, err := s.Tx(tx.Hash(txs[2])); err != nil || len(rec) == 0 {
		t.Fatalf("receipt of tx 2: %v", err)
	}

	// A validator replays the block on a fresh store: same root, same receipts.
	v, vs := openChain(t, t.TempDir(), net.genesis)
	defer vs.Close()
	vout, err := v.Apply(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if vs.RootHash() != s.RootHash() || fmt.Sprint(vout.Receipts) != fmt.Sprint(out.Receipts) {
		t.Fatal("the validator's replay differs from the proposer's")
	}
}

// TestInvalidBlocks: each kind of invalid transaction, and a wrong state
// root, makes the block rejected whole: an error naming the reason, and
// nothing written.
func TestInvalidBlocks(t *testing.T) {
	net := newNet(t, 2)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	// Height 1, so that nonces and balances are past genesis.
	if _, _, err := c.Propose(context.Background(), [][]byte{net.transfer(t, 0, 1, 5, 0)}, net.genesis.Time+1, net.proposer); err != nil {
		t.Fatal(err)
	}
	root := s.RootHash()
	head, _ := c.Head()
	badSig := net.transfer(t, 0, 1, 5, 1)
	badSig[len(badSig)-1] ^= 1
	for name, tc := range map[string]struct {
		raw  []byte
		want error
	}{
		"bad signature":  {badSig, tx.ErrSignature},
		"wrong nonce":    {net.transfer(t, 0, 1, 5, 0), runtime.ErrNonce},
		"future nonce":   {net.transfer(t, 0, 1, 5, 2), runtime.ErrNonce},
		"other chain":    {net.transfer(t, 0, 1, 5, 1, func(x *tx.Tx) { x.ChainID = "plinth-main" }), runtime.ErrChainID},
		"gas price 0":    {net.transfer(t, 0, 1, 5, 1, func(x *tx.Tx) { x.GasPrice = canon.NewU256(0) }), runtime.ErrGasPrice},
		"gas below base": {net.transfer(t, 0, 1, 5, 1, func(x *tx.Tx) { x.GasLimit = 100 }), runtime.ErrGasLimit},
		"cannot pay fee": {net.transfer(t, 0, 1, 5, 1, func(x *tx.Tx) { x.GasPrice = canon.NewU256(1_000_000_000_000) }), runtime.ErrCannotPay},
		"not a tx":       {[]byte{0x80}, canon.ErrEncoding},
	} {
		_, _, err := c.Propose(context.Background(), [][]byte{net.transfer(t, 1, 0, 1, 0), tc.raw}, head.Time+1, net.proposer)
		if !errors.Is(err, runtime.ErrInvalidBlock) || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want ErrInvalidBlock and %v", name, err, tc.want)
		}
		if s.Height() != 1 || s.RootHash() != root {
			t.Fatalf("%s: the rejected block changed the store", name)
		}
	}
	// A block whose header names another state root.
	other, otherStore := openChain(t, t.TempDir(), net.genesis)
	defer otherStore.Close()
	b, _, err := other.Propose(context.Background(), [][]byte{net.transfer(t, 0, 1, 5, 0)}, net.genesis.Time+1, net.proposer)
	if err != nil {
		t.Fatal(err)
	}
	fresh, freshStore := openChain(t, t.TempDir(), net.genesis)
	defer freshStore.Close()
	b.Header.StateRoot[0] ^= 1
	if _, err := fresh.Apply(context.Background(), b); !errors.Is(err, ErrStateRoot) || freshStore.Height() != 0 {
		t.Fatalf("a wrong state root: %v (height %d)", err, freshStore.Height())
	}
}

// TestOutOfGas: a transfer with gas for its intrinsic cost but not its
// execution fails with out-of-gas, is charged its whole gas limit, and
// moves nothing.
func TestOutOfGas(t *testing.T) {
	net := newNet(t, 2)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	p := params.Version1()
	raw := net.transfer(t, 0, 1, 5, 0)
	limit := p.TxBaseGas + p.TxByteGas*uint64(len(raw)) + p.TransferGas - 1
	raw = net.transfer(t, 0, 1, 5, 0, func(x *tx.Tx) { x.GasLimit = limit })
	_, out, err := c.Propose(context.Background(), [][]byte{raw}, net.genesis.Time+1, net.proposer)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Receipts[0]; r.Code != runtime.CodeOutOfGas || r.GasUsed != limit {
		t.Fatalf("receipt %+v, want out of gas using %d", r, limit)
	}
	if bal, nonce := balance(t, s, net.addrs[1]); bal != genesisBalance || nonce != 0 {
		t.Fatalf("recipient %d", bal)
	}
	if bal, nonce := balance(t, s, net.addrs[0]); bal != genesisBalance-limit || nonce != 1 {
		t.Fatalf("sender %d nonce %d", bal, nonce)
	}
}

func openStore(t testing.TB) (*state.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := state.Open(dir, state.Options{ChainID: chainID})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// blocks proposes a block per send from the test accounts, keeping their
// nonces and the block time.
type blocks struct {
	t      testing.TB
	c      *Chain
	net    *testNet
	nonces map[int]uint64
	time   uint64
	made   []*block.Block
}

func newBlocks(t testing.TB, c *Chain, net *testNet) *blocks {
	return &blocks{t: t, c: c, net: net, nonces: map[int]uint64{}, time: net.genesis.Time}
}

// send proposes one block of bodies, all signed by account from, and
// returns their receipts.
func (bs *blocks) send(from int, bodies ...tx.Body) []runtime.Receipt {
	bs.t.Helper()
	var txs [][]byte
	for _, b := range bodies {
		txs = append(txs, bs.net.sign(bs.t, from, bs.nonces[from], b))
		bs.nonces[from]++
	}
	bs.time += 1000
	b, out, err := bs.c.Propose(context.Background(), txs, bs.time, bs.net.proposer)
	if err != nil {
		bs.t.Fatal(err)
	}
	bs.made = append(bs.made, b)
	return out.Receipts
}
