// Package reward turns verified work into a network's token: at each
// epoch's end it mints the epoch's emission, splits it into pools and
// shares each pool among the devices that worked, by
//
//	weight = productivity × quality × geography × boost
//
// in integer fixed-point arithmetic only, so every validator computes the
// same amounts to the unit. Compute is the pure calculation; Keeper runs it
// against the chain state and keeps a breakdown per device per epoch.
package reward

import (
	"fmt"
	"sort"

	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/x/fixed"
)

// MaxBoostBPS caps a boost at ×100.
const MaxBoostBPS = 100 * fixed.BPS

// Input is one device's epoch as the calculation sees it.
type Input struct {
	Productivity   uint64 // work units
	CoveredSeconds uint64 // Σ accepted report periods
	RepAlpha       uint64 // micro-units
	RepBeta        uint64
	Cell           uint64 // H3 cell (at the finest geo rule resolution or finer)
	BoostBPS       uint32 // 0 means ×1
}

// Params are what the calculation needs from the network for one epoch.
type Params struct {
	Emission        uint64 // this epoch's emission (after halvings and the cap)
	EpochSeconds    uint64
	Pools           []*rewardv1.Pool
	RepThresholdPPM uint32
	Geo             []*rewardv1.GeoRule
	// Disk1 returns a cell and its neighbours (H3 gridDisk radius 1).
	Disk1 func(cell uint64) ([]uint64, error)
	// Parent returns the ancestor of cell at resolution r.
	Parent func(cell uint64, r int) (uint64, error)
}

// Output is one device's result.
type Output struct {
	UptimePPM      uint32
	ReputationPPM  uint32
	BelowThreshold bool
	QualityPPM     uint32
	GeoPPM         uint32
	BoostBPS       uint32
	Weight         fixed.U128 // productivity × quality × geo × boost (ppm·ppm·bps scaled)
	AvailWeight    uint64
	Work           uint64 // from work pools
	Availability   uint64 // from availability pools
}

// Reward is the device's total.
func (o *Output) Reward() uint64 { return o.Work + o.Availability }

// Result is an epoch's outcome. Σ device rewards + Treasury = Minted, exactly.
type Result struct {
	Devices     []Output
	Minted      uint64 // = Distributed + Treasury
	Distributed uint64 // accrued to devices
	Treasury    uint64 // treasury pools, pools nobody could share and rounding dust
	TotalWeight fixed.U192
}

// Quality returns uptime, reputation and quality in ppm for a device.
func Quality(in *Input, epochSeconds uint64, thresholdPPM uint32) (uptime, rep, quality uint32, below bool) {
	if epochSeconds > 0 {
		if in.CoveredSeconds >= epochSeconds {
			uptime = fixed.PPM
		} else {
			uptime = uint32(in.CoveredSeconds * fixed.PPM / epochSeconds)
		}
	}
	if s := in.RepAlpha + in.RepBeta; s > 0 {
		rep = uint32(fixed.Frac(in.RepAlpha, fixed.PPM, s))
	}
	below = rep < thresholdPPM
	if !below {
		quality = uint32(uint64(uptime) * uint64(rep) / fixed.PPM)
	}
	return uptime, rep, quality, below
}

// Compute shares one epoch's emission among devices. The result depends
// only on the inputs (their order included), never on maps or scheduling.
func Compute(p Params, devs []Input) (*Result, error) {
	res := &Result{Devices: make([]Output, len(devs))}
	geo, err := GeoScales(p.Geo, devs, p.Disk1, p.Parent)
	if err != nil {
		return nil, err
	}
	for i := range devs {
		in, o := &devs[i], &res.Devices[i]
		o.UptimePPM, o.ReputationPPM, o.QualityPPM, o.BelowThreshold = Quality(in, p.EpochSeconds, p.RepThresholdPPM)
		o.GeoPPM = geo[i]
		o.BoostBPS = in.BoostBPS
		if o.BoostBPS == 0 {
			o.BoostBPS = fixed.BPS
		}
		// quality × geo (ppm) × boost (bps) ≤ 10^6 · 10^6: fits in 64 bits.
		qg := uint64(o.QualityPPM) * uint64(o.GeoPPM) / fixed.PPM
		o.AvailWeight = qg * uint64(o.BoostBPS)
		if in.Productivity > 0 {
			o.Weight = fixed.Mul64(in.Productivity, o.AvailWeight)
		} else {
			o.AvailWeight = 0 // availability needs some verified work
		}
	}
	// Pools: the bps split of the emission; what a pool cannot give
	// (nobody eligible, rounding) goes to the treasury.
	for _, pool := range p.Pools {
		amount := fixed.Frac(p.Emission, uint64(pool.Bps), fixed.BPS)
		switch pool.Kind {
		case rewardv1.PoolKind_POOL_KIND_WORK:
			given, total := shareOut(amount, len(devs), func(i int) fixed.U128 { return res.Devices[i].Weight },
				func(i int, r uint64) { res.Devices[i].Work += r })
			res.Distributed += given
			res.TotalWeight = total
		case rewardv1.PoolKind_POOL_KIND_AVAILABILITY:
			given, _ := shareOut(amount, len(devs), func(i int) fixed.U128 { return fixed.U128{Lo: res.Devices[i].AvailWeight} },
				func(i int, r uint64) { res.Devices[i].Availability += r })
			res.Distributed += given
		}
	}
	res.Minted = p.Emission
	res.Treasury = p.Emission - res.Distributed
	return res, nil
}

