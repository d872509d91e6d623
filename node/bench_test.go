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

// BenchmarkDevChainLoad: clients submit signed calls of the SDK counter
// example over the HTTP API to a real node making a block every second,
// as `plinth dev` does. It reports committed calls per second and the
// p50/p99 time from submission to the block that includes them (seen on
// the event stream):
//
//   - rate=1200: 16 clients pacing 1,200 calls a second in all, for 15
//     seconds — above the target of 1,000 committed calls a second with
//     p99 inclusion under 2 s;
//   - rate=max: 16 clients sending 1,000 calls each as fast as the node
//     takes them (backing off on 503) — the node's capacity, where
//     latency is the length of the queue.
func BenchmarkDevChainLoad(b *testing.B) {
	const clients = 16
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
	nonces := make([]uint64, clients) // across runs and sub-benchmarks
	for _, bc := range []struct {
		name      string
		perClient int
		rate      float64 // calls a second in all; 0: as fast as possible
	}{{"rate=1200", 1125, 1200}, {"rate=max", 1000, 0}} {
		b.Run(bc.name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				txs := make([][][]byte, clients)
				for c := range txs {
					for range bc.perClient {
						txs[c] = append(txs[c], sign(b, c, nonces[c], tx.Call{Contract: counter, Method: "increment"}, 2_000_000))
						nonces[c]++
					}
				}
				b.StartTimer()
				calls, elapsed, latencies := load(b, cl, url, txs, bc.rate)
				b.StopTimer()
				b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s")
				b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
				b.StartTimer()
			}
		})
	}
}

// load submits each client's transactions in order, paced so that all
// clients together send rate a second (or unpaced if rate is 0), and
// waits until every one is in a block. It returns how many there were,
// the time from the first submission to the last inclusion, and each
// one's latency, sorted.
func load(b *testing.B, cl *client.Client, url string, txs [][][]byte, rate float64) (int, time.Duration, []time.Duration) {
	return loadVia(b, []*client.Client{cl}, url, txs, rate)
}

// loadVia is load with client c submitting to cls[c % len(cls)], and
// inclusion seen on the stream at url.
func loadVia(b *testing.B, cls []*client.Client, url string, txs [][][]byte, rate float64) (int, time.Duration, []time.Duration) {
	ctx := context.Background()
	total := 0
	for _, t := range txs {
		total += len(t)
	}
	// Inclusion times come from the stream of blocks.
	stream, err := http.Get(url + "/v1/events?kind=block")
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
			all := len(latencies) == total
			mu.Unlock()
			if all {
				close(included)
				return
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range txs {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for k, raw := range txs[c] {
				if rate > 0 { // an open-loop schedule: call k of client c is due at (k·clients + c)/rate
					time.Sleep(time.Until(start.Add(time.Duration(float64(k*len(txs)+c) / rate * float64(time.Second)))))
				}
				// Recorded before submitting: the block may be streamed
				// before Submit returns.
				h := tx.Hash(raw)
				mu.Lock()
				submitted[hex.EncodeToString(h[:])] = time.Now()
				mu.Unlock()
				// A full mempool answers 503: back off and resend, as a
				// real client would.
				cl := cls[c%len(cls)]
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
		b.Fatalf("%d of %d calls were included", len(latencies), total)
	}
	elapsed := time.Since(start)
	slices.Sort(latencies)
	return total, elapsed, latencies
}
