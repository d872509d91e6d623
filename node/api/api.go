// Package api is the node's HTTP JSON API (docs/api.md): submit
// transactions, read transactions, receipts, accounts and blocks, query and
// simulate contracts, and the chain's status. It serves a Backend — the
// node — and bounds what a client can make it do: request sizes,
// timeouts, and how many requests run at once.
package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plinthchain/plinth/runtime/address"
)

// Backend is what the API serves.
type Backend interface {
	Status(ctx context.Context) (Status, error)
	SubmitTx(ctx context.Context, raw []byte) ([32]byte, error)
	Tx(ctx context.Context, hash [32]byte) (TxResult, error)
	Account(ctx context.Context, a address.Address) (Account, error)
	// Block returns the block at height (0: the latest).
	Block(ctx context.Context, height uint64) (Block, error)
	Contract(ctx context.Context, a address.Address) (Contract, error)
	Device(ctx context.Context, id [20]byte) (Device, error)
	// Attestations returns a device's latest attestation of kind (when
	// kind is set), or its kept history between from and to.
	Attestations(ctx context.Context, id [20]byte, kind string, from, to uint64, limit int) ([]Attestation, error)
	Query(ctx context.Context, req QueryRequest) (QueryResult, error)
	Simulate(ctx context.Context, req SimulateRequest) (SimulateResult, error)
}

// Errors a Backend returns that the API maps to status codes: anything
// else is a 500.
var (
	// ErrNotFound: 404.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: 400 (a refused transaction, a failed query).
	ErrBadRequest = errors.New("bad request")
	// ErrBusy: 503 with Retry-After, a request the node cannot take now
	// but may shortly (a full mempool): a client should back off and
	// send it again, not give up on it.
	ErrBusy = errors.New("node busy, try again")
)

// Status is the chain's state.
type Status struct {
	ChainID     string `json:"chain_id"`
	Height      uint64 `json:"height"`
	BlockHash   Hex    `json:"block_hash"`
	Time        uint64 `json:"time"`
	GenesisHash Hex    `json:"genesis_hash"`
	MempoolTxs  int    `json:"mempool_txs"`
	// Dev: a development chain, where the well-known dev keys may sign.
	Dev bool `json:"dev"`
	// StateRoot is the state root after the latest block.
	StateRoot Hex `json:"state_root"`
	// Consensus is "solo" (one node makes every block) or "bft".
	Consensus string `json:"consensus"`
	// Round is the consensus round of the height being decided (0 on a
	// solo chain); CatchingUp is true while the node syncs blocks.
	Round      int32 `json:"round"`
	CatchingUp bool  `json:"catching_up"`
	// Peers is how many libp2p peers the node is connected to.
	Peers int `json:"peers"`
	// MissedBlocks counts blocks committed while this node was their
	// validator without its signature in the commit; SyncedBlocks the
	// blocks it caught up on from peers; Evidence the evidence of
	// equivocation waiting for a block (bft only).
	MissedBlocks uint64 `json:"missed_blocks"`
	SyncedBlocks uint64 `json:"synced_blocks"`
	Evidence     int    `json:"evidence"`
	// Validators is the size of the validator set in force; Validator is
	// this node's place in it, if it has one.
	Validators int              `json:"validators"`
	Validator  *ValidatorStatus `json:"validator,omitempty"`
}

// ValidatorStatus is a node's place in the validator set.
type ValidatorStatus struct {
	Index   int             `json:"index"`
	Name    string          `json:"name"`
	Power   uint64          `json:"power"`
	Address address.Address `json:"address"`
}

// TxResult is an included transaction and its receipt.
type TxResult struct {
	TxHash  Hex     `json:"tx_hash"`
	Height  uint64  `json:"height"`
	Index   uint32  `json:"index"`
	Receipt Receipt `json:"receipt"`
}

// Receipt is runtime.Receipt for JSON.
type Receipt struct {
	Code     uint32  `json:"code"`
	CodeName string  `json:"code_name"`
	GasUsed  uint64  `json:"gas_used"`
	Return   Hex     `json:"return"`
	Message  string  `json:"message,omitempty"`
	Events   []Event `json:"events"`
}

// Event is a receipt's event; attribute values are hex.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is an event attribute.
type Attribute struct {
	Key   string `json:"key"`
	Value Hex    `json:"value"`
}

