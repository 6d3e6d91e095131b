package vpp

import (
	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/state"
)

// Meter records an accepted report of a pool member (the report module
// calls it for devices whose record names a pool; it costs nothing for
// the others): the member's metering interval, history and the
// allocation whose window the report falls in (api/vpp, "Measurement and
// verification"). With the network's flexibility params gone only the
// allocations are metered, with the metrics their dispatch kept.
func (k Keeper) Meter(ctx state.Context, dev *devicev1.Device, n *networkv1.Network, r *reportv1.Report) {
	vp := n.Params.Vpp
	if dev.VppPool == 0 || r.PeriodEnd <= 0 {
		return
	}
	id, err := crypto.AddressFromBytes(dev.Id)
	if err != nil {
		return
	}
	m := k.Member(ctx.KV, dev.VppPool, id)
	if m == nil || vp == nil && len(m.Allocs) == 0 {
		return
	}
	meter(m, vp, r, repOf(dev, n))
	k.setMember(ctx.KV, m)
}

// meter adds a report to a member's metering (vp nil: its allocations'
// windows only).
func meter(m *vppv1.Member, vp *vppv1.VppParams, r *reportv1.Report, rep uint32) {
	m.RepPpm = rep
	t := r.PeriodEnd - 1 // the period is [start, end)
	if vp != nil {
		if m.IntervalSeconds != vp.IntervalSeconds { // a new grid: the old history does not compare
			m.IntervalSeconds, m.Interval, m.IntervalNetWh, m.IntervalEvent, m.HistoryWh = vp.IntervalSeconds, 0, 0, false, nil
		}
		for _, v := range r.Metrics {
			if vp.SocMetric != 0 && v.Id == vp.SocMetric {
				m.SocPpt, m.SocKnown = uint32(min(v.Value, api.PPT)), true
			}
		}
		if iv := uint64(t) / m.IntervalSeconds; iv > m.Interval {
			roll(m, vp)
			m.Interval, m.IntervalNetWh = iv, 0
			m.IntervalEvent = window(m, t) != nil
		}
		m.IntervalNetWh = api.SatAdd(m.IntervalNetWh, netEnergy(r, vp.ChargedMetric, vp.DischargedMetric))
	}
	a := window(m, t)
	if a == nil {
		return
	}
	charged, discharged := a.ChargedMetric, a.DischargedMetric
	if discharged == 0 { // allocated before allocations named their metrics
		if vp == nil {
			return
		}
		charged, discharged = vp.ChargedMetric, vp.DischargedMetric
	}
	if !a.BaselineTaken {
		a.BaselineTaken, a.BaselineWh = true, api.Baseline(m.HistoryWh, a.Direction)
	}
	a.WindowWh = api.SatAdd(a.WindowWh, api.Toward(netEnergy(r, charged, discharged), a.Direction))
}

// netEnergy is a report's discharged − charged energy (Wh).
func netEnergy(r *reportv1.Report, charged, discharged uint32) int64 {
	var net int64
	for _, v := range r.Metrics {
		switch v.Id {
		case discharged:
			net = api.SatAdd(net, signed(v.Value))
		case charged:
			net = api.SatAdd(net, -signed(v.Value))
		}
	}
	return net
}

// roll closes the interval being metered: unless it was in an event's
// window, its net energy joins the history (the last baseline_intervals).
func roll(m *vppv1.Member, vp *vppv1.VppParams) {
	if m.Interval == 0 || m.IntervalEvent {
		return
	}
	m.HistoryWh = append(m.HistoryWh, m.IntervalNetWh)
	if over := len(m.HistoryWh) - int(vp.BaselineIntervals); over > 0 {
		m.HistoryWh = append(m.HistoryWh[:0:0], m.HistoryWh[over:]...)
	}
}

// window is the allocation whose window holds time t, or nil.
func window(m *vppv1.Member, t int64) *vppv1.Allocation {
	for _, a := range m.Allocs {
		if a.Start <= t && t < a.End {
			return a
		}
	}
	return nil
}

func signed(v uint64) int64 { return int64(min(v, 1<<63-1)) }
