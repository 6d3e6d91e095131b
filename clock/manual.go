package clock

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Manual is a clock for tests: it stands still until Advance or AdvanceTo
// moves it, and then fires every timer (and wakes every sleeper) due by
// the new time, earliest first. Next tells a test when the next one is
// due, so it can step a program from event to event.
//
// Firing only wakes the goroutines waiting; a test that needs them to
// have run before it looks (and that they are waiting again) runs under
// testing/synctest and calls synctest.Wait, which returns once every
// goroutine of the test is blocked.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	pending []*manualTimer // not fired nor stopped
	seq     uint64         // orders timers due at the same time
}

// NewManual starts a clock at start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

type manualTimer struct {
	c    *Manual
	when time.Time
	seq  uint64
	ch   chan time.Time // buffered; nil for AfterFunc
	f    func()
}

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep waits until the clock has been advanced by d, or ctx ends.
func (c *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewTimer returns a timer whose channel receives the clock's time once it
// has been advanced by d (at once if d ≤ 0).
func (c *Manual) NewTimer(d time.Duration) Timer {
	return c.add(d, make(chan time.Time, 1), nil)
}

// AfterFunc calls f in its own goroutine once the clock has been advanced
// by d (at once if d ≤ 0).
func (c *Manual) AfterFunc(d time.Duration, f func()) Timer {
	return c.add(d, nil, f)
}

func (c *Manual) add(d time.Duration, ch chan time.Time, f func()) *manualTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, when: c.now.Add(d), seq: c.seq, ch: ch, f: f}
	if d <= 0 {
		t.fire()
		return t
	}
	c.pending = append(c.pending, t)
	return t
}

func (t *manualTimer) fire() {
	if t.f != nil {
		go t.f()
		return
	}
	t.ch <- t.when // buffered, and each timer fires once
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.pending, t)
	if i < 0 {
		return false
	}
	c.pending = slices.Delete(c.pending, i, i+1)
	return true
}

// Advance moves the clock forward by d (d ≤ 0 fires what is due now).
func (c *Manual) Advance(d time.Duration) { c.AdvanceTo(c.Now().Add(max(d, 0))) }

// AdvanceTo moves the clock to t (never backwards) and fires every timer
// due by then, earliest first.
func (c *Manual) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	var due []*manualTimer
	c.pending = slices.DeleteFunc(c.pending, func(p *manualTimer) bool {
		if p.when.After(c.now) {
			return false
		}
		due = append(due, p)
		return true
	})
	slices.SortFunc(due, func(a, b *manualTimer) int {
		if c := a.when.Compare(b.when); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for _, p := range due {
		p.fire()
	}
}

// Next returns when the earliest pending timer is due; false if none is.
func (c *Manual) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for i, p := range c.pending {
		if i == 0 || p.when.Before(next) {
			next = p.when
		}
	}
	return next, len(c.pending) > 0
}
