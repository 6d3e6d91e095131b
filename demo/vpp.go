package demo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/depinhq/depin/api/event"
	apivpp "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
)

// The demo's virtual power plant (x/vpp): an operator opens a pool over
// the battery fleet's city, the fleet's owner puts every battery in it,
// and every DispatchEvery the operator asks the pool for a share of what
// it can give, discharging or charging for DispatchIntervals metering
// intervals. The batteries follow the dispatches their gateway forwards
// them (simnet), but for those built to ignore them (Fleet.IgnoreDispatch),
// which miss and lose stake; the narrator says how each dispatch went.
const (
	// VppOperator is the demo account that operates the pool: it buys
	// service credits with the battery network's token (which the fleet's
	// owner gives it from the batteries' rewards) and pays for what the
	// batteries deliver in udpin.
	VppOperator       = "vpp-operator"
	DispatchEvery     = 3 * time.Minute
	DispatchIntervals = 2
	// VppIntervalSeconds is the battery network's metering interval: a
	// dispatch settles within a few minutes of being made.
	VppIntervalSeconds = 60
	// dispatchShare of the pool's headroom in a direction is what a
	// dispatch asks for: a battery that follows it delivers its part even
	// on top of what it was doing anyway.
	dispatchShare = 0.4
	// The pool's terms: 0.5 DPIN per kWh delivered, a tenth of a member's
	// stake per miss; members keep a tenth of their energy for backup.
	poolPricePerKwh = 500_000
	poolPenaltyBps  = 1000
	memberMinSocPpt = 100
	// creditsAhead: the operator buys credits for this many dispatches at
	// a time.
	creditsAhead = 20
)

// VppParams are the battery network's flexibility params: one-minute
// metering intervals with a baseline of the last three, settlement half a
// minute after a window, dispatches announced at least half a minute
// ahead (the gateway forwards them within seconds), and a member dropped
// after five misses in a row; the rest are the defaults.
func VppParams() *vppv1.VppParams {
	p := apivpp.DefaultParams()
	p.IntervalSeconds, p.BaselineIntervals, p.SettleDelaySeconds, p.MinLeadSeconds = VppIntervalSeconds, 3, 30, 30
	p.MaxMisses = 5
	return p
}

// errFleetNotReady: the battery network or some of its batteries are
// not on chain yet (the fleet is being set up).
var errFleetNotReady = errors.New("the battery fleet is not registered yet")

// errNoRewardsYet: the batteries have earned nothing the operator could
// buy credits with yet; it waits for the next epoch.
var errNoRewardsYet = errors.New("no rewards to buy service credits with yet")

// vppOperator runs the pool of one battery network.
type vppOperator struct {
	c                   *client.Client
	owner, operator     ed25519.PrivateKey
	ownerAddr, operAddr crypto.Address
	network, city       string
	devices             int
	log                 *slog.Logger
	say                 func(string, ...any)

	batteries []crypto.DeviceID
	members   map[crypto.DeviceID]bool // of the batteries, those in the pool at the last round
	pool      uint64
	denom     string // the network's token, what credits are bought with
	last      vppv1.Direction
}

