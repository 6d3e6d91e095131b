package computeclient_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/computeclient"
	"github.com/depinhq/depin/computenet"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/examples/render"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
)

func devKey(t *testing.T, n *node.Node, name string) *keystore.Key {
	t.Helper()
	k, err := keystore.Open(node.KeysDir(n.Home())).Load(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRenderJob is issue 19's example: the path tracer's tile module
// (built from Go for wasip1, ~4 MB: kept in the storage network, its file
// key in the job) renders the 256×256 scene as 16 tasks on 3 providers,
// each task replicated on all three. One provider cheats (runs every task
// with another seed): it is outvoted on every task, slashed, jailed, and
// its reputation drops; the two honest providers are paid; the stitched
// image equals, byte for byte, the scene rendered natively in this test.
func TestRenderJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet, 4 storage nodes and 3 compute providers")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	module, err := render.BuildTileModule(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	alice := devKey(t, n, "alice").Private
	sc := storagenet.DefaultConfig()
	sc.Nodes, sc.Dir, sc.Funder, sc.Logger = 4, t.TempDir(), alice, logger
	sn, err := storagenet.Start(ctx, chain, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Close)
	storageFor := func(key ed25519.PrivateKey) *storageclient.Client {
		c := storageclient.DefaultConfig()
		c.Key = key
		s, err := storageclient.New(chain, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const cheater = 2
	cc := computenet.DefaultConfig()
	cc.Funder, cc.Logger = alice, logger
	cc.Provider = func(i int, c *computenode.Config) {
		c.Blobs = computeclient.StorageBlobs{Storage: storageFor(c.OwnerKey)}
		c.Dishonest = i == cheater
	}
	cn, err := computenet.Start(ctx, chain, cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cn.Close)
	stakeBefore := device(t, chain, cn.ID(cheater)).Stake
	repBefore := reputation(t, chain, device(t, chain, cn.ID(cheater)))

	bob := devKey(t, n, "bob").Private
	cl := computeclient.New(chain, bob, storageFor(bob), logger)
	start := time.Now()
	sub, err := cl.Submit(ctx, computeclient.Job{Network: "render", Module: module, Tasks: 16, Replicas: 3, Price: 2000,
		Deadline: 10 * time.Minute, Memory: 64 << 20, Timeout: time.Minute, Output: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Stored) != 1 {
		t.Fatalf("the %d-byte module was not stored in the storage network: %+v", len(module), sub)
	}
	st, err := cl.Wait(ctx, sub.ID, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d-byte module; job %d done in %s: %d verified, %d failed", len(module), sub.ID, time.Since(start).Round(time.Millisecond), st.Job.Verified, st.Job.Failed)
	if st.Job.Status != computev1.JobStatus_JOB_STATUS_DONE || st.Job.Verified != 16 {
		t.Fatalf("job: %s, %d verified, %d failed", st.Job.Status, st.Job.Verified, st.Job.Failed)
	}
	got, err := computeclient.JoinPNGTiles(st, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render.Reference()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		if dir := os.Getenv("DEPIN_ARTIFACTS"); dir != "" {
			os.WriteFile(filepath.Join(dir, "render-job.png"), got, 0o644)
		}
		t.Fatalf("the stitched image (%d bytes) is not the native render (%d bytes)", len(got), len(want))
	}
	// The honest two were paid for every task, the cheater for none.
	if st.Job.Paid != 16*2*2000 {
		t.Fatalf("paid %d, want %d", st.Job.Paid, 16*2*2000)
	}
	stats, err := chain.ProviderStats(ctx, cn.ID(cheater))
	if err != nil {
		t.Fatal(err)
	}
	d := device(t, chain, cn.ID(cheater))
	if rep := reputation(t, chain, d); stats.TasksOutvoted != 16 || stats.Earned != 0 || d.Stake >= stakeBefore || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED || rep >= repBefore {
		t.Fatalf("the cheater: %v; stake %d (was %d), %s, reputation %.4f (was %.4f)", stats, d.Stake, stakeBefore, d.Status, rep, repBefore)
	}
	for i := range 2 {
		s, err := chain.ProviderStats(ctx, cn.ID(i))
		if err != nil {
			t.Fatal(err)
		}
		if s.TasksAgreed != 16 || s.Earned != 16*2000 {
			t.Fatalf("honest provider %d: %v", i, s)
		}
	}
	// The results on disk: 16 tiles.
	dir := t.TempDir()
	files, err := computeclient.WriteResults(st, dir)
	if err != nil || len(files) != 16 {
		t.Fatalf("wrote %d files: %v", len(files), err)
	}
}

// reputation is a device's α / (α + β).
func reputation(t *testing.T, chain *client.Client, d *devicev1.Device) float64 {
	t.Helper()
	a, b := d.RepAlpha, d.RepBeta
	if !d.RepInit {
		n, err := chain.Network(t.Context(), d.Network, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rp := network.RewardsOf(n.Params)
		a, b = rp.RepAlpha0, rp.RepBeta0
	}
	return float64(a) / float64(a+b)
}

func device(t *testing.T, chain *client.Client, id crypto.DeviceID) *devicev1.Device {
	t.Helper()
	d, err := chain.Device(t.Context(), id, client.QueryOptions{})
	if err != nil || d == nil {
		t.Fatalf("device %s: %v", crypto.DeviceString(id), err)
	}
	return d
}
