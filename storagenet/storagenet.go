// Package storagenet runs a storage network of in-process storage nodes
// against a running chain — creates the network if needed, certifies and
// registers one device per node (each with an owner of its own, funded
// by a funder account), starts the nodes and waits for their endpoints —
// for tests, benchmarks and demos on one machine. Its keys are made up
// and held in memory: it must never be used for anything of value.
package storagenet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/internal/localnet"
	"github.com/depinhq/depin/storagenode"
)

// Cells are where the nodes are, one European capital each (H3
// resolution 8), in turn.
var Cells = []uint64{
	0x881f1d4895fffff, // Berlin
	0x881fb46625fffff, // Paris
	0x88390cb1b1fffff, // Madrid
	0x881e8052a1fffff, // Rome
	0x881f53c93bfffff, // Warsaw
	0x8808866189fffff, // Stockholm
	0x883933676dfffff, // Lisbon
	0x881e15b713fffff, // Vienna
	0x88182c1749fffff, // Dublin
	0x881e3541abfffff, // Prague
}

// Config says what network to run.
type Config struct {
	Network      string // its id; created (owned by Funder) if it does not exist
	Nodes        int
	EpochSeconds uint64                   // of a network it creates
	Params       *storagev1.StorageParams // of a network it creates; nil: api/storage.DefaultParams
	CapacityGB   uint64                   // each device's certified capacity (GB of 10^9 bytes)
	Dir          string                   // the nodes' data directories are Dir/node-<i>
	// Funder creates the network, approves the maker and funds the node
	// owners (stake and fees).
	Funder ed25519.PrivateKey
	// Fund is what each node owner gets, in udpin.
	Fund   uint64
	Logger *slog.Logger
	// Node, if set, adjusts each node's configuration before it starts
	// (storagenode.TestConfig otherwise, with the capacity certified).
	Node func(i int, c *storagenode.Config)
}

// DefaultConfig is a network "vault" of 8 nodes with 10-second epochs.
func DefaultConfig() Config {
	return Config{Network: "vault", Nodes: 8, EpochSeconds: network.MinEpochSeconds, CapacityGB: 1, Fund: 1_000_000_000}
}

// Net is a running storage network.
type Net struct {
	Chain      *client.Client
	Network    string
	Owners     []ed25519.PrivateKey // node i's owner
	DeviceKeys []ed25519.PrivateKey // node i's device key

	cfg   Config
	nodes *localnet.Running[*storagenode.Node]
}

// Start creates what is missing on chain and starts cfg.Nodes nodes.
func Start(ctx context.Context, chain *client.Client, cfg Config) (*Net, error) {
	if cfg.Nodes <= 0 || cfg.Funder == nil || cfg.Dir == "" {
		return nil, errors.New("storagenet: nodes, funder and directory are required")
	}
	if cfg.Params == nil {
		cfg.Params = storage.DefaultParams()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := localnet.Provision(ctx, chain, localnet.Spec{Network: cfg.Network, Name: "Storage (" + cfg.Network + ")",
		Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, Params: Params(cfg.EpochSeconds, cfg.Params), Members: cfg.Nodes,
		Capacity: cfg.CapacityGB, Model: "storagenet", Funder: cfg.Funder, Fund: cfg.Fund, Cells: Cells})
	if err != nil {
		return nil, fmt.Errorf("storagenet: %w", err)
	}
	n := &Net{Chain: chain, Network: cfg.Network, Owners: m.Owners, DeviceKeys: m.DeviceKeys, cfg: cfg,
		nodes: localnet.NewRunning[*storagenode.Node](cfg.Nodes)}
	for i := range cfg.Nodes {
		if err := n.Start(ctx, i); err != nil {
			n.Close()
			return nil, err
		}
	}
	if err := n.WaitEndpoints(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Params are the network params of a storage network with epochs of
// epochSeconds: one metric ("stored", GB-hours, unused by storage
// payments), a 1 DPIN stake, default rewards without geography.
func Params(epochSeconds uint64, sp *storagev1.StorageParams) *networkv1.Params {
	r := network.DefaultRewards(0)
	r.Geo = nil
	return &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "stored", Unit: "GBh", BoundNum: 1, BoundDen: 3600, Weight: 1}},
		EpochSeconds: epochSeconds, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
		MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600, Rewards: r, Storage: sp,
	}
}

// Start starts node i (again: over the data directory it had).
func (n *Net) Start(ctx context.Context, i int) error {
	return n.nodes.Start(ctx, i, func() (*storagenode.Node, error) {
		c := storagenode.TestConfig()
		c.DataDir = filepath.Join(n.cfg.Dir, fmt.Sprintf("node-%d", i))
		c.Capacity = n.cfg.CapacityGB * 1_000_000_000
		c.DeviceKey, c.OwnerKey = n.DeviceKeys[i], n.Owners[i]
		c.Logger = n.cfg.Logger.With("node", i)
		if n.cfg.Node != nil {
			n.cfg.Node(i, &c)
		}
		node, err := storagenode.New(ctx, c, n.Chain)
		if err != nil {
			return nil, fmt.Errorf("storagenet: node %d: %w", i, err)
		}
		return node, nil
	})
}

// Node is node i, or nil if it is stopped.
func (n *Net) Node(i int) *storagenode.Node {
	node, _ := n.nodes.Get(i)
	return node
}

// ID is node i's device id.
func (n *Net) ID(i int) crypto.DeviceID {
	return localnet.Members{Owners: n.Owners, DeviceKeys: n.DeviceKeys}.ID(i)
}

// Stop stops node i (its data stays).
func (n *Net) Stop(i int) error { return n.nodes.Stop(i) }

// Close stops every node.
func (n *Net) Close() { n.nodes.Close() }

// WaitEndpoints waits until every running node's URL is on chain.
func (n *Net) WaitEndpoints(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i := range n.nodes.Len() {
		for {
			node := n.Node(i)
			if node == nil {
				break
			}
			e, err := n.Chain.Endpoint(ctx, node.ID())
			if err == nil && e != nil && e.Url == node.URL() {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("storagenet: node %d's endpoint is not on chain: %w", i, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
