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
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
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
	mu    sync.Mutex
	nodes []*running
}

type running struct {
	node   *computenode.Node
	cancel context.CancelFunc
	done   chan error
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
	chainID, err := chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	funder := crypto.AddressFromPubKey(cfg.Funder.Public().(ed25519.PublicKey))
	n := &Net{Chain: chain, Network: cfg.Network, cfg: cfg}
	_, maker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	existing, err := chain.Network(ctx, cfg.Network, client.QueryOptions{})
	if err != nil {
		return nil, err
	}
	var msgs []*txv1.Msg
	if existing == nil {
		msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: funder.Bytes(), Id: cfg.Network, Name: "Compute (" + cfg.Network + ")", Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE,
			RewardDenom: "u" + cfg.Network, Params: Params(cfg.Params)}}})
	} else if string(existing.Owner) != string(funder[:]) {
		return nil, fmt.Errorf("computenet: network %s exists with another owner", cfg.Network)
	}
	msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: funder.Bytes(), Network: cfg.Network, MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "computenet"}}})
	for range cfg.Providers {
		_, owner, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		_, dev, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		n.Owners, n.DeviceKeys = append(n.Owners, owner), append(n.DeviceKeys, dev)
		msgs = append(msgs, client.MsgSend(funder, crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey)),
			&bankv1.Coin{Denom: "udpin", Amount: cfg.Fund}))
	}
	if _, err := chain.SendTx(ctx, cfg.Funder, msgs, client.TxOptions{}); err != nil {
		return nil, fmt.Errorf("computenet: network, maker and funds: %w", err)
	}
	eg, ectx := errgroup.WithContext(ctx)
	for i := range cfg.Providers {
		eg.Go(func() error {
			owner := crypto.AddressFromPubKey(n.Owners[i].Public().(ed25519.PublicKey))
			cert, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{Network: cfg.Network,
				DevicePublicKey: n.DeviceKeys[i].Public().(ed25519.PublicKey), Model: "computenet", Serial: fmt.Sprintf("%x", n.DeviceKeys[i].Public()),
				Capacity: cfg.Capacity, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
			if err != nil {
				return err
			}
			cell := storagenet.Cells[i%len(storagenet.Cells)]
			if _, err := chain.SendTx(ectx, n.Owners[i], []*txv1.Msg{client.RegisterDeviceMsg(chainID, owner, cert, n.DeviceKeys[i], cell)}, client.TxOptions{}); err != nil {
				return fmt.Errorf("computenet: registering provider %d: %w", i, err)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	n.nodes = make([]*running, cfg.Providers)
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
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[i] != nil {
		return fmt.Errorf("computenet: provider %d is running", i)
	}
	c := computenode.DefaultConfig()
	c.PollInterval = 200 * time.Millisecond
	c.DeviceKey, c.OwnerKey = n.DeviceKeys[i], n.Owners[i]
	c.Logger = n.cfg.Logger.With("provider", i)
	if n.cfg.Provider != nil {
		n.cfg.Provider(i, &c)
	}
	node, err := computenode.New(ctx, c, n.Chain)
	if err != nil {
		return fmt.Errorf("computenet: provider %d: %w", i, err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &running{node: node, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- node.Run(rctx) }()
	n.nodes[i] = r
	return nil
}

// Provider is provider i, or nil if it is stopped.
func (n *Net) Provider(i int) *computenode.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[i] == nil {
		return nil
	}
	return n.nodes[i].node
}

// ID is provider i's device id.
func (n *Net) ID(i int) crypto.DeviceID {
	return crypto.AddressFromPubKey(n.DeviceKeys[i].Public().(ed25519.PublicKey))
}

// Stop stops provider i.
func (n *Net) Stop(i int) error {
	n.mu.Lock()
	r := n.nodes[i]
	n.nodes[i] = nil
	n.mu.Unlock()
	if r == nil {
		return nil
	}
	r.cancel()
	return <-r.done
}

// Close stops every provider.
func (n *Net) Close() {
	for i := range n.nodes {
		_ = n.Stop(i)
	}
}
