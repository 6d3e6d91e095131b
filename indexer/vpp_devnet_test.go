package indexer

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	uh3 "github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/proto"

	apidevice "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	apivpp "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/wire"
)

// VppDevnet is a devnet with a virtual power plant run through the
// chain in real time: network "grid" (ENERGY, one-minute metering
// intervals, a baseline of one interval, 10-second reward epochs, a
// challenge of one member a minute) with three batteries of alice's in
// Berlin; bob (the utility) opens pool 1 over their region, they join,
// and a reporter reports for them every 5 seconds — b1 and b2 doing what
// their allocations ask, b3 (lazy) nothing. Alice claims the batteries'
// rewards and gives bob grid tokens; he burns some for credits and
// dispatches 9 kW for one interval; the test waits until the dispatch
// and a challenge have settled. Idle, every battery charges 1 Wh a
// report (so it earns rewards, and its baseline is a little charging).
type VppDevnet struct {
	t         testing.TB
	C         *client.Client
	Keys      map[string]*keystore.Key
	Batteries []crypto.DeviceID // b1, b2 (responsive), b3 (lazy)
	Region    uint64
	Pool      uint64
	Dispatch  uint64
	chainID   string
	devKeys   []ed25519.PrivateKey

	mu      sync.Mutex
	reports int
	stop    func()
	done    chan struct{}
}

