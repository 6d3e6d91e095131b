package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
)

// errDBClosed is returned by a closedGuard's writes and iterators once the
// database is closed.
var errDBClosed = errors.New("database closed: node is stopping")

// closedGuard wraps one of the databases CometBFT closes in its OnStop
// (block store, state, evidence). Some CometBFT goroutines are not waited
// for when it stops — the consensus reactor's queryMaj23Routine reads the
// block store up to one sleep after the reactor has stopped — and CometBFT
// panics on any read error, so a read racing the close would crash the
// whole process ("panic: pebble: closed"). After Close, reads find nothing
// (the callers in that window treat a missing record as "nothing to send")
// and writes fail with errDBClosed; no read ever reaches a closed database.
type closedGuard struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (g *closedGuard) Get(key []byte) ([]byte, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, nil
	}
	return g.DB.Get(key)
}

func (g *closedGuard) Has(key []byte) (bool, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false, nil
	}
	return g.DB.Has(key)
}

func (g *closedGuard) write(f func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errDBClosed
	}
	return f()
}

func (g *closedGuard) Set(key, value []byte) error {
	return g.write(func() error { return g.DB.Set(key, value) })
}

func (g *closedGuard) SetSync(key, value []byte) error {
	return g.write(func() error { return g.DB.SetSync(key, value) })
}

func (g *closedGuard) Delete(key []byte) error {
	return g.write(func() error { return g.DB.Delete(key) })
}

func (g *closedGuard) DeleteSync(key []byte) error {
	return g.write(func() error { return g.DB.DeleteSync(key) })
}

func (g *closedGuard) Iterator(start, end []byte) (dbm.Iterator, error) {
	return g.iterate(func() (dbm.Iterator, error) { return g.DB.Iterator(start, end) })
}

func (g *closedGuard) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	return g.iterate(func() (dbm.Iterator, error) { return g.DB.ReverseIterator(start, end) })
}

func (g *closedGuard) iterate(open func() (dbm.Iterator, error)) (dbm.Iterator, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, errDBClosed
	}
	return open()
}

// Close closes the database once; later calls do nothing.
func (g *closedGuard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.DB.Close()
}

// NewBatch returns a batch whose Write fails with errDBClosed, rather than
// reaching the closed database, once the guard is closed.
func (g *closedGuard) NewBatch() dbm.Batch {
	return &guardedBatch{Batch: g.DB.NewBatch(), g: g}
}

type guardedBatch struct {
	dbm.Batch
	g *closedGuard
}

func (b *guardedBatch) Write() error { return b.g.write(b.Batch.Write) }

func (b *guardedBatch) WriteSync() error { return b.g.write(b.Batch.WriteSync) }
