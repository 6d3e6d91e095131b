package agent

import (
	"context"
	"sync"
	"time"
)

// Clock is where runners and queues get the time and wait. Tests and the
// fast-forward simulator use one that does not follow the wall clock.
type Clock interface {
	Now() time.Time
	// Sleep waits for d on this clock; it returns ctx.Err() if ctx ends
	// first.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FastForwardClock is a Clock on which sleeping takes no time: Sleep moves
// the clock forward by d and returns at once, so a Runner produces a day of
// reports in milliseconds. One goroutine should sleep on it at a time (one
// Runner, or one fleet loop): two sleepers would each move it forward.
type FastForwardClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFastForwardClock starts a clock at start.
func NewFastForwardClock(start time.Time) *FastForwardClock {
	return &FastForwardClock{now: start}
}

// Now returns the clock's time.
func (c *FastForwardClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d, unless ctx has ended.
func (c *FastForwardClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Advance moves the clock forward by d (d ≤ 0 does nothing).
func (c *FastForwardClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
