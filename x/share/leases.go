package share

import (
	"bytes"
	"fmt"
	"math"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// LeaseEscrow holds lessees' rent deposits.
var LeaseEscrow = crypto.ModuleAddress("lease_escrow")

// activeLeases indexes the leases of a network (+ network 0x00 device(20)).
var activeLeases = []byte("share/la/")

func activeLeasesOf(net string) []byte { return keys.New(activeLeases).Str(net).Sep() }

func activeLeaseKey(net string, id crypto.DeviceID) []byte {
	return keys.New(activeLeases).Str(net).Sep().Bytes(id[:])
}

// Lease returns a device's lease record, or nil.
func (Keeper) Lease(r store.Reader, id crypto.DeviceID) *sharev1.Lease {
	return state.Load[sharev1.Lease](r, LeaseKey(id))
}

// OfferLease lets a device's owner offer its operation to an account.
func (k Keeper) OfferLease(ctx state.Context, signer crypto.Address, m *sharev1.MsgOfferLease) error {
	d, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return fmt.Errorf("%w: device is %s", ErrInvalid, d.Status)
	}
	if l := k.Lease(ctx.KV, id); l != nil && l.Status != sharev1.LeaseStatus_LEASE_STATUS_ENDED {
		return fmt.Errorf("%w: the device already has a lease (%s)", ErrInvalid, l.Status)
	}
	lessee, err := crypto.AddressFromBytes(m.Lessee)
	if err != nil || lessee == signer {
		return fmt.Errorf("%w: lessee must be another account", ErrInvalid)
	}
	n, err := k.Network.Active(ctx, d.Network)
	if err != nil {
		return err
	}
	now := network.EpochAt(n, ctx.Time.Unix())
	switch {
	case m.RentPerEpoch == 0:
		return fmt.Errorf("%w: rent must be > 0", ErrInvalid)
	case m.RewardShareBps > fixed.BPS:
		return fmt.Errorf("%w: reward share %d bps > 10000", ErrInvalid, m.RewardShareBps)
	case m.StartEpoch <= now || m.EndEpoch < m.StartEpoch || m.EndEpoch-m.StartEpoch > 100_000:
		return fmt.Errorf("%w: term %d–%d must start after the current epoch %d and last ≤ 100000 epochs", ErrInvalid, m.StartEpoch, m.EndEpoch, now)
	case !k.Bank.KnownDenom(ctx.KV, m.Denom):
		return fmt.Errorf("%w: unknown denom %q", ErrInvalid, m.Denom)
	}
	l := &sharev1.Lease{Device: id.Bytes(), Owner: signer.Bytes(), Lessee: lessee.Bytes(), Denom: m.Denom, RentPerEpoch: m.RentPerEpoch, EpochSeconds: n.Params.EpochSeconds,
		RewardShareBps: m.RewardShareBps, StartEpoch: m.StartEpoch, EndEpoch: m.EndEpoch, NextEpoch: m.StartEpoch,
		Status: sharev1.LeaseStatus_LEASE_STATUS_OFFERED}
	ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	ctx.Emit(&sharev1.EventLeaseChanged{Device: crypto.DeviceString(id), Status: l.Status})
	return nil
}

// AcceptLease lets the named lessee take an offered lease, escrowing rent.
func (k Keeper) AcceptLease(ctx state.Context, signer crypto.Address, m *sharev1.MsgAcceptLease) error {
	id, l, err := k.leaseFor(ctx, signer, m.Device)
	if err != nil {
		return err
	}
	if l.Status != sharev1.LeaseStatus_LEASE_STATUS_OFFERED {
		return fmt.Errorf("%w: lease is %s", ErrInvalid, l.Status)
	}
	if _, err := k.Network.Active(ctx, k.Device.Get(ctx.KV, id).Network); err != nil {
		return err
	}
	if m.Deposit < l.RentPerEpoch {
		return fmt.Errorf("%w: deposit %d is less than one epoch's rent %d", ErrInvalid, m.Deposit, l.RentPerEpoch)
	}
	if err := k.Bank.Send(ctx, signer, LeaseEscrow, bank.Coins(l.Denom, m.Deposit), "lease_deposit"); err != nil {
		return err
	}
	d := k.Device.Get(ctx.KV, id)
	l.Escrow, l.Status = m.Deposit, sharev1.LeaseStatus_LEASE_STATUS_ACTIVE
	ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	ctx.KV.Set(activeLeaseKey(d.Network, id), []byte{})
	ctx.Emit(&sharev1.EventLeaseChanged{Device: crypto.DeviceString(id), Status: l.Status})
	return nil
}

