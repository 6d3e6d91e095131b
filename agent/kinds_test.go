package agent

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// withinBound is the chain's rule, written out independently of maxValue:
// value × bound_den ≤ capacity × seconds × bound_num.
func withinBound(m *networkv1.Metric, capacity uint64, seconds int64, v uint64) bool {
	lhs := new(big.Int).Mul(new(big.Int).SetUint64(v), new(big.Int).SetUint64(m.BoundDen))
	rhs := new(big.Int).Mul(new(big.Int).SetUint64(capacity), big.NewInt(seconds))
	rhs.Mul(rhs, new(big.Int).SetUint64(m.BoundNum))
	return lhs.Cmp(rhs) <= 0
}

var (
	berlin = [2]float64{52.52, 13.40}
	june15 = time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
	dec15  = time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)
)

func mustGenerator(t testing.TB, kind string, cfg GeneratorConfig) Generator {
	t.Helper()
	k, err := LookupKind(kind)
	if err != nil {
		t.Fatal(err)
	}
	g, err := k.NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCatalogue(t *testing.T) {
	want := map[string]struct {
		class    networkv1.ResourceClass
		metrics  []string // name:unit:num/den:weight
		min, max uint64
	}{
		"solar":      {networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, []string{"energy:Wh:1/3600:1"}, 3000, 10000},
		"meter":      {networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, []string{"consumed:Wh:1/3600:1", "exported:Wh:1/3600:1"}, 8000, 15000},
		"battery":    {networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, []string{"charged:Wh:1/3600:1", "discharged:Wh:1/3600:1", "soc:permille:1000/1:0"}, 3000, 10000},
		"storage":    {networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, []string{"stored:mGBh:1000/3600:1", "retrievals:count:1/1:0"}, 500, 20000},
		"airquality": {networkv1.ResourceClass_RESOURCE_CLASS_SENSING, []string{"readings:count:1/3600:1", "pm25:0.1ug/m3:100/1:0"}, 60, 720},
		"vehicle":    {networkv1.ResourceClass_RESOURCE_CLASS_MOBILITY, []string{"distance:m:1000/3600:1", "trips:count:1/3600:0"}, 120, 200},
	}
	kinds := Kinds()
	if len(kinds) != len(want) {
		t.Fatalf("%d kinds, want %d", len(kinds), len(want))
	}
	for _, k := range kinds {
		w, ok := want[k.Name]
		if !ok {
			t.Errorf("unexpected kind %q", k.Name)
			continue
		}
		if k.Class != w.class || k.CapacityMin != w.min || k.CapacityMax != w.max {
			t.Errorf("%s: class %v range %d-%d, want %v %d-%d", k.Name, k.Class, k.CapacityMin, k.CapacityMax, w.class, w.min, w.max)
		}
		var got []string
		for i, m := range k.Metrics {
			if m.Id != uint32(i+1) {
				t.Errorf("%s: metric %d has id %d", k.Name, i, m.Id)
			}
			got = append(got, fmt.Sprintf("%s:%s:%d/%d:%d", m.Name, m.Unit, m.BoundNum, m.BoundDen, m.Weight))
		}
		if !slices.Equal(got, w.metrics) {
			t.Errorf("%s metrics %v, want %v", k.Name, got, w.metrics)
		}
		if k.ReportInterval < time.Second || k.CapacityUnit == "" {
			t.Errorf("%s: interval %v unit %q", k.Name, k.ReportInterval, k.CapacityUnit)
		}
		for i := range 200 {
			c := k.Capacity(7, i)
			if c < k.CapacityMin || c > k.CapacityMax {
				t.Fatalf("%s: capacity %d out of range", k.Name, c)
			}
		}
	}
	if _, err := LookupKind("toaster"); err == nil {
		t.Error("LookupKind(toaster) succeeded")
	}
	// Catalogue metrics are fresh copies.
	Kinds()[0].Metrics[0].BoundNum = 99
	if Kinds()[0].Metrics[0].BoundNum != 1 {
		t.Error("Kinds shares its metrics between calls")
	}
}

// TestGeneratorsStayWithinBounds is the property every generator must
// hold: for any capacity in range, any place and any period, every value
// is within the metric's physical bound (the chain takes anything above as
// fraud).
func TestGeneratorsStayWithinBounds(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(k.Name))))
			capacities := []uint64{k.CapacityMin, k.CapacityMax, 1}
			for range 20 {
				capacities = append(capacities, k.CapacityMin+rng.Uint64N(k.CapacityMax-k.CapacityMin+1))
			}
			reported := 0
			for ci, capacity := range capacities {
				cfg := GeneratorConfig{Seed: rng.Uint64(), Index: ci, Capacity: capacity,
					Lat: rng.Float64()*140 - 70, Lon: rng.Float64()*360 - 180}
				g, err := k.NewGenerator(cfg)
				if err != nil {
					t.Fatal(err)
				}
				for range 40 {
					start := june15.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
					// Log-uniform lengths from 1 s to 2 days.
					secs := int64(math.Exp(rng.Float64() * math.Log(2*86400)))
					end := start.Add(time.Duration(secs) * time.Second)
					metrics, online := g.Next(start, end)
					if !online {
						if metrics != nil {
							t.Fatalf("offline with metrics %v", metrics)
						}
						continue
					}
					reported++
					if len(metrics) != len(k.Metrics) {
						t.Fatalf("%d metrics, want %d", len(metrics), len(k.Metrics))
					}
					for i, v := range metrics {
						m := k.Metrics[i]
						if v.Id != m.Id {
							t.Fatalf("metric %d has id %d, want %d", i, v.Id, m.Id)
						}
						if !withinBound(m, capacity, secs, v.Value) {
							t.Fatalf("capacity %d, %d s from %v at %.1f,%.1f: %s = %d exceeds %d/%d per unit-second",
								capacity, secs, start, cfg.Lat, cfg.Lon, m.Name, v.Value, m.BoundNum, m.BoundDen)
						}
					}
				}
			}
			if reported == 0 {
				t.Fatal("never online")
			}
		})
	}
}

