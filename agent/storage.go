package agent

import (
	"math"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// storage models a storage node: the share of its disk that holds paid
// data wanders slowly between 40% and 95%; retrievals follow the data
// stored and the hour of the day; now and then the node goes down for
// minutes to an hour and a half, and a period that touches an outage is not
// reported.
type storage struct {
	b   bounded
	key uint64
	gb  float64
	lon float64
}

// Outages: in each window of outageBucket, one with probability
// outageChance, lasting 10 to 90 minutes, wholly inside the window.
const (
	outageBucket = 6 * 3600
	outageChance = 0.04
)

func newStorage(cfg GeneratorConfig, b bounded) Generator {
	return &storage{b: b, key: deviceKey(cfg.Seed, cfg.Index), gb: float64(cfg.Capacity), lon: cfg.Lon}
}

// utilisation is the share of the disk in use at t, in [0.40, 0.95].
func (g *storage) utilisation(t float64) float64 {
	n := 0.7*noise(hash(g.key, saltUtil, 1), t, 3*86400) + 0.3*noise(hash(g.key, saltUtil, 2), t, 6*3600)
	return 0.40 + 0.55*n
}

// outage returns the outage in the window that holds t, if any.
func (g *storage) outage(bucket int64) (from, to int64, ok bool) {
	h := hash(g.key, saltDown, uint64(bucket))
	if unit(h) >= outageChance {
		return 0, 0, false
	}
	length := int64(between(unit(mix64(h)), 600, 5400))
	from = bucket*outageBucket + int64(unit(mix64(h+1))*float64(outageBucket-length))
	return from, from + length, true
}

// online reports whether no outage touches [s, e).
func (g *storage) online(s, e int64) bool {
	for b := floorDiv(s, outageBucket); b <= floorDiv(e-1, outageBucket); b++ {
		if from, to, ok := g.outage(b); ok && from < e && to > s {
			return false
		}
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (g *storage) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	if !g.online(s, e) {
		return nil, false
	}
	var gbSeconds, expected float64
	for t, dt := range samples(s, e, 300) {
		used := g.utilisation(t) * g.gb
		gbSeconds += used * dt
		// About 0.2 retrievals per second per TB stored, twice as many at
		// the evening peak as at night.
		expected += used / 1000 * 0.2 * (0.5 + bump(localHour(t, g.lon), 20, 4)) * dt
	}
	stored := quantize(gbSeconds/3600*1000, hash(g.key, saltRound, 1, uint64(s), uint64(e)))
	hr := hash(g.key, saltRound, 2, uint64(s), uint64(e))
	// Poisson-like spread around the expectation.
	retrievals := quantize(math.Max(0, expected+math.Sqrt(expected)*normal(hr)), mix64(hr))
	return g.b.values(e-s, stored, retrievals), true
}
