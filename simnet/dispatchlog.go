package simnet

import (
	"sync"
	"time"

	"github.com/depinhq/depin/agent"
)

// dispatchSettle is how long after a dispatch's first battery hears of
// it the fleet's line about it is printed: the gateway forwards a
// dispatch's parts within a block or a few.
const dispatchSettle = 3 * time.Second

// dispatchLog prints one line per dispatch the fleet is handed: how many
// batteries were asked for how much, when, and how many ignore it.
type dispatchLog struct {
	say    func(format string, args ...any)
	settle time.Duration

	mu      sync.Mutex
	stopped bool
	seen    map[uint64]*heardDispatch
	timers  []*time.Timer
}

type heardDispatch struct {
	first             agent.Dispatch
	batteries, deaf   int
	powerW            uint64
	charge, discharge int
}

func newDispatchLog(say func(format string, args ...any)) *dispatchLog {
	return &dispatchLog{say: say, settle: dispatchSettle, seen: map[uint64]*heardDispatch{}}
}

// add counts battery d.Device's part of dispatch d.ID (a part heard again,
// as a retained message on a reconnect, counts once per battery only if
// the line was not printed yet — close enough for a progress line).
func (l *dispatchLog) add(d agent.Dispatch, ignored bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	h := l.seen[d.ID]
	if h == nil {
		h = &heardDispatch{first: d}
		l.seen[d.ID] = h
		l.timers = append(l.timers, time.AfterFunc(l.settle, func() { l.print(d.ID) }))
	} else if h.batteries < 0 {
		return // printed already
	}
	h.batteries++
	h.powerW += d.PowerW
	if ignored {
		h.deaf++
	}
	if d.Direction == agent.Charge {
		h.charge++
	} else {
		h.discharge++
	}
}

func (l *dispatchLog) print(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.seen[id]
	if l.stopped || h == nil || h.batteries < 0 {
		return
	}
	kind := "dispatch"
	if h.first.Challenge {
		kind = "challenge"
	}
	dir := "discharge"
	switch {
	case h.charge > 0 && h.discharge > 0:
		dir = "charge or discharge"
	case h.charge > 0:
		dir = "charge"
	}
	l.say("%s %d of pool %d: %d batteries asked to %s %.1f kW in all, %s–%s UTC (%d of them ignore dispatches)\n",
		kind, id, h.first.Pool, h.batteries, dir, float64(h.powerW)/1000,
		h.first.Start.UTC().Format("15:04:05"), h.first.End.UTC().Format("15:04:05"), h.deaf)
	h.batteries = -1
}

// stop prints nothing more.
func (l *dispatchLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	for _, t := range l.timers {
		t.Stop()
	}
}
