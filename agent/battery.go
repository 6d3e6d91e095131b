package agent

import (
	"math"
	"slices"
	"sync"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// battery models a home battery next to rooftop panels, with state: its
// state of charge integrates what goes in (times the charging efficiency)
// and what comes out (divided by the discharging efficiency), within
// [0, energy capacity], never faster than its rated power either way.
//
// Left alone it charges from the panels' surplus around midday (following
// the sun and the clouds: a clear day would fill 90% of it) and covers
// the house's load from the evening peak through the night, which asks
// more than it holds, down to a reserve kept for backup. That is the
// behaviour the chain's baselines see.
//
// Told a dispatch (Follow), over its window it stops any flow against
// the dispatch's direction and adds the power asked on top of its own
// flow in that direction — within its rating, down to empty or up to
// full — unless it was built to ignore dispatches.
//
// The model steps on a fixed grid of batteryStep seconds, so its state at
// every grid point does not depend on how reports cut time. A run that
// starts, or jumps back, or far ahead, starts afresh at the last morning
// before it whose previous day saw no dispatch (where, left alone, the
// battery is at its reserve): so its values are a function of the seed,
// the dispatches it followed and the period, whatever was asked before.
type battery struct {
	b        bounded
	key      uint64
	ratedW   float64
	energyWh float64
	reserve  float64 // Wh kept for backup when left alone
	lat, lon float64
	ignore   bool

	mu         sync.Mutex
	days       map[int64]float64 // ∫ sunInWindow over a local day (s), a cache
	dispatches []batteryDispatch // by start; at most maxBatteryDispatches
	cur        batteryState      // the start of the step being reported
	curValid   bool
	reported   int64 // end of the last period reported
}

// batteryDispatch is a dispatch as the battery follows it.
type batteryDispatch struct {
	id         uint64
	start, end int64   // unix seconds
	sign       float64 // +1 discharge, −1 charge
	powerW     float64
}

// batteryState is the state of charge at the start of a step.
type batteryState struct {
	t   int64   // a multiple of batteryStep
	soc float64 // Wh stored
}

// Model constants.
const (
	batteryStep = 10 // s: a dispatch window (whole metering intervals, ≥ 10 s) starts on a step
	// Efficiency of each direction (a round trip of about 90%).
	etaIn, etaOut = 0.95, 0.95
	reserveShare  = 0.10 // of the energy capacity, kept when left alone
	chargeFill    = 0.90 // what a clear day's surplus would store, of the energy capacity
	baseLoadShare = 0.03 // of the rated power, drawn in the day outside the charge window
	// Local solar hours of the charge window, of the evening peak and of
	// the end of the night.
	chargeFrom, chargeTo       = 9.0, 16.0
	dischargeFrom, dischargeTo = 17.0, 23.0
	morning                    = 7.0
	// What the house asks of a full battery (from full to its reserve):
	// 0.5 to 0.7 of it over the evening peak, 0.6 over the night, so that
	// left alone it is at its reserve every morning.
	eveningShareMin, eveningShareMax = 0.5, 0.7
	nightShare                       = 0.6

	maxBatteryDispatches = 16
	maxCatchUp           = 2 * 86400 // s of stepping before starting afresh instead
	anchorSearchDays     = 4
)

func newBattery(cfg GeneratorConfig, b bounded) Generator {
	energy := float64(cfg.EnergyCapacity)
	return &battery{
		b:        b,
		key:      deviceKey(cfg.Seed, cfg.Index),
		ratedW:   float64(cfg.Capacity),
		energyWh: energy,
		reserve:  reserveShare * energy,
		lat:      cfg.Lat,
		lon:      cfg.Lon,
		ignore:   cfg.IgnoreDispatch,
		days:     map[int64]float64{},
	}
}

var _ DispatchFollower = (*battery)(nil)

// Follow makes the battery follow d over its window (from the first step
// not yet reported, if the window began already). A dispatch followed
// again replaces the earlier one with its id.
func (g *battery) Follow(d Dispatch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sign float64
	switch d.Direction {
	case Discharge:
		sign = 1
	case Charge:
		sign = -1
	}
	start, end := d.Start.Unix(), d.End.Unix()
	if g.curValid {
		start = max(start, ceilStep(g.reported))
	}
	if g.ignore || sign == 0 || d.PowerW == 0 || start >= end {
		return
	}
	g.dispatches = slices.DeleteFunc(g.dispatches, func(x batteryDispatch) bool { return x.id == d.ID })
	g.dispatches = append(g.dispatches, batteryDispatch{id: d.ID, start: start, end: end, sign: sign, powerW: float64(d.PowerW)})
	slices.SortStableFunc(g.dispatches, func(a, b batteryDispatch) int {
		return int(max(min(a.start-b.start, 1), -1))
	})
	if n := len(g.dispatches); n > maxBatteryDispatches {
		g.dispatches = slices.Delete(g.dispatches, 0, n-maxBatteryDispatches)
	}
}

func (g *battery) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.curValid || s < g.cur.t || s-g.cur.t > maxCatchUp {
		g.cur, g.curValid = g.anchor(s), true
		g.forget()
	}
	for g.cur.t+batteryStep <= s {
		g.advance(&g.cur)
	}
	var in, out float64 // Wh, at the battery's terminals
	for t := s; t < e; {
		stepEnd := g.cur.t + batteryStep
		p, limit := g.power(g.cur.t, g.cur.soc)
		to := min(e, stepEnd)
		if wh := p * float64(to-t) / 3600; wh > 0 {
			out += wh
		} else {
			in -= wh
		}
		if to == stepEnd {
			g.apply(&g.cur, p, limit)
		}
		t = to
	}
	g.reported = max(g.reported, e)
	soc := g.cur.soc
	if e > g.cur.t { // part of the way through a step
		next := g.cur
		g.advance(&next)
		soc += (next.soc - soc) * float64(e-g.cur.t) / batteryStep
	}
	permille := uint64(0)
	if g.energyWh > 0 {
		permille = uint64(min(max(math.Round(soc/g.energyWh*1000), 0), 1000))
	}
	charged := quantize(in, hash(g.key, saltRound, 1, uint64(s), uint64(e)))
	discharged := quantize(out, hash(g.key, saltRound, 2, uint64(s), uint64(e)))
	return g.b.values(e-s, charged, discharged, permille), true
}

