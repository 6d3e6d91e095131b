package reward

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
)

// Payouts take part in a device's reward as a job pays it out.
type Payouts interface {
	// Rewarded is told that a device earned amount (of its network's
	// reward denom, held by the pool) for epoch. It may pay part of it
	// out at once with pay, and returns how much it paid (≤ amount); the
	// rest accrues to the device, claimable by its owner (or its share
	// holders).
	Rewarded(ctx state.Context, id crypto.DeviceID, epoch, amount uint64, pay func(to crypto.Address, amount uint64, reason string) error) (uint64, error)
}

// Pool is the account holding rewards accrued to devices until claimed.
var Pool = crypto.ModuleAddress("reward")

// Keeper runs epochs, claims and boosts.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	Report  report.Keeper
	// Payouts is told of every device reward as it is paid out, and may
	// pay part of it at once (x/share: a lessee's cut; the share books).
	Payouts Payouts
	// BlockBudget bounds the devices one block's reward work reads and
	// pays (0: DefaultBlockBudget). Every validator must use the same: it
	// is set where the app is built, never from a node's configuration.
	BlockBudget int
}

func (k Keeper) budget() int {
	if k.BlockBudget > 0 {
		return k.BlockBudget
	}
	return DefaultBlockBudget
}

// State returns a network's bookkeeping, or nil.
func (Keeper) State(r store.Reader, net string) *rewardv1.State {
	return state.Load[rewardv1.State](r, StateKey(net))
}

// Breakdown returns a device's breakdown for an epoch, or nil.
func (Keeper) Breakdown(r store.Reader, net string, epoch uint64, id crypto.DeviceID) *rewardv1.Breakdown {
	return state.Load[rewardv1.Breakdown](r, BreakdownKey(net, epoch, id))
}

// Unclaimed returns a device's accrued, unclaimed reward.
func (Keeper) Unclaimed(r store.Reader, id crypto.DeviceID) uint64 {
	v, _ := state.Uint64(r, UnclaimedKey(id))
	return v
}

func setUnclaimed(kv store.KV, id crypto.DeviceID, v uint64) {
	state.SetAmount(kv, UnclaimedKey(id), v)
}

// DefaultBlockBudget bounds the reward work of one block: devices read while
// gathering an epoch's work, plus devices paid out while distributing.
// The computation itself (all the epoch's devices at once, ~0.45 s per
// million) runs in the block between the two phases.
const DefaultBlockBudget = 5_000

// EpochEnded implements network.EpochHook: the ended epoch, if it has
// an emission, is queued for a reward job. The hook runs before the block's transactions,
// so the ended epoch's work is final and params an owner scheduled are
// not yet in force.
func (k Keeper) EpochEnded(ctx state.Context, n *networkv1.Network, ended, _ uint64) error {
	st := k.State(ctx.KV, n.Id)
	if st == nil {
		return nil // no reward step has run yet: its first one starts the books
	}
	if Emission(network.RewardsOf(network.ParamsForEpoch(n, ended)), st, ended) > 0 {
		st.Queued = append(st.Queued, ended)
		ctx.KV.Set(StateKey(n.Id), state.Marshal(st))
	}
	return nil
}

// BeginNetwork is a network's reward step, at the start of every block:
// its reward jobs gather the queued epochs' work, compute and mint, then
// pay out, at most the block budget devices per block. A network's first
// step starts its books.
func (k Keeper) BeginNetwork(ctx state.Context, id string) error {
	n := k.Network.Current(ctx, id)
	st := k.State(ctx.KV, id)
	if st == nil {
		st = &rewardv1.State{Network: id, FirstEpoch: network.EpochAt(n, ctx.Time.Unix())}
		ctx.KV.Set(StateKey(id), state.Marshal(st))
		return nil
	}
	changed := false
	job := state.Load[rewardv1.Job](ctx.KV, JobKey(id))
	budget := k.budget()
	for budget > 0 {
		if job == nil {
			if len(st.Queued) == 0 {
				break
			}
			job = &rewardv1.Job{Epoch: st.Queued[0], Phase: rewardv1.JobPhase_JOB_PHASE_GATHER}
			st.Queued = st.Queued[1:]
			changed = true
		}
		done, err := k.step(ctx, n, st, job, &budget)
		if err != nil {
			return err
		}
		changed = true
		if done {
			ctx.KV.Delete(JobKey(id))
			job = nil
		} else {
			ctx.KV.Set(JobKey(id), state.Marshal(job))
		}
	}
	if changed {
		ctx.KV.Set(StateKey(id), state.Marshal(st))
	}
	return nil
}

