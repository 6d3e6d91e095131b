package app

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/vpp"
)

// vppParams: a network of batteries reporting charged, discharged (Wh,
// at most the rated power) and state of charge (‰), with rewards (so
// there are tokens to burn for credits) and 60-second flexibility
// intervals, a baseline of 3, no challenges.
func vppParams() *networkv1.Params {
	p := solarParams()
	p.Metrics = []*networkv1.Metric{
		{Id: 1, Name: "charged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
		{Id: 2, Name: "discharged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
		{Id: 3, Name: "soc", Unit: "permille", BoundNum: 1000, BoundDen: 1},
	}
	p.Rewards = network.DefaultRewards(1_000_000)
	p.Rewards.Geo = nil
	vp := api.DefaultParams()
	vp.IntervalSeconds, vp.BaselineIntervals, vp.SettleDelaySeconds, vp.MinLeadSeconds = 60, 3, 30, 60
	vp.MaxDurationSeconds, vp.MaxNoticeSeconds, vp.CreditPrice, vp.DispatchCredits, vp.KwhCredits = 3600, 600, 2, 10, 1
	vp.ChallengeSeconds, vp.ChallengeDevices, vp.MaxMisses = 0, 0, 2
	p.Vpp = vp
	return p
}

func vppMsg(m any) *txv1.Msg {
	switch v := m.(type) {
	case *vppv1.MsgCreatePool:
		return &txv1.Msg{Sum: &txv1.Msg_CreatePool{CreatePool: v}}
	case *vppv1.MsgClosePool:
		return &txv1.Msg{Sum: &txv1.Msg_ClosePool{ClosePool: v}}
	case *vppv1.MsgJoinPool:
		return &txv1.Msg{Sum: &txv1.Msg_JoinPool{JoinPool: v}}
	case *vppv1.MsgLeavePool:
		return &txv1.Msg{Sum: &txv1.Msg_LeavePool{LeavePool: v}}
	case *vppv1.MsgBuyCredits:
		return &txv1.Msg{Sum: &txv1.Msg_BuyCredits{BuyCredits: v}}
	case *vppv1.MsgDispatch:
		return &txv1.Msg{Sum: &txv1.Msg_Dispatch{Dispatch: v}}
	}
	panic(fmt.Sprintf("%T", m))
}

// vppWorld: alice's ENERGY network "solar" with gridParams, batteries of
// alice's, and a utility (the operator) funded with udpin.
type vppWorld struct {
	*world
	utility testKey
	seqs    map[string]uint64
	region  uint64
}

func newVppWorld(t *testing.T, params *networkv1.Params) *vppWorld {
	w := newWorldWith(t, store.NewMemTree(), params)
	vw := &vppWorld{world: w, utility: newTestKey("utility"), seqs: map[string]uint64{}}
	region, err := h3.Parent(w.cell, 5)
	if err != nil {
		t.Fatal(err)
	}
	vw.region = region
	w.c.mustBlock(w.c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: vw.utility.addr.Bytes(), Amount: bank.Coins("udpin", 100_000_000_000)}}}))
	return vw
}

// battery registers a battery of alice's: rated W, energy Wh.
func (vw *vppWorld) battery(name string, ratedW, energyWh uint64) crypto.DeviceID {
	w := vw.world
	w.c.t.Helper()
	priv := devKey(name)
	sc, err := device.SignCert(w.maker.priv, testChain, &devicev1.DeviceCert{
		Network: "solar", DevicePublicKey: priv.Public().(ed25519.PublicKey), Model: "PowerWall", Serial: "SN-" + name,
		Capacity: ratedW, EnergyCapacity: energyWh, MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey)})
	if err != nil {
		w.c.t.Fatal(err)
	}
	w.c.mustBlock(w.c.tx(w.owner, registerMsg(w.owner.addr, sc, name, w.cell)))
	w.device[name] = priv
	return deviceID(name)
}

