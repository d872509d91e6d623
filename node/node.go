// Package node wires a Plinth node: the state store, the runtime and its
// chain, the mempool, block production and the HTTP API. It owns the
// order of things: one block is made at a time, and reads (the API) never
// overlap a commit (the store's rule).
package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/solo"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/bft"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
)

// Pool is the mempool as the node uses it (node/mempool).
type Pool interface {
	Add(raw []byte) ([32]byte, error)
	Reap(maxGas uint64, maxBytes int) [][]byte
	Update(included [][]byte)
	Remove(hash [32]byte)
	Len() int
}

// Config configures a node.
type Config struct {
	// Home holds the node's data (state/ and wasm-cache/).
	Home    string
	Genesis *runtime.Genesis
	// API serves the HTTP API (api.DefaultConfig: 127.0.0.1:8680).
	API api.Config
	// BlockTime between blocks; 0 makes a block on each transaction.
	BlockTime time.Duration
	// Proposer receives block fees.
	Proposer address.Address
	// QueryGasCap bounds queries and simulations.
	QueryGasCap uint64
	// NewPool makes the mempool over the node's view of the head state.
	NewPool func(HeadState) Pool
	Logger  *slog.Logger
	// Now is the clock blocks are stamped with (ms since the Unix epoch).
	Now func() uint64
	// Network, if set, runs the node in a network of validators (BFT
	// consensus over libp2p) instead of producing blocks alone.
	Network *Network
}

// Network configures a node of a network of validators.
type Network struct {
	// Key is the node key: its libp2p identity, and the validator key it
	// signs with while it is in the validator set.
	Key ed25519.PrivateKey
	// Listen are libp2p multiaddrs to listen on; Bootstrap the peers to
	// dial at start (multiaddrs with /p2p/<id>).
	Listen, Bootstrap []string
	// MDNS finds peers on the local network too.
	MDNS bool
	// DropPercent is p2p.Config's fault injection, for tests.
	DropPercent int
}

// HeadState is the head state the mempool checks transactions against
// (it satisfies mempool.State).
type HeadState interface {
	ChainID() string
	Params() *params.Params
	Account(address.Address) (uint64, canon.U256, error)
	SigCache() *tx.SigCache
}

// Node is a running node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	store    *state.Store
	rt       *runtime.Runtime
	pool     Pool
	producer *solo.Producer
	engine   *bft.Engine // with Config.Network, instead of producer
	host     *p2p.Host

	// mu orders the chain: the producer holds it to make a block, reads
	// hold it shared. The chain and the store's commit are not safe for
	// concurrent use with reads.
	mu          sync.RWMutex
	chain       *chain.Chain
	genesisHash [32]byte

	sigs *tx.SigCache

	listener net.Listener
	metrics  *metrics
	hub      *hub
}

// sigCacheSize bounds the verified-signature cache: a few blocks' worth
// of transactions at the chain's pace, 32 bytes and a map entry each.
const sigCacheSize = 200_000

