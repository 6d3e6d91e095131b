package device

import (
	"bytes"
	"fmt"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// StakePool holds device stakes.
var StakePool = crypto.ModuleAddress("device_stake")

// Keeper manages devices.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	// Keys, if not nil, is given every registered device's key, so its
	// reports verify faster from the first one (a node-local cache: it
	// never affects results).
	Keys *crypto.KeyCache
}

// Get returns a device, or nil.
func (Keeper) Get(r store.Reader, id crypto.DeviceID) *devicev1.Device {
	return state.Load[devicev1.Device](r, Key(id))
}

// Set stores a device record (indices are maintained by the operations).
func (Keeper) Set(kv store.KV, d *devicev1.Device) {
	id, _ := crypto.AddressFromBytes(d.Id)
	kv.Set(Key(id), state.Marshal(d))
}

// Register adds a maker-certified device, locking the network's minimum
// stake from the owner.
func (k Keeper) Register(ctx state.Context, signer crypto.Address, m *devicev1.MsgRegisterDevice) error {
	cert, err := VerifyCert(ctx.ChainID, m.Cert)
	if err != nil {
		return err
	}
	// Proof of possession: a certificate is public (it travels in the
	// mempool), so it alone must not let anyone claim the device.
	if err := crypto.VerifyPossession(cert.DevicePublicKey, ctx.ChainID, signer, m.DeviceSignature); err != nil {
		return fmt.Errorf("%w: device_signature must be the device key's signature over the owner's address for this chain ('depin device register --key FILE' makes it): %v", ErrNoPossession, err)
	}
	n, err := k.Network.Active(ctx, cert.Network)
	if err != nil {
		return err
	}
	mk := k.Network.Maker(ctx.KV, cert.Network, cert.MakerPublicKey)
	if mk == nil || !mk.Active {
		return fmt.Errorf("%w: maker %x is not approved for %s", network.ErrUnknownMaker, cert.MakerPublicKey, cert.Network)
	}
	if err := ValidateCell(m.Cell); err != nil {
		return err
	}
	id := crypto.AddressFromPubKey(cert.DevicePublicKey)
	if k.Get(ctx.KV, id) != nil {
		return fmt.Errorf("%w: %s", ErrDeviceExists, crypto.DeviceString(id))
	}
	sk := SerialKey(cert.Network, cert.MakerPublicKey, cert.Serial)
	if ctx.KV.Get(sk) != nil {
		return fmt.Errorf("%w: %q", ErrSerialTaken, cert.Serial)
	}
	stake := n.Params.MinStake
	if stake > 0 {
		if err := k.Bank.Send(ctx, signer, StakePool, bank.Coins(bank.NativeDenom, stake), "device_stake"); err != nil {
			return err
		}
	}
	d := &devicev1.Device{
		Id: id.Bytes(), PublicKey: cert.DevicePublicKey, Network: cert.Network, Owner: signer.Bytes(),
		Model: cert.Model, Serial: cert.Serial, Capacity: cert.Capacity, EnergyCapacity: cert.EnergyCapacity, MakerPublicKey: cert.MakerPublicKey,
		Cell: m.Cell, Status: devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE, Stake: stake, UnbondingSeconds: n.Params.UnbondingSeconds,
		RegisteredHeight: ctx.Height, // LastMoveTime 0: registering is not a move; the owner may correct the location at once
	}
	k.Set(ctx.KV, d)
	ctx.KV.Set(OwnerIndexKey(signer, id), []byte{})
	ctx.KV.Set(NetworkIndexKey(cert.Network, id), []byte{})
	ctx.KV.Set(HexKey(cert.Network, m.Cell, id), []byte{})
	ctx.KV.Set(sk, id[:])
	k.Keys.Add(cert.DevicePublicKey)
	ctx.Emit(&devicev1.EventDeviceRegistered{
		Device: crypto.DeviceString(id), Network: cert.Network, Owner: signer.String(),
		Cell: m.Cell, Capacity: cert.Capacity, Model: cert.Model, Stake: stake,
	})
	return nil
}

// Owned loads the device rawID names and checks that signer owns it: the
// one check every module makes before acting on a device for its owner,
// with one set of errors (ErrInvalidAddress, ErrUnknownDevice,
// ErrNotDeviceOwner).
func (k Keeper) Owned(r store.Reader, signer crypto.Address, rawID []byte) (*devicev1.Device, crypto.DeviceID, error) {
	id, err := crypto.AddressFromBytes(rawID)
	if err != nil {
		return nil, id, fmt.Errorf("%w: device id: %v", errs.ErrInvalidAddress, err)
	}
	d := k.Get(r, id)
	if d == nil {
		return nil, id, fmt.Errorf("%w: %s", ErrUnknownDevice, crypto.DeviceString(id))
	}
	if !bytes.Equal(d.Owner, signer[:]) {
		return nil, id, fmt.Errorf("%w: %s belongs to another account", ErrNotDeviceOwner, crypto.DeviceString(id))
	}
	return d, id, nil
}

