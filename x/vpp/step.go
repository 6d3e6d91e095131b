package vpp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"

	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// BeginNetwork is a network's flexibility step, run at the start of
// every block: members whose notice ran out leave, due challenges are
// drawn, due dispatches are settled and queued ones weighed and
// allocated — the last two a member at a time under the block's budget,
// shared by every network, so a dispatch over 100,000 batteries spreads
// over blocks. It runs when the network's flexibility params are gone
// too: what was escrowed under them is settled under the terms each
// dispatch kept.
func (k Keeper) BeginNetwork(ctx state.Context, net string, budget *int) error {
	n := k.Network.Current(ctx, net)
	if n == nil {
		return nil
	}
	now := ctx.Time.Unix()
	k.leaves(ctx, net, now, budget)
	if vp := n.Params.Vpp; vp != nil && n.Class == networkv1.ResourceClass_RESOURCE_CLASS_ENERGY {
		k.challenges(ctx, n, vp, now, budget)
	}
	if err := k.settleDue(ctx, n, now, budget); err != nil {
		return err
	}
	k.allocateQueued(ctx, net, budget)
	return nil
}

// What visiting a member costs of the block budget, in the units of
// Keeper.BlockBudget (measured on the on-disk tree at 100,000 members,
// docs/PERFORMANCE.md: weighing reads a member, allocating also writes
// it, settling writes it, the owner's balance and, on a miss, the device,
// and pays for the tree's save of all that in the next block).
const (
	costWeigh    = 1
	costAllocate = 2
	costSettle   = 4
)

// due returns the keys under a timer prefix whose time is ≤ now, at most
// limit of them.
func due(r store.Reader, prefix []byte, now int64, limit int) [][]byte {
	var out [][]byte
	for key := range store.Prefix(r, prefix) {
		if t, ok := api.TimeFromKey(prefix, key); !ok || t > now || len(out) >= limit {
			break
		}
		out = append(out, bytes.Clone(key))
	}
	return out
}

// leaves takes out the members whose notice ran out (one whose dispatch
// has not settled yet leaves when it settles).
func (k Keeper) leaves(ctx state.Context, net string, now int64, budget *int) {
	prefix := api.LeaveNetPrefix(net)
	for _, key := range due(ctx.KV, prefix, now, max(*budget, 0)) {
		*budget--
		ctx.KV.Delete(key)
		tail := key[len(prefix)+8:]
		if len(tail) != 8+crypto.AddressLen {
			continue
		}
		pool := binary.BigEndian.Uint64(tail)
		id, _ := crypto.AddressFromBytes(tail[8:])
		m, p := k.Member(ctx.KV, pool, id), k.Pool(ctx.KV, pool)
		if m == nil || p == nil || m.LeaveTime == 0 || m.LeaveTime > now || len(m.Allocs) > 0 {
			continue
		}
		m.LeaveTime = 0 // its key is gone already
		k.removeMember(ctx, p, m, "left")
		k.setPool(ctx.KV, p)
	}
}

// challenges tests random members of every pool whose challenge is due:
// a short dispatch, starting at the first interval boundary at least
// min_lead_seconds away, for one interval, at challenge_power_bps of the
// member's headroom; no one pays for it and no stake is taken, but a
// member that does not respond loses reputation and counts a miss.
func (k Keeper) challenges(ctx state.Context, n *networkv1.Network, vp *vppv1.VppParams, now int64, budget *int) {
	prefix := api.ChallengeNetPrefix(n.Id)
	for _, key := range due(ctx.KV, prefix, now, max(*budget/64, 0)) {
		if *budget <= 0 {
			return
		}
		ctx.KV.Delete(key)
		*budget -= costWeigh
		pool, _ := binary.BigEndian.Uint64(key[len(key)-8:]), 0
		p := k.Pool(ctx.KV, pool)
		if p == nil || p.Closed {
			continue
		}
		p.NextChallenge = now + int64(min(max(vp.ChallengeSeconds, vp.IntervalSeconds), api.MaxChallengeSeconds))
		ctx.KV.Set(api.ChallengeKey(n.Id, p.NextChallenge, p.Id), []byte{})
		// Only a pool with members is worth its draws (anyone may open
		// pools: empty ones must not take the budget every network shares).
		if p.Members > 0 && vp.ChallengeDevices > 0 && vp.ChallengeSeconds > 0 {
			*budget -= int(vp.ChallengeDevices) * costAllocate
			k.challenge(ctx, n, vp, p, now)
		}
		k.setPool(ctx.KV, p)
	}
}

