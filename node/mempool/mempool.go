// Package mempool is a node's pool of pending transactions: the ones it
// has checked against the head state and will offer to the next blocks
// (docs/mempool.md). A transaction that is invalid on the head state never
// enters; per sender the pool keeps nonce order, across senders it offers
// the highest gas price first; it is bounded in transactions and bytes and
// evicts the cheapest when full, never opening a nonce gap.
//
// The pool does not execute anything and knows nothing of the runtime's
// internals: it asks a State about parameters and accounts, and applies
// the same validity rules the runtime applies to a block
// (docs/protocol.md, "Invalid and failed"), against the head.
package mempool

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/holiman/uint256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Reasons Add refuses a transaction. Each is wrapped with the detail
// (which transaction, which numbers); errors.Is finds the reason, and a
// decoding or signature refusal also wraps tx's own error.
var (
	ErrMalformed         = errors.New("mempool: malformed transaction")
	ErrBadSignature      = errors.New("mempool: bad signature")
	ErrWrongChain        = errors.New("mempool: wrong chain id")
	ErrGasPriceTooLow    = errors.New("mempool: gas price below the minimum")
	ErrIntrinsicGas      = errors.New("mempool: gas limit below the intrinsic gas")
	ErrGasLimitTooHigh   = errors.New("mempool: gas limit above the block gas limit")
	ErrCodeTooLarge      = errors.New("mempool: deployed code larger than a block may hold")
	ErrNonceTooLow       = errors.New("mempool: nonce too low")
	ErrTooFarAhead       = errors.New("mempool: nonce too far ahead")
	ErrInsufficientFunds = errors.New("mempool: sender cannot pay the maximum fees")
	ErrKnown             = errors.New("mempool: already known")
	ErrUnderpriced       = errors.New("mempool: replacement underpriced")
	ErrPoolFull          = errors.New("mempool: full")
)

// State is what the pool asks of the chain's head: the parameters in
// force for the next block, the chain id, and an account's nonce and
// balance. The node implements it over its head state. Its methods may
// block on the node's own lock, so the pool never calls them while
// holding its own (see Mempool.order).
type State interface {
	Params() *params.Params
	ChainID() string
	Account(address.Address) (nonce uint64, balance canon.U256, err error)
	// SigCache is the node's cache of verified signatures, shared with
	// the runtime so that a transaction the pool checked is not checked
	// again when its block executes; nil checks every time.
	SigCache() *tx.SigCache
}

// Config bounds the pool.
type Config struct {
	// MaxTxs and MaxBytes bound the pool's transactions and the sum of
	// their encoded sizes; past either, the cheapest are evicted. A value
	// of 0 or less takes the default.
	MaxTxs   int
	MaxBytes int
	// MaxFuturePerSender is how far past a sender's next executable nonce
	// (its account nonce plus the transactions it has pending without a
	// gap) a transaction's nonce may lie: so at most that many of its
	// transactions wait on a missing nonce. 0 admits only the next one.
	MaxFuturePerSender int
	// ReplaceBumpPercent is how much higher, in percent, a transaction's
	// gas price must be to replace the pooled one with the same sender
	// and nonce. It is always at least one unit higher.
	ReplaceBumpPercent uint64
}

// DefaultConfig is a pool for a single node:
//
//   - MaxTxs 10,000: Update reads each sender's account once a block and
//     Reap looks at each sender, so the count bounds the per-block work;
//     at a few hundred bytes a transfer it is a few MB of memory.
//   - MaxBytes 64 MiB: two full blocks (MaxBlockBytes is 32 MiB in
//     params.Version1), yet only a dozen of the largest deploys (5 MiB).
//   - MaxFuturePerSender 16: enough for a client that sends a burst of
//     transactions and has one arrive out of order, few enough that one
//     key cannot fill the pool with transactions no block can take.
//   - ReplaceBumpPercent 10: a sender can still speed up a stuck
//     transaction, but each replacement (which every node relays and
//     checks again) costs at least 10% more than the last, so churning
//     the pool with replacements gets expensive geometrically.
func DefaultConfig() Config {
	return Config{MaxTxs: 10_000, MaxBytes: 64 << 20, MaxFuturePerSender: 16, ReplaceBumpPercent: 10}
}

