package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/wire"
)

// Outcome is what became of one report, as the gateway tells it (the
// device protocol's wire.Outcome: docs/DEVICE-PROTOCOL.md §7.1). A
// publisher built with OnOutcome hands each one to the device.
type Outcome = wire.Outcome

// Statuses of an Outcome (see wire).
const (
	StatusPending  = wire.StatusPending
	StatusAccepted = wire.StatusAccepted
	StatusRejected = wire.StatusRejected
	StatusDropped  = wire.StatusDropped
	StatusUnknown  = wire.StatusUnknown
)

// ReportID is the id of a report: wire.ReportID.
func ReportID(payload []byte) string { return wire.ReportID(payload) }

// ResultsTopic is a device's results topic: wire.ResultsTopic.
func ResultsTopic(device string) string { return wire.ResultsTopic(device) }

// DefaultOutcomeTimeout is how long a publisher waits for a report's
// outcome before handing OnOutcome an unknown one.
const DefaultOutcomeTimeout = 5 * time.Minute

// maxAwaited bounds the reports a publisher awaits outcomes for; beyond
// it the oldest is given up (an unknown outcome).
const maxAwaited = 10_000

// awaited follows the reports a publisher delivered until their outcome
// arrives, so that each gets exactly one OnOutcome call: the gateway's, or
// an unknown one once the timeout passed (an outcome arriving later
// still gets its call). Its methods are safe for concurrent use; notify
// is never called with its lock held.
type awaited struct {
	notify  func(Outcome)
	timeout time.Duration

	mu      sync.Mutex
	reports map[string]*awaitedReport // by id
	order   []string                  // ids, oldest first (some may be settled)
	idle    chan struct{}             // closed while nothing is awaited
	// early are the last outcomes handed over for reports not awaited:
	// over MQTT a result can arrive before Publish returns, or after a
	// failed attempt that did reach the gateway; add then awaits nothing.
	early     map[string]bool
	earlyRing []string
	earlyNext int
}

// maxEarly bounds awaited.early.
const maxEarly = 1024

type awaitedReport struct {
	o     Outcome // pending, with what the report says
	since time.Time
}

func newAwaited(notify func(Outcome), timeout time.Duration) *awaited {
	if timeout <= 0 {
		timeout = DefaultOutcomeTimeout
	}
	a := &awaited{notify: notify, timeout: timeout, reports: map[string]*awaitedReport{}, idle: make(chan struct{}), early: map[string]bool{}}
	close(a.idle)
	return a
}

// add awaits the outcome of a report just delivered and returns its id.
func (a *awaited) add(payload []byte, now time.Time) string {
	o := Outcome{ID: ReportID(payload), Status: StatusPending}
	if d, err := wire.Decode(payload); err == nil {
		o.Device, o.Network, o.Seq = crypto.DeviceString(d.Device), d.Report.Network, d.Report.Seq
	}
	var given []Outcome
	a.mu.Lock()
	if _, ok := a.reports[o.ID]; !ok && !a.early[o.ID] {
		if len(a.reports) == 0 {
			a.idle = make(chan struct{})
		}
		a.reports[o.ID] = &awaitedReport{o: o, since: now}
		a.order = append(a.order, o.ID)
		for len(a.reports) > maxAwaited {
			given = append(given, a.takeOldest("more than 10000 reports await an outcome; the oldest is given up"))
		}
	}
	a.mu.Unlock()
	for _, g := range given {
		a.notify(g)
	}
	return o.ID
}

// takeOldest removes the oldest awaited report and returns it as unknown.
// a.mu is held.
func (a *awaited) takeOldest(why string) Outcome {
	for {
		id := a.order[0]
		a.order = a.order[1:]
		if r, ok := a.reports[id]; ok {
			a.remove(id)
			r.o.Status, r.o.Detail = StatusUnknown, why
			return r.o
		}
	}
}

// remove forgets an awaited report. a.mu is held.
func (a *awaited) remove(id string) {
	delete(a.reports, id)
	if len(a.reports) == 0 {
		a.order = a.order[:0]
		close(a.idle)
	}
}

// settle hands the device an outcome the gateway gave. A pending one
// changes nothing.
func (a *awaited) settle(o Outcome) {
	if o.Status == StatusPending {
		return
	}
	a.mu.Lock()
	if _, ok := a.reports[o.ID]; ok {
		a.remove(o.ID)
	} else if !a.early[o.ID] {
		if len(a.earlyRing) < maxEarly {
			a.earlyRing = append(a.earlyRing, o.ID)
		} else {
			delete(a.early, a.earlyRing[a.earlyNext])
			a.earlyRing[a.earlyNext] = o.ID
			a.earlyNext = (a.earlyNext + 1) % maxEarly
		}
		a.early[o.ID] = true
	}
	a.mu.Unlock()
	a.notify(o)
}

// giveUp hands the device an unknown outcome for an awaited report (no
// call if it is no longer awaited).
func (a *awaited) giveUp(id, why string) {
	a.mu.Lock()
	r, ok := a.reports[id]
	if ok {
		a.remove(id)
	}
	a.mu.Unlock()
	if ok {
		r.o.Status, r.o.Detail = StatusUnknown, why
		a.notify(r.o)
	}
}

// expire gives up every report awaited for longer than the timeout.
func (a *awaited) expire(now time.Time) {
	var given []Outcome
	a.mu.Lock()
	for len(a.order) > 0 {
		r, ok := a.reports[a.order[0]]
		if ok && now.Sub(r.since) < a.timeout {
			break
		}
		if !ok {
			a.order = a.order[1:]
			continue
		}
		given = append(given, a.takeOldest(fmt.Sprintf("no outcome from the gateway within %s", a.timeout)))
	}
	a.mu.Unlock()
	for _, g := range given {
		a.notify(g)
	}
}

// ids lists the awaited reports, oldest first.
func (a *awaited) ids() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.reports))
	for _, id := range a.order {
		if _, ok := a.reports[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// wait returns once no outcome is awaited, or with ctx's error.
func (a *awaited) wait(ctx context.Context) error {
	a.mu.Lock()
	idle, n := a.idle, len(a.reports)
	a.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the outcomes of %d reports: %w", n, ctx.Err())
	}
}
