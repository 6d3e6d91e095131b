package clock

import (
	"context"
	"sync"
	"time"
)

// FastForward is a Clock on which sleeping takes no time: Sleep moves the
// clock forward by d and returns at once, so a device runner produces a
// day of reports in milliseconds. One goroutine should sleep on it at a
// time (one runner, or one fleet loop): two sleepers would each move it
// forward.
type FastForward struct {
	mu  sync.Mutex
	now time.Time
}

// NewFastForward starts a clock at start.
func NewFastForward(start time.Time) *FastForward {
	return &FastForward{now: start}
}

// Now returns the clock's time.
func (c *FastForward) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d, unless ctx has ended.
func (c *FastForward) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Advance moves the clock forward by d (d ≤ 0 does nothing).
func (c *FastForward) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
