package reward

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/x/network"
)

// world spreads n devices over about `hexes` res-10 hexes around a few
// cities, with varied work, uptime and reputation.
func benchWorld(n, hexes int) []Input {
	rng := rand.New(rand.NewPCG(7, 7))
	cities := [][2]float64{{52.52, 13.405}, {48.8566, 2.3522}, {40.7128, -74.006}, {35.6762, 139.6503}, {-33.8688, 151.2093}}
	var cells []uint64
	for _, c := range cities {
		base := uh3.LatLngToCell(uh3.NewLatLng(c[0], c[1]), 6)
		for _, k := range base.Children(10) {
			if len(cells) >= hexes*(len(cells)/hexes+1) && len(cells) >= hexes {
				break
			}
			cells = append(cells, uint64(k))
		}
	}
	rng.Shuffle(len(cells), func(i, j int) { cells[i], cells[j] = cells[j], cells[i] })
	cells = cells[:min(hexes, len(cells))]
	devs := make([]Input, n)
	for i := range devs {
		devs[i] = Input{
			Productivity: 1 + rng.Uint64N(100_000), CoveredSeconds: rng.Uint64N(3601),
			RepAlpha: 1_000_000_000, RepBeta: rng.Uint64N(500_000_000),
			Cell: cells[rng.IntN(len(cells))],
		}
	}
	return devs
}

// BenchmarkEpochCompute measures the epoch reward calculation (HIP-104
// geography, three pools) for 10k, 100k and 1M devices over ~10k hexes,
// and the heap it needs on top of its inputs.
//
//	go test ./x/reward -run '^$' -bench EpochCompute -benchtime 3x
func BenchmarkEpochCompute(b *testing.B) {
	rp := network.DefaultRewards(1_000_000_000_000)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		devs := benchWorld(n, 10_000)
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			p := Params{Emission: rp.EpochEmission, EpochSeconds: 3600, Pools: rp.Pools, RepThresholdPPM: rp.RepThresholdPpm,
				Geo: rp.Geo, Disk1: h3.Disk1, Parent: h3.Parent}
			var peak uint64
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				res, err := Compute(p, devs)
				if err != nil {
					b.Fatal(err)
				}
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				peak = max(peak, after.TotalAlloc-before.TotalAlloc)
				if res.Distributed+res.Treasury != p.Emission {
					b.Fatal("emission not conserved")
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "MiB-allocated")
			b.ReportMetric(float64(n)/(b.Elapsed().Seconds()/float64(b.N)), "devices/s")
		})
	}
}