// TestGeneratorsAreDeterministic: values depend on (seed, index, period)
// only, not on what was asked before or on which instance answers.
func TestGeneratorsAreDeterministic(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			cfg := GeneratorConfig{Seed: 42, Index: 3, Capacity: (k.CapacityMin + k.CapacityMax) / 2, Lat: berlin[0], Lon: berlin[1]}
			var periods [][2]time.Time
			for i := range 300 {
				s := june15.Add(time.Duration(i) * 17 * time.Minute)
				periods = append(periods, [2]time.Time{s, s.Add(time.Duration(10+i%7*50) * time.Second)})
			}
			a := mustGenerator(t, k.Name, cfg)
			b := mustGenerator(t, k.Name, cfg)
			var first []string
			for _, p := range periods {
				first = append(first, format(a.Next(p[0], p[1])))
			}
			differs := false
			other := mustGenerator(t, k.Name, GeneratorConfig{Seed: 43, Index: 3, Capacity: cfg.Capacity, Lat: cfg.Lat, Lon: cfg.Lon})
			for i := len(periods) - 1; i >= 0; i-- {
				p := periods[i]
				if got := format(b.Next(p[0], p[1])); got != first[i] {
					t.Fatalf("period %d: %s, then %s", i, first[i], got)
				}
				if got := format(a.Next(p[0], p[1])); got != first[i] {
					t.Fatalf("period %d asked again: %s, then %s", i, first[i], got)
				}
				if format(other.Next(p[0], p[1])) != first[i] {
					differs = true
				}
			}
			if !differs {
				t.Error("another seed gives the same values")
			}
		})
	}
}

func format(ms []*reportv1.MetricValue, online bool) string {
	if !online {
		return "offline"
	}
	s := ""
	for _, m := range ms {
		s += fmt.Sprintf("%d=%d ", m.Id, m.Value)
	}
	return s
}

// total sums metric id over consecutive periods of step from start to end,
// and reports how many periods were offline.
func total(g Generator, id uint32, start, end time.Time, step time.Duration) (sum uint64, offline int) {
	for s := start; s.Before(end); s = s.Add(step) {
		ms, online := g.Next(s, s.Add(step))
		if !online {
			offline++
			continue
		}
		for _, m := range ms {
			if m.Id == id {
				sum += m.Value
			}
		}
	}
	return sum, offline
}

