package reward

import api "github.com/depinhq/depin/api/reward"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/reward, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	BoostKey             = api.BoostKey
	BoostPrefix          = api.BoostPrefix
	BreakdownKey         = api.BreakdownKey
	BreakdownPrefix      = api.BreakdownPrefix
	EpochBreakdownPrefix = api.EpochBreakdownPrefix
	ErrInvalidBoost      = api.ErrInvalidBoost
	ErrNothingToClaim    = api.ErrNothingToClaim
	JobKey               = api.JobKey
	LeaseKey             = api.LeaseKey
	LeasePrefix          = api.LeasePrefix
	NetworkBoostPrefix   = api.NetworkBoostPrefix
	StateKey             = api.StateKey
	StatePrefix          = api.StatePrefix
	UnclaimedKey         = api.UnclaimedKey
	UnclaimedPrefix      = api.UnclaimedPrefix
)
