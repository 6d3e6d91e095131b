package agent

import (
	"iter"
	"math"
	"math/bits"
	"time"

	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// Generator measures a device's work over a period. Simulated kinds
// implement it with models of the physical world; firmware glue implements
// it by reading the hardware's counters.
//
// Next returns one value per metric of the device's network for
// [periodStart, periodEnd), or online=false when the device was down for
// (part of) the period and must not report it. Values must be within the
// metrics' physical bounds for the device's capacity. A Generator is used by
// one goroutine at a time.
type Generator interface {
	Next(periodStart, periodEnd time.Time) (metrics []*reportv1.MetricValue, online bool)
}

// GeneratorConfig places one simulated device. The simulated kinds'
// generators are pure functions of it and of the period: the same seed,
// index and period always give the same values, whatever was asked
// before. (A battery's values also depend on the dispatches it followed:
// see DispatchFollower.)
type GeneratorConfig struct {
	Seed     uint64  // the fleet's seed
	Index    int     // the device's index in its fleet
	Capacity uint64  // in the kind's CapacityUnit; > 0
	Lat, Lon float64 // degrees; local (solar) time follows the longitude
	// EnergyCapacity is what a device of a kind that stores energy holds
	// (Wh; a battery's, whose Capacity is its rated power), as its
	// certificate says; 0 takes the kind's draw (Kind.EnergyCapacity).
	EnergyCapacity uint64
	// IgnoreDispatch makes a generator that follows dispatches (a
	// battery) take no notice of them: a device that does not respond,
	// for tests of what the chain does with one.
	IgnoreDispatch bool
}

// Salts of the independent random streams of one device.
const (
	saltDevice uint64 = iota + 1
	saltCloud
	saltRound
	saltLoad
	saltSpike
	saltPV
	saltUtil
	saltDown
	saltDrop
	saltPM
	saltTrip
	saltSpeed
	saltCapacity
	saltNoise
	saltEnergy
)

// mix64 is the splitmix64 finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash combines values into one well-mixed word; generators derive all
// their randomness from it so that values depend only on what they hash.
func hash(vals ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		h = mix64((h ^ v) + 0x9e3779b97f4a7c15)
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// normal maps a hash to a standard normal deviate (Box–Muller).
func normal(h uint64) float64 {
	u1 := 1 - unit(h) // (0, 1]
	u2 := unit(mix64(h))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// deviceKey is the root of one simulated device's random streams.
func deviceKey(seed uint64, index int) uint64 {
	return hash(seed, uint64(index), saltDevice)
}

// noise is seeded value noise in [0, 1] that varies smoothly with t
// (seconds): independent uniform values at multiples of scale, joined by a
// smoothstep, so it wanders like a random walk with a correlation time of
// about scale but is a pure function of t.
func noise(key uint64, t, scale float64) float64 {
	x := t / scale
	k := math.Floor(x)
	f := x - k
	a := unit(hash(key, uint64(int64(k))))
	b := unit(hash(key, uint64(int64(k)+1)))
	f = f * f * (3 - 2*f)
	return a + (b-a)*f
}

// samples splits [start, end) (unix seconds) into pieces no longer than
// step and yields each piece's midpoint and length, for midpoint-rule
// integration.
func samples(start, end int64, step float64) iter.Seq2[float64, float64] {
	return func(yield func(t, dt float64) bool) {
		span := float64(end - start)
		if span <= 0 {
			return
		}
		n := int(math.Ceil(span / step))
		dt := span / float64(n)
		for i := range n {
			if !yield(float64(start)+(float64(i)+0.5)*dt, dt) {
				return
			}
		}
	}
}

// quantize rounds x ≥ 0 to an integer stochastically (up with probability
// frac(x), from h), so that sums over many short periods are unbiased where
// plain rounding down would lose up to one unit per report.
func quantize(x float64, h uint64) uint64 {
	if !(x > 0) { // also NaN
		return 0
	}
	if x >= 1<<63 {
		return 1 << 63
	}
	return uint64(math.Floor(x + unit(h)))
}

// maxValue is the largest value of m the chain accepts from a device of the
// given capacity over seconds: floor(capacity × seconds × num / den), in
// 128-bit arithmetic, saturating at the largest uint64.
func maxValue(m *networkv1.Metric, capacity uint64, seconds int64) uint64 {
	num, den := m.GetBoundNum(), m.GetBoundDen()
	if seconds <= 0 || den == 0 {
		return 0
	}
	h, l := bits.Mul64(capacity, uint64(seconds))
	aHi, aLo := bits.Mul64(l, num)
	bHi, bLo := bits.Mul64(h, num)
	hi, carry := bits.Add64(bLo, aHi, 0)
	if bHi != 0 || carry != 0 || hi >= den {
		return math.MaxUint64 // the quotient does not fit in 64 bits
	}
	q, _ := bits.Div64(hi, aLo, den)
	return q
}

// bounded holds a device's metrics and capacity and builds metric values
// clamped to their physical bounds: the models stay within them by
// construction, and the clamp makes sure rounding never carries a value
// over (which the chain would take as fraud).
type bounded struct {
	metrics  []*networkv1.Metric
	capacity uint64
}

// values builds the metric values for a period of seconds from raw, one
// per metric in order.
func (b bounded) values(seconds int64, raw ...uint64) []*reportv1.MetricValue {
	out := make([]*reportv1.MetricValue, len(b.metrics))
	for i, m := range b.metrics {
		var v uint64
		if i < len(raw) {
			v = min(raw[i], maxValue(m, b.capacity, seconds))
		}
		out[i] = &reportv1.MetricValue{Id: m.GetId(), Value: v}
	}
	return out
}

// localHour is the local mean solar time of day in hours [0, 24) at
// longitude lon: simulated households and drivers live by the sun, not by
// time zones.
func localHour(t, lon float64) float64 {
	h := math.Mod(t/3600+lon/15, 24)
	if h < 0 {
		h += 24
	}
	return h
}

// localDay numbers local solar days at longitude lon.
func localDay(t, lon float64) int64 {
	return int64(math.Floor((t + lon/15*3600) / 86400))
}

// localDayStart is the unix time at which local solar day d begins.
func localDayStart(d int64, lon float64) float64 {
	return float64(d)*86400 - lon/15*3600
}

// bump is a bell curve of height 1 centred on mu (hours) with width sigma,
// wrapped around midnight.
func bump(h, mu, sigma float64) float64 {
	d := math.Abs(h - mu)
	if d > 12 {
		d = 24 - d
	}
	return math.Exp(-d * d / (2 * sigma * sigma))
}

// between maps u in [0, 1) to [lo, hi).
func between(u, lo, hi float64) float64 { return lo + u*(hi-lo) }
