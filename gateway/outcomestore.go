package gateway

import "sync"

// outcomeStore is what GET /v1/reports/{id} answers from: the reports
// queued or in flight (pending), and the outcomes of the last size
// settled ones, oldest forgotten first. Both are bounded: pending by the
// queue limit plus the batch in flight, settled by size.
type outcomeStore struct {
	mu      sync.Mutex
	pending map[[32]byte]*item
	size    int
	settled map[[32]byte]*Outcome
	ring    [][32]byte // insertion order; ring[next] is the oldest once full
	next    int
}

func newOutcomeStore(size int) *outcomeStore {
	return &outcomeStore{
		pending: map[[32]byte]*item{},
		size:    size,
		settled: make(map[[32]byte]*Outcome, min(size, 1<<16)),
	}
}

// queued records a report taken into the queue.
func (s *outcomeStore) queued(it *item) {
	s.mu.Lock()
	s.pending[it.hash] = it
	s.mu.Unlock()
}

// unqueued forgets a report the queue did not take after all.
func (s *outcomeStore) unqueued(it *item) {
	s.mu.Lock()
	if s.pending[it.hash] == it {
		delete(s.pending, it.hash)
	}
	s.mu.Unlock()
}

// settle records the outcomes of a batch's reports (outs[i] is items[i]'s).
func (s *outcomeStore) settle(items []*item, outs []Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range items {
		if s.pending[it.hash] == it {
			delete(s.pending, it.hash)
		}
		if s.size == 0 {
			continue
		}
		o := outs[i]
		if _, ok := s.settled[it.hash]; ok {
			// Submitted again after the duplicate filter forgot it: the
			// newer outcome replaces the older in place.
			s.settled[it.hash] = &o
			continue
		}
		if len(s.ring) < s.size {
			s.ring = append(s.ring, it.hash)
		} else {
			delete(s.settled, s.ring[s.next])
			s.ring[s.next] = it.hash
			s.next = (s.next + 1) % s.size
		}
		s.settled[it.hash] = &o
	}
}

// get returns what is known of the report with id h: its outcome, or a
// pending one while it waits; false if the gateway does not know it.
func (s *outcomeStore) get(h [32]byte) (Outcome, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it, ok := s.pending[h]; ok {
		return pendingOutcome(it), true
	}
	if o, ok := s.settled[h]; ok {
		return *o, true
	}
	return Outcome{}, false
}
