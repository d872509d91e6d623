package mempool_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
)

const chainID = "mempool-test"

// fundedBalance pays for many transactions at the prices the tests use.
const fundedBalance = 1_000_000_000_000

// gasLimit of the tests' transactions: a transfer's intrinsic gas (about
// 63,000 with params.Version1) and its execution, with room.
const gasLimit = 100_000

// fakeState is the head as the pool sees it: parameters and accounts the
// test sets. An account never set is funded with fundedBalance.
type fakeState struct {
	mu       sync.Mutex
	p        params.Params
	accounts map[address.Address]fakeAccount
	err      error
	// onAccount, if set, runs inside each Account call.
	onAccount func()
}

type fakeAccount struct {
	nonce   uint64
	balance uint256.Int
}

func newState() *fakeState {
	return &fakeState{p: params.Version1(), accounts: map[address.Address]fakeAccount{}}
}

func (*fakeState) SigCache() *tx.SigCache { return nil }

func (s *fakeState) Params() *params.Params {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.p
	return &p
}

func (s *fakeState) ChainID() string { return chainID }

func (s *fakeState) Account(a address.Address) (uint64, canon.U256, error) {
	s.mu.Lock()
	hook := s.onAccount
	acc, ok := s.accounts[a]
	err := s.err
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err != nil {
		return 0, canon.U256{}, err
	}
	if !ok {
		return 0, canon.NewU256(fundedBalance), nil
	}
	return acc.nonce, canon.U256{Int: acc.balance}, nil
}

func (s *fakeState) set(a address.Address, nonce, balance uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[a] = fakeAccount{nonce: nonce, balance: *uint256.NewInt(balance)}
}

func (s *fakeState) setParams(f func(*params.Params)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.p)
}

// commit plays a block: each transaction's sender's nonce moves past it
// (it must be the account's next) and its maximum fee is charged.
func (s *fakeState) commit(t testing.TB, txs [][]byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, raw := range txs {
		d, err := tx.Decode(raw, len(raw))
		if err != nil {
			t.Errorf("reaped an undecodable tx: %v", err)
			return
		}
		acc, ok := s.accounts[d.Sender]
		if !ok {
			acc.balance = *uint256.NewInt(fundedBalance)
		}
		if d.Tx.Nonce != acc.nonce {
			t.Errorf("reaped %s's nonce %d, account at %d", d.Sender, d.Tx.Nonce, acc.nonce)
		}
		var fee uint256.Int
		fee.Mul(uint256.NewInt(d.Tx.GasLimit), &d.Tx.GasPrice.Int)
		if acc.balance.Lt(&fee) {
			t.Errorf("reaped %s's nonce %d, which it cannot pay", d.Sender, d.Tx.Nonce)
		}
		acc.balance.Sub(&acc.balance, &fee)
		acc.nonce++
		s.accounts[d.Sender] = acc
	}
}

// sender is a key whose transactions the tests sign.
type sender struct {
	key  ed25519.PrivateKey
	addr address.Address
}

func newSender(i int) sender {
	seed := make([]byte, 32)
	seed[0], seed[1], seed[2] = byte(i), byte(i>>8), 0x5e
	k := ed25519.NewKeyFromSeed(seed)
	return sender{key: k, addr: address.FromPublicKey(k.Public().(ed25519.PublicKey))}
}

