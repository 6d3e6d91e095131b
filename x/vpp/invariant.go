package vpp

import (
	"fmt"

	apireward "github.com/depinhq/depin/api/reward"
	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// CheckInvariant verifies the module's books: the escrow holds exactly
// what unsettled dispatches may still pay; every network's credit
// balances are what was minted less what was spent, and its token's
// supply is what rewards minted less what credits burned; every pool's
// member count and offered power match its members, each of whose
// device records names the pool; a member's allocations never overlap.
func (k Keeper) CheckInvariant(r store.Reader) error {
	held := map[string]uint64{}
	for _, d := range state.Records[vppv1.Dispatch](r, api.DispatchPrefix) {
		if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
			held[d.Denom] += d.Escrow
		} else if d.Escrow != 0 {
			return fmt.Errorf("vpp invariant: settled dispatch %d still holds %d", d.Id, d.Escrow)
		}
		if d.Paid+d.Refunded+d.Escrow < d.Paid {
			return fmt.Errorf("vpp invariant: dispatch %d overflows", d.Id)
		}
	}
	if err := k.Bank.CheckEscrow(r, Escrow, held, "vpp", "dispatches"); err != nil {
		return err
	}
	for key, b := range state.Records[vppv1.CreditBooks](r, api.BooksPrefix) {
		net := string(key[len(api.BooksPrefix):])
		var bal uint64
		for key := range store.Prefix(r, api.CreditNetPrefix(net)) {
			v, _ := state.Uint64(r, key)
			bal += v
		}
		if bal+b.Spent != b.Minted {
			return fmt.Errorf("vpp invariant: network %s: credit balances %d + spent %d ≠ minted %d", net, bal, b.Spent, b.Minted)
		}
		n := k.Network.Network(r, net)
		if n == nil {
			return fmt.Errorf("vpp invariant: credit books of unknown network %s", net)
		}
		rs := state.Load[rewardv1.State](r, apireward.StateKey(net))
		minted := uint64(0)
		if rs != nil {
			minted = rs.Minted
		}
		if supply := k.Bank.Supply(r, n.RewardDenom); supply+b.Burned != minted {
			return fmt.Errorf("vpp invariant: network %s: supply %d%s + burned %d ≠ minted %d", net, supply, n.RewardDenom, b.Burned, minted)
		}
	}
	for _, p := range state.Records[vppv1.Pool](r, api.PoolPrefix) {
		var count, maxW uint64
		for _, m := range state.Records[vppv1.Member](r, api.MembersPrefix(p.Id)) {
			count++
			maxW += m.MaxW
			id, err := crypto.AddressFromBytes(m.Device)
			if err != nil {
				return fmt.Errorf("vpp invariant: pool %d: member with a bad device id", p.Id)
			}
			if dev := k.Device.Get(r, id); dev != nil && dev.VppPool != p.Id {
				return fmt.Errorf("vpp invariant: %s is a member of pool %d but its record names pool %d", crypto.DeviceString(id), p.Id, dev.VppPool)
			}
			for i, a := range m.Allocs {
				for _, b := range m.Allocs[i+1:] {
					if a.Start < b.End && b.Start < a.End {
						return fmt.Errorf("vpp invariant: %s has overlapping allocations %d and %d", crypto.DeviceString(id), a.Dispatch, b.Dispatch)
					}
				}
			}
		}
		if count != p.Members || maxW != p.MaxW {
			return fmt.Errorf("vpp invariant: pool %d says %d members offering %d W, its records %d offering %d W", p.Id, p.Members, p.MaxW, count, maxW)
		}
	}
	return nil
}
