// Package vpp is energy flexibility: virtual power plants (pools) of
// batteries in an ENERGY network. An operator opens a pool for a region;
// battery owners join it with their limits; the operator buys service
// credits by burning the network's token and dispatches the pool (power
// in one direction over a window), escrowing the most it could pay. The
// chain allocates the power across the members (by headroom and
// reputation, spread over blocks), meters every member's accepted
// reports, and after the window measures what each delivered against its
// own baseline (api/vpp), pays it to the device's owner, penalises
// members that did not respond and refunds the rest. It also tests
// random members with short unannounced challenges, dropping those that
// keep failing.
package vpp

import (
	"bytes"
	"fmt"

	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
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

// Escrow holds what running dispatches may pay.
var Escrow = crypto.ModuleAddress("vpp_escrow")

// DefaultBlockBudget bounds the work of one block's vpp steps over every
// network, in member visits weighted by their cost (step.go: a member
// weighed costs 1, allocated 2, settled 4): 10,000 weighed, 5,000
// allocated or 2,500 settled a block; the rest wait for the next block.
const DefaultBlockBudget = 10_000

// Keeper runs virtual power plants.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	// BlockBudget bounds the members one block visits (0:
	// DefaultBlockBudget). Every validator must use the same.
	BlockBudget int
}

// Budget is the per-block budget.
func (k Keeper) Budget() int {
	if k.BlockBudget > 0 {
		return k.BlockBudget
	}
	return DefaultBlockBudget
}

// Pool returns a pool, or nil.
func (Keeper) Pool(r store.Reader, id uint64) *vppv1.Pool {
	return state.Load[vppv1.Pool](r, api.PoolKey(id))
}

// Member returns a pool's member, or nil.
func (Keeper) Member(r store.Reader, pool uint64, dev crypto.DeviceID) *vppv1.Member {
	return state.Load[vppv1.Member](r, api.MemberKey(pool, dev))
}

// Dispatch returns a dispatch, or nil.
func (Keeper) Dispatch(r store.Reader, id uint64) *vppv1.Dispatch {
	return state.Load[vppv1.Dispatch](r, api.DispatchKey(id))
}

// Credits is an account's service-credit balance in a network.
func (Keeper) Credits(r store.Reader, net string, a crypto.Address) uint64 {
	v, _ := state.Uint64(r, api.CreditKey(net, a))
	return v
}

// Books are a network's credit books (zero if none).
func (Keeper) Books(r store.Reader, net string) *vppv1.CreditBooks {
	if b := state.Load[vppv1.CreditBooks](r, api.BooksKey(net)); b != nil {
		return b
	}
	return &vppv1.CreditBooks{}
}

func (Keeper) setPool(kv store.KV, p *vppv1.Pool) { kv.Set(api.PoolKey(p.Id), state.Marshal(p)) }
func (Keeper) setDispatch(kv store.KV, d *vppv1.Dispatch) {
	kv.Set(api.DispatchKey(d.Id), state.Marshal(d))
}
func (Keeper) setMember(kv store.KV, m *vppv1.Member) {
	id, _ := crypto.AddressFromBytes(m.Device)
	kv.Set(api.MemberKey(m.Pool, id), state.Marshal(m))
}