func (vw *vppWorld) ok(who testKey, m any) *abci.ExecTxResult {
	vw.c.t.Helper()
	r := vw.c.result(who, vppMsg(m))
	if r.Code != 0 {
		vw.c.t.Fatalf("%T: %s", m, r.Log)
	}
	return r
}

func (vw *vppWorld) pool(terms *vppv1.MsgCreatePool) uint64 {
	vw.c.t.Helper()
	vw.ok(vw.utility, terms)
	var id uint64
	for _, p := range state.Records[vppv1.Pool](vw.c.snapshot(), api.PoolPrefix) {
		id = max(id, p.Id)
	}
	return id
}

func (vw *vppWorld) terms() *vppv1.MsgCreatePool {
	return &vppv1.MsgCreatePool{Operator: vw.utility.addr.Bytes(), Network: "solar", Name: "Berlin VPP", Cell: vw.region,
		Denom: "udpin", PricePerKwh: 1_000_000, PenaltyBps: 100, MinResponseBps: 5000, NoticeSeconds: 120}
}

// reading is one battery's report values for one period.
type reading struct{ charged, discharged, soc uint64 }

// reportAll submits one report per named battery over [start, end).
func (vw *vppWorld) reportAll(start, end int64, rs map[string]reading) {
	vw.c.t.Helper()
	var batch []*reportv1.SignedReport
	for _, name := range sortedNames(rs) {
		r := rs[name]
		vw.seqs[name]++
		batch = append(batch, signReport(vw.c.t, devKey(name), "solar", vw.seqs[name], start, end,
			&reportv1.MetricValue{Id: 1, Value: r.charged}, &reportv1.MetricValue{Id: 2, Value: r.discharged}, &reportv1.MetricValue{Id: 3, Value: r.soc}))
	}
	if acc, rej := outcomes(vw.c.t, vw.batch(batch...)); acc != len(batch) {
		vw.c.t.Fatalf("reports rejected: %v", rej)
	}
}

func sortedNames(rs map[string]reading) []string {
	var names []string
	for n := range rs {
		names = append(names, n)
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return names
}

// at moves the chain's clock so that the next block is at unix time t.
func (vw *vppWorld) at(t int64) { vw.c.time = time.Unix(t-1, 0).UTC() }

// earnCredits runs a reward epoch over the batteries' reports so alice
// earns usolar, and has her give the utility enough to buy credits with.
func (vw *vppWorld) earnCredits(credits uint64) {
	c := vw.c
	c.t.Helper()
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix())
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	c.block()
	c.block()
	c.mustBlock(c.tx(vw.owner, &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: vw.owner.addr.Bytes()}}}))
	burn := credits * n.Params.Vpp.CreditPrice
	c.mustBlock(c.tx(vw.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: vw.owner.addr.Bytes(), To: vw.utility.addr.Bytes(), Amount: bank.Coins("usolar", burn)}}}))
	vw.ok(vw.utility, &vppv1.MsgBuyCredits{Operator: vw.utility.addr.Bytes(), Network: "solar", Credits: credits})
}

func (vw *vppWorld) member(pool uint64, id crypto.DeviceID) *vppv1.Member {
	return vpp.Keeper{}.Member(vw.c.snapshot(), pool, id)
}

func (vw *vppWorld) dispatch(id uint64) *vppv1.Dispatch {
	return vpp.Keeper{}.Dispatch(vw.c.snapshot(), id)
}

