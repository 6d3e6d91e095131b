package app

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	api "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/vpp"
)

// TestVppAdversarial drives virtual power plants with a random workload
// of every message, mostly well formed and sometimes at the worst values
// an operator, an owner or the network's owner can choose (2^64−1 W,
// prices and credits, zero, windows in the past, joins of others'
// devices, the flexibility params changed or removed while dispatches
// are escrowed), while batteries report every minute — some follow their
// allocations, some ignore them, one reports impossible energy — and time
// jumps past windows, settlements and epochs. Whatever happens: no
// internal error, the network never freezes, the udpin supply never
// changes, the harness checks every invariant (escrow, credit books,
// supply + burned = minted, pools) after every block, and in the end every
// dispatch settles and the escrow is empty. DEPIN_ADVERSARIAL_SEEDS=N
// hunts longer.
func TestVppAdversarial(t *testing.T) {
	seeds := uint64(3)
	if v, err := strconv.ParseUint(os.Getenv("DEPIN_ADVERSARIAL_SEEDS"), 10, 32); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { vppAdversarialRun(t, seed, 250, 0) })
		t.Run(fmt.Sprint("seed", seed, "/budget=2"), func(t *testing.T) { vppAdversarialRun(t, seed, 250, 2) })
	}
}

func vppAdversarialRun(t *testing.T, seed uint64, steps, budget int) [][]byte {
	params := vppParams()
	params.Vpp.ChallengeSeconds, params.Vpp.ChallengeDevices = 120, 2
	vw := newVppWorld(t, params)
	c := vw.c
	c.app.vpp.BlockBudget = budget
	rng := rand.New(rand.NewPCG(seed, 20))
	names := []string{"b0", "b1", "b2", "b3", "b4", "b5"}
	ids := map[string]crypto.DeviceID{}
	for i, n := range names {
		ids[n] = vw.battery(n, 3000+uint64(i)*500, 8000+uint64(i)*1000)
	}
	socs := map[string]uint64{}
	// b4 ignores its allocations; b5 once reports impossible energy.
	report := func() {
		start := c.time.Unix() / 60 * 60
		vw.at(start + 61)
		rs := map[string]reading{}
		for i, n := range names {
			if d := (deviceOf(c, ids[n])); d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
				continue
			}
			soc := socs[n]
			if soc == 0 {
				soc = 500
			}
			r := reading{0, uint64(rng.IntN(5)), soc}
			if m := memberOf(c, ids[n]); m != nil && n != "b4" {
				for _, a := range m.Allocs {
					if a.Start <= start && start < a.End {
						wh := min(a.PowerW, 3000+uint64(i)*500) * 60 / 3600
						if a.Direction == vppv1.Direction_DIRECTION_CHARGE {
							r = reading{wh, 0, min(soc+5, 1000)}
						} else {
							r = reading{0, wh, max(soc, 5) - 5}
						}
					}
				}
			}
			if n == "b5" && rng.IntN(40) == 0 {
				r.discharged = 1 << 40 // impossible: evidence, jailed
			}
			socs[n] = r.soc
			rs[n] = r
		}
		var batch []*reportv1.SignedReport
		for _, n := range sortedNames(rs) {
			r := rs[n]
			vw.seqs[n]++
			batch = append(batch, signReport(t, devKey(n), "solar", vw.seqs[n], start, start+60,
				&reportv1.MetricValue{Id: 1, Value: r.charged}, &reportv1.MetricValue{Id: 2, Value: r.discharged}, &reportv1.MetricValue{Id: 3, Value: r.soc}))
		}
		if len(batch) > 0 {
			vw.batch(batch...)
		}
	}
	for range 3 {
		report()
	}
	vw.earnCredits(5000)
	first := vw.pool(vw.terms())
	for _, n := range names[:4] {
		id := ids[n]
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: first, Device: id[:], MinSocPpt: 100})
	}
	supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
	extremes := []uint64{0, 1, 2, 59, 60, 61, 1 << 20, 1 << 32, 1 << 62, ^uint64(0)}
	val := func(small uint64) uint64 {
		if rng.IntN(4) == 0 {
			return extremes[rng.IntN(len(extremes))]
		}
		return 1 + rng.Uint64N(small)
	}
	accounts := []testKey{vw.utility, vw.owner, newTestKey("mallory")}
	pools := first
	ok := map[string]int{}
	for step := 0; step < steps; step++ {
		who := accounts[rng.IntN(len(accounts))]
		pool := 1 + rng.Uint64N(max(pools, 1)+1)
		if rng.IntN(2) == 0 {
			pool = first
		}
		var m any
		switch rng.IntN(14) {
		case 0:
			terms := vw.terms()
			terms.Operator = who.addr.Bytes()
			switch rng.IntN(6) {
			case 0:
				terms.PricePerKwh = val(1 << 40)
			case 1:
				terms.PenaltyBps, terms.MinResponseBps = uint32(val(12_000)), uint32(val(12_000))
			case 2:
				terms.NoticeSeconds = val(1000)
			case 3:
				terms.Cell = val(1 << 62)
			case 4:
				terms.Denom = []string{"usolar", "udpin", "share/x", ""}[rng.IntN(4)]
			}
			m = terms
		case 1, 2:
			dev := ids[names[rng.IntN(len(names))]]
			j := &vppv1.MsgJoinPool{Owner: who.addr.Bytes(), Pool: pool, Device: dev[:], MinSocPpt: uint32(rng.IntN(400))}
			if rng.IntN(3) == 0 {
				j.MaxW, j.MinSocPpt = val(6000), uint32(val(1200))
			}
			m = j
		case 3:
			dev := ids[names[rng.IntN(len(names))]]
			m = &vppv1.MsgLeavePool{Owner: who.addr.Bytes(), Pool: pool, Device: dev[:]}
		case 4, 5, 6:
			if p := (vpp.Keeper{}).Pool(c.snapshot(), pool); p != nil && rng.IntN(4) != 0 {
				for _, a := range accounts {
					if bytes.Equal(a.addr[:], p.Operator) {
						who = a
					}
				}
			}
			now := c.time.Unix() + 1
			d := &vppv1.MsgDispatch{Operator: who.addr.Bytes(), Pool: pool, Direction: vppv1.Direction(1 + rng.IntN(2)),
				PowerW: 1 + rng.Uint64N(8000), Start: (now+60+59)/60*60 + 60*int64(rng.IntN(5)), DurationSeconds: 60 * (1 + rng.Uint64N(4))}
			switch rng.IntN(6) {
			case 0:
				d.PowerW = val(1 << 20)
			case 1:
				d.Start = int64(val(1 << 40))
			case 2:
				d.DurationSeconds = val(7200)
			case 3:
				d.MaxEscrow = val(1 << 20)
			case 4:
				d.Direction = vppv1.Direction(rng.IntN(4))
			}
			m = d
		case 7:
			m = &vppv1.MsgBuyCredits{Operator: who.addr.Bytes(), Network: "solar", Credits: val(100)}
		case 8:
			if rng.IntN(12) == 0 {
				m = &vppv1.MsgClosePool{Operator: who.addr.Bytes(), Pool: pool}
			} else {
				continue
			}
		case 9: // the network's owner changes or removes the flexibility params while dispatches are escrowed
			p := vppParams()
			p.Vpp.ChallengeSeconds, p.Vpp.ChallengeDevices = 120, 2
			switch rng.IntN(5) {
			case 0:
				p.Vpp = nil
			case 1:
				p.Vpp.IntervalSeconds, p.Vpp.MaxDurationSeconds = 120, 3600
			case 2:
				p.Vpp.BaselineIntervals, p.Vpp.MaxMisses, p.Vpp.SettleDelaySeconds = 96, 1, 0
			case 3:
				p.Vpp.ChallengeSeconds, p.Vpp.ChallengeDevices, p.Vpp.ChallengePowerBps = 60, 64, 10_000
			}
			c.block(c.tx(vw.owner, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
				Owner: vw.owner.addr.Bytes(), Network: "solar", Params: p}}}))
			continue
		case 10: // a battery leaves the network mid-dispatch
			if rng.IntN(4) == 0 {
				dev := ids[names[rng.IntN(len(names))]]
				c.block(c.tx(vw.owner, &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{
					Owner: vw.owner.addr.Bytes(), Device: dev[:]}}}))
			}
			continue
		case 11: // a jump of time: past windows and settlements, sometimes an epoch
			c.time = c.time.Add(time.Duration([]int{60, 300, 4000}[rng.IntN(3)]) * time.Second)
			c.block()
			continue
		default:
			report()
			continue
		}
		r := c.result(who, vppMsg(m))
		name := fmt.Sprintf("%T", m)
		if r.Code == 0 {
			ok[name]++
			if _, isPool := m.(*vppv1.MsgCreatePool); isPool {
				pools++
			}
		} else if r.Codespace == "" || r.Code == 1 {
			t.Fatalf("step %d: %s failed with an internal error: %s", step, name, r.Log)
		}
		if n := (network.Keeper{}).Network(c.snapshot(), "solar"); n.Frozen {
			t.Fatalf("step %d: the network froze: %s", step, n.FrozenReason)
		}
		if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply {
			t.Fatalf("step %d: udpin supply %d, want %d", step, got, supply)
		}
	}
	// Let every dispatch settle.
	c.time = c.time.Add(48 * time.Hour)
	unsettled := func() int {
		n := 0
		for _, d := range state.Records[vppv1.Dispatch](c.snapshot(), api.DispatchPrefix) {
			if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED && !d.Challenge { // challenges keep coming as time goes on
				n++
			}
		}
		return n
	}
	for i := 0; i < 300 && unsettled() > 0; i++ {
		c.block()
	}
	if got, left := c.balance(vpp.Escrow, "udpin"), unsettled(); got != 0 || left > 0 {
		n := (network.Keeper{}).Network(c.snapshot(), "solar")
		t.Fatalf("two days later: %d left in escrow, %d dispatches unsettled (network frozen %v)", got, left, n.Frozen)
	}
	t.Logf("succeeded %v", ok)
	return c.hashes
}

