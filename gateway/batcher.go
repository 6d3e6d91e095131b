package gateway

import (
	"context"
	"log/slog"
)

// batcher cuts batches from the queue, by size or by the age of their
// oldest report, and has the submitter deliver them one after the other,
// so that reports reach the chain in the order they were queued.
type batcher struct {
	queue   *queue
	sub     *submitter
	cfg     Config
	metrics *metrics
	log     *slog.Logger
	clock   Clock
}

// run delivers batches until ctx ends; then it refuses new reports and
// goes on delivering what is queued for up to DrainTimeout.
func (b *batcher) run(ctx context.Context) error {
	subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		b.queue.close()
		b.queue.signal()
		b.clock.AfterFunc(b.cfg.DrainTimeout, cancel)
	})
	defer stop()
	for {
		items := b.next(ctx)
		if items == nil {
			return nil // stopped with nothing queued
		}
		b.metrics.inFlight.Store(int64(len(items)))
		delivered := b.sub.deliver(subCtx, items)
		b.metrics.inFlight.Store(0)
		if delivered {
			continue
		}
		// Out of drain time. The batch in flight may still commit; what
		// is queued is lost with this process.
		queued := b.queue.pop(int(^uint(0)>>1), int(^uint(0)>>1))
		b.metrics.dropped("shutdown", len(items)+len(queued))
		b.log.Warn("stopped before every report was committed",
			"unconfirmed", len(items), "queued", len(queued), "drain_timeout", b.cfg.DrainTimeout)
		return nil
	}
}

// next waits for the next batch: as soon as the queue holds a full one,
// or when its oldest report has waited MaxBatchWait, or at once when
// stopping. It returns nil when stopping with nothing queued.
func (b *batcher) next(ctx context.Context) []*item {
	for {
		n, size, oldest := b.queue.peek()
		stopping := ctx.Err() != nil
		if n == 0 {
			if stopping {
				return nil
			}
			select {
			case <-b.queue.ready:
			case <-ctx.Done():
			}
			continue
		}
		wait := oldest.Add(b.cfg.MaxBatchWait).Sub(b.clock.Now())
		if stopping || wait <= 0 || n >= b.cfg.MaxBatchReports || size >= b.cfg.MaxBatchBytes {
			return b.queue.pop(b.cfg.MaxBatchReports, b.cfg.MaxBatchBytes)
		}
		t := b.clock.NewTimer(wait)
		select {
		case <-b.queue.ready:
		case <-t.C():
		case <-ctx.Done():
		}
		t.Stop()
	}
}