func blockEvents[T any](events []abci.Event) []*T {
	var out []*T
	for _, e := range events {
		if m, err := state.FromABCI(e); err == nil {
			if v, ok := any(m).(*T); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// TestVppDispatchGolden follows one dispatch over three batteries by hand:
// b1 idle before and responding, b2 already discharging 20 Wh per interval
// before (its baseline), b3 ignoring the dispatch.
func TestVppDispatchGolden(t *testing.T) {
	vw := newVppWorld(t, vppParams())
	c := vw.c
	b1, b2, b3 := vw.battery("b1", 5000, 10_000), vw.battery("b2", 5000, 10_000), vw.battery("b3", 5000, 10_000)
	pool := vw.pool(vw.terms())
	for _, id := range []crypto.DeviceID{b1, b2, b3} {
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: id[:], MinSocPpt: 200})
	}
	p := (vpp.Keeper{}).Pool(c.snapshot(), pool)
	if p.Members != 3 || p.MaxW != 15_000 {
		t.Fatalf("pool %v", p)
	}
	// Four intervals of history, then credits (the first reward epoch).
	base := (c.time.Unix()/60 + 2) * 60
	idle := map[string]reading{"b1": {0, 0, 500}, "b2": {0, 20, 500}, "b3": {0, 0, 500}}
	for k := range int64(4) {
		vw.at(base + 60*k + 61)
		vw.reportAll(base+60*k, base+60*k+60, idle)
	}
	utilityUdpin := c.balance(vw.utility.addr, "udpin")
	vw.earnCredits(100)
	books := (vpp.Keeper{}).Books(c.snapshot(), "solar")
	if books.Minted != 100 || books.Burned != 200 || books.Spent != 0 {
		t.Fatalf("books %v", books)
	}
	// Dispatch 9,000 W for two intervals from the next whole minute at
	// least a minute ahead.
	now := c.time.Unix() + 1
	start := (now + 60 + 59) / 60 * 60
	// History: the batteries report every interval up to the window.
	last := base + 4*60
	for ; last+60 <= start; last += 60 {
		vw.at(last + 61)
		vw.reportAll(last, last+60, idle)
	}
	now = c.time.Unix() + 1
	start = (now + 60 + 59) / 60 * 60
	vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: vw.utility.addr.Bytes(), Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
		PowerW: 9000, Start: start, DurationSeconds: 120})
	// By hand: escrow = 9,000 W × 120 s = 300 Wh × 1,000,000 / kWh = 300,000;
	// credits = 10 + 1 kWh (rounded up) × 1 = 11.
	d := vw.dispatch(1)
	if d.Escrow != 300_000 || d.Credits != 11 || d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING {
		t.Fatalf("dispatch %v", d)
	}
	if got := c.balance(vw.utility.addr, "udpin"); got != utilityUdpin-300_000-2*txFee {
		t.Fatalf("utility has %d udpin, want %d", got, utilityUdpin-300_000-2*txFee)
	}
	c.block()
	allocated := blockEvents[vppv1.EventDispatchAllocated](c.events)
	// Equal headroom (5,000 W each: 300‰ above the 200‰ floor of 10 kWh is
	// 3 kWh, 90 kW over two minutes) and equal reputation: 3,000 W each.
	if len(allocated) != 3 {
		t.Fatalf("%d allocations: %v", len(allocated), allocated)
	}
	for _, a := range allocated {
		if a.PowerW != 3000 || a.Start != start || a.End != start+120 {
			t.Fatalf("allocation %v", a)
		}
	}
	if d = vw.dispatch(1); d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED || d.AllocatedW != 9000 || d.AllocatedWh != 300 {
		t.Fatalf("dispatch %v", d)
	}
	// Reports up to the window, then the window (b1, b2 discharge 50 Wh per
	// minute = 3,000 W; b3 does nothing), then two more intervals.
	for ; last < start; last += 60 {
		vw.at(last + 61)
		vw.reportAll(last, last+60, idle)
	}
	event := map[string]reading{"b1": {0, 50, 480}, "b2": {0, 50, 480}, "b3": {0, 0, 500}}
	for ; last < start+120; last += 60 {
		vw.at(last + 61)
		vw.reportAll(last, last+60, event)
	}
	treasury := c.balance(network.TreasuryAddress("solar"), "udpin")
	aliceUdpin := c.balance(vw.owner.addr, "udpin")
	utilityUdpin = c.balance(vw.utility.addr, "udpin")
	vw.at(start + 120 + 30)
	c.block()
	settled := blockEvents[vppv1.EventMemberSettled](c.events)
	if len(settled) != 3 {
		t.Fatalf("%d members settled", len(settled))
	}
	// By hand: allocated 3,000 W × 120 s = 100 Wh each.
	// b1: metered 100, baseline 0 → delivered 100 → paid 100 × 1,000,000 / 1000 = 100,000.
	// b2: metered 100, baseline 20 per interval × 2 = 40 → delivered 60 → 60,000.
	// b3: metered 0 → delivered 0, a miss: 1% of its 10,000,000 stake (100,000) to the treasury.
	want := map[string]struct {
		baseline, metered int64
		delivered, paid   uint64
		responded         bool
		penalty           uint64
	}{
		crypto.DeviceString(b1): {0, 100, 100, 100_000, true, 0},
		crypto.DeviceString(b2): {40, 100, 60, 60_000, true, 0},
		crypto.DeviceString(b3): {0, 0, 0, 0, false, 100_000},
	}
	for _, s := range settled {
		wnt := want[s.Device]
		if s.AllocatedWh != 100 || s.BaselineWh != wnt.baseline || s.MeteredWh != wnt.metered || s.DeliveredWh != wnt.delivered ||
			s.Paid != wnt.paid || s.Responded != wnt.responded || s.Penalty != wnt.penalty {
			t.Errorf("settled %v, want %+v", s, wnt)
		}
	}
	d = vw.dispatch(1)
	if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED || d.Paid != 160_000 || d.Refunded != 140_000 || d.DeliveredWh != 160 ||
		d.Responded != 2 || d.Missed != 1 || d.Penalties != 100_000 || d.BaselineWh != 40 {
		t.Fatalf("settled dispatch %v", d)
	}
	if got := c.balance(vw.owner.addr, "udpin"); got != aliceUdpin+160_000 {
		t.Errorf("alice (the batteries' owner) has %d, want %d", got, aliceUdpin+160_000)
	}
	if got := c.balance(vw.utility.addr, "udpin"); got != utilityUdpin+140_000 {
		t.Errorf("utility has %d, want the refund %d", got, utilityUdpin+140_000)
	}
	if got := c.balance(network.TreasuryAddress("solar"), "udpin"); got != treasury+100_000 {
		t.Errorf("treasury has %d, want %d", got, treasury+100_000)
	}
	if got := c.balance(vpp.Escrow, "udpin"); got != 0 {
		t.Errorf("escrow holds %d", got)
	}
	if dev := (device.Keeper{}).Get(c.snapshot(), b3); dev.Stake != 9_900_000 || dev.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		t.Errorf("b3 after a miss: stake %d, %s", dev.Stake, dev.Status)
	}
	if m := vw.member(pool, b3); m.Misses != 1 || m.Failed != 1 || len(m.Allocs) != 0 {
		t.Errorf("b3 member %v", m)
	}
	if m := vw.member(pool, b1); m.Passed != 1 || m.Earned != 100_000 || m.DeliveredWh != 100 {
		t.Errorf("b1 member %v", m)
	}
	if p := (vpp.Keeper{}).Pool(c.snapshot(), pool); p.DeliveredWh != 160 || p.Paid != 160_000 {
		t.Errorf("pool %v", p)
	}
	if books := (vpp.Keeper{}).Books(c.snapshot(), "solar"); books.Spent != 11 || (vpp.Keeper{}).Credits(c.snapshot(), "solar", vw.utility.addr) != 89 {
		t.Errorf("books %v", books)
	}

	vw.at(last + 61)
	vw.reportAll(last, last+60, idle)

	// A second dispatch b3 ignores too: its second miss in a row drops it.
	now = c.time.Unix() + 1
	start = (now + 60 + 59) / 60 * 60
	vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: vw.utility.addr.Bytes(), Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
		PowerW: 3000, Start: start, DurationSeconds: 60})
	c.block()
	for last += 60; last < start+60; last += 60 {
		vw.at(last + 61)
		r := idle
		if last >= start {
			r = map[string]reading{"b1": {0, 17, 470}, "b2": {0, 37, 470}, "b3": {0, 0, 500}}
		}
		vw.reportAll(last, last+60, r)
	}
	vw.at(start + 60 + 30)
	c.block()
	left := blockEvents[vppv1.EventMemberLeft](c.events)
	if len(left) != 1 || left[0].Device != crypto.DeviceString(b3) || !strings.Contains(left[0].Reason, "dropped") {
		t.Fatalf("left: %v", left)
	}
	if m := vw.member(pool, b3); m != nil {
		t.Fatalf("b3 still a member: %v", m)
	}
	if dev := (device.Keeper{}).Get(c.snapshot(), b3); dev.VppPool != 0 {
		t.Fatalf("b3's record names pool %d", dev.VppPool)
	}
	if p := (vpp.Keeper{}).Pool(c.snapshot(), pool); p.Members != 2 || p.MaxW != 10_000 {
		t.Fatalf("pool after the drop %v", p)
	}
}