// tx signs a transfer of 1 at nonce and price, changed by mods.
func (s sender) tx(t testing.TB, nonce, price uint64, mods ...func(*tx.Tx)) []byte {
	t.Helper()
	body := &tx.Tx{ChainID: chainID, Nonce: nonce, GasLimit: gasLimit, GasPrice: canon.NewU256(price),
		Payload: tx.Payload{Body: tx.Transfer{To: address.Address{7}, Amount: canon.NewU256(1)}}}
	for _, m := range mods {
		m(body)
	}
	raw, err := tx.Sign(body, s.key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func withGas(g uint64) func(*tx.Tx) { return func(t *tx.Tx) { t.GasLimit = g } }

// withInput makes the transaction a call carrying n bytes of input: a
// bigger transaction, or one that differs from another with the same
// nonce and price.
func withInput(n int) func(*tx.Tx) {
	return func(t *tx.Tx) {
		t.Payload = tx.Payload{Body: tx.Call{Contract: address.Address{8}, Method: "m", Input: bytes.Repeat([]byte{1}, n)}}
	}
}

func withCode(n int) func(*tx.Tx) {
	return func(t *tx.Tx) { t.Payload = tx.Payload{Body: tx.Deploy{Code: bytes.Repeat([]byte{0}, n)}} }
}

func newPool(t testing.TB, cfg mempool.Config, st *fakeState) *mempool.Mempool {
	t.Helper()
	return mempool.New(cfg, st, slog.New(slog.DiscardHandler))
}

func mustAdd(t testing.TB, m *mempool.Mempool, raw []byte) [32]byte {
	t.Helper()
	h, err := m.Add(raw)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if h != tx.Hash(raw) {
		t.Fatalf("Add returned hash %x, the tx's is %x", h, tx.Hash(raw))
	}
	return h
}

// hashes names txs by their hashes' first bytes, for failure messages.
func hashes(txs [][]byte) []string {
	out := make([]string, len(txs))
	for i, raw := range txs {
		h := tx.Hash(raw)
		out[i] = fmt.Sprintf("%x", h[:4])
	}
	return out
}

func sameTxs(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d txs %v, want %d %v", what, len(got), hashes(got), len(want), hashes(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: txs %v, want %v", what, hashes(got), hashes(want))
		}
	}
}

