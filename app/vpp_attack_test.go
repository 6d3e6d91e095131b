package app

import (
	"bytes"
	"strings"
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/vpp"
)

// vppLive is a pool of two idle 5 kW / 10 kWh batteries of alice's (b1,
// b2) with a history, the utility's credits, and one dispatch of 6,000 W
// discharge for two intervals, allocated (3,000 W each); last is where
// the batteries' reports have got to.
type vppLive struct {
	*vppWorld
	pool       uint64
	b1, b2     crypto.DeviceID
	start, end int64
	last       int64
}

// vppIdle: the batteries move 1 Wh a minute (some work, so alice earns
// the tokens the utility's credits are bought with): a baseline of 2 Wh
// over a two-interval window.
var vppIdle = map[string]reading{"b1": {0, 1, 500}, "b2": {0, 1, 500}}

func newVppLive(t *testing.T, params *networkv1.Params) *vppLive {
	vw := newVppWorld(t, params)
	c := vw.c
	l := &vppLive{vppWorld: vw}
	l.b1, l.b2 = vw.battery("b1", 5000, 10_000), vw.battery("b2", 5000, 10_000)
	l.pool = vw.pool(vw.terms())
	for _, id := range []crypto.DeviceID{l.b1, l.b2} {
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: l.pool, Device: id[:]})
	}
	base := (c.time.Unix()/60 + 2) * 60
	for k := range int64(4) {
		vw.at(base + 60*k + 61)
		vw.reportAll(base+60*k, base+60*k+60, vppIdle)
	}
	vw.earnCredits(100)
	l.last = base + 4*60
	start := (c.time.Unix() + 1 + 60 + 59) / 60 * 60
	for ; l.last+60 <= start; l.last += 60 {
		vw.at(l.last + 61)
		vw.reportAll(l.last, l.last+60, vppIdle)
	}
	l.start = (c.time.Unix() + 1 + 60 + 59) / 60 * 60
	l.end = l.start + 120
	vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: vw.utility.addr.Bytes(), Pool: l.pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
		PowerW: 6000, Start: l.start, DurationSeconds: 120})
	c.block()
	if d := vw.dispatch(1); d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED || d.AllocatedW != 6000 {
		t.Fatalf("dispatch %v", d)
	}
	return l
}

// runWindow reports idle up to the window, rs in the window (the
// batteries rs names, both times), and moves
// the clock to the dispatch's settlement and runs that block.
func (l *vppLive) runWindow(rs map[string]reading) {
	idle := map[string]reading{}
	for name := range rs {
		idle[name] = vppIdle[name]
	}
	for ; l.last < l.start; l.last += 60 {
		l.at(l.last + 61)
		l.reportAll(l.last, l.last+60, idle)
	}
	for ; l.last < l.end; l.last += 60 {
		l.at(l.last + 61)
		l.reportAll(l.last, l.last+60, rs)
	}
	l.at(l.end + 30)
	l.c.block()
}

// settledClean checks that the network did not freeze, the dispatch
// settled and the escrow is empty.
func (l *vppLive) settledClean(t *testing.T) *vppv1.Dispatch {
	t.Helper()
	if n := (network.Keeper{}).Network(l.c.snapshot(), "solar"); n.Frozen {
		t.Fatalf("the network froze: %s", n.FrozenReason)
	}
	d := l.dispatch(1)
	if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
		t.Fatalf("dispatch not settled: %v", d)
	}
	if got := l.c.balance(vpp.Escrow, "udpin"); got != 0 {
		t.Fatalf("escrow holds %d", got)
	}
	l.c.block()
	l.c.checkBooks()
	return d
}

// TestVppMemberGivenToAModuleAccount: a device cannot be given to a
// module account — a member owned by the vpp escrow would be paid from
// the escrow to itself (the step failed and froze the network), one owned
// by another escrow would break that module's books. x/vpp also refuses
// to pay a module account should one ever own a member (not reachable
// by a tx now).
func TestVppMemberGivenToAModuleAccount(t *testing.T) {
	for name, to := range map[string]crypto.Address{"vpp escrow": vpp.Escrow, "agreement escrow": agreement.Escrow} {
		t.Run(name, func(t *testing.T) {
			l := newVppLive(t, vppParams())
			res := l.c.block(l.c.tx(l.owner, &txv1.Msg{Sum: &txv1.Msg_TransferDevice{TransferDevice: &devicev1.MsgTransferDevice{
				Owner: l.owner.addr.Bytes(), Device: l.b1[:], NewOwner: to.Bytes()}}}))
			if len(res) != 1 || res[0].Code == 0 || !strings.Contains(res[0].Log, "module account") {
				t.Fatalf("a device given to the %s: %v", name, res)
			}
			if d := (device.Keeper{}).Get(l.c.snapshot(), l.b1); !bytes.Equal(d.Owner, l.owner.addr.Bytes()) {
				t.Fatalf("the device moved to %x", d.Owner)
			}
			l.runWindow(map[string]reading{"b1": {0, 50, 480}, "b2": {0, 50, 480}})
			if d := l.settledClean(t); d.Paid == 0 {
				t.Errorf("the owner's battery was not paid: %+v", d)
			}
		})
	}
}

