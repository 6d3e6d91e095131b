package simnet

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
)

// TestDispatchLog: one line per dispatch, once its parts are in, with
// the batteries, the power in all, the window and who ignores it.
func TestDispatchLog(t *testing.T) {
	var mu sync.Mutex
	var out strings.Builder
	l := newDispatchLog(func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&out, format, args...)
	})
	l.settle = 50 * time.Millisecond
	start := time.Date(2026, 12, 2, 19, 15, 0, 0, time.UTC)
	for i := range 3 {
		l.add(agent.Dispatch{ID: 7, Pool: 1, Device: fmt.Sprint("b", i), Direction: agent.Discharge, PowerW: 2500, Start: start, End: start.Add(10 * time.Minute)}, i == 2)
	}
	l.add(agent.Dispatch{ID: 8, Pool: 1, Device: "b0", Direction: agent.Charge, PowerW: 1000, Start: start, End: start.Add(time.Minute), Challenge: true}, false)
	l.add(agent.Dispatch{ID: 8, Pool: 1, Device: "b1", Direction: agent.Discharge, PowerW: 1000, Start: start, End: start.Add(time.Minute), Challenge: true}, false)
	time.Sleep(300 * time.Millisecond)
	l.add(agent.Dispatch{ID: 7, Pool: 1, Device: "b0", PowerW: 2500}, false) // heard again after its line: no second line
	time.Sleep(100 * time.Millisecond)
	l.stop()
	mu.Lock()
	got := out.String()
	mu.Unlock()
	for _, want := range []string{
		"dispatch 7 of pool 1: 3 batteries asked to discharge 7.5 kW in all, 19:15:00–19:25:00 UTC (1 of them ignore dispatches)\n",
		"challenge 8 of pool 1: 2 batteries asked to charge or discharge 2.0 kW in all, 19:15:00–19:16:00 UTC (0 of them ignore dispatches)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the log %q lacks %q", got, want)
		}
	}
	if strings.Count(got, "\n") != 2 {
		t.Errorf("want 2 lines, got %q", got)
	}
	l.add(agent.Dispatch{ID: 9, Pool: 1, Device: "b0", PowerW: 1}, false) // after stop: nothing
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(out.String(), "dispatch 9") {
		t.Error("a line after stop")
	}
}
