// Package demo runs the whole system in one process: a devnet, the
// indexer with its GraphQL API, live updates and web explorer, and
// simulated fleets of five networks (solar energy, storage, air-quality
// sensors, household meters trading energy in a market, home batteries
// in a virtual power plant) in real cities, so devices report, epochs
// end, rewards accrue and the market clears within a minute — an
// operator that dispatches the batteries every few minutes, some of which
// ignore it and are penalised (vpp.go), a storage network of nodes on
// loopback that really store the files a client puts and gets every
// minute (storage.go), and a compute network whose providers render the
// render example's tiles in the WebAssembly sandbox every few minutes
// (compute.go).
package demo

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/simnet"
)

// Config configures a demo.
type Config struct {
	Home     string        // kept between runs; created if needed
	Listen   string        // the API and explorer address (default 127.0.0.1:8080)
	Duration time.Duration // 0: until ctx ends
	Devices  int           // per fleet (default 12)
	Out      io.Writer     // what is running, progress
	Logger   *slog.Logger
	// Ready, if set, is called with the API's base URL once everything runs.
	Ready func(baseURL string)
}

// Fleet is one simulated network of the demo.
type Fleet struct {
	Kind   string
	Cities []string
	Owner  string // dev account owning the devices
	Sender string // dev account submitting the gateway's batches
	// Market: the owner trades the fleet's energy (a demo account, not a
	// dev account, so its transactions never race the others').
	Market bool
	// VPP: an operator pools the fleet's batteries and dispatches them
	// (vpp.go); the owner (a demo account) puts them in the pool and
	// gives the operator tokens from their rewards. IgnoreDispatch of
	// them take no notice of dispatches.
	VPP            bool
	IgnoreDispatch float64
}

// Fleets are the demo's networks.
//
// Solar panels and households' rooftop panels produce only by day, so
// those fleets stand in cities around the globe: whatever the hour, some
// of their devices are in daylight and every epoch rewards each fleet.
var Fleets = []Fleet{
	{Kind: "solar", Cities: []string{"berlin", "tokyo", "sanfrancisco", "saopaulo"}, Owner: "alice", Sender: "eve"},
	{Kind: "storage", Cities: []string{"tokyo", "newyork", "saopaulo"}, Owner: "bob", Sender: "dave"},
	{Kind: "airquality", Cities: []string{"lagos", "mumbai", "paris"}, Owner: "carol", Sender: "carol"},
	// Household meters trading energy in the network's market (their
	// owner places the orders; see trade).
	{Kind: "meter", Cities: []string{"london", "singapore", "sydney", "austin"}, Owner: "meter-owner", Sender: "meter-gateway", Market: true},
	// Home batteries in one city, in a virtual power plant; about one in
	// four ignores its dispatches (with this fleet's seed, 3 of 12).
	{Kind: "battery", Cities: []string{"madrid"}, Owner: "battery-owner", Sender: "battery-gateway", VPP: true, IgnoreDispatch: 0.3},
}

// EpochSeconds of the demo's networks: rewards within a minute.
const EpochSeconds = 30

// ReportInterval of every demo device: several reports per epoch, whatever
// the kind's usual cadence (an air-quality sensor reports every 5 minutes
// in the field, which would leave most 30-second epochs empty).
const ReportInterval = 10 * time.Second

