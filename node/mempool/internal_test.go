package mempool

import (
	"encoding/binary"
	"log/slog"
	"testing"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
)

// TestReplacePrice: rounding up, the +1 floor, and prices near the top of
// the range (no overflow, no wrap).
func TestReplacePrice(t *testing.T) {
	max := new(uint256.Int).SetAllOne()
	half := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	cases := []struct {
		old  *uint256.Int
		bump uint64
		want string // "" if no price replaces it
	}{
		{uint256.NewInt(100), 10, "110"},
		{uint256.NewInt(99), 10, "109"},
		{uint256.NewInt(1), 10, "2"},
		{uint256.NewInt(0), 10, "1"},
		{uint256.NewInt(1000), 0, "1001"},
		{uint256.NewInt(3), 1 << 63, "276701161105643278"},    // 3 × (100+2^63) / 100, rounded up
		{uint256.NewInt(5), ^uint64(0), "922337203685477586"}, // 5 × (2^64+99) / 100
		{half, 100, ""},                                       // 2^256 exactly
		{half, 10, "63685649080523907482964041754778349319298491566102310221701671204352221301965"},
		{half, 0, new(uint256.Int).AddUint64(half, 1).Dec()},
		{max, 0, ""},
	}
	for _, c := range cases {
		got, ok := replacePrice(c.old, c.bump)
		if c.want == "" {
			if ok {
				t.Errorf("replacing %s at +%d%%: %s, want none", c.old.Dec(), c.bump, got.Dec())
			}
			continue
		}
		if !ok || got.Dec() != c.want {
			t.Errorf("replacing %s at +%d%%: %v (ok %v), want %s", c.old.Dec(), c.bump, got, ok, c.want)
		}
	}
}

type paramsOnly struct{ p params.Params }

func (s paramsOnly) Params() *params.Params { return &s.p }
func (paramsOnly) SigCache() *tx.SigCache   { return nil }
func (paramsOnly) ChainID() string          { return "internal" }
func (paramsOnly) Account(address.Address) (uint64, canon.U256, error) {
	return 0, canon.U256{}, nil
}

// TestReapTxCount: however small the transactions, a block gets no more
// than the decoder's array ceiling. (Pooled directly: signing 2^17
// transactions would make the test slow.)
func TestReapTxCount(t *testing.T) {
	m := New(DefaultConfig(), paramsOnly{params.Version1()}, slog.New(slog.DiscardHandler))
	q := &queue{}
	for n := uint64(0); n < maxBlockTxs+5; n++ {
		e := &entry{raw: []byte{1}, nonce: n, gasLimit: 1, price: *uint256.NewInt(1)}
		binary.BigEndian.PutUint64(e.hash[:], n)
		q.txs = append(q.txs, e)
		m.byHash[e.hash] = e
	}
	m.senders[address.Address{1}] = q
	if got := len(m.Reap(1<<62, 1<<30)); got != maxBlockTxs {
		t.Fatalf("reaped %d txs, want %d", got, maxBlockTxs)
	}
}