// maxBlockTxs is the most transactions Reap offers one block: the canonical
// decoder's array ceiling (docs/protocol.md, "Encoding"). The gas and byte
// limits alone would let more small transfers into a block than any node
// could decode.
const maxBlockTxs = 1 << 17

// Info describes a pooled transaction.
type Info struct {
	Hash     [32]byte
	Sender   address.Address
	Nonce    uint64
	GasLimit uint64
	GasPrice canon.U256
	// Raw is the signed envelope; it is the pool's copy: do not modify it.
	Raw []byte
	// Queued: a nonce is missing between the sender's account nonce and
	// this transaction, so no block can take it until the gap is filled.
	// Otherwise it is pending: executable in nonce order from the head.
	Queued bool
}

// entry is a pooled transaction with what the pool orders it by.
type entry struct {
	raw      []byte
	hash     [32]byte
	sender   address.Address
	nonce    uint64
	gasLimit uint64
	price    uint256.Int
	maxFee   uint256.Int // gasLimit × price; never overflows (Add refuses)
	code     int         // bytes of code a deploy carries, for MaxBlockCodeBytes
	seq      uint64      // arrival order: among equal prices the newest is evicted first
}

// queue is one sender's pooled transactions.
type queue struct {
	// nonce is the account's nonce as last read from the state. It only
	// grows: a read older than the last one is never written over it.
	nonce uint64
	txs   []*entry // ascending nonce, unique
}

// search returns the index of the first transaction with a nonce of at
// least n.
func (q *queue) search(n uint64) int {
	return sort.Search(len(q.txs), func(i int) bool { return q.txs[i].nonce >= n })
}

// find returns the transaction with nonce n.
func (q *queue) find(n uint64) *entry {
	if i := q.search(n); i < len(q.txs) && q.txs[i].nonce == n {
		return q.txs[i]
	}
	return nil
}

// next is the sender's next executable nonce: the first one, from the
// account's, that the pool lacks.
func (q *queue) next() uint64 {
	n := q.nonce
	for i := q.search(n); i < len(q.txs) && q.txs[i].nonce == n; i++ {
		n++
	}
	return n
}

// Mempool is the pool. It is safe for concurrent use.
type Mempool struct {
	cfg Config
	st  State
	log *slog.Logger

	// order keeps each Add's state reads and their use on one side of
	// an Update: Adds share it, Update holds it alone. An Add that read
	// an account before a block and pooled after the block's Update
	// would pool a transaction no Update judged on that block. It is not
	// mu because the state is read under it, and the state may wait on
	// the node's lock, which the node may hold while asking the pool
	// something: under mu that could deadlock.
	order sync.RWMutex

	mu      sync.Mutex
	byHash  map[[32]byte]*entry
	senders map[address.Address]*queue
	bytes   int
	seq     uint64

	// count and size mirror len(byHash) and bytes for Len and Bytes,
	// which the node calls while holding its own lock: they must never
	// wait for the pool's.
	count, size atomic.Int64
}

// New returns an empty pool that checks transactions against st.
func New(cfg Config, st State, log *slog.Logger) *Mempool {
	def := DefaultConfig()
	if cfg.MaxTxs <= 0 {
		cfg.MaxTxs = def.MaxTxs
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = def.MaxBytes
	}
	cfg.MaxFuturePerSender = max(cfg.MaxFuturePerSender, 0)
	if log == nil {
		log = slog.Default()
	}
	return &Mempool{cfg: cfg, st: st, log: log, byHash: make(map[[32]byte]*entry), senders: make(map[address.Address]*queue)}
}

// Len is how many transactions the pool holds.
func (m *Mempool) Len() int { return int(m.count.Load()) }

// Bytes is the sum of the pooled transactions' sizes.
func (m *Mempool) Bytes() int { return int(m.size.Load()) }

