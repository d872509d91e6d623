package state

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/plinthchain/plinth/state/internal/jmt"
)

// FormatVersion is the on-disk format this build writes. A store written by
// a newer format is refused, never guessed at; a change to any encoding
// below needs a new version and an upgrade path (docs/state.md).
const FormatVersion uint32 = 1

// Key layout. One byte of prefix per kind of record, so each kind is one
// contiguous range of the keyspace:
//
//	m<name>                          store identity and latest commit
//	f<key>                           height of the last write u64 ‖ latest value
//	v<u16 len><key><^height u64>     value of key as of height (tombstone 0x00, or 0x01 ‖ value)
//	x<height u64><u16 len><key><^old height u64>  version superseded at height
//	n<height u64><path>              tree node written at height
//	s<height u64><node height u64><path>  node that became stale at height
//	r<height u64>                    tree root after height
const (
	prefixMeta       = 'm'
	prefixFlat       = 'f'
	prefixVersioned  = 'v'
	prefixNode       = 'n'
	prefixStale      = 's'
	prefixRoot       = 'r'
	prefixSuperseded = 'x'
)

var (
	metaFormat  = []byte("mformat")
	metaChainID = []byte("mchain")
	metaLatest  = []byte("mlatest")
)

// Errors a store reports. Corruption and identity mismatches stop a node:
// it must refuse to run on data it does not understand.
var (
	ErrChainMismatch = errors.New("state: store belongs to another chain")
	ErrNewerFormat   = errors.New("state: store written by a newer format")
	ErrCorrupt       = errors.New("state: corrupt store")
	ErrHeight        = errors.New("state: height out of order")
	ErrNotRetained   = errors.New("state: height not retained")
	// ErrFailed: a write to disk failed during a commit. Pebble cannot
	// continue after that; the store refuses every later commit, and
	// reopening it recovers the last height that reached the disk.
	ErrFailed = errors.New("state: store failed")
)

// Options configure a store.
type Options struct {
	// ChainID is recorded when the store is created and checked on every
	// later open.
	ChainID string
	// Genesis is the hash of the chain's genesis block; zero means not yet
	// known. It is recorded the first time it is known and checked on
	// every later open (ErrGenesisMismatch). See SetGenesis.
	Genesis [32]byte
	// FS is the file system Pebble uses; nil is the operating system's.
	// Tests inject faults through it (pebble/vfs/errorfs).
	FS vfs.FS
	// CacheBytes sizes Pebble's block cache (0: 64 MiB).
	CacheBytes int64
	// NodeCacheBytes bounds the cache of the latest tree's internal nodes
	// (0: 256 MiB; negative: none). A commit walks from the root to every
	// changed key; with the nodes it passes in memory it reads nothing from
	// Pebble. A million keys need about 100 MiB (docs/state.md).
	NodeCacheBytes int64
	// KeepRecent, when above zero, keeps only the last KeepRecent heights:
	// after each commit the store prunes everything older (see Prune).
	// Zero keeps every height (an archive node).
	KeepRecent uint64
	// Logger receives what the store cannot return to a caller (a failed
	// prune after a commit that succeeded); nil is slog.Default().
	Logger *slog.Logger
	// CheckInvariants recomputes the state root from every live value,
	// from scratch, after each commit and reports a mismatch as ErrCorrupt
	// (the block is on disk by then: the check finds bugs, it does not
	// guard writes). It costs a full scan of the state: for tests, never
	// for a node.
	CheckInvariants bool
}

// Store is the authenticated, versioned state on Pebble: flat latest
// values for execution, versioned values for historical reads, the tree
// for the state root and proofs. One Commit is one synced Pebble batch, so
// after a crash the store is at the last committed height, never between
// two. Reads may run concurrently with each other, not with Commit (the
// node that owns the store serializes them).
type Store struct {
	db     *pebble.DB
	height uint64
	root   jmt.Root

	nodes *nodeCache
	// The node cache's warm-up (nodes.go): Close stops it, Commit waits
	// for it, since it loads the tree as of Open.
	warmStop, warmDone chan struct{}

	keep   uint64 // Options.KeepRecent
	log    *slog.Logger
	pruned uint64 // heights below are not retained (0: nothing pruned)
	failed error  // set when a commit hit a disk failure
	check  bool   // Options.CheckInvariants

	genesis [32]byte // the recorded genesis hash (zero: not yet known)
}

