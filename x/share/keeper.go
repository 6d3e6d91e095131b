// Package share splits a device into fungible shares (denom
// share/<device id>, moved with the bank like any token) whose holders
// earn the device's rewards pro rata, with reward-per-share accounting:
// each reward adds reward/total to a per-share accumulator (O(1)); a
// holder's entitlement is balance × (accumulator − the accumulator at its
// last settlement), settled into an owed amount before every change of its
// balance, so a transfer never moves or loses rewards earned before it.
package share

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/depinhq/depin/crypto"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// Keeper owns the ways a device's earnings are split beyond its owner:
// shares (tokenize, holders' claims, untokenize) and leases (offer,
// accept, rent, the lessee's cut). x/reward tells it of every device
// reward (Rewarded, its Payouts) and x/network of every ended epoch
// (EpochEnded: lease rent). The share books themselves (Pool, Holder,
// AddReward, Settle…) need no field: the bank's balance hook keeps them
// with a zero Keeper.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	// Rewards holds devices' rewards until claimed (x/reward): share
	// holders are paid from it.
	Rewards RewardPool
}

// RewardPool is where a device's rewards wait until claimed (x/reward).
type RewardPool interface {
	// Unclaimed is what a device has earned and not been paid.
	Unclaimed(r store.Reader, id crypto.DeviceID) uint64
	// PayOut pays amount of a device's unclaimed rewards (in its
	// network's reward denom, which it returns) to an account.
	PayOut(ctx state.Context, net string, id crypto.DeviceID, to crypto.Address, amount uint64, reason string) (denom string, err error)
}

// Pool returns a device's share pool, or nil.
func (Keeper) Pool(r store.Reader, id crypto.DeviceID) *sharev1.Pool {
	return state.Load[sharev1.Pool](r, PoolKey(id))
}

// Holder returns a holder's position (zero if none).
func (Keeper) Holder(r store.Reader, id crypto.DeviceID, h crypto.Address) *sharev1.Holder {
	out := &sharev1.Holder{}
	state.Get(r, HolderKey(id, h), out)
	return out
}

// Open creates the pool of a device being tokenized into total shares.
func (Keeper) Open(kv store.KV, id crypto.DeviceID, total uint64) *sharev1.Pool {
	p := &sharev1.Pool{Device: id.Bytes(), Denom: Denom(id), TotalShares: total, Acc: fixed.U128{}.Bytes()}
	kv.Set(PoolKey(id), state.Marshal(p))
	return p
}

// Close removes a device's pool and holder records.
func (Keeper) Close(kv store.KV, id crypto.DeviceID) {
	kv.Delete(PoolKey(id))
	var holders [][]byte
	for k := range store.Prefix(kv, HoldersPrefix(id)) {
		holders = append(holders, bytes.Clone(k))
	}
	for _, k := range holders {
		kv.Delete(k)
	}
}

// AddReward spreads a reward over the device's shares: acc += reward ×
// 2^64 / total, the remainder carried to the next reward. O(1).
func (k Keeper) AddReward(kv store.KV, id crypto.DeviceID, reward uint64) {
	p := k.Pool(kv, id)
	if p == nil || reward == 0 {
		return
	}
	// x = reward × 2^64 + acc_rem (acc_rem < total): a 128-bit value;
	// delta = x / total may exceed 64 bits, so divide in two steps.
	delta, rem := fixed.U128{Hi: reward, Lo: p.AccRem}.Div64(p.TotalShares)
	acc, _ := fixed.U128FromBytes(p.Acc).Add(delta) // < 2^128: Σ rewards < 2^64
	p.Acc, p.AccRem = acc.Bytes(), rem
	p.Rewarded += reward
	kv.Set(PoolKey(id), state.Marshal(p))
}

// entitled is balance × (acc − paid) / 2^64, rounded down (acc ≥ paid:
// paid is an earlier acc).
func entitled(balance uint64, acc, paid fixed.U128) uint64 {
	d, _ := acc.Sub(paid)
	return d.MulShr64(balance).Lo // ≤ the rewards since the holder's last settlement
}

// Settle moves what a holder earned since its last settlement (at its
// current balance) into its owed amount.
func (k Keeper) Settle(kv store.KV, id crypto.DeviceID, holder crypto.Address, balance uint64) {
	p := k.Pool(kv, id)
	if p == nil {
		return
	}
	h := k.Holder(kv, id, holder)
	acc := fixed.U128FromBytes(p.Acc)
	if e := entitled(balance, acc, fixed.U128FromBytes(h.PaidAcc)); e > 0 {
		h.Owed += e
		p.Credited += e
		kv.Set(PoolKey(id), state.Marshal(p))
	}
	h.PaidAcc = acc.Bytes()
	kv.Set(HolderKey(id, holder), state.Marshal(h))
}

// Pending is what a holder could claim now (owed + unsettled).
func (k Keeper) Pending(r store.Reader, bk bank.Keeper, id crypto.DeviceID, holder crypto.Address) uint64 {
	p := k.Pool(r, id)
	if p == nil {
		return 0
	}
	h := k.Holder(r, id, holder)
	return h.Owed + entitled(bk.Balance(r, holder, p.Denom), fixed.U128FromBytes(p.Acc), fixed.U128FromBytes(h.PaidAcc))
}

// TakeOwed settles a holder and empties its owed amount, returning it.
func (k Keeper) TakeOwed(kv store.KV, bk bank.Keeper, id crypto.DeviceID, holder crypto.Address) uint64 {
	p := k.Pool(kv, id)
	if p == nil {
		return 0
	}
	k.Settle(kv, id, holder, bk.Balance(kv, holder, p.Denom))
	h := k.Holder(kv, id, holder)
	owed := h.Owed
	h.Owed = 0
	kv.Set(HolderKey(id, holder), state.Marshal(h))
	return owed
}

// Hook settles share holders before their share balances change; bank
// calls it (bank.BalanceHook).
type Hook struct {
	Shares Keeper
	Bank   bank.Keeper // without a hook: only reads balances
}

// BeforeBalanceChange implements bank.BalanceHook.
func (h Hook) BeforeBalanceChange(ctx state.Context, addr crypto.Address, denom string) {
	if !strings.HasPrefix(denom, DenomPrefix) {
		return
	}
	id, err := crypto.ParseDeviceID(denom[len(DenomPrefix):])
	if err != nil {
		return
	}
	h.Shares.Settle(ctx.KV, id, addr, h.Bank.Balance(ctx.KV, addr, denom))
}

// ValidateShares checks a tokenization's share count.
func ValidateShares(n uint64) error {
	if n == 0 || n > MaxShares {
		return fmt.Errorf("%w: shares must be 1..2^60, got %d", ErrInvalid, n)
	}
	return nil
}
