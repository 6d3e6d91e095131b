package simnet

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/x/network"
)

// TestFleetOnDevnet is the end-to-end path of proof of physical work: a
// real devnet, the gateway's real MQTT broker on a free port, simulated
// household meters signing and publishing reports; every report is
// accepted on chain and the devices' accumulators add up.
func TestFleetOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet and a fleet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	bob, _ := ks.Load("bob", nil)
	eve, _ := ks.Load("eve", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := Run(ctx, c, Config{
		Kind: "meter", Devices: 12, Regions: []Region{Cities["berlin"], Cities["lagos"]},
		Duration: 6 * time.Second, Interval: time.Second, Seed: 42,
		Owners: []ed25519.PrivateKey{alice.Private, bob.Private}, Submitter: eve.Private,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Devices != 12 || res.NewlyRegistered != 12 {
		t.Fatalf("devices %d, registered %d", res.Devices, res.NewlyRegistered)
	}
	// Two owners share even a small fleet evenly.
	for _, k := range []*keystore.Key{alice, bob} {
		owned, err := c.Devices(ctx, client.DeviceFilter{Owner: &k.Address})
		if err != nil || len(owned) != 6 {
			t.Fatalf("%s owns %d devices (%v), want 6", k.Address, len(owned), err)
		}
	}
	if res.Sent < 12*4 || res.Accepted != res.Sent || res.Rejected != 0 {
		t.Fatalf("sent %d, accepted %d, rejected %d (%v)", res.Sent, res.Accepted, res.Rejected, res.RejectedByReason)
	}
	// The chain's accumulators agree with what was accepted.
	net, err := c.Network(ctx, res.Network, client.QueryOptions{})
	if err != nil || net == nil {
		t.Fatalf("network: %v", err)
	}
	ids, err := c.Devices(ctx, client.DeviceFilter{Network: res.Network})
	if err != nil || len(ids) != 12 {
		t.Fatalf("devices listed: %d %v", len(ids), err)
	}
	st, _ := c.Status(ctx)
	last := network.EpochAt(net, st.SyncInfo.LatestBlockTime.Unix())
	var accepted uint64
	for _, id := range ids {
		d, err := c.Device(ctx, id, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var inEpochs, covered uint64
		for e := network.EpochAt(net, net.EpochAnchor); e <= last; e++ {
			w, err := c.Work(ctx, res.Network, e, id)
			if err != nil {
				t.Fatal(err)
			}
			inEpochs += w.ReportsAccepted
			covered += w.CoveredSeconds
		}
		if inEpochs != d.ReportsAccepted || covered != d.ReportsAccepted {
			t.Errorf("device %x: %d accepted, %d in work records, %d s covered (1 s periods)", id, d.ReportsAccepted, inEpochs, covered)
		}
		accepted += d.ReportsAccepted
	}
	if accepted != res.Accepted {
		t.Fatalf("devices accepted %d, run says %d", accepted, res.Accepted)
	}
	// A second run reuses the network and the registered fleet.
	res2, err := Run(ctx, c, Config{Kind: "meter", Devices: 12, Regions: []Region{Cities["berlin"], Cities["lagos"]},
		Duration: 3 * time.Second, Interval: time.Second, Seed: 42, Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private})
	if err != nil {
		t.Fatal(err)
	}
	if res2.NewlyRegistered != 0 || res2.Accepted != res2.Sent || res2.Network != res.Network {
		t.Fatalf("second run: %+v", res2)
	}
}

// TestFleetEarnsRewards: a simulated fleet on a devnet works through
// epochs of 10 s; once they end, every device's rewards are recorded with a
// breakdown, the owner claims them all and the balances add up.
func TestFleetEarnsRewards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet and a fleet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	eve, _ := ks.Load("eve", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := Run(ctx, c, Config{
		Kind: "storage", Devices: 8, Regions: []Region{Cities["berlin"], Cities["tokyo"]}, EpochSeconds: 10,
		Duration: 8 * time.Second, Interval: time.Second, Seed: 7,
		Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted == 0 || res.Rejected != 0 {
		t.Fatalf("accepted %d rejected %d", res.Accepted, res.Rejected)
	}
	net, err := c.Network(ctx, res.Network, client.QueryOptions{})
	if err != nil || net == nil {
		t.Fatalf("network: %v", err)
	}
	// Wait for a block in the epoch after the last report's.
	st, _ := c.Status(ctx)
	lastWork := network.EpochAt(net, st.SyncInfo.LatestBlockTime.Unix())
	deadline := time.Now().Add(40 * time.Second)
	for {
		st, err = c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if network.EpochAt(net, st.SyncInfo.LatestBlockTime.Unix()) > lastWork {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no block in the next epoch")
		}
		time.Sleep(300 * time.Millisecond)
	}
	rs, err := c.RewardState(ctx, res.Network, client.QueryOptions{})
	if err != nil || rs == nil {
		t.Fatalf("reward state: %v", err)
	}
	ids, err := c.Devices(ctx, client.DeviceFilter{Network: res.Network})
	if err != nil || len(ids) != 8 {
		t.Fatalf("devices: %d %v", len(ids), err)
	}
	var unclaimed, fromBreakdowns uint64
	for _, id := range ids {
		u, err := c.Unclaimed(ctx, id, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for e := rs.FirstEpoch; e <= lastWork; e++ {
			b, err := c.RewardBreakdown(ctx, res.Network, e, id, client.QueryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if b != nil {
				sum += b.Reward
			}
		}
		if u != sum || u == 0 {
			t.Errorf("device %x: unclaimed %d, breakdowns say %d", id, u, sum)
		}
		unclaimed += u
		fromBreakdowns += sum
	}
	if unclaimed != rs.Unclaimed || rs.Minted != rs.Claimed+rs.Treasury+rs.Unclaimed+rs.Pending || rs.Minted%DefaultEmission != 0 {
		t.Fatalf("state %v, devices hold %d", rs, unclaimed)
	}
	before, _, err := c.Balance(ctx, alice.Address, net.RewardDenom, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTx(ctx, alice.Private, []*txv1.Msg{{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: alice.Address.Bytes()}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	after, _, err := c.Balance(ctx, alice.Address, net.RewardDenom, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Epochs may have ended meanwhile (more accrued), but never less than
	// what was unclaimed before the claim is paid.
	if after-before < unclaimed {
		t.Fatalf("claimed %d, %d was unclaimed", after-before, unclaimed)
	}
	rs2, _ := c.RewardState(ctx, res.Network, client.QueryOptions{})
	if rs2.Claimed != after-before || rs2.Minted != rs2.Claimed+rs2.Treasury+rs2.Unclaimed+rs2.Pending {
		t.Fatalf("state after claim %v (paid %d)", rs2, after-before)
	}
}

// TestBatteryFleetOnDevnet: a battery network made here is a flexibility
// market; its batteries' certificates carry their energy capacity into
// their records, they listen for dispatches on their own MQTT
// connections, and every report is accepted (within the bounds of their
// rated power).
func TestBatteryFleetOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet and a fleet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	eve, _ := ks.Load("eve", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := Run(ctx, c, Config{Kind: "battery", Devices: 6, Duration: 6 * time.Second, Interval: time.Second, Seed: 7,
		Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private, IgnoreDispatch: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 6*4 || res.Accepted != res.Sent || res.Rejected != 0 {
		t.Fatalf("sent %d, accepted %d, rejected %d (%v)", res.Sent, res.Accepted, res.Rejected, res.RejectedByReason)
	}
	net, err := c.Network(ctx, res.Network, client.QueryOptions{})
	if err != nil || net == nil || net.Params.GetVpp() == nil || len(net.Params.Metrics) != 3 {
		t.Fatalf("network %v (%v): want a flexibility market of charged, discharged and soc", net, err)
	}
	ids, err := c.Devices(ctx, client.DeviceFilter{Network: res.Network})
	if err != nil || len(ids) != 6 {
		t.Fatalf("%d devices (%v)", len(ids), err)
	}
	for _, id := range ids {
		d, err := c.Device(ctx, id, client.QueryOptions{})
		if err != nil || d.EnergyCapacity < 2*d.Capacity || d.EnergyCapacity > 3*d.Capacity {
			t.Fatalf("device %v (%v): want 2 to 3 hours of its rated power stored", d, err)
		}
	}
}
