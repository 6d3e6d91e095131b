package store

import (
	"bytes"
	"sync"
)

// Recent remembers the committed values of keys under one prefix so hot
// records (devices read by every report) need not be looked up in the
// tree again. It is kept exact by the block's writes: Stage records the
// finalized block's writes under the prefix, Commit applies them once the
// block is committed, Drop forgets them if it is not. A value read through
// Recent is therefore always the last committed one; Recent only saves
// work and never changes a result. Bounded: when full it forgets entries
// (which ones does not matter). Safe for concurrent use.
type Recent struct {
	mu      sync.Mutex
	prefix  []byte
	max     int
	vals    map[string][]byte // committed values; nil = no such key
	pending map[string][]byte // the finalized block's writes
}

// NewRecent returns an empty Recent for keys under prefix, holding at most
// max of them.
func NewRecent(prefix []byte, max int) *Recent {
	return &Recent{prefix: bytes.Clone(prefix), max: max, vals: map[string][]byte{}}
}

// Get returns the committed value of key, calling load (which must read
// the last committed state) if it is not remembered. The result must not
// be modified.
func (r *Recent) Get(key []byte, load func() []byte) []byte {
	if !bytes.HasPrefix(key, r.prefix) {
		return load()
	}
	r.mu.Lock()
	v, ok := r.vals[string(key)]
	r.mu.Unlock()
	if ok {
		return v
	}
	v = load()
	r.mu.Lock()
	if len(r.vals) >= r.max {
		for k := range r.vals {
			delete(r.vals, k)
			if len(r.vals) < r.max*3/4 {
				break
			}
		}
	}
	r.vals[string(key)] = v
	r.mu.Unlock()
	return v
}

// Stage records the writes c has staged under the prefix as the pending
// block's; call it before c.Write.
func (r *Recent) Stage(c *Cache) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string][]byte{}
	}
	for k, e := range c.entries {
		if !bytes.HasPrefix([]byte(k), r.prefix) {
			continue
		}
		if e.deleted {
			r.pending[k] = nil
		} else {
			r.pending[k] = e.value
		}
	}
}

// Commit makes the pending writes the committed values.
func (r *Recent) Commit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range r.pending {
		if _, ok := r.vals[k]; ok || len(r.vals) < r.max {
			r.vals[k] = v
		}
	}
	r.pending = nil
}

// Drop forgets the pending writes (the block was not committed).
func (r *Recent) Drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = nil
}