// Run starts everything and blocks until ctx ends or Duration passes.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if cfg.Devices <= 0 {
		cfg.Devices = 12
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var outMu sync.Mutex // the narrator prints from its own goroutine
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(cfg.Out, format, args...)
	}

	ports, err := node.FreeLoopbackPorts()
	if err != nil {
		return err
	}
	created, err := node.SetupDevnet(node.DevnetOptions{Home: cfg.Home, Ports: ports})
	if err != nil {
		return err
	}
	n, err := node.New(ctx, node.Config{Home: cfg.Home, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	defer n.Close()
	c, err := client.New(n.RPCURL())
	if err != nil {
		return err
	}
	if err := c.UseAPI(n.APIURL()); err != nil {
		return err
	}
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= 2 {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}

	db, err := indexer.Open(ctx, "sqlite:"+filepath.Join(cfg.Home, "data", "index.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	ix := &indexer.Indexer{DB: db, Client: c, Log: cfg.Logger}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w (use --listen)", cfg.Listen, err)
	}
	base := "http://" + ln.Addr().String()
	mux := graph.Mux(ix)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ix.Run(ctx)
	}()

	state := "resumed"
	if created {
		state = "created"
	}
	say("depin demo: devnet %s in %s\n", state, cfg.Home)
	say("  explorer and API: %s   (GraphQL %s/graphql, playground %s/playground, live %s/live)\n", base, base, base, base)
	say("  node RPC:         %s\n", n.RPCURL())
	say("  fleets:           ")
	ks := keystore.Open(node.KeysDir(cfg.Home))
	if err := demoAccounts(ctx, c, ks, []string{"meter-owner", "meter-gateway", "battery-owner", "battery-gateway", VppOperator, StorageUser, ComputeUser}); err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	errc := make(chan error, 2*len(Fleets)+1)
	for i, f := range Fleets {
		if i > 0 {
			say("; ")
		}
		say("%d %s devices in %s", cfg.Devices, f.Kind, strings.Join(f.Cities, ", "))
		if f.VPP {
			say(" (a virtual power plant, dispatched every %s)", DispatchEvery)
		}
		owner, err := ks.Load(f.Owner, nil)
		if err != nil {
			return err
		}
		sender, err := ks.Load(f.Sender, nil)
		if err != nil {
			return err
		}
		var regions []simnet.Region
		for _, name := range f.Cities {
			regions = append(regions, simnet.Cities[name])
		}
		d := cfg.Duration
		if d == 0 {
			d = 100 * 365 * 24 * time.Hour
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := simnet.Run(ctx, c, simnet.Config{Kind: f.Kind, Devices: cfg.Devices, Regions: regions, EpochSeconds: EpochSeconds,
				Interval: ReportInterval, Duration: d, Seed: uint64(i + 1), Owners: []ed25519.PrivateKey{owner.Private}, Submitter: sender.Private,
				IgnoreDispatch: f.IgnoreDispatch, Vpp: VppParams(), Logger: cfg.Logger})
			if err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s fleet: %w", f.Kind, err)
			}
		}()
		if f.VPP {
			operator, err := ks.Load(VppOperator, nil)
			if err != nil {
				return err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := runVpp(ctx, c, owner.Private, operator.Private, f.Kind, f.Cities[0], cfg.Devices, cfg.Logger, say); err != nil && ctx.Err() == nil {
					errc <- fmt.Errorf("%s virtual power plant: %w", f.Kind, err)
				}
			}()
		}
		if f.Market {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := trade(ctx, c, owner.Private, f.Kind, cfg.Devices, uint64(i+1), cfg.Logger); err != nil && ctx.Err() == nil {
					errc <- fmt.Errorf("%s market: %w", f.Kind, err)
				}
			}()
		}
	}
	storageUp := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := runStorage(ctx, c, ks, cfg.Home, cfg.Logger, storageUp, say); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("storage network: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := runCompute(ctx, c, ks, storageUp, cfg.Logger, say); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("compute network: %w", err)
		}
	}()
	say("; %d storage nodes on loopback (network %s) storing real files; %d compute providers (network %s) rendering tiles",
		StorageNodes, StorageNetwork, ComputeProviders, ComputeNetwork)
	say("\n  epochs and market intervals of %d s: rewards accrue and the meters' energy market clears within a minute;\n", EpochSeconds)
	say("  the batteries' dispatches settle within a few minutes, and those that ignore them lose stake.\n")
	say("  open %s in a browser; press Ctrl-C to stop. What happens:\n", base)
	wg.Add(1)
	go func() {
		defer wg.Done()
		narrate(ctx, ix, db, say)
	}()
	if cfg.Ready != nil {
		cfg.Ready(base)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	wg.Wait()
	return runErr
}