// Add checks the signed transaction raw against the head state and pools
// it, replacing a pooled one of the same sender and nonce if it pays
// enough more, and evicting cheaper ones if the pool is full. It returns
// the transaction's hash, with every error but a decoding one too. The
// pool keeps its own copy of raw.
func (m *Mempool) Add(raw []byte) ([32]byte, error) {
	p := m.st.Params()
	d, err := tx.Decode(raw, int(p.MaxTxBytes))
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	m.mu.Lock()
	_, known := m.byHash[d.Hash]
	m.mu.Unlock()
	if known { // before the signature: resubmissions are common and cheap to spot
		return d.Hash, fmt.Errorf("%w: tx %x", ErrKnown, d.Hash[:8])
	}
	if chainID := m.st.ChainID(); d.Tx.ChainID != chainID {
		return d.Hash, fmt.Errorf("%w: tx %x is for %q, this chain is %q", ErrWrongChain, d.Hash[:8], d.Tx.ChainID, chainID)
	}
	e := &entry{raw: append([]byte(nil), raw...), hash: d.Hash, sender: d.Sender, nonce: d.Tx.Nonce, gasLimit: d.Tx.GasLimit, price: d.Tx.GasPrice.Int}
	if dep, ok := d.Tx.Payload.Body.(tx.Deploy); ok {
		e.code = len(dep.Code)
	}
	if err := checkLimits(e, p); err != nil {
		return d.Hash, err
	}
	if _, overflow := e.maxFee.MulOverflow(uint256.NewInt(e.gasLimit), &e.price); overflow {
		return d.Hash, fmt.Errorf("%w: tx %x: gas limit %d × gas price %s overflows", ErrInsufficientFunds, d.Hash[:8], e.gasLimit, d.Tx.GasPrice)
	}
	// The signature last of what needs no state: it is the costly check.
	if err := m.st.SigCache().Verify(d); err != nil {
		return d.Hash, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}

	m.order.RLock()
	defer m.order.RUnlock()
	if err := checkLimits(e, m.st.Params()); err != nil { // an Update may have changed them
		return d.Hash, err
	}
	nonce, balance, err := m.st.Account(d.Sender)
	if err != nil {
		return d.Hash, fmt.Errorf("mempool: reading account %s: %w", d.Sender, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, known := m.byHash[d.Hash]; known { // added meanwhile
		return d.Hash, fmt.Errorf("%w: tx %x", ErrKnown, d.Hash[:8])
	}
	if err := m.insertLocked(e, nonce, &balance.Int); err != nil {
		return d.Hash, err
	}
	return d.Hash, nil
}

// checkLimits applies the validity rules that depend on the parameters
// and the transaction alone (the chain id aside: it never changes). Update
// applies them again, for the parameters may change with a block.
func checkLimits(e *entry, p *params.Params) error {
	intrinsic := p.TxBaseGas + p.TxByteGas*uint64(len(e.raw))
	switch {
	case len(e.raw) > int(p.MaxTxBytes):
		return fmt.Errorf("%w: %w: tx %x of %d bytes, limit %d", ErrMalformed, tx.ErrTooLarge, e.hash[:8], len(e.raw), p.MaxTxBytes)
	case e.price.Lt(&p.MinGasPrice.Int):
		return fmt.Errorf("%w: tx %x offers %s, minimum %s", ErrGasPriceTooLow, e.hash[:8], e.price.Dec(), p.MinGasPrice)
	case e.gasLimit < intrinsic:
		return fmt.Errorf("%w: tx %x: %d < %d", ErrIntrinsicGas, e.hash[:8], e.gasLimit, intrinsic)
	case e.gasLimit > p.MaxBlockGas:
		return fmt.Errorf("%w: tx %x: %d > %d", ErrGasLimitTooHigh, e.hash[:8], e.gasLimit, p.MaxBlockGas)
	case e.code > int(p.MaxBlockCodeBytes):
		return fmt.Errorf("%w: tx %x deploys %d bytes, a block at most %d", ErrCodeTooLarge, e.hash[:8], e.code, p.MaxBlockCodeBytes)
	}
	return nil
}

// insertLocked applies the state-dependent rules to e, given its sender's
// account, and pools it.
func (m *Mempool) insertLocked(e *entry, accNonce uint64, balance *uint256.Int) error {
	q := m.senders[e.sender]
	if q == nil {
		q = &queue{}
	}
	q.nonce = max(q.nonce, accNonce)
	if e.nonce < q.nonce {
		return fmt.Errorf("%w: tx %x has nonce %d, account %s is at %d", ErrNonceTooLow, e.hash[:8], e.nonce, e.sender, q.nonce)
	}
	old := q.find(e.nonce)
	if old != nil {
		if need, ok := replacePrice(&old.price, m.cfg.ReplaceBumpPercent); !ok || e.price.Lt(need) {
			return fmt.Errorf("%w: tx %x offers %s to replace %x at %s, needs at least %s (+%d%%)", ErrUnderpriced, e.hash[:8], e.price.Dec(), old.hash[:8], old.price.Dec(), priceString(need, ok), m.cfg.ReplaceBumpPercent)
		}
	} else if next := q.next(); e.nonce > next && e.nonce-next > uint64(m.cfg.MaxFuturePerSender) {
		// (Below next every nonce is pooled: e would have replaced one.)
		return fmt.Errorf("%w: tx %x has nonce %d, sender %s's next executable nonce is %d, the pool takes at most %d past it", ErrTooFarAhead, e.hash[:8], e.nonce, e.sender, next, m.cfg.MaxFuturePerSender)
	}

	// The sender's queue as it would be: stale transactions gone, e in
	// place of old, and only what the balance pays for, in nonce order.
	rest := q.txs[q.search(q.nonce):]
	list := make([]*entry, 0, len(rest)+1)
	for _, x := range rest {
		if x != old {
			list = append(list, x)
		}
	}
	list = slices.Insert(list, sort.Search(len(list), func(i int) bool { return list[i].nonce > e.nonce }), e)
	kept, dropped, total := affordable(list, balance)
	if slices.Contains(dropped, e) {
		return fmt.Errorf("%w: tx %x's maximum fee %s on top of the %s its sender's earlier pooled transactions may cost, balance %s", ErrInsufficientFunds, e.hash[:8], e.maxFee.Dec(), feesBefore(kept, e.nonce).Dec(), balance.Dec())
	}

	e.seq = m.seq + 1
	count := len(m.byHash) - len(q.txs) + len(kept)
	bytes := m.bytes - sizeOf(q.txs) + sizeOf(kept)
	evict, err := m.makeRoomLocked(e, kept, count, bytes)
	if err != nil {
		return err
	}

	m.seq++
	for _, x := range q.txs {
		delete(m.byHash, x.hash)
		m.bytes -= len(x.raw)
	}
	for _, x := range kept {
		m.byHash[x.hash] = x
		m.bytes += len(x.raw)
	}
	q.txs = kept
	m.senders[e.sender] = q
	for _, x := range evict {
		m.removeLocked(x)
	}
	m.syncCounts()

	attrs := []any{"tx", short(e.hash), "sender", e.sender, "nonce", e.nonce, "price", e.price.Dec(), "pending_fees", total.Dec()}
	if old != nil {
		attrs = append(attrs, "replaced", short(old.hash))
	}
	m.log.Debug("mempool: added", attrs...)
	for _, x := range dropped {
		m.log.Debug("mempool: dropped, sender cannot pay it after a new transaction", "tx", short(x.hash), "sender", x.sender, "nonce", x.nonce)
	}
	for _, x := range evict {
		m.log.Debug("mempool: evicted", "tx", short(x.hash), "sender", x.sender, "nonce", x.nonce, "price", x.price.Dec(), "for", short(e.hash))
	}
	return nil
}

// affordable takes txs (one sender's, ascending nonce) in order while the
// running total of their maximum fees stays within balance, and returns
// those kept, those not, and the kept ones' total. Each is judged as if
// the ones before it ran at their full gas limit: what the pool can know
// without executing anything.
func affordable(txs []*entry, balance *uint256.Int) (kept, dropped []*entry, total uint256.Int) {
	for _, x := range txs {
		var sum uint256.Int
		if _, overflow := sum.AddOverflow(&total, &x.maxFee); overflow || balance.Lt(&sum) {
			dropped = append(dropped, x)
			continue
		}
		total = sum
		kept = append(kept, x)
	}
	return kept, dropped, total
}

// feesBefore sums the maximum fees of the transactions in txs before
// nonce n (for an error's detail; they were kept, so the sum fits).
func feesBefore(txs []*entry, n uint64) *uint256.Int {
	var sum uint256.Int
	for _, x := range txs {
		if x.nonce < n {
			sum.Add(&sum, &x.maxFee)
		}
	}
	return &sum
}

// replacePrice is the least gas price that replaces a transaction at old:
// old × (100 + bump) / 100 rounded up, and at least old + 1, so that no
// replacement is free whatever the bump or the price. ok is false if it
// exceeds the largest price.
func replacePrice(old *uint256.Int, bump uint64) (*uint256.Int, bool) {
	var factor uint256.Int
	if _, overflow := factor.AddOverflow(uint256.NewInt(100), uint256.NewInt(bump)); overflow {
		return nil, false
	}
	var need uint256.Int
	if _, overflow := need.MulDivOverflow(old, &factor, uint256.NewInt(100)); overflow {
		return nil, false
	}
	// Round up: old × factor is a multiple of 100 iff the product of the
	// two residues is.
	var r1, r2 uint256.Int
	r1.Mod(old, uint256.NewInt(100))
	r2.Mod(&factor, uint256.NewInt(100))
	if (r1.Uint64()*r2.Uint64())%100 != 0 {
		if _, overflow := need.AddOverflow(&need, uint256.NewInt(1)); overflow {
			return nil, false
		}
	}
	var least uint256.Int
	if _, overflow := least.AddOverflow(old, uint256.NewInt(1)); overflow {
		return nil, false
	}
	if need.Lt(&least) {
		need = least
	}
	return &need, true
}

func priceString(p *uint256.Int, ok bool) string {
	if !ok {
		return "more than the largest price"
	}
	return p.Dec()
}

func sizeOf(txs []*entry) int {
	n := 0
	for _, x := range txs {
		n += len(x.raw)
	}
	return n
}

func short(h [32]byte) string { return fmt.Sprintf("%x", h[:8]) }

// removeLocked takes x out of the pool (its sender's queue may be left
// with a gap: the caller decides that x must go).
func (m *Mempool) removeLocked(x *entry) {
	q := m.senders[x.sender]
	if q == nil {
		return
	}
	i := q.search(x.nonce)
	if i == len(q.txs) || q.txs[i] != x {
		return
	}
	q.txs = slices.Delete(q.txs, i, i+1)
	if len(q.txs) == 0 {
		// The account's nonce is read again with its next transaction.
		delete(m.senders, x.sender)
	}
	delete(m.byHash, x.hash)
	m.bytes -= len(x.raw)
}

// syncCounts publishes the count and size for Len and Bytes.
func (m *Mempool) syncCounts() {
	m.count.Store(int64(len(m.byHash)))
	m.size.Store(int64(m.bytes))
}

// Get returns the pooled transaction with the given hash.
func (m *Mempool) Get(hash [32]byte) (Info, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byHash[hash]
	if e == nil {
		return Info{}, false
	}
	q := m.senders[e.sender]
	if e.nonce < q.nonce { // included: gone at the next Update
		return Info{}, false
	}
	return e.info(q.next()), true
}

// Pending returns sender's pooled transactions in nonce order, pending
// and queued (Info.Queued tells which).
func (m *Mempool) Pending(sender address.Address) []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.senders[sender]
	if q == nil {
		return nil
	}
	next := q.next()
	out := make([]Info, 0, len(q.txs))
	for _, x := range q.txs[q.search(q.nonce):] {
		out = append(out, x.info(next))
	}
	return out
}

func (e *entry) info(next uint64) Info {
	return Info{Hash: e.hash, Sender: e.sender, Nonce: e.nonce, GasLimit: e.gasLimit, GasPrice: canon.U256{Int: e.price}, Raw: e.raw, Queued: e.nonce > next}
}
