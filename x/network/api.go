package network

import api "github.com/depinhq/depin/api/network"

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
	DefaultRewards    = api.DefaultRewards
	EpochAt           = api.EpochAt
	EpochStart        = api.EpochStart
	ErrFrozen         = api.ErrFrozen
	ErrInvalidNetwork = api.ErrInvalidNetwork
	ErrInvalidParams  = api.ErrInvalidParams
	ErrNetworkExists  = api.ErrNetworkExists
	ErrNotFrozen      = api.ErrNotFrozen
	ErrNotOwner       = api.ErrNotOwner
	ErrUnknownMaker   = api.ErrUnknownMaker
	ErrUnknownNetwork = api.ErrUnknownNetwork
	HIP104Geo         = api.HIP104Geo
	HistoryKey        = api.HistoryKey
	HistoryPrefix     = api.HistoryPrefix
	HistoryPrefixOf   = api.HistoryPrefixOf
	MakerKey          = api.MakerKey
	MakerPrefix       = api.MakerPrefix
	MakersPrefix      = api.MakersPrefix
	MetricByID        = api.MetricByID
	NetworkKey        = api.NetworkKey
	NetworkPrefix     = api.NetworkPrefix
	ParamsForEpoch    = api.ParamsForEpoch
	RewardsOf         = api.RewardsOf
	SupplyCap         = api.SupplyCap
	ValidateMarket    = api.ValidateMarket
	ValidateParams    = api.ValidateParams
	ValidateRewards   = api.ValidateRewards
)
