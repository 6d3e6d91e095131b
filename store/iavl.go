package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/depinhq/depin/proof"
)

// ErrVersionUnavailable is returned when a query asks for a version that was
// pruned or not yet committed.
var ErrVersionUnavailable = errors.New("version not available")

// Tree is the committed state: Shards IAVL trees, each key in the one
// ShardOf names, all at the same version, which equals the block height.
// The state's root hash (the app hash) is RootHash over the trees' roots.
// A block's writes go to the trees in parallel, and the trees are hashed
// and saved in parallel: the Merkle work of a block, its largest serial
// cost, runs on several cores. The working (uncommitted) state is read and
// written through the KV methods; SaveVersion commits it.
type Tree struct {
	db    idb.DB
	trees [Shards]*iavl.MutableTree
	// nodes orders writes of the working tree against reads of snapshots:
	// IAVL's Set and Remove clear two fields of the saved nodes they copy,
	// nodes that snapshots share and read (always nil there, but a write
	// all the same). Writes hold it exclusively, snapshot reads shared.
	nodes *sync.RWMutex
}

var _ KV = (*Tree)(nil)

// TreeOptions configure OpenTree.
type TreeOptions struct {
	// CacheSize is the number of nodes IAVL keeps in memory.
	CacheSize int
	// InitialVersion is the version of the first save (the chain's initial
	// height); 0 or 1 means 1.
	InitialVersion uint64
}

// OpenTree opens (or creates) the tree stored in a goleveldb database named
// name under dir and loads its latest version. Writes are synced on save,
// so a committed version survives a crash.
func OpenTree(dir, name string, opts TreeOptions) (*Tree, error) {
	// goleveldb tuned for a write-heavy tree: the defaults (4 MiB write
	// buffer, 8 MiB block cache, snappy) made compaction and block reads
	// most of a busy node's CPU.
	db, err := idb.NewGoLevelDBWithOpts(name, dir, &opt.Options{
		Filter:              filter.NewBloomFilter(10),
		WriteBuffer:         64 << 20,
		BlockCacheCapacity:  256 << 20,
		CompactionTableSize: 8 << 20,
		Compression:         opt.NoCompression,
	})
	if err != nil {
		return nil, fmt.Errorf("open state db: %w", err)
	}
	return newTree(db, opts)
}

// NewMemTree returns a tree held in memory, for tests and benchmarks.
func NewMemTree() *Tree {
	t, err := newTree(idb.NewMemDB(), TreeOptions{})
	if err != nil {
		panic(err)
	}
	return t
}

func newTree(db idb.DB, opts TreeOptions) (*Tree, error) {
	if opts.CacheSize == 0 {
		opts.CacheSize = 1_000_000
	}
	if err := checkLayout(db); err != nil {
		db.Close()
		return nil, err
	}
	iopts := []iavl.Option{iavl.SyncOption(true)}
	if opts.InitialVersion > 1 {
		iopts = append(iopts, iavl.InitialVersionOption(opts.InitialVersion))
	}
	kv, ok := db.(corestore.KVStoreWithBatch)
	if !ok {
		db.Close()
		return nil, fmt.Errorf("state db %T cannot hold prefixed trees", db)
	}
	t := &Tree{db: db, nodes: new(sync.RWMutex)}
	var versions [Shards]int64
	for i := range t.trees {
		// Fast storage (a second copy of every leaf for quick reads of the
		// latest version) is off: it doubles the writes of every block, and
		// the node cache serves reads well.
		t.trees[i] = iavl.NewMutableTree(idb.NewPrefixDB(kv, shardPrefix(i)), max(1, opts.CacheSize/Shards), true, iavl.NewNopLogger(), iopts...)
		v, err := t.trees[i].Load()
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("load state tree %d: %w", i, err)
		}
		versions[i] = v
	}
	// A crash while the trees were being saved can leave some a version
	// ahead: go back to the version every tree has (CometBFT then replays
	// the block).
	low := slices.Min(versions[:])
	for i, v := range versions {
		if v == low {
			continue
		}
		if low == 0 {
			db.Close()
			return nil, fmt.Errorf("state trees at versions %v: the first save was interrupted; delete the state and replay", versions)
		}
		if err := t.trees[i].LoadVersionForOverwriting(low); err != nil {
			db.Close()
			return nil, fmt.Errorf("state tree %d: back to version %d: %w", i, low, err)
		}
	}
	return t, nil
}

// The state's format — how many trees, which tree holds a key, the root
// hash over them — is part of the query protocol, defined in package proof.
const Shards = proof.Shards

