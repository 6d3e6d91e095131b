package agent

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// batteryRun is what a battery reported over consecutive periods.
type batteryRun struct {
	charged, discharged uint64 // Wh
	lastSoC             uint64 // ‰ at the end
	values              []string
}

// runBattery asks g for consecutive periods of step over [from, to).
func runBattery(t testing.TB, g Generator, from, to time.Time, step time.Duration) batteryRun {
	t.Helper()
	var r batteryRun
	for s := from; s.Before(to); s = s.Add(step) {
		ms, online := g.Next(s, s.Add(step))
		if !online || len(ms) != 3 {
			t.Fatalf("%v: online %v, %d metrics", s, online, len(ms))
		}
		r.charged += ms[0].Value
		r.discharged += ms[1].Value
		r.lastSoC = ms[2].Value
		r.values = append(r.values, fmt.Sprintf("%d/%d/%d", ms[0].Value, ms[1].Value, ms[2].Value))
	}
	return r
}

var testBattery = GeneratorConfig{Seed: 2, Index: 0, Capacity: 5000, EnergyCapacity: 12000, Lat: berlin[0], Lon: berlin[1]}

// localTime is hour h (local solar time, as the models keep it) of the
// d-th day after june15 in Berlin.
func localTime(d int, h float64) time.Time {
	return june15.AddDate(0, 0, d).Add(time.Duration((h - berlin[1]/15) * float64(time.Hour))).Truncate(time.Minute)
}

// TestBatteryDayPattern: left alone, a battery charges from the midday
// surplus, spends it over the evening down to its reserve, gives back
// about the round-trip efficiency of what it took, and never holds more
// than it can.
func TestBatteryDayPattern(t *testing.T) {
	g := mustGenerator(t, "battery", testBattery)
	var charged, discharged, evening uint64
	for d := range 10 {
		var dayCharged uint64
		for h := 0.0; h < 24; h += 0.25 {
			s := localTime(d, h)
			ms, _ := g.Next(s, s.Add(15*time.Minute))
			if ms[0].Value > 0 && (h < 8.75 || h >= 16.25) {
				t.Errorf("day %d: charging %d Wh at %.2f h", d, ms[0].Value, h)
			}
			if ms[2].Value > 1000 {
				t.Fatalf("state of charge %d‰", ms[2].Value)
			}
			if h >= 17 || h < 7 {
				evening += ms[1].Value
			}
			if h == 6.75 && d > 0 && (ms[2].Value < 95 || ms[2].Value > 105) {
				t.Errorf("day %d: %d‰ at 7:00, want the reserve (100‰)", d, ms[2].Value)
			}
			charged += ms[0].Value
			dayCharged += ms[0].Value
			discharged += ms[1].Value
		}
		if dayCharged > 12000 {
			t.Errorf("day %d: charged %d Wh into 12 kWh", d, dayCharged)
		}
	}
	if charged < 10*4000 {
		t.Errorf("charged only %d Wh in 10 June days", charged)
	}
	if ratio := float64(discharged) / float64(charged); ratio < 0.87 || ratio > 0.93 {
		t.Errorf("discharged/charged = %.3f, want about 0.95² ≈ 0.90", ratio)
	}
	if float64(evening) < 0.9*float64(discharged) {
		t.Errorf("discharged %d Wh, of which %d over the evening and the night", discharged, evening)
	}
}

// TestBatteryStateOfChargeIntegrates: the reported state of charge moves
// by what went in times the efficiency and what came out divided by it.
func TestBatteryStateOfChargeIntegrates(t *testing.T) {
	g := mustGenerator(t, "battery", testBattery)
	start := localTime(3, 0)
	ms, _ := g.Next(start.Add(-time.Minute), start)
	soc := float64(ms[2].Value)
	for s := start; s.Before(start.Add(24 * time.Hour)); s = s.Add(10 * time.Minute) {
		ms, _ := g.Next(s, s.Add(10*time.Minute))
		want := soc + (float64(ms[0].Value)*etaIn-float64(ms[1].Value)/etaOut)/12000*1000
		if got := float64(ms[2].Value); math.Abs(got-want) > 1.5 {
			t.Fatalf("%v: %.0f‰ then %d Wh in, %d Wh out: %.0f‰, want %.1f‰", s, soc, ms[0].Value, ms[1].Value, got, want)
		}
		soc = float64(ms[2].Value)
	}
}

func dispatchAt(id uint64, dir string, powerW uint64, from time.Time, d time.Duration) Dispatch {
	dd := Dispatch{ID: id, Pool: 1, Network: "grid", PowerW: powerW, Start: from, End: from.Add(d)}
	dd.Direction = Discharge
	if dir == "charge" {
		dd.Direction = Charge
	}
	return dd
}