// Open opens (or creates) the node's state in cfg.Home at cfg.Genesis.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := cfg.Genesis
	gh, err := g.Hash()
	if err != nil {
		return nil, err
	}
	store, err := state.Open(filepath.Join(cfg.Home, "state"), state.Options{ChainID: g.ChainID, Genesis: gh, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	// The mempool checks each transaction's signature; the cache spares
	// the block that includes it a second check.
	sigs := tx.NewSigCache(sigCacheSize)
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(cfg.Home, "wasm-cache"), SigCache: sigs})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("node: %w", err)
	}
	c, err := chain.Open(ctx, store, rt, g)
	if err != nil {
		rt.Close(ctx)
		store.Close()
		return nil, fmt.Errorf("node: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger, store: store, rt: rt, chain: c, genesisHash: gh, sigs: sigs}
	n.pool = cfg.NewPool(&headState{n: n})
	n.metrics = newMetrics(n.pool.Len)
	n.hub = newHub()
	if cfg.Network != nil {
		if err := n.openNetwork(ctx, c, store); err != nil {
			rt.Close(ctx)
			store.Close()
			return nil, err
		}
		return n, nil
	}
	p := g.Params
	n.producer = solo.New(solo.Config{
		BlockTime: cfg.BlockTime, Proposer: cfg.Proposer, MaxGas: p.MaxBlockGas, MaxBytes: int(p.MaxBlockBytes), Now: cfg.Now,
		OnBlock: func(b *block.Block, out *runtime.Output) {
			h, err := b.Header.Hash()
			if err == nil {
				n.hub.publish(blockEvents(b, h, out))
			}
		},
	}, &lockedChain{n: n}, n.pool, cfg.Logger)
	return n, nil
}

// openNetwork starts the libp2p host and the consensus engine.
func (n *Node) openNetwork(ctx context.Context, c *chain.Chain, store *state.Store) error {
	nc, g := n.cfg.Network, n.cfg.Genesis
	local := &bft.Local{Chain: c, Store: store, Mu: &n.mu, GenesisHash: n.genesisHash}
	var engine atomic.Pointer[bft.Engine]
	host, err := p2p.New(ctx, p2p.Config{Key: nc.Key, Listen: nc.Listen, Bootstrap: nc.Bootstrap, MDNS: nc.MDNS,
		ChainID: g.ChainID, GenesisHash: n.genesisHash, Validators: local.Known, AcceptTx: n.acceptTx,
		Height: func() uint64 { h, _ := local.Head(); return h.Height + 1 },
		// The host starts before the engine whose pool takes evidence.
		AcceptEvidence: func(raw []byte) p2p.Verdict {
			if e := engine.Load(); e != nil {
				return e.AddEvidence(raw)
			}
			return p2p.Ignore
		},
		DropPercent: nc.DropPercent, Logger: n.log})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	signer, err := privval.Open(nc.Key, filepath.Join(n.cfg.Home, "last_signed.json"))
	if err != nil {
		host.Close()
		return fmt.Errorf("node: %w", err)
	}
	p := g.Params
	n.host = host
	n.engine = bft.New(bft.Config{
		ChainID: g.ChainID, Signer: signer, WALDir: filepath.Join(n.cfg.Home, "consensus-wal"),
		Now: n.cfg.Now, MaxGas: p.MaxBlockGas, MaxBytes: int(p.MaxBlockBytes), MaxBlockBytes: blockBytesLimit(p),
		Logger: n.log,
		OnCommit: func(pend *chain.Pending) {
			n.metrics.committed(pend.Block, pend.Out)
			n.hub.publish(blockEvents(pend.Block, pend.Hash, pend.Out))
		},
	}, local, n.pool, host)
	engine.Store(n.engine)
	host.Serve(bft.Serving(local, n.engine))
	n.metrics.consensus(n.engine.Status, host.Peers)
	return nil
}

// blockBytesLimit bounds an encoded block from a peer: its transactions'
// limit and room for the header, the commit and the encoding.
func blockBytesLimit(p params.Params) int {
	return int(p.MaxBlockBytes) + int(p.Consensus.MaxBlockEvidence)*evidence.MaxBytes + 1<<20
}

// acceptTx is the transactions topic's judge: the mempool takes it, or
// says why not.
func (n *Node) acceptTx(raw []byte) p2p.Verdict {
	_, err := n.pool.Add(raw)
	switch {
	case err == nil:
		return p2p.Accept
	case errors.Is(err, mempool.ErrMalformed), errors.Is(err, mempool.ErrBadSignature), errors.Is(err, mempool.ErrWrongChain):
		return p2p.Reject
	}
	return p2p.Ignore
}

// Run serves the API and produces blocks until ctx ends, then stops the
// API and finishes the block in flight.
func (n *Node) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", n.cfg.API.Addr)
	if err != nil {
		return fmt.Errorf("node: api: %w", err)
	}
	n.listener = ln
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", api.Handler(n, n.cfg.API))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: n.cfg.API.Timeout, WriteTimeout: n.cfg.API.Timeout + 5*time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	n.log.Info("node running", "chain", n.cfg.Genesis.ChainID, "api", ln.Addr().String(), "height", n.store.Height())
	var produced error
	if n.engine != nil {
		produced = n.engine.Run(ctx)
	} else {
		produced = n.producer.Run(ctx)
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("node: api: %w", err)
	}
	if errors.Is(produced, context.Canceled) || errors.Is(produced, context.DeadlineExceeded) {
		return nil
	}
	return produced
}

// Addr is the API's address once Run listens.
func (n *Node) Addr() string {
	if n.listener == nil {
		return ""
	}
	return n.listener.Addr().String()
}

// Close releases the network, the runtime and the store.
func (n *Node) Close(ctx context.Context) error {
	var errs []error
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	return errors.Join(append(errs, n.rt.Close(ctx), n.store.Close())...)
}

// P2PAddrs are the node's libp2p addresses (none without a network).
func (n *Node) P2PAddrs() []string {
	if n.host == nil {
		return nil
	}
	return n.host.Addrs()
}

// lockedChain is the chain as the producer sees it: under the write lock.
type lockedChain struct{ n *Node }

func (l *lockedChain) Head() (block.Header, [32]byte) {
	l.n.mu.RLock()
	defer l.n.mu.RUnlock()
	return l.n.chain.Head()
}

func (l *lockedChain) Propose(ctx context.Context, txs [][]byte, t uint64, proposer address.Address) (*block.Block, *runtime.Output, error) {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	start := time.Now() // for the metric only: never part of the block
	b, out, err := l.n.chain.Propose(ctx, txs, t, proposer)
	if err == nil {
		l.n.metrics.block(b, out, time.Since(start))
	}
	return b, out, err
}