// TestAddRefuses: each reason to refuse a transaction, each by its own
// error; a refused transaction is not in the pool afterwards, and the
// pool is otherwise unchanged.
func TestAddRefuses(t *testing.T) {
	a, b := newSender(1), newSender(2)
	errState := errors.New("state unavailable")
	cases := []struct {
		name  string
		cfg   mempool.Config
		setup func(t *testing.T, st *fakeState, m *mempool.Mempool)
		raw   func(t *testing.T) []byte
		want  []error
	}{
		{name: "malformed", raw: func(*testing.T) []byte { return []byte{0x83, 1, 2} }, want: []error{mempool.ErrMalformed, canon.ErrEncoding}},
		{name: "too large", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) {
			st.setParams(func(p *params.Params) { p.MaxTxBytes = 100 })
		},
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 1) }, want: []error{mempool.ErrMalformed, tx.ErrTooLarge}},
		{name: "bad signature", raw: func(t *testing.T) []byte {
			var s tx.Signed
			if err := canon.Unmarshal(a.tx(t, 0, 1), &s); err != nil {
				t.Fatal(err)
			}
			s.Signature[0] ^= 1
			raw, err := canon.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}, want: []error{mempool.ErrBadSignature, tx.ErrSignature}},
		{name: "wrong chain", raw: func(t *testing.T) []byte { return a.tx(t, 0, 1, func(x *tx.Tx) { x.ChainID = "other" }) }, want: []error{mempool.ErrWrongChain}},
		{name: "gas price below the minimum", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) {
			st.setParams(func(p *params.Params) { p.MinGasPrice = canon.NewU256(10) })
		}, raw: func(t *testing.T) []byte { return a.tx(t, 0, 9) }, want: []error{mempool.ErrGasPriceTooLow}},
		{name: "gas limit below intrinsic", raw: func(t *testing.T) []byte { return a.tx(t, 0, 1, withGas(60_000)) }, want: []error{mempool.ErrIntrinsicGas}},
		{name: "gas limit above the block's", raw: func(t *testing.T) []byte {
			return a.tx(t, 0, 1, withGas(params.Version1().MaxBlockGas+1))
		}, want: []error{mempool.ErrGasLimitTooHigh}},
		{name: "code larger than a block's", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) {
			st.setParams(func(p *params.Params) { p.MaxBlockCodeBytes = 100 })
		}, raw: func(t *testing.T) []byte { return a.tx(t, 0, 1, withCode(101)) }, want: []error{mempool.ErrCodeTooLarge}},
		{name: "nonce too low", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) { st.set(a.addr, 5, fundedBalance) },
			raw: func(t *testing.T) []byte { return a.tx(t, 4, 1) }, want: []error{mempool.ErrNonceTooLow}},
		{name: "too far ahead", cfg: mempool.Config{MaxFuturePerSender: 3},
			raw: func(t *testing.T) []byte { return a.tx(t, 4, 1) }, want: []error{mempool.ErrTooFarAhead}},
		{name: "cannot pay", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) { st.set(a.addr, 0, gasLimit*3-1) },
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 3) }, want: []error{mempool.ErrInsufficientFunds}},
		{name: "cannot pay after its pooled predecessors", setup: func(t *testing.T, st *fakeState, m *mempool.Mempool) {
			st.set(a.addr, 0, gasLimit*5)
			mustAdd(t, m, a.tx(t, 0, 2))
			mustAdd(t, m, a.tx(t, 1, 2))
		}, raw: func(t *testing.T) []byte { return a.tx(t, 2, 2) }, want: []error{mempool.ErrInsufficientFunds}},
		{name: "fee overflows", raw: func(t *testing.T) []byte {
			return a.tx(t, 0, 1, func(x *tx.Tx) { x.GasPrice.Lsh(uint256.NewInt(1), 255) })
		}, want: []error{mempool.ErrInsufficientFunds}},
		{name: "known", setup: func(t *testing.T, _ *fakeState, m *mempool.Mempool) { mustAdd(t, m, a.tx(t, 0, 1)) },
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 1) }, want: []error{mempool.ErrKnown}},
		{name: "replacement underpriced", setup: func(t *testing.T, _ *fakeState, m *mempool.Mempool) { mustAdd(t, m, a.tx(t, 0, 100)) },
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 109, withInput(1)) }, want: []error{mempool.ErrUnderpriced}},
		{name: "pool full", cfg: mempool.Config{MaxTxs: 1}, setup: func(t *testing.T, _ *fakeState, m *mempool.Mempool) { mustAdd(t, m, b.tx(t, 0, 5)) },
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 5) }, want: []error{mempool.ErrPoolFull}},
		{name: "larger than the pool", cfg: mempool.Config{MaxBytes: 200},
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 1, withInput(200)) }, want: []error{mempool.ErrPoolFull}},
		{name: "state fails", setup: func(_ *testing.T, st *fakeState, _ *mempool.Mempool) { st.err = errState },
			raw: func(t *testing.T) []byte { return a.tx(t, 0, 1) }, want: []error{errState}},
	}
	sentinels := []error{mempool.ErrMalformed, mempool.ErrBadSignature, mempool.ErrWrongChain, mempool.ErrGasPriceTooLow,
		mempool.ErrIntrinsicGas, mempool.ErrGasLimitTooHigh, mempool.ErrCodeTooLarge, mempool.ErrNonceTooLow, mempool.ErrTooFarAhead,
		mempool.ErrInsufficientFunds, mempool.ErrKnown, mempool.ErrUnderpriced, mempool.ErrPoolFull}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newState()
			cfg := mempool.DefaultConfig()
			if c.cfg != (mempool.Config{}) {
				cfg = c.cfg
				cfg.ReplaceBumpPercent = 10
			}
			m := newPool(t, cfg, st)
			if c.setup != nil {
				c.setup(t, st, m)
			}
			raw := c.raw(t)
			n, size := m.Len(), m.Bytes()
			_, err := m.Add(raw)
			t.Log(err)
			for _, want := range c.want {
				if !errors.Is(err, want) {
					t.Fatalf("Add: %v, want %v", err, want)
				}
			}
			// Exactly one reason: the sentinels are distinct.
			var matched []error
			for _, s := range sentinels {
				if errors.Is(err, s) {
					matched = append(matched, s)
				}
			}
			if len(matched) > 1 {
				t.Fatalf("Add: %v is %d reasons: %v", err, len(matched), matched)
			}
			if m.Len() != n || m.Bytes() != size {
				t.Fatalf("after a refusal the pool holds %d txs, %d bytes; before %d, %d", m.Len(), m.Bytes(), n, size)
			}
			if c.name != "known" {
				if _, ok := m.Get(tx.Hash(raw)); ok {
					t.Fatal("a refused tx is in the pool")
				}
			}
			if len(m.Reap(1<<62, 1<<30)) != n {
				t.Fatal("the refused tx is reaped")
			}
		})
	}
}