// vppNetwork returns an active ENERGY network with flexibility params.
func (k Keeper) vppNetwork(ctx state.Context, id string) (*networkv1.Network, *vppv1.VppParams, error) {
	n, err := k.Network.Active(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if n.Class != networkv1.ResourceClass_RESOURCE_CLASS_ENERGY || n.Params.Vpp == nil {
		return nil, nil, fmt.Errorf("%w: %s (class %s)", api.ErrNoVpp, id, n.Class)
	}
	return n, n.Params.Vpp, nil
}

// operatorPool returns an open pool of the signer's.
func (k Keeper) operatorPool(r store.Reader, signer crypto.Address, id uint64) (*vppv1.Pool, error) {
	p := k.Pool(r, id)
	if p == nil {
		return nil, fmt.Errorf("%w: %d", api.ErrUnknownPool, id)
	}
	if !bytes.Equal(p.Operator, signer[:]) {
		return nil, fmt.Errorf("%w: pool %d is operated by another account", api.ErrNotOperator, id)
	}
	if p.Closed {
		return nil, fmt.Errorf("%w: %d", api.ErrPoolClosed, id)
	}
	return p, nil
}

// CreatePool opens a pool with its terms.
func (k Keeper) CreatePool(ctx state.Context, signer crypto.Address, m *vppv1.MsgCreatePool) (uint64, error) {
	n, vp, err := k.vppNetwork(ctx, m.Network)
	if err != nil {
		return 0, err
	}
	if err := api.ValidatePool(m, vp); err != nil {
		return 0, fmt.Errorf("%w: %v", api.ErrInvalidPool, err)
	}
	if !k.Bank.KnownDenom(ctx.KV, m.Denom) {
		return 0, fmt.Errorf("%w: unknown denom %q", api.ErrInvalidPool, m.Denom)
	}
	now := ctx.Time.Unix()
	id := state.NextSeq(ctx.KV, api.PoolSeqKey)
	p := &vppv1.Pool{Id: id, Network: n.Id, Operator: signer.Bytes(), Name: m.Name, Cell: m.Cell, Denom: m.Denom,
		PricePerKwh: m.PricePerKwh, PenaltyBps: m.PenaltyBps, MinResponseBps: m.MinResponseBps, NoticeSeconds: m.NoticeSeconds,
		CreatedHeight: ctx.Height}
	if vp.ChallengeSeconds > 0 && vp.ChallengeDevices > 0 {
		p.NextChallenge = now + int64(min(vp.ChallengeSeconds, api.MaxChallengeSeconds))
		ctx.KV.Set(api.ChallengeKey(n.Id, p.NextChallenge, id), []byte{})
	}
	k.setPool(ctx.KV, p)
	ctx.KV.Set(api.NetPoolKey(n.Id, id), []byte{})
	ctx.Emit(&vppv1.EventPoolCreated{Id: id, Network: n.Id, Operator: signer.String(), Pool: p})
	return id, nil
}

// ClosePool takes no more dispatches or members; dispatches already made
// settle as usual and members may leave at once.
func (k Keeper) ClosePool(ctx state.Context, signer crypto.Address, m *vppv1.MsgClosePool) error {
	p, err := k.operatorPool(ctx.KV, signer, m.Pool)
	if err != nil {
		return err
	}
	p.Closed = true
	if p.NextChallenge != 0 {
		ctx.KV.Delete(api.ChallengeKey(p.Network, p.NextChallenge, p.Id))
		p.NextChallenge = 0
	}
	k.setPool(ctx.KV, p)
	ctx.Emit(&vppv1.EventPoolClosed{Id: p.Id, Network: p.Network, Operator: signer.String()})
	return nil
}

// JoinPool makes the signer's battery a member of a pool.
func (k Keeper) JoinPool(ctx state.Context, signer crypto.Address, m *vppv1.MsgJoinPool) error {
	p := k.Pool(ctx.KV, m.Pool)
	if p == nil {
		return fmt.Errorf("%w: %d", api.ErrUnknownPool, m.Pool)
	}
	if p.Closed {
		return fmt.Errorf("%w: %d", api.ErrPoolClosed, m.Pool)
	}
	_, vp, err := k.vppNetwork(ctx, p.Network)
	if err != nil {
		return err
	}
	dev, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", api.ErrInvalidMember, crypto.DeviceString(id), fmt.Sprintf(format, a...))
	}
	switch {
	case dev.Network != p.Network:
		return bad("it is a device of network %q, the pool is in %q", dev.Network, p.Network)
	case dev.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE:
		return bad("it is %s, not active", dev.Status)
	case dev.VppPool != 0:
		return bad("it is a member of pool %d already (leave it first)", dev.VppPool)
	case dev.EnergyCapacity == 0 || dev.Capacity == 0:
		return bad("its certificate names no energy capacity and rated power: it is not a battery")
	case !api.InRegion(p.Cell, dev.Cell):
		return bad("its location %x is outside the pool's region %x", dev.Cell, p.Cell)
	case m.MinSocPpt >= api.PPT:
		return bad("min_soc %d‰ (0..999)", m.MinSocPpt)
	}
	rated := min(dev.Capacity, api.MaxMemberW)
	maxW := m.MaxW
	if maxW == 0 {
		maxW = rated
	}
	if maxW > rated {
		return bad("max %d W is more than its rated power %d W", maxW, rated)
	}
	mem := &vppv1.Member{Pool: p.Id, Device: id.Bytes(), MaxW: maxW, MinSocPpt: m.MinSocPpt, RatedW: rated,
		EnergyWh: dev.EnergyCapacity, JoinedTime: ctx.Time.Unix(), IntervalSeconds: vp.IntervalSeconds,
		RepPpm: repPpm(dev, k.Network, ctx, p.Network)}
	dev.VppPool = p.Id
	k.Device.Set(ctx.KV, dev)
	k.setMember(ctx.KV, mem)
	p.Members++
	p.MaxW = fixed.SatAdd(p.MaxW, maxW)
	k.setPool(ctx.KV, p)
	ctx.Emit(&vppv1.EventMemberJoined{Pool: p.Id, Network: p.Network, Device: crypto.DeviceString(id), Owner: signer.String(),
		MaxW: maxW, MinSocPpt: m.MinSocPpt, RatedW: rated, EnergyWh: dev.EnergyCapacity})
	return nil
}

