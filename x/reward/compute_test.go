package reward

import (
	"math/rand/v2"
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/x/fixed"
)

func pools(work, avail, treasury uint32) []*rewardv1.Pool {
	return []*rewardv1.Pool{
		{Name: "work", Kind: rewardv1.PoolKind_POOL_KIND_WORK, Bps: work},
		{Name: "availability", Kind: rewardv1.PoolKind_POOL_KIND_AVAILABILITY, Bps: avail},
		{Name: "treasury", Kind: rewardv1.PoolKind_POOL_KIND_TREASURY, Bps: treasury},
	}
}

// uberDisk1 is the reference gridDisk(c, 1).
func uberDisk1(c uint64) ([]uint64, error) {
	cells := uh3.GridDisk(uh3.Cell(c), 1)
	out := make([]uint64, len(cells))
	for i, x := range cells {
		out[i] = uint64(x)
	}
	return out, nil
}

// TestGoldenWorld checks a small world computed by hand (see the comments)
// to the last unit.
func TestGoldenWorld(t *testing.T) {
	cell := uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 10))
	devs := []Input{
		// A: full uptime, perfect reputation: quality 1 → avail 1e6×1e4 = 1e10, weight 100×1e10 = 1e12.
		{Productivity: 100, CoveredSeconds: 3600, RepAlpha: 1e9, RepBeta: 0, Cell: cell},
		// B: half uptime, reputation 0.75: quality 375000 ppm → avail 3.75e9, weight 300×3.75e9 = 1.125e12.
		{Productivity: 300, CoveredSeconds: 1800, RepAlpha: 3e9, RepBeta: 1e9, Cell: cell},
		// C: reputation exactly at the 0.5 threshold (earns), boosted ×2: avail 5e5×2e4 = 1e10, weight 50×1e10 = 5e11.
		{Productivity: 50, CoveredSeconds: 3600, RepAlpha: 1e9, RepBeta: 1e9, Cell: cell, BoostBPS: 20000},
		// D: reputation 0.25, under the threshold: nothing, however productive.
		{Productivity: 1000, CoveredSeconds: 3600, RepAlpha: 1e9, RepBeta: 3e9, Cell: cell},
	}
	res, err := Compute(Params{Emission: 1_000_000, EpochSeconds: 3600, Pools: pools(7000, 2000, 1000), RepThresholdPPM: 500_000,
		Disk1: uberDisk1, Parent: h3.Parent}, devs)
	if err != nil {
		t.Fatal(err)
	}
	// Work pool 700,000 over W = 2.625e12: A 266,666.67 → 266,666; B 300,000; C 133,333.33 → 133,333 (dust 1).
	// Availability pool 200,000 over 2.375e10: A 84,210.53 → 84,210; B 31,578.95 → 31,578; C 84,210 (dust 2).
	// Treasury: 100,000 + 3 dust.
	want := []struct{ work, avail uint64 }{{266_666, 84_210}, {300_000, 31_578}, {133_333, 84_210}, {0, 0}}
	for i, w := range want {
		o := res.Devices[i]
		if o.Work != w.work || o.Availability != w.avail {
			t.Errorf("device %c: work %d avail %d, want %d %d", 'A'+i, o.Work, o.Availability, w.work, w.avail)
		}
	}
	if d := res.Devices[3]; !d.BelowThreshold || d.ReputationPPM != 250_000 {
		t.Errorf("D: below %v reputation %d", d.BelowThreshold, d.ReputationPPM)
	}
	if b := res.Devices[1]; b.UptimePPM != 500_000 || b.ReputationPPM != 750_000 || b.QualityPPM != 375_000 {
		t.Errorf("B: uptime %d rep %d quality %d", b.UptimePPM, b.ReputationPPM, b.QualityPPM)
	}
	if res.Distributed != 899_997 || res.Treasury != 100_003 || res.Minted != 1_000_000 {
		t.Errorf("distributed %d treasury %d minted %d", res.Distributed, res.Treasury, res.Minted)
	}
	if got := res.TotalWeight.String(); got != "2625000000000" {
		t.Errorf("total weight %s", got)
	}
}