// ShardOf is the tree that holds key (proof.ShardOf).
func ShardOf(key []byte) int { return proof.ShardOf(key) }

// RootHash is the state's root hash over the trees' root hashes
// (proof.RootHash).
func RootHash(roots [][]byte) []byte { return proof.RootHash(roots) }

func shardPrefix(i int) []byte { return []byte(fmt.Sprintf("shard/%d/", i)) }

// checkLayout refuses a database written by a depin that kept the state
// in one tree (before state shards): its app hashes differ.
func checkLayout(db idb.DB) error {
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Valid() && !bytes.HasPrefix(it.Key(), []byte("shard/")) {
		return errors.New("the state database was written by an older depin (one state tree): its app hashes differ; start a new chain (depin devnet --reset) or resync")
	}
	return nil
}

// eachShard runs f for every tree in parallel and returns the first error.
func eachShard(f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, Shards)
	for i := range Shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Version is the latest committed version (0 before the first commit).
func (t *Tree) Version() int64 { return t.trees[0].Version() }

// Hash is the root hash of the latest committed version.
func (t *Tree) Hash() []byte {
	roots := make([][]byte, Shards)
	for i, tr := range t.trees {
		roots[i] = tr.Hash()
	}
	return RootHash(roots)
}

// WorkingHash is the root hash the working state would commit to (the
// trees are hashed in parallel).
func (t *Tree) WorkingHash() []byte {
	roots := make([][]byte, Shards)
	_ = eachShard(func(i int) error {
		roots[i] = t.trees[i].WorkingHash()
		return nil
	})
	return RootHash(roots)
}