// runVpp waits for the fleet's batteries to be registered, opens (or
// finds) the operator's pool over them and dispatches it every
// DispatchEvery until ctx ends. What fails is logged (said, if it is not
// the wait for the first rewards) and tried again; only ctx ends it.
func runVpp(ctx context.Context, c *client.Client, owner, operator ed25519.PrivateKey, network, city string, devices int, log *slog.Logger, say func(string, ...any)) error {
	o := &vppOperator{c: c, owner: owner, operator: operator, network: network, city: city, devices: devices, log: log.With("component", "vpp"), say: say,
		ownerAddr: crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey)), operAddr: crypto.AddressFromPubKey(operator.Public().(ed25519.PublicKey))}
	for o.pool == 0 {
		if err := o.setUp(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			lvl := slog.LevelWarn
			if errors.Is(err, errFleetNotReady) {
				lvl = slog.LevelDebug
			}
			o.log.Log(ctx, lvl, "setting up the pool; trying again", "err", err)
			if sleep(ctx, 5*time.Second) != nil {
				return nil
			}
		}
	}
	say("  vpp: operator %s runs pool %d over the %d batteries of network %s in %s; it dispatches them every %s for %d minutes (#/pool/%d)\n",
		VppOperator, o.pool, len(o.batteries), network, title(city), DispatchEvery, DispatchIntervals*VppIntervalSeconds/60, o.pool)
	var wait time.Duration
	fails, waited := 0, false
	for {
		if sleep(ctx, wait) != nil {
			return nil
		}
		err := o.round(ctx)
		switch {
		case err == nil:
			wait, fails = DispatchEvery, 0
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errNoRewardsYet):
			if !waited {
				say("  vpp: waiting for the batteries' first rewards: the operator buys service credits with %s\n", strings.ToUpper(strings.TrimPrefix(o.denom, "u")))
				waited = true
			}
			wait = 10 * time.Second
		default:
			fails++
			wait = min(DispatchEvery, 10*time.Second<<min(fails, 5))
			say("  vpp: no dispatch: %v (trying again in %s)\n", err, wait)
		}
	}
}

// setUp finds the fleet's batteries once all are registered, and the
// operator's open pool of the network, opening one over the smallest hex
// that holds them all if there is none.
func (o *vppOperator) setUp(ctx context.Context) error {
	n, err := o.c.Network(ctx, o.network, client.QueryOptions{})
	if err != nil {
		return err
	}
	if n == nil {
		return fmt.Errorf("%w: no network %s", errFleetNotReady, o.network)
	}
	o.denom = n.RewardDenom
	ids, err := o.c.Devices(ctx, client.DeviceFilter{Network: o.network})
	if err != nil {
		return err
	}
	var cells []uint64
	o.batteries = o.batteries[:0]
	for _, id := range ids {
		d, err := o.c.Device(ctx, id, client.QueryOptions{})
		if err != nil {
			return err
		}
		if d != nil && string(d.Owner) == string(o.ownerAddr[:]) {
			o.batteries = append(o.batteries, id)
			cells = append(cells, d.Cell)
		}
	}
	if len(o.batteries) < o.devices {
		return fmt.Errorf("%w: %d of %d batteries registered", errFleetNotReady, len(o.batteries), o.devices)
	}
	pools, err := o.c.Pools(ctx, o.network)
	if err != nil {
		return err
	}
	for _, p := range pools {
		if !p.Closed && string(p.Operator) == string(o.operAddr[:]) {
			o.pool = p.Id
			return nil
		}
	}
	region, err := commonParent(cells)
	if err != nil {
		return err
	}
	res, err := o.c.SendTx(ctx, o.operator, []*txv1.Msg{{Sum: &txv1.Msg_CreatePool{CreatePool: &vppv1.MsgCreatePool{
		Operator: o.operAddr.Bytes(), Network: o.network, Name: title(o.city) + " VPP", Cell: region, Denom: "udpin",
		PricePerKwh: poolPricePerKwh, PenaltyBps: poolPenaltyBps, MinResponseBps: 5000, NoticeSeconds: 600}}}}, client.TxOptions{})
	if err != nil {
		return fmt.Errorf("opening the pool: %w", err)
	}
	for _, ev := range res.Events {
		if m, err := event.FromABCI(ev); err == nil {
			if e, ok := m.(*vppv1.EventPoolCreated); ok {
				o.pool = e.Id
			}
		}
	}
	if o.pool == 0 {
		return errors.New("opening the pool: its tx named no pool")
	}
	return nil
}

// commonParent is the finest hex, at resolution 5 or coarser, that holds
// every cell.
func commonParent(cells []uint64) (uint64, error) {
	if len(cells) == 0 {
		return 0, errors.New("no cells")
	}
	for r := min(5, h3.Resolution(cells[0])); r >= 0; r-- {
		p, err := h3.Parent(cells[0], r)
		if err != nil {
			return 0, err
		}
		all := true
		for _, c := range cells[1:] {
			if q, err := h3.Parent(c, r); err != nil || q != p {
				all = false
				break
			}
		}
		if all {
			return p, nil
		}
	}
	return 0, errors.New("the batteries share no hex: they are on different continents")
}

