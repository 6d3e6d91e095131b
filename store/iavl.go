package store

import (
	"errors"
	"fmt"
	"sync"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"
	ics23 "github.com/cosmos/ics23/go"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// ErrVersionUnavailable is returned when a query asks for a version that was
// pruned or not yet committed.
var ErrVersionUnavailable = errors.New("version not available")

// Tree is the committed state: an IAVL tree whose version equals the block
// height. The working (uncommitted) state is read and written through the
// KV methods; SaveVersion commits it.
type Tree struct {
	db   idb.DB
	tree *iavl.MutableTree
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
	iopts := []iavl.Option{iavl.SyncOption(true)}
	if opts.InitialVersion > 1 {
		iopts = append(iopts, iavl.InitialVersionOption(opts.InitialVersion))
	}
	// Fast storage (a second copy of every leaf for quick reads of the
	// latest version) is off: it doubles the writes of every block, and the
	// node cache serves reads well.
	t := iavl.NewMutableTree(db, opts.CacheSize, true, iavl.NewNopLogger(), iopts...)
	if _, err := t.Load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("load state tree: %w", err)
	}
	return &Tree{db: db, tree: t, nodes: new(sync.RWMutex)}, nil
}

// Version is the latest committed version (0 before the first commit).
func (t *Tree) Version() int64 { return t.tree.Version() }

// Hash is the root hash of the latest committed version.
func (t *Tree) Hash() []byte { return t.tree.Hash() }

// WorkingHash is the root hash the working state would commit to.
func (t *Tree) WorkingHash() []byte { return t.tree.WorkingHash() }

// SaveVersion commits the working state as the next version.
func (t *Tree) SaveVersion() ([]byte, int64, error) { return t.tree.SaveVersion() }

// Rollback drops uncommitted writes.
func (t *Tree) Rollback() { t.tree.Rollback() }

// Prune deletes every version up to and including toVersion.
func (t *Tree) Prune(toVersion int64) error {
	if toVersion <= 0 {
		return nil
	}
	return t.tree.DeleteVersionsTo(toVersion)
}

// AvailableVersions lists the versions still stored.
func (t *Tree) AvailableVersions() []int { return t.tree.AvailableVersions() }

// Close closes the database.
func (t *Tree) Close() error {
	if err := t.tree.Close(); err != nil {
		return err
	}
	return t.db.Close()
}

// Get implements Reader on the working state.
func (t *Tree) Get(key []byte) []byte {
	v, err := t.tree.Get(key)
	if err != nil {
		panic(fmt.Errorf("state read: %w", err))
	}
	return v
}

// Set implements KV on the working state.
func (t *Tree) Set(key, value []byte) {
	t.nodes.Lock()
	defer t.nodes.Unlock()
	if _, err := t.tree.Set(key, value); err != nil {
		panic(fmt.Errorf("state write: %w", err))
	}
}

// Delete implements KV on the working state.
func (t *Tree) Delete(key []byte) {
	t.nodes.Lock()
	defer t.nodes.Unlock()
	if _, _, err := t.tree.Remove(key); err != nil {
		panic(fmt.Errorf("state delete: %w", err))
	}
}

// Iterator implements Reader on the working state.
func (t *Tree) Iterator(start, end []byte) Iterator {
	it, err := t.tree.Iterator(start, end, true)
	if err != nil {
		panic(fmt.Errorf("state iterate: %w", err))
	}
	return wrapIterator(it)
}

// Snapshot returns a read-only view of a committed version.
func (t *Tree) Snapshot(version int64) (*Snapshot, error) {
	if !t.tree.VersionExists(version) {
		return nil, fmt.Errorf("%w: %d (latest %d)", ErrVersionUnavailable, version, t.tree.Version())
	}
	it, err := t.tree.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("%w: %d: %v", ErrVersionUnavailable, version, err)
	}
	return &Snapshot{tree: it, version: version, nodes: t.nodes}, nil
}

// Snapshot is an immutable committed version of the state. It is safe to
// read from while the working state changes.
type Snapshot struct {
	tree    *iavl.ImmutableTree
	version int64
	nodes   *sync.RWMutex // the tree's
}

var _ Reader = (*Snapshot)(nil)

// Version is the snapshot's version (block height).
func (s *Snapshot) Version() int64 { return s.version }

// Hash is the snapshot's root hash (the app hash of its block).
func (s *Snapshot) Hash() []byte { return s.tree.Hash() }

// Get implements Reader.
func (s *Snapshot) Get(key []byte) []byte {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	v, err := s.tree.Get(key)
	if err != nil {
		panic(fmt.Errorf("state read: %w", err))
	}
	return v
}

// Iterator implements Reader.
func (s *Snapshot) Iterator(start, end []byte) Iterator {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	it, err := s.tree.Iterator(start, end, true)
	if err != nil {
		panic(fmt.Errorf("state iterate: %w", err))
	}
	return lockedIterator{iteratorAdapter{it}, s.nodes}
}

// Proof returns an ICS-23 proof that key has its current value (or, if it
// has none, that it is absent) in this snapshot.
func (s *Snapshot) Proof(key []byte) (*ics23.CommitmentProof, error) {
	s.nodes.RLock()
	defer s.nodes.RUnlock()
	return s.tree.GetProof(key)
}

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