// Account is an account's state.
type Account struct {
	Address address.Address `json:"address"`
	Nonce   uint64          `json:"nonce"`
	Balance string          `json:"balance"`
}

// Block is a block's header and its transactions' hashes.
type Block struct {
	Height     uint64          `json:"height"`
	Hash       Hex             `json:"hash"`
	Time       uint64          `json:"time"`
	Proposer   address.Address `json:"proposer"`
	ParentHash Hex             `json:"parent_hash"`
	StateRoot  Hex             `json:"state_root"`
	TxsRoot    Hex             `json:"txs_root"`
	Txs        []Hex           `json:"txs"`
}

// Contract is a contract's record and balance.
type Contract struct {
	Address  address.Address  `json:"address"`
	CodeHash Hex              `json:"code_hash"`
	Admin    *address.Address `json:"admin"`
	Creator  address.Address  `json:"creator"`
	Label    string           `json:"label"`
	Balance  string           `json:"balance"`
}

// Device is a registered device.
type Device struct {
	ID        Hex             `json:"id"`
	Owner     address.Address `json:"owner"`
	KeyType   uint8           `json:"key_type"`
	PublicKey Hex             `json:"public_key"`
	Kind      string          `json:"kind"`
	Metadata  Hex             `json:"metadata"`
	Deposit   string          `json:"deposit"`
	Revoked   bool            `json:"revoked"`
}

// Attestation is an accepted attestation.
type Attestation struct {
	ID      Hex    `json:"id"`
	Device  Hex    `json:"device"`
	Seq     uint64 `json:"seq"`
	Time    uint64 `json:"time"`
	Kind    string `json:"kind"`
	Payload Hex    `json:"payload"`
}

// QueryRequest calls a contract read-only.
type QueryRequest struct {
	Contract address.Address `json:"contract"`
	Method   string          `json:"method"`
	Input    Hex             `json:"input"`
	// Gas caps the query (0: the node's cap; above it: the node's cap).
	Gas uint64 `json:"gas"`
}

// QueryResult is what a query returned.
type QueryResult struct {
	Result  Hex    `json:"result"`
	GasUsed uint64 `json:"gas_used"`
	Log     string `json:"log"`
}

// SimulateRequest dry-runs an unsigned transaction body (the canonical
// encoding of tx.Tx, hex) as if sent by From.
type SimulateRequest struct {
	From address.Address `json:"from"`
	Tx   Hex             `json:"tx"`
}

// SimulateResult is the receipt a transaction would get.
type SimulateResult struct {
	Receipt Receipt `json:"receipt"`
	Log     string  `json:"log"`
}

// Hex is bytes as lowercase hex in JSON.
type Hex []byte

// MarshalText implements encoding.TextMarshaler.
func (h Hex) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText implements encoding.TextUnmarshaler; a 0x prefix is
// allowed.
func (h *Hex) UnmarshalText(b []byte) error {
	s := strings.TrimPrefix(string(b), "0x")
	d, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex: %w", err)
	}
	*h = d
	return nil
}

// Config bounds the server.
type Config struct {
	Addr string
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// MaxConcurrent bounds requests in flight; more get 503.
	MaxConcurrent int
	// Timeout bounds a request's handling.
	Timeout time.Duration
}

// DefaultConfig serves on 127.0.0.1:8680.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8680", MaxBodyBytes: 12 << 20, MaxConcurrent: 64, Timeout: 30 * time.Second}
}

