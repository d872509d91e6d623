package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
)

// fakeBackend answers the API's unit tests (the node's own backend is
// tested end to end in node/).
type fakeBackend struct {
	block   chan struct{} // when set, Status waits on it
	entered chan struct{}
}

func (f *fakeBackend) Status(ctx context.Context) (Status, error) {
	if f.block != nil {
		f.entered <- struct{}{}
		<-f.block
	}
	return Status{ChainID: "c", Height: 7}, nil
}
func (f *fakeBackend) SubmitTx(_ context.Context, raw []byte) ([32]byte, error) {
	if raw[0] == 0xff {
		return [32]byte{}, fmt.Errorf("%w: nonce too low", ErrBadRequest)
	}
	if raw[0] == 0xfe {
		return [32]byte{}, fmt.Errorf("%w: mempool: full", ErrBusy)
	}
	return [32]byte{1}, nil
}
func (f *fakeBackend) Tx(_ context.Context, h [32]byte) (TxResult, error) {
	if h[0] != 1 {
		return TxResult{}, fmt.Errorf("%w: tx", ErrNotFound)
	}
	return TxResult{TxHash: h[:], Height: 3, Receipt: Receipt{CodeName: "ok", Events: []Event{}}}, nil
}
func (f *fakeBackend) Account(_ context.Context, a address.Address) (Account, error) {
	return Account{Address: a, Nonce: 2, Balance: "10"}, nil
}
func (f *fakeBackend) Block(_ context.Context, height uint64) (Block, error) {
	if height > 5 {
		return Block{}, fmt.Errorf("%w: block", ErrNotFound)
	}
	return Block{Height: max(height, 5)}, nil
}
func (f *fakeBackend) Contract(_ context.Context, a address.Address) (Contract, error) {
	if a[0] != 5 {
		return Contract{}, fmt.Errorf("%w: contract", ErrNotFound)
	}
	return Contract{Address: a, Label: "counter"}, nil
}
func (f *fakeBackend) Device(_ context.Context, id [20]byte) (Device, error) {
	if id[0] != 7 {
		return Device{}, fmt.Errorf("%w: device", ErrNotFound)
	}
	return Device{ID: id[:], Kind: "meter"}, nil
}
func (f *fakeBackend) Attestations(_ context.Context, id [20]byte, kind string, from, to uint64, limit int) ([]Attestation, error) {
	if kind != "" {
		return []Attestation{{Kind: kind, Seq: 9}}, nil
	}
	return []Attestation{{Seq: from}, {Seq: uint64(limit)}}, nil
}
func (f *fakeBackend) Query(_ context.Context, req QueryRequest) (QueryResult, error) {
	return QueryResult{Result: req.Input, GasUsed: req.Gas}, nil
}
func (f *fakeBackend) Simulate(_ context.Context, req SimulateRequest) (SimulateResult, error) {
	return SimulateResult{}, errors.New("boom")
}

func do(t *testing.T, h http.Handler, method, path, body string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	var out map[string]any
	b, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: not JSON: %q", method, path, b)
	}
	return rec.Code, out
}

// TestRoutes: each endpoint's success and error answers: the status code
// and a JSON error naming the problem.
func TestRoutes(t *testing.T) {
	h := Handler(&fakeBackend{}, DefaultConfig())
	a := address.Address{5}.String()
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string // a substring of the JSON answer
	}{
		{"GET", "/v1/status", "", 200, `"height":7`},
		{"POST", "/v1/txs", `{"tx":"0a0b"}`, 202, `"tx_hash":"01`},
		{"POST", "/v1/txs", `{"tx":"ff"}`, 400, `nonce too low`},
		{"POST", "/v1/txs", `{"tx":"fe"}`, 503, `mempool: full`},
		{"POST", "/v1/txs", `{"tx":"zz"}`, 400, `not hex`},
		{"POST", "/v1/txs", `{}`, 400, `"tx\" is missing`},
		{"POST", "/v1/txs", `{"tx":"0a","extra":1}`, 400, `unknown field`},
		{"POST", "/v1/txs", `not json`, 400, `body`},
		{"GET", "/v1/txs/" + strings.Repeat("01", 32), "", 200, `"height":3`},
		{"GET", "/v1/txs/" + strings.Repeat("02", 32), "", 404, `not found`},
		{"GET", "/v1/txs/abc", "", 400, `32 bytes of hex`},
		{"GET", "/v1/accounts/" + a, "", 200, `"balance":"10"`},
		{"GET", "/v1/accounts/plinth1nope", "", 400, `address`},
		{"GET", "/v1/contracts/" + a, "", 200, `"label":"counter"`},
		{"GET", "/v1/contracts/" + address.Address{6}.String(), "", 404, `not found`},
		{"GET", "/v1/devices/07" + strings.Repeat("00", 19), "", 200, `"kind":"meter"`},
		{"GET", "/v1/devices/08" + strings.Repeat("00", 19), "", 404, `not found`},
		{"GET", "/v1/devices/0707", "", 400, `20 bytes`},
		{"GET", "/v1/devices/07" + strings.Repeat("00", 19) + "/attestations?kind=energy", "", 200, `"seq":9`},
		{"GET", "/v1/devices/07" + strings.Repeat("00", 19) + "/attestations?from=3&limit=5", "", 200, `"seq":3`},
		{"GET", "/v1/devices/07" + strings.Repeat("00", 19) + "/attestations?limit=999", "", 400, `limit`},
		{"GET", "/v1/devices/07" + strings.Repeat("00", 19) + "/attestations?from=x", "", 400, `not a number`},
		{"GET", "/v1/blocks/latest", "", 200, `"height":5`},
		{"GET", "/v1/blocks/3", "", 200, `"height":5`},
		{"GET", "/v1/blocks/9", "", 404, `not found`},
		{"GET", "/v1/blocks/0", "", 400, `from 1`},
		{"POST", "/v1/query", `{"contract":"` + a + `","method":"count","input":"0x01","gas":9}`, 200, `"gas_used":9`},
		{"POST", "/v1/query", `{"contract":"` + a + `"}`, 400, `method`},
		{"POST", "/v1/simulate", `{"from":"` + a + `","tx":"00"}`, 500, `boom`},
		{"GET", "/v1/nothing", "", 404, ``},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s %s %s: %d %s, want %d containing %q", c.method, c.path, c.body, rec.Code, rec.Body, c.code, c.want)
		}
		if retry := rec.Header().Get("Retry-After"); (c.code == 503) != (retry == "1") {
			t.Errorf("%s %s %s: Retry-After %q with %d", c.method, c.path, c.body, retry, rec.Code)
		}
	}
}