// Limits a step's power ran into.
const (
	limitNone = iota
	limitFloor
	limitFull
)

// advance takes st one step on.
func (g *battery) advance(st *batteryState) {
	p, limit := g.power(st.t, st.soc)
	g.apply(st, p, limit)
}

// apply takes st one step on at power p, which stopped at limit.
func (g *battery) apply(st *batteryState, p float64, limit int) {
	switch {
	case limit == limitFull:
		st.soc = g.energyWh
	case limit != limitNone:
		st.soc = g.floor(st.t)
	case p > 0:
		st.soc -= p * batteryStep / 3600 / etaOut
	default:
		st.soc -= p * batteryStep / 3600 * etaIn
	}
	st.soc = min(max(st.soc, 0), g.energyWh)
	st.t += batteryStep
}

// floor is how low the battery goes in the step starting at t: the
// reserve, or empty while a dispatch asks for more.
func (g *battery) floor(t int64) float64 {
	for _, d := range g.dispatches {
		if d.start < t+batteryStep && d.end > t {
			return 0
		}
	}
	return g.reserve
}

// power is the battery's power over the step starting at t from state of
// charge soc (W: positive discharging, negative charging), and the limit
// it stopped at, if any.
func (g *battery) power(t int64, soc float64) (float64, int) {
	p := g.natural(t, soc)
	for _, d := range g.dispatches {
		f := float64(min(d.end, t+batteryStep)-max(d.start, t)) / batteryStep
		if f <= 0 {
			continue
		}
		var follow float64
		if d.sign > 0 {
			follow = math.Max(p, 0) + d.powerW
		} else {
			follow = math.Min(p, 0) - d.powerW
		}
		p = (1-f)*p + f*follow
	}
	p = min(max(p, -g.ratedW), g.ratedW)
	if p > 0 {
		if most := g.outPower(soc - g.floor(t)); p >= most {
			return most, limitFloor
		}
	} else if p < 0 {
		if most := (g.energyWh - soc) / etaIn * 3600 / batteryStep; -p >= most {
			return -most, limitFull
		}
	}
	return p, limitNone
}

// outPower is the power that takes wh (stored) out of the battery in one
// step; 0 for wh ≤ 0.
func (g *battery) outPower(wh float64) float64 {
	return math.Max(wh, 0) * etaOut * 3600 / batteryStep
}

