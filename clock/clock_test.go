package clock

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func fired(t Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestManualTimers(t *testing.T) {
	c := NewManual(t0)
	if next, ok := c.Next(); ok {
		t.Fatalf("Next %v on an idle clock", next)
	}
	a := c.NewTimer(2 * time.Second)
	b := c.NewTimer(time.Second)
	stopped := c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop: want true, then false")
	}
	if next, _ := c.Next(); !next.Equal(t0.Add(time.Second)) {
		t.Fatalf("Next %v, want t0+1s", next)
	}
	c.Advance(time.Second - 1)
	if fired(a) || fired(b) {
		t.Fatal("a timer fired early")
	}
	c.Advance(1)
	if fired(a) || !fired(b) || fired(stopped) {
		t.Fatal("after 1s: want only b fired")
	}
	if b.Stop() {
		t.Fatal("Stop of a fired timer returned true")
	}
	c.AdvanceTo(t0.Add(time.Hour))
	select {
	case at := <-a.C():
		if !at.Equal(t0.Add(2 * time.Second)) {
			t.Fatalf("a fired with %v, want its deadline", at)
		}
	default:
		t.Fatal("a did not fire")
	}
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Now %v", c.Now())
	}
	c.AdvanceTo(t0) // never backwards
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("went back to %v", c.Now())
	}
	if !fired(c.NewTimer(0)) {
		t.Fatal("a timer for 0 did not fire at once")
	}
}

// TestManualSleepAndAfterFunc: sleepers and functions wake in deadline
// order once the clock passes their deadlines, and not before.
func TestManualSleepAndAfterFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewManual(t0)
		var woke []string
		for _, s := range []struct {
			name string
			d    time.Duration
		}{{"late", 3 * time.Second}, {"early", time.Second}} {
			go func() {
				if err := c.Sleep(t.Context(), s.d); err != nil {
					t.Error(err)
				}
				woke = append(woke, s.name)
			}()
		}
		c.AfterFunc(2*time.Second, func() { woke = append(woke, "func") })
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { errc <- c.Sleep(ctx, time.Hour) }()
		synctest.Wait()
		if len(woke) != 0 {
			t.Fatalf("woke %v before the clock moved", woke)
		}
		for range 3 {
			next, _ := c.Next()
			c.AdvanceTo(next)
			synctest.Wait()
		}
		if want := []string{"early", "func", "late"}; len(woke) != 3 || woke[0] != want[0] || woke[1] != want[1] || woke[2] != want[2] {
			t.Fatalf("woke %v, want %v", woke, want)
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Sleep after cancel: %v", err)
		}
		if next, ok := c.Next(); ok {
			t.Fatalf("a cancelled sleep left a timer due at %v", next)
		}
	})
}

func TestFastForward(t *testing.T) {
	c := NewFastForward(t0)
	if err := c.Sleep(context.Background(), time.Hour); err != nil || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Sleep: %v, now %v", err, c.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err == nil || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Sleep on an ended context: %v, now %v", err, c.Now())
	}
}

func TestSystem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (System{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on an ended context: %v", err)
	}
	tm := System{}.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer")
	}
	done := make(chan struct{})
	System{}.AfterFunc(0, func() { close(done) })
	<-done
}