// TestVppRefusesBadInput: each a clear error, and no token, credit or
// member moves.
func TestVppRefusesBadInput(t *testing.T) {
	vw := newVppWorld(t, vppParams())
	c := vw.c
	b1 := vw.battery("b1", 5000, 10_000)
	panel := vw.register("panel", 5000) // no energy capacity: not a battery
	pool := vw.pool(vw.terms())
	vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: b1[:]})
	base := (c.time.Unix()/60 + 2) * 60
	for k := range int64(2) {
		vw.at(base + 60*k + 61)
		vw.reportAll(base+60*k, base+60*k+60, map[string]reading{"b1": {0, 10, 500}}) // work, so it earns tokens
	}
	vw.earnCredits(50)

	// Another network with a battery of bob's.
	bob := newTestKey("bob")
	c.mustBlock(c.tx(vw.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: vw.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}}))
	vw.addNetwork("wind", "uwind", vppParams(), "w1")
	other := vw.pool(&vppv1.MsgCreatePool{Operator: vw.utility.addr.Bytes(), Network: "wind", Name: "Wind VPP", Cell: vw.region,
		Denom: "udpin", PricePerKwh: 1, MinResponseBps: 1})
	bobBattery := func() crypto.DeviceID {
		priv := devKey("bobs")
		sc, err := device.SignCert(vw.maker.priv, testChain, &devicev1.DeviceCert{Network: "solar", DevicePublicKey: priv.Public().(ed25519.PublicKey),
			Model: "PowerWall", Serial: "SN-bobs", Capacity: 5000, EnergyCapacity: 10_000, MakerPublicKey: vw.maker.priv.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		c.mustBlock(c.tx(bob, registerMsg(bob.addr, sc, "bobs", vw.cell)))
		return deviceID("bobs")
	}()
	far, _ := h3.Parent(vw.cell, 5)
	for far == vw.region { // a region the batteries are not in
		far++
	}

	now := func() int64 { return c.time.Unix() + 1 }
	next := func() int64 { return (now() + 60 + 59) / 60 * 60 }
	op := vw.utility.addr.Bytes()
	disp := func(mut func(*vppv1.MsgDispatch)) *vppv1.MsgDispatch {
		m := &vppv1.MsgDispatch{Operator: op, Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 1000, Start: next(), DurationSeconds: 60}
		mut(m)
		return m
	}
	create := func(mut func(*vppv1.MsgCreatePool)) *vppv1.MsgCreatePool {
		m := vw.terms()
		mut(m)
		return m
	}
	const maxU = ^uint64(0)
	cases := []struct {
		name string
		who  testKey
		msg  any
		kind error
	}{
		{"pool: price 0", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.PricePerKwh = 0 }), api.ErrInvalidPool},
		{"pool: penalty above the network's cap", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.PenaltyBps = 1001 }), api.ErrInvalidPool},
		{"pool: min response 0", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.MinResponseBps = 0 }), api.ErrInvalidPool},
		{"pool: notice above the cap", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.NoticeSeconds = maxU }), api.ErrInvalidPool},
		{"pool: not a cell", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.Cell = maxU }), api.ErrInvalidPool},
		{"pool: unknown denom", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.Denom = "unobtainium" }), api.ErrInvalidPool},
		{"pool: empty name", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.Name = "" }), api.ErrInvalidPool},
		{"pool: network without vpp", vw.utility, create(func(m *vppv1.MsgCreatePool) { m.Network = "nope" }), nil},
		{"join: another owner's device", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: pool, Device: b1[:]}, device.ErrNotDeviceOwner},
		{"join: a pool of another network", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: other, Device: bobBattery[:]}, api.ErrInvalidMember},
		{"join: not a battery", vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: panel[:]}, api.ErrInvalidMember},
		{"join: twice", vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: b1[:]}, api.ErrInvalidMember},
		{"join: above rated power", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: pool, Device: bobBattery[:], MaxW: 5001}, api.ErrInvalidMember},
		{"join: max kW 2^64-1", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: pool, Device: bobBattery[:], MaxW: maxU}, api.ErrInvalidMember},
		{"join: min soc 100%", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: pool, Device: bobBattery[:], MinSocPpt: 1000}, api.ErrInvalidMember},
		{"join: unknown pool", bob, &vppv1.MsgJoinPool{Owner: bob.addr.Bytes(), Pool: 99, Device: bobBattery[:]}, api.ErrUnknownPool},
		{"leave: not a member", bob, &vppv1.MsgLeavePool{Owner: bob.addr.Bytes(), Pool: pool, Device: bobBattery[:]}, api.ErrNotMember},
		{"leave: another owner's device", bob, &vppv1.MsgLeavePool{Owner: bob.addr.Bytes(), Pool: pool, Device: b1[:]}, device.ErrNotDeviceOwner},
		{"dispatch: beyond the pool's headroom", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.PowerW = 5001 }), api.ErrNoHeadroom},
		{"dispatch: 2^64-1 W", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.PowerW = maxU }), api.ErrNoHeadroom},
		{"dispatch: 0 W", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.PowerW = 0 }), api.ErrInvalidDispatch},
		{"dispatch: in the past", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Start = (now()/60 - 1) * 60 }), api.ErrInvalidDispatch},
		{"dispatch: too soon", vw.utility, disp(func(m *vppv1.MsgDispatch) {
			m.Start = (now()/60 + 1) * 60
			m.Start -= 60 * int64(max(0, m.Start-now()-59)/60)
		}), api.ErrInvalidDispatch},
		{"dispatch: not on an interval", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Start++ }), api.ErrInvalidDispatch},
		{"dispatch: part of an interval", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.DurationSeconds = 90 }), api.ErrInvalidDispatch},
		{"dispatch: too long", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.DurationSeconds = 7200 }), api.ErrInvalidDispatch},
		{"dispatch: no direction", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Direction = 0 }), api.ErrInvalidDispatch},
		{"dispatch: start 2^63-1", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Start = 1<<63 - 1 - (1<<63-1)%60 }), api.ErrInvalidDispatch},
		{"dispatch: escrow above max", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.MaxEscrow = 1 }), api.ErrEscrowTooHigh},
		{"dispatch: not the operator", bob, disp(func(m *vppv1.MsgDispatch) { m.Operator = bob.addr.Bytes() }), api.ErrNotOperator},
		{"dispatch: unknown pool", vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Pool = 99 }), api.ErrUnknownPool},
		{"credits: more than the operator can burn", vw.utility, &vppv1.MsgBuyCredits{Operator: op, Network: "solar", Credits: 1 << 40}, bank.ErrInsufficientFunds},
		{"credits: overflow", vw.utility, &vppv1.MsgBuyCredits{Operator: op, Network: "solar", Credits: maxU}, errs.ErrInvalidRequest},
		{"credits: zero", vw.utility, &vppv1.MsgBuyCredits{Operator: op, Network: "solar", Credits: 0}, errs.ErrInvalidRequest},
		{"close: not the operator", bob, &vppv1.MsgClosePool{Operator: bob.addr.Bytes(), Pool: pool}, api.ErrNotOperator},
	}
	snapshotBooks := func() string {
		r := c.snapshot()
		var b strings.Builder
		for _, a := range []crypto.Address{vw.utility.addr, vw.owner.addr, bob.addr, vpp.Escrow, network.TreasuryAddress("solar")} {
			for _, coin := range (bank.Keeper{}).Balances(r, a) {
				if coin.Denom != "udpin" || a == vpp.Escrow || a == network.TreasuryAddress("solar") {
					fmt.Fprintf(&b, "%s %d%s\n", a, coin.Amount, coin.Denom)
				}
			}
		}
		fmt.Fprintf(&b, "credits %d books %v pool %v member %v\n", vpp.Keeper{}.Credits(r, "solar", vw.utility.addr),
			vpp.Keeper{}.Books(r, "solar"), vpp.Keeper{}.Pool(r, pool), vpp.Keeper{}.Member(r, pool, b1))
		return b.String()
	}
	for _, tc := range cases {
		before := snapshotBooks()
		r := c.result(tc.who, vppMsg(tc.msg))
		if r.Code == 0 {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if tc.kind != nil && !strings.Contains(r.Log, tc.kind.Error()) {
			t.Errorf("%s: %s, want %v", tc.name, r.Log, tc.kind)
		}
		if after := snapshotBooks(); after != before {
			t.Errorf("%s: state moved:\n%s\n→\n%s", tc.name, before, after)
		}
	}

	// A report claiming more discharge than rated power × time (5,000 W
	// for 60 s is 83 Wh): rejected as impossible.
	t0 := c.time.Unix() / 60 * 60
	vw.at(t0 + 61)
	vw.seqs["b1"]++
	over := signReport(t, devKey("b1"), "solar", vw.seqs["b1"], t0, t0+60, &reportv1.MetricValue{Id: 2, Value: 84})
	if _, rej := outcomes(t, vw.batch(over)); rej[0] == "" {
		t.Fatal("a report of 84 Wh in a minute from a 5 kW battery was accepted")
	}
	if m := vw.member(pool, b1); m.IntervalNetWh != 0 && m.Interval == uint64(t0/60) {
		t.Fatalf("the impossible report was metered: %v", m)
	}

	// Not enough credits: dispatches cost 10 + 1/kWh; spend them down.
	vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: op, Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 5000, Start: next(), DurationSeconds: 3600})
	busy := c.result(vw.utility, vppMsg(disp(func(m *vppv1.MsgDispatch) {})))
	if busy.Code == 0 || !strings.Contains(busy.Log, api.ErrPoolBusy.Error()) {
		t.Fatalf("overlapping dispatch: %s", busy.Log)
	}
	d := vw.dispatch(1)
	later := d.End + 600
	for (vpp.Keeper{}).Credits(c.snapshot(), "solar", vw.utility.addr) >= 15 {
		vw.ok(vw.utility, disp(func(m *vppv1.MsgDispatch) { m.Start = later; m.PowerW = 5000; m.DurationSeconds = 3600 }))
		later += 3600
	}
	if r := c.result(vw.utility, vppMsg(disp(func(m *vppv1.MsgDispatch) { m.Start = later; m.PowerW = 5000; m.DurationSeconds = 3600 }))); r.Code == 0 || !strings.Contains(r.Log, api.ErrNoCredits.Error()) {
		t.Fatalf("dispatch without credits: %s", r.Log)
	}
}

