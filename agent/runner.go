package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// Interval is the reporting period, whole seconds (default 10 s).
	// Period ends fall on multiples of Interval plus a phase derived from
	// the device id, so a fleet's reports spread over the interval.
	Interval time.Duration
	// Until, if set, stops the runner once the clock passes it: with a
	// FastForwardClock, a Runner simulates a day in milliseconds.
	Until  time.Time
	Clock  Clock // default SystemClock
	Logger *slog.Logger
}

// RunnerStats counts what a Runner did.
type RunnerStats struct {
	Signed        uint64 // reports signed and handed to the publisher
	Offline       uint64 // periods skipped because the device was down
	PublishFailed uint64 // reports the publisher did not take
	LastSeq       uint64
}

// Runner drives one Device with a Generator on a schedule and publishes
// its reports. It never blocks its schedule on the network for longer
// than an interval: give it a QueuedPublisher to ride out outages.
type Runner struct {
	dev   *Device
	gen   Generator
	pub   Publisher
	cfg   RunnerConfig
	log   *slog.Logger
	phase time.Duration

	signed, offline, failed atomic.Uint64
}

// NewRunner checks the configuration and returns the runner.
func NewRunner(dev *Device, gen Generator, pub Publisher, cfg RunnerConfig) (*Runner, error) {
	if cfg.Interval == 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Interval < time.Second || cfg.Interval%time.Second != 0 {
		return nil, fmt.Errorf("report interval %v: want whole seconds, at least 1s", cfg.Interval)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := dev.ID()
	phase := time.Duration(hash(binary.BigEndian.Uint64(id[:8]))%uint64(cfg.Interval/time.Second)) * time.Second
	return &Runner{dev: dev, gen: gen, pub: pub, cfg: cfg, log: log.With("device", dev.String()), phase: phase}, nil
}

// Run reports every Interval until ctx ends (then it returns nil) or the
// clock passes Until. It returns an error only when the device cannot sign
// (its state cannot be saved, say): continuing could endanger its stake.
func (r *Runner) Run(ctx context.Context) error {
	now := r.cfg.Clock.Now()
	r.dev.Start(now)
	next := r.nextEnd(now)
	r.log.Info("device running", "network", r.dev.Network(), "interval", r.cfg.Interval, "first_report", next)
	for {
		if !r.cfg.Until.IsZero() && next.After(r.cfg.Until) {
			return nil
		}
		if err := r.cfg.Clock.Sleep(ctx, next.Sub(r.cfg.Clock.Now())); err != nil {
			return nil
		}
		if err := r.Step(ctx, next); err != nil {
			return err
		}
		// After a stall (a suspended laptop), report the gap in one
		// period ending on the next boundary rather than catching up.
		next = r.nextEnd(r.cfg.Clock.Now())
	}
}

// nextEnd is the first period boundary after t.
func (r *Runner) nextEnd(t time.Time) time.Time {
	b := t.Add(-r.phase).Truncate(r.cfg.Interval).Add(r.phase)
	for !b.After(t) {
		b = b.Add(r.cfg.Interval)
	}
	return b
}

// Step reports the period ending at end and publishes it.
func (r *Runner) Step(ctx context.Context, end time.Time) error {
	payload, err := r.dev.NextReport(end, r.gen)
	switch {
	case errors.Is(err, ErrOffline):
		r.offline.Add(1)
		r.log.Debug("device offline: period skipped", "end", end)
		return nil
	case errors.Is(err, ErrEmptyPeriod):
		return nil
	case err != nil:
		return fmt.Errorf("device %s: %w", r.dev, err)
	}
	r.signed.Add(1)
	pctx, cancel := context.WithTimeout(ctx, r.cfg.Interval)
	defer cancel()
	if err := r.pub.Publish(pctx, r.dev.Network(), r.dev.String(), payload); err != nil {
		r.failed.Add(1)
		r.log.Warn("report not published", "seq", r.dev.State().Seq, "err", err)
	}
	return nil
}

// Stats returns the counters.
func (r *Runner) Stats() RunnerStats {
	return RunnerStats{
		Signed:        r.signed.Load(),
		Offline:       r.offline.Load(),
		PublishFailed: r.failed.Load(),
		LastSeq:       r.dev.State().Seq,
	}
}