// shareOut gives each of n devices floor(amount × w_i / W) and returns what
// it gave and W. Weights are shifted right just enough for W to fit in 63
// bits, so the arithmetic is exact 64/128-bit integer math; the shift
// drops only differences below 2^-63 of the total.
func shareOut(amount uint64, n int, weight func(i int) fixed.U128, credit func(i int, r uint64)) (uint64, fixed.U192) {
	var sum fixed.U192
	for i := 0; i < n; i++ {
		sum.Add128(weight(i))
	}
	if sum == (fixed.U192{}) || amount == 0 {
		return 0, sum
	}
	shift := uint(max(0, sum.BitLen()-63))
	var total uint64
	for i := 0; i < n; i++ {
		total += weight(i).Rsh(shift).Lo
	}
	if total == 0 {
		return 0, sum
	}
	var given uint64
	for i := 0; i < n; i++ {
		if w := weight(i).Rsh(shift).Lo; w > 0 {
			r := fixed.Frac(amount, w, total)
			credit(i, r)
			given += r
		}
	}
	return given, sum
}

// GeoScales returns each device's HIP-17 scale in ppm (1,000,000 without
// rules). Counting starts at the finest rule resolution with one per
// device; going up, a hex's unclipped value is the sum of its children's
// clipped values, n the number of hexes of its disk of radius 1 (itself
// included) whose unclipped value reaches the target, its limit
// min(max, target × max(1, n − N + 1)) and its clipped value
// min(limit, unclipped). A device's scale is the product over the rule
// resolutions of clipped/unclipped of its ancestor, each factor in ppm,
// rounded down step by step.
func GeoScales(rules []*rewardv1.GeoRule, devs []Input, disk1 func(uint64) ([]uint64, error), parent func(uint64, int) (uint64, error)) ([]uint32, error) {
	out := make([]uint32, len(devs))
	for i := range out {
		out[i] = fixed.PPM
	}
	if len(rules) == 0 || len(devs) == 0 {
		return out, nil
	}
	rs := append([]*rewardv1.GeoRule(nil), rules...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Resolution > rs[j].Resolution }) // finest first
	// cells[k][i]: device i's ancestor at rule k's resolution.
	cells := make([][]uint64, len(rs))
	for k, r := range rs {
		cells[k] = make([]uint64, len(devs))
		for i := range devs {
			c, err := parent(devs[i].Cell, int(r.Resolution))
			if err != nil {
				return nil, fmt.Errorf("device %d cell %x at r%d: %w", i, devs[i].Cell, r.Resolution, err)
			}
			cells[k][i] = c
		}
	}
	// unclipped at the finest resolution: device counts.
	unclipped := map[uint64]uint64{}
	for _, c := range cells[0] {
		unclipped[c]++
	}
	type ratio struct{ clipped, unclipped uint64 }
	ratios := make([]map[uint64]ratio, len(rs))
	for k, r := range rs {
		if k > 0 {
			// Roll up: parent's unclipped = Σ children's clipped.
			next := map[uint64]uint64{}
			for c, rt := range ratios[k-1] {
				pc, err := parent(c, int(r.Resolution))
				if err != nil {
					return nil, err
				}
				next[pc] += rt.clipped
			}
			unclipped = next
		}
		ratios[k] = make(map[uint64]ratio, len(unclipped))
		for c, u := range unclipped {
			disk, err := disk1(c)
			if err != nil {
				return nil, err
			}
			var n uint64
			for _, d := range disk {
				if unclipped[d] >= r.Target {
					n++
				}
			}
			ratios[k][c] = ratio{clipped: min(HexLimit(r, n), u), unclipped: u}
		}
	}
	chain := make([][2]uint64, len(rs))
	for i := range devs {
		for k := range rs {
			rt := ratios[k][cells[k][i]]
			chain[k] = [2]uint64{rt.clipped, rt.unclipped}
		}
		out[i] = ChainScale(chain)
	}
	return out, nil
}

// HexLimit is HIP-17's density limit of a hex whose radius-1 disk has n
// hexes at or above the target: min(max, target × max(1, n − N + 1)).
func HexLimit(r *rewardv1.GeoRule, n uint64) uint64 {
	mult := uint64(1)
	if n+1 > uint64(r.N) {
		mult = max(1, n+1-uint64(r.N))
	}
	return min(r.Max, r.Target*mult)
}

// ChainScale is a device's scale in ppm: the product of clipped/unclipped
// over its hexes, finest first, rounded down at each step.
func ChainScale(pairs [][2]uint64) uint32 {
	s := uint64(fixed.PPM)
	for _, p := range pairs {
		if p[1] > 0 {
			s = s * p[0] / p[1] // clipped ≤ unclipped ≤ 2^32: no overflow
		}
	}
	return uint32(s)
}
