package agent

import (
	"math"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// battery models a home battery next to rooftop panels: it charges from the
// surplus around midday (following the sun and the clouds, up to 90% of its
// capacity on a clear day) and gives back what it took in, less 8% losses,
// over the evening peak. Neither needs state: the day's charge is a pure
// function of the day, which the evening discharge then spends.
type battery struct {
	b        bounded
	key      uint64
	capWh    float64
	lat, lon float64
	days     map[int64]batteryDay // a cache of pure functions of the day
}

// batteryDay is what one local day's charging comes to.
type batteryDay struct {
	scale float64 // ∫ sunInWindow over the day, seconds
	wh    float64 // energy charged over the day
}

// Local solar hours of the charge and discharge windows.
const (
	chargeFrom, chargeTo       = 9.0, 16.0
	dischargeFrom, dischargeTo = 17.0, 23.0
	roundTrip                  = 0.92
)

func newBattery(cfg GeneratorConfig, b bounded) Generator {
	return &battery{
		b:     b,
		key:   deviceKey(cfg.Seed, cfg.Index),
		capWh: float64(cfg.Capacity),
		lat:   cfg.Lat,
		lon:   cfg.Lon,
		days:  map[int64]batteryDay{},
	}
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
	from := localDayStart(d, g.lon)
	var sum float64
	for t, dt := range samples(int64(from+chargeFrom*3600), int64(from+chargeTo*3600), 60) {
		sum += g.sunInWindow(t) * dt
	}
	return sum
}

// chargeRate is the charging power (W) at t given day d's scale: spread
// so that a clear day fills 90% of the battery, never above 0.5 C.
func (g *battery) chargeRate(t, scale float64) float64 {
	if scale < 600 { // polar night: the sun never gets up in the window
		return 0
	}
	w := g.sunInWindow(t)
	if w == 0 {
		return 0
	}
	rate := 0.9 * g.capWh * 3600 * w * cloudFactor(g.key, t) / scale
	return math.Min(rate, 0.5*g.capWh)
}

// day computes (once) local day d's charging.
func (g *battery) day(d int64) batteryDay {
	if bd, ok := g.days[d]; ok {
		return bd
	}
	bd := batteryDay{scale: g.dayScale(d)}
	from := localDayStart(d, g.lon)
	var joules float64
	for t, dt := range samples(int64(from+chargeFrom*3600), int64(from+chargeTo*3600), 60) {
		joules += g.chargeRate(t, bd.scale) * dt
	}
	bd.wh = joules / 3600
	if len(g.days) >= 4 {
		clear(g.days)
	}
	g.days[d] = bd
	return bd
}

// dischargeRate is the discharging power (W) at t: a hump over the evening
// window that gives back the day's charge.
func (g *battery) dischargeRate(t float64) float64 {
	h := localHour(t, g.lon)
	if h < dischargeFrom || h >= dischargeTo {
		return 0
	}
	span := (dischargeTo - dischargeFrom) * 3600
	shape := math.Sin(math.Pi * (h - dischargeFrom) / (dischargeTo - dischargeFrom))
	jitter := 0.92 + 0.16*noise(hash(g.key, saltNoise), t, 30*60)
	// ∫ shape over the window is span·2/π.
	return roundTrip * g.day(localDay(t, g.lon)).wh * 3600 * shape * jitter / (span * 2 / math.Pi)
}

func (g *battery) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	var in, out float64
	for t, dt := range samples(s, e, 60) {
		if g.sunInWindow(t) > 0 {
			in += g.chargeRate(t, g.day(localDay(t, g.lon)).scale) * dt
		}
		out += g.dischargeRate(t) * dt
	}
	charged := quantize(in/3600, hash(g.key, saltRound, 1, uint64(s), uint64(e)))
	discharged := quantize(out/3600, hash(g.key, saltRound, 2, uint64(s), uint64(e)))
	return g.b.values(e-s, charged, discharged), true
}