// Open opens (or creates) the store in dir and checks its identity.
func Open(dir string, opts Options) (*Store, error) {
	if opts.ChainID == "" {
		return nil, errors.New("state: open: chain id is empty")
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.NodeCacheBytes == 0 {
		opts.NodeCacheBytes = 256 << 20
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref() // Pebble holds its own reference while open
	db, err := pebble.Open(dir, pebbleOptions(opts, cache))
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", dir, corruption(err))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{db: db, nodes: newNodeCache(opts.NodeCacheBytes), check: opts.CheckInvariants, keep: opts.KeepRecent, log: opts.Logger}
	if err := s.checkIdentity(opts); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.loadLatest(); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.warmStop, s.warmDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.warmDone)
		if err := s.warm(s.warmStop); err != nil {
			s.log.Error("state: warming the node cache", "err", err)
		}
	}()
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error {
	close(s.warmStop)
	<-s.warmDone
	return s.db.Close()
}

// Height returns the latest committed height (0 before the first commit).
func (s *Store) Height() uint64 { return s.height }

// RootHash returns the state root after the latest commit.
func (s *Store) RootHash() [32]byte { return s.root.RootHash() }

// get reads a key, copying the value out of Pebble.
func (s *Store) get(key []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: read %q: %w", key[:1], corruption(err))
	}
	out := bytes.Clone(v)
	return out, true, closer.Close()
}

// Change is one key's new value, or its deletion, in a commit.
type Change struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// Commit writes the changes as height (the latest height plus one): the
// tree's new nodes, flat and versioned values, the pruning indexes, the
// root and the latest height, in one Pebble batch synced to disk. It
// returns the new state root. If it fails, the store stays at the
// previous height.
func (s *Store) Commit(height uint64, changes []Change) ([32]byte, error) {
	return s.CommitBlock(height, changes, nil)
}

// CommitBlock is Commit with the block of height (nil: none) written in the
// same synced batch, so a block is on disk exactly when its state is.
func (s *Store) CommitBlock(height uint64, changes []Change, blk *Block) ([32]byte, error) {
	p, err := s.Prepare(height, changes)
	if err == nil {
		err = s.CommitPrepared(p, blk)
	}
	if err != nil {
		return [32]byte{}, err
	}
	return p.Root(), nil
}

// Prepared is a commit whose tree update is computed but not written: its
// root is known, so a block can be checked against it (or a proposer can
// put it in a header) before anything reaches the disk. It is valid until
// the store commits something else.
type Prepared struct {
	height  uint64
	base    jmt.Root
	changes []Change
	res     *jmt.Result
	nodes   encodedNodes // res.New, encoded
}

// Root returns the state root the prepared commit would have.
func (p *Prepared) Root() [32]byte { return p.res.Root.RootHash() }

// Height returns the height the prepared commit is for.
func (p *Prepared) Height() uint64 { return p.height }

// Prepare checks the changes of height (the latest plus one) and computes
// the tree they make, writing nothing.
func (s *Store) Prepare(height uint64, changes []Change) (*Prepared, error) {
	if s.failed != nil {
		return nil, fmt.Errorf("state: commit %d: %w", height, s.failed)
	}
	if height != s.height+1 {
		return nil, fmt.Errorf("%w: commit %d after %d", ErrHeight, height, s.height)
	}
	<-s.warmDone
	for _, c := range changes {
		err := checkKey(c.Key)
		if err == nil && !c.Delete {
			err = checkValue(c.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("state: commit %d: %w", height, err)
		}
	}
	// The root's subtrees are independent: on a machine with cores to
	// spare they update at once, with the same result.
	workers := runtime.GOMAXPROCS(0)
	tc := hashChanges(changes, workers)
	res, err := jmt.UpdateParallel(nodeReader{s: s, latest: true}, s.root, height, tc, workers)
	if err != nil {
		return nil, fmt.Errorf("state: commit %d: %w", height, err)
	}
	return &Prepared{height: height, base: s.root, changes: changes, res: res, nodes: encodeNodes(res.New, workers)}, nil
}

// hashChanges hashes each change's key and value for the tree, on up to
// workers goroutines.
func hashChanges(changes []Change, workers int) []jmt.Change {
	tc := make([]jmt.Change, len(changes))
	per := max(1024, (len(changes)+workers-1)/workers)
	var wg sync.WaitGroup
	for start := 0; start < len(changes); start += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < min(len(changes), start+per); i++ {
				c := &changes[i]
				tc[i] = jmt.Change{KeyHash: jmt.HashKey(c.Key), Delete: c.Delete}
				if !c.Delete {
					tc[i].ValueHash = jmt.HashValue(c.Value)
				}
			}
		}()
	}
	wg.Wait()
	return tc
}