// TestBatteryFollowsDispatches: over a dispatch window a battery moves
// the power asked on top of what it would have done in that direction
// (stopping any flow against it), within its rating and its state of
// charge; one built to ignore dispatches does what it would have done;
// before the window nothing changes.
func TestBatteryFollowsDispatches(t *testing.T) {
	for _, c := range []struct {
		name        string
		dir         string
		hour        float64 // local
		powerW      uint64
		dur         time.Duration
		wantExtraWh float64 // beyond what it does when left alone, in the direction
		tolerance   float64
	}{
		// Midday: left alone it charges; told to discharge it stops
		// charging and discharges 3 kW.
		{"discharge at noon", "discharge", 12, 3000, 15 * time.Minute, 750, 0.02},
		// Evening: left alone it discharges already (about 1.5 kW); the
		// dispatch adds 2 kW.
		{"discharge over the evening peak", "discharge", 19, 2000, 30 * time.Minute, 1000, 0.02},
		// Asked beyond its rating: 5 kW, which 10-s reports can claim
		// only as floor(5000 W × 10 s / 3600) = 13 Wh each (the physical
		// bound), 90 of them.
		{"discharge beyond the rating", "discharge", 12, 9000, 15 * time.Minute, 13 * 90, 0.005},
		// Evening: it stops discharging and charges 2.5 kW.
		{"charge in the evening", "charge", 18, 2500, 20 * time.Minute, 2500.0 / 3, 0.02},
		// In the morning it holds its reserve: a long discharge empties it
		// and stops there (1.2 kWh × 0.95).
		{"discharge until empty", "discharge", 8, 4000, time.Hour, 1140, 0.02},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := localTime(2, c.hour)
			d := dispatchAt(7, c.dir, c.powerW, from, c.dur)
			told := mustGenerator(t, "battery", testBattery).(DispatchFollower)
			alone := mustGenerator(t, "battery", testBattery)
			cfg := testBattery
			cfg.IgnoreDispatch = true
			ignoring := mustGenerator(t, "battery", cfg).(DispatchFollower)
			// Told a few minutes ahead, as a gateway would.
			lead := from.Add(-10 * time.Minute)
			for _, g := range []Generator{told, alone, ignoring} {
				runBattery(t, g, localTime(2, 0), lead, 10*time.Second)
			}
			told.Follow(d)
			ignoring.Follow(d)
			before := [3]batteryRun{}
			for i, g := range []Generator{told, alone, ignoring} {
				before[i] = runBattery(t, g, lead, from, 10*time.Second)
			}
			if fmt.Sprint(before[0].values) != fmt.Sprint(before[1].values) {
				t.Fatal("the battery changed course before the window")
			}
			in := [3]batteryRun{}
			for i, g := range []Generator{told, alone, ignoring} {
				in[i] = runBattery(t, g, from, d.End, 10*time.Second)
			}
			net := func(r batteryRun) float64 {
				n := float64(r.discharged) - float64(r.charged)
				if c.dir == "charge" {
					return -n
				}
				return n
			}
			natural := math.Max(net(in[1]), 0) // flow against the dispatch stops, and does not count
			if extra := net(in[0]) - natural; math.Abs(extra-c.wantExtraWh) > c.tolerance*c.wantExtraWh {
				t.Errorf("moved %.0f Wh beyond the %.0f Wh it moves alone, want %.0f Wh (charged %d, discharged %d)",
					extra, natural, c.wantExtraWh, in[0].charged, in[0].discharged)
			}
			if fmt.Sprint(in[2].values) != fmt.Sprint(in[1].values) {
				t.Error("a battery that ignores dispatches did not do what it does alone")
			}
			if c.name == "discharge until empty" && in[0].lastSoC != 0 {
				t.Errorf("%d‰ after an hour at full power, want empty", in[0].lastSoC)
			}
		})
	}
}

// TestBatteryStartsAfresh: a battery that starts (or jumps) anywhere
// reports what one that ran all along reports, once a day without
// dispatch has passed, dispatches it followed included.
func TestBatteryStartsAfresh(t *testing.T) {
	d := dispatchAt(1, "discharge", 4000, localTime(1, 13), time.Hour)
	ran := mustGenerator(t, "battery", testBattery).(DispatchFollower)
	ran.Follow(d)
	runBattery(t, ran, localTime(0, 0), localTime(3, 0), 10*time.Second)
	want := runBattery(t, ran, localTime(3, 0), localTime(4, 0), 10*time.Second)

	fresh := mustGenerator(t, "battery", testBattery).(DispatchFollower)
	fresh.Follow(d)
	if got := runBattery(t, fresh, localTime(3, 0), localTime(4, 0), 10*time.Second); fmt.Sprint(got.values) != fmt.Sprint(want.values) {
		t.Fatal("a fresh battery reports another day 3 than one that ran since day 0")
	}
	// The dispatch day itself, asked again after the fact: the same too.
	first := runBattery(t, mustGeneratorFollowing(t, d), localTime(1, 0), localTime(2, 0), 10*time.Second)
	again := runBattery(t, ran, localTime(1, 0), localTime(2, 0), 10*time.Second)
	if fmt.Sprint(first.values) != fmt.Sprint(again.values) {
		t.Fatal("a day asked again differs")
	}
	// Periods cut otherwise add up to the same energy.
	long := runBattery(t, mustGeneratorFollowing(t, d), localTime(1, 0), localTime(2, 0), time.Hour)
	if diff := math.Abs(float64(long.discharged) - float64(first.discharged)); diff > 0.005*float64(first.discharged) {
		t.Errorf("discharged %d Wh in hours, %d Wh in 10 s periods", long.discharged, first.discharged)
	}
}

func mustGeneratorFollowing(t testing.TB, d Dispatch) Generator {
	g := mustGenerator(t, "battery", testBattery).(DispatchFollower)
	g.Follow(d)
	return g
}

func TestBatteryEnergyCapacity(t *testing.T) {
	k, _ := LookupKind("battery")
	if !k.StoresEnergy() || k.CapacityUnit != "W" {
		t.Fatalf("battery: stores energy %v, capacity in %s", k.StoresEnergy(), k.CapacityUnit)
	}
	for i := range 100 {
		c := k.Capacity(5, i)
		e := k.EnergyCapacity(5, i, c)
		if e < 2*c || e > 3*c {
			t.Fatalf("device %d: %d Wh for %d W", i, e, c)
		}
	}
	solar, _ := LookupKind("solar")
	if solar.StoresEnergy() || solar.EnergyCapacity(5, 1, 5000) != 0 {
		t.Error("solar stores energy")
	}
}
