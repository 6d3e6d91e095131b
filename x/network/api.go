package network

import (
	api "github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/network, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	MaxEpochSeconds  = api.MaxEpochSeconds
	MaxGeoRules      = api.MaxGeoRules
	MaxMetrics       = api.MaxMetrics
	MaxMoveInterval  = api.MaxMoveInterval
	MaxPools         = api.MaxPools
	MaxRewardSupply  = api.MaxRewardSupply
	MaxSkewSeconds   = api.MaxSkewSeconds
	MaxUnbondSeconds = api.MaxUnbondSeconds
	MaxWindowSeconds = api.MaxWindowSeconds
	MinEpochSeconds  = api.MinEpochSeconds
)

var (
	ErrFrozen         = api.ErrFrozen
	ErrInvalidNetwork = api.ErrInvalidNetwork
	ErrInvalidParams  = api.ErrInvalidParams
	ErrNetworkExists  = api.ErrNetworkExists
	ErrNotFrozen      = api.ErrNotFrozen
	ErrNotOwner       = api.ErrNotOwner
	ErrUnknownMaker   = api.ErrUnknownMaker
	ErrUnknownNetwork = api.ErrUnknownNetwork
	EpochPrefix       = api.EpochPrefix
	HistoryPrefix     = api.HistoryPrefix
	MakerPrefix       = api.MakerPrefix
	NetworkPrefix     = api.NetworkPrefix
)

// DefaultRewards: see api/network.DefaultRewards.
func DefaultRewards(emission uint64) *rewardv1.RewardParams { return api.DefaultRewards(emission) }

// EpochAt: see api/network.EpochAt.
func EpochAt(n *networkv1.Network, t int64) uint64 { return api.EpochAt(n, t) }

// EpochStart: see api/network.EpochStart.
func EpochStart(n *networkv1.Network, e uint64) int64 { return api.EpochStart(n, e) }

// HIP104Geo: see api/network.HIP104Geo.
func HIP104Geo() []*rewardv1.GeoRule { return api.HIP104Geo() }

// EpochKey: see api/network.EpochKey.
func EpochKey(id string) []byte { return api.EpochKey(id) }

// HistoryKey: see api/network.HistoryKey.
func HistoryKey(id string, fromTime int64) []byte { return api.HistoryKey(id, fromTime) }

// HistoryPrefixOf: see api/network.HistoryPrefixOf.
func HistoryPrefixOf(id string) []byte { return api.HistoryPrefixOf(id) }

// MakerKey: see api/network.MakerKey.
func MakerKey(network string, pub []byte) []byte { return api.MakerKey(network, pub) }

// MakersPrefix: see api/network.MakersPrefix.
func MakersPrefix(network string) []byte { return api.MakersPrefix(network) }

// MetricByID: see api/network.MetricByID.
func MetricByID(p *networkv1.Params, id uint32) *networkv1.Metric { return api.MetricByID(p, id) }

// NetworkKey: see api/network.NetworkKey.
func NetworkKey(id string) []byte { return api.NetworkKey(id) }

// ParamsForEpoch: see api/network.ParamsForEpoch.
func ParamsForEpoch(n *networkv1.Network, e uint64) *networkv1.Params {
	return api.ParamsForEpoch(n, e)
}

// RewardsOf: see api/network.RewardsOf.
func RewardsOf(p *networkv1.Params) *rewardv1.RewardParams { return api.RewardsOf(p) }

// SupplyCap: see api/network.SupplyCap.
func SupplyCap(p *rewardv1.RewardParams) uint64 { return api.SupplyCap(p) }

// TreasuryAddress: see api/network.TreasuryAddress.
func TreasuryAddress(net string) crypto.Address { return api.TreasuryAddress(net) }

// ValidateMarket: see api/network.ValidateMarket.
func ValidateMarket(p *networkv1.Params) error { return api.ValidateMarket(p) }

// ValidateParams: see api/network.ValidateParams.
func ValidateParams(p *networkv1.Params) error { return api.ValidateParams(p) }

// ValidateRewards: see api/network.ValidateRewards.
func ValidateRewards(p *rewardv1.RewardParams) error { return api.ValidateRewards(p) }