func TestSunPosition(t *testing.T) {
	for _, site := range [][2]float64{berlin, {-33.87, 151.21}, {40.71, -74.01}, {1.35, 103.82}, {64.15, -21.94}} {
		lat, lon := site[0], site[1]
		for _, day := range []time.Time{june15, dec15, time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)} {
			// Solar noon is at 12:00 − lon/15 h UTC, give or take the
			// equation of time (±17 min).
			noon := day.Add(time.Duration((12 - lon/15) * float64(time.Hour)))
			best, bestT := -2.0, time.Time{}
			for m := -180; m <= 180; m++ {
				tt := noon.Add(time.Duration(m) * time.Minute)
				if s := sunSinElevation(lat, lon, float64(tt.Unix())); s > best {
					best, bestT = s, tt
				}
			}
			if d := bestT.Sub(noon); d.Abs() > 18*time.Minute {
				t.Errorf("%v on %s: sun highest at %v, %v from mean solar noon", site, day.Format("Jan 2"), bestT, d)
			}
			// Elevation at noon ≈ 90 − |lat − declination|.
			decl := 23.44 * math.Sin(2*math.Pi*float64(day.YearDay()-81)/365)
			want := 90 - math.Abs(lat-decl)
			if got := math.Asin(best) * 180 / math.Pi; math.Abs(got-want) > 1.5 && want > 0 {
				t.Errorf("%v on %s: noon elevation %.1f°, want about %.1f°", site, day.Format("Jan 2"), got, want)
			}
			// Midnight: below the horizon, except in the Icelandic summer.
			if lat < 60 || day != june15 {
				if s := sunSinElevation(lat, lon, float64(noon.Add(12*time.Hour).Unix())); s > 0 {
					t.Errorf("%v on %s: sun up at local midnight", site, day.Format("Jan 2"))
				}
			}
		}
	}
}

func TestSolarIsZeroAtNightAndPeaksAtNoon(t *testing.T) {
	for _, site := range [][2]float64{berlin, {-33.87, 151.21}, {40.71, -74.01}, {19.43, -99.13}} {
		lat, lon := site[0], site[1]
		solarNoon := func(day time.Time) time.Time {
			return day.Add(time.Duration((12 - lon/15) * float64(time.Hour)))
		}
		byBin := make([]float64, 24*6) // 10-minute bins from solar noon − 12 h
		for idx := range 8 {
			g := mustGenerator(t, "solar", GeneratorConfig{Seed: 5, Index: idx, Capacity: 5000, Lat: lat, Lon: lon})
			for d := range 30 {
				day := june15.AddDate(0, 0, d)
				noon := solarNoon(day)
				// Four hours around local midnight: nothing.
				for s := noon.Add(10 * time.Hour); s.Before(noon.Add(14 * time.Hour)); s = s.Add(10 * time.Minute) {
					if ms, _ := g.Next(s, s.Add(10*time.Minute)); ms[0].Value != 0 {
						t.Fatalf("%v: %d Wh at night (%v)", site, ms[0].Value, s)
					}
				}
				for i := range byBin {
					s := noon.Add(-12*time.Hour + time.Duration(i)*10*time.Minute)
					ms, _ := g.Next(s, s.Add(10*time.Minute))
					byBin[i] += float64(ms[0].Value)
				}
			}
		}
		// Smooth over an hour and find the peak.
		peak, at := 0.0, 0
		for i := 3; i < len(byBin)-3; i++ {
			sum := 0.0
			for j := i - 3; j <= i+3; j++ {
				sum += byBin[j]
			}
			if sum > peak {
				peak, at = sum, i
			}
		}
		if off := time.Duration(at-72) * 10 * time.Minute; off.Abs() > time.Hour {
			t.Errorf("%v: production peaks %v from solar noon", site, off)
		}
	}
}

func TestSolarDailyYieldIsRealistic(t *testing.T) {
	// Berlin: about 4–5 kWh per kWp per day in June, under 1 in December.
	for _, c := range []struct {
		month    time.Time
		min, max float64 // kWh per kWp per day
	}{{june15, 2.5, 6.5}, {dec15, 0.05, 1.2}} {
		var kwh float64
		const devices, days = 10, 20
		for idx := range devices {
			g := mustGenerator(t, "solar", GeneratorConfig{Seed: 9, Index: idx, Capacity: 4000, Lat: berlin[0], Lon: berlin[1]})
			wh, _ := total(g, 1, c.month, c.month.AddDate(0, 0, days), time.Hour)
			kwh += float64(wh) / 1000
		}
		perKWp := kwh / devices / days / 4
		if perKWp < c.min || perKWp > c.max {
			t.Errorf("%s: %.2f kWh/kWp/day, want %.1f–%.1f", c.month.Format("Jan"), perKWp, c.min, c.max)
		}
	}
}

