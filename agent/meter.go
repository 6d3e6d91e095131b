package agent

import (
	"math"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// meter models a household's bidirectional meter: a base load, a morning
// and a larger evening peak in local time, smooth noise, and appliances
// (kettle, oven, washing machine) switching on for minutes at random. Some
// households have panels; when they produce more than the house uses, the
// surplus is exported.
type meter struct {
	b        bounded
	key      uint64
	maxLoad  float64 // W, the capacity
	base     float64 // W
	morning  float64 // W at the morning peak
	evening  float64 // W at the evening peak
	daytime  float64 // W while people are in
	pvPeak   float64 // W, 0 without panels
	pvPR     float64
	lat, lon float64
}

func newMeter(cfg GeneratorConfig, b bounded) Generator {
	key := deviceKey(cfg.Seed, cfg.Index)
	m := &meter{
		b:       b,
		key:     key,
		maxLoad: float64(cfg.Capacity),
		base:    between(unit(hash(key, saltLoad, 1)), 150, 400),
		morning: between(unit(hash(key, saltLoad, 2)), 500, 1500),
		evening: between(unit(hash(key, saltLoad, 3)), 900, 2500),
		daytime: between(unit(hash(key, saltLoad, 4)), 100, 500),
		lat:     cfg.Lat,
		lon:     cfg.Lon,
	}
	if unit(hash(key, saltPV, 1)) < 0.4 {
		m.pvPeak = math.Min(between(unit(hash(key, saltPV, 2)), 3000, 6000), m.maxLoad)
		m.pvPR = between(unit(hash(key, saltPV, 3)), 0.75, 0.88)
	}
	return m
}

// spikeBucket is the length of the windows in which at most one appliance
// runs on top of the profile.
const spikeBucket = 15 * 60

// load is the household's consumption (W) at t.
func (g *meter) load(t float64) float64 {
	h := localHour(t, g.lon)
	w := g.base + g.morning*bump(h, 7.5, 1) + g.evening*bump(h, 19.5, 1.5)
	if h > 9 && h < 17 {
		w += g.daytime
	}
	w *= 0.8 + 0.4*noise(hash(g.key, saltNoise), t, 20*60)
	// One appliance in about one window in eight.
	bucket := math.Floor(t / spikeBucket)
	hs := hash(g.key, saltSpike, uint64(int64(bucket)))
	if unit(hs) < 0.12 {
		length := between(unit(mix64(hs)), 120, 720)
		from := bucket*spikeBucket + unit(mix64(hs+1))*(spikeBucket-length)
		if t >= from && t < from+length {
			w += between(unit(mix64(hs+2)), 1500, 3000)
		}
	}
	return math.Min(w, 0.95*g.maxLoad)
}

func (g *meter) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	var in, out float64 // joules
	for t, dt := range samples(s, e, 30) {
		net := g.load(t)
		if g.pvPeak > 0 {
			net -= panelPower(hash(g.key, saltPV), g.pvPeak, g.pvPR, g.lat, g.lon, t)
		}
		if net >= 0 {
			in += net * dt
		} else {
			out -= net * dt
		}
	}
	consumed := quantize(in/3600, hash(g.key, saltRound, 1, uint64(s), uint64(e)))
	exported := quantize(out/3600, hash(g.key, saltRound, 2, uint64(s), uint64(e)))
	return g.b.values(e-s, consumed, exported), true
}
