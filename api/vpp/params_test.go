package vpp

import (
	"testing"

	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// TestValidateParamsExtremes: the worst values a network's owner can set
// are refused where they would overflow the chain's arithmetic.
func TestValidateParamsExtremes(t *testing.T) {
	has := func(id uint32) bool { return id >= 1 && id <= 3 }
	if err := ValidateParams(DefaultParams(), has); err != nil {
		t.Fatal(err)
	}
	const maxU = ^uint64(0)
	bad := map[string]func(p *vppv1.VppParams){
		"challenge_seconds 2^64-1": func(p *vppv1.VppParams) { p.ChallengeSeconds = maxU },
		"challenge_seconds 2^63":   func(p *vppv1.VppParams) { p.ChallengeSeconds = 1 << 63 },
		"challenge_seconds a year and a second": func(p *vppv1.VppParams) {
			p.ChallengeSeconds = MaxChallengeSeconds + 1
		},
		"interval_seconds 2^64-1":     func(p *vppv1.VppParams) { p.IntervalSeconds = maxU },
		"interval_seconds 0":          func(p *vppv1.VppParams) { p.IntervalSeconds = 0 },
		"settle_delay_seconds 2^64-1": func(p *vppv1.VppParams) { p.SettleDelaySeconds = maxU },
		"min_lead_seconds 2^64-1":     func(p *vppv1.VppParams) { p.MinLeadSeconds = maxU },
		"max_duration_seconds 2^64-1": func(p *vppv1.VppParams) { p.MaxDurationSeconds = maxU },
		"max_notice_seconds 2^64-1":   func(p *vppv1.VppParams) { p.MaxNoticeSeconds = maxU },
		"credit_price 0":              func(p *vppv1.VppParams) { p.CreditPrice = 0 },
		"max_misses 0":                func(p *vppv1.VppParams) { p.MaxMisses = 0 },
		"max_penalty_bps 2^32-1":      func(p *vppv1.VppParams) { p.MaxPenaltyBps = ^uint32(0) },
		"challenge_devices 2^32-1":    func(p *vppv1.VppParams) { p.ChallengeDevices = ^uint32(0) },
		"baseline_intervals 2^32-1":   func(p *vppv1.VppParams) { p.BaselineIntervals = ^uint32(0) },
		"same metric twice":           func(p *vppv1.VppParams) { p.DischargedMetric = p.ChargedMetric },
		"a metric the network lacks":  func(p *vppv1.VppParams) { p.SocMetric = 9 },
	}
	for name, mut := range bad {
		p := DefaultParams()
		mut(p)
		if ValidateParams(p, has) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	p := DefaultParams()
	p.ChallengeSeconds = MaxChallengeSeconds
	if err := ValidateParams(p, has); err != nil {
		t.Errorf("challenge_seconds of a year: %v", err)
	}
}
