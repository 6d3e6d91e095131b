package network

import (
	"fmt"
	"sort"

	"github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/api/vpp"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// Limits on parameters.
const (
	MaxMetrics        = 16
	MinEpochSeconds   = 10
	MaxEpochSeconds   = 366 * 24 * 3600
	MaxWindowSeconds  = 30 * 24 * 3600
	MaxSkewSeconds    = 600
	MaxUnbondSeconds  = 366 * 24 * 3600
	MaxMoveInterval   = 366 * 24 * 3600
	maxMetricNameLen  = 32
	maxMetricUnitLen  = 16
	maxBoundComponent = 1 << 32
)

// ValidateParams checks network parameters.
func ValidateParams(p *networkv1.Params) error {
	if p == nil {
		return fmt.Errorf("%w: missing", ErrInvalidParams)
	}
	if len(p.Metrics) == 0 || len(p.Metrics) > MaxMetrics {
		return fmt.Errorf("%w: %d metrics (1..%d)", ErrInvalidParams, len(p.Metrics), MaxMetrics)
	}
	seen := map[uint32]bool{}
	for _, m := range p.Metrics {
		switch {
		case m.Id == 0 || m.Id > 255:
			return fmt.Errorf("%w: metric id %d (1..255)", ErrInvalidParams, m.Id)
		case seen[m.Id]:
			return fmt.Errorf("%w: metric id %d twice", ErrInvalidParams, m.Id)
		case m.Name == "" || len(m.Name) > maxMetricNameLen || len(m.Unit) > maxMetricUnitLen:
			return fmt.Errorf("%w: metric %d name/unit length", ErrInvalidParams, m.Id)
		case m.BoundNum == 0 || m.BoundDen == 0 || m.BoundNum > maxBoundComponent || m.BoundDen > maxBoundComponent:
			return fmt.Errorf("%w: metric %d bound %d/%d (each 1..2^32)", ErrInvalidParams, m.Id, m.BoundNum, m.BoundDen)
		case m.Weight > maxBoundComponent:
			return fmt.Errorf("%w: metric %d weight too large", ErrInvalidParams, m.Id)
		}
		seen[m.Id] = true
	}
	switch {
	case p.EpochSeconds < MinEpochSeconds || p.EpochSeconds > MaxEpochSeconds:
		return fmt.Errorf("%w: epoch_seconds %d (%d..%d)", ErrInvalidParams, p.EpochSeconds, MinEpochSeconds, MaxEpochSeconds)
	case p.ReportWindowSeconds == 0 || p.ReportWindowSeconds > MaxWindowSeconds:
		return fmt.Errorf("%w: report_window_seconds %d (1..%d)", ErrInvalidParams, p.ReportWindowSeconds, MaxWindowSeconds)
	case p.MaxClockSkewSeconds > MaxSkewSeconds:
		return fmt.Errorf("%w: max_clock_skew_seconds %d (≤ %d)", ErrInvalidParams, p.MaxClockSkewSeconds, MaxSkewSeconds)
	case p.UnbondingSeconds > MaxUnbondSeconds:
		return fmt.Errorf("%w: unbonding_seconds too large", ErrInvalidParams)
	case p.MinMoveIntervalSeconds > MaxMoveInterval:
		return fmt.Errorf("%w: min_move_interval_seconds too large", ErrInvalidParams)
	}
	if err := ValidateRewards(p.Rewards); err != nil {
		return fmt.Errorf("%w: rewards: %v", ErrInvalidParams, err)
	}
	if err := ValidateMarket(p); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	if err := storage.ValidateParams(p.Storage); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	if err := compute.ValidateParams(p.Compute); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	if err := vpp.ValidateParams(p.Vpp, func(id uint32) bool { return seen[id] }); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	return nil
}

// EpochAt is the epoch containing unix time t under the params in force.
func EpochAt(n *networkv1.Network, t int64) uint64 {
	if t < n.EpochAnchor {
		return n.EpochBase
	}
	return n.EpochBase + uint64(t-n.EpochAnchor)/n.Params.EpochSeconds
}

// EpochStart is the unix time at which epoch e starts (e ≥ epoch_base).
func EpochStart(n *networkv1.Network, e uint64) int64 {
	if e < n.EpochBase {
		return n.EpochAnchor
	}
	return n.EpochAnchor + int64(e-n.EpochBase)*int64(n.Params.EpochSeconds)
}

// MetricByID finds a metric in params, or nil.
func MetricByID(p *networkv1.Params, id uint32) *networkv1.Metric {
	i := sort.Search(len(p.Metrics), func(i int) bool { return p.Metrics[i].Id >= id })
	if i < len(p.Metrics) && p.Metrics[i].Id == id {
		return p.Metrics[i]
	}
	return nil
}

// Reward parameter bounds.
const (
	MaxPools     = 8
	MaxGeoRules  = 16
	maxRepMicros = 1 << 40
	maxGeoMax    = 1 << 32
	// MaxRewardSupply caps every network's reward token: all units it will
	// ever mint. A network without max_supply stops minting here, so no
	// schedule — whatever its emission, however many epochs — can
	// overflow the token's 64-bit supply or any sum of its books.
	MaxRewardSupply = 1 << 62
)

// SupplyCap is the most a network with these reward params will ever
// mint: its max_supply, or MaxRewardSupply without one.
func SupplyCap(p *rewardv1.RewardParams) uint64 {
	if p.MaxSupply > 0 && p.MaxSupply < MaxRewardSupply {
		return p.MaxSupply
	}
	return MaxRewardSupply
}

// HIP104Geo is HIP-17 density scaling with the values of HIP-104:
// (N, target, max) for resolutions 4 to 10.
func HIP104Geo() []*rewardv1.GeoRule {
	return []*rewardv1.GeoRule{
		{Resolution: 4, N: 2, Target: 500, Max: 1000},
		{Resolution: 5, N: 4, Target: 100, Max: 200},
		{Resolution: 6, N: 4, Target: 25, Max: 50},
		{Resolution: 7, N: 4, Target: 5, Max: 10},
		{Resolution: 8, N: 2, Target: 1, Max: 1},
		{Resolution: 9, N: 2, Target: 1, Max: 1},
		{Resolution: 10, N: 2, Target: 1, Max: 1},
	}
}

// DefaultRewards are the incentive parameters a network gets unless its
// owner sets others: emission units per epoch (0 here: the owner decides),
// pools 70% work / 20% availability / 10% treasury, Storj's reputation
// defaults (α₀ = 1000, β₀ = 0, λ = 0.999) with a 0.5 threshold, one fraud
// evidence worth 1000 rejections, HIP-104 geography, 10% of the stake
// slashed per fraud with 20% of it to the finder.
func DefaultRewards(emission uint64) *rewardv1.RewardParams {
	return &rewardv1.RewardParams{
		EpochEmission: emission,
		Pools: []*rewardv1.Pool{
			{Name: "work", Kind: rewardv1.PoolKind_POOL_KIND_WORK, Bps: 7000},
			{Name: "availability", Kind: rewardv1.PoolKind_POOL_KIND_AVAILABILITY, Bps: 2000},
			{Name: "treasury", Kind: rewardv1.PoolKind_POOL_KIND_TREASURY, Bps: 1000},
		},
		RepAlpha0:         1000 * 1_000_000,
		RepBeta0:          0,
		RepLambdaPpm:      999_000,
		RepThresholdPpm:   500_000,
		RepEvidenceWeight: 1000 * 1_000_000,
		Geo:               HIP104Geo(),
		SlashBps:          1000,
		FinderFeeBps:      2000,
	}
}

// noEmission is DefaultRewards(0), built once: RewardsOf runs for every
// report.
var noEmission = DefaultRewards(0)

// RewardsOf returns p's reward params, or the defaults without emission
// if it has none (reputation and slashing still apply). The result is
// shared: callers must not modify it.
func RewardsOf(p *networkv1.Params) *rewardv1.RewardParams {
	if p != nil && p.Rewards != nil {
		return p.Rewards
	}
	return noEmission
}

// ParamsForEpoch returns the params that were in force during epoch e
// (e ≤ the current epoch): the previous ones if e ended before the last
// activation.
func ParamsForEpoch(n *networkv1.Network, e uint64) *networkv1.Params {
	if n.Pending != nil && e >= n.PendingEpoch {
		return n.Pending
	}
	if e < n.EpochBase && n.Previous != nil {
		return n.Previous
	}
	return n.Params
}

// ValidateRewards checks reward params (nil is valid: no emission).
func ValidateRewards(p *rewardv1.RewardParams) error {
	if p == nil {
		return nil
	}
	if len(p.Pools) > MaxPools {
		return fmt.Errorf("at most %d pools", MaxPools)
	}
	var sum uint32
	names := map[string]bool{}
	for _, pool := range p.Pools {
		if pool.Name == "" || len(pool.Name) > 32 || names[pool.Name] {
			return fmt.Errorf("pool names must be unique, 1..32 bytes (%q)", pool.Name)
		}
		names[pool.Name] = true
		if pool.Kind < rewardv1.PoolKind_POOL_KIND_WORK || pool.Kind > rewardv1.PoolKind_POOL_KIND_TREASURY {
			return fmt.Errorf("pool %s: unknown kind %d", pool.Name, pool.Kind)
		}
		if pool.Bps > 10_000 {
			return fmt.Errorf("pool %s: %d bps > 10000", pool.Name, pool.Bps)
		}
		sum += pool.Bps
	}
	if p.EpochEmission > MaxRewardSupply || p.MaxSupply > MaxRewardSupply {
		return fmt.Errorf("epoch_emission and max_supply must be ≤ 2^62 (%d)", uint64(MaxRewardSupply))
	}
	if p.EpochEmission > 0 && sum != 10_000 {
		return fmt.Errorf("pools must sum to 10000 bps, got %d", sum)
	}
	if p.RepLambdaPpm > 1_000_000 || p.RepThresholdPpm > 1_000_000 {
		return fmt.Errorf("rep_lambda_ppm and rep_threshold_ppm must be ≤ 1000000")
	}
	if p.RepAlpha0 == 0 && p.RepBeta0 == 0 {
		return fmt.Errorf("rep_alpha0 and rep_beta0 cannot both be 0")
	}
	if p.RepAlpha0 > maxRepMicros || p.RepBeta0 > maxRepMicros || p.RepEvidenceWeight > maxRepMicros {
		return fmt.Errorf("reputation parameters too large (max 2^40 micro-units)")
	}
	if p.SlashBps > 10_000 || p.FinderFeeBps > 10_000 {
		return fmt.Errorf("slash_bps and finder_fee_bps must be ≤ 10000")
	}
	if len(p.Geo) > MaxGeoRules {
		return fmt.Errorf("at most %d geo rules", MaxGeoRules)
	}
	seen := map[uint32]bool{}
	for _, g := range p.Geo {
		if g.Resolution > 15 || seen[g.Resolution] {
			return fmt.Errorf("geo rule resolutions must be unique and ≤ 15 (%d)", g.Resolution)
		}
		seen[g.Resolution] = true
		if g.Target == 0 || g.Max < g.Target || g.Max > maxGeoMax || g.N > 7 {
			return fmt.Errorf("geo rule r%d: need 1 ≤ target ≤ max ≤ 2^32 and N ≤ 7", g.Resolution)
		}
	}
	return nil
}

// ValidateMarket checks a network's energy-market params (nil: no market).
func ValidateMarket(p *networkv1.Params) error {
	m := p.Market
	if m == nil {
		return nil
	}
	switch {
	case m.IntervalSeconds < MinEpochSeconds || m.IntervalSeconds > 24*3600:
		return fmt.Errorf("market interval_seconds %d (%d..86400)", m.IntervalSeconds, MinEpochSeconds)
	case m.Denom == "":
		return fmt.Errorf("market denom is empty")
	case MetricByID(p, m.SellerMetric) == nil || MetricByID(p, m.BuyerMetric) == nil:
		return fmt.Errorf("market seller_metric %d and buyer_metric %d must be metrics of the network", m.SellerMetric, m.BuyerMetric)
	case m.SettleDelaySeconds > 7*24*3600:
		return fmt.Errorf("market settle_delay_seconds too large (≤ 7 days)")
	case m.ShortfallPenalty > maxRepMicros:
		return fmt.Errorf("market shortfall_penalty too large")
	}
	return nil
}