// chunkPrefix + network 0x00 kind('i': inputs, 'r': results) index(4) →
// a chunk of a running job.
var chunkPrefix = []byte("reward/c/")

func chunkKey(kind byte, net string, i uint32) []byte {
	return keys.New(chunkPrefix).Str(net).Sep().Byte(kind).U32(i)
}

// step does up to *budget devices of work on job and reports whether the
// job is finished.
func (k Keeper) step(ctx state.Context, n *networkv1.Network, st *rewardv1.State, job *rewardv1.Job, budget *int) (bool, error) {
	params := network.ParamsForEpoch(n, job.Epoch)
	switch job.Phase {
	case rewardv1.JobPhase_JOB_PHASE_GATHER:
		finished := k.gather(ctx, n, params, job, budget)
		if !finished {
			return false, nil
		}
		if err := k.compute(ctx, n, params, st, job); err != nil {
			return false, err
		}
		if job.Devices == 0 {
			return true, nil
		}
		return false, nil
	case rewardv1.JobPhase_JOB_PHASE_DISTRIBUTE:
		for *budget > 0 && job.NextChunk < job.Chunks {
			rc := &rewardv1.ResultChunk{}
			key := chunkKey('r', n.Id, job.NextChunk)
			state.Get(ctx.KV, key, rc)
			for _, b := range rc.Breakdowns {
				id, err := crypto.AddressFromBytes(b.Device)
				if err != nil {
					return false, err
				}
				if b.Reward > 0 {
					if err := k.pay(ctx, n, st, id, b); err != nil {
						return false, err
					}
				}
				ctx.KV.Set(BreakdownKey(n.Id, b.Epoch, id), state.Marshal(b))
				ctx.Emit(&rewardv1.EventDeviceRewarded{Breakdown: b})
			}
			ctx.KV.Delete(key)
			*budget -= max(1, len(rc.Breakdowns))
			job.NextChunk++
		}
		return job.NextChunk >= job.Chunks, nil
	}
	return false, fmt.Errorf("reward job in phase %s", job.Phase)
}

// pay books a device's reward: what its payouts (a lessee) take at once
// is paid from the pool; the rest accrues to the device until claimed.
func (k Keeper) pay(ctx state.Context, n *networkv1.Network, st *rewardv1.State, id crypto.DeviceID, b *rewardv1.Breakdown) error {
	var paid uint64
	if k.Payouts != nil {
		var err error
		paid, err = k.Payouts.Rewarded(ctx, id, b.Epoch, b.Reward, func(to crypto.Address, amount uint64, reason string) error {
			return k.Bank.Send(ctx, Pool, to, bank.Coins(n.RewardDenom, amount), reason)
		})
		if err != nil {
			return err
		}
		if paid > b.Reward {
			return fmt.Errorf("payouts paid %d of a reward of %d", paid, b.Reward)
		}
	}
	st.Pending -= paid
	st.Claimed += paid
	rest := b.Reward - paid
	setUnclaimed(ctx.KV, id, k.Unclaimed(ctx.KV, id)+rest) // ≤ supply
	st.Pending -= rest
	st.Unclaimed += rest
	return nil
}

