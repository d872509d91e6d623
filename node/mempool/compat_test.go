package mempool_test

import (
	"github.com/plinthchain/plinth/consensus/solo"
	"github.com/plinthchain/plinth/node"
	"github.com/plinthchain/plinth/node/mempool"
)

// The pool is what the node and the block producer take, and the node's
// head state is what the pool asks.
var (
	_ node.Pool     = (*mempool.Mempool)(nil)
	_ solo.TxSource = (*mempool.Mempool)(nil)
	_ mempool.State = node.HeadState(nil)
)
