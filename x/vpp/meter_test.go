package vpp

import (
	"testing"

	api "github.com/depinhq/depin/api/vpp"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// TestMeterBaseline follows a member's metering by hand: history of the
// last N intervals outside events, the baseline fixed by the first
// report in the window, the window's energy in the dispatch's direction.
func TestMeterBaseline(t *testing.T) {
	vp := api.DefaultParams()
	vp.IntervalSeconds, vp.BaselineIntervals = 60, 3
	m := &vppv1.Member{IntervalSeconds: 60}
	rep := func(start int64, charged, discharged, soc uint64) {
		meter(m, vp, &reportv1.Report{PeriodStart: start, PeriodEnd: start + 60, Metrics: []*reportv1.MetricValue{
			{Id: 1, Value: charged}, {Id: 2, Value: discharged}, {Id: 3, Value: soc}}}, 900_000)
	}
	// Five intervals: net 10, −5, 20, 30, 40 Wh; then a window of two.
	for i, net := range []int64{10, -5, 20, 30, 40} {
		var c, d uint64
		if net < 0 {
			c = uint64(-net)
		} else {
			d = uint64(net)
		}
		rep(6000+60*int64(i), c, d, 500)
	}
	if got := m.HistoryWh; len(got) != 3 || got[0] != -5 || got[1] != 20 || got[2] != 30 {
		t.Fatalf("history %v, want the last 3 closed intervals [-5 20 30]", got)
	}
	m.Allocs = []*vppv1.Allocation{{Dispatch: 1, Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 6000, Start: 6300, End: 6420}}
	rep(6300, 0, 100, 450) // the first report in the window closes interval 104 (40 Wh) and fixes the baseline
	rep(6360, 10, 60, 420)
	a := m.Allocs[0]
	// History at the window: [20 30 40] → mean 30 Wh per interval.
	if !a.BaselineTaken || a.BaselineWh != 30 || a.WindowWh != 150 {
		t.Fatalf("allocation %v, want baseline 30, window 100 + 50", a)
	}
	rep(6420, 0, 0, 420) // after the window: the window's intervals stay out of the history
	if got := m.HistoryWh; len(got) != 3 || got[0] != 20 || got[1] != 30 || got[2] != 40 {
		t.Fatalf("history %v, want [20 30 40] (event intervals left out)", got)
	}
	rep(6480, 0, 0, 420) // closes 6420's interval, outside events: it joins
	if got := m.HistoryWh; len(got) != 3 || got[0] != 30 || got[1] != 40 || got[2] != 0 {
		t.Fatalf("history %v, want [30 40 0]", got)
	}
	if m.SocPpt != 420 || !m.SocKnown || m.RepPpm != 900_000 {
		t.Fatalf("member %v", m)
	}
	// allocated 6,000 W × 120 s = 200 Wh; delivered = min(200, 150 − 30 × 2) = 90.
	if d, b := api.Delivered(api.EnergyWh(6000, 120), a.WindowWh, a.BaselineWh, 2); d != 90 || b != 60 {
		t.Fatalf("delivered %d (baseline %d), want 90 (60)", d, b)
	}
}

// BenchmarkMeter is the metering cost of one accepted report of a pool
// member (its baseline history at the longest N, 96 intervals, and an
// allocation), without the state read and write around it.
func BenchmarkMeter(b *testing.B) {
	vp := api.DefaultParams()
	vp.IntervalSeconds, vp.BaselineIntervals = 60, api.MaxBaselineIntervals
	m := &vppv1.Member{IntervalSeconds: 60}
	for i := range int64(200) {
		meter(m, vp, &reportv1.Report{PeriodStart: 60 * i, PeriodEnd: 60*i + 60, Metrics: []*reportv1.MetricValue{{Id: 2, Value: 5}}}, 1)
	}
	r := &reportv1.Report{Metrics: []*reportv1.MetricValue{{Id: 1, Value: 3}, {Id: 2, Value: 10}, {Id: 3, Value: 500}}}
	b.ResetTimer()
	for i := range b.N {
		t := 60 * (200 + int64(i))
		m.Allocs = []*vppv1.Allocation{{Dispatch: 1, Direction: vppv1.Direction_DIRECTION_DISCHARGE, Start: t, End: t + 60}}
		r.PeriodStart, r.PeriodEnd = t, t+60
		meter(m, vp, r, 1)
	}
}

// BenchmarkBaseline is the baseline of one member over 96 intervals.
func BenchmarkBaseline(b *testing.B) {
	h := make([]int64, api.MaxBaselineIntervals)
	for i := range h {
		h[i] = int64(i*7%50) - 10
	}
	for range b.N {
		_ = api.Baseline(h, vppv1.Direction_DIRECTION_DISCHARGE)
	}
}