// TestReapOrder: per sender by nonce, whatever the prices; across senders
// the highest price of each sender's next transaction first; equal prices
// by hash; the same pool reaps the same block.
func TestReapOrder(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a, b := newSender(1), newSender(2)
	// Added out of order: a's nonce 1 pays most but waits for nonce 0.
	a1, a0, b0, b1 := a.tx(t, 1, 100), a.tx(t, 0, 1), b.tx(t, 0, 50), b.tx(t, 1, 2)
	for _, raw := range [][]byte{a1, b1, a0, b0} {
		mustAdd(t, m, raw)
	}
	sameTxs(t, "reap", m.Reap(1<<62, 1<<30), [][]byte{b0, b1, a0, a1})

	// Ties: five senders at one price come by hash, every time.
	m = newPool(t, mempool.DefaultConfig(), st)
	var tied [][]byte
	for i := 10; i < 15; i++ {
		raw := newSender(i).tx(t, 0, 7)
		mustAdd(t, m, raw)
		tied = append(tied, raw)
	}
	sort.Slice(tied, func(i, j int) bool {
		hi, hj := tx.Hash(tied[i]), tx.Hash(tied[j])
		return bytes.Compare(hi[:], hj[:]) < 0
	})
	for i := 0; i < 3; i++ {
		sameTxs(t, "reap of equal prices", m.Reap(1<<62, 1<<30), tied)
	}
}

// TestReapSkipsGap: a sender whose account nonce is missing from the pool
// offers nothing; its transactions are queued until the gap is filled.
func TestReapSkipsGap(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a, b := newSender(1), newSender(2)
	a1, a2, b0 := a.tx(t, 1, 9), a.tx(t, 2, 9), b.tx(t, 0, 1)
	for _, raw := range [][]byte{a1, a2, b0} {
		mustAdd(t, m, raw)
	}
	sameTxs(t, "reap with a gap", m.Reap(1<<62, 1<<30), [][]byte{b0})
	for _, info := range m.Pending(a.addr) {
		if !info.Queued {
			t.Fatalf("nonce %d behind a gap is not queued", info.Nonce)
		}
	}
	a0 := a.tx(t, 0, 1)
	mustAdd(t, m, a0)
	for _, info := range m.Pending(a.addr) {
		if info.Queued {
			t.Fatalf("nonce %d is queued with the gap filled", info.Nonce)
		}
	}
	sameTxs(t, "reap with the gap filled", m.Reap(1<<62, 1<<30), [][]byte{a0, a1, a2, b0})
}

// TestReapLimits: the sum of gas limits, of sizes and of deployed code stay
// within the bounds; a sender whose next transaction does not fit offers
// nothing more, while smaller transactions of others still fill the block.
func TestReapLimits(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a, b, c := newSender(1), newSender(2), newSender(3)
	a0, a1 := a.tx(t, 0, 10, withGas(300_000)), a.tx(t, 1, 10)
	b0, c0 := b.tx(t, 0, 5, withGas(150_000)), c.tx(t, 0, 1)
	for _, raw := range [][]byte{a0, a1, b0, c0} {
		mustAdd(t, m, raw)
	}
	sameTxs(t, "gas 250k", m.Reap(250_000, 1<<30), [][]byte{b0, c0})
	sameTxs(t, "gas 400k", m.Reap(400_000, 1<<30), [][]byte{a0, a1})
	sameTxs(t, "gas 0", m.Reap(0, 1<<30), nil)
	sameTxs(t, "bytes of two", m.Reap(1<<62, len(a0)+len(a1)), [][]byte{a0, a1})
	sameTxs(t, "bytes of one", m.Reap(1<<62, len(a0)), [][]byte{a0})
	// The parameters bound a block too, whatever the caller asks.
	st.setParams(func(p *params.Params) { p.MaxBlockGas = 300_000 })
	sameTxs(t, "gas above the block's", m.Reap(1<<62, 1<<30), [][]byte{a0})

	st = newState()
	st.setParams(func(p *params.Params) { p.MaxBlockCodeBytes = 300 })
	m = newPool(t, mempool.DefaultConfig(), st)
	d0, e0 := a.tx(t, 0, 2, withCode(200), withGas(200_000)), b.tx(t, 0, 1, withCode(200), withGas(200_000))
	mustAdd(t, m, d0)
	mustAdd(t, m, e0)
	sameTxs(t, "code", m.Reap(1<<62, 1<<30), [][]byte{d0})
}