// PayOut implements share.RewardPool: it pays amount of a device's
// unclaimed rewards to an account.
func (k Keeper) PayOut(ctx state.Context, net string, id crypto.DeviceID, to crypto.Address, amount uint64, reason string) (string, error) {
	n := k.Network.Network(ctx.KV, net)
	st := k.State(ctx.KV, net)
	u := k.Unclaimed(ctx.KV, id)
	if n == nil || st == nil || amount > u || amount > st.Unclaimed {
		return "", fmt.Errorf("paying %d of device %s's rewards: it has %d unclaimed", amount, crypto.DeviceString(id), u)
	}
	if err := k.Bank.Send(ctx, Pool, to, bank.Coins(n.RewardDenom, amount), reason); err != nil {
		return "", err
	}
	setUnclaimed(ctx.KV, id, u-amount)
	st.Unclaimed -= amount
	st.Claimed += amount
	ctx.KV.Set(StateKey(net), state.Marshal(st))
	return n.RewardDenom, nil
}

// gather reads up to *budget devices of the network after the job's
// cursor and stores the inputs of those that worked in the epoch as one
// chunk. It reports whether every device has been read.
func (k Keeper) gather(ctx state.Context, n *networkv1.Network, params *networkv1.Params, job *rewardv1.Job, budget *int) bool {
	rp := network.RewardsOf(params)
	boosts := k.boosts(ctx.KV, n.Id, job.Epoch)
	prefix := device.ByNetworkPrefix(n.Id)
	start := prefix
	if len(job.Cursor) > 0 {
		start = keys.New(job.Cursor).Sep() // the first key after the cursor
	}
	chunk := &rewardv1.InputChunk{}
	finished := true
	for key := range store.Range(ctx.KV, start, store.PrefixEnd(prefix)) {
		if *budget <= 0 {
			finished = false
			break
		}
		*budget--
		job.Cursor = bytes.Clone(key)
		id, ok := device.IDFromIndexKey(key)
		if !ok {
			continue
		}
		d := k.Device.Get(ctx.KV, id)
		if d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
			continue
		}
		var w *reportv1.WorkRecord
		if d.WorkEpoch == job.Epoch && d.Work != nil {
			w = d.Work
		} else {
			w = state.Load[reportv1.WorkRecord](ctx.KV, report.WorkKey(n.Id, job.Epoch, id))
		}
		if w == nil || w.ReportsAccepted == 0 {
			continue
		}
		rep := device.ReputationOf(d, rp)
		chunk.Inputs = append(chunk.Inputs, &rewardv1.WorkerInput{
			Device: id.Bytes(), Productivity: Productivity(params, w), CoveredSeconds: w.CoveredSeconds,
			RepAlpha: rep.Alpha, RepBeta: rep.Beta, Cell: d.Cell, BoostBps: boostFor(boosts, d.Cell),
			ReportsAccepted: w.ReportsAccepted, ReportsRejected: w.ReportsRejected,
		})
	}
	if len(chunk.Inputs) > 0 {
		ctx.KV.Set(chunkKey('i', n.Id, job.Chunks), state.Marshal(chunk))
		job.Chunks++
		job.Devices += uint64(len(chunk.Inputs))
	}
	return finished
}