func TestShortPeriodsAddUp(t *testing.T) {
	// Stochastic rounding: 10 s reports over a day add up to what one
	// report for the day says, within a percent, where rounding down
	// would lose up to one unit per report.
	for _, kind := range []string{"solar", "meter", "storage"} {
		g := mustGenerator(t, kind, GeneratorConfig{Seed: 1, Index: 1, Capacity: map[string]uint64{"solar": 5000, "meter": 10000, "storage": 1000}[kind], Lat: berlin[0], Lon: berlin[1]})
		day := june15.Add(24 * time.Hour * 3)
		short, off := total(g, 1, day, day.Add(24*time.Hour), 10*time.Second)
		if off > 0 {
			continue // a storage outage: the sums differ by design
		}
		long, _ := total(g, 1, day, day.Add(24*time.Hour), 24*time.Hour)
		if math.Abs(float64(short)-float64(long)) > 0.01*float64(long) {
			t.Errorf("%s: 8640 × 10 s = %d, one day = %d", kind, short, long)
		}
	}
}

func TestMeterProfile(t *testing.T) {
	var evening, night, exportedNight, exportedDay uint64
	withPanels := 0
	for idx := range 20 {
		g := mustGenerator(t, "meter", GeneratorConfig{Seed: 3, Index: idx, Capacity: 12000, Lat: berlin[0], Lon: berlin[1]})
		if g.(*meter).pvPeak > 0 {
			withPanels++
		}
		for d := range 14 {
			// Local solar time is UTC + lon/15 h (53 min in Berlin).
			day := june15.AddDate(0, 0, d).Add(-time.Duration(berlin[1] / 15 * float64(time.Hour)))
			for s := day; s.Before(day.Add(24 * time.Hour)); s = s.Add(time.Hour) {
				ms, _ := g.Next(s, s.Add(time.Hour))
				h := s.Sub(day).Hours()
				switch {
				case h >= 18 && h < 21:
					evening += ms[0].Value
				case h >= 1 && h < 4:
					night += ms[0].Value
					exportedNight += ms[1].Value
				case h >= 11 && h < 14:
					exportedDay += ms[1].Value
				}
				if ms[0].Value == 0 && g.(*meter).pvPeak == 0 {
					t.Fatalf("no consumption for an hour without panels")
				}
			}
		}
	}
	if evening < 2*night {
		t.Errorf("evening %d Wh vs night %d Wh: no evening peak", evening, night)
	}
	if exportedNight != 0 {
		t.Errorf("%d Wh exported at night", exportedNight)
	}
	if withPanels == 0 || withPanels == 20 || exportedDay == 0 {
		t.Errorf("%d of 20 households with panels, exporting %d Wh at midday", withPanels, exportedDay)
	}
	// A household uses a few kWh a day.
	g := mustGenerator(t, "meter", GeneratorConfig{Seed: 3, Index: 0, Capacity: 12000, Lat: berlin[0], Lon: berlin[1]})
	wh, _ := total(g, 1, june15, june15.AddDate(0, 0, 7), time.Hour)
	if perDay := float64(wh) / 7 / 1000; perDay < 3 || perDay > 30 {
		t.Errorf("household uses %.1f kWh/day", perDay)
	}
}