// challenge draws a pool's challenge from the block hash.
func (k Keeper) challenge(ctx state.Context, n *networkv1.Network, vp *vppv1.VppParams, p *vppv1.Pool, now int64) {
	iv := int64(vp.IntervalSeconds)
	start := (now + int64(vp.MinLeadSeconds) + iv - 1) / iv * iv
	if start <= now {
		start += iv
	}
	end := start + iv
	seed := sha256.New()
	seed.Write([]byte("depin/vpp/challenge/v1"))
	seed.Write(ctx.BlockHash)
	seed.Write(binary.BigEndian.AppendUint64(nil, p.Id))
	seed.Write(binary.BigEndian.AppendUint64(nil, uint64(now)))
	s := seed.Sum(nil)
	prefix := api.MembersPrefix(p.Id)
	d := &vppv1.Dispatch{Pool: p.Id, Network: n.Id, Start: start, End: end,
		Denom: p.Denom, MinResponseBps: p.MinResponseBps, IntervalSeconds: vp.IntervalSeconds,
		SettleTime: end + int64(vp.SettleDelaySeconds), Status: vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED,
		Challenge: true, CreatedHeight: ctx.Height, ChargedMetric: vp.ChargedMetric, DischargedMetric: vp.DischargedMetric}
	var picked []*vppv1.Member
	for draw := 0; draw < 2*int(vp.ChallengeDevices) && len(picked) < int(vp.ChallengeDevices); draw++ {
		h := sha256.Sum256(append(binary.BigEndian.AppendUint32(bytes.Clone(s), uint32(draw)), 0))
		m := k.memberAtOrAfter(ctx.KV, prefix, h[:crypto.AddressLen])
		if m == nil || m.LeaveTime != 0 || len(m.Allocs) >= api.MaxAllocations || overlaps(m, start, end) || pickedAlready(picked, m) {
			continue
		}
		dir := vppv1.Direction_DIRECTION_DISCHARGE
		if m.SocKnown && m.SocPpt < (api.PPT+m.MinSocPpt)/2 {
			dir = vppv1.Direction_DIRECTION_CHARGE
		}
		w := fixed.Frac(api.Headroom(m, dir, uint64(iv)), uint64(vp.ChallengePowerBps), api.BPS)
		if w == 0 {
			continue
		}
		m.Allocs = append(m.Allocs, &vppv1.Allocation{Direction: dir, PowerW: w, Start: start, End: end, Challenge: true,
			ChargedMetric: vp.ChargedMetric, DischargedMetric: vp.DischargedMetric})
		picked = append(picked, m)
		d.AllocatedW += w
		d.AllocatedWh += api.EnergyWh(w, uint64(iv))
	}
	if len(picked) == 0 {
		return
	}
	d.Id = state.NextSeq(ctx.KV, api.DispatchSeqKey)
	d.PowerW, d.AllocatedMembers = d.AllocatedW, uint64(len(picked))
	// Each member is tested in the direction it has room for: the record
	// names the direction all share, or none when they differ.
	d.Direction = picked[0].Allocs[len(picked[0].Allocs)-1].Direction
	for _, m := range picked[1:] {
		if m.Allocs[len(m.Allocs)-1].Direction != d.Direction {
			d.Direction = vppv1.Direction_DIRECTION_UNSPECIFIED
		}
	}
	ctx.Emit(&vppv1.EventDispatchCreated{Id: d.Id, Pool: p.Id, Network: n.Id, Direction: d.Direction, PowerW: d.PowerW,
		Start: start, End: end, Denom: p.Denom, Challenge: true})
	for _, m := range picked {
		a := m.Allocs[len(m.Allocs)-1]
		a.Dispatch = d.Id
		d.Members = append(d.Members, m.Device)
		k.setMember(ctx.KV, m)
		id, _ := crypto.AddressFromBytes(m.Device)
		ctx.Emit(&vppv1.EventDispatchAllocated{Dispatch: d.Id, Pool: p.Id, Network: n.Id, Device: crypto.DeviceString(id),
			Direction: a.Direction, PowerW: a.PowerW, Start: start, End: end, Challenge: true})
	}
	k.setDispatch(ctx.KV, d)
	ctx.KV.Set(api.PoolDispatchKey(p.Id, d.Id), []byte{})
	ctx.KV.Set(api.SettleKey(n.Id, d.SettleTime, d.Id), []byte{})
	p.Challenges++
	ctx.Emit(&vppv1.EventDispatchAllocationDone{Dispatch: d.Id, Pool: p.Id, Network: n.Id, AllocatedW: d.AllocatedW, Members: d.AllocatedMembers})
}

