package agent_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
)

// TestQueueKeepsOrderThroughFailures: while the gateway fails (half the
// attempts at random, and a long outage), every report gets through, each
// device's in order.
func TestQueueKeepsOrderThroughFailures(t *testing.T) {
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			var outage sync.Mutex
			pub := &memPublisher{fail: func(attempt int, m message) error {
				if attempt%2 == 0 {
					return agent.ErrUnavailable
				}
				return nil
			}}
			cfg := agent.DefaultQueueConfig()
			cfg.Workers = workers
			cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 4*time.Millisecond
			q, err := agent.NewQueuedPublisher(&blockingPublisher{next: pub, gate: &outage}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			const devices, perDevice = 8, 30
			for i := range perDevice {
				if i == perDevice/3 {
					outage.Lock() // the gateway goes away for a while
				}
				if i == 2*perDevice/3 {
					outage.Unlock()
				}
				for d := range devices {
					if err := q.Publish(context.Background(), "net", fmt.Sprintf("dev%d", d), []byte{byte(i)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			next := map[string]byte{}
			for _, m := range pub.messages() {
				if m.payload[0] != next[m.device] {
					t.Fatalf("%s: got report %d, want %d", m.device, m.payload[0], next[m.device])
				}
				next[m.device]++
			}
			st := q.Stats()
			if len(next) != devices || st.Delivered != devices*perDevice || st.Dropped != 0 || st.Retries == 0 || st.Pending != 0 {
				t.Fatalf("devices %d, stats %+v", len(next), st)
			}
		})
	}
}

// blockingPublisher holds every attempt while gate is locked.
type blockingPublisher struct {
	next agent.Publisher
	gate *sync.Mutex
}

func (b *blockingPublisher) Publish(ctx context.Context, network, device string, payload []byte) error {
	b.gate.Lock()
	//lint:ignore SA2001 the lock is a gate: wait until the test opens it
	b.gate.Unlock()
	return b.next.Publish(ctx, network, device, payload)
}

func (b *blockingPublisher) Close() { b.next.Close() }

// TestQueueDropsOldestWhenFull: a queue of 10 while the gateway is down
// keeps the newest 10 (one more is in flight), counting what it dropped.
func TestQueueDropsOldestWhenFull(t *testing.T) {
	down := make(chan struct{})
	pub := &memPublisher{}
	gated := &gatedPublisher{next: pub, open: down, started: make(chan struct{}, 100)}
	cfg := agent.DefaultQueueConfig()
	cfg.Capacity = 10
	q, err := agent.NewQueuedPublisher(gated, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.Publish(ctx, "net", "dev", []byte{0})
	<-gated.started // report 0 is in flight, held
	for i := 1; i < 50; i++ {
		q.Publish(ctx, "net", "dev", []byte{byte(i)})
	}
	if st := q.Stats(); st.Dropped != 39 || st.Pending != 11 {
		t.Fatalf("stats %+v", st)
	}
	close(down)
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := q.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, m := range pub.messages() {
		got = append(got, m.payload[0])
	}
	want := []byte{0, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49}
	if string(got) != string(want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	q.Close()
	if !pub.isClosed() {
		t.Error("Close did not close the next publisher")
	}
	if err := q.Publish(ctx, "net", "dev", nil); !errors.Is(err, agent.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
}

// gatedPublisher holds attempts until open is closed.
type gatedPublisher struct {
	next    agent.Publisher
	open    chan struct{}
	started chan struct{}
}

func (g *gatedPublisher) Publish(ctx context.Context, network, device string, payload []byte) error {
	g.started <- struct{}{}
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.next.Publish(ctx, network, device, payload)
}

func (g *gatedPublisher) Close() { g.next.Close() }

func TestQueueSkipsRejectedAndCloses(t *testing.T) {
	pub := &memPublisher{fail: func(_ int, m message) error {
		if m.payload[0]%3 == 0 {
			return fmt.Errorf("%w: no such device", agent.ErrRejected)
		}
		return nil
	}}
	q, err := fastQueue(pub)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		q.Publish(context.Background(), "net", "dev", []byte{byte(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st.Delivered != 6 || st.Rejected != 3 || st.Retries != 0 {
		t.Fatalf("stats %+v", st)
	}

	// Close with reports stuck: they are counted as dropped, and Flush
	// does not hang.
	stuck := &gatedPublisher{next: &memPublisher{}, open: make(chan struct{}), started: make(chan struct{}, 10)}
	q2, _ := fastQueue(stuck)
	for i := range 5 {
		q2.Publish(context.Background(), "net", "dev", []byte{byte(i)})
	}
	<-stuck.started
	q2.Close()
	if st := q2.Stats(); st.Dropped != 5 || st.Pending != 0 {
		t.Fatalf("after Close: %+v", st)
	}
	if err := q2.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	for name, cfg := range map[string]agent.QueueConfig{
		"no capacity": {Workers: 1, MinBackoff: 1, MaxBackoff: 1, AttemptTimeout: 1},
		"no workers":  {Capacity: 1, MinBackoff: 1, MaxBackoff: 1, AttemptTimeout: 1},
		"backoff":     {Capacity: 1, Workers: 1, MinBackoff: 2, MaxBackoff: 1, AttemptTimeout: 1},
	} {
		if _, err := agent.NewQueuedPublisher(pub, cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
