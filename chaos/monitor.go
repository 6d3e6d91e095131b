package chaos

import (
	"context"
	"sync"
	"time"
)

// monitor polls every node's height and keeps the longest time the chain
// (the highest height any node reports) stood still.
type monitor struct {
	s *Soak

	mu          sync.Mutex
	heights     []int64
	top         int64
	lastAdvance time.Time
	stall       time.Duration
	stallHeight int64   // the height the chain stood at
	stallStart  float64 // seconds since the soak started
}

func newMonitor(s *Soak) *monitor {
	return &monitor{s: s, heights: make([]int64, len(s.nodes)), lastAdvance: time.Now()}
}

// run polls until ctx ends.
func (m *monitor) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range m.s.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if h, _, err := p.status(ctx); err == nil {
					m.observe(p.idx, h)
				}
				sleep(ctx, 200*time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

func (m *monitor) observe(k int, h int64) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.heights[k] = h
	if h <= m.top {
		return
	}
	if gap := now.Sub(m.lastAdvance); gap > m.stall {
		m.stall, m.stallHeight, m.stallStart = gap, m.top, m.s.since(m.lastAdvance)
	}
	m.top, m.lastAdvance = h, now
}

// highest is the highest height any node reported.
func (m *monitor) highest() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.top
}

// longestStall is the longest time between two advances of the highest
// height, counting the current wait.
func (m *monitor) longestStall() (d time.Duration, height int64, start float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := time.Since(m.lastAdvance); cur > m.stall {
		return cur, m.top, m.s.since(m.lastAdvance)
	}
	return m.stall, m.stallHeight, m.stallStart
}

// reset forgets the stall so far (the time the network took to start).
func (m *monitor) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stall, m.lastAdvance = 0, time.Now()
}
