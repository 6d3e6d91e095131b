package agent

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// QueueConfig configures a QueuedPublisher.
type QueueConfig struct {
	// Capacity bounds the reports waiting (each worker holds one more in
	// flight). When full, the oldest waiting report is dropped: a device
	// that was cut off for long catches up with its newest reports, which
	// the chain's report window still accepts.
	Capacity int
	// Workers deliver in parallel; all the reports of one device go
	// through the same worker, in order. One is plenty for one device.
	Workers int
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles after each failure.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one delivery attempt (an MQTT publisher waits
	// that long for the broker to come back).
	AttemptTimeout time.Duration
	// Clock times the backoff (default SystemClock; on a
	// FastForwardClock retries follow each other at once).
	Clock  Clock
	Logger *slog.Logger
}

// DefaultQueueConfig is a queue of 10,000 reports, one worker, retries
// from 250 ms to 30 s apart.
func DefaultQueueConfig() QueueConfig {
	return QueueConfig{
		Capacity:       10_000,
		Workers:        1,
		MinBackoff:     250 * time.Millisecond,
		MaxBackoff:     30 * time.Second,
		AttemptTimeout: 15 * time.Second,
	}
}

// Validate checks the configuration.
func (c QueueConfig) Validate() error {
	switch {
	case c.Capacity < 1:
		return fmt.Errorf("queue capacity %d: want ≥ 1", c.Capacity)
	case c.Workers < 1 || c.Workers > c.Capacity:
		return fmt.Errorf("queue workers %d: want 1 to capacity", c.Workers)
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("queue backoff %v..%v: want 0 < min ≤ max", c.MinBackoff, c.MaxBackoff)
	case c.AttemptTimeout <= 0:
		return fmt.Errorf("queue attempt timeout %v: want > 0", c.AttemptTimeout)
	}
	return nil
}

// QueueStats counts what a QueuedPublisher did.
type QueueStats struct {
	Pending   int    // waiting or in flight
	Delivered uint64 // taken by the gateway
	Rejected  uint64 // refused for good (ErrRejected)
	Dropped   uint64 // oldest dropped because the queue was full, or left at Close
	Retries   uint64 // failed attempts that were retried
}

// QueuedPublisher is a Publisher that returns at once and delivers through
// another Publisher in the background: it keeps reports in a bounded
// in-memory queue, retries with capped exponential backoff while the
// gateway is unreachable, keeps each device's reports in order, and drops
// the oldest when full. Rejected reports are counted, logged and skipped.
// The queue is in memory: reports still waiting when the process stops are
// lost (and the chain sees a gap, not a fraud).
type QueuedPublisher struct {
	next   Publisher
	cfg    QueueConfig
	log    *slog.Logger
	shards []*shard
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending int           // waiting + in flight
	idle    chan struct{} // closed while pending == 0
	closed  bool

	delivered, rejected, dropped, retries atomic.Uint64
}

var _ Publisher = (*QueuedPublisher)(nil)

// queued is one report waiting.
type queued struct {
	network, device string
	payload         []byte
}

// shard is one worker's FIFO.
type shard struct {
	items []queued
	cap   int
	wake  chan struct{}
}

// NewQueuedPublisher starts the workers; Close stops them and closes next.
func NewQueuedPublisher(next Publisher, cfg QueueConfig) (*QueuedPublisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &QueuedPublisher{next: next, cfg: cfg, log: log, cancel: cancel, idle: make(chan struct{})}
	close(q.idle)
	for i := range cfg.Workers {
		// Split the capacity; the first shards take the remainder.
		c := cfg.Capacity / cfg.Workers
		if i < cfg.Capacity%cfg.Workers {
			c++
		}
		s := &shard{cap: c, wake: make(chan struct{}, 1)}
		q.shards = append(q.shards, s)
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			q.work(ctx, s)
		}()
	}
	return q, nil
}