// TestVppEmptyPoolsTakeNoBudget: anyone may open pools; a pool without
// members has nothing to challenge, so its challenge timer must cost the
// shared block budget next to nothing — else a few empty pools (of any
// network: the budget is shared) hold up every settlement and allocation
// behind them.
func TestVppEmptyPoolsTakeNoBudget(t *testing.T) {
	params := vppParams()
	params.Vpp.ChallengeSeconds, params.Vpp.ChallengeDevices, params.Vpp.ChallengePowerBps = 86_400, 64, 5000
	l := newVppLive(t, params)
	mallory := newTestKey("mallory")
	l.c.mustBlock(l.c.tx(l.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: l.owner.addr.Bytes(), To: mallory.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}}))
	for range 8 {
		terms := l.terms()
		terms.Operator = mallory.addr.Bytes()
		l.ok(mallory, terms)
	}
	for ; l.last < l.end; l.last += 60 {
		l.at(l.last + 61)
		l.reportAll(l.last, l.last+60, vppIdle)
	}
	// Every empty pool's challenge is due in the settlement's block; the
	// budget is ample for the dispatch's two members.
	l.c.app.vpp.BlockBudget = 200
	l.at(l.end + 86_400)
	l.c.block()
	if d := l.dispatch(1); d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
		t.Fatalf("empty pools' challenges took the budget: dispatch %s", d.Status)
	}
}

// TestVppParamsRemovedMidDispatch: the network's owner removes
// params.vpp after a dispatch was made (in force from the next epoch,
// before its window). The dispatch keeps its terms: the batteries that
// deliver are measured and paid as they would have been, and none is
// penalised for the chain no longer metering it.
func TestVppParamsRemovedMidDispatch(t *testing.T) {
	l := newVppLive(t, vppParams())
	l.runWindow(map[string]reading{"b1": {0, 50, 480}, "b2": {0, 50, 480}})
	l.settledClean(t)
	c := l.c
	gone := vppParams()
	gone.Vpp = nil
	c.mustBlock(c.tx(l.owner, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
		Owner: l.owner.addr.Bytes(), Network: "solar", Params: gone}}}))
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	epoch := network.EpochStart(n, n.PendingEpoch)
	l.start = (epoch + 120 + 59) / 60 * 60
	l.end = l.start + 120
	l.ok(l.utility, &vppv1.MsgDispatch{Operator: l.utility.addr.Bytes(), Pool: l.pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
		PowerW: 6000, Start: l.start, DurationSeconds: 120})
	c.block()
	var id uint64
	for i := uint64(1); l.dispatch(i) != nil; i++ {
		id = i
	}
	stakes := map[crypto.DeviceID]uint64{}
	for _, b := range []crypto.DeviceID{l.b1, l.b2} {
		stakes[b] = deviceOf(c, b).Stake
	}
	l.runWindow(map[string]reading{"b1": {0, 50, 480}, "b2": {0, 50, 480}})
	if n := (network.Keeper{}).Network(c.snapshot(), "solar"); n.Params.Vpp != nil || n.Frozen {
		t.Fatalf("params.vpp %v, frozen %v", n.Params.Vpp, n.Frozen)
	}
	d := l.dispatch(id)
	if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
		t.Fatalf("dispatch %v", d)
	}
	for _, b := range []crypto.DeviceID{l.b1, l.b2} {
		if got := deviceOf(c, b).Stake; got != stakes[b] {
			t.Errorf("%s delivered, yet its stake went from %d to %d", crypto.DeviceString(b), stakes[b], got)
		}
		if m := l.member(l.pool, b); m == nil || m.Misses != 0 {
			t.Errorf("%s delivered, yet its membership is %v", crypto.DeviceString(b), m)
		}
	}
	if d.Missed != 0 || d.Responded != 2 || d.Paid != 196_000 {
		t.Errorf("dispatch after params.vpp was removed: responded %d missed %d paid %d, want 2, 0, 196000", d.Responded, d.Missed, d.Paid)
	}
}

// TestVppInactiveOrMovedMemberLeaves: a member whose battery stops (it
// is deactivated, or jailed) cannot respond to anything again, and one
// moved out of the pool's region is no longer what the pool offers: at
// its next settlement it leaves the pool, unpenalised, and the pool no
// longer offers its power.
func TestVppInactiveOrMovedMemberLeaves(t *testing.T) {
	for _, how := range []string{"deactivated", "moved"} {
		t.Run(how, func(t *testing.T) {
			l := newVppLive(t, vppParams())
			c := l.c
			stake := deviceOf(c, l.b1).Stake
			switch how {
			case "deactivated":
				c.mustBlock(c.tx(l.owner, &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{
					Owner: l.owner.addr.Bytes(), Device: l.b1[:]}}}))
			case "moved":
				cell := uint64(uh3.LatLngToCell(uh3.NewLatLng(48.85, 2.35), 10)) // Paris, far from the Berlin pool
				c.mustBlock(c.tx(l.owner, &txv1.Msg{Sum: &txv1.Msg_MoveDevice{MoveDevice: &devicev1.MsgMoveDevice{
					Owner: l.owner.addr.Bytes(), Device: l.b1[:], Cell: cell}}}))
			}
			rs := map[string]reading{"b2": {0, 50, 480}}
			if how == "moved" {
				rs["b1"] = reading{0, 50, 480}
			}
			l.runWindow(rs)
			l.settledClean(t)
			if m := l.member(l.pool, l.b1); m != nil {
				t.Fatalf("b1 is still a member: %v", m)
			}
			if dev := deviceOf(c, l.b1); dev.VppPool != 0 || dev.Stake != stake {
				t.Fatalf("b1: pool %d, stake %d (was %d)", dev.VppPool, dev.Stake, stake)
			}
			if p := (vpp.Keeper{}).Pool(c.snapshot(), l.pool); p.Members != 1 || p.MaxW != 5000 {
				t.Fatalf("pool %v", p)
			}
		})
	}
}
