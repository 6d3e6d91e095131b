package reward

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Errors.
var (
	ErrNothingToClaim = errs.Register("reward", 2, "nothing to claim")
	ErrInvalidBoost   = errs.Register("reward", 3, "invalid boost")
)

// State layout.
var (
	StatePrefix     = []byte("reward/s/") // + network → State
	BreakdownPrefix = []byte("reward/b/") // + network 0x00 epoch(8) device(20) → Breakdown
	UnclaimedPrefix = []byte("reward/u/") // + device(20) → uint64 big-endian
	BoostPrefix     = []byte("reward/x/") // + network 0x00 cell(8) → Boost
	JobPrefix       = []byte("reward/j/") // + network → the running Job
)

// StateKey is where a network's incentive bookkeeping lives.
func StateKey(net string) []byte { return keys.New(StatePrefix).Str(net) }

// EpochBreakdownPrefix prefixes every breakdown of a network's epoch.
func EpochBreakdownPrefix(net string, epoch uint64) []byte {
	return keys.New(BreakdownPrefix).Str(net).Sep().U64(epoch)
}

// BreakdownKey is where a device's breakdown for an epoch lives.
func BreakdownKey(net string, epoch uint64, id crypto.DeviceID) []byte {
	return keys.New(BreakdownPrefix).Str(net).Sep().U64(epoch).Bytes(id[:])
}

// UnclaimedKey is where a device's accrued, unclaimed reward lives.
func UnclaimedKey(id crypto.DeviceID) []byte { return keys.New(UnclaimedPrefix).Bytes(id[:]) }

// NetworkBoostPrefix prefixes a network's boosts.
func NetworkBoostPrefix(net string) []byte { return keys.New(BoostPrefix).Str(net).Sep() }

// BoostKey is where the boost of a cell lives.
func BoostKey(net string, cell uint64) []byte {
	return keys.New(BoostPrefix).Str(net).Sep().U64(cell)
}

// JobKey is where a network's running reward job lives.
func JobKey(net string) []byte { return keys.New(JobPrefix).Str(net) }