// CommitPrepared writes a prepared commit, with the block of its height
// (nil: none), in one synced batch. It fails with ErrHeight if the store
// has committed anything since Prepare.
func (s *Store) CommitPrepared(p *Prepared, blk *Block) error {
	height, res := p.height, p.res
	if s.failed != nil {
		return fmt.Errorf("state: commit %d: %w", height, s.failed)
	}
	if height != s.height+1 || p.base != s.root {
		return fmt.Errorf("%w: commit %d was prepared over another state (latest %d)", ErrHeight, height, s.height)
	}
	b, err := s.commitBatch(height, p, blk)
	if err != nil {
		return fmt.Errorf("state: commit %d: %w", height, err)
	}
	defer b.Close()
	// The node cache takes the new tree while the batch syncs (the commit
	// mostly waits on the disk then). Should the sync fail, the cache
	// would hold nodes of a height that never was and lack nodes still
	// live, so it is emptied.
	cached := make(chan struct{})
	go func() {
		defer close(cached)
		// A new node overwrites the entry at its path; only paths left
		// empty need dropping.
		for _, k := range res.Removed {
			s.nodes.drop(k)
		}
		for i, e := range res.New {
			s.nodes.put(e.Key, p.nodes.entry[i])
		}
	}()
	err = s.syncBatch(b)
	<-cached
	if err != nil {
		s.nodes.reset()
		return fmt.Errorf("state: commit %d: %w", height, err)
	}
	s.height, s.root = height, res.Root
	if s.check {
		if err := s.checkRoot(); err != nil {
			return fmt.Errorf("state: commit %d: %w", height, err)
		}
	}
	if s.keep > 0 && height > s.keep {
		// The commit stands whatever happens here: pruning is idempotent,
		// and the next commit prunes whatever this one could not.
		if err := s.Prune(height - s.keep + 1); err != nil {
			s.log.Error("state: prune after commit", "height", height, "err", err)
		}
	}
	return nil
}

