package device

import (
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/x/fixed"
)

// Reputation is a device's standing: a Beta(α, β) belief, in micro-units,
// that its next report is honest. It lives in the device record
// (rep_alpha, rep_beta; rep_init once the device has one); until then the
// network's priors (RewardParams rep_alpha0, rep_beta0) stand for it.
// Every module that judges a device — reports, evidence, market
// deliveries, and the services to come (audits, compute results) — reads
// and updates it through this type only.
type Reputation struct {
	Alpha, Beta uint64
}

// ReputationOf returns a device's reputation under the network's reward
// params.
func ReputationOf(d *devicev1.Device, rp *rewardv1.RewardParams) Reputation {
	if !d.RepInit {
		return Reputation{Alpha: rp.RepAlpha0, Beta: rp.RepBeta0}
	}
	return Reputation{Alpha: d.RepAlpha, Beta: d.RepBeta}
}

// Observe ages a device's α and β by λ and counts one judged outcome
// (one validly signed report): good (α + 1) or not (β + 1).
func Observe(d *devicev1.Device, rp *rewardv1.RewardParams, good bool) {
	r := ReputationOf(d, rp)
	r.Alpha = fixed.Frac(r.Alpha, uint64(rp.RepLambdaPpm), fixed.PPM)
	r.Beta = fixed.Frac(r.Beta, uint64(rp.RepLambdaPpm), fixed.PPM)
	if good {
		r.Alpha = fixed.SatAdd(r.Alpha, fixed.PPM)
	} else {
		r.Beta = fixed.SatAdd(r.Beta, fixed.PPM)
	}
	r.store(d)
}

// Penalize adds weight (micro-units) to a device's β: fraud evidence, a
// delivery it fell short of.
func Penalize(d *devicev1.Device, rp *rewardv1.RewardParams, weight uint64) {
	r := ReputationOf(d, rp)
	r.Beta = fixed.SatAdd(r.Beta, weight)
	r.store(d)
}

func (r Reputation) store(d *devicev1.Device) {
	d.RepAlpha, d.RepBeta, d.RepInit = r.Alpha, r.Beta, true
}
