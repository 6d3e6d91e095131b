package reward

import (
	api "github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/reward, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	BoostPrefix       = api.BoostPrefix
	BreakdownPrefix   = api.BreakdownPrefix
	ErrInvalidBoost   = api.ErrInvalidBoost
	ErrNothingToClaim = api.ErrNothingToClaim
	JobPrefix         = api.JobPrefix
	StatePrefix       = api.StatePrefix
	UnclaimedPrefix   = api.UnclaimedPrefix
)

// BoostKey: see api/reward.BoostKey.
func BoostKey(net string, cell uint64) []byte { return api.BoostKey(net, cell) }

// BreakdownKey: see api/reward.BreakdownKey.
func BreakdownKey(net string, epoch uint64, id crypto.DeviceID) []byte {
	return api.BreakdownKey(net, epoch, id)
}

// EpochBreakdownPrefix: see api/reward.EpochBreakdownPrefix.
func EpochBreakdownPrefix(net string, epoch uint64) []byte {
	return api.EpochBreakdownPrefix(net, epoch)
}

// JobKey: see api/reward.JobKey.
func JobKey(net string) []byte { return api.JobKey(net) }

// NetworkBoostPrefix: see api/reward.NetworkBoostPrefix.
func NetworkBoostPrefix(net string) []byte { return api.NetworkBoostPrefix(net) }

// StateKey: see api/reward.StateKey.
func StateKey(net string) []byte { return api.StateKey(net) }

// UnclaimedKey: see api/reward.UnclaimedKey.
func UnclaimedKey(id crypto.DeviceID) []byte { return api.UnclaimedKey(id) }
