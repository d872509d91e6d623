package solo

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// listSource is a TxSource over a slice (the mempool is tested on its own).
type listSource struct {
	mu      sync.Mutex
	txs     [][]byte
	updated [][]byte
}

func (l *listSource) Reap(uint64, int) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.txs...)
}

func (l *listSource) Update(included [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.updated = append(l.updated, included...)
	l.txs = nil
}

func (l *listSource) Remove(hash [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, raw := range l.txs {
		if tx.Hash(raw) == hash {
			l.txs = append(l.txs[:i:i], l.txs[i+1:]...)
			return
		}
	}
}

type fixture struct {
	chain *chain.Chain
	key   ed25519.PrivateKey
	from  address.Address
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	from := address.FromPublicKey(key.Public().(ed25519.PublicKey))
	g, err := runtime.ParseGenesis([]byte(fmt.Sprintf(`{"chain_id": "solo-test", "genesis_time": "2026-12-01T00:00:00Z",
		"accounts": [{"address": %q, "balance": "1000000000000"}],
		"validators": [{"public_key": %q, "power": 1}]}`, from, hex.EncodeToString(key.Public().(ed25519.PublicKey)))))
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(t.TempDir(), state.Options{ChainID: "solo-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rt, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	c, err := chain.Open(context.Background(), store, rt, g)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{chain: c, key: key, from: from}
}

func (f *fixture) transfer(t *testing.T, nonce uint64) []byte {
	t.Helper()
	raw, err := tx.Sign(&tx.Tx{ChainID: "solo-test", Nonce: nonce, GasLimit: 200_000, GasPrice: canon.NewU256(1),
		Payload: tx.Payload{Body: tx.Transfer{To: address.Address{9}, Amount: canon.NewU256(1)}}}, f.key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func clock() func() uint64 {
	var mu sync.Mutex
	now := uint64(1_800_000_000_000)
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		now += 1000
		return now
	}
}

// TestProduceDropsInvalid: a pooled transaction that has become invalid
// (here: a nonce already used) is dropped and the block made without it.
func TestProduceDropsInvalid(t *testing.T) {
	f := newFixture(t)
	src := &listSource{txs: [][]byte{f.transfer(t, 0), f.transfer(t, 0), f.transfer(t, 1)}}
	p := New(Config{Now: clock(), MaxGas: 1 << 40, MaxBytes: 1 << 20}, f.chain, src, slog.New(slog.DiscardHandler))
	b, err := p.Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Txs) != 2 || len(src.updated) != 2 {
		t.Fatalf("block holds %d txs, source told of %d; want 2 and 2", len(b.Txs), len(src.updated))
	}
}

// TestRun: with BlockTime 0 a block follows each notification; with a
// block time, blocks come by themselves; cancelling Run stops it.
func TestRun(t *testing.T) {
	for _, bt := range []time.Duration{0, 5 * time.Millisecond} {
		f := newFixture(t)
		src := &listSource{txs: [][]byte{f.transfer(t, 0)}}
		blocks := make(chan *block.Block, 100)
		p := New(Config{BlockTime: bt, Now: clock(), MaxGas: 1 << 40, MaxBytes: 1 << 20,
			OnBlock: func(b *block.Block, _ *runtime.Output) { blocks <- b }}, f.chain, src, slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		p.Notify()
		want := 1
		if bt > 0 {
			want = 3
		}
		for i := 0; i < want; i++ {
			select {
			case b := <-blocks:
				if b.Header.Height != uint64(i+1) {
					t.Fatalf("block time %v: block %d has height %d", bt, i, b.Header.Height)
				}
			case <-time.After(30 * time.Second): // a hang guard, not a speed check
				t.Fatalf("block time %v: block %d never came", bt, i+1)
			}
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run ended with %v", err)
		}
	}
}