// TestVppChallenges: every interval the chain tests one random member;
// an honest battery answers every test it is given, a "battery" that
// only reports made-up numbers fails its tests and is dropped.
func TestVppChallenges(t *testing.T) {
	params := vppParams()
	params.Vpp.ChallengeSeconds, params.Vpp.ChallengeDevices, params.Vpp.ChallengePowerBps = 60, 1, 5000
	vw := newVppWorld(t, params)
	c := vw.c
	honest, fake := vw.battery("honest", 5000, 10_000), vw.battery("fake", 5000, 10_000)
	pool := vw.pool(vw.terms())
	for _, id := range []crypto.DeviceID{honest, fake} {
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: id[:]})
	}
	base := (c.time.Unix()/60 + 1) * 60
	soc := uint64(500)
	for k := int64(0); k < 60; k++ {
		start := base + 60*k
		vw.at(start + 61)
		// The honest battery does what its allocation for this interval says.
		rs := map[string]reading{"honest": {0, 0, soc}, "fake": {0, 0, 500}}
		if m := vw.member(pool, honest); m != nil {
			for _, a := range m.Allocs {
				if a.Start <= start && start < a.End {
					wh := a.PowerW * 60 / 3600
					if a.Direction == vppv1.Direction_DIRECTION_CHARGE {
						rs["honest"] = reading{wh, 0, soc}
					} else {
						rs["honest"] = reading{0, wh, soc}
					}
				}
			}
		}
		if vw.member(pool, fake) == nil {
			delete(rs, "fake")
		}
		vw.reportAll(start, start+60, rs)
		if vw.member(pool, fake) == nil && k > 10 {
			break
		}
	}
	if m := vw.member(pool, fake); m != nil {
		t.Fatalf("the fake battery is still a member after failing: %v", m)
	}
	m := vw.member(pool, honest)
	if m == nil || m.Passed == 0 || m.Failed != 0 {
		t.Fatalf("honest member %v", m)
	}
	p := (vpp.Keeper{}).Pool(c.snapshot(), pool)
	if p.Challenges == 0 || p.Members != 1 {
		t.Fatalf("pool %v", p)
	}
	// Challenges pay nothing and take no stake.
	if dev := (device.Keeper{}).Get(c.snapshot(), fake); dev.Stake != 10_000_000 {
		t.Fatalf("fake's stake %d", dev.Stake)
	}
}

