package agent

import (
	"math"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// airQuality models a PM2.5 sensor that takes a reading every 3600/capacity
// seconds and misses about 2% of them, and whose readings follow the
// traffic: a morning and an evening rush over a site-specific background
// that changes with the weather over days.
type airQuality struct {
	b          bounded
	key        uint64
	spacing    float64 // seconds between readings
	phase      float64 // seconds
	background float64 // µg/m³
	lon        float64
}

// missedReadings is the share of readings a sensor misses.
const missedReadings = 0.02

func newAirQuality(cfg GeneratorConfig, b bounded) Generator {
	key := deviceKey(cfg.Seed, cfg.Index)
	spacing := 3600 / float64(cfg.Capacity)
	return &airQuality{
		b:          b,
		key:        key,
		spacing:    spacing,
		phase:      unit(hash(key, saltDrop)) * spacing,
		background: between(unit(hash(key, saltPM)), 4, 20),
		lon:        cfg.Lon,
	}
}

// readings counts the readings the sensor took in [s, e).
func (g *airQuality) readings(s, e int64) uint64 {
	first := math.Ceil((float64(s) - g.phase) / g.spacing)
	end := math.Ceil((float64(e) - g.phase) / g.spacing)
	if end-first > 1e6 { // a period of months: expectation is enough
		return uint64((end - first) * (1 - missedReadings))
	}
	var n uint64
	for k := first; k < end; k++ {
		if unit(hash(g.key, saltDrop, uint64(int64(k)))) >= missedReadings {
			n++
		}
	}
	return n
}

// pm25 is the concentration (µg/m³) at t.
func (g *airQuality) pm25(t float64) float64 {
	h := localHour(t, g.lon)
	traffic := 1 + 0.7*bump(h, 8, 1.2) + 0.5*bump(h, 18.5, 1.5) + 0.2*bump(h, 23, 2)
	weather := 0.5 + noise(hash(g.key, saltPM, 1), t, 2*86400)
	gusts := 0.85 + 0.3*noise(hash(g.key, saltPM, 2), t, 15*60)
	return g.background * traffic * weather * gusts
}

func (g *airQuality) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	if e <= s {
		return g.b.values(0), true
	}
	var sum float64
	for t, dt := range samples(s, e, 60) {
		sum += g.pm25(t) * dt
	}
	avg := quantize(sum/float64(e-s)*10, hash(g.key, saltRound, uint64(s), uint64(e)))
	return g.b.values(e-s, g.readings(s, e), avg), true
}