// SaveVersion commits the working state as the next version (the trees
// are saved in parallel).
func (t *Tree) SaveVersion() ([]byte, int64, error) {
	roots := make([][]byte, Shards)
	versions := make([]int64, Shards)
	err := eachShard(func(i int) error {
		var err error
		roots[i], versions[i], err = t.trees[i].SaveVersion()
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if slices.Min(versions) != slices.Max(versions) {
		return nil, 0, fmt.Errorf("state trees saved at versions %v", versions)
	}
	return RootHash(roots), versions[0], nil
}

// Rollback drops uncommitted writes.
func (t *Tree) Rollback() {
	for _, tr := range t.trees {
		tr.Rollback()
	}
}

// Prune deletes every version up to and including toVersion.
func (t *Tree) Prune(toVersion int64) error {
	if toVersion <= 0 {
		return nil
	}
	return eachShard(func(i int) error { return t.trees[i].DeleteVersionsTo(toVersion) })
}

// AvailableVersions lists the versions still stored.
func (t *Tree) AvailableVersions() []int { return t.trees[0].AvailableVersions() }

// Close closes the database.
func (t *Tree) Close() error {
	for _, tr := range t.trees {
		if err := tr.Close(); err != nil {
			return err
		}
	}
	return t.db.Close()
}

// Get implements Reader on the working state.
func (t *Tree) Get(key []byte) []byte {
	v, err := t.trees[ShardOf(key)].Get(key)
	if err != nil {
		panic(fmt.Errorf("state read: %w", err))
	}
	return v
}

// Set implements KV on the working state.
func (t *Tree) Set(key, value []byte) {
	t.nodes.Lock()
	defer t.nodes.Unlock()
	if _, err := t.trees[ShardOf(key)].Set(key, value); err != nil {
		panic(fmt.Errorf("state write: %w", err))
	}
}

// Delete implements KV on the working state.
func (t *Tree) Delete(key []byte) {
	t.nodes.Lock()
	defer t.nodes.Unlock()
	if _, _, err := t.trees[ShardOf(key)].Remove(key); err != nil {
		panic(fmt.Errorf("state delete: %w", err))
	}
}

// writeSorted applies a Cache's writes, keys in ascending order, to the
// trees in parallel; each tree gets its keys in that same order, so the
// result is the one of writing them one by one.
func (t *Tree) writeSorted(keys []string, entries map[string]entry) {
	var parts [Shards][]string
	for _, k := range keys {
		i := ShardOf([]byte(k))
		parts[i] = append(parts[i], k)
	}
	t.nodes.Lock()
	defer t.nodes.Unlock()
	err := eachShard(func(i int) error {
		for _, k := range parts[i] {
			e := entries[k]
			var err error
			if e.deleted {
				_, _, err = t.trees[i].Remove([]byte(k))
			} else {
				_, err = t.trees[i].Set([]byte(k), e.value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(fmt.Errorf("state write: %w", err))
	}
}

// Iterator implements Reader on the working state.
func (t *Tree) Iterator(start, end []byte) Iterator {
	its := make([]Iterator, Shards)
	for i, tr := range t.trees {
		it, err := tr.Iterator(start, end, true)
		if err != nil {
			panic(fmt.Errorf("state iterate: %w", err))
		}
		its[i] = wrapIterator(it)
	}
	return newShardIterator(its)
}

// Snapshot returns a read-only view of a committed version.
func (t *Tree) Snapshot(version int64) (*Snapshot, error) {
	s := &Snapshot{version: version, nodes: t.nodes}
	for i, tr := range t.trees {
		if !tr.VersionExists(version) {
			return nil, fmt.Errorf("%w: %d (latest %d)", ErrVersionUnavailable, version, t.Version())
		}
		it, err := tr.GetImmutable(version)
		if err != nil {
			return nil, fmt.Errorf("%w: %d: %v", ErrVersionUnavailable, version, err)
		}
		s.trees[i] = it
	}
	return s, nil
}

// Snapshot is an immutable committed version of the state. It is safe to
// read from while the working state changes.
type Snapshot struct {
	trees   [Shards]*iavl.ImmutableTree
	version int64
	nodes   *sync.RWMutex // the tree's
}

var _ Reader = (*Snapshot)(nil)

// Version is the snapshot's version (block height).
func (s *Snapshot) Version() int64 { return s.version }

// Hash is the snapshot's root hash (the app hash of its block).
func (s *Snapshot) Hash() []byte { return RootHash(s.roots()) }

func (s *Snapshot) roots() [][]byte {
	roots := make([][]byte, Shards)
	for i, tr := range s.trees {
		roots[i] = tr.Hash()
	}
	return roots
}

// Get implements Reader.
func (s *Snapshot) Get(key []byte) []byte {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	v, err := s.trees[ShardOf(key)].Get(key)
	if err != nil {
		panic(fmt.Errorf("state read: %w", err))
	}
	return v
}

// Iterator implements Reader.
func (s *Snapshot) Iterator(start, end []byte) Iterator {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	its := make([]Iterator, Shards)
	for i, tr := range s.trees {
		it, err := tr.Iterator(start, end, true)
		if err != nil {
			panic(fmt.Errorf("state iterate: %w", err))
		}
		its[i] = lockedIterator{iteratorAdapter{it}, s.nodes}
	}
	return newShardIterator(its)
}

// Proof is the proof that a key has a value (or none) in a snapshot
// (proof.Proof).
type Proof = proof.Proof

// Proof returns the proof that key has its current value (or, if it has
// none, that it is absent) in this snapshot.
func (s *Snapshot) Proof(key []byte) (*Proof, error) {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	p, err := s.trees[ShardOf(key)].GetProof(key)
	if err != nil {
		return nil, err
	}
	return &Proof{ICS23: p, Roots: s.roots()}, nil
}

// ErrProof: see proof.ErrProof.
var ErrProof = proof.ErrProof

// VerifyProof checks that p proves key has value (nil: is absent) in the
// state whose root hash is root (proof.Verify).
func VerifyProof(root, key, value []byte, p *Proof) error { return proof.Verify(root, key, value, p) }

// lockedIterator reads a snapshot's nodes (in Next) under the tree's lock.
type lockedIterator struct {
	iteratorAdapter
	nodes *sync.RWMutex
}

func (l lockedIterator) Next() {
	l.nodes.RLock()
	defer l.nodes.RUnlock()
	l.iteratorAdapter.Next()
}

type iteratorAdapter struct{ it corestore.Iterator }

func wrapIterator(it corestore.Iterator) Iterator { return iteratorAdapter{it} }

func (a iteratorAdapter) Valid() bool   { return a.it.Valid() }
func (a iteratorAdapter) Next()         { a.it.Next() }
func (a iteratorAdapter) Key() []byte   { return a.it.Key() }
func (a iteratorAdapter) Value() []byte { return a.it.Value() }
func (a iteratorAdapter) Close()        { _ = a.it.Close() }

// ReadOnly wraps a Reader as a KV whose writes panic; it is the parent of
// caches whose writes are never flushed (the CheckTx state).
func ReadOnly(r Reader) KV { return readOnly{r} }

type readOnly struct{ Reader }

func (readOnly) Set(key, value []byte) { panic("store: write to read-only state") }
func (readOnly) Delete(key []byte)     { panic("store: write to read-only state") }