// repPpm is a device's reputation mean α/(α+β) in ppm.
func repPpm(dev *devicev1.Device, nk network.Keeper, ctx state.Context, net string) uint32 {
	n := nk.Current(ctx, net)
	if n == nil {
		return 0
	}
	return repOf(dev, n)
}

func repOf(dev *devicev1.Device, n *networkv1.Network) uint32 {
	r := device.ReputationOf(dev, network.RewardsOf(n.Params))
	if r.Alpha+r.Beta == 0 || r.Alpha+r.Beta < r.Alpha {
		return 0
	}
	return uint32(fixed.Frac(fixed.PPM, r.Alpha, r.Alpha+r.Beta))
}

// LeavePool takes a battery out of its pool after the pool's notice (at
// once if the pool is closed). A member stays in the dispatches it was
// allocated to until they settle.
func (k Keeper) LeavePool(ctx state.Context, signer crypto.Address, m *vppv1.MsgLeavePool) error {
	p := k.Pool(ctx.KV, m.Pool)
	if p == nil {
		return fmt.Errorf("%w: %d", api.ErrUnknownPool, m.Pool)
	}
	_, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	mem := k.Member(ctx.KV, p.Id, id)
	if mem == nil {
		return fmt.Errorf("%w: %s in pool %d", api.ErrNotMember, crypto.DeviceString(id), p.Id)
	}
	if mem.LeaveTime != 0 {
		return fmt.Errorf("%w: %s is leaving pool %d at %d already", api.ErrInvalidMember, crypto.DeviceString(id), p.Id, mem.LeaveTime)
	}
	now := ctx.Time.Unix()
	t := now + int64(p.NoticeSeconds)
	if p.Closed {
		t = now
	}
	mem.LeaveTime = t
	if t <= now && len(mem.Allocs) == 0 {
		k.removeMember(ctx, p, mem, "left")
		k.setPool(ctx.KV, p)
		return nil
	}
	k.setMember(ctx.KV, mem)
	ctx.KV.Set(api.LeaveKey(p.Network, t, p.Id, id), []byte{})
	ctx.Emit(&vppv1.EventMemberLeaving{Pool: p.Id, Network: p.Network, Device: crypto.DeviceString(id), Owner: signer.String(), LeaveTime: t})
	return nil
}