// DepositLease tops up an active lease's rent escrow.
func (k Keeper) DepositLease(ctx state.Context, signer crypto.Address, m *sharev1.MsgDepositLease) error {
	id, l, err := k.leaseFor(ctx, signer, m.Device)
	if err != nil {
		return err
	}
	if l.Status != sharev1.LeaseStatus_LEASE_STATUS_ACTIVE || m.Amount == 0 {
		return fmt.Errorf("%w: deposit to an active lease, more than 0", ErrInvalid)
	}
	esc, ok := fixed.Add(l.Escrow, m.Amount)
	if !ok {
		return fmt.Errorf("%w: overflow", ErrInvalid)
	}
	if err := k.Bank.Send(ctx, signer, LeaseEscrow, bank.Coins(l.Denom, m.Amount), "lease_deposit"); err != nil {
		return err
	}
	l.Escrow = esc
	ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	return nil
}

// EndLease refunds an active lease's deposit to its lessee while the
// device's network is frozen: no block step charges rent then, and the
// lessee's funds must not wait on the network's owner.
func (k Keeper) EndLease(ctx state.Context, signer crypto.Address, m *sharev1.MsgEndLease) error {
	id, l, err := k.leaseFor(ctx, signer, m.Device)
	if err != nil {
		return err
	}
	if l.Status != sharev1.LeaseStatus_LEASE_STATUS_ACTIVE {
		return fmt.Errorf("%w: lease is %s", ErrInvalid, l.Status)
	}
	d := k.Device.Get(ctx.KV, id)
	if n := k.Network.Network(ctx.KV, d.Network); n != nil && !n.Frozen {
		return fmt.Errorf("%w: a lease ends at its term or when its deposit runs out; the lessee can end it early only while its network is frozen", ErrInvalid)
	}
	refund := l.Escrow
	if refund > 0 {
		if err := k.Bank.Send(ctx, LeaseEscrow, signer, bank.Coins(l.Denom, refund), "lease_refund"); err != nil {
			return err
		}
	}
	reason := "ended by the lessee while the network was frozen"
	l.Escrow, l.Status, l.EndReason = 0, sharev1.LeaseStatus_LEASE_STATUS_ENDED, reason
	ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	ctx.KV.Delete(activeLeaseKey(d.Network, id))
	ctx.Emit(&sharev1.EventLeaseChanged{Device: crypto.DeviceString(id), Status: l.Status, Reason: reason, RentPaid: l.RentPaid, Refunded: refund})
	return nil
}

func (k Keeper) leaseFor(ctx state.Context, signer crypto.Address, raw []byte) (crypto.DeviceID, *sharev1.Lease, error) {
	id, err := crypto.AddressFromBytes(raw)
	if err != nil {
		return id, nil, fmt.Errorf("%w: device: %v", ErrInvalid, err)
	}
	l := k.Lease(ctx.KV, id)
	if l == nil {
		return id, nil, fmt.Errorf("%w: no lease for %s", ErrInvalid, crypto.DeviceString(id))
	}
	if !bytes.Equal(l.Lessee, signer[:]) {
		return id, nil, fmt.Errorf("%w: not the lease's lessee", errs.ErrUnauthorized)
	}
	return id, l, nil
}

