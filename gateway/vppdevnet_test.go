package gateway

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	ics23 "github.com/cosmos/ics23/go"
	uh3 "github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/agent/sim"
	apidevice "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/proof"
	"github.com/depinhq/depin/wire"
)

// TestDispatchesOnDevnet runs a virtual power plant end to end on a real
// chain: simulated batteries report through the gateway over MQTT, an
// operator dispatches their pool, the chain allocates the dispatch in a
// block step, the gateway forwards each battery's part to its MQTT
// dispatch topic, the batteries that follow dispatches discharge on top
// of what they would have done and are paid, the one that ignores them
// misses; a device can check its dispatch against the chain with the
// gateway's proof of its member record.
func TestDispatchesOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and runs a dispatch through (about 3 minutes)")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ks := keystore.Open(node.KeysDir(n.Home()))
	key := func(name string) ed25519.PrivateKey {
		k, err := ks.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k.Private
	}
	alice, bob, carol := key("alice"), key("bob"), key("carol") // owner of the network and the batteries, operator, gateway
	addr := func(k ed25519.PrivateKey) crypto.Address {
		return crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
	}
	send := func(who ed25519.PrivateKey, what string, msgs ...*txv1.Msg) {
		t.Helper()
		if _, err := c.SendTx(ctx, who, msgs, client.TxOptions{}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// A battery network that is a flexibility market: 20-second metering
	// intervals (two reports each), a baseline of three, dispatches 20 s
	// ahead, settled 15 s after their window; 10-s reward epochs so the batteries earn
	// the tokens the operator burns for service credits.
	const net = "grid"
	kind, _ := agent.LookupKind("battery")
	flex := vpp.DefaultParams()
	flex.IntervalSeconds, flex.BaselineIntervals, flex.SettleDelaySeconds, flex.MinLeadSeconds = 20, 3, 15, 20
	flex.MaxDurationSeconds, flex.MaxNoticeSeconds, flex.DispatchCredits, flex.KwhCredits = 3600, 600, 10, 1
	flex.ChallengeSeconds, flex.ChallengeDevices = 0, 0
	rewards := network.DefaultRewards(1_000_000_000)
	rewards.Geo = nil
	maker := testKey("vpp maker")
	send(alice, "create the network",
		&txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: addr(alice).Bytes(), Id: net, Name: "Grid", Class: kind.Class, Physical: true, RewardDenom: "ugrid",
			Params: &networkv1.Params{Metrics: kind.Metrics, EpochSeconds: 10, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
				MinStake: 1_000_000, UnbondingSeconds: 60, MinMoveIntervalSeconds: 60, Rewards: rewards, Vpp: flex}}}},
		&txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: addr(alice).Bytes(), Network: net, MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "vpp maker"}}})

	// Twenty batteries a few metres apart, a few of which ignore dispatches.
	var fleet *sim.Fleet
	for seed := uint64(1); fleet == nil; seed++ {
		f, err := sim.New(sim.Config{Kind: "battery", Devices: 20, Seed: seed, Network: net, ChainID: chainID,
			Lat: 52.52, Lon: 13.40, RadiusKm: 0.05, IgnoreDispatch: 0.2, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		ignoring := 0
		for _, m := range f.Members() {
			if m.IgnoresDispatch {
				ignoring++
			}
		}
		if ignoring >= 1 && ignoring <= 5 {
			fleet = f
		}
	}
	var region uint64
	var regs []*txv1.Msg
	for _, m := range fleet.Members() {
		cert, err := apidevice.SignCert(maker, chainID, &devicev1.DeviceCert{Network: net, DevicePublicKey: m.Key.Public().(ed25519.PublicKey),
			Model: "sim-battery", Serial: m.Device.String(), Capacity: m.Capacity, EnergyCapacity: m.EnergyCapacity,
			MakerPublicKey: maker.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		cell := uint64(uh3.LatLngToCell(uh3.NewLatLng(m.Lat, m.Lon), 10))
		if region == 0 {
			if region, err = h3.Parent(cell, 5); err != nil {
				t.Fatal(err)
			}
		}
		if !vpp.InRegion(region, cell) {
			t.Fatalf("device %d is outside the pool's region", m.Index)
		}
		regs = append(regs, client.RegisterDeviceMsg(chainID, addr(alice), cert, m.Key, cell))
	}
	send(alice, "register the batteries", regs...)

	// The gateway, and the fleet reporting through it and listening for
	// its dispatches.
	cfg := TestConfig()
	cfg.SubmitterKey = carol
	cfg.MaxBatchWait = 200 * time.Millisecond
	cfg.ConfirmTimeout = 5 * time.Second
	cfg.DispatchPoll = 200 * time.Millisecond
	g := newGateway(t, cfg, c)
	runGateway(t, g)
	broker := "mqtt://" + g.MQTTAddr()
	mc := agent.DefaultMQTTConfig(broker)
	mc.ClientID = "vpp-fleet"
	mqttPub, err := agent.NewMQTTPublisher(mc)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := agent.NewQueuedPublisher(mqttPub, agent.DefaultQueueConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer queue.Close()
	stopSubs, err := fleet.SubscribeDispatches(ctx, broker)
	if err != nil {
		t.Fatal(err)
	}
	defer stopSubs()
	fctx, stopFleet := context.WithCancel(ctx)
	fleetDone := make(chan error, 1)
	go func() { fleetDone <- fleet.Run(fctx, queue) }()
	defer func() {
		stopFleet()
		if err := <-fleetDone; err != nil {
			t.Errorf("fleet: %v", err)
		}
	}()

	// Bob's pool of the region; alice's batteries join it.
	send(bob, "create the pool", &txv1.Msg{Sum: &txv1.Msg_CreatePool{CreatePool: &vppv1.MsgCreatePool{
		Operator: addr(bob).Bytes(), Network: net, Name: "Berlin VPP", Cell: region, Denom: "udpin",
		PricePerKwh: 1_000_000, PenaltyBps: 100, MinResponseBps: 5000, NoticeSeconds: 120}}})
	pools, err := c.Pools(ctx, net)
	if err != nil || len(pools) != 1 {
		t.Fatalf("pools %v, %v", pools, err)
	}
	pool := pools[0].Id
	var joins []*txv1.Msg
	for _, m := range fleet.Members() {
		id := m.Device.ID()
		joins = append(joins, &txv1.Msg{Sum: &txv1.Msg_JoinPool{JoinPool: &vppv1.MsgJoinPool{Owner: addr(alice).Bytes(), Pool: pool, Device: id[:]}}})
	}
	send(alice, "join the pool", joins...)

	// Service credits: the batteries earn the network's token, alice
	// claims it and gives it to bob, who burns it for credits.
	waitUntil(t, ctx, "the batteries' first rewards", func() bool {
		u, err := c.Unclaimed(ctx, fleet.Members()[0].Device.ID(), client.QueryOptions{})
		return err == nil && u > 0
	})
	send(alice, "claim", &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: addr(alice).Bytes()}}})
	const credits = 100
	send(alice, "pay bob", client.MsgSend(addr(alice), addr(bob), &bankv1.Coin{Denom: "ugrid", Amount: credits * flex.CreditPrice}))
	send(bob, "buy credits", &txv1.Msg{Sum: &txv1.Msg_BuyCredits{BuyCredits: &vppv1.MsgBuyCredits{Operator: addr(bob).Bytes(), Network: net, Credits: credits}}})

	// A few metering intervals of history, then a dispatch of 1.5 kW per
	// battery for two intervals from the first interval boundary at least
	// 35 s ahead.
	waitUntil(t, ctx, "three intervals of history", func() bool {
		m, _, err := c.PoolMember(ctx, pool, fleet.Members()[0].Device.ID(), client.QueryOptions{})
		return err == nil && m != nil && len(m.HistoryWh) >= 3
	})
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := (st.SyncInfo.LatestBlockTime.Unix() + 35 + 19) / 20 * 20
	send(bob, "dispatch", &txv1.Msg{Sum: &txv1.Msg_Dispatch{Dispatch: &vppv1.MsgDispatch{Operator: addr(bob).Bytes(), Pool: pool,
		Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 1500 * uint64(len(fleet.Members())), Start: start, DurationSeconds: 40}}})
	dispatches, err := c.PoolDispatches(ctx, pool)
	if err != nil || len(dispatches) != 1 {
		t.Fatalf("dispatches %v, %v", dispatches, err)
	}
	dispatch := dispatches[0].Id

	// The gateway forwards each battery's allocation as soon as the chain
	// makes it, well before the window.
	waitUntil(t, ctx, "the allocations forwarded", func() bool { return g.Stats().DispatchesForwarded >= uint64(len(fleet.Members())) })
	if now := time.Now().Unix(); now >= start {
		t.Fatalf("the allocations were forwarded %d s after the window started", now-start)
	}
	allocatedWh := map[string]uint64{}
	for _, m := range fleet.Members() {
		var reply dispatchesReply
		if code := getJSON(t, "http://"+g.HTTPAddr()+"/v1/dispatch/"+m.Device.String(), &reply); code != http.StatusOK || len(reply.Dispatches) != 1 {
			t.Fatalf("GET /v1/dispatch/%s: %d %+v", m.Device, code, reply)
		}
		d := reply.Dispatches[0]
		if d.Dispatch != dispatch || d.Pool != pool || d.Start != start || d.End != start+40 || d.Direction != wire.DirectionDischarge || d.PowerW == 0 || d.Challenge {
			t.Fatalf("device %d was sent %+v", m.Index, d)
		}
		allocatedWh[m.Device.String()] = vpp.EnergyWh(d.PowerW, uint64(d.End-d.Start))
		// What the device can check: its member record holds the
		// allocation, proven against the app hash of a committed header.
		checkMemberProof(t, ctx, c, g, pool, m.Device.ID(), d)
	}

	// The window passes, the reports come in, the chain settles.
	waitUntil(t, ctx, "the dispatch settled", func() bool {
		d, err := c.Dispatch(ctx, dispatch, client.QueryOptions{})
		return err == nil && d != nil && d.Status == vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED
	})
	for _, m := range fleet.Members() {
		rec, _, err := c.PoolMember(ctx, pool, m.Device.ID(), client.QueryOptions{})
		if err != nil || rec == nil {
			t.Fatalf("member %d: %v %v", m.Index, rec, err)
		}
		alloc := allocatedWh[m.Device.String()]
		t.Logf("battery %d (%d W, %d Wh, ignores dispatches: %v): allocated %d Wh, delivered %d Wh, passed %d, failed %d, earned %d",
			m.Index, m.Capacity, m.EnergyCapacity, m.IgnoresDispatch, alloc, rec.DeliveredWh, rec.Passed, rec.Failed, rec.Earned)
		// Within tolerance: reports carry whole Wh (each of the window's
		// 10-second reports may fall up to 1 Wh short) and the battery's
		// own flow drifts from its baseline, by a few Wh either way over
		// a 40-second window of some 20 Wh: CI runs saw followers deliver
		// 65–100% (13 of 20 Wh), ignorers 0–18%. A follower must pass the
		// pool's own test, half its allocation, and be paid for it.
		if !m.IgnoresDispatch && (rec.DeliveredWh*100 < alloc*50 || rec.Passed != 1) {
			t.Errorf("battery %d followed the dispatch but delivered %d of %d Wh", m.Index, rec.DeliveredWh, alloc)
		}
		if m.IgnoresDispatch {
			// Its baseline and its window differ by a few Wh (its evening
			// moves on), which it is paid for; far from a response.
			if rec.Failed != 1 || rec.Passed != 0 {
				t.Errorf("battery %d ignored the dispatch, yet passed %d, failed %d", m.Index, rec.Passed, rec.Failed)
			}
		} else if rec.Passed != 1 || rec.Failed != 0 || rec.Earned == 0 {
			t.Errorf("battery %d followed the dispatch, yet passed %d, failed %d, earned %d", m.Index, rec.Passed, rec.Failed, rec.Earned)
		}
		// Paid exactly delivered × the pool's price per kWh.
		if want := vpp.Pay(rec.DeliveredWh, 1_000_000); rec.Earned != want {
			t.Errorf("battery %d delivered %d Wh and was paid %d, want %d", m.Index, rec.DeliveredWh, rec.Earned, want)
		}
	}
}

// waitUntil polls cond every 200 ms until it holds or ctx ends.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkMemberProof checks a dispatch as a device would: GET
// /v1/vpp/members/{pool}/{device} holds the allocation, the record's
// bytes are proven under the state root, and the root is the app hash
// of the next block's header.
func checkMemberProof(t *testing.T, ctx context.Context, c *client.Client, g *Gateway, pool uint64, dev crypto.DeviceID, d Dispatch) {
	t.Helper()
	var reply memberReply
	if code := getJSON(t, fmt.Sprintf("http://%s/v1/vpp/members/%d/%s", g.HTTPAddr(), pool, crypto.DeviceString(dev)), &reply); code != http.StatusOK {
		t.Fatalf("GET member: %d %+v", code, reply)
	}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return b
	}
	key, value, appHash := unhex(reply.Key), unhex(reply.Value), unhex(reply.AppHash)
	p := &proof.Proof{ICS23: &ics23.CommitmentProof{}}
	if err := p.ICS23.Unmarshal(unhex(reply.Proof.ICS23)); err != nil {
		t.Fatal(err)
	}
	for _, r := range reply.Proof.Roots {
		p.Roots = append(p.Roots, unhex(r))
	}
	if string(key) != string(vpp.MemberKey(pool, dev)) {
		t.Fatalf("key %x", key)
	}
	if err := proof.Verify(appHash, key, value, p); err != nil {
		t.Fatalf("the member record's proof: %v", err)
	}
	b, err := c.Block(ctx, reply.Height+1)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Block.AppHash) != string(appHash) {
		t.Fatalf("app hash %x, block %d's header says %x", appHash, reply.Height+1, b.Block.AppHash)
	}
	var m vppv1.Member
	if err := proto.Unmarshal(value, &m); err != nil {
		t.Fatal(err)
	}
	var memberJSON map[string]any
	if err := json.Unmarshal(reply.Member, &memberJSON); err != nil || memberJSON["allocs"] == nil {
		t.Fatalf("member %s: %v", reply.Member, err)
	}
	for _, a := range m.Allocs {
		if a.Dispatch == d.Dispatch && a.Start == d.Start && a.End == d.End && a.PowerW == d.PowerW && wire.DirectionName(a.Direction) == d.Direction {
			return
		}
	}
	t.Fatalf("the member record has no allocation for %+v: %v", d, m.Allocs)
}
