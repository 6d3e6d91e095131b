package reward

import (
	"bytes"
	"encoding/binary"

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
)

// StateKey is where a network's incentive bookkeeping lives.
func StateKey(net string) []byte { return append(bytes.Clone(StatePrefix), net...) }

// EpochBreakdownPrefix prefixes every breakdown of a network's epoch.
func EpochBreakdownPrefix(net string, epoch uint64) []byte {
	k := append(append(bytes.Clone(BreakdownPrefix), net...), 0)
	return binary.BigEndian.AppendUint64(k, epoch)
}

// BreakdownKey is where a device's breakdown for an epoch lives.
func BreakdownKey(net string, epoch uint64, id crypto.DeviceID) []byte {
	return append(EpochBreakdownPrefix(net, epoch), id[:]...)
}

// UnclaimedKey is where a device's accrued, unclaimed reward lives.
func UnclaimedKey(id crypto.DeviceID) []byte { return append(bytes.Clone(UnclaimedPrefix), id[:]...) }

// NetworkBoostPrefix prefixes a network's boosts.
func NetworkBoostPrefix(net string) []byte {
	return append(append(bytes.Clone(BoostPrefix), net...), 0)
}

// BoostKey is where the boost of a cell lives.
func BoostKey(net string, cell uint64) []byte {
	return binary.BigEndian.AppendUint64(NetworkBoostPrefix(net), cell)
}

// JobKey is where a network's running reward job lives.
func JobKey(net string) []byte { return append([]byte("reward/j/"), net...) }