// round puts batteries that are not in the pool (new, or dropped for
// their misses) back in it, and dispatches it once.
func (o *vppOperator) round(ctx context.Context) error {
	if err := o.join(ctx); err != nil {
		return err
	}
	vp, err := o.c.VppParams(ctx, o.network)
	if err != nil {
		return err
	}
	p, err := o.c.Pool(ctx, o.pool, client.QueryOptions{})
	if err != nil {
		return err
	}
	if p == nil || p.Closed {
		return fmt.Errorf("pool %d is closed", o.pool) // only its operator could close it
	}
	members, err := o.c.PoolMembers(ctx, o.pool)
	if err != nil {
		return err
	}
	secs := DispatchIntervals * vp.IntervalSeconds
	dir, powerW := o.ask(members, secs)
	if powerW == 0 {
		return errors.New("the pool's batteries have no headroom either way")
	}
	credits, err := apivpp.Credits(vp, powerW, secs)
	if err != nil {
		return err
	}
	if err := o.ensureCredits(ctx, vp, credits); err != nil {
		return err
	}
	now := time.Now().Unix()
	if st, err := o.c.Status(ctx); err == nil {
		now = max(now, st.SyncInfo.LatestBlockTime.Unix())
	}
	iv := int64(vp.IntervalSeconds)
	start := ceilTo(max(now+int64(vp.MinLeadSeconds)+5, p.BusyUntil), iv)
	_, err = o.c.SendTx(ctx, o.operator, []*txv1.Msg{{Sum: &txv1.Msg_Dispatch{Dispatch: &vppv1.MsgDispatch{
		Operator: o.operAddr.Bytes(), Pool: o.pool, Direction: dir, PowerW: powerW, Start: start, DurationSeconds: secs}}}}, client.TxOptions{})
	if err != nil {
		return fmt.Errorf("dispatching %d W of %s: %w", powerW, direction(dir), err)
	}
	o.last = dir
	return nil
}

// ask is the direction and power of the next dispatch: the other
// direction than last time, unless the batteries have far less headroom
// that way (empty at night, full after a sunny day), and dispatchShare of
// the headroom that way, in whole 100 W.
func (o *vppOperator) ask(members []*vppv1.Member, secs uint64) (vppv1.Direction, uint64) {
	dis, chg := vppv1.Direction_DIRECTION_DISCHARGE, vppv1.Direction_DIRECTION_CHARGE
	head := map[vppv1.Direction]uint64{}
	for _, m := range members {
		if m.LeaveTime != 0 {
			continue
		}
		head[dis] += apivpp.Headroom(m, dis, secs)
		head[chg] += apivpp.Headroom(m, chg, secs)
	}
	dir, other := dis, chg
	if o.last == dis {
		dir, other = chg, dis
	}
	if head[dir] < head[other]/4 {
		dir = other
	}
	return dir, uint64(float64(head[dir])*dispatchShare) / 100 * 100
}

// join puts the fleet's active batteries that are not members in the
// pool, signed by their owner: at first all of them, later those the
// pool dropped for their misses (so the demo's story goes on).
func (o *vppOperator) join(ctx context.Context) error {
	members, err := o.c.PoolMembers(ctx, o.pool)
	if err != nil {
		return err
	}
	was := o.members
	o.members = map[crypto.DeviceID]bool{}
	for _, m := range members {
		if id, err := crypto.AddressFromBytes(m.Device); err == nil {
			o.members[id] = true
		}
	}
	var msgs []*txv1.Msg
	var joining []crypto.DeviceID
	dropped := 0
	for _, id := range o.batteries {
		if o.members[id] {
			continue
		}
		d, err := o.c.Device(ctx, id, client.QueryOptions{})
		if err != nil {
			return err
		}
		if d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE || d.VppPool != 0 {
			continue
		}
		msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_JoinPool{JoinPool: &vppv1.MsgJoinPool{
			Owner: o.ownerAddr.Bytes(), Pool: o.pool, Device: id.Bytes(), MinSocPpt: memberMinSocPpt}}})
		joining = append(joining, id)
		if was[id] {
			dropped++ // a member at the last round: the pool dropped it since
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if _, err := o.c.SendTx(ctx, o.owner, msgs, client.TxOptions{}); err != nil {
		return fmt.Errorf("putting %d batteries in pool %d: %w", len(msgs), o.pool, err)
	}
	for _, id := range joining {
		o.members[id] = true
	}
	o.log.Info("batteries joined the pool", "pool", o.pool, "batteries", len(msgs))
	if dropped > 0 {
		o.say("  vpp: their owner put %s dropped from pool %d back in it\n", plural(int64(dropped), "battery"), o.pool)
	}
	return nil
}