// vppNetworkParams are grid's params.
func vppNetworkParams() *networkv1.Params {
	vp := apivpp.DefaultParams()
	vp.IntervalSeconds, vp.BaselineIntervals, vp.SettleDelaySeconds, vp.MinLeadSeconds = 20, 1, 0, 0
	vp.MaxDurationSeconds, vp.MaxNoticeSeconds, vp.CreditPrice, vp.DispatchCredits, vp.KwhCredits = 3600, 600, 2, 10, 1
	vp.ChallengeSeconds, vp.ChallengeDevices, vp.ChallengePowerBps, vp.MaxMisses = 20, 1, 5000, 5
	rw := network.DefaultRewards(1_000_000_000)
	rw.Geo = nil
	return &networkv1.Params{
		Metrics: []*networkv1.Metric{{Id: 1, Name: "charged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
			{Id: 2, Name: "discharged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}, {Id: 3, Name: "soc", Unit: "permille", BoundNum: 1000, BoundDen: 1}},
		EpochSeconds: network.MinEpochSeconds, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30, MinStake: 10_000_000, UnbondingSeconds: 3600,
		MinMoveIntervalSeconds: 3600, Rewards: rw, Vpp: vp,
	}
}

// NewVppDevnet forms grid, its batteries and the pool on the devnet at
// home, and starts their reporter.
func NewVppDevnet(t testing.TB, c *client.Client, home string) *VppDevnet {
	t.Helper()
	ctx := context.Background()
	ks := keystore.Open(node.KeysDir(home))
	vd := &VppDevnet{t: t, C: c, Keys: map[string]*keystore.Key{}}
	for _, name := range []string{"alice", "bob", "eve"} {
		k, err := ks.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		vd.Keys[name] = k
	}
	var err error
	if vd.chainID, err = c.ChainID(ctx); err != nil {
		t.Fatal(err)
	}
	alice, bob := vd.Keys["alice"], vd.Keys["bob"]
	makerSeed := sha256.Sum256([]byte("grid maker"))
	maker := ed25519.NewKeyFromSeed(makerSeed[:])
	vd.send(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.Address.Bytes(), Id: "grid", Name: "Grid", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true, RewardDenom: "ugrid",
		Params: vppNetworkParams()}}},
		&txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: alice.Address.Bytes(), Network: "grid", MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "Battery Co"}}})
	berlin := []uh3.LatLng{{Lat: 52.52, Lng: 13.405}, {Lat: 52.51, Lng: 13.39}, {Lat: 52.53, Lng: 13.42}}
	var msgs []*txv1.Msg
	for i, at := range berlin {
		seed := sha256.Sum256([]byte(fmt.Sprint("grid battery ", i)))
		dev := ed25519.NewKeyFromSeed(seed[:])
		cert, err := apidevice.SignCert(maker, vd.chainID, &devicev1.DeviceCert{Network: "grid", DevicePublicKey: dev.Public().(ed25519.PublicKey),
			Model: "PowerWall", Serial: fmt.Sprint("b", i+1), Capacity: 5000, EnergyCapacity: 13_500, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		cell := uint64(uh3.LatLngToCell(at, 10))
		msgs = append(msgs, client.RegisterDeviceMsg(vd.chainID, alice.Address, cert, dev, cell))
		vd.Batteries = append(vd.Batteries, crypto.AddressFromPubKey(dev.Public().(ed25519.PublicKey)))
		vd.devKeys = append(vd.devKeys, dev)
		if i == 0 {
			if vd.Region, err = h3.Parent(cell, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	vd.send(alice, msgs...)
	vd.send(bob, &txv1.Msg{Sum: &txv1.Msg_CreatePool{CreatePool: &vppv1.MsgCreatePool{Operator: bob.Address.Bytes(), Network: "grid", Name: "Berlin VPP",
		Cell: vd.Region, Denom: "udpin", PricePerKwh: 1_000_000, PenaltyBps: 100, MinResponseBps: 5000, NoticeSeconds: 120}}})
	vd.Pool = 1
	msgs = nil
	for _, id := range vd.Batteries {
		msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_JoinPool{JoinPool: &vppv1.MsgJoinPool{Owner: alice.Address.Bytes(), Pool: vd.Pool, Device: id.Bytes(), MinSocPpt: 200}}})
	}
	vd.send(alice, msgs...)
	rctx, stop := context.WithCancel(context.Background())
	vd.stop, vd.done = stop, make(chan struct{})
	go vd.report(rctx)
	t.Cleanup(vd.Stop)
	return vd
}

// Stop ends the reporter.
func (vd *VppDevnet) Stop() {
	if vd.stop != nil {
		vd.stop()
		<-vd.done
		vd.stop = nil
	}
}

func (vd *VppDevnet) send(k *keystore.Key, msgs ...*txv1.Msg) *client.TxResult {
	vd.t.Helper()
	r, err := vd.C.SendTx(context.Background(), k.Private, msgs, client.TxOptions{})
	if err != nil {
		vd.t.Fatalf("%T: %v", msgs[0].Sum, err)
	}
	if r.Code != 0 {
		vd.t.Fatalf("%T: code %d: %s", msgs[0].Sum, r.Code, r.Log)
	}
	return r
}

// report has eve submit, every 5 seconds of block time, one report per
// battery over the 5 seconds before: a responsive battery moves the
// energy its allocations ask for (power × time, in whole Wh counted from
// the window's start), the lazy one nothing.
func (vd *VppDevnet) report(ctx context.Context) {
	defer close(vd.done)
	seqs := make([]uint64, len(vd.Batteries))
	var last int64
	eve := vd.Keys["eve"]
	for ctx.Err() == nil {
		st, err := vd.C.Status(ctx)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		end := st.SyncInfo.LatestBlockTime.Unix() / 5 * 5
		if last == 0 {
			last = end - 5
		}
		if end <= last {
			time.Sleep(300 * time.Millisecond)
			continue
		}
		start := max(last, end-30) // a gap while the chain was slow is not reported
		var batch []*reportv1.SignedReport
		for i, id := range vd.Batteries {
			// Idle, a battery tops itself up a little (work, so it earns
			// the network's token); in an allocation's window a responsive
			// one does what it is asked instead.
			charged, discharged := uint64(1), uint64(0)
			if i < 2 {
				m, _, err := vd.C.PoolMember(ctx, vd.Pool, id, client.QueryOptions{})
				if err == nil && m != nil {
					for _, a := range m.Allocs {
						if a.Start > start || end > a.End {
							continue
						}
						wh := apivpp.EnergyWh(a.PowerW, uint64(end-a.Start)) - apivpp.EnergyWh(a.PowerW, uint64(start-a.Start))
						charged = 0
						if a.Direction == vppv1.Direction_DIRECTION_CHARGE {
							charged += wh
						} else {
							discharged += wh
						}
					}
				}
			}
			seqs[i]++
			raw, err := wire.Sign(vd.devKeys[i], vd.chainID, &reportv1.Report{Network: "grid", Seq: seqs[i], PeriodStart: start, PeriodEnd: end,
				Metrics: []*reportv1.MetricValue{{Id: 1, Value: charged}, {Id: 2, Value: discharged}, {Id: 3, Value: 500}}})
			if err != nil {
				vd.t.Error(err)
				return
			}
			var sr reportv1.SignedReport
			if err := proto.Unmarshal(raw, &sr); err != nil {
				vd.t.Error(err)
				return
			}
			batch = append(batch, &sr)
		}
		r, err := vd.C.SendTx(ctx, eve.Private, []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
			Submitter: eve.Address.Bytes(), Reports: batch}}}}, client.TxOptions{})
		if ctx.Err() != nil {
			return
		}
		last = end // a batch that failed is not sent again: its periods may be on chain
		if err != nil || r.Code != 0 {
			vd.t.Logf("report batch at %d: %v %v", end, r, err)
			continue
		}
		vd.mu.Lock()
		vd.reports++
		vd.mu.Unlock()
	}
}