// removeMember deletes a member (the caller stores the pool).
func (k Keeper) removeMember(ctx state.Context, p *vppv1.Pool, mem *vppv1.Member, reason string) {
	id, _ := crypto.AddressFromBytes(mem.Device)
	ctx.KV.Delete(api.MemberKey(p.Id, id))
	if mem.LeaveTime != 0 {
		ctx.KV.Delete(api.LeaveKey(p.Network, mem.LeaveTime, p.Id, id))
	}
	p.Members--
	p.MaxW -= min(p.MaxW, mem.MaxW)
	if dev := k.Device.Get(ctx.KV, id); dev != nil && dev.VppPool == p.Id {
		dev.VppPool = 0
		k.Device.Set(ctx.KV, dev)
	}
	ctx.Emit(&vppv1.EventMemberLeft{Pool: p.Id, Network: p.Network, Device: crypto.DeviceString(id), Reason: reason})
}

// BuyCredits burns the network's token for service credits.
func (k Keeper) BuyCredits(ctx state.Context, signer crypto.Address, m *vppv1.MsgBuyCredits) error {
	n, vp, err := k.vppNetwork(ctx, m.Network)
	if err != nil {
		return err
	}
	if m.Credits == 0 {
		return fmt.Errorf("%w: 0 credits", errs.ErrInvalidRequest)
	}
	burn, ok := fixed.Mul(m.Credits, vp.CreditPrice)
	if !ok {
		return fmt.Errorf("%w: %d credits at %d %s each overflows", errs.ErrInvalidRequest, m.Credits, vp.CreditPrice, n.RewardDenom)
	}
	bal := k.Credits(ctx.KV, n.Id, signer)
	b := k.Books(ctx.KV, n.Id)
	newBal, ok1 := fixed.Add(bal, m.Credits)
	minted, ok2 := fixed.Add(b.Minted, m.Credits)
	burned, ok3 := fixed.Add(b.Burned, burn)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("%w: credit books would overflow", errs.ErrInvalidRequest)
	}
	if err := k.Bank.Burn(ctx, signer, bank.Coins(n.RewardDenom, burn), "vpp_credits"); err != nil {
		return err
	}
	state.SetAmount(ctx.KV, api.CreditKey(n.Id, signer), newBal)
	b.Minted, b.Burned = minted, burned
	ctx.KV.Set(api.BooksKey(n.Id), state.Marshal(b))
	ctx.Emit(&vppv1.EventCreditsBought{Network: n.Id, Operator: signer.String(), Credits: m.Credits, Burned: burn, Denom: n.RewardDenom})
	return nil
}