// memberAtOrAfter is the pool's first member whose device id is ≥ at,
// wrapping around to the first member.
func (k Keeper) memberAtOrAfter(r store.Reader, prefix, at []byte) *vppv1.Member {
	for key, v := range store.Range(r, append(bytes.Clone(prefix), at...), store.PrefixEnd(prefix)) {
		return decodeMember(key, v)
	}
	for key, v := range store.Prefix(r, prefix) {
		return decodeMember(key, v)
	}
	return nil
}

func overlaps(m *vppv1.Member, start, end int64) bool {
	for _, a := range m.Allocs {
		if a.Start < end && start < a.End {
			return true
		}
	}
	return false
}

func pickedAlready(picked []*vppv1.Member, m *vppv1.Member) bool {
	for _, p := range picked {
		if bytes.Equal(p.Device, m.Device) {
			return true
		}
	}
	return false
}

// allocateQueued weighs and allocates queued dispatches, oldest first.
func (k Keeper) allocateQueued(ctx state.Context, net string, budget *int) {
	var ids []uint64
	for key := range store.Prefix(ctx.KV, api.QueueNetPrefix(net)) {
		id, _ := binary.BigEndian.Uint64(key[len(key)-8:]), 0
		ids = append(ids, id)
		if len(ids) >= 16 {
			break
		}
	}
	for _, id := range ids {
		if *budget <= 0 {
			return
		}
		d := k.Dispatch(ctx.KV, id)
		if d == nil {
			ctx.KV.Delete(api.QueueKey(net, id))
			continue
		}
		k.allocate(ctx, d, budget)
		k.setDispatch(ctx.KV, d)
		if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING && d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING {
			ctx.KV.Delete(api.QueueKey(net, id))
		}
	}
}

// weight is a member's claim on a dispatch: its headroom for the window
// times its reputation (ppm), 0 if it cannot take part (another
// allocation overlaps the window, it leaves before the window ends).
func weight(m *vppv1.Member, d *vppv1.Dispatch) uint64 {
	if len(m.Allocs) >= api.MaxAllocations || overlaps(m, d.Start, d.End) || (m.LeaveTime != 0 && m.LeaveTime < d.End) {
		return 0
	}
	return api.Headroom(m, d.Direction, uint64(d.End-d.Start)) * uint64(m.RepPpm) // ≤ 2^30 × 2^20
}

