// Package computenet runs a compute network of in-process providers
// against a running chain — creates the network if needed, certifies and
// registers one device per provider (each with an owner of its own,
// funded by a funder account) and starts the providers — for tests,
// benchmarks and demos on one machine. Its keys are made up and held in
// memory: it must never be used for anything of value.
package computenet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/internal/localnet"
	"github.com/depinhq/depin/storagenet"
)

// Config says what network to run.
type Config struct {
	Network   string // its id; created (owned by Funder) if it does not exist
	Providers int
	Params    *computev1.ComputeParams // of a network it creates; nil: api/compute.DefaultParams with short windows
	Capacity  uint64                   // each device's certified capacity (benchmark units)
	// Funder creates the network, approves the maker and funds the
	// provider owners (stake and fees).
	Funder ed25519.PrivateKey
	Fund   uint64 // udpin each provider owner gets
	Logger *slog.Logger
	// Provider, if set, adjusts provider i's configuration before it
	// starts (e.g. Blobs, Dishonest).
	Provider func(i int, c *computenode.Config)
}

// DefaultConfig is a network "render" of 3 providers.
func DefaultConfig() Config {
	return Config{Network: "render", Providers: 3, Capacity: 100, Fund: 1_000_000_000}
}

// DefaultParams are api/compute.DefaultParams with a 60-second commit
// window (long enough for a few providers on one machine to run a job of
// 16 tasks of a second each) and a 20-second reveal window.
func DefaultParams() *computev1.ComputeParams {
	p := compute.DefaultParams()
	p.CommitSeconds, p.RevealSeconds = 60, 20
	return p
}

// Params are the network params of a compute network: one metric (work
// units, unused by compute payments), a 1 DPIN stake, default rewards
// without geography.
func Params(cp *computev1.ComputeParams) *networkv1.Params {
	r := network.DefaultRewards(0)
	r.Geo = nil
	return &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "work", Unit: "units", BoundNum: 1, BoundDen: 1, Weight: 1}},
		EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
		MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600, Rewards: r, Compute: cp,
	}
}

// Net is a running compute network.
type Net struct {
	Chain      *client.Client
	Network    string
	Owners     []ed25519.PrivateKey
	DeviceKeys []ed25519.PrivateKey

	cfg   Config
	nodes *localnet.Running[*computenode.Node]
}

// Start creates what is missing on chain and starts cfg.Providers
// providers.
func Start(ctx context.Context, chain *client.Client, cfg Config) (*Net, error) {
	if cfg.Providers <= 0 || cfg.Funder == nil {
		return nil, errors.New("computenet: providers and a funder are required")
	}
	if cfg.Params == nil {
		cfg.Params = DefaultParams()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := localnet.Provision(ctx, chain, localnet.Spec{Network: cfg.Network, Name: "Compute (" + cfg.Network + ")",
		Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, Params: Params(cfg.Params), Members: cfg.Providers,
		Capacity: cfg.Capacity, Model: "computenet", Funder: cfg.Funder, Fund: cfg.Fund, Cells: storagenet.Cells})
	if err != nil {
		return nil, fmt.Errorf("computenet: %w", err)
	}
	n := &Net{Chain: chain, Network: cfg.Network, Owners: m.Owners, DeviceKeys: m.DeviceKeys, cfg: cfg,
		nodes: localnet.NewRunning[*computenode.Node](cfg.Providers)}
	for i := range cfg.Providers {
		if err := n.Start(ctx, i); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// Start starts provider i (again).
func (n *Net) Start(ctx context.Context, i int) error {
	return n.nodes.Start(ctx, i, func() (*computenode.Node, error) {
		c := computenode.DefaultConfig()
		c.PollInterval = 200 * time.Millisecond
		c.DeviceKey, c.OwnerKey = n.DeviceKeys[i], n.Owners[i]
		c.Logger = n.cfg.Logger.With("provider", i)
		if n.cfg.Provider != nil {
			n.cfg.Provider(i, &c)
		}
		node, err := computenode.New(ctx, c, n.Chain)
		if err != nil {
			return nil, fmt.Errorf("computenet: provider %d: %w", i, err)
		}
		return node, nil
	})
}

// Provider is provider i, or nil if it is stopped.
func (n *Net) Provider(i int) *computenode.Node {
	node, _ := n.nodes.Get(i)
	return node
}

// ID is provider i's device id.
func (n *Net) ID(i int) crypto.DeviceID {
	return localnet.Members{Owners: n.Owners, DeviceKeys: n.DeviceKeys}.ID(i)
}

// Stop stops provider i.
func (n *Net) Stop(i int) error { return n.nodes.Stop(i) }

// Close stops every provider.
func (n *Net) Close() { n.nodes.Close() }
