package node_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinthchain/plinth/node"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// counterWat: incr reads, adds one, writes and returns a u64.
const counterWat = `(module
	(import "plinth" "storage_read" (func $storage_read (param i32 i32 i32) (result i32)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $value_return (param i32 i32)))
	(memory 1 1)
	(data (i32.const 0) "n")
	(func (export "incr")
		(if (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0))
			(then (call $read_register (i32.const 0) (i32.const 100))))
		(i64.store (i32.const 100) (i64.add (i64.load (i32.const 100)) (i64.const 1)))
		(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 8)))
		(call $value_return (i32.const 100) (i32.const 8))))`

func key(i int) ed25519.PrivateKey {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("bench"), uint64(i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

// startNode runs a real node (Pebble in a temp dir, the mempool, solo
// blocks every blockTime, the HTTP API on a free port) with n funded keys.
func startNode(b *testing.B, n int, blockTime time.Duration) (*node.Node, string) {
	b.Helper()
	var accounts []string
	for i := 0; i < n; i++ {
		accounts = append(accounts, fmt.Sprintf(`{"address": %q, "balance": "1000000000000000000"}`, address.FromPublicKey(key(i).Public().(ed25519.PublicKey))))
	}
	g, err := runtime.ParseGenesis([]byte(fmt.Sprintf(`{"chain_id": "bench", "genesis_time": "2026-12-01T00:00:00Z", "dev": true,
		"accounts": [%s], "validators": [{"public_key": %q, "power": 1}]}`, strings.Join(accounts, ","), hex.EncodeToString(key(0).Public().(ed25519.PublicKey)))))
	if err != nil {
		b.Fatal(err)
	}
	cfg := api.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	nd, err := node.Open(ctx, node.Config{Home: b.TempDir(), Genesis: g, API: cfg, BlockTime: blockTime, QueryGasCap: 1 << 30, Logger: log,
		NewPool: func(st node.HeadState) node.Pool {
			mc := mempool.DefaultConfig()
			mc.MaxFuturePerSender = 1 << 12
			return mempool.New(mc, st, log)
		},
		Now: func() uint64 { return uint64(time.Now().UnixMilli()) }})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; nd.Close(context.Background()) })
	for nd.Addr() == "" {
		time.Sleep(time.Millisecond)
	}
	return nd, "http://" + nd.Addr()
}

func sign(b *testing.B, i int, nonce uint64, body tx.Body, gas uint64) []byte {
	raw, err := tx.Sign(&tx.Tx{ChainID: "bench", Nonce: nonce, GasLimit: gas, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, key(i))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkDevChainLoad: clients submit signed counter calls over the
// HTTP API to a real node making a block every second, as `plinth dev`
// does; it reports committed calls per second and the p50/p99 time from
// submission to the block that includes them (seen on the event stream).
func BenchmarkDevChainLoad(b *testing.B) {
	const clients, perClient = 16, 1000
	_, url := startNode(b, clients+1, time.Second)
	cl := client.New(url)
	ctx := context.Background()
	code, err := vmtest.Wat(counterWat)
	if err != nil {
		b.Fatal(err)
	}
	deployer := clients
	for i, body := range []tx.Body{tx.Deploy{Code: code}, tx.Instantiate{CodeHash: sha256.Sum256(code)}} {
		h, err := cl.Submit(ctx, sign(b, deployer, uint64(i), body, 1_000_000_000))
		if err != nil {
			b.Fatal(err)
		}
		if r, err := cl.Wait(ctx, h, nil); err != nil || r.Receipt.Code != 0 {
			b.Fatalf("setup: %+v %v", r, err)
		}
	}
	counter := address.Contract(address.FromPublicKey(key(deployer).Public().(ed25519.PublicKey)), 0)
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		txs := make([][][]byte, clients)
		for c := range txs {
			for k := 0; k < perClient; k++ {
				txs[c] = append(txs[c], sign(b, c, uint64(n*perClient+k), tx.Call{Contract: counter, Method: "incr"}, 2_000_000))
			}
		}
		// Inclusion times come from the event stream.
		stream, err := http.Get(url + "/v1/events")
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		submitted := map[string]time.Time{}
		var latencies []time.Duration
		included := make(chan struct{})
		go func() {
			defer stream.Body.Close()
			sc := bufio.NewScanner(stream.Body)
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				line, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var ev struct {
					Block *api.Block `json:"block"`
				}
				if json.Unmarshal([]byte(line), &ev) != nil || ev.Block == nil {
					continue
				}
				now := time.Now()
				mu.Lock()
				for _, h := range ev.Block.Txs {
					if t, ok := submitted[hex.EncodeToString(h)]; ok {
						latencies = append(latencies, now.Sub(t))
					}
				}
				all := len(latencies) == clients*perClient
				mu.Unlock()
				if all {
					close(included)
					return
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for _, raw := range txs[c] {
					at := time.Now()
					h, err := cl.Submit(ctx, raw)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					submitted[hex.EncodeToString(h[:])] = at
					mu.Unlock()
				}
			}(c)
		}
		wg.Wait()
		select {
		case <-included:
		case <-time.After(5 * time.Minute): // a hang guard
			b.Fatal("not every call was included")
		}
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(latencies)
		b.ReportMetric(float64(clients*perClient)/elapsed.Seconds(), "calls/s")
		b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
		b.StartTimer()
	}
}