// ensureCredits makes sure the operator holds need service credits,
// buying creditsAhead dispatches' worth with the network's token, which
// the fleet's owner gives it from the batteries' rewards (claiming them
// first when it holds too little).
func (o *vppOperator) ensureCredits(ctx context.Context, vp *vppv1.VppParams, need uint64) error {
	have, _, err := o.c.Credits(ctx, o.network, o.operAddr, client.QueryOptions{})
	if err != nil || have >= need {
		return err
	}
	buy := creditsAhead*need - have
	burn := buy * vp.CreditPrice
	bal, _, err := o.c.Balance(ctx, o.operAddr, o.denom, client.QueryOptions{})
	if err != nil {
		return err
	}
	if bal < burn {
		give, err := o.fromOwner(ctx, burn-bal)
		if err != nil {
			return err
		}
		bal += give
		if bal < burn {
			buy = bal / vp.CreditPrice
		}
		if have+buy < need {
			return errNoRewardsYet
		}
	}
	if _, err := o.c.SendTx(ctx, o.operator, []*txv1.Msg{{Sum: &txv1.Msg_BuyCredits{BuyCredits: &vppv1.MsgBuyCredits{
		Operator: o.operAddr.Bytes(), Network: o.network, Credits: buy}}}}, client.TxOptions{}); err != nil {
		return fmt.Errorf("buying %d service credits: %w", buy, err)
	}
	return nil
}

// fromOwner has the fleet's owner give the operator up to amount of the
// network's token, claiming the batteries' rewards first if it holds
// less; it returns what it gave.
func (o *vppOperator) fromOwner(ctx context.Context, amount uint64) (uint64, error) {
	bal, _, err := o.c.Balance(ctx, o.ownerAddr, o.denom, client.QueryOptions{})
	if err != nil {
		return 0, err
	}
	if bal < amount {
		var unclaimed uint64
		for _, id := range o.batteries {
			u, err := o.c.Unclaimed(ctx, id, client.QueryOptions{})
			if err != nil {
				return 0, err
			}
			unclaimed += u
		}
		if unclaimed > 0 {
			if _, err := o.c.SendTx(ctx, o.owner, []*txv1.Msg{{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{
				Owner: o.ownerAddr.Bytes()}}}}, client.TxOptions{}); err != nil {
				return 0, fmt.Errorf("claiming the batteries' rewards: %w", err)
			}
			if bal, _, err = o.c.Balance(ctx, o.ownerAddr, o.denom, client.QueryOptions{}); err != nil {
				return 0, err
			}
		}
	}
	give := min(bal, amount)
	if give == 0 {
		return 0, errNoRewardsYet
	}
	if _, err := o.c.SendTx(ctx, o.owner, []*txv1.Msg{client.MsgSend(o.ownerAddr, o.operAddr, &bankv1.Coin{Denom: o.denom, Amount: give})},
		client.TxOptions{}); err != nil {
		return 0, fmt.Errorf("giving the operator %d %s: %w", give, o.denom, err)
	}
	return give, nil
}

// ceilTo rounds t up to a multiple of step.
func ceilTo(t, step int64) int64 { return (t + step - 1) / step * step }

// direction is "discharge" or "charge".
func direction(d vppv1.Direction) string {
	return strings.ToLower(strings.TrimPrefix(d.String(), "DIRECTION_"))
}

// title is a city's name as a person writes it: "madrid" → "Madrid".
func title(city string) string {
	if city == "" {
		return city
	}
	return strings.ToUpper(city[:1]) + city[1:]
}