func deviceOf(c *testChainApp, id crypto.DeviceID) *devicev1.Device {
	return state.Load[devicev1.Device](c.snapshot(), devKeyOf(id))
}

func devKeyOf(id crypto.DeviceID) []byte { return device.Key(id) }

// memberOf is a device's membership in whichever pool its record names.
func memberOf(c *testChainApp, id crypto.DeviceID) *vppv1.Member {
	d := deviceOf(c, id)
	if d == nil || d.VppPool == 0 {
		return nil
	}
	return vpp.Keeper{}.Member(c.snapshot(), d.VppPool, id)
}

// TestVppIsDeterministic runs one adversarial workload twice on fresh
// apps: every block's app hash must be the same.
func TestVppIsDeterministic(t *testing.T) {
	a := vppAdversarialRun(t, 7, 150, 3)
	b := vppAdversarialRun(t, 7, 150, 3)
	if len(a) != len(b) {
		t.Fatalf("%d blocks, then %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("block %d: app hash %x, then %x", i+1, a[i], b[i])
		}
	}
}

// FuzzVppMessages decodes arbitrary bytes as a flexibility message (the
// first byte picks which), signs it as the operator or the batteries'
// owner (the signer field set to theirs, so it reaches its handler), and
// runs it next to a pool with a dispatch under way. Whatever the bytes:
// no panic, the books balance (every invariant is checked after the
// block), and a refused message moves no escrowed token and no credit.
func FuzzVppMessages(f *testing.F) {
	seed := func(kind byte, m proto.Message) {
		b, _ := proto.Marshal(m)
		f.Add(append([]byte{kind}, b...))
	}
	seed(0, &vppv1.MsgCreatePool{Network: "solar", Name: "x", Cell: 0x85283473fffffff, Denom: "udpin", PricePerKwh: 1, MinResponseBps: 1})
	seed(1, &vppv1.MsgJoinPool{Pool: 1, MaxW: ^uint64(0)})
	seed(2, &vppv1.MsgLeavePool{Pool: 1})
	seed(3, &vppv1.MsgBuyCredits{Network: "solar", Credits: ^uint64(0)})
	seed(4, &vppv1.MsgDispatch{Pool: 1, Direction: 1, PowerW: ^uint64(0), Start: 1 << 40, DurationSeconds: 60})
	seed(5, &vppv1.MsgClosePool{Pool: 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return
		}
		vw := newVppWorld(t, vppParams())
		c := vw.c
		b1 := vw.battery("b1", 5000, 10_000)
		pool := vw.pool(vw.terms())
		vw.ok(vw.owner, &vppv1.MsgJoinPool{Owner: vw.owner.addr.Bytes(), Pool: pool, Device: b1[:]})
		vw.reportAll(c.time.Unix()/60*60-60, c.time.Unix()/60*60, map[string]reading{"b1": {0, 10, 500}})
		vw.earnCredits(100)
		now := c.time.Unix() + 1
		vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: vw.utility.addr.Bytes(), Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
			PowerW: 1000, Start: (now + 119) / 60 * 60, DurationSeconds: 60})
		who := vw.utility
		var msg proto.Message
		switch raw[0] % 6 {
		case 0:
			msg = &vppv1.MsgCreatePool{}
		case 1:
			msg = &vppv1.MsgJoinPool{}
		case 2:
			msg = &vppv1.MsgLeavePool{}
		case 3:
			msg = &vppv1.MsgBuyCredits{}
		case 4:
			msg = &vppv1.MsgDispatch{}
		case 5:
			msg = &vppv1.MsgClosePool{}
		}
		if proto.Unmarshal(raw[1:], msg) != nil {
			return
		}
		switch m := msg.(type) {
		case *vppv1.MsgCreatePool:
			m.Operator = who.addr.Bytes()
		case *vppv1.MsgJoinPool:
			who, m.Owner = vw.owner, vw.owner.addr.Bytes()
			if len(m.Device) == 0 {
				m.Device = b1[:]
			}
		case *vppv1.MsgLeavePool:
			who, m.Owner = vw.owner, vw.owner.addr.Bytes()
			if len(m.Device) == 0 {
				m.Device = b1[:]
			}
		case *vppv1.MsgBuyCredits:
			m.Operator = who.addr.Bytes()
		case *vppv1.MsgDispatch:
			m.Operator = who.addr.Bytes()
		case *vppv1.MsgClosePool:
			m.Operator = who.addr.Bytes()
		}
		escrow := c.balance(vpp.Escrow, "udpin")
		credits := vpp.Keeper{}.Credits(c.snapshot(), "solar", vw.utility.addr)
		if r := c.result(who, vppMsg(msg)); r.Code != 0 {
			if got := c.balance(vpp.Escrow, "udpin"); got != escrow {
				t.Fatalf("refused (%s), yet the escrow moved from %d to %d", r.Log, escrow, got)
			}
			if got := (vpp.Keeper{}).Credits(c.snapshot(), "solar", vw.utility.addr); got != credits {
				t.Fatalf("refused (%s), yet the credits moved from %d to %d", r.Log, credits, got)
			}
		}
		c.time = c.time.Add(10 * time.Minute)
		c.block()
	})
}
