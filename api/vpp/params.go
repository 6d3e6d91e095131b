package vpp

import (
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"

	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
)

// Limits.
const (
	MaxNameLen           = 64
	MaxBaselineIntervals = 96
	MinIntervalSeconds   = 10
	MaxIntervalSeconds   = 3600
	// MaxMemberW caps what one member offers (a gigawatt): it keeps every
	// product of powers, times and prices in range.
	MaxMemberW = 1_000_000_000
	// MaxChallengeDevices caps the members one challenge tests.
	MaxChallengeDevices = 64
	// MaxChallengeSeconds is the longest challenge period (a year): a
	// longer one would overflow the unix time of the next challenge.
	MaxChallengeSeconds = 365 * 86_400
	// MaxAllocations bounds the unsettled dispatches one member is in.
	MaxAllocations = 4
	PPT            = 1000 // state of charge is in ‰
	BPS            = 10_000
)

// DefaultParams are sensible flexibility params for a network of
// batteries reporting charged (metric 1), discharged (2) and state of
// charge (3): 5-minute intervals, a baseline of the last 6, settlement 2
// minutes after a window, windows of at most 4 hours announced at least
// a minute ahead, leave notices of at most 30 days; a credit costs 1 unit
// of the network's token, a dispatch 100 credits plus 10 per kWh; each
// pool has 2 members tested every hour at half their headroom, 3 misses
// in a row drop a member, a pool takes at most 10% of a stake per miss.
func DefaultParams() *vppv1.VppParams {
	return &vppv1.VppParams{ChargedMetric: 1, DischargedMetric: 2, SocMetric: 3,
		IntervalSeconds: 300, BaselineIntervals: 6, SettleDelaySeconds: 120, MinLeadSeconds: 60,
		MaxDurationSeconds: 4 * 3600, MaxNoticeSeconds: 30 * 86_400,
		CreditPrice: 1, DispatchCredits: 100, KwhCredits: 10,
		ChallengeSeconds: 3600, ChallengeDevices: 2, ChallengePowerBps: 5000, MaxMisses: 3, MaxPenaltyBps: 1000}
}

// ValidateParams checks a network's flexibility params (nil: none) against
// the network's metric ids.
func ValidateParams(p *vppv1.VppParams, hasMetric func(id uint32) bool) error {
	if p == nil {
		return nil
	}
	switch {
	case p.ChargedMetric == 0 || !hasMetric(p.ChargedMetric):
		return fmt.Errorf("vpp charged_metric %d is not a metric of the network", p.ChargedMetric)
	case p.DischargedMetric == 0 || !hasMetric(p.DischargedMetric) || p.DischargedMetric == p.ChargedMetric:
		return fmt.Errorf("vpp discharged_metric %d is not a metric of the network, or is the charged one", p.DischargedMetric)
	case p.SocMetric != 0 && (!hasMetric(p.SocMetric) || p.SocMetric == p.ChargedMetric || p.SocMetric == p.DischargedMetric):
		return fmt.Errorf("vpp soc_metric %d is not a third metric of the network", p.SocMetric)
	case p.IntervalSeconds < MinIntervalSeconds || p.IntervalSeconds > MaxIntervalSeconds:
		return fmt.Errorf("vpp interval_seconds %d (%d..%d)", p.IntervalSeconds, MinIntervalSeconds, MaxIntervalSeconds)
	case p.BaselineIntervals == 0 || p.BaselineIntervals > MaxBaselineIntervals:
		return fmt.Errorf("vpp baseline_intervals %d (1..%d)", p.BaselineIntervals, MaxBaselineIntervals)
	case p.SettleDelaySeconds > 86_400:
		return fmt.Errorf("vpp settle_delay_seconds %d (0..86400)", p.SettleDelaySeconds)
	case p.MinLeadSeconds > 86_400:
		return fmt.Errorf("vpp min_lead_seconds %d (0..86400)", p.MinLeadSeconds)
	case p.MaxDurationSeconds < p.IntervalSeconds || p.MaxDurationSeconds > 86_400:
		return fmt.Errorf("vpp max_duration_seconds %d (one interval..86400)", p.MaxDurationSeconds)
	case p.MaxNoticeSeconds > 365*86_400:
		return fmt.Errorf("vpp max_notice_seconds %d (0..a year)", p.MaxNoticeSeconds)
	case p.CreditPrice == 0:
		return fmt.Errorf("vpp credit_price is 0 (credits must cost something)")
	case p.ChallengeSeconds != 0 && (p.ChallengeSeconds < p.IntervalSeconds || p.ChallengeSeconds > MaxChallengeSeconds):
		return fmt.Errorf("vpp challenge_seconds %d (0, or one interval..a year)", p.ChallengeSeconds)
	case p.ChallengeDevices > MaxChallengeDevices:
		return fmt.Errorf("vpp challenge_devices %d (0..%d)", p.ChallengeDevices, MaxChallengeDevices)
	case p.ChallengePowerBps == 0 && p.ChallengeSeconds != 0 || p.ChallengePowerBps > BPS:
		return fmt.Errorf("vpp challenge_power_bps %d (1..10000 when challenges are on)", p.ChallengePowerBps)
	case p.MaxMisses == 0:
		return fmt.Errorf("vpp max_misses is 0 (a member must be allowed at least one miss before it is dropped)")
	case p.MaxPenaltyBps > BPS:
		return fmt.Errorf("vpp max_penalty_bps %d (0..10000)", p.MaxPenaltyBps)
	}
	return nil
}