// allocate runs a dispatch's two passes over its pool's members, from
// its cursor, while the budget lasts: weighing sums the members'
// weights, allocating gives each ⌊power × weight / Σ weights⌋, at most
// its headroom and what is left of the power (weights may have changed
// between the passes: the sum only scales them).
func (k Keeper) allocate(ctx state.Context, d *vppv1.Dispatch, budget *int) {
	prefix := api.MembersPrefix(d.Pool)
	start := prefix
	if len(d.Cursor) > 0 {
		start = append(append(bytes.Clone(prefix), d.Cursor...), 0)
	}
	sum := fixed.U128FromBytes(d.WeightSum)
	shift := uint(max(bitLen(sum)-62, 0))
	div := sum.Rsh(shift).Lo
	dur := uint64(d.End - d.Start)
	finished := true
	for key, v := range store.Range(ctx.KV, start, store.PrefixEnd(prefix)) {
		if *budget <= 0 {
			finished = false
			break
		}
		*budget -= costWeigh
		if d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING {
			*budget -= costAllocate - costWeigh
		}
		m := decodeMember(key, v)
		d.Cursor = bytes.Clone(m.Device)
		w := weight(m, d)
		if d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING {
			sum, _ = sum.Add(fixed.U128{Lo: w})
			continue
		}
		if w == 0 || div == 0 || d.AllocatedW >= d.PowerW {
			continue
		}
		share := fixed.Mul64(d.PowerW, w>>shift)
		q, _ := share.Div64(div)
		power := min(api.Headroom(m, d.Direction, dur), d.PowerW-d.AllocatedW)
		if q.Hi == 0 {
			power = min(power, q.Lo)
		}
		if power == 0 {
			continue
		}
		m.Allocs = append(m.Allocs, &vppv1.Allocation{Dispatch: d.Id, Direction: d.Direction, PowerW: power, Start: d.Start, End: d.End,
			ChargedMetric: d.ChargedMetric, DischargedMetric: d.DischargedMetric})
		k.setMember(ctx.KV, m)
		d.AllocatedW += power
		d.AllocatedWh += api.EnergyWh(power, dur)
		d.AllocatedMembers++
		id, _ := crypto.AddressFromBytes(m.Device)
		ctx.Emit(&vppv1.EventDispatchAllocated{Dispatch: d.Id, Pool: d.Pool, Network: d.Network, Device: crypto.DeviceString(id),
			Direction: d.Direction, PowerW: power, Start: d.Start, End: d.End})
	}
	if d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING {
		d.WeightSum = sum.Bytes()
	}
	if !finished {
		return
	}
	d.Cursor = nil
	if d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING {
		d.Status = vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING
		if *budget > 0 {
			k.allocate(ctx, d, budget)
		}
		return
	}
	d.Status = vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED
	ctx.Emit(&vppv1.EventDispatchAllocationDone{Dispatch: d.Id, Pool: d.Pool, Network: d.Network, AllocatedW: d.AllocatedW, Members: d.AllocatedMembers})
}

// settleDue settles the network's dispatches whose settlement time has
// come, a member at a time under the budget.
func (k Keeper) settleDue(ctx state.Context, n *networkv1.Network, now int64, budget *int) error {
	prefix := api.SettleNetPrefix(n.Id)
	for _, key := range due(ctx.KV, prefix, now, 16) {
		if *budget <= 0 {
			return nil
		}
		id, _ := binary.BigEndian.Uint64(key[len(key)-8:]), 0
		d := k.Dispatch(ctx.KV, id)
		if d == nil {
			ctx.KV.Delete(key)
			continue
		}
		switch d.Status {
		case vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING, vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING:
			continue // allocation has not finished: it settles once it has
		case vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED:
			d.Status, d.Cursor = vppv1.DispatchStatus_DISPATCH_STATUS_SETTLING, nil
		}
		done, err := k.settle(ctx, n, d, now, budget)
		if err != nil {
			return err
		}
		if done {
			ctx.KV.Delete(key)
		}
		k.setDispatch(ctx.KV, d)
	}
	return nil
}