// Transfer gives a device (and its stake) to a new owner.
func (k Keeper) Transfer(ctx state.Context, signer crypto.Address, m *devicev1.MsgTransferDevice) error {
	d, id, err := k.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	to, err := crypto.AddressFromBytes(m.NewOwner)
	if err != nil {
		return fmt.Errorf("%w: new owner: %v", errs.ErrInvalidAddress, err)
	}
	if d.Status == devicev1.DeviceStatus_DEVICE_STATUS_RETIRED {
		return fmt.Errorf("%w: retired", ErrWrongStatus)
	}
	if to == signer {
		return fmt.Errorf("%w: already the owner", errs.ErrInvalidRequest)
	}
	if k.Bank.Escrows[to] {
		// A module account owning a device would be paid for its work:
		// payments into an escrow from itself fail, into another's break
		// its books.
		return fmt.Errorf("%w: %s is a module account; a device cannot be given to it", bank.ErrModuleAccount, to)
	}
	if d.Tokenized {
		return fmt.Errorf("%w: the device is split into shares; its shares move instead (untokenize to move the device)", ErrWrongStatus)
	}
	k.SetOwner(ctx, d, id, to)
	return nil
}

// SetOwner gives a device to another account (indices included).
func (k Keeper) SetOwner(ctx state.Context, d *devicev1.Device, id crypto.DeviceID, to crypto.Address) {
	from, _ := crypto.AddressFromBytes(d.Owner)
	if from == to {
		return
	}
	ctx.KV.Delete(OwnerIndexKey(from, id))
	ctx.KV.Set(OwnerIndexKey(to, id), []byte{})
	d.Owner = to.Bytes()
	k.Set(ctx.KV, d)
	ctx.Emit(&devicev1.EventDeviceTransferred{Device: crypto.DeviceString(id), From: from.String(), To: to.String()})
}

// Move relocates a device, at most once per the network's move interval.
func (k Keeper) Move(ctx state.Context, signer crypto.Address, m *devicev1.MsgMoveDevice) error {
	d, id, err := k.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return fmt.Errorf("%w: %s", ErrWrongStatus, d.Status)
	}
	if err := ValidateCell(m.Cell); err != nil {
		return err
	}
	n := k.Network.Current(ctx, d.Network)
	if next := d.LastMoveTime + int64(n.Params.MinMoveIntervalSeconds); ctx.Time.Unix() < next {
		return fmt.Errorf("%w: next move allowed at unix time %d", ErrMoveTooSoon, next)
	}
	ctx.KV.Delete(HexKey(d.Network, d.Cell, id))
	ctx.KV.Set(HexKey(d.Network, m.Cell, id), []byte{})
	from := d.Cell
	d.Cell, d.LastMoveTime = m.Cell, ctx.Time.Unix()
	k.Set(ctx.KV, d)
	ctx.Emit(&devicev1.EventDeviceMoved{Device: crypto.DeviceString(id), FromCell: from, ToCell: m.Cell})
	return nil
}

// Deactivate stops a device; its stake unbonds for the network's delay —
// the shorter of today's and the one in force when the stake was locked —
// and the unbonding time is fixed here, whatever the params become. A jailed device can be deactivated too, so what is left
// of its stake after slashing is never stranded.
func (k Keeper) Deactivate(ctx state.Context, signer crypto.Address, m *devicev1.MsgDeactivateDevice) error {
	d, id, err := k.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE && d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED {
		return fmt.Errorf("%w: %s", ErrWrongStatus, d.Status)
	}
	n := k.Network.Current(ctx, d.Network)
	unbonding := n.Params.UnbondingSeconds
	if d.UnbondingSeconds > 0 {
		// The stake was locked under these terms: a later, longer
		// unbonding set by the network's owner does not apply to it.
		unbonding = min(unbonding, d.UnbondingSeconds)
	}
	d.Status = devicev1.DeviceStatus_DEVICE_STATUS_UNBONDING
	d.UnbondTime = ctx.Time.Unix() + int64(unbonding)
	k.Set(ctx.KV, d)
	ctx.Emit(&devicev1.EventDeviceDeactivated{Device: crypto.DeviceString(id), UnbondTime: d.UnbondTime})
	return nil
}

// WithdrawStake returns an unbonded device's stake to its owner.
func (k Keeper) WithdrawStake(ctx state.Context, signer crypto.Address, m *devicev1.MsgWithdrawStake) error {
	d, id, err := k.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_UNBONDING {
		return fmt.Errorf("%w: %s (deactivate it first)", ErrWrongStatus, d.Status)
	}
	if ctx.Time.Unix() < d.UnbondTime {
		return fmt.Errorf("%w: until unix time %d", ErrStillBonded, d.UnbondTime)
	}
	amt := d.Stake
	if amt > 0 {
		if err := k.Bank.Send(ctx, StakePool, signer, bank.Coins(bank.NativeDenom, amt), "device_unstake"); err != nil {
			return err
		}
	}
	d.Stake = 0
	d.Status = devicev1.DeviceStatus_DEVICE_STATUS_RETIRED
	k.Set(ctx.KV, d)
	ctx.Emit(&devicev1.EventStakeWithdrawn{Device: crypto.DeviceString(id), Owner: signer.String(), Amount: amt})
	return nil
}

var _ = networkv1.Network{}

// Slash takes bps of a device's stake for proven fraud: a finder's fee
// (finderFeeBps of it) to the finder, if there is one, and the rest to
// the network's treasury; an active device is jailed (it can report no
// more), while unbonding and retired devices stay so, keeping their
// owners the way out of what is left. The caller stores the device.
func (k Keeper) Slash(ctx state.Context, dev *devicev1.Device, id crypto.DeviceID, bps, finderFeeBps uint32, finder, evidence []byte) {
	slashed := fixed.Frac(dev.Stake, uint64(bps), fixed.BPS)
	var fee uint64
	var finderAddr string
	if len(finder) == crypto.AddressLen && slashed > 0 {
		fee = fixed.Frac(slashed, uint64(finderFeeBps), fixed.BPS)
		a, _ := crypto.AddressFromBytes(finder)
		finderAddr = a.String()
		if fee > 0 {
			if err := k.Bank.Send(ctx, StakePool, a, bank.Coins(bank.NativeDenom, fee), "finder_fee"); err != nil {
				panic(fmt.Errorf("finder fee from the stake pool: %w", err)) // the pool holds every stake
			}
		}
	}
	if rest := slashed - fee; rest > 0 {
		if err := k.Bank.Send(ctx, StakePool, network.TreasuryAddress(dev.Network), bank.Coins(bank.NativeDenom, rest), "slash"); err != nil {
			panic(fmt.Errorf("slash from the stake pool: %w", err))
		}
	}
	dev.Stake -= slashed
	if dev.Status == devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		dev.Status = devicev1.DeviceStatus_DEVICE_STATUS_JAILED
	}
	ctx.Emit(&rewardv1.EventDeviceSlashed{Device: crypto.DeviceString(id), Network: dev.Network, Slashed: slashed, FinderFee: fee, Finder: finderAddr, Evidence: evidence})
}

// Penalize takes bps of a device's stake to the network's treasury for a
// service it failed to deliver (not fraud: the device is not jailed) and
// returns the amount. The caller stores the device.
func (k Keeper) Penalize(ctx state.Context, dev *devicev1.Device, id crypto.DeviceID, bps uint32, reason string) uint64 {
	amount := fixed.Frac(dev.Stake, uint64(bps), fixed.BPS)
	if amount == 0 {
		return 0
	}
	to := network.TreasuryAddress(dev.Network)
	if err := k.Bank.Send(ctx, StakePool, to, bank.Coins(bank.NativeDenom, amount), "penalty"); err != nil {
		panic(fmt.Errorf("penalty from the stake pool: %w", err)) // the pool holds every stake
	}
	dev.Stake -= amount
	ctx.Emit(&devicev1.EventStakePenalized{Device: crypto.DeviceString(id), Network: dev.Network, Amount: amount, To: to.String(), Reason: reason})
	return amount
}

// CheckInvariant verifies that the stake pool holds exactly the stakes
// the device records say are locked: a slash or withdrawal that moved
// coins without its record (or the reverse) breaks it.
func (k Keeper) CheckInvariant(r store.Reader) error {
	var staked uint64
	for _, d := range state.Records[devicev1.Device](r, DevicePrefix) {
		staked += d.Stake
	}
	if got := k.Bank.Balance(r, StakePool, bank.NativeDenom); got != staked {
		return fmt.Errorf("device invariant: the stake pool holds %d, device records %d", got, staked)
	}
	return nil
}