// ValidatePool checks a pool's terms under the network's params.
func ValidatePool(m *vppv1.MsgCreatePool, p *vppv1.VppParams) error {
	switch {
	case m.Name == "" || len(m.Name) > MaxNameLen || !utf8.ValidString(m.Name):
		return fmt.Errorf("name must be 1..%d bytes of UTF-8", MaxNameLen)
	case m.Denom == "":
		return errors.New("denom is empty")
	case m.PricePerKwh == 0:
		return errors.New("price_per_kwh is 0 (members must be paid something)")
	case m.PenaltyBps > p.MaxPenaltyBps:
		return fmt.Errorf("penalty_bps %d above the network's max_penalty_bps %d", m.PenaltyBps, p.MaxPenaltyBps)
	case m.MinResponseBps == 0 || m.MinResponseBps > BPS:
		return fmt.Errorf("min_response_bps %d (1..10000)", m.MinResponseBps)
	case m.NoticeSeconds > p.MaxNoticeSeconds:
		return fmt.Errorf("notice_seconds %d above the network's max_notice_seconds %d", m.NoticeSeconds, p.MaxNoticeSeconds)
	}
	if err := h3.Validate(m.Cell); err != nil {
		return fmt.Errorf("region: %w", err)
	}
	return nil
}

// InRegion reports whether cell lies in the region hex.
func InRegion(region, cell uint64) bool {
	rr := h3.Resolution(region)
	if h3.Resolution(cell) < rr {
		return false
	}
	p, err := h3.Parent(cell, rr)
	return err == nil && p == region
}

// mulDivCeil returns ⌈a×b/c⌉, false if it does not fit 64 bits.
func mulDivCeil(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, c)
	if r != 0 {
		if q == ^uint64(0) {
			return 0, false
		}
		q++
	}
	return q, true
}

// mulDiv returns ⌊a×b/c⌋, false if it does not fit 64 bits.
func mulDiv(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, c)
	return q, true
}

// EnergyWh is the energy of power_w over seconds, rounded down: a
// member's allocation in Wh.
func EnergyWh(powerW, seconds uint64) uint64 {
	e, _ := mulDiv(powerW, seconds, 3600) // powerW ≤ 2^64, seconds ≤ 86400: fits unless absurd
	return e
}

// Escrow is what a dispatch escrows: the price of all the energy it asks
// for, ⌈power_w × duration / 3600 / 1000 × price_per_kwh⌉.
func Escrow(powerW, seconds, pricePerKwh uint64) (uint64, error) {
	wh, ok := mulDivCeil(powerW, seconds, 3600)
	if !ok {
		return 0, fmt.Errorf("%d W for %d s does not fit", powerW, seconds)
	}
	e, ok := mulDivCeil(wh, pricePerKwh, 1000)
	if !ok {
		return 0, fmt.Errorf("%d Wh at %d per kWh overflows", wh, pricePerKwh)
	}
	return e, nil
}

