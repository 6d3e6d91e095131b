// Package localnet is what storagenet and computenet share: it provisions
// a network of made-up devices on a running chain (the network if
// missing, an approved maker, one funded owner and one registered device
// per member) and keeps in-process members running, each startable and
// stoppable on its own. Its keys are made up and held in memory: for
// tests, benchmarks and demos only.
package localnet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Spec says what to provision.
type Spec struct {
	Network string // created (owned by Funder) if it does not exist
	Name    string // of a network it creates
	Class   networkv1.ResourceClass
	Params  *networkv1.Params // of a network it creates
	Members int
	// Capacity is each device's certified capacity; EnergyCapacity what
	// it stores (Wh, batteries; 0 for none); Model its model name.
	Capacity       uint64
	EnergyCapacity uint64
	Model          string
	Funder         ed25519.PrivateKey // creates the network, approves the maker, funds the owners
	Fund           uint64             // udpin each owner gets
	// Cells are where the devices are, in turn.
	Cells []uint64
}

// Members are the provisioned owners and devices: member i's owner key
// and device key.
type Members struct {
	Owners     []ed25519.PrivateKey
	DeviceKeys []ed25519.PrivateKey
}

// ID is member i's device id.
func (m Members) ID(i int) crypto.DeviceID {
	return crypto.AddressFromPubKey(m.DeviceKeys[i].Public().(ed25519.PublicKey))
}

// Provision creates what is missing on chain: the network, an approved
// maker of its own, and s.Members funded owners each with a registered
// device.
func Provision(ctx context.Context, chain *client.Client, s Spec) (Members, error) {
	var m Members
	if s.Members <= 0 || s.Funder == nil || len(s.Cells) == 0 {
		return m, fmt.Errorf("localnet: members, a funder and cells are required")
	}
	chainID, err := chain.ChainID(ctx)
	if err != nil {
		return m, err
	}
	funder := crypto.AddressFromPubKey(s.Funder.Public().(ed25519.PublicKey))
	_, maker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return m, err
	}
	existing, err := chain.Network(ctx, s.Network, client.QueryOptions{})
	if err != nil {
		return m, err
	}
	var msgs []*txv1.Msg
	if existing == nil {
		msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: funder.Bytes(), Id: s.Network, Name: s.Name, Class: s.Class, RewardDenom: "u" + s.Network, Params: s.Params}}})
	} else if string(existing.Owner) != string(funder[:]) {
		return m, fmt.Errorf("localnet: network %s exists with another owner", s.Network)
	}
	msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: funder.Bytes(), Network: s.Network, MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: s.Model}}})
	for range s.Members {
		_, owner, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return m, err
		}
		_, dev, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return m, err
		}
		m.Owners, m.DeviceKeys = append(m.Owners, owner), append(m.DeviceKeys, dev)
		msgs = append(msgs, client.MsgSend(funder, crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey)),
			&bankv1.Coin{Denom: "udpin", Amount: s.Fund}))
	}
	if _, err := chain.SendTx(ctx, s.Funder, msgs, client.TxOptions{}); err != nil {
		return m, fmt.Errorf("localnet: network, maker and funds: %w", err)
	}
	eg, ectx := errgroup.WithContext(ctx)
	for i := range s.Members {
		eg.Go(func() error {
			owner := crypto.AddressFromPubKey(m.Owners[i].Public().(ed25519.PublicKey))
			cert, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{Network: s.Network,
				DevicePublicKey: m.DeviceKeys[i].Public().(ed25519.PublicKey), Model: s.Model, Serial: fmt.Sprintf("%x", m.DeviceKeys[i].Public()),
				Capacity: s.Capacity, EnergyCapacity: s.EnergyCapacity, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
			if err != nil {
				return err
			}
			reg := client.RegisterDeviceMsg(chainID, owner, cert, m.DeviceKeys[i], s.Cells[i%len(s.Cells)])
			if _, err := chain.SendTx(ectx, m.Owners[i], []*txv1.Msg{reg}, client.TxOptions{}); err != nil {
				return fmt.Errorf("localnet: registering device %d: %w", i, err)
			}
			return nil
		})
	}
	return m, eg.Wait()
}

// Runner is a member that runs until its context ends.
type Runner interface {
	Run(ctx context.Context) error
}

// Running keeps members running, each on its own context.
type Running[N Runner] struct {
	mu    sync.Mutex
	nodes []*running[N]
}

type running[N Runner] struct {
	node   N
	cancel context.CancelFunc
	done   chan error
}

// NewRunning is room for n members, none running.
func NewRunning[N Runner](n int) *Running[N] {
	return &Running[N]{nodes: make([]*running[N], n)}
}

// Start makes member i with build and runs it (until Stop or Close, not
// until ctx ends).
func (r *Running[N]) Start(ctx context.Context, i int, build func() (N, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes[i] != nil {
		return fmt.Errorf("localnet: member %d is running", i)
	}
	node, err := build()
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	x := &running[N]{node: node, cancel: cancel, done: make(chan error, 1)}
	go func() { x.done <- node.Run(rctx) }()
	r.nodes[i] = x
	return nil
}

// Get is member i, and whether it is running.
func (r *Running[N]) Get(i int) (N, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes[i] == nil {
		var zero N
		return zero, false
	}
	return r.nodes[i].node, true
}

// Len is how many members there is room for.
func (r *Running[N]) Len() int { return len(r.nodes) }

// Stop stops member i and returns what its Run returned.
func (r *Running[N]) Stop(i int) error {
	r.mu.Lock()
	x := r.nodes[i]
	r.nodes[i] = nil
	r.mu.Unlock()
	if x == nil {
		return nil
	}
	x.cancel()
	return <-x.done
}

// Close stops every member.
func (r *Running[N]) Close() {
	for i := range r.nodes {
		_ = r.Stop(i)
	}
}