// commitBatch builds a prepared commit's batch.
func (s *Store) commitBatch(height uint64, p *Prepared, blk *Block) (*pebble.Batch, error) {
	changes, res := p.changes, p.res
	// Sizing the batch up front saves growing (and copying) it a dozen
	// times: a change is written twice.
	size := 64 + 48*len(res.Stale) + p.nodes.bytes
	for _, c := range changes {
		size += 3*len(c.Key) + 2*len(c.Value) + 48
	}
	b := s.db.NewBatchWithSize(size)
	for i, e := range res.New {
		if err := b.Set(nodeKey(e.Key), p.nodes.stored(i), nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	var buf []byte
	// The pruning indexes are one record per height each: a list read
	// back whole when the height is pruned, rather than an entry per
	// stale node or superseded version.
	//
	// s ‖ height → per node: version u64 ‖ path length u8 ‖ path
	buf = buf[:0]
	for _, k := range res.Stale {
		buf = binary.BigEndian.AppendUint64(buf, k.Version)
		buf = append(buf, byte(len(k.Path)))
		buf = append(buf, k.Path...)
	}
	if err := b.Set(heightKey(prefixStale, height), buf, nil); err != nil {
		b.Close()
		return nil, err
	}
	// Flat values, then versioned ones, each run in its keys' order: see
	// keyOrder.
	flat := keyOrder(changes, bytes.Compare)
	versioned := flat // the same order unless keys differ in length
	for j := 1; j < len(flat); j++ {
		if compareVersioned(changes[flat[j-1]].Key, changes[flat[j]].Key) > 0 {
			versioned = keyOrder(changes, compareVersioned)
			break
		}
	}
	for _, i := range flat {
		c := changes[i]
		if c.Delete && res.Prev[i] == 0 {
			continue // deleting an absent key changes nothing, not even history
		}
		fk := append([]byte{prefixFlat}, c.Key...)
		var err error
		if c.Delete {
			err = b.Delete(fk, nil)
		} else {
			err = b.Set(fk, c.Value, nil)
		}
		if err != nil {
			b.Close()
			return nil, err
		}
	}
	// x ‖ height → per version: key length u16 ‖ key ‖ version's height u64
	var superseded []byte
	for _, i := range versioned {
		c := changes[i]
		prev := res.Prev[i]
		if c.Delete && prev == 0 {
			continue
		}
		vk := versionedKey(c.Key, height)
		var err error
		if c.Delete {
			// The tombstone itself can go once this height is pruned:
			// with no version at all, a key reads as absent anyway.
			superseded = appendVersion(superseded, c.Key, height)
			err = b.Set(vk, []byte{0}, nil)
		} else {
			err = b.Set(vk, append([]byte{1}, c.Value...), nil)
		}
		if prev != 0 {
			superseded = appendVersion(superseded, c.Key, prev)
		}
		if err != nil {
			b.Close()
			return nil, err
		}
	}
	if blk != nil {
		if err := s.writeBlock(b, height, blk); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := errors.Join(
		b.Set(heightKey(prefixSuperseded, height), superseded, nil),
		b.Set(rootKey(height), encodeRoot(res.Root), nil),
		b.Set(metaLatest, binary.BigEndian.AppendUint64(nil, height), nil),
	); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// keyOrder returns the indexes of changes in the order cmp sorts their
// keys. A commit writes each kind of record as one ascending run: Pebble
// inserts a batch into its memtable (a skiplist) with one inserter that
// remembers where the last key went, and within a sorted run that spot
// brackets the next key, so each insert is a short search instead of a
// full one. Random order measured 25–35 ms more per block of 10,000
// updates (docs/benchmarks.md, "State").
func keyOrder(changes []Change, cmp func(a, b []byte) int) []int {
	type keyed struct {
		key []byte
		i   int
	}
	ks := make([]keyed, len(changes))
	for i, c := range changes {
		ks[i] = keyed{c.Key, i}
	}
	// A write set's changes come sorted already.
	if !slices.IsSortedFunc(ks, func(a, b keyed) int { return cmp(a.key, b.key) }) {
		slices.SortFunc(ks, func(a, b keyed) int { return cmp(a.key, b.key) })
	}
	order := make([]int, len(ks))
	for j, k := range ks {
		order[j] = k.i
	}
	return order
}

// compareVersioned orders keys as their versioned records sort: by
// length, then bytes (versionedKey prefixes the length).
func compareVersioned(a, b []byte) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return bytes.Compare(a, b)
}

func appendVersion(b, key []byte, height uint64) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(key)))
	b = append(b, key...)
	return binary.BigEndian.AppendUint64(b, height)
}

func heightKey(prefix byte, height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefix}, height)
}

// checkRoot recomputes the root from the flat table alone, through a tree
// built from scratch in memory, and compares it with the committed root.
func (s *Store) checkRoot() error {
	it, err := s.Iterate(nil, IterOptions{})
	if err != nil {
		return err
	}
	defer it.Close()
	var cs []jmt.Change
	for it.Next() {
		cs = append(cs, jmt.Change{KeyHash: jmt.HashKey(it.Key()), ValueHash: jmt.HashValue(it.Value())})
	}
	if err := it.Err(); err != nil {
		return err
	}
	res, err := jmt.Update(memNodes{}, jmt.Root{}, 1, cs)
	if err != nil {
		return err
	}
	if got, want := res.Root.RootHash(), s.root.RootHash(); got != want {
		return fmt.Errorf("%w: invariant: root from the values is %x, the tree's is %x", ErrCorrupt, got[:8], want[:8])
	}
	return nil
}