// TestLimits: an oversized body is refused with 413, and requests beyond
// the concurrency bound get 503 while the others run.
func TestLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 64
	if code, out := do(t, Handler(&fakeBackend{}, cfg), "POST", "/v1/txs", `{"tx":"`+strings.Repeat("00", 100)+`"}`); code != 413 || !strings.Contains(fmt.Sprint(out), "64 bytes") {
		t.Fatalf("oversized body: %d %v", code, out)
	}
	cfg = DefaultConfig()
	cfg.MaxConcurrent = 2
	fb := &fakeBackend{block: make(chan struct{}), entered: make(chan struct{}, 2)}
	h := Handler(fb, cfg)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/status", nil))
		}()
	}
	<-fb.entered
	<-fb.entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/status", bytes.NewReader(nil)))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("a third request with two in flight: %d", rec.Code)
	}
	close(fb.block)
	wg.Wait()
}

// streamBackend streams fixed events.
type streamBackend struct {
	fakeBackend
	events []StreamEvent
}

// Subscribe sends the events matching f as one block's batch, then
// closes the channel as a hub does to a subscriber that fell behind.
func (s *streamBackend) Subscribe(f StreamFilter) (<-chan []StreamEvent, func()) {
	ch := make(chan []StreamEvent, 1)
	var batch []StreamEvent
	for _, e := range s.events {
		if f.Match(e) {
			batch = append(batch, e)
		}
	}
	ch <- batch
	close(ch)
	return ch, func() {}
}

// TestStream: the events stream sends blocks and contract events as
// server-sent events, and filters by contract and type.
func TestStream(t *testing.T) {
	c1, c2 := address.Address{1}, address.Address{2}
	sb := &streamBackend{events: []StreamEvent{
		{Kind: "block", Block: &Block{Height: 4}},
		{Kind: "contract_event", Height: 4, Contract: &c1, Event: &Event{Type: "counted"}},
		{Kind: "contract_event", Height: 4, Contract: &c2, Event: &Event{Type: "counted"}},
		{Kind: "contract_event", Height: 4, Contract: &c1, Event: &Event{Type: "reset"}},
	}}
	h := Handler(sb, DefaultConfig())
	get := func(q string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/events"+q, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s: %d %s", q, rec.Code, rec.Header())
		}
		return rec.Body.String()
	}
	all := get("")
	if strings.Count(all, "event: block\n") != 1 || strings.Count(all, "event: contract_event\n") != 3 {
		t.Fatalf("unfiltered stream:\n%s", all)
	}
	one := get("?contract=" + c1.String() + "&type=counted")
	if strings.Count(one, "event: contract_event") != 1 || !strings.Contains(one, `"type":"counted"`) || !strings.Contains(one, c1.String()) {
		t.Fatalf("filtered stream:\n%s", one)
	}
	blocks := get("?kind=block")
	if strings.Count(blocks, "event: block\n") != 1 || strings.Contains(blocks, "contract_event") {
		t.Fatalf("blocks only:\n%s", blocks)
	}
	if events := get("?kind=contract_event"); strings.Count(events, "event: contract_event\n") != 3 || strings.Contains(events, "event: block") {
		t.Fatalf("contract events only:\n%s", events)
	}
	if !strings.HasSuffix(all, "event: dropped\ndata: {\"error\": \"the stream fell too far behind; reconnect\"}\n\n") {
		t.Fatalf("a closed subscription does not say it was dropped:\n%s", all)
	}
	for _, q := range []string{"?contract=nope", "?kind=blocks", "?kind=block&type=counted"} {
		if code, _ := do(t, h, "GET", "/v1/events"+q, ""); code != 400 {
			t.Fatalf("%s: %d, want 400", q, code)
		}
	}
}