// TestReplacement: a transaction with a pooled one's sender and nonce
// replaces it only at the bump or more, and always for a higher price.
func TestReplacement(t *testing.T) {
	a := newSender(1)
	cases := []struct {
		bump             uint64
		old, below, need uint64
	}{
		{bump: 10, old: 100, below: 109, need: 110},
		{bump: 10, old: 99, below: 108, need: 109}, // 108.9 rounds up
		{bump: 10, old: 1, below: 1, need: 2},      // never free
		{bump: 0, old: 5, below: 5, need: 6},       // higher, even without a bump
		{bump: 100, old: 7, below: 13, need: 14},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("bump %d from %d", c.bump, c.old), func(t *testing.T) {
			cfg := mempool.DefaultConfig()
			cfg.ReplaceBumpPercent = c.bump
			m := newPool(t, cfg, newState())
			old := mustAdd(t, m, a.tx(t, 0, c.old))
			if _, err := m.Add(a.tx(t, 0, c.below, withInput(1))); !errors.Is(err, mempool.ErrUnderpriced) {
				t.Fatalf("replacing at %d: %v, want ErrUnderpriced", c.below, err)
			}
			raw := a.tx(t, 0, c.need, withInput(1))
			h := mustAdd(t, m, raw)
			if _, ok := m.Get(old); ok {
				t.Fatal("the replaced tx is still pooled")
			}
			if info, ok := m.Get(h); !ok || info.GasPrice.Uint64() != c.need || !bytes.Equal(info.Raw, raw) {
				t.Fatalf("the replacement: %+v, %v", info, ok)
			}
			if m.Len() != 1 || m.Bytes() != len(raw) {
				t.Fatalf("pool of %d txs, %d bytes after a replacement; want 1, %d", m.Len(), m.Bytes(), len(raw))
			}
		})
	}
}

// TestReplacementAffordability: a replacement is judged with the fee it
// replaces taken out; if it leaves later transactions of the sender
// unpaid, they go (the sender chose to pay more for the earlier one).
func TestReplacementAffordability(t *testing.T) {
	st := newState()
	a := newSender(1)
	st.set(a.addr, 0, gasLimit*200)
	m := newPool(t, mempool.DefaultConfig(), st)
	mustAdd(t, m, a.tx(t, 0, 100))
	later := mustAdd(t, m, a.tx(t, 1, 100))
	if _, err := m.Add(a.tx(t, 0, 201)); !errors.Is(err, mempool.ErrInsufficientFunds) {
		t.Fatalf("a replacement the sender cannot pay even alone: %v", err)
	}
	mustAdd(t, m, a.tx(t, 0, 110))
	if _, ok := m.Get(later); ok || m.Len() != 1 {
		t.Fatalf("the later tx the replacement leaves unpaid is still pooled (%d txs)", m.Len())
	}
}

// TestFutureCap: a sender may pool at most MaxFuturePerSender nonces past
// its next executable one.
func TestFutureCap(t *testing.T) {
	cfg := mempool.DefaultConfig()
	cfg.MaxFuturePerSender = 2
	st := newState()
	a := newSender(1)
	st.set(a.addr, 10, fundedBalance)
	m := newPool(t, cfg, st)
	steps := []struct {
		nonce uint64
		want  error
	}{
		{13, mempool.ErrTooFarAhead}, // next executable 10
		{12, nil},
		{11, nil},
		{14, mempool.ErrTooFarAhead},
		{10, nil}, // fills the gap: next executable 13
		{15, nil},
		{16, mempool.ErrTooFarAhead},
		{14, nil},
		{17, mempool.ErrTooFarAhead}, // 13 is still missing
		{13, nil},                    // next executable 16
		{17, nil},
		{18, nil},
		{19, mempool.ErrTooFarAhead},
	}
	for _, s := range steps {
		if _, err := m.Add(a.tx(t, s.nonce, 1)); !errors.Is(err, s.want) {
			t.Fatalf("nonce %d: %v, want %v", s.nonce, err, s.want)
		}
	}
	var got []string
	for _, info := range m.Pending(a.addr) {
		got = append(got, fmt.Sprintf("%d:%v", info.Nonce, info.Queued))
	}
	if want := "[10:false 11:false 12:false 13:false 14:false 15:false 17:true 18:true]"; fmt.Sprint(got) != want {
		t.Fatalf("pending of a: %v, want %v", got, want)
	}
}

