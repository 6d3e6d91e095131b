package vpp

import (
	"encoding/binary"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Error kinds (codespace "vpp").
var (
	ErrNoVpp           = errs.Register("vpp", 2, "network has no flexibility market")
	ErrInvalidPool     = errs.Register("vpp", 3, "invalid pool")
	ErrUnknownPool     = errs.Register("vpp", 4, "no such pool")
	ErrPoolClosed      = errs.Register("vpp", 5, "pool is closed")
	ErrNotOperator     = errs.Register("vpp", 6, "not the pool's operator")
	ErrInvalidMember   = errs.Register("vpp", 7, "device cannot join the pool")
	ErrNotMember       = errs.Register("vpp", 8, "device is not a member of the pool")
	ErrInvalidDispatch = errs.Register("vpp", 9, "invalid dispatch")
	ErrNoHeadroom      = errs.Register("vpp", 10, "dispatch exceeds the pool's headroom")
	ErrNoCredits       = errs.Register("vpp", 11, "not enough service credits")
	ErrEscrowTooHigh   = errs.Register("vpp", 12, "escrow above the operator's bound")
	ErrPoolBusy        = errs.Register("vpp", 13, "pool has a dispatch in that window")
)

// State layout (see the package comment).
var (
	PoolPrefix      = []byte("vpp/p/")
	NetPoolPrefix   = []byte("vpp/o/")
	MemberPrefix    = []byte("vpp/j/")
	DispatchPrefix  = []byte("vpp/d/")
	PoolDispPrefix  = []byte("vpp/x/")
	QueuePrefix     = []byte("vpp/q/")
	SettlePrefix    = []byte("vpp/w/")
	LeavePrefix     = []byte("vpp/l/")
	ChallengePrefix = []byte("vpp/t/")
	CreditPrefix    = []byte("vpp/c/")
	BooksPrefix     = []byte("vpp/b/")
	PoolSeqKey      = []byte("vpp/seq/p")
	DispatchSeqKey  = []byte("vpp/seq/d")
)

// PoolKey is where a pool lives.
func PoolKey(id uint64) []byte { return keys.New(PoolPrefix).U64(id) }

// NetPoolsPrefix lists a network's pools.
func NetPoolsPrefix(net string) []byte { return keys.New(NetPoolPrefix).Str(net).Sep() }

// NetPoolKey is the network-index key of a pool.
func NetPoolKey(net string, pool uint64) []byte {
	return keys.New(NetPoolPrefix).Str(net).Sep().U64(pool)
}

// MembersPrefix lists a pool's members, by device id.
func MembersPrefix(pool uint64) []byte { return keys.New(MemberPrefix).U64(pool) }

// MemberKey is where a pool's member lives.
func MemberKey(pool uint64, dev crypto.DeviceID) []byte {
	return keys.New(MemberPrefix).U64(pool).Bytes(dev[:])
}

// DeviceFromMemberKey decodes the device a member key ends with.
func DeviceFromMemberKey(k []byte) (crypto.DeviceID, bool) {
	var id crypto.DeviceID
	if len(k) != len(MemberPrefix)+8+len(id) {
		return id, false
	}
	copy(id[:], k[len(k)-len(id):])
	return id, true
}

// DispatchKey is where a dispatch lives.
func DispatchKey(id uint64) []byte { return keys.New(DispatchPrefix).U64(id) }

// PoolDispatchesPrefix lists a pool's dispatches, oldest first.
func PoolDispatchesPrefix(pool uint64) []byte { return keys.New(PoolDispPrefix).U64(pool) }

// PoolDispatchKey is the pool-index key of a dispatch.
func PoolDispatchKey(pool, id uint64) []byte { return keys.New(PoolDispPrefix).U64(pool).U64(id) }

// QueueNetPrefix lists a network's dispatches being weighed or allocated.
func QueueNetPrefix(net string) []byte { return keys.New(QueuePrefix).Str(net).Sep() }

// QueueKey is the allocation-queue key of a dispatch.
func QueueKey(net string, id uint64) []byte { return keys.New(QueuePrefix).Str(net).Sep().U64(id) }

// SettleNetPrefix lists a network's dispatches by settlement time.
func SettleNetPrefix(net string) []byte { return keys.New(SettlePrefix).Str(net).Sep() }

// SettleKey is the settlement-timer key of a dispatch.
func SettleKey(net string, t int64, id uint64) []byte {
	return keys.New(SettlePrefix).Str(net).Sep().U64(uint64(max(t, 0))).U64(id)
}

// LeaveNetPrefix lists a network's leaving members by time.
func LeaveNetPrefix(net string) []byte { return keys.New(LeavePrefix).Str(net).Sep() }

// LeaveKey is the leave-timer key of a member.
func LeaveKey(net string, t int64, pool uint64, dev crypto.DeviceID) []byte {
	return keys.New(LeavePrefix).Str(net).Sep().U64(uint64(max(t, 0))).U64(pool).Bytes(dev[:])
}

// ChallengeNetPrefix lists a network's pools by next challenge time.
func ChallengeNetPrefix(net string) []byte { return keys.New(ChallengePrefix).Str(net).Sep() }

// ChallengeKey is the challenge-timer key of a pool.
func ChallengeKey(net string, t int64, pool uint64) []byte {
	return keys.New(ChallengePrefix).Str(net).Sep().U64(uint64(max(t, 0))).U64(pool)
}

// CreditKey is where an account's service credits in a network live.
func CreditKey(net string, a crypto.Address) []byte {
	return keys.New(CreditPrefix).Str(net).Sep().Bytes(a[:])
}

// CreditNetPrefix lists a network's credit balances.
func CreditNetPrefix(net string) []byte { return keys.New(CreditPrefix).Str(net).Sep() }

// BooksKey is where a network's credit books live.
func BooksKey(net string) []byte { return keys.New(BooksPrefix).Str(net) }

// TimeFromKey decodes the time that follows a timer prefix p in key k.
func TimeFromKey(p, k []byte) (int64, bool) {
	if len(k) < len(p)+8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(p):])), true
}