// compute reads every gathered input, shares the epoch's emission, mints
// it, and writes the results as chunks for distribution.
func (k Keeper) compute(ctx state.Context, n *networkv1.Network, params *networkv1.Params, st *rewardv1.State, job *rewardv1.Job) error {
	rp := network.RewardsOf(params)
	var ws []*rewardv1.WorkerInput
	sizes := make([]int, 0, job.Chunks)
	for i := uint32(0); i < job.Chunks; i++ {
		ic := &rewardv1.InputChunk{}
		state.Get(ctx.KV, chunkKey('i', n.Id, i), ic)
		ctx.KV.Delete(chunkKey('i', n.Id, i))
		ws = append(ws, ic.Inputs...)
		sizes = append(sizes, len(ic.Inputs))
	}
	emission := Emission(rp, st, job.Epoch)
	job.Phase, job.Chunks, job.NextChunk = rewardv1.JobPhase_JOB_PHASE_DISTRIBUTE, 0, 0
	if emission == 0 {
		job.Devices = 0
		return nil
	}
	ins := make([]Input, len(ws))
	for i, w := range ws {
		ins[i] = Input{Productivity: w.Productivity, CoveredSeconds: w.CoveredSeconds, RepAlpha: w.RepAlpha, RepBeta: w.RepBeta, Cell: w.Cell, BoostBPS: w.BoostBps}
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
		if err := k.Bank.Mint(ctx, Pool, bank.Coins(n.RewardDenom, res.Distributed), "epoch_rewards"); err != nil {
			return err
		}
	}
	if res.Treasury > 0 {
		if err := k.Bank.Mint(ctx, network.TreasuryAddress(n.Id), bank.Coins(n.RewardDenom, res.Treasury), "treasury"); err != nil {
			return err
		}
	}
	st.Minted += res.Minted
	st.Treasury += res.Treasury
	st.Pending += res.Distributed
	total := res.TotalWeight.String()
	pos := 0
	for _, size := range sizes {
		rc := &rewardv1.ResultChunk{Breakdowns: make([]*rewardv1.Breakdown, 0, size)}
		for i := pos; i < pos+size; i++ {
			w, o := ws[i], &res.Devices[i]
			rc.Breakdowns = append(rc.Breakdowns, &rewardv1.Breakdown{
				Network: n.Id, Epoch: job.Epoch, Device: w.Device,
				Productivity: w.Productivity, ReportsAccepted: w.ReportsAccepted, ReportsRejected: w.ReportsRejected,
				CoveredSeconds: w.CoveredSeconds, EpochSeconds: params.EpochSeconds,
				UptimePpm: o.UptimePPM, ReputationPpm: o.ReputationPPM, BelowThreshold: o.BelowThreshold, QualityPpm: o.QualityPPM,
				GeoPpm: o.GeoPPM, Cell: w.Cell, BoostBps: o.BoostBPS, Weight: o.Weight.String(),
				WorkReward: o.Work, AvailabilityReward: o.Availability, Reward: o.Reward(),
				Denom: n.RewardDenom, Emission: emission, TotalWeight: total, Devices: uint64(len(ws)),
			})
		}
		pos += size
		ctx.KV.Set(chunkKey('r', n.Id, job.Chunks), state.Marshal(rc))
		job.Chunks++
	}
	ctx.Emit(&rewardv1.EventEpochRewarded{Network: n.Id, Epoch: job.Epoch, Emission: emission, Minted: res.Minted,
		Distributed: res.Distributed, Treasury: res.Treasury, Devices: uint64(len(ws))})
	return nil
}

// Emission is the network's emission for epoch e: the initial amount
// halved every halving_epochs epochs since its first, capped so that the
// total minted never exceeds max_supply (or network.MaxRewardSupply).
func Emission(rp *rewardv1.RewardParams, st *rewardv1.State, e uint64) uint64 {
	em := rp.EpochEmission
	if rp.HalvingEpochs > 0 && e > st.FirstEpoch {
		h := (e - st.FirstEpoch) / rp.HalvingEpochs
		if h >= 64 {
			return 0
		}
		em >>= h
	}
	// Capped so that all units ever minted stay within the cap (at most
	// network.MaxRewardSupply): no supply or book can overflow.
	limit := network.SupplyCap(rp)
	if st.Minted >= limit {
		return 0
	}
	return min(em, limit-st.Minted)
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
		wu, ok := fixed.Mul(t.Value, m.Weight)
		if !ok {
			return ^uint64(0)
		}
		if sum, ok = fixed.Add(sum, wu); !ok {
			return ^uint64(0)
		}
	}
	return sum
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
	for _, b := range state.Records[rewardv1.Boost](r, NetworkBoostPrefix(net)) {
		if b.UntilEpoch >= e {
			m[b.Cell] = b.MultiplierBps
		}
	}
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
	var ids []crypto.DeviceID
	if len(m.Device) > 0 {
		_, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	} else {
		for key := range store.Prefix(ctx.KV, device.ByOwnerPrefix(signer)) {
			if id, ok := device.IDFromIndexKey(key); ok {
				ids = append(ids, id)
			}
		}
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
		if d.Tokenized {
			if len(m.Device) > 0 {
				return fmt.Errorf("%w: device %s is split into shares: its holders claim (claim-shares)", errs.ErrInvalidRequest, crypto.DeviceString(id))
			}
			continue // its rewards belong to the share holders
		}
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
		if err := k.Bank.Send(ctx, Pool, signer, bank.Coins(d, byDenom[d]), "claim"); err != nil {
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
		ctx.KV.Set(StateKey(id), state.Marshal(st))
	}
	return nil
}