// TestEviction: past MaxTxs the cheapest last transaction of any sender
// goes, never one with a later nonce behind it; a newcomer that would be
// the cheapest (or tie with it) is refused instead.
func TestEviction(t *testing.T) {
	a, b, c, d := newSender(1), newSender(2), newSender(3), newSender(4)
	cfg := mempool.DefaultConfig()
	cfg.MaxTxs = 3

	t.Run("cheapest tail", func(t *testing.T) {
		m := newPool(t, cfg, newState())
		a0, a1, b0 := a.tx(t, 0, 10), a.tx(t, 1, 1), b.tx(t, 0, 5)
		for _, raw := range [][]byte{a0, a1, b0} {
			mustAdd(t, m, raw)
		}
		c0 := c.tx(t, 0, 3)
		mustAdd(t, m, c0)
		if _, ok := m.Get(tx.Hash(a1)); ok || m.Len() != 3 {
			t.Fatalf("a's nonce 1 at price 1 not evicted (%d txs)", m.Len())
		}
		for _, price := range []uint64{2, 3} { // below and equal to the cheapest
			if _, err := m.Add(d.tx(t, 0, price)); !errors.Is(err, mempool.ErrPoolFull) {
				t.Fatalf("a newcomer at %d, the cheapest at 3: %v, want ErrPoolFull", price, err)
			}
		}
		d0 := d.tx(t, 0, 4)
		mustAdd(t, m, d0)
		sameTxs(t, "pool", m.Reap(1<<62, 1<<30), [][]byte{a0, b0, d0})
	})

	t.Run("no gap", func(t *testing.T) {
		// a's nonce 0 is the cheapest, but a's nonce 1 is behind it.
		m := newPool(t, cfg, newState())
		a0, a1, b0 := a.tx(t, 0, 1), a.tx(t, 1, 10), b.tx(t, 0, 5)
		for _, raw := range [][]byte{a0, a1, b0} {
			mustAdd(t, m, raw)
		}
		if _, err := m.Add(c.tx(t, 0, 3)); !errors.Is(err, mempool.ErrPoolFull) {
			t.Fatalf("a newcomer cheaper than every tail: %v, want ErrPoolFull", err)
		}
		c0 := c.tx(t, 0, 6)
		mustAdd(t, m, c0) // evicts b0 (5), the cheapest tail
		sameTxs(t, "pool", m.Reap(1<<62, 1<<30), [][]byte{c0, a0, a1})

		// A sender's own newcomer is its tail: nothing before it goes.
		cfg := cfg
		cfg.MaxTxs = 2
		m = newPool(t, cfg, newState())
		mustAdd(t, m, a.tx(t, 0, 5))
		mustAdd(t, m, a.tx(t, 1, 1))
		if _, err := m.Add(a.tx(t, 2, 10)); !errors.Is(err, mempool.ErrPoolFull) {
			t.Fatalf("a's nonce 2 when only its nonce 1 is cheaper: %v, want ErrPoolFull", err)
		}
	})

	t.Run("bytes", func(t *testing.T) {
		small := a.tx(t, 0, 1)
		cfg := mempool.DefaultConfig()
		cfg.MaxBytes = 4 * len(small)
		m := newPool(t, cfg, newState())
		var smalls [][]byte
		for i, s := range []sender{a, b, c, d} {
			raw := s.tx(t, 0, uint64(10+i))
			mustAdd(t, m, raw)
			smalls = append(smalls, raw)
		}
		// Two small ones' room, and a bit more: three go, cheapest first.
		big := newSender(5).tx(t, 0, 100, withInput(2*len(small)-40))
		if len(big) <= 2*len(small) || len(big) > 3*len(small) {
			t.Fatalf("test setup: big tx of %d bytes, small %d", len(big), len(small))
		}
		mustAdd(t, m, big)
		if m.Bytes() > cfg.MaxBytes {
			t.Fatalf("pool of %d bytes, limit %d", m.Bytes(), cfg.MaxBytes)
		}
		sameTxs(t, "pool", m.Reap(1<<62, 1<<30), [][]byte{big, smalls[3]})
	})
}

