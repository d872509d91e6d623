package node_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinthchain/plinth/contracts/build"
	"github.com/plinthchain/plinth/node"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

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
	// The counter example, built as `plinth contract build` builds it.
	wasm := filepath.Join(b.TempDir(), "counter.wasm")
	built, err := build.Build(ctx, filepath.Join("..", "contracts", "examples", "counter"), wasm)
	if err != nil {
		b.Fatal(err)
	}
	code, err := os.ReadFile(wasm)
	if err != nil {
		b.Fatal(err)
	}
	deployer := clients
	for i, body := range []tx.Body{tx.Deploy{Code: code}, tx.Instantiate{CodeHash: built.CodeHash}} {
		h, err := cl.Submit(ctx, sign(b, deployer, uint64(i), body, 50_000_000_000))
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
				txs[c] = append(txs[c], sign(b, c, uint64(n*perClient+k), tx.Call{Contract: counter, Method: "increment"}, 2_000_000))
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
					// Recorded before submitting: the block may be
					// streamed before Submit returns.
					h := tx.Hash(raw)
					mu.Lock()
					submitted[hex.EncodeToString(h[:])] = time.Now()
					mu.Unlock()
					// A full mempool answers 503: back off and resend,
					// as a real client would.
					for {
						_, err := cl.Submit(ctx, raw)
						var e *client.Error
						if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
							time.Sleep(50 * time.Millisecond)
							continue
						}
						if err != nil {
							b.Error(err)
							return
						}
						break
					}
				}
			}(c)
		}
		wg.Wait()
		select {
		case <-included:
		case <-time.After(5 * time.Minute): // a hang guard
			mu.Lock()
			b.Fatalf("%d of %d calls were included", len(latencies), clients*perClient)
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