// SetBoost lets a network's owner boost (or un-boost) a cell.
func (k Keeper) SetBoost(ctx state.Context, signer crypto.Address, m *rewardv1.MsgSetBoost) error {
	n := k.Network.Network(ctx.KV, m.Network)
	if n == nil {
		return fmt.Errorf("%w: network %q", errs.ErrNotFound, m.Network)
	}
	if !bytes.Equal(n.Owner, signer[:]) {
		return fmt.Errorf("%w: only the network's owner sets boosts", errs.ErrUnauthorized)
	}
	b := m.Boost
	if b == nil {
		return fmt.Errorf("%w: missing", ErrInvalidBoost)
	}
	if err := h3.Validate(b.Cell); err != nil {
		return fmt.Errorf("%w: cell: %v", ErrInvalidBoost, err)
	}
	if b.MultiplierBps < fixed.BPS || b.MultiplierBps > MaxBoostBPS {
		return fmt.Errorf("%w: multiplier %d bps (10000..1000000)", ErrInvalidBoost, b.MultiplierBps)
	}
	if b.MultiplierBps == fixed.BPS {
		ctx.KV.Delete(BoostKey(n.Id, b.Cell))
	} else {
		if network.EpochAt(n, ctx.Time.Unix()) > b.UntilEpoch {
			return fmt.Errorf("%w: until_epoch %d has passed", ErrInvalidBoost, b.UntilEpoch)
		}
		ctx.KV.Set(BoostKey(n.Id, b.Cell), state.Marshal(b))
	}
	ctx.Emit(&rewardv1.EventBoostSet{Network: n.Id, Cell: b.Cell, MultiplierBps: b.MultiplierBps, UntilEpoch: b.UntilEpoch})
	return nil
}

// CheckInvariant verifies every network's bookkeeping against the bank:
// minted = claimed + treasury + unclaimed + pending, the reward pool holds
// exactly the unclaimed and pending rewards of each denom, and the
// unclaimed records sum to the unclaimed total.
func (k Keeper) CheckInvariant(r store.Reader) error {
	unclaimedByDenom := map[string]uint64{}
	pendingByDenom := map[string]uint64{}
	for _, st := range state.Records[rewardv1.State](r, StatePrefix) {
		if st.Minted != st.Claimed+st.Treasury+st.Unclaimed+st.Pending {
			return fmt.Errorf("reward invariant: network %s: minted ≠ claimed + treasury + unclaimed + pending", st.Network)
		}
		if n := k.Network.Network(r, st.Network); n != nil {
			unclaimedByDenom[n.RewardDenom] += st.Unclaimed
			pendingByDenom[n.RewardDenom] += st.Pending
		}
	}
	records := map[string]uint64{}
	for key, v := range store.Prefix(r, UnclaimedPrefix) {
		id, err := crypto.AddressFromBytes(key[len(UnclaimedPrefix):])
		if err != nil {
			continue
		}
		if d := k.Device.Get(r, id); d != nil {
			if n := k.Network.Network(r, d.Network); n != nil {
				records[n.RewardDenom] += binary.BigEndian.Uint64(v)
			}
		}
	}
	for denom, want := range unclaimedByDenom {
		if got := k.Bank.Balance(r, Pool, denom); got != want+pendingByDenom[denom] {
			return fmt.Errorf("reward invariant: pool holds %d %s, unclaimed + pending is %d", got, denom, want+pendingByDenom[denom])
		}
		if records[denom] != want {
			return fmt.Errorf("reward invariant: device records hold %d %s, unclaimed is %d", records[denom], denom, want)
		}
	}
	return nil
}
