package share

import (
	"fmt"

	rewardapi "github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// Tokenize splits the signer's device into shares, all minted to the
// signer; from now on the device's rewards go to whoever holds them.
func (k Keeper) Tokenize(ctx state.Context, signer crypto.Address, m *sharev1.MsgTokenize) error {
	d, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Tokenized {
		return fmt.Errorf("%w: already tokenized", ErrInvalid)
	}
	if d.Status == devicev1.DeviceStatus_DEVICE_STATUS_RETIRED {
		return fmt.Errorf("%w: retired device", ErrInvalid)
	}
	if err := ValidateShares(m.Shares); err != nil {
		return err
	}
	if u := k.Rewards.Unclaimed(ctx.KV, id); u > 0 {
		return fmt.Errorf("%w: the device has %d unclaimed; claim it first", ErrInvalid, u)
	}
	denom := Denom(id)
	// Only tokenizing creates share denoms (the namespace is reserved); a
	// device tokenized before was untokenized, which burned every share.
	if s := k.Bank.Supply(ctx.KV, denom); s != 0 {
		return fmt.Errorf("%w: %s already has a supply of %d", ErrInvalid, denom, s)
	}
	if err := k.Bank.RegisterDenom(ctx.KV, &bankv1.DenomMetadata{Base: denom, Display: denom, Exponent: 0}); err != nil {
		return err
	}
	k.Open(ctx.KV, id, m.Shares)
	if err := k.Bank.Mint(ctx, signer, bank.Coins(denom, m.Shares), "tokenize"); err != nil {
		return err
	}
	d.Tokenized = true
	k.Device.Set(ctx.KV, d)
	ctx.Emit(&sharev1.EventTokenized{Device: crypto.DeviceString(id), Owner: signer.String(), Denom: denom, Shares: m.Shares})
	return nil
}

// payShareholder pays a holder what it is owed of a tokenized device,
// out of the device's unclaimed rewards.
func (k Keeper) payShareholder(ctx state.Context, d *devicev1.Device, id crypto.DeviceID, holder crypto.Address) (uint64, error) {
	owed := k.TakeOwed(ctx.KV, k.Bank, id, holder)
	if owed == 0 {
		return 0, nil
	}
	denom, err := k.Rewards.PayOut(ctx, d.Network, id, holder, owed, "share_claim")
	if err != nil {
		return 0, err
	}
	ctx.Emit(&sharev1.EventShareRewardsClaimed{Device: crypto.DeviceString(id), Holder: holder.String(), Amount: owed, Denom: denom})
	return owed, nil
}

func (k Keeper) tokenizedDevice(ctx state.Context, raw []byte) (*devicev1.Device, crypto.DeviceID, error) {
	id, err := crypto.AddressFromBytes(raw)
	if err != nil {
		return nil, id, fmt.Errorf("%w: device: %v", ErrInvalid, err)
	}
	d := k.Device.Get(ctx.KV, id)
	if d == nil || !d.Tokenized {
		return nil, id, fmt.Errorf("%w: device %s is not tokenized", ErrInvalid, crypto.DeviceString(id))
	}
	return d, id, nil
}

// ClaimShares pays a share holder its rewards of a tokenized device.
func (k Keeper) ClaimShares(ctx state.Context, signer crypto.Address, m *sharev1.MsgClaimShareRewards) error {
	d, id, err := k.tokenizedDevice(ctx, m.Device)
	if err != nil {
		return err
	}
	owed, err := k.payShareholder(ctx, d, id, signer)
	if err != nil {
		return err
	}
	if owed == 0 {
		return rewardapi.ErrNothingToClaim
	}
	return nil
}

// Untokenize merges a device's shares back: the account holding all of
// them burns them, is paid what it is owed and becomes the device's
// owner; rounding dust left in the device's rewards stays claimable by it.
func (k Keeper) Untokenize(ctx state.Context, signer crypto.Address, m *sharev1.MsgUntokenize) error {
	d, id, err := k.tokenizedDevice(ctx, m.Device)
	if err != nil {
		return err
	}
	p := k.Pool(ctx.KV, id)
	if have := k.Bank.Balance(ctx.KV, signer, p.Denom); have != p.TotalShares {
		return fmt.Errorf("%w: untokenizing needs all %d shares, you hold %d", ErrInvalid, p.TotalShares, have)
	}
	if _, err := k.payShareholder(ctx, d, id, signer); err != nil {
		return err
	}
	if err := k.Bank.Burn(ctx, signer, bank.Coins(p.Denom, p.TotalShares), "untokenize"); err != nil {
		return err
	}
	k.Close(ctx.KV, id)
	d.Tokenized = false
	k.Device.SetOwner(ctx, d, id, signer)
	d = k.Device.Get(ctx.KV, id)
	d.Tokenized = false
	k.Device.Set(ctx.KV, d)
	ctx.Emit(&sharev1.EventUntokenized{Device: crypto.DeviceString(id), Owner: signer.String()})
	return nil
}

// CheckInvariant verifies each tokenized device's books — the share
// supply is the pool's total, and the device's unclaimed rewards are
// exactly what its holders have not been paid (owed + unsettled + dust) —
// and that the lease escrow holds exactly the active leases' deposits.
func (k Keeper) CheckInvariant(r store.Reader) error {
	for _, p := range state.Records[sharev1.Pool](r, PoolPrefix) {
		id, _ := crypto.AddressFromBytes(p.Device)
		if s := k.Bank.Supply(r, p.Denom); s != p.TotalShares {
			return fmt.Errorf("share invariant: %s supply %d, pool %d", p.Denom, s, p.TotalShares)
		}
		var owed uint64
		for _, h := range state.Records[sharev1.Holder](r, HoldersPrefix(id)) {
			owed += h.Owed
		}
		paidOut := p.Credited - owed
		if u := k.Rewards.Unclaimed(r, id); u != p.Rewarded-paidOut {
			return fmt.Errorf("share invariant: device %s unclaimed %d, rewarded %d − paid %d", crypto.DeviceString(id), u, p.Rewarded, paidOut)
		}
	}
	// The lease escrow holds exactly the active leases' deposits.
	held := map[string]uint64{}
	for _, l := range state.Records[sharev1.Lease](r, LeasePrefix) {
		if l.Escrow > 0 {
			held[l.Denom] += l.Escrow
		}
	}
	return k.Bank.CheckEscrow(r, LeaseEscrow, held, "lease", "leases")
}
