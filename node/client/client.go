// Package client talks to a node's HTTP API (docs/api.md): what the
// plinth commands, tests and scripts use instead of hand-written requests.
package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/runtime/address"
)

// ErrNotFound is a 404 from the node.
var ErrNotFound = errors.New("client: not found")

// Error is a non-2xx answer: the status and the node's message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("node answered %d: %s", e.Status, e.Message) }

// Unwrap makes a 404 ErrNotFound.
func (e *Error) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

// Client is a node's API at a base URL (http://127.0.0.1:8680).
type Client struct {
	base string
	http *http.Client
}

// New returns a client of the node at url. A Client is safe for
// concurrent use and keeps up to 64 idle connections to the node (Go's
// default keeps 2: a program submitting from many goroutines would dial a
// new connection for most requests).
func New(url string) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &Client{base: strings.TrimRight(url, "/"), http: &http.Client{Timeout: 60 * time.Second, Transport: t}}
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &Error{Status: resp.StatusCode, Message: e.Error}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("client: %s %s: answer: %w", method, path, err)
	}
	return nil
}

// Status returns the chain's status.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var s api.Status
	return s, c.do(ctx, "GET", "/v1/status", nil, &s)
}

// Account returns an account.
func (c *Client) Account(ctx context.Context, a address.Address) (api.Account, error) {
	var acc api.Account
	return acc, c.do(ctx, "GET", "/v1/accounts/"+a.String(), nil, &acc)
}

// Block returns the block at height (0: the latest).
func (c *Client) Block(ctx context.Context, height uint64) (api.Block, error) {
	p := "latest"
	if height > 0 {
		p = fmt.Sprint(height)
	}
	var b api.Block
	return b, c.do(ctx, "GET", "/v1/blocks/"+p, nil, &b)
}

// Submit sends an encoded signed transaction and returns its hash.
func (c *Client) Submit(ctx context.Context, raw []byte) ([32]byte, error) {
	var out struct {
		TxHash api.Hex `json:"tx_hash"`
	}
	if err := c.do(ctx, "POST", "/v1/txs", map[string]string{"tx": hex.EncodeToString(raw)}, &out); err != nil {
		return [32]byte{}, err
	}
	if len(out.TxHash) != 32 {
		return [32]byte{}, fmt.Errorf("client: submit: a hash of %d bytes", len(out.TxHash))
	}
	return [32]byte(out.TxHash), nil
}

// Tx returns an included transaction (ErrNotFound until it is).
func (c *Client) Tx(ctx context.Context, hash [32]byte) (api.TxResult, error) {
	var r api.TxResult
	return r, c.do(ctx, "GET", "/v1/txs/"+hex.EncodeToString(hash[:]), nil, &r)
}

// Wait polls until the transaction is included or ctx ends; progress, if
// set, is called on each poll (for a CLI's waiting indicator).
func (c *Client) Wait(ctx context.Context, hash [32]byte, progress func()) (api.TxResult, error) {
	for {
		r, err := c.Tx(ctx, hash)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return r, err
		}
		if progress != nil {
			progress()
		}
		select {
		case <-ctx.Done():
			return api.TxResult{}, fmt.Errorf("client: waiting for %x: %w", hash[:8], ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Contract returns a contract's record.
func (c *Client) Contract(ctx context.Context, a address.Address) (api.Contract, error) {
	var r api.Contract
	return r, c.do(ctx, "GET", "/v1/contracts/"+a.String(), nil, &r)
}

// Query calls a contract read-only.
func (c *Client) Query(ctx context.Context, req api.QueryRequest) (api.QueryResult, error) {
	var r api.QueryResult
	return r, c.do(ctx, "POST", "/v1/query", req, &r)
}

// Simulate dry-runs an unsigned transaction body.
func (c *Client) Simulate(ctx context.Context, req api.SimulateRequest) (api.SimulateResult, error) {
	var r api.SimulateResult
	return r, c.do(ctx, "POST", "/v1/simulate", req, &r)
}

// Device returns a registered device (ErrNotFound if its id is not
// registered; a revoked device is returned, marked revoked).
func (c *Client) Device(ctx context.Context, id [20]byte) (api.Device, error) {
	var d api.Device
	return d, c.do(ctx, "GET", "/v1/devices/"+hex.EncodeToString(id[:]), nil, &d)
}

// LatestAttestation returns a device's attestation of kind with the
// highest seq (ErrNotFound if it has none of that kind).
func (c *Client) LatestAttestation(ctx context.Context, id [20]byte, kind string) (api.Attestation, error) {
	if kind == "" {
		return api.Attestation{}, errors.New("client: latest attestation: no kind")
	}
	var as []api.Attestation
	if err := c.do(ctx, "GET", "/v1/devices/"+hex.EncodeToString(id[:])+"/attestations?kind="+url.QueryEscape(kind), nil, &as); err != nil {
		return api.Attestation{}, err
	}
	if len(as) != 1 {
		return api.Attestation{}, fmt.Errorf("client: latest attestation: the node answered %d attestations, want 1", len(as))
	}
	return as[0], nil
}

// MaxHistory is the most attestations one history request returns.
const MaxHistory = 256

// Attestations returns a device's kept history with fromSeq <= seq <=
// toSeq, ascending by seq, at most limit (1 to MaxHistory) of them. An
// unknown device has an empty history.
func (c *Client) Attestations(ctx context.Context, id [20]byte, fromSeq, toSeq uint64, limit int) ([]api.Attestation, error) {
	if limit < 1 || limit > MaxHistory {
		return nil, fmt.Errorf("client: attestations: limit %d, want 1 to %d", limit, MaxHistory)
	}
	q := url.Values{}
	q.Set("from", fmt.Sprint(fromSeq))
	q.Set("to", fmt.Sprint(toSeq))
	q.Set("limit", fmt.Sprint(limit))
	var as []api.Attestation
	return as, c.do(ctx, "GET", "/v1/devices/"+hex.EncodeToString(id[:])+"/attestations?"+q.Encode(), nil, &as)
}