// RunScenario buys credits with the batteries' rewards and dispatches
// the pool, and waits until the dispatch and a challenge have settled.
func (vd *VppDevnet) RunScenario() {
	vd.t.Helper()
	ctx := context.Background()
	alice, bob := vd.Keys["alice"], vd.Keys["bob"]
	vd.waitFor("the batteries' first rewards", 90*time.Second, func() bool {
		u, err := vd.C.Unclaimed(ctx, vd.Batteries[0], client.QueryOptions{})
		return err == nil && u > 0
	})
	vd.send(alice, &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: alice.Address.Bytes()}}})
	vd.send(alice, client.MsgSend(alice.Address, bob.Address, &bankv1.Coin{Denom: "ugrid", Amount: 1000}))
	vd.send(bob, &txv1.Msg{Sum: &txv1.Msg_BuyCredits{BuyCredits: &vppv1.MsgBuyCredits{Operator: bob.Address.Bytes(), Network: "grid", Credits: 100}}})
	// 9 kW for the next 20-second interval at least 10 s away.
	st, err := vd.C.Status(ctx)
	if err != nil {
		vd.t.Fatal(err)
	}
	start := (st.SyncInfo.LatestBlockTime.Unix() + 10 + 19) / 20 * 20
	r := vd.send(bob, &txv1.Msg{Sum: &txv1.Msg_Dispatch{Dispatch: &vppv1.MsgDispatch{Operator: bob.Address.Bytes(), Pool: vd.Pool,
		Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 9000, Start: start, DurationSeconds: 20}}})
	for _, ev := range r.Events {
		if ev.Type == "depin.vpp.v1.EventDispatchCreated" {
			for _, a := range ev.Attributes {
				if a.Key == "id" {
					fmt.Sscan(a.Value, &vd.Dispatch)
				}
			}
		}
	}
	if vd.Dispatch == 0 {
		vd.t.Fatal("the dispatch tx made no dispatch")
	}
	vd.waitFor("the dispatch to settle", 150*time.Second, func() bool {
		d, err := vd.C.Dispatch(ctx, vd.Dispatch, client.QueryOptions{})
		return err == nil && d != nil && d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED
	})
	vd.waitFor("a challenge to settle", 150*time.Second, func() bool {
		ds, err := vd.C.PoolDispatches(ctx, vd.Pool)
		if err != nil {
			return false
		}
		for _, d := range ds {
			if d.Challenge && d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
				return true
			}
		}
		return false
	})
	vd.Stop()
	// A challenge's window may have taken one battery out of the
	// dispatch's; the responsive ones that took part delivered.
	if d, _ := vd.C.Dispatch(ctx, vd.Dispatch, client.QueryOptions{}); d.Responded == 0 || d.DeliveredWh == 0 {
		vd.t.Fatalf("the dispatch settled with %d responded, %d missed, %d Wh delivered", d.Responded, d.Missed, d.DeliveredWh)
	}
}

func (vd *VppDevnet) waitFor(what string, limit time.Duration, ok func() bool) {
	vd.t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			vd.mu.Lock()
			n := vd.reports
			vd.mu.Unlock()
			vd.t.Fatalf("waited %s for %s (%d report batches sent)", limit, what, n)
		}
	}
}

