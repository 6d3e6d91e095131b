package agent

import (
	"math"
	"slices"
	"time"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// vehicle models a car: on working days most drivers commute in the morning
// and the evening; everyone runs a few errands at random times; speeds
// vary smoothly around each trip's average, always below the car's top
// speed, and ramp up and down at each end. Distance counts as it is
// driven; a trip counts in the period in which it ends.
type vehicle struct {
	b        bounded
	key      uint64
	topSpeed float64 // km/h, the capacity
	lon      float64
	commuter bool
	commute  float64 // seconds, one way
	days     map[int64][]trip
}

// trip is one drive, in unix seconds, at an average speed in km/h.
type trip struct {
	from, to float64
	speed    float64
}

func newVehicle(cfg GeneratorConfig, b bounded) Generator {
	key := deviceKey(cfg.Seed, cfg.Index)
	return &vehicle{
		b:        b,
		key:      key,
		topSpeed: float64(cfg.Capacity),
		lon:      cfg.Lon,
		commuter: unit(hash(key, saltTrip, 1)) < 0.7,
		commute:  between(unit(hash(key, saltTrip, 2)), 15*60, 50*60),
		days:     map[int64][]trip{},
	}
}

// trips lists the drives that start on local day d, in order, none
// overlapping.
func (g *vehicle) trips(d int64) []trip {
	if ts, ok := g.days[d]; ok {
		return ts
	}
	day := localDayStart(d, g.lon)
	h := hash(g.key, saltTrip, uint64(d))
	r := func(i uint64) float64 { return unit(mix64(h + i)) }
	cruise := 0.6 * g.topSpeed
	var ts []trip
	add := func(startHour, seconds, speed float64) {
		from := day + startHour*3600
		ts = append(ts, trip{from: from, to: from + seconds, speed: math.Min(speed, cruise)})
	}
	weekday := (d+3)%7 < 5 // day 0, 1970-01-01, was a Thursday
	if g.commuter && weekday {
		add(between(r(1), 6.5, 8.5), g.commute*between(r(2), 0.85, 1.15), between(r(3), 40, 90))
		add(between(r(4), 16, 18.5), g.commute*between(r(5), 0.85, 1.3), between(r(6), 35, 85))
	}
	errands := int(r(7) * 4)
	if !weekday {
		errands++
	}
	for i := range errands {
		j := uint64(10 + 3*i)
		add(between(r(j), 9, 21), between(r(j+1), 5*60, 40*60), between(r(j+2), 25, 70))
	}
	slices.SortFunc(ts, func(a, b trip) int { return int(math.Copysign(1, a.from-b.from)) })
	for i := 1; i < len(ts); i++ {
		if gap := ts[i-1].to + 300; ts[i].from < gap {
			ts[i].to += gap - ts[i].from
			ts[i].from = gap
		}
	}
	if len(g.days) >= 8 {
		clear(g.days)
	}
	g.days[d] = ts
	return ts
}

// speed is the car's speed (km/h) at t during tr.
func (g *vehicle) speed(tr trip, t float64) float64 {
	ramp := math.Min(1, math.Min(t-tr.from, tr.to-t)/60)
	v := tr.speed * (0.55 + 0.9*noise(hash(g.key, saltSpeed), t, 90)) * math.Max(0, ramp)
	return math.Min(v, 0.95*g.topSpeed)
}

func (g *vehicle) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	s, e := start.Unix(), end.Unix()
	fs, fe := float64(s), float64(e)
	var metres float64
	var ended uint64
	for d := localDay(fs, g.lon) - 1; d <= localDay(fe, g.lon); d++ {
		for _, tr := range g.trips(d) {
			if tr.to >= fs && tr.to < fe {
				ended++
			}
			from, to := math.Max(fs, tr.from), math.Min(fe, tr.to)
			if from >= to {
				continue
			}
			// samples works in whole seconds; the ramp makes the
			// fraction at either end of a trip negligible.
			for t, dt := range samples(int64(math.Ceil(from)), int64(math.Floor(to)), 10) {
				metres += g.speed(tr, t) * 1000 / 3600 * dt
			}
		}
	}
	distance := quantize(metres, hash(g.key, saltRound, uint64(s), uint64(e)))
	return g.b.values(e-s, distance, ended), true
}