// TestVppChallengeDirections: a challenge tests each member in the
// direction it has room for (a nearly empty battery charges); its record
// names a direction only when its members share it.
func TestVppChallengeDirections(t *testing.T) {
	params := vppParams()
	params.Vpp.ChallengeSeconds, params.Vpp.ChallengeDevices, params.Vpp.ChallengePowerBps = 60, 4, 5000
	vw := newVppWorld(t, params)
	pool := vw.pool(vw.terms())
	names := []string{"full1", "full2", "full3", "empty1", "empty2", "empty3"}
	ids := map[string]crypto.DeviceID{}
	for _, name := range names {
		id := vw.battery(name, 5000, 10_000)
		ids[name] = id
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: id[:]})
	}
	base := (vw.c.time.Unix()/60 + 1) * 60
	checked, mixed := map[uint64]bool{}, 0
	for k := int64(0); k < 30 && mixed == 0; k++ {
		start := base + 60*k
		vw.at(start + 61)
		rs := map[string]reading{}
		for _, name := range names {
			rs[name] = reading{0, 0, 900}
			if strings.HasPrefix(name, "empty") {
				rs[name] = reading{0, 0, 100}
			}
		}
		vw.reportAll(start, start+60, rs)
		for id := uint64(1); vw.dispatch(id) != nil; id++ {
			d := vw.dispatch(id)
			if checked[id] || !d.Challenge {
				continue
			}
			checked[id] = true
			dirs := map[vppv1.Direction]int{}
			for _, name := range names {
				for _, a := range vw.member(pool, ids[name]).Allocs {
					if a.Dispatch == d.Id {
						dirs[a.Direction]++
						// Before its first report a member's charge is unknown: it discharges.
						if want := strings.HasPrefix(name, "empty"); k > 0 && want != (a.Direction == vppv1.Direction_DIRECTION_CHARGE) {
							t.Errorf("challenge %d asks %s to %s", d.Id, name, a.Direction)
						}
					}
				}
			}
			want := vppv1.Direction_DIRECTION_UNSPECIFIED
			if len(dirs) == 1 {
				for dir := range dirs {
					want = dir
				}
			} else {
				mixed++
			}
			if d.Direction != want {
				t.Errorf("challenge %d: members' directions %v, the record says %s", d.Id, dirs, d.Direction)
			}
		}
	}
	if mixed == 0 {
		t.Fatalf("no challenge of full and empty batteries together in 30 intervals (%d challenges)", len(checked))
	}
}