// TestUpdate: after a block the included transactions, the ones whose
// nonce the block used otherwise, and the ones the sender can no longer
// pay or the parameters no longer admit are gone; a queued transaction
// whose gap the block filled is offered.
func TestUpdate(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a, b, c, d := newSender(1), newSender(2), newSender(3), newSender(4)
	a0, a1, a2 := a.tx(t, 0, 5), a.tx(t, 1, 5), a.tx(t, 2, 5)
	b0 := b.tx(t, 0, 4)
	c1 := c.tx(t, 1, 3) // queued: c's nonce 0 comes from elsewhere
	d0, d1 := d.tx(t, 0, 2), d.tx(t, 1, 2)
	for _, raw := range [][]byte{a0, a1, a2, b0, c1, d0, d1} {
		mustAdd(t, m, raw)
	}
	sameTxs(t, "before", m.Reap(1<<62, 1<<30), [][]byte{a0, a1, a2, b0, d0, d1})

	// The block: a's first two, a c0 the pool never saw, and a d0 other
	// than the pooled one. Meanwhile b spent its balance.
	c0, otherD0 := c.tx(t, 0, 1), d.tx(t, 0, 9)
	block := [][]byte{a0, a1, c0, otherD0}
	st.commit(t, block)
	st.set(b.addr, 0, gasLimit*4-1)
	m.Update(block)

	sameTxs(t, "after", m.Reap(1<<62, 1<<30), [][]byte{a2, c1, d1})
	for _, raw := range [][]byte{a0, a1, b0, d0} {
		if _, ok := m.Get(tx.Hash(raw)); ok {
			t.Fatalf("tx %v still pooled", hashes([][]byte{raw}))
		}
	}
	if m.Len() != 3 || m.Bytes() != len(a2)+len(c1)+len(d1) {
		t.Fatalf("pool of %d txs, %d bytes; want 3, %d", m.Len(), m.Bytes(), len(a2)+len(c1)+len(d1))
	}

	// The parameters change: the minimum price rises past c's and d's.
	st.setParams(func(p *params.Params) { p.MinGasPrice = canon.NewU256(4) })
	m.Update(nil)
	sameTxs(t, "after a parameter change", m.Reap(1<<62, 1<<30), [][]byte{a2})
}

// TestUpdateKeepsLaterBehindDropped: transactions after one the sender can
// no longer pay stay queued; a new transaction at the dropped nonce makes
// them pending again.
func TestUpdateKeepsLaterBehindDropped(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a := newSender(1)
	a0, a1 := a.tx(t, 0, 10), a.tx(t, 1, 1)
	mustAdd(t, m, a0)
	mustAdd(t, m, a1)
	st.set(a.addr, 0, gasLimit*10-1) // pays a1, not a0
	m.Update(nil)
	if _, ok := m.Get(tx.Hash(a0)); ok {
		t.Fatal("a0 still pooled")
	}
	if info, ok := m.Get(tx.Hash(a1)); !ok || !info.Queued {
		t.Fatalf("a1: %+v, %v; want queued", info, ok)
	}
	sameTxs(t, "with a gap", m.Reap(1<<62, 1<<30), nil)
	cheaper := a.tx(t, 0, 1)
	mustAdd(t, m, cheaper)
	sameTxs(t, "gap filled", m.Reap(1<<62, 1<<30), [][]byte{cheaper, a1})
}

// TestRemove: a transaction a proposer found invalid goes; the sender's
// later ones wait behind the gap.
func TestRemove(t *testing.T) {
	m := newPool(t, mempool.DefaultConfig(), newState())
	a, b := newSender(1), newSender(2)
	a0, a1, b0 := a.tx(t, 0, 1), a.tx(t, 1, 1), b.tx(t, 0, 1)
	for _, raw := range [][]byte{a0, a1, b0} {
		mustAdd(t, m, raw)
	}
	m.Remove(tx.Hash(a0))
	m.Remove(tx.Hash(a0)) // unknown: nothing happens
	sameTxs(t, "after Remove", m.Reap(1<<62, 1<<30), [][]byte{b0})
	if m.Len() != 2 || m.Bytes() != len(a1)+len(b0) {
		t.Fatalf("pool of %d txs, %d bytes after Remove", m.Len(), m.Bytes())
	}
}