// Credits is what a dispatch costs in service credits: dispatch_credits
// plus kwh_credits per kWh requested, rounded up.
func Credits(p *vppv1.VppParams, powerW, seconds uint64) (uint64, error) {
	wh, ok := mulDivCeil(powerW, seconds, 3600)
	if !ok {
		return 0, fmt.Errorf("%d W for %d s does not fit", powerW, seconds)
	}
	kwh := wh/1000 + min(wh%1000, 1)
	c, ok := mulDivCeil(kwh, p.KwhCredits, 1)
	if !ok {
		return 0, fmt.Errorf("%d kWh at %d credits each overflows", kwh, p.KwhCredits)
	}
	if c+p.DispatchCredits < c {
		return 0, errors.New("credits overflow")
	}
	return c + p.DispatchCredits, nil
}

// Pay is what delivered Wh earn at price_per_kwh, rounded down.
func Pay(deliveredWh, pricePerKwh uint64) uint64 {
	p, ok := mulDiv(deliveredWh, pricePerKwh, 1000)
	if !ok {
		return ^uint64(0) // cannot happen within an escrow (Σ pay ≤ escrow < 2^64)
	}
	return p
}

// Toward is net energy (discharged − charged) seen in direction d.
func Toward(net int64, d vppv1.Direction) int64 {
	if d == vppv1.Direction_DIRECTION_CHARGE {
		if net == -1<<63 {
			return 1<<63 - 1
		}
		return -net
	}
	return net
}

// SatAdd adds two signed energies, saturating.
func SatAdd(a, b int64) int64 {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		if a > 0 {
			return 1<<63 - 1
		}
		return -1 << 63
	}
	return s
}

// Baseline is the per-interval baseline in direction d from a member's
// history: the mean (rounded toward zero) of the intervals, never below 0;
// 0 with no history.
func Baseline(history []int64, d vppv1.Direction) int64 {
	if len(history) == 0 {
		return 0
	}
	var sum int64
	for _, h := range history {
		sum = SatAdd(sum, Toward(h, d))
	}
	return max(0, sum/int64(len(history)))
}

// Delivered is the energy a member delivered: what was metered in the
// window beyond the baseline over the window, at most its allocation.
func Delivered(allocatedWh uint64, meteredWh, baselinePerInterval int64, intervals uint64) (delivered uint64, baselineWh int64) {
	baselineWh = baselinePerInterval
	if intervals > 0 && baselineWh > 0 {
		if hi, lo := bits.Mul64(uint64(baselineWh), intervals); hi != 0 || lo > 1<<63-1 {
			baselineWh = 1<<63 - 1
		} else {
			baselineWh = int64(lo)
		}
	}
	over := SatAdd(meteredWh, -baselineWh)
	if over <= 0 {
		return 0, baselineWh
	}
	return min(uint64(over), allocatedWh), baselineWh
}

// Responded reports whether delivered meets min_response_bps of the
// allocation.
func Responded(deliveredWh, allocatedWh uint64, minResponseBps uint32) bool {
	dh, dl := bits.Mul64(deliveredWh, BPS)
	ah, al := bits.Mul64(allocatedWh, uint64(minResponseBps))
	return dh > ah || dh == ah && dl >= al
}

// Headroom is the power (W) a member can give in direction d for seconds:
// its owner's limit and its rating, and, when its state of charge is
// known, the energy it has above its floor (discharge) or room for
// (charge).
func Headroom(m *vppv1.Member, d vppv1.Direction, seconds uint64) uint64 {
	w := min(m.MaxW, m.RatedW)
	if !m.SocKnown || m.EnergyWh == 0 || seconds == 0 {
		return w
	}
	soc := uint64(min(m.SocPpt, PPT))
	var room uint64
	if d == vppv1.Direction_DIRECTION_CHARGE {
		room = PPT - soc
	} else if soc > uint64(m.MinSocPpt) {
		room = soc - uint64(m.MinSocPpt)
	}
	wh, _ := mulDiv(room, m.EnergyWh, PPT)
	byEnergy, ok := mulDiv(wh, 3600, seconds)
	if !ok {
		return w
	}
	return min(w, byEnergy)
}