// TestGeoHandWorked follows HIP-17 by hand on a few hexes with custom
// rules: r10 (N 1, target 1, max 2), r9 (N 1, target 2, max 2).
//
//   - X1, X2, X3 in hex a (center child of p at r10), Z in hex c (another
//     child of p, a neighbour of a), Y alone far away.
//   - r10: a has 3, its disk holds a and c (both ≥ 1): n = 2, limit =
//     min(2, 1 × max(1, 2−1+1)) = 2, clipped 2 → 2/3. c: 1 → 1/1.
//     Y's hex: n = 1, limit 1, clipped 1 → 1/1.
//   - r9: p's unclipped = 2 + 1 = 3; n = 1 (p itself ≥ 2), limit =
//     min(2, 2 × 1) = 2 → 2/3. Y's parent: unclipped 1 < target, n = 0,
//     limit 2, clipped 1 → 1/1.
//   - X: 10^6 × 2/3 = 666,666 then × 2/3 = 444,444. Z: 666,666. Y: 10^6.
func TestGeoHandWorked(t *testing.T) {
	p := uh3.LatLngToCell(uh3.NewLatLng(48.8566, 2.3522), 9)
	kids := p.Children(10)
	a, c := uint64(kids[0]), uint64(kids[1])
	if d, _ := uberDisk1(a); !contains(d, c) {
		t.Fatal("test setup: the two children are not neighbours")
	}
	y := uint64(uh3.LatLngToCell(uh3.NewLatLng(-33.86, 151.21), 10))
	devs := []Input{{Cell: a}, {Cell: a}, {Cell: a}, {Cell: c}, {Cell: y}}
	rules := []*rewardv1.GeoRule{{Resolution: 10, N: 1, Target: 1, Max: 2}, {Resolution: 9, N: 1, Target: 2, Max: 2}}
	got, err := GeoScales(rules, devs, uberDisk1, h3.Parent)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{444_444, 444_444, 444_444, 666_666, 1_000_000}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("device %d: scale %d, want %d", i, got[i], want[i])
		}
	}
}

func contains(s []uint64, x uint64) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestRandomWorlds: whatever the world, Σ rewards + treasury = emission
// exactly, nobody gets more than the emission, and results do not depend on
// anything but the inputs.
func TestRandomWorlds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := uh3.LatLngToCell(uh3.NewLatLng(40.7, -74.0), 6)
	kids := base.Children(10)
	for world := 0; world < 300; world++ {
		n := rng.IntN(200)
		devs := make([]Input, n)
		for i := range devs {
			devs[i] = Input{
				Productivity:   pick(rng, []uint64{0, 1, rng.Uint64N(1e6), ^uint64(0)}),
				CoveredSeconds: rng.Uint64N(8000),
				RepAlpha:       rng.Uint64N(1 << 41), RepBeta: rng.Uint64N(1 << 41),
				Cell:     uint64(kids[rng.IntN(len(kids))]),
				BoostBPS: uint32(pick(rng, []uint64{0, 10000, 1_000_000, rng.Uint64N(1_000_000)})),
			}
			if devs[i].RepAlpha+devs[i].RepBeta == 0 {
				devs[i].RepAlpha = 1
			}
		}
		em := pick(rng, []uint64{0, 1, 7, rng.Uint64N(1e12), ^uint64(0)})
		w := uint32(rng.IntN(10001))
		a := uint32(rng.IntN(int(10001 - w)))
		params := Params{Emission: em, EpochSeconds: 3600, Pools: pools(w, a, 10000-w-a), RepThresholdPPM: uint32(rng.IntN(600_000)),
			Disk1: uberDisk1, Parent: h3.Parent}
		if world%2 == 0 {
			params.Geo = []*rewardv1.GeoRule{{Resolution: 10, N: 2, Target: 1, Max: 1}, {Resolution: 8, N: 2, Target: 1, Max: 3}, {Resolution: 7, N: 4, Target: 5, Max: 10}}
		}
		res, err := Compute(params, devs)
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, o := range res.Devices {
			r := o.Reward()
			if r > em || r < o.Work {
				t.Fatalf("world %d: a device got %d of %d", world, r, em)
			}
			sum += r
		}
		if sum != res.Distributed || res.Distributed+res.Treasury != em || res.Minted != em {
			t.Fatalf("world %d: Σ %d distributed %d treasury %d emission %d", world, sum, res.Distributed, res.Treasury, em)
		}
		again, _ := Compute(params, devs)
		for i := range res.Devices {
			if res.Devices[i] != again.Devices[i] {
				t.Fatalf("world %d: not deterministic", world)
			}
		}
	}
}