// DispatchPool escrows a dispatch's maximum payment, spends its credits and
// queues it for allocation.
func (k Keeper) DispatchPool(ctx state.Context, signer crypto.Address, m *vppv1.MsgDispatch) (uint64, error) {
	p, err := k.operatorPool(ctx.KV, signer, m.Pool)
	if err != nil {
		return 0, err
	}
	n, vp, err := k.vppNetwork(ctx, p.Network)
	if err != nil {
		return 0, err
	}
	bad := func(format string, a ...any) (uint64, error) {
		return 0, fmt.Errorf("%w: %s", api.ErrInvalidDispatch, fmt.Sprintf(format, a...))
	}
	now := ctx.Time.Unix()
	iv := int64(vp.IntervalSeconds)
	switch {
	case m.Direction != vppv1.Direction_DIRECTION_DISCHARGE && m.Direction != vppv1.Direction_DIRECTION_CHARGE:
		return bad("direction %s (discharge or charge)", m.Direction)
	case m.PowerW == 0:
		return bad("power 0 W")
	case m.DurationSeconds == 0 || m.DurationSeconds > vp.MaxDurationSeconds || m.DurationSeconds%vp.IntervalSeconds != 0:
		return bad("duration %d s (whole %d-second intervals, at most %d s)", m.DurationSeconds, vp.IntervalSeconds, vp.MaxDurationSeconds)
	case m.Start < now:
		return bad("start %d is in the past (block time %d)", m.Start, now)
	case m.Start < now+int64(vp.MinLeadSeconds):
		return bad("start %d is less than %d s after block time %d (the network's min_lead_seconds)", m.Start, vp.MinLeadSeconds, now)
	case m.Start%iv != 0:
		return bad("start %d is not at an interval boundary (a multiple of %d s; e.g. %d)", m.Start, iv, (m.Start/iv+1)*iv)
	case m.Start > now+30*86_400:
		return bad("start %d is more than 30 days ahead", m.Start)
	}
	if p.Members == 0 || m.PowerW > p.MaxW {
		return 0, fmt.Errorf("%w: %d W asked, the pool's %d members offer %d W", api.ErrNoHeadroom, m.PowerW, p.Members, p.MaxW)
	}
	if m.Start < p.BusyUntil {
		return 0, fmt.Errorf("%w: its last dispatch runs until %d", api.ErrPoolBusy, p.BusyUntil)
	}
	escrow, err := api.Escrow(m.PowerW, m.DurationSeconds, p.PricePerKwh)
	if err != nil {
		return bad("escrow: %v", err)
	}
	if m.MaxEscrow != 0 && escrow > m.MaxEscrow {
		return 0, fmt.Errorf("%w: %d %s, more than max_escrow %d", api.ErrEscrowTooHigh, escrow, p.Denom, m.MaxEscrow)
	}
	credits, err := api.Credits(vp, m.PowerW, m.DurationSeconds)
	if err != nil {
		return bad("credits: %v", err)
	}
	if have := k.Credits(ctx.KV, n.Id, signer); have < credits {
		return 0, fmt.Errorf("%w: the dispatch costs %d credits, %s has %d in %s (buy some with 'depin tx vpp buy-credits')",
			api.ErrNoCredits, credits, signer, have, n.Id)
	}
	if escrow > 0 {
		if err := k.Bank.Send(ctx, signer, Escrow, bank.Coins(p.Denom, escrow), "vpp_escrow"); err != nil {
			return 0, err
		}
	}
	state.SetAmount(ctx.KV, api.CreditKey(n.Id, signer), k.Credits(ctx.KV, n.Id, signer)-credits)
	b := k.Books(ctx.KV, n.Id)
	b.Spent += credits // ≤ minted: spent from balances
	ctx.KV.Set(api.BooksKey(n.Id), state.Marshal(b))
	id := state.NextSeq(ctx.KV, api.DispatchSeqKey)
	end := m.Start + int64(m.DurationSeconds)
	d := &vppv1.Dispatch{Id: id, Pool: p.Id, Network: n.Id, Operator: signer.Bytes(), Direction: m.Direction, PowerW: m.PowerW,
		Start: m.Start, End: end, Denom: p.Denom, PricePerKwh: p.PricePerKwh, PenaltyBps: p.PenaltyBps, MinResponseBps: p.MinResponseBps,
		IntervalSeconds: vp.IntervalSeconds, SettleTime: end + int64(vp.SettleDelaySeconds), Escrow: escrow, Credits: credits,
		Status: vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING, CreatedHeight: ctx.Height,
		ChargedMetric: vp.ChargedMetric, DischargedMetric: vp.DischargedMetric}
	k.setDispatch(ctx.KV, d)
	ctx.KV.Set(api.PoolDispatchKey(p.Id, id), []byte{})
	ctx.KV.Set(api.QueueKey(n.Id, id), []byte{})
	ctx.KV.Set(api.SettleKey(n.Id, d.SettleTime, id), []byte{})
	p.BusyUntil, p.Dispatches = end, p.Dispatches+1
	k.setPool(ctx.KV, p)
	ctx.Emit(&vppv1.EventDispatchCreated{Id: id, Pool: p.Id, Network: n.Id, Operator: signer.String(), Direction: m.Direction,
		PowerW: m.PowerW, Start: m.Start, End: end, Escrow: escrow, Denom: p.Denom, Credits: credits})
	return id, nil
}
