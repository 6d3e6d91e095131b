package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"time"
)

// ClockEpoch is the wall-clock time, in Unix seconds, at which a module's
// clock starts: 2025-01-01T00:00:00Z.
const ClockEpoch = 1735689600

// ClockTick is how far the virtual clock advances on every read, so that a
// module polling the clock still sees time pass.
const ClockTick = time.Microsecond

// virtualClock is a task's clock: it moves only when the module reads it or
// sleeps, so the times a module sees depend on what it does, not on the
// host. One module instance uses it, from one goroutine.
type virtualClock struct {
	elapsed int64 // nanoseconds since ClockEpoch
}

func (c *virtualClock) nanotime() int64 {
	c.elapsed = min(c.elapsed+int64(ClockTick), maxElapsed)
	return c.elapsed
}

func (c *virtualClock) walltime() (sec int64, nsec int32) {
	ns := c.nanotime()
	return ClockEpoch + ns/1e9, int32(ns % 1e9)
}

// nanosleep returns at once, as if the time had passed (up to the year
// 2200 or so, where the clock stops rather than wrap).
func (c *virtualClock) nanosleep(ns int64) {
	if ns > 0 {
		c.elapsed += min(ns, maxElapsed-c.elapsed)
	}
}

// maxElapsed is where the virtual clock stops.
const maxElapsed = math.MaxInt64 / 2

// randTag separates the key of a task's random stream from other uses of
// the job seed.
const randTag = "depin/compute/sandbox/rand/v1"

// randSource returns the random bytes of a task: ChaCha8 keyed by
// SHA-256(randTag ‖ seed ‖ index), so tasks of one job get distinct streams.
func randSource(seed [32]byte, index uint32) *rand.ChaCha8 {
	h := sha256.New()
	h.Write([]byte(randTag))
	h.Write(seed[:])
	h.Write(binary.BigEndian.AppendUint32(nil, index))
	var key [32]byte
	h.Sum(key[:0])
	return rand.NewChaCha8(key)
}
