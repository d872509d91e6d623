package mempool

import (
	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Update tells the pool a block was committed with the included
// transactions. It drops them, reads every pooled sender's account again
// and drops what the new head makes invalid: nonces now used, and
// transactions the parameters in force or the sender's balance no longer
// admit. A queued transaction whose gap the block filled becomes pending
// by itself (pending means contiguous from the account's nonce).
// Transactions after a dropped one stay, queued, until the sender fills
// the gap again.
func (m *Mempool) Update(included [][]byte) {
	p := m.st.Params()
	m.order.Lock() // no Add between our reads and their use
	defer m.order.Unlock()

	m.mu.Lock()
	gone := 0
	for _, raw := range included {
		if x := m.byHash[tx.Hash(raw)]; x != nil {
			m.removeLocked(x)
			gone++
		}
	}
	senders := make([]address.Address, 0, len(m.senders))
	for a := range m.senders {
		senders = append(senders, a)
	}
	m.syncCounts()
	m.mu.Unlock()

	type account struct {
		nonce   uint64
		balance uint256.Int
	}
	accounts := make(map[address.Address]account, len(senders))
	for _, a := range senders {
		nonce, balance, err := m.st.Account(a)
		if err != nil {
			// The node's failure, not the transactions': keep them and
			// let the next Update judge them.
			m.log.Error("mempool: reading account", "account", a, "err", err)
			continue
		}
		accounts[a] = account{nonce: nonce, balance: balance.Int}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	var stale, invalid, unpaid int
	for a, acc := range accounts {
		q := m.senders[a]
		if q == nil {
			continue // emptied meanwhile (Remove)
		}
		q.nonce = max(q.nonce, acc.nonce)
		var keep []*entry
		for _, x := range q.txs {
			if x.nonce < q.nonce {
				stale++
				continue
			}
			// The parameters may have changed with the block.
			if err := checkLimits(x, p); err != nil {
				invalid++
				m.log.Debug("mempool: dropped, invalid at the new head", "tx", short(x.hash), "err", err)
				continue
			}
			keep = append(keep, x)
		}
		kept, dropped, _ := affordable(keep, &acc.balance)
		for _, x := range dropped {
			m.log.Debug("mempool: dropped, sender cannot pay it", "tx", short(x.hash), "sender", x.sender, "nonce", x.nonce)
		}
		unpaid += len(dropped)
		for _, x := range q.txs {
			if !containsEntry(kept, x) {
				delete(m.byHash, x.hash)
				m.bytes -= len(x.raw)
			}
		}
		q.txs = kept
		if len(kept) == 0 {
			delete(m.senders, a)
		}
	}
	m.syncCounts()
	m.log.Debug("mempool: updated", "included", gone, "stale", stale, "invalid", invalid, "unaffordable", unpaid, "txs", len(m.byHash), "bytes", m.bytes)
}

// containsEntry reports whether x is in txs (ascending nonce).
func containsEntry(txs []*entry, x *entry) bool {
	q := queue{txs: txs}
	i := q.search(x.nonce)
	return i < len(txs) && txs[i] == x
}

// Remove drops the transaction with the given hash, if pooled: a proposer
// found it invalid. The sender's later transactions stay, queued behind
// the gap.
func (m *Mempool) Remove(hash [32]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if x := m.byHash[hash]; x != nil {
		m.removeLocked(x)
		m.syncCounts()
		m.log.Debug("mempool: removed", "tx", short(hash), "sender", x.sender, "nonce", x.nonce)
	}
}
