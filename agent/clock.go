package agent

import (
	"time"

	"github.com/depinhq/depin/clock"
)

// Clock is where runners and queues get the time and wait (package clock,
// shared with the gateway). Tests and the fast-forward simulator use one
// that does not follow the wall clock.
type Clock = clock.Clock

// SystemClock is the wall clock.
func SystemClock() Clock { return clock.System{} }

// FastForwardClock is a Clock on which sleeping takes no time
// (clock.FastForward): a Runner produces a day of reports in milliseconds.
type FastForwardClock = clock.FastForward

// NewFastForwardClock starts a clock at start.
func NewFastForwardClock(start time.Time) *FastForwardClock { return clock.NewFastForward(start) }
