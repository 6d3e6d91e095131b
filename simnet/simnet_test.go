package simnet

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
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
	eve, _ := ks.Load("eve", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := Run(ctx, c, Config{
		Kind: "meter", Devices: 12, Regions: []Region{Cities["berlin"], Cities["lagos"]},
		Duration: 6 * time.Second, Interval: time.Second, Seed: 42,
		Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Devices != 12 || res.NewlyRegistered != 12 {
		t.Fatalf("devices %d, registered %d", res.Devices, res.NewlyRegistered)
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
