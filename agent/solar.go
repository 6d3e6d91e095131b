package agent

import (
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// solar models a rooftop PV inverter: clear-sky irradiance from the sun's
// position at the site, times a seeded, smoothly varying cloud factor,
// times the installation's performance ratio (panel efficiency against its
// rating, inverter and temperature losses). Panels are taken as horizontal.
type solar struct {
	b        bounded
	key      uint64
	peak     float64 // W
	pr       float64
	lat, lon float64
}

func newSolar(cfg GeneratorConfig, b bounded) Generator {
	key := deviceKey(cfg.Seed, cfg.Index)
	return &solar{
		b:    b,
		key:  key,
		peak: float64(cfg.Capacity),
		pr:   between(unit(hash(key, saltPV)), 0.75, 0.88),
		lat:  cfg.Lat,
		lon:  cfg.Lon,
	}
}

func (g *solar) power(t float64) float64 {
	return panelPower(g.key, g.peak, g.pr, g.lat, g.lon, t)
}

func (g *solar) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	var joules float64
	for t, dt := range samples(s, e, 60) {
		joules += g.power(t) * dt
	}
	wh := quantize(joules/3600, hash(g.key, saltRound, uint64(s), uint64(e)))
	return g.b.values(e-s, wh), true
}