// settle visits a settling dispatch's members from its cursor: a
// challenge's drawn members, or every member of the pool for an
// operator's dispatch. It reports whether the dispatch is settled.
func (k Keeper) settle(ctx state.Context, n *networkv1.Network, d *vppv1.Dispatch, now int64, budget *int) (bool, error) {
	p := k.Pool(ctx.KV, d.Pool)
	if p == nil {
		return false, fmt.Errorf("dispatch %d: pool %d is gone", d.Id, d.Pool)
	}
	visit := func(m *vppv1.Member) error {
		for i, a := range m.Allocs {
			if a.Dispatch == d.Id {
				m.Allocs = append(m.Allocs[:i:i], m.Allocs[i+1:]...)
				return k.settleMember(ctx, n, p, d, m, a, now)
			}
		}
		return nil
	}
	finished := true
	if d.Challenge {
		for _, dev := range d.Members {
			id, err := crypto.AddressFromBytes(dev)
			if err != nil {
				continue
			}
			if m := k.Member(ctx.KV, d.Pool, id); m != nil {
				if err := visit(m); err != nil {
					return false, err
				}
			}
		}
		*budget -= costSettle * len(d.Members)
	} else {
		prefix := api.MembersPrefix(d.Pool)
		start := prefix
		if len(d.Cursor) > 0 {
			start = append(append(bytes.Clone(prefix), d.Cursor...), 0)
		}
		var batch []*vppv1.Member
		for key, v := range store.Range(ctx.KV, start, store.PrefixEnd(prefix)) {
			if *budget <= 0 {
				finished = false
				break
			}
			*budget -= costSettle
			batch = append(batch, decodeMember(key, v))
		}
		for _, m := range batch { // not while iterating: settling may delete members
			d.Cursor = bytes.Clone(m.Device)
			if err := visit(m); err != nil {
				return false, err
			}
		}
	}
	k.setPool(ctx.KV, p)
	if !finished {
		return false, nil
	}
	if d.Escrow > 0 {
		op, err := crypto.AddressFromBytes(d.Operator)
		if err != nil {
			return false, fmt.Errorf("dispatch %d: operator: %w", d.Id, err)
		}
		if err := k.Bank.Send(ctx, Escrow, op, bank.Coins(d.Denom, d.Escrow), "vpp_refund"); err != nil {
			return false, err
		}
		d.Refunded, d.Escrow = d.Escrow, 0
	}
	d.Status, d.Cursor = vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED, nil
	p.DeliveredWh = fixed.SatAdd(p.DeliveredWh, d.DeliveredWh)
	p.Paid = fixed.SatAdd(p.Paid, d.Paid)
	k.setPool(ctx.KV, p)
	ctx.Emit(&vppv1.EventDispatchSettled{Dispatch: d.Id, Pool: d.Pool, Network: d.Network, DeliveredWh: d.DeliveredWh, Paid: d.Paid,
		Refunded: d.Refunded, Denom: d.Denom, Responded: d.Responded, Missed: d.Missed, Challenge: d.Challenge,
		AllocatedWh: d.AllocatedWh, BaselineWh: d.BaselineWh})
	return true, nil
}