func pick(rng *rand.Rand, xs []uint64) uint64 { return xs[rng.IntN(len(xs))] }

// TestHIP17Examples reproduces the examples of HIP-17's text (resolution
// 8, N = 2, Density_tgt = 1, Density_max = 4).
func TestHIP17Examples(t *testing.T) {
	rule := &rewardv1.GeoRule{Resolution: 8, N: 2, Target: 1, Max: 4}
	// "Example thresholds for N=2, Density_tgt = 1": limit as % of target
	// for n = 0..7: 100 100 100 200 300 400 400 400.
	for n, pct := range []uint64{100, 100, 100, 200, 300, 400, 400, 400} {
		if got := HexLimit(rule, uint64(n)) * 100; got != pct {
			t.Errorf("n=%d: limit %d%%, HIP-17 says %d%%", n, got, pct)
		}
	}
	center := uh3.LatLngToCell(uh3.NewLatLng(37.7749, -122.4194), 8)
	ring := uh3.GridDisk(center, 1)
	var neighbours []uint64
	for _, c := range ring {
		if c != center {
			neighbours = append(neighbours, uint64(c))
		}
	}
	// five devices in the centre hex, plus one in each of k neighbours
	world := func(k int) []Input {
		devs := []Input{{Cell: uint64(center)}, {Cell: uint64(center)}, {Cell: uint64(center)}, {Cell: uint64(center)}, {Cell: uint64(center)}}
		for _, c := range neighbours[:k] {
			devs = append(devs, Input{Cell: c})
		}
		return devs
	}
	for _, ex := range []struct {
		name       string
		neighbours int
		clipped    uint64 // the centre hex's clipped density (of 5)
	}{
		{"example 1: one occupied hex", 0, 1},
		{"example 2: two occupied hexes (= N)", 1, 1},
		{"example 3: three occupied hexes (> N)", 2, 2},
		{"example 4: seven occupied hexes (capped at Density_max)", 6, 4},
	} {
		scales, err := GeoScales([]*rewardv1.GeoRule{rule}, world(ex.neighbours), h3.Disk1, h3.Parent)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint32(ex.clipped * fixed.PPM / 5); scales[0] != want {
			t.Errorf("%s: centre scale %d ppm, want %d/5 = %d", ex.name, scales[0], ex.clipped, want)
		}
	}
	// HIP-17's worked hotspot: clipped/unclipped 4/61 (r8), 27/27, 49/106,
	// 62/62, 117/117, 136/136, 504/504, 504/504 → scale 0.066 then 0.030.
	chain := [][2]uint64{{4, 61}, {27, 27}, {49, 106}, {62, 62}, {117, 117}, {136, 136}, {504, 504}, {504, 504}}
	if got := ChainScale(chain[:1]); got/1000 != 65 { // 0.0656 → "0.066"
		t.Errorf("after r8: %d ppm", got)
	}
	if got := ChainScale(chain); got/1000 != 30 { // 0.0303 → "0.030"
		t.Errorf("whole chain: %d ppm, HIP-17 says 0.030", got)
	}
}