// Publish queues a report and returns at once. It fails only after Close.
func (q *QueuedPublisher) Publish(_ context.Context, network, device string, payload []byte) error {
	s := q.shards[shardOf(device, len(q.shards))]
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if len(s.items) >= s.cap {
		// The new report takes the oldest one's place: pending stays.
		old := s.items[0]
		s.items[0] = queued{}
		s.items = s.items[1:]
		n := q.dropped.Add(1)
		if n == 1 || n%1000 == 0 {
			q.log.Warn("report queue full: dropping the oldest", "device", old.device, "dropped", n)
		}
	} else {
		if q.pending == 0 {
			q.idle = make(chan struct{})
		}
		q.pending++
	}
	s.items = append(s.items, queued{network: network, device: device, payload: append([]byte(nil), payload...)})
	q.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func shardOf(device string, n int) int {
	if n == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(device))
	return int(h.Sum32() % uint32(n))
}

// work delivers s's reports one at a time, oldest first.
func (q *QueuedPublisher) work(ctx context.Context, s *shard) {
	for {
		q.mu.Lock()
		if len(s.items) == 0 {
			q.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		item := s.items[0]
		s.items[0] = queued{}
		s.items = s.items[1:]
		q.mu.Unlock()

		q.deliver(ctx, item)

		q.mu.Lock()
		q.pending--
		if q.pending == 0 {
			close(q.idle)
		}
		q.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// deliver tries item until the gateway takes or refuses it, or ctx ends.
func (q *QueuedPublisher) deliver(ctx context.Context, item queued) {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, q.cfg.AttemptTimeout)
		err := q.next.Publish(actx, item.network, item.device, item.payload)
		cancel()
		switch {
		case err == nil:
			q.delivered.Add(1)
			return
		case errors.Is(err, ErrRejected):
			q.rejected.Add(1)
			q.log.Warn("report rejected", "device", item.device, "err", err)
			return
		case ctx.Err() != nil:
			q.dropped.Add(1)
			return
		}
		q.retries.Add(1)
		wait := q.backoff(attempt)
		q.log.Debug("report delivery failed; retrying", "device", item.device, "attempt", attempt+1, "in", wait, "err", err)
		if q.cfg.Clock.Sleep(ctx, wait) != nil {
			q.dropped.Add(1)
			return
		}
	}
}

// backoff is the wait after failed attempt n (from 0): MinBackoff·2ⁿ
// capped at MaxBackoff, minus up to a quarter of jitter so that many
// devices do not all come back at once.
func (q *QueuedPublisher) backoff(n int) time.Duration {
	d := q.cfg.MaxBackoff
	if n < 32 {
		d = min(q.cfg.MinBackoff<<n, q.cfg.MaxBackoff)
		if d <= 0 { // overflow
			d = q.cfg.MaxBackoff
		}
	}
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// Flush waits until every queued report has been delivered or rejected,
// or ctx ends.
func (q *QueuedPublisher) Flush(ctx context.Context) error {
	q.mu.Lock()
	idle, pending := q.idle, q.pending
	q.mu.Unlock()
	if pending == 0 {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flushing report queue (%d pending): %w", q.Stats().Pending, ctx.Err())
	}
}

// Stats returns the counters.
func (q *QueuedPublisher) Stats() QueueStats {
	q.mu.Lock()
	pending := q.pending
	q.mu.Unlock()
	return QueueStats{
		Pending:   pending,
		Delivered: q.delivered.Load(),
		Rejected:  q.rejected.Load(),
		Dropped:   q.dropped.Load(),
		Retries:   q.retries.Load(),
	}
}

// Close stops the workers and closes the next publisher. Reports still
// queued are dropped (and counted): call Flush first to deliver them.
func (q *QueuedPublisher) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
	q.mu.Lock()
	left := 0
	for _, s := range q.shards {
		left += len(s.items)
		clear(s.items)
		s.items = nil
	}
	if left > 0 {
		q.pending -= left
		if q.pending == 0 {
			close(q.idle)
		}
	}
	q.mu.Unlock()
	if left > 0 {
		q.dropped.Add(uint64(left))
		q.log.Warn("report queue closed with reports undelivered", "dropped", left)
	}
	q.next.Close()
}