// memNodes is the node source of a tree built from nothing.
type memNodes struct{}

func (memNodes) Node(jmt.NodeKey) (*jmt.Node, error) { return nil, jmt.ErrMissingNode }

// syncBatch commits b synced. A failed WAL write is fatal to Pebble,
// which reports it through the logger's Fatalf; pebbleLogger panics there,
// and the panic becomes ErrFailed here instead of taking the node down
// without a word.
func (s *Store) syncBatch(b *pebble.Batch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.failed = fmt.Errorf("%w: %v", ErrFailed, r)
			err = s.failed
		}
	}()
	return b.Commit(pebble.Sync)
}

// Get returns the latest value of key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	return s.get(append([]byte{prefixFlat}, key...))
}

// GetAt returns the value key had after height.
func (s *Store) GetAt(key []byte, height uint64) ([]byte, bool, error) {
	if height == 0 || height > s.height || height < s.pruned {
		return nil, false, fmt.Errorf("%w: %d (retained %d..%d)", ErrNotRetained, height, s.OldestHeight(), s.height)
	}
	start := versionedKey(key, height)
	end := versionedKey(key, 0)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: append(end, 0)})
	if err != nil {
		return nil, false, fmt.Errorf("state: read %x at %d: %w", key, height, corruption(err))
	}
	defer it.Close()
	if !it.First() {
		return nil, false, corruption(it.Error())
	}
	v := it.Value()
	if len(v) == 0 {
		return nil, false, fmt.Errorf("%w: empty versioned value of %x", ErrCorrupt, key)
	}
	if v[0] == 0 {
		return nil, false, nil
	}
	return bytes.Clone(v[1:]), true, nil
}

// Prove returns key's value after height (nil if absent) and a proof of it
// against that height's root (RootAt).
func (s *Store) Prove(key []byte, height uint64) ([]byte, *jmt.Proof, error) {
	root, err := s.rootAt(height)
	if err != nil {
		return nil, nil, err
	}
	kh := jmt.HashKey(key)
	p, valueHeight, err := jmt.ProveHeight(nodeReader{s: s, latest: height == s.height}, root, kh)
	if err != nil {
		return nil, nil, fmt.Errorf("state: prove %x at %d: %w", key, height, err)
	}
	if valueHeight == 0 {
		return nil, p, nil
	}
	// The leaf names the version that holds the value: one point read,
	// checked against the hash the proof commits to.
	v, ok, err := s.get(versionedKey(key, valueHeight))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("state: prove %x at %d: %w", key, height, err)
	case !ok || len(v) == 0 || v[0] != 1 || jmt.HashValue(v[1:]) != p.Leaf.ValueHash:
		return nil, nil, fmt.Errorf("%w: the value of %x set at %d does not match its leaf", ErrCorrupt, key, valueHeight)
	}
	return v[1:], p, nil
}

// RootAt returns the state root after height.
func (s *Store) RootAt(height uint64) ([32]byte, error) {
	r, err := s.rootAt(height)
	return r.RootHash(), err
}

func (s *Store) rootAt(height uint64) (jmt.Root, error) {
	if height == 0 {
		return jmt.Root{}, nil
	}
	if height == s.height {
		return s.root, nil
	}
	if height < s.pruned || height > s.height {
		return jmt.Root{}, fmt.Errorf("%w: %d (retained %d..%d)", ErrNotRetained, height, s.OldestHeight(), s.height)
	}
	return s.readRoot(height)
}

// readRoot reads height's root record.
func (s *Store) readRoot(height uint64) (jmt.Root, error) {
	b, ok, err := s.get(rootKey(height))
	if err != nil {
		return jmt.Root{}, err
	}
	if !ok {
		return jmt.Root{}, fmt.Errorf("%w: no root for height %d", ErrNotRetained, height)
	}
	return decodeRoot(b)
}

// VerifyProof checks, with nothing but a root hash, that key has value
// (or, with value nil, no value) under root.
func VerifyProof(root [32]byte, key, value []byte, p *jmt.Proof) error {
	var vh *jmt.Hash
	if value != nil {
		h := jmt.HashValue(value)
		vh = &h
	}
	return jmt.Verify(root, jmt.HashKey(key), vh, p)
}