func TestStorageUtilisationAndDowntime(t *testing.T) {
	const gb = 2000
	var offline, periods int
	for idx := range 10 {
		g := mustGenerator(t, "storage", GeneratorConfig{Seed: 4, Index: idx, Capacity: gb, Lat: berlin[0], Lon: berlin[1]})
		for s := june15; s.Before(june15.AddDate(0, 0, 30)); s = s.Add(time.Hour) {
			periods++
			ms, online := g.Next(s, s.Add(time.Hour))
			if !online {
				offline++
				continue
			}
			util := float64(ms[0].Value) / 1000 / gb // GB·h per GB over one hour
			if util < 0.39 || util > 0.96 {
				t.Fatalf("utilisation %.3f", util)
			}
			if ms[1].Value == 0 {
				t.Fatal("no retrievals in an hour")
			}
		}
	}
	// About 4% of 6-hour windows hold an outage; an hour touches one in
	// roughly 1–2% of cases.
	if share := float64(offline) / float64(periods); share < 0.003 || share > 0.05 {
		t.Errorf("offline %.2f%% of hours", 100*share)
	}
}

func TestAirQuality(t *testing.T) {
	g := mustGenerator(t, "airquality", GeneratorConfig{Seed: 6, Index: 0, Capacity: 120, Lat: berlin[0], Lon: berlin[1]})
	readings, _ := total(g, 1, june15, june15.AddDate(0, 0, 1), 5*time.Minute)
	if want := 120 * 24 * 0.98; math.Abs(float64(readings)-want) > 0.02*want {
		t.Errorf("%d readings in a day at 120/h, want about %.0f", readings, want)
	}
	var rush, night float64
	for d := range 30 {
		day := june15.AddDate(0, 0, d).Add(-time.Duration(berlin[1] / 15 * float64(time.Hour)))
		ms, _ := g.Next(day.Add(7*time.Hour), day.Add(9*time.Hour))
		rush += float64(ms[1].Value)
		ms, _ = g.Next(day.Add(3*time.Hour), day.Add(5*time.Hour))
		night += float64(ms[1].Value)
	}
	if rush < 1.3*night {
		t.Errorf("PM2.5 at rush hour %.0f vs night %.0f", rush/30/10, night/30/10)
	}
	if avg := night / 30 / 10; avg < 1 || avg > 60 {
		t.Errorf("night PM2.5 %.1f µg/m³", avg)
	}
}

func TestVehicle(t *testing.T) {
	for idx := range 10 {
		g := mustGenerator(t, "vehicle", GeneratorConfig{Seed: 8, Index: idx, Capacity: 160, Lat: berlin[0], Lon: berlin[1]})
		metres, _ := total(g, 1, june15, june15.AddDate(0, 0, 14), time.Minute)
		trips, _ := total(g, 2, june15, june15.AddDate(0, 0, 14), time.Minute)
		km := float64(metres) / 1000 / 14
		if km < 3 || km > 250 || trips < 5 || trips > 14*8 {
			t.Errorf("device %d: %.0f km/day, %d trips in 14 days", idx, km, trips)
		}
		// Per-minute distance never reaches the car's top speed.
		for s := june15; s.Before(june15.AddDate(0, 0, 2)); s = s.Add(time.Minute) {
			ms, _ := g.Next(s, s.Add(time.Minute))
			if float64(ms[0].Value) > 160*1000/60.0*0.96 {
				t.Fatalf("%d m in a minute", ms[0].Value)
			}
		}
	}
}

func TestMaxValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []uint64{0, 1, 2, 3, 59, 60, 1000, 3600, 1 << 32, 1<<63 - 1, math.MaxUint64}
	pick := func() uint64 {
		if rng.IntN(2) == 0 {
			return values[rng.IntN(len(values))]
		}
		return rng.Uint64() >> rng.UintN(64)
	}
	for range 20000 {
		m := &networkv1.Metric{BoundNum: pick(), BoundDen: pick()}
		capacity, secs := pick(), int64(pick()>>1)
		got := maxValue(m, capacity, secs)
		if m.BoundDen == 0 || secs == 0 {
			if got != 0 {
				t.Fatalf("%v cap %d secs %d: %d", m, capacity, secs, got)
			}
			continue
		}
		want := new(big.Int).Mul(new(big.Int).SetUint64(capacity), big.NewInt(secs))
		want.Mul(want, new(big.Int).SetUint64(m.BoundNum))
		want.Quo(want, new(big.Int).SetUint64(m.BoundDen))
		if !want.IsUint64() {
			want.SetUint64(math.MaxUint64)
		}
		if got != want.Uint64() {
			t.Fatalf("num %d den %d cap %d secs %d: %d, want %d", m.BoundNum, m.BoundDen, capacity, secs, got, want)
		}
	}
}
