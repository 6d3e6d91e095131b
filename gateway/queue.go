package gateway

import (
	"sync"
	"time"
)

// itemOverhead approximates what one report adds to a batch transaction
// besides its own bytes (field tag and length prefix).
const itemOverhead = 4

// queue holds checked reports, oldest first, until the batcher takes them.
// It is bounded by count.
type queue struct {
	mu     sync.Mutex
	items  []*item // items[head:] are queued
	head   int
	bytes  int // batch bytes of the queued items
	limit  int
	closed bool

	// ready is signalled (never blocking) when the queue becomes non-empty
	// or holds a full batch, so the batcher sleeps between those.
	ready     chan struct{}
	fullCount int
	fullBytes int
}

func newQueue(limit, fullCount, fullBytes int) *queue {
	return &queue{limit: limit, fullCount: fullCount, fullBytes: fullBytes, ready: make(chan struct{}, 1)}
}

func (q *queue) push(it *item) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrStopping
	}
	n := len(q.items) - q.head
	if n >= q.limit {
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.items = append(q.items, it)
	q.bytes += it.size + itemOverhead
	signal := n == 0 || n+1 >= q.fullCount || q.bytes >= q.fullBytes
	q.mu.Unlock()
	if signal {
		q.signal()
	}
	return nil
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// peek returns the number of queued items, their batch bytes and when the
// oldest was received.
func (q *queue) peek() (n, bytes int, oldest time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = len(q.items) - q.head
	if n > 0 {
		oldest = q.items[q.head].received
	}
	return n, q.bytes, oldest
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// pop takes up to maxCount oldest items whose batch bytes fit in maxBytes
// (at least one, if any is queued).
func (q *queue) pop(maxCount, maxBytes int) []*item {
	q.mu.Lock()
	defer q.mu.Unlock()
	avail := q.items[q.head:]
	n, size := 0, 0
	for n < len(avail) && n < maxCount {
		s := avail[n].size + itemOverhead
		if n > 0 && size+s > maxBytes {
			break
		}
		size += s
		n++
	}
	out := make([]*item, n)
	copy(out, avail[:n])
	clear(avail[:n]) // let the garbage collector have them
	q.head += n
	q.bytes -= size
	// Compact once the consumed prefix dominates, so memory follows the
	// queue's length rather than its history.
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append([]*item(nil), q.items[q.head:]...)
		q.head = 0
	} else if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return out
}

// close refuses further pushes.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