// TestStateReadOutsideLock: the pool never holds its lock while it asks
// the state (the node's state takes the node's lock, and the node asks
// the pool things while holding it). Here the state calls back into the
// pool: with the lock held across the call, this would hang.
func TestStateReadOutsideLock(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a := newSender(1)
	st.onAccount = func() { m.Pending(a.addr); m.Get([32]byte{}); m.Len() }
	done := make(chan error, 1)
	go func() {
		_, err := m.Add(a.tx(t, 0, 1))
		m.Update(nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a speed check
		t.Fatal("the pool called the state holding its lock")
	}
}

// TestUpdateAfterOvertakenAdd: an Add whose account read a block
// overtakes is judged by that block's Update, which waits for it: the
// nonce the block used does not stay pooled.
func TestUpdateAfterOvertakenAdd(t *testing.T) {
	st := newState()
	m := newPool(t, mempool.DefaultConfig(), st)
	a := newSender(1)
	block := [][]byte{a.tx(t, 0, 1, withInput(1))}
	updated := make(chan struct{})
	var once sync.Once
	st.onAccount = func() {
		once.Do(func() {
			// The read under way has seen nonce 0; the block commits now
			// and its Update starts.
			st.commit(t, block)
			go func() { m.Update(block); close(updated) }()
			select {
			case <-updated: // it did not wait for the Add: the Add will pool a stale tx
			case <-time.After(50 * time.Millisecond):
			}
		})
	}
	stale := a.tx(t, 0, 1)
	if _, err := m.Add(stale); err != nil {
		t.Fatalf("Add on the read before the block: %v", err)
	}
	<-updated
	if _, ok := m.Get(tx.Hash(stale)); ok || m.Len() != 0 {
		t.Fatalf("a tx at the nonce the block used is still pooled (%d txs)", m.Len())
	}
}

// TestConcurrent: senders add while a producer reaps, commits and updates.
// Every reaped transaction is its sender's next and paid for (the fake
// state's commit checks), and every added one is reaped exactly once.
// Run it under -race.
func TestConcurrent(t *testing.T) {
	const senders, perSender = 8, 40
	st := newState()
	cfg := mempool.DefaultConfig()
	cfg.MaxFuturePerSender = 4
	m := newPool(t, cfg, st)
	var wg sync.WaitGroup
	for i := 0; i < senders; i++ {
		s := newSender(100 + i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for n := uint64(0); n < perSender; n += 2 {
				// Two at a time, sometimes the later one first.
				first, second := n, n+1
				if rng.IntN(2) == 0 {
					first, second = second, first
				}
				for _, nonce := range []uint64{first, second} {
					if _, err := m.Add(s.tx(t, nonce, 1+rng.Uint64N(20))); err != nil {
						t.Errorf("sender %d nonce %d: %v", i, nonce, err)
						return
					}
				}
			}
		}()
	}
	added := make(chan struct{})
	go func() { wg.Wait(); close(added) }()

	seen := map[[32]byte]bool{}
	produce := func() int {
		txs := m.Reap(1_000_000, 1<<20)
		st.commit(t, txs)
		for _, raw := range txs {
			h := tx.Hash(raw)
			if seen[h] {
				t.Fatalf("tx %x reaped twice", h[:4])
			}
			seen[h] = true
		}
		m.Update(txs)
		return len(txs)
	}
	for done := false; !done; {
		select {
		case <-added:
			done = true
		default:
			produce()
		}
	}
	for i := 0; m.Len() > 0; i++ {
		if produce() == 0 || i > senders*perSender {
			t.Fatalf("%d txs left in the pool that no block takes", m.Len())
		}
	}
	if len(seen) != senders*perSender || m.Bytes() != 0 {
		t.Fatalf("%d txs reaped, want %d; %d bytes left", len(seen), senders*perSender, m.Bytes())
	}
}