// Handler returns the API's routes over b.
func Handler(b Backend, cfg Config) http.Handler {
	mux := http.NewServeMux()
	s := &server{b: b, cfg: cfg}
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("POST /v1/txs", s.submit)
	mux.HandleFunc("GET /v1/txs/{hash}", s.tx)
	mux.HandleFunc("GET /v1/accounts/{address}", s.account)
	mux.HandleFunc("GET /v1/blocks/{height}", s.block)
	mux.HandleFunc("GET /v1/contracts/{address}", s.contract)
	mux.HandleFunc("GET /v1/devices/{id}", s.device)
	mux.HandleFunc("GET /v1/devices/{id}/attestations", s.attestations)
	mux.HandleFunc("POST /v1/query", s.query)
	mux.HandleFunc("POST /v1/simulate", s.simulate)
	mux.HandleFunc("GET /v1/events", s.stream)
	sem := make(chan struct{}, cfg.MaxConcurrent)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		default:
			writeError(w, http.StatusServiceUnavailable, errors.New("too many requests in flight"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		if r.URL.Path == "/v1/events" {
			mux.ServeHTTP(w, r) // a stream: no request timeout
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.Timeout)
		defer cancel()
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

type server struct {
	b   Backend
	cfg Config
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	reply(w, st, err)
}

func (s *server) submit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tx Hex `json:"tx"`
	}
	if !decode(w, r, &req) {
		return
	}
	if len(req.Tx) == 0 {
		writeError(w, http.StatusBadRequest, errors.New(`"tx" is missing`))
		return
	}
	h, err := s.b.SubmitTx(r.Context(), req.Tx)
	if err != nil {
		reply(w, nil, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]Hex{"tx_hash": h[:]})
}

func (s *server) tx(w http.ResponseWriter, r *http.Request) {
	h, err := hash32(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := s.b.Tx(r.Context(), h)
	reply(w, res, err)
}

func (s *server) account(w http.ResponseWriter, r *http.Request) {
	a, err := address.Parse(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	acc, err := s.b.Account(r.Context(), a)
	reply(w, acc, err)
}

func (s *server) contract(w http.ResponseWriter, r *http.Request) {
	a, err := address.Parse(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	c, err := s.b.Contract(r.Context(), a)
	reply(w, c, err)
}

func deviceID(s string) ([20]byte, error) {
	var h Hex
	if err := h.UnmarshalText([]byte(s)); err != nil || len(h) != 20 {
		return [20]byte{}, fmt.Errorf("device %q: want 20 bytes of hex", s)
	}
	return [20]byte(h), nil
}

func (s *server) device(w http.ResponseWriter, r *http.Request) {
	id, err := deviceID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	d, err := s.b.Device(r.Context(), id)
	reply(w, d, err)
}

// attestations: ?kind=K gives the latest of that kind; otherwise
// ?from=&to=&limit= the history (ascending seq, at most 256).
func (s *server) attestations(w http.ResponseWriter, r *http.Request) {
	id, err := deviceID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	q := r.URL.Query()
	num := func(name string, def uint64) (uint64, bool) {
		v := q.Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("%s %q: not a number", name, v))
			return 0, false
		}
		return n, true
	}
	from, ok1 := num("from", 0)
	to, ok2 := num("to", ^uint64(0))
	limit, ok3 := num("limit", 256)
	if !ok1 || !ok2 || !ok3 {
		return
	}
	if limit == 0 || limit > 256 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("limit %d: 1 to 256", limit))
		return
	}
	as, err := s.b.Attestations(r.Context(), id, q.Get("kind"), from, to, int(limit))
	if as == nil {
		as = []Attestation{}
	}
	reply(w, as, err)
}

func (s *server) block(w http.ResponseWriter, r *http.Request) {
	var height uint64
	if p := r.PathValue("height"); p != "latest" {
		var err error
		if height, err = strconv.ParseUint(p, 10, 64); err != nil || height == 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("height %q: a number from 1, or latest", p))
			return
		}
	}
	b, err := s.b.Block(r.Context(), height)
	reply(w, b, err)
}

func (s *server) query(w http.ResponseWriter, r *http.Request) {
	var req QueryRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Method == "" {
		writeError(w, http.StatusBadRequest, errors.New(`"method" is missing`))
		return
	}
	res, err := s.b.Query(r.Context(), req)
	reply(w, res, err)
}

func (s *server) simulate(w http.ResponseWriter, r *http.Request) {
	var req SimulateRequest
	if !decode(w, r, &req) {
		return
	}
	res, err := s.b.Simulate(r.Context(), req)
	reply(w, res, err)
}

// decode reads a JSON body strictly; false when it answered with an error.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", tooBig.Limit))
			return false
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("body: %w", err))
		return false
	}
	return true
}

func hash32(s string) ([32]byte, error) {
	var h Hex
	if err := h.UnmarshalText([]byte(s)); err != nil || len(h) != 32 {
		return [32]byte{}, fmt.Errorf("hash %q: want 32 bytes of hex", s)
	}
	return [32]byte(h), nil
}

func reply(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, err)
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}