// EpochEnded implements network.EpochHook: the network's active leases
// pay the rent of every ended epoch (before now); a lease ends when its
// term is over or its escrow cannot pay an epoch, and the rest is
// refunded.
func (k Keeper) EpochEnded(ctx state.Context, n *networkv1.Network, _, now uint64) error {
	net := n.Id
	var ids []crypto.DeviceID
	prefix := activeLeasesOf(net)
	for key := range store.Prefix(ctx.KV, prefix) {
		if id, err := crypto.AddressFromBytes(key[len(prefix):]); err == nil {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		l := k.Lease(ctx.KV, id)
		owner, _ := crypto.AddressFromBytes(l.Owner)
		reason := ""
		for l.NextEpoch < now && l.NextEpoch <= l.EndEpoch {
			rent := rentFor(l, network.ParamsForEpoch(n, l.NextEpoch).EpochSeconds)
			if l.Escrow < rent {
				reason = "escrow ran dry"
				break
			}
			if rent > 0 {
				if err := k.Bank.Send(ctx, LeaseEscrow, owner, bank.Coins(l.Denom, rent), "lease_rent"); err != nil {
					return err
				}
			}
			l.Escrow -= rent
			l.RentPaid += rent
			l.NextEpoch++
		}
		if reason == "" && l.NextEpoch > l.EndEpoch {
			reason = "term ended"
		}
		if reason != "" {
			refund := l.Escrow
			if refund > 0 {
				lessee, _ := crypto.AddressFromBytes(l.Lessee)
				if err := k.Bank.Send(ctx, LeaseEscrow, lessee, bank.Coins(l.Denom, refund), "lease_refund"); err != nil {
					return err
				}
			}
			l.Escrow, l.Status, l.EndReason = 0, sharev1.LeaseStatus_LEASE_STATUS_ENDED, reason
			ctx.KV.Delete(activeLeaseKey(net, id))
			ctx.Emit(&sharev1.EventLeaseChanged{Device: crypto.DeviceString(id), Status: l.Status, Reason: reason, RentPaid: l.RentPaid, Refunded: refund})
		}
		ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	}
	return nil
}

// rentFor is a lease's rent for an epoch of epochSeconds: its rent per
// epoch of the length agreed, scaled to this one (rounded down), so a
// network owner who shortens epochs cannot drain a lessee's deposit faster
// than agreed, nor lengthen them to collect less.
func rentFor(l *sharev1.Lease, epochSeconds uint64) uint64 {
	if l.EpochSeconds == 0 || epochSeconds == l.EpochSeconds {
		return l.RentPerEpoch
	}
	r, ok := fixed.MulDiv(l.RentPerEpoch, epochSeconds, l.EpochSeconds)
	if !ok {
		return math.MaxUint64 // more than any escrow: the lease ends
	}
	return r
}

// Rewarded implements reward.Payouts: of a device's reward for an
// epoch, its lessee's cut (if an active lease covers the epoch) is paid
// at once with pay, and the rest is credited to its share holders' books
// if it is tokenized. It returns what it paid.
func (k Keeper) Rewarded(ctx state.Context, id crypto.DeviceID, epoch, amount uint64, pay func(to crypto.Address, amount uint64, reason string) error) (uint64, error) {
	cut, lessee, l := k.lesseeCut(ctx.KV, id, epoch, amount)
	if cut > 0 {
		if err := pay(lessee, cut, "lessee_reward"); err != nil {
			return 0, err
		}
		l.RewardsPaid += cut
		ctx.KV.Set(LeaseKey(id), state.Marshal(l))
	}
	k.AddReward(ctx.KV, id, amount-cut) // no-op unless tokenized
	return cut, nil
}

// lesseeCut is the part of a device's epoch reward due to its lessee (0
// without an active lease covering the epoch), the lessee and the lease.
func (k Keeper) lesseeCut(r store.Reader, id crypto.DeviceID, epoch, reward uint64) (uint64, crypto.Address, *sharev1.Lease) {
	l := k.Lease(r, id)
	if l == nil || l.Status != sharev1.LeaseStatus_LEASE_STATUS_ACTIVE || epoch < l.StartEpoch || epoch > l.EndEpoch {
		return 0, crypto.Address{}, nil
	}
	cut := fixed.Frac(reward, uint64(l.RewardShareBps), fixed.BPS)
	lessee, _ := crypto.AddressFromBytes(l.Lessee)
	return cut, lessee, l
}
