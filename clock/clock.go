// Package clock is where programs outside the state machine — the device
// agent, the gateway — read the time and wait, so that tests and
// simulations can run them on a clock of their own: System is the wall
// clock; Manual moves only when its owner advances it (tests: what they
// assert about time holds exactly, and nothing sleeps); FastForward moves
// whenever someone sleeps on it (a simulated day of device reports in
// milliseconds).
//
// It imports only the standard library. The state machine never uses it:
// its only time is the block time.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits on it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d on this clock; it returns ctx.Err() if ctx ends
	// first.
	Sleep(ctx context.Context, d time.Duration) error
}

// Timer is a pending event on a clock, like a *time.Timer.
type Timer interface {
	// C receives the clock's time when the timer fires (nil for a timer
	// made by AfterFunc).
	C() <-chan time.Time
	// Stop prevents the timer from firing; false if it has already fired
	// or been stopped.
	Stop() bool
}

// System is the wall clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// Sleep waits for d of wall-clock time, or until ctx ends.
func (System) Sleep(ctx context.Context, d time.Duration) error {
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

// NewTimer is time.NewTimer.
func (System) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return systemTimer{time.AfterFunc(d, f)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }
