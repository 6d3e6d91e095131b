package reward

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/h3"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
)

// Errors.
var (
	ErrNothingToClaim = errs.Register("reward", 2, "nothing to claim")
	ErrInvalidBoost   = errs.Register("reward", 3, "invalid boost")
)

// Pool is the account holding rewards accrued to devices until claimed.
var Pool = crypto.ModuleAddress("reward")

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

// Keeper runs epochs, claims and boosts.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	Report  report.Keeper
}

func marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func unmarshal(v []byte, m proto.Message) {
	if err := proto.Unmarshal(v, m); err != nil {
		panic(fmt.Errorf("reward state: %w", err))
	}
}

// State returns a network's bookkeeping, or nil.
func (Keeper) State(r store.Reader, net string) *rewardv1.State {
	v := r.Get(StateKey(net))
	if v == nil {
		return nil
	}
	s := &rewardv1.State{}
	unmarshal(v, s)
	return s
}

// Breakdown returns a device's breakdown for an epoch, or nil.
func (Keeper) Breakdown(r store.Reader, net string, epoch uint64, id crypto.DeviceID) *rewardv1.Breakdown {
	v := r.Get(BreakdownKey(net, epoch, id))
	if v == nil {
		return nil
	}
	b := &rewardv1.Breakdown{}
	unmarshal(v, b)
	return b
}

// Unclaimed returns a device's accrued, unclaimed reward.
func (Keeper) Unclaimed(r store.Reader, id crypto.DeviceID) uint64 {
	v := r.Get(UnclaimedKey(id))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func setUnclaimed(kv store.KV, id crypto.DeviceID, v uint64) {
	if v == 0 {
		kv.Delete(UnclaimedKey(id))
		return
	}
	kv.Set(UnclaimedKey(id), binary.BigEndian.AppendUint64(nil, v))
}

// BeginBlock rewards, for every network, the epoch the previous block
// was in if this block starts a later one. It runs before the block's
// transactions, so the ended epoch's work is final and params an owner
// scheduled are not yet in force.
func (k Keeper) BeginBlock(ctx state.Context) error {
	var nets []string
	store.Each(ctx.KV, network.NetworkPrefix, func(key, _ []byte) bool {
		nets = append(nets, string(key[len(network.NetworkPrefix):]))
		return true
	})
	for _, id := range nets {
		if err := k.beginNetwork(ctx, id); err != nil {
			return fmt.Errorf("network %s: %w", id, err)
		}
	}
	return nil
}

func (k Keeper) beginNetwork(ctx state.Context, id string) error {
	n := k.Network.Current(ctx, id)
	now := network.EpochAt(n, ctx.Time.Unix())
	st := k.State(ctx.KV, id)
	if st == nil {
		st = &rewardv1.State{Network: id, FirstEpoch: now, NextEpoch: now, SeenEpoch: now}
		ctx.KV.Set(StateKey(id), marshal(st))
		return nil
	}
	if now <= st.SeenEpoch {
		return nil
	}
	// The previous block was in st.SeenEpoch; no block ran in the epochs
	// between it and now, so they had no work.
	if err := k.rewardEpoch(ctx, n, st, st.SeenEpoch); err != nil {
		return err
	}
	st.SeenEpoch, st.NextEpoch = now, now
	ctx.KV.Set(StateKey(id), marshal(st))
	return nil
}

// Emission is the network's emission for epoch e: the initial amount
// halved every halving_epochs epochs since its first, capped so that the
// total minted never exceeds max_supply.
func Emission(rp *rewardv1.RewardParams, st *rewardv1.State, e uint64) uint64 {
	em := rp.EpochEmission
	if rp.HalvingEpochs > 0 && e > st.FirstEpoch {
		h := (e - st.FirstEpoch) / rp.HalvingEpochs
		if h >= 64 {
			return 0
		}
		em >>= h
	}
	if rp.MaxSupply > 0 {
		if st.Minted >= rp.MaxSupply {
			return 0
		}
		em = min(em, rp.MaxSupply-st.Minted)
	}
	return em
}

// Productivity is a work record's work units: Σ metric totals × weight,
// saturating.
func Productivity(p *networkv1.Params, w *reportv1.WorkRecord) uint64 {
	var sum uint64
	for _, t := range w.Totals {
		m := network.MetricByID(p, t.Id)
		if m == nil {
			continue
		}
		hi, lo := mul64(t.Value, m.Weight)
		if hi != 0 {
			return ^uint64(0)
		}
		if sum+lo < sum {
			return ^uint64(0)
		}
		sum += lo
	}
	return sum
}

type worker struct {
	id   crypto.DeviceID
	dev  *devicev1.Device
	work *reportv1.WorkRecord
}

// rewardEpoch computes and records epoch e's rewards of network n.
func (k Keeper) rewardEpoch(ctx state.Context, n *networkv1.Network, st *rewardv1.State, e uint64) error {
	params := network.ParamsForEpoch(n, e)
	rp := network.RewardsOf(params)
	emission := Emission(rp, st, e)
	if emission == 0 {
		return nil // no emission (none configured, or past the cap): nothing to share
	}
	// Devices that did verified work in the epoch, in id order.
	var ws []worker
	store.Each(ctx.KV, device.ByNetworkPrefix(n.Id), func(key, _ []byte) bool {
		id, ok := device.IDFromIndexKey(key)
		if !ok {
			return true
		}
		d := k.Device.Get(ctx.KV, id)
		if d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
			return true
		}
		var w *reportv1.WorkRecord
		if d.WorkEpoch == e && d.Work != nil {
			w = d.Work
		} else if v := ctx.KV.Get(report.WorkKey(n.Id, e, id)); v != nil {
			w = &reportv1.WorkRecord{}
			unmarshal(v, w)
		}
		if w != nil && w.ReportsAccepted > 0 {
			ws = append(ws, worker{id: id, dev: d, work: w})
		}
		return true
	})
	boosts := k.boosts(ctx.KV, n.Id, e)
	ins := make([]Input, len(ws))
	for i, w := range ws {
		alpha, beta := w.dev.RepAlpha, w.dev.RepBeta
		if !w.dev.RepInit {
			alpha, beta = rp.RepAlpha0, rp.RepBeta0
		}
		ins[i] = Input{
			Productivity:   Productivity(params, w.work),
			CoveredSeconds: w.work.CoveredSeconds,
			RepAlpha:       alpha, RepBeta: beta,
			Cell:     w.dev.Cell,
			BoostBPS: boostFor(boosts, w.dev.Cell),
		}
	}
	res, err := Compute(Params{
		Emission: emission, EpochSeconds: params.EpochSeconds, Pools: rp.Pools,
		RepThresholdPPM: rp.RepThresholdPpm, Geo: geoRulesFor(rp.Geo, ins),
		Disk1: h3.Disk1, Parent: h3.Parent,
	}, ins)
	if err != nil {
		return err
	}
	if res.Distributed > 0 {
		if err := k.Bank.Mint(ctx, Pool, []*bankv1.Coin{bank.Coin(n.RewardDenom, res.Distributed)}, "epoch_rewards"); err != nil {
			return err
		}
	}
	if res.Treasury > 0 {
		if err := k.Bank.Mint(ctx, report.TreasuryAddress(n.Id), []*bankv1.Coin{bank.Coin(n.RewardDenom, res.Treasury)}, "treasury"); err != nil {
			return err
		}
	}
	total := res.TotalWeight.String()
	for i, w := range ws {
		o := &res.Devices[i]
		if r := o.Reward(); r > 0 {
			setUnclaimed(ctx.KV, w.id, k.Unclaimed(ctx.KV, w.id)+r) // ≤ supply: no overflow
		}
		b := &rewardv1.Breakdown{
			Network: n.Id, Epoch: e, Device: w.id.Bytes(),
			Productivity: ins[i].Productivity, ReportsAccepted: w.work.ReportsAccepted, ReportsRejected: w.work.ReportsRejected,
			CoveredSeconds: w.work.CoveredSeconds, EpochSeconds: params.EpochSeconds,
			UptimePpm: o.UptimePPM, ReputationPpm: o.ReputationPPM, BelowThreshold: o.BelowThreshold, QualityPpm: o.QualityPPM,
			GeoPpm: o.GeoPPM, Cell: w.dev.Cell, BoostBps: o.BoostBPS, Weight: o.Weight.String(),
			WorkReward: o.Work, AvailabilityReward: o.Availability, Reward: o.Reward(),
			Denom: n.RewardDenom, Emission: emission, TotalWeight: total, Devices: uint64(len(ws)),
		}
		ctx.KV.Set(BreakdownKey(n.Id, e, w.id), marshal(b))
	}
	st.Minted += res.Minted
	st.Treasury += res.Treasury
	st.Unclaimed += res.Distributed
	ctx.Emit(&rewardv1.EventEpochRewarded{Network: n.Id, Epoch: e, Emission: emission, Minted: res.Minted,
		Distributed: res.Distributed, Treasury: res.Treasury, Devices: uint64(len(ws))})
	return nil
}

// geoRulesFor drops rules finer than some device's cell (a device
// registered at a coarse resolution cannot be placed in a finer hex).
func geoRulesFor(rules []*rewardv1.GeoRule, ins []Input) []*rewardv1.GeoRule {
	coarsest := 15
	for _, in := range ins {
		coarsest = min(coarsest, h3.Resolution(in.Cell))
	}
	var out []*rewardv1.GeoRule
	for _, r := range rules {
		if int(r.Resolution) <= coarsest {
			out = append(out, r)
		}
	}
	return out
}

// boosts returns the network's boosts in force in epoch e, by cell.
func (Keeper) boosts(r store.Reader, net string, e uint64) map[uint64]uint32 {
	m := map[uint64]uint32{}
	store.Each(r, NetworkBoostPrefix(net), func(_, v []byte) bool {
		b := &rewardv1.Boost{}
		unmarshal(v, b)
		if b.UntilEpoch >= e {
			m[b.Cell] = b.MultiplierBps
		}
		return true
	})
	return m
}

// boostFor is the largest boost on any ancestor of cell (0: none).
func boostFor(boosts map[uint64]uint32, cell uint64) uint32 {
	if len(boosts) == 0 {
		return 0
	}
	var best uint32
	for r := h3.Resolution(cell); r >= 0; r-- {
		p, err := h3.Parent(cell, r)
		if err != nil {
			continue
		}
		if b, ok := boosts[p]; ok && b > best {
			best = b
		}
	}
	return best
}

// Claim pays the signer the rewards accrued to one of their devices, or
// to all of them.
func (k Keeper) Claim(ctx state.Context, signer crypto.Address, m *rewardv1.MsgClaimRewards) error {
	if !bytes.Equal(m.Owner, signer[:]) {
		return fmt.Errorf("%w: owner must be the signer", errs.ErrUnauthorized)
	}
	var ids []crypto.DeviceID
	if len(m.Device) > 0 {
		id, err := crypto.AddressFromBytes(m.Device)
		if err != nil {
			return fmt.Errorf("%w: device: %v", errs.ErrInvalidRequest, err)
		}
		d := k.Device.Get(ctx.KV, id)
		if d == nil {
			return fmt.Errorf("%w: device %s is not registered", errs.ErrNotFound, crypto.DeviceString(id))
		}
		if !bytes.Equal(d.Owner, signer[:]) {
			return fmt.Errorf("%w: device %s belongs to another account", errs.ErrUnauthorized, crypto.DeviceString(id))
		}
		ids = append(ids, id)
	} else {
		store.Each(ctx.KV, device.ByOwnerPrefix(signer), func(key, _ []byte) bool {
			if id, ok := device.IDFromIndexKey(key); ok {
				ids = append(ids, id)
			}
			return true
		})
	}
	byDenom := map[string]uint64{}
	byNet := map[string]uint64{}
	denomOf := map[string]string{}
	paid := 0
	for _, id := range ids {
		amt := k.Unclaimed(ctx.KV, id)
		if amt == 0 {
			continue
		}
		d := k.Device.Get(ctx.KV, id)
		n := k.Network.Network(ctx.KV, d.Network)
		byDenom[n.RewardDenom] += amt
		byNet[n.Id] += amt
		denomOf[n.Id] = n.RewardDenom
		setUnclaimed(ctx.KV, id, 0)
		paid++
	}
	if paid == 0 {
		return ErrNothingToClaim
	}
	denoms := make([]string, 0, len(byDenom))
	for d := range byDenom {
		denoms = append(denoms, d)
	}
	sort.Strings(denoms)
	for _, d := range denoms {
		if err := k.Bank.Send(ctx, Pool, signer, []*bankv1.Coin{bank.Coin(d, byDenom[d])}, "claim"); err != nil {
			return err
		}
		ctx.Emit(&rewardv1.EventRewardsClaimed{Owner: signer.String(), Denom: d, Amount: byDenom[d], Devices: uint32(paid)})
	}
	nets := make([]string, 0, len(byNet))
	for id := range byNet {
		nets = append(nets, id)
	}
	sort.Strings(nets)
	for _, id := range nets {
		st := k.State(ctx.KV, id)
		if st == nil {
			return errors.New("reward state missing for a network with unclaimed rewards")
		}
		st.Claimed += byNet[id]
		st.Unclaimed -= byNet[id]
		ctx.KV.Set(StateKey(id), marshal(st))
	}
	return nil
}

// SetBoost lets a network's owner boost (or un-boost) a cell.
func (k Keeper) SetBoost(ctx state.Context, signer crypto.Address, m *rewardv1.MsgSetBoost) error {
	n := k.Network.Network(ctx.KV, m.Network)
	if n == nil {
		return fmt.Errorf("%w: network %q", errs.ErrNotFound, m.Network)
	}
	if !bytes.Equal(m.Owner, signer[:]) || !bytes.Equal(n.Owner, signer[:]) {
		return fmt.Errorf("%w: only the network's owner sets boosts", errs.ErrUnauthorized)
	}
	b := m.Boost
	if b == nil {
		return fmt.Errorf("%w: missing", ErrInvalidBoost)
	}
	if err := h3.Validate(b.Cell); err != nil {
		return fmt.Errorf("%w: cell: %v", ErrInvalidBoost, err)
	}
	if b.MultiplierBps < BPS || b.MultiplierBps > MaxBoostBPS {
		return fmt.Errorf("%w: multiplier %d bps (10000..1000000)", ErrInvalidBoost, b.MultiplierBps)
	}
	if b.MultiplierBps == BPS {
		ctx.KV.Delete(BoostKey(n.Id, b.Cell))
	} else {
		if network.EpochAt(n, ctx.Time.Unix()) > b.UntilEpoch {
			return fmt.Errorf("%w: until_epoch %d has passed", ErrInvalidBoost, b.UntilEpoch)
		}
		ctx.KV.Set(BoostKey(n.Id, b.Cell), marshal(b))
	}
	ctx.Emit(&rewardv1.EventBoostSet{Network: n.Id, Cell: b.Cell, MultiplierBps: b.MultiplierBps, UntilEpoch: b.UntilEpoch})
	return nil
}

// CheckInvariant verifies every network's bookkeeping against the bank:
// minted = claimed + treasury + unclaimed, the reward pool holds exactly
// the unclaimed rewards of each denom, and the unclaimed records sum to it.
func (k Keeper) CheckInvariant(r store.Reader) error {
	unclaimedByDenom := map[string]uint64{}
	store.Each(r, StatePrefix, func(_, v []byte) bool {
		st := &rewardv1.State{}
		unmarshal(v, st)
		if st.Minted != st.Claimed+st.Treasury+st.Unclaimed {
			unclaimedByDenom["!"+st.Network] = 1
		}
		if n := k.Network.Network(r, st.Network); n != nil {
			unclaimedByDenom[n.RewardDenom] += st.Unclaimed
		}
		return true
	})
	for key := range unclaimedByDenom {
		if len(key) > 0 && key[0] == '!' {
			return fmt.Errorf("reward invariant: network %s: minted ≠ claimed + treasury + unclaimed", key[1:])
		}
	}
	records := map[string]uint64{}
	store.Each(r, UnclaimedPrefix, func(key, v []byte) bool {
		id, err := crypto.AddressFromBytes(key[len(UnclaimedPrefix):])
		if err != nil {
			return true
		}
		if d := k.Device.Get(r, id); d != nil {
			if n := k.Network.Network(r, d.Network); n != nil {
				records[n.RewardDenom] += binary.BigEndian.Uint64(v)
			}
		}
		return true
	})
	for denom, want := range unclaimedByDenom {
		if got := k.Bank.Balance(r, Pool, denom); got != want {
			return fmt.Errorf("reward invariant: pool holds %d %s, unclaimed is %d", got, denom, want)
		}
		if records[denom] != want {
			return fmt.Errorf("reward invariant: device records hold %d %s, unclaimed is %d", records[denom], denom, want)
		}
	}
	return nil
}
