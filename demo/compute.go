package demo

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/computeclient"
	"github.com/depinhq/depin/computenet"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/examples/render"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/storageclient"
)

// The demo's compute network: ComputeProviders providers in this process
// that run the render example's tiles in the WebAssembly sandbox, and a
// consumer that submits the 16-tile render job every ComputeInterval; the
// explorer's job page shows the stitched picture.
const (
	ComputeNetwork   = "render"
	ComputeProviders = 3
	ComputeInterval  = 3 * time.Minute
	// ComputeUser is the demo account that creates the network, funds its
	// providers' owners and submits the jobs.
	ComputeUser = "compute-user"
)

// runCompute builds the render module (with the go command: the demo runs
// from this source tree), starts the providers once the storage network
// that keeps the module is up, and submits a render job every
// ComputeInterval. Without the go command it says so and stops: the rest
// of the demo goes on.
func runCompute(ctx context.Context, c *client.Client, ks *keystore.Store, storageUp <-chan struct{}, log *slog.Logger, say func(string, ...any)) error {
	user, err := ks.Load(ComputeUser, nil)
	if err != nil {
		return err
	}
	module, err := render.BuildTileModule(ctx)
	if err != nil {
		if ctx.Err() == nil {
			say("  compute: not started: %v\n", err)
		}
		return nil
	}
	select {
	case <-storageUp:
	case <-ctx.Done():
		return nil
	}
	storageFor := func(key ed25519.PrivateKey, component string) (*storageclient.Client, error) {
		cfg := storageclient.DefaultConfig()
		cfg.Key, cfg.Logger = key, log.With("component", component)
		return storageclient.New(c, cfg)
	}
	cfg := computenet.DefaultConfig()
	cfg.Network, cfg.Providers, cfg.Funder, cfg.Logger = ComputeNetwork, ComputeProviders, user.Private, log.With("component", "compute")
	cfg.Provider = func(_ int, pc *computenode.Config) {
		pc.PollInterval = time.Second
		if s, err := storageFor(pc.OwnerKey, "compute-provider"); err == nil {
			pc.Blobs = computeclient.StorageBlobs{Storage: s}
		}
	}
	cn, err := computenet.Start(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer cn.Close()
	sc, err := storageFor(user.Private, "compute-client")
	if err != nil {
		return err
	}
	cl := computeclient.New(c, user.Private, sc, log.With("component", "compute-client"))
	say("  compute: %d providers of network %s run the render example's tiles in the WebAssembly sandbox; a 16-tile render job every %s\n",
		ComputeProviders, ComputeNetwork, ComputeInterval)
	tick := time.NewTicker(ComputeInterval)
	defer tick.Stop()
	for {
		start := time.Now()
		sub, err := cl.Submit(ctx, computeclient.Job{Network: ComputeNetwork, Module: module, Tasks: 16, Replicas: 2, Price: 1000,
			Deadline: 10 * time.Minute, Memory: 64 << 20, Timeout: time.Minute, Output: 64 << 10})
		if err == nil {
			var st *computeclient.Status
			if st, err = cl.Wait(ctx, sub.ID, 2*time.Second, nil); err == nil {
				say("  compute: render job %d: %d of %d tiles verified by 2 providers each in %s, %s paid (#/job/%d shows the picture)\n",
					sub.ID, st.Job.Verified, st.Job.Tasks, time.Since(start).Round(time.Second), fmt.Sprintf("%d %s", st.Job.Paid, st.Job.Denom), sub.ID)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			say("  compute: %v\n", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