// natural is what the battery does over the step starting at t when left
// alone.
func (g *battery) natural(t int64, soc float64) float64 {
	mid := float64(t) + batteryStep/2
	day := localDay(mid, g.lon)
	from, to := g.evening(day)
	if t >= from && t < to {
		// The house's evening peak, a hump sin(πu) over u ∈ [0, 1), with
		// some jitter.
		u0 := float64(t-from) / float64(to-from)
		u1 := float64(t+batteryStep-from) / float64(to-from)
		demand := g.eveningWh(day) * (math.Cos(math.Pi*u0) - math.Cos(math.Pi*math.Min(u1, 1))) / 2
		jitter := 0.92 + 0.16*noise(hash(g.key, saltNoise), mid, 30*60)
		return math.Min(demand*jitter*3600/batteryStep, g.ratedW)
	}
	if t >= to || t < g.morning(day) {
		// The night: a steady load until the morning.
		return math.Min(g.full()*nightShare/(24-dischargeTo+morning), g.ratedW)
	}
	if w := g.sunInWindow(mid); w > 0 {
		scale := g.dayScale(day)
		if scale < 600 { // polar night: the sun never gets up in the window
			return 0
		}
		rate := chargeFill / etaIn * g.energyWh * 3600 * w * cloudFactor(g.key, mid) / scale
		return -math.Min(rate, g.ratedW)
	}
	if h := localHour(mid, g.lon); h >= chargeFrom && h < chargeTo {
		return 0 // the panels cover the house
	}
	return math.Min(baseLoadShare*g.ratedW, g.outPower(soc-g.reserve))
}

// full is what the battery gives from full to its reserve (Wh).
func (g *battery) full() float64 { return (g.energyWh - g.reserve) * etaOut }

// eveningWh is the energy the house asks of the battery over local day
// d's evening peak.
func (g *battery) eveningWh(d int64) float64 {
	u := unit(hash(g.key, saltLoad, uint64(d)))
	return g.full() * (eveningShareMin + (eveningShareMax-eveningShareMin)*u)
}

// morning is when the night ends on local day d, on the step grid.
func (g *battery) morning(d int64) int64 {
	return floorStep(localDayStart(d, g.lon) + morning*3600)
}

// evening is local day d's evening window on the step grid.
func (g *battery) evening(d int64) (from, to int64) {
	day := localDayStart(d, g.lon)
	return floorStep(day + dischargeFrom*3600), floorStep(day + dischargeTo*3600)
}

// anchor is where a run that must report from s starts: the last morning
// at or before s (ideally one after a day without dispatch, so that, left
// alone, the battery was at its reserve).
func (g *battery) anchor(s int64) batteryState {
	d := localDay(float64(s), g.lon)
	at := g.morning(d)
	if at > s {
		d--
		at = g.morning(d)
	}
	for range anchorSearchDays {
		before := g.morning(d - 1)
		if !g.dispatchedIn(before, at) {
			break
		}
		at, d = before, d-1
	}
	return batteryState{t: at, soc: g.reserve}
}

// dispatchedIn reports whether a dispatch window meets [from, to).
func (g *battery) dispatchedIn(from, to int64) bool {
	for _, d := range g.dispatches {
		if d.start < to && d.end > from {
			return true
		}
	}
	return false
}

// forget drops dispatches that ended long before the state.
func (g *battery) forget() {
	g.dispatches = slices.DeleteFunc(g.dispatches, func(d batteryDispatch) bool {
		return d.end < g.cur.t-(anchorSearchDays+1)*86400
	})
}

// sunInWindow is the sun's height weight during the charge window.
func (g *battery) sunInWindow(t float64) float64 {
	h := localHour(t, g.lon)
	if h < chargeFrom || h >= chargeTo {
		return 0
	}
	return math.Max(0, sunSinElevation(g.lat, g.lon, t))
}

// dayScale is ∫ sunInWindow over local day d (seconds), clear sky.
func (g *battery) dayScale(d int64) float64 {
	if s, ok := g.days[d]; ok {
		return s
	}
	from := localDayStart(d, g.lon)
	var sum float64
	for t, dt := range samples(int64(from+chargeFrom*3600), int64(from+chargeTo*3600), 60) {
		sum += g.sunInWindow(t) * dt
	}
	if len(g.days) >= 8 {
		clear(g.days)
	}
	g.days[d] = sum
	return sum
}

// floorStep is t rounded down to the step grid.
func floorStep(t float64) int64 { return int64(math.Floor(t/batteryStep)) * batteryStep }

// ceilStep is t rounded up to the step grid.
func ceilStep(t int64) int64 {
	s := t / batteryStep * batteryStep
	if s < t {
		s += batteryStep
	}
	return s
}