// settleMember measures one member's delivery on allocation a (already
// taken out of m.Allocs), pays its device's owner, judges its response
// and stores the member (or removes it: dropped, or its notice ran out).
func (k Keeper) settleMember(ctx state.Context, n *networkv1.Network, p *vppv1.Pool, d *vppv1.Dispatch, m *vppv1.Member, a *vppv1.Allocation, now int64) error {
	id, err := crypto.AddressFromBytes(m.Device)
	if err != nil {
		return err
	}
	dur := uint64(d.End - d.Start)
	allocated := api.EnergyWh(a.PowerW, dur)
	delivered, baseline := api.Delivered(allocated, a.WindowWh, a.BaselineWh, dur/max(d.IntervalSeconds, 1))
	ev := &vppv1.EventMemberSettled{Dispatch: d.Id, Pool: d.Pool, Network: d.Network, Device: crypto.DeviceString(id),
		AllocatedWh: allocated, BaselineWh: baseline, MeteredWh: a.WindowWh, DeliveredWh: delivered, Denom: d.Denom, Challenge: d.Challenge}
	dev := k.Device.Get(ctx.KV, id)
	if dev != nil {
		owner, _ := crypto.AddressFromBytes(dev.Owner)
		ev.Owner = owner.String()
		// A device owned by a module account is not paid: paying the
		// escrow itself would fail the step, and paying another module's
		// would break its books; what it earned is refunded with the rest.
		// x/device refuses such transfers; this keeps the step safe if a
		// module account ever owns one another way.
		if !d.Challenge && owner != Escrow && !k.Bank.Escrows[owner] {
			if pay := min(api.Pay(delivered, d.PricePerKwh), d.Escrow); pay > 0 {
				if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(d.Denom, pay), "vpp_payment"); err != nil {
					return err
				}
				d.Escrow -= pay
				d.Paid += pay
				ev.Paid = pay
				m.Earned = fixed.SatAdd(m.Earned, pay)
			}
		}
	}
	ev.Responded = api.Responded(delivered, allocated, d.MinResponseBps)
	if dev != nil && dev.Status == devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		// Only an active device is judged: a jailed or retired one could
		// not report, and was punished for what made it so. A response is
		// what a member promised: it is counted in the member's record;
		// a miss goes on the device's record too — its reputation (as a
		// rejected report does) and the pool's penalty. (Writing the
		// device record of every responder doubled what settling costs.)
		if ev.Responded {
			m.Misses, m.Passed = 0, m.Passed+1
		} else {
			m.Misses, m.Failed = m.Misses+1, m.Failed+1
			device.Observe(dev, network.RewardsOf(n.Params), false)
			if !d.Challenge && d.PenaltyBps > 0 {
				ev.Penalty = k.Device.Penalize(ctx, dev, id, d.PenaltyBps, fmt.Sprintf("missed vpp dispatch %d", d.Id))
				d.Penalties += ev.Penalty
			}
			m.RepPpm = repOf(dev, n)
			k.Device.Set(ctx.KV, dev)
		}
	}
	if ev.Responded {
		d.Responded++
	} else {
		d.Missed++
	}
	d.DeliveredWh = fixed.SatAdd(d.DeliveredWh, delivered)
	d.BaselineWh = fixed.SatAdd(d.BaselineWh, uint64(max(baseline, 0)))
	d.MeteredWh = api.SatAdd(d.MeteredWh, a.WindowWh)
	m.DeliveredWh = fixed.SatAdd(m.DeliveredWh, delivered)
	ctx.Emit(ev)
	maxMisses := uint32(3)
	if vp := n.Params.Vpp; vp != nil {
		maxMisses = vp.MaxMisses
	}
	switch {
	case m.Misses >= maxMisses:
		k.removeMember(ctx, p, m, fmt.Sprintf("dropped: missed %d responses in a row", m.Misses))
	case m.LeaveTime != 0 && m.LeaveTime <= now && len(m.Allocs) == 0:
		k.removeMember(ctx, p, m, "left")
	case dev == nil:
		k.removeMember(ctx, p, m, "device gone")
	case dev.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE:
		// It cannot report again: its allocations would only take power
		// from members that can deliver it.
		k.removeMember(ctx, p, m, "device "+strings.ToLower(strings.TrimPrefix(dev.Status.String(), "DEVICE_STATUS_")))
	case !api.InRegion(p.Cell, dev.Cell):
		k.removeMember(ctx, p, m, "moved out of the pool's region")
	default:
		k.setMember(ctx.KV, m)
	}
	return nil
}

func decodeMember(key, v []byte) *vppv1.Member {
	m := &vppv1.Member{}
	state.Decode(key, v, m)
	return m
}

func bitLen(u fixed.U128) int {
	if u.Hi != 0 {
		return 64 + bits.Len64(u.Hi)
	}
	return bits.Len64(u.Lo)
}