// CheckVppIndex compares the index with the chain at the index's height
// after RunScenario: the pool, every membership, every dispatch and
// challenge and each member's metering in it (its intervals sum to what
// the chain metered), the credit books and balances, the stakes.
func CheckVppIndex(t *testing.T, db *DB, vd *VppDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := client.QueryOptions{Height: h}
	p, err := vd.C.Pool(ctx, vd.Pool, at)
	if err != nil || p == nil {
		t.Fatalf("pool at %d: %v", h, err)
	}
	row := func(q string, args ...any) string {
		t.Helper()
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		if !rows.Next() {
			return "<none>"
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		return fmt.Sprintln(vals...)
	}
	if got, want := row(`SELECT members, max_w, dispatches, challenges, delivered_wh, paid FROM vpp_pools WHERE id = $1`, int64(vd.Pool)),
		fmt.Sprintln(p.Members, p.MaxW, p.Dispatches, p.Challenges, p.DeliveredWh, p.Paid); got != want {
		t.Errorf("pool (members, max W, dispatches, challenges, delivered, paid): index %s chain %s", got, want)
	}
	for i, id := range vd.Batteries {
		dev := crypto.DeviceString(id)
		m, _, err := vd.C.PoolMember(ctx, vd.Pool, id, at)
		if err != nil {
			t.Fatal(err)
		}
		d, err := vd.C.Device(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		var stake int64
		if err := db.QueryRowContext(ctx, `SELECT stake FROM devices WHERE id = $1`, dev).Scan(&stake); err != nil || uint64(stake) != d.Stake {
			t.Errorf("battery %d: stake %d in the index, %d on chain (%v)", i, stake, d.Stake, err)
		}
		if m == nil {
			if got := row(`SELECT status FROM vpp_members WHERE pool = $1 AND device = $2`, int64(vd.Pool), dev); got != fmt.Sprintln("LEFT") {
				t.Errorf("battery %d left the pool on chain; the index has %s", i, got)
			}
			continue
		}
		if got, want := row(`SELECT passed, failed, misses, delivered_wh, earned FROM vpp_members WHERE pool = $1 AND device = $2`, int64(vd.Pool), dev),
			fmt.Sprintln(m.Passed, m.Failed, m.Misses, m.DeliveredWh, m.Earned); got != want {
			t.Errorf("battery %d (passed, failed, misses, delivered, earned): index %s chain %s", i, got, want)
		}
	}
	ds, err := vd.C.PoolDispatches(ctx, vd.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, d0 := range ds {
		d, err := vd.C.Dispatch(ctx, d0.Id, at)
		if err != nil || d == nil {
			continue // made after the indexed height
		}
		status := map[vppv1.DispatchStatus]string{vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING: "ALLOCATING", vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING: "ALLOCATING",
			vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED: "ALLOCATED", vppv1.DispatchStatus_DISPATCH_STATUS_SETTLING: "SETTLING",
			vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED: "SETTLED"}[d.Status]
		if got, want := row(`SELECT status, CASE WHEN challenge THEN 'true' ELSE 'false' END, power_w, delivered_wh, paid, refunded, responded, missed, baseline_wh, allocated_wh, penalties FROM vpp_dispatches WHERE id = $1`, int64(d.Id)),
			fmt.Sprintln(status, d.Challenge, d.PowerW, d.DeliveredWh, d.Paid, d.Refunded, d.Responded, d.Missed, d.BaselineWh, d.AllocatedWh, d.Penalties); got != want && d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
			t.Errorf("dispatch %d (status, challenge, power, delivered, paid, refunded, responded, missed, baseline, allocated, penalties): index %s chain %s", d.Id, got, want)
		}
		if d.Status != vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED {
			continue
		}
		// The index metered each member as the chain did.
		if got := row(`SELECT COUNT(*) FROM vpp_allocations a WHERE a.dispatch = $1 AND a.metered_wh <> (SELECT COALESCE(SUM(i.metered_wh), 0) FROM vpp_intervals i
  WHERE i.dispatch = a.dispatch AND i.device = a.device)`, int64(d.Id)); got != fmt.Sprintln(0) {
			t.Errorf("dispatch %d: %s members whose intervals do not sum to what the chain metered", d.Id, got)
		}
		if got := row(`SELECT COALESCE(SUM(metered_wh), 0) FROM vpp_allocations WHERE dispatch = $1`, int64(d.Id)); got != fmt.Sprintln(d.MeteredWh) {
			t.Errorf("dispatch %d: the index metered %s, the chain %d", d.Id, got, d.MeteredWh)
		}
	}
	books, err := vd.C.CreditBooks(ctx, "grid", at)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := row(`SELECT burned, minted, spent FROM vpp_books WHERE network = 'grid'`), fmt.Sprintln(books.Burned, books.Minted, books.Spent); got != want {
		t.Errorf("credit books (burned, minted, spent): index %s chain %s", got, want)
	}
	credits, _, err := vd.C.Credits(ctx, "grid", vd.Keys["bob"].Address, at)
	if err != nil {
		t.Fatal(err)
	}
	if got := row(`SELECT credits FROM vpp_credits WHERE network = 'grid' AND account = $1`, vd.Keys["bob"].Address.String()); got != fmt.Sprintln(credits) {
		t.Errorf("bob's credits: index %s chain %d", got, credits)
	}
}
