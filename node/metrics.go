package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/plinthchain/plinth/node/bft"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/block"
)

// metrics are the node's Prometheus metrics, on /metrics. Each node has
// its own registry: no package-level state, and two nodes in one test
// process do not collide.
type metrics struct {
	reg       *prometheus.Registry
	height    prometheus.Gauge
	txs       prometheus.Counter
	failedTxs prometheus.Counter
	gas       prometheus.Counter
	blockTime prometheus.Histogram
}

func newMetrics(pool func() int) *metrics {
	m := &metrics{
		reg:       prometheus.NewRegistry(),
		height:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "plinth_block_height", Help: "Height of the latest committed block."}),
		txs:       prometheus.NewCounter(prometheus.CounterOpts{Name: "plinth_txs_total", Help: "Transactions included in committed blocks."}),
		failedTxs: prometheus.NewCounter(prometheus.CounterOpts{Name: "plinth_txs_failed_total", Help: "Included transactions whose execution failed."}),
		gas:       prometheus.NewCounter(prometheus.CounterOpts{Name: "plinth_gas_used_total", Help: "Gas used by committed blocks."}),
		blockTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "plinth_block_seconds", Help: "Time to make a block: execution, state root and commit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	m.reg.MustRegister(m.height, m.txs, m.failedTxs, m.gas, m.blockTime,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plinth_mempool_txs", Help: "Transactions waiting in the mempool."}, func() float64 { return float64(pool()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// block records a committed block and how long it took.
func (m *metrics) block(b *block.Block, out *runtime.Output, took time.Duration) {
	m.committed(b, out)
	m.blockTime.Observe(took.Seconds())
}

// committed records a committed block.
func (m *metrics) committed(b *block.Block, out *runtime.Output) {
	m.height.Set(float64(b.Header.Height))
	m.txs.Add(float64(len(b.Txs)))
	for _, r := range out.Receipts {
		if r.Code != runtime.CodeOK {
			m.failedTxs.Inc()
		}
	}
	m.gas.Add(float64(out.GasUsed))
}

// consensus adds the network's gauges: the engine's round and whether it
// is catching up, and the peers.
func (m *metrics) consensus(status func() bft.Status, peers func() int) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plinth_consensus_round", Help: "Round of the height being decided (0 when the first round decides)."},
			func() float64 { return float64(status().Round) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plinth_consensus_catching_up", Help: "1 while the node syncs blocks from peers."},
			func() float64 {
				if status().CatchingUp {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plinth_p2p_peers", Help: "Connected libp2p peers."},
			func() float64 { return float64(peers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "plinth_consensus_missed_blocks_total",
			Help: "Blocks committed while this node was their validator whose commit lacks its signature."},
			func() float64 { return float64(status().MissedBlocks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "plinth_sync_blocks_total",
			Help: "Blocks applied by catch-up from peers; its rate is the sync speed."},
			func() float64 { return float64(status().SyncedBlocks) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plinth_evidence_pool", Help: "Evidence of equivocation waiting for a block."},
			func() float64 { return float64(status().Evidence) }),
	)
}
