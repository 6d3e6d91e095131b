package gateway

import "sync"

// recentSet remembers the hashes of the last size payloads queued, to drop
// copies (a device retrying after a lost ack, the same report over MQTT and
// HTTP). Older hashes are forgotten first in, first out: a copy arriving
// after that is submitted again, and the chain rejects it as stale.
type recentSet struct {
	mu   sync.Mutex
	size int
	set  map[[32]byte]struct{}
	ring [][32]byte // insertion order; ring[next] is the oldest once full
	next int
}

func newRecentSet(size int) *recentSet {
	return &recentSet{size: size, set: make(map[[32]byte]struct{}, min(size, 1<<16))}
}

func (r *recentSet) has(h [32]byte) bool {
	if r.size == 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[h]
	return ok
}

// add remembers h; false if it is already there.
func (r *recentSet) add(h [32]byte) bool {
	if r.size == 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[h]; ok {
		return false
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, h)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = h
		r.next = (r.next + 1) % r.size
	}
	r.set[h] = struct{}{}
	return true
}

// remove forgets h (its ring slot stays; evicting it later is harmless).
func (r *recentSet) remove(h [32]byte) {
	if r.size == 0 {
		return
	}
	r.mu.Lock()
	delete(r.set, h)
	r.mu.Unlock()
}
