package agent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
)

func TestRunnerFastForward(t *testing.T) {
	start := t0.Add(3500 * time.Millisecond)
	clock := agent.NewFastForwardClock(start)
	dev := newDevice(t, agent.DeviceConfig{Capacity: 5000, Lat: 52.5, Lon: 13.4})
	kind, _ := agent.LookupKind("solar")
	gen, err := kind.NewGenerator(agent.GeneratorConfig{Seed: 1, Capacity: 5000, Lat: 52.5, Lon: 13.4})
	if err != nil {
		t.Fatal(err)
	}
	pub := &memPublisher{}
	until := t0.Add(time.Hour)
	r, err := agent.NewRunner(dev, gen, pub, agent.RunnerConfig{Interval: 10 * time.Second, Clock: clock, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := pub.messages()
	if len(msgs) < 358 || len(msgs) > 360 {
		t.Fatalf("%d reports in an hour at 10 s", len(msgs))
	}
	var prevEnd int64
	var energy uint64
	for i, m := range msgs {
		rep := decode(t, m.payload)
		if m.network != "solar-berlin" || m.device != dev.String() {
			t.Fatalf("published as %s/%s", m.network, m.device)
		}
		if rep.Seq != uint64(i+1) {
			t.Fatalf("report %d has seq %d", i, rep.Seq)
		}
		if i == 0 && rep.PeriodStart != start.Unix() {
			t.Fatalf("first period starts at %d, runner started at %v", rep.PeriodStart, start)
		}
		if i > 0 && rep.PeriodStart != prevEnd {
			t.Fatalf("gap or overlap before report %d", i)
		}
		if i > 0 && rep.PeriodEnd-rep.PeriodStart != 10 {
			t.Fatalf("report %d spans %d s", i, rep.PeriodEnd-rep.PeriodStart)
		}
		if rep.PeriodEnd > until.Unix() {
			t.Fatalf("period ends after Until")
		}
		prevEnd = rep.PeriodEnd
		energy += rep.Metrics[0].Value
	}
	if energy == 0 {
		t.Error("no energy at 10:00 UTC in June in Berlin")
	}
	if st := r.Stats(); st.Signed != uint64(len(msgs)) || st.LastSeq != uint64(len(msgs)) || st.PublishFailed != 0 {
		t.Errorf("stats %+v", st)
	}
	// Period ends are spread by the device's phase, and whole seconds.
	if !clock.Now().After(until.Add(-10 * time.Second)) {
		t.Errorf("clock stopped at %v", clock.Now())
	}
}

func TestRunnerSkipsOutagesAndSurvivesPublishFailures(t *testing.T) {
	clock := agent.NewFastForwardClock(t0)
	dev := newDevice(t, agent.DeviceConfig{Network: "storage-eu"})
	kind, _ := agent.LookupKind("storage")
	gen, _ := kind.NewGenerator(agent.GeneratorConfig{Seed: 11, Capacity: 1000})
	pub := &memPublisher{fail: func(attempt int, _ message) error {
		if attempt%10 == 0 {
			return agent.ErrUnavailable
		}
		return nil
	}}
	r, err := agent.NewRunner(dev, gen, pub, agent.RunnerConfig{Interval: 5 * time.Minute, Clock: clock, Until: t0.Add(14 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Offline == 0 || st.PublishFailed == 0 || st.Signed+st.Offline < 14*24*12-2 {
		t.Fatalf("stats %+v", st)
	}
	gaps := 0
	var prevEnd int64
	for _, m := range pub.messages() {
		rep := decode(t, m.payload)
		if prevEnd != 0 && rep.PeriodStart != prevEnd {
			gaps++
		}
		prevEnd = rep.PeriodEnd
	}
	if gaps == 0 {
		t.Error("outages left no gaps")
	}
}

func TestRunnerStopsWhenStateCannotBeSaved(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{Saver: &failingSaver{err: errors.New("read-only file system")}})
	r, _ := agent.NewRunner(dev, constant{values: []uint64{1}}, &memPublisher{}, agent.RunnerConfig{Clock: agent.NewFastForwardClock(t0)})
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("runner went on signing without saving its state")
	}
}

func TestRunnerOnWallClock(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pub := &memPublisher{fail: func(int, message) error {
		cancel() // one report is enough
		return nil
	}}
	r, _ := agent.NewRunner(dev, constant{values: []uint64{1}}, pub, agent.RunnerConfig{Interval: time.Second})
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(pub.messages()) == 0 {
		t.Fatal("no report within 5 s at a 1 s interval")
	}
	for _, bad := range []time.Duration{time.Millisecond, 1500 * time.Millisecond} {
		if _, err := agent.NewRunner(dev, constant{}, pub, agent.RunnerConfig{Interval: bad}); err == nil {
			t.Errorf("interval %v accepted", bad)
		}
	}
}
