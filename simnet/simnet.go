// Package simnet runs simulated device fleets against a real node: it
// launches (or reuses) a network for a device kind, approves a maker,
// certifies and registers the fleet, starts an in-process report gateway
// (or uses an external MQTT broker), and lets the devices report for a
// while, summarising what the chain accepted and rejected.
//
// It drives only public interfaces (transactions, MQTT, the gateway), like
// a real operator would; it never touches chain state directly.
package simnet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/agent/sim"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/gateway"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// Config describes one simulation run.
type Config struct {
	Kind    string
	Devices int
	// Network to report to; "" creates (or reuses) one named after the kind,
	// owned by Owners[0].
	Network      string
	EpochSeconds uint64 // epoch of a network created here (default 60)
	Regions      []Region
	Duration     time.Duration
	// Interval between a device's reports (default: the kind's).
	Interval time.Duration
	Seed     uint64
	// Owners register the devices (round robin); Owners[0] owns a network
	// created here.
	Owners []ed25519.PrivateKey
	// Submitter signs the in-process gateway's ReportBatch transactions.
	Submitter ed25519.PrivateKey
	// Broker, if set, is an external gateway's MQTT broker to publish to
	// instead of running a gateway here.
	Broker string
	// IgnoreDispatch is the share (0 to 1) of a battery fleet that takes
	// no notice of the dispatches the gateway forwards (sim.Config); the
	// others follow them.
	IgnoreDispatch float64
	// Vpp are the flexibility params of a battery network created here
	// (default vpp.DefaultParams()); a network that exists keeps its own.
	Vpp      *vppv1.VppParams
	Progress io.Writer // progress lines; nil = quiet
	Logger   *slog.Logger
}

// Result summarises a run.
type Result struct {
	Network          string            `json:"network"`
	Devices          int               `json:"devices"`
	NewlyRegistered  int               `json:"newly_registered"`
	Sent             uint64            `json:"sent"`
	Accepted         uint64            `json:"accepted"`
	Rejected         uint64            `json:"rejected"`
	RejectedByReason map[string]uint64 `json:"rejected_by_reason"`
	Offline          uint64            `json:"offline_periods"`
	Seconds          float64           `json:"seconds"`
}

// Run executes cfg against the node c talks to.
func Run(ctx context.Context, c *client.Client, cfg Config) (*Result, error) {
	if cfg.Devices <= 0 || len(cfg.Owners) == 0 || cfg.Duration <= 0 {
		return nil, errors.New("simnet: devices, owners and a duration are required")
	}
	kind, err := agent.LookupKind(cfg.Kind)
	if err != nil {
		return nil, err
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = []Region{Cities["berlin"]}
	}
	if cfg.EpochSeconds == 0 {
		cfg.EpochSeconds = 60
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format, args...)
		}
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	owner := cfg.Owners[0]
	ownerAddr := crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey))
	net, err := ensureNetwork(ctx, c, cfg, kind, owner, ownerAddr, say)
	if err != nil {
		return nil, err
	}
	makerSeed := sha256.Sum256([]byte("depin sim maker " + net))
	maker := ed25519.NewKeyFromSeed(makerSeed[:])
	if m, err := c.Maker(ctx, net, maker.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	} else if m == nil || !m.Active {
		say("approving the simulator's maker for %s…\n", net)
		if _, err := c.SendTx(ctx, owner, []*txv1.Msg{{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: ownerAddr.Bytes(), Network: net, MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "depin simulator"}}}}, client.TxOptions{}); err != nil {
			return nil, fmt.Errorf("approve maker: %w", err)
		}
	}

	// Fleets, one per region, sharing one index space.
	until := time.Now().Add(cfg.Duration)
	var fleets []*sim.Fleet
	var members []*sim.Member
	per := cfg.Devices / len(cfg.Regions)
	first := 0
	for i, r := range cfg.Regions {
		n := per
		if i == len(cfg.Regions)-1 {
			n = cfg.Devices - first
		}
		if n == 0 {
			continue
		}
		f, err := sim.New(sim.Config{Kind: cfg.Kind, Devices: n, Seed: cfg.Seed, FirstIndex: first, Network: net, ChainID: chainID,
			Lat: r.Lat, Lon: r.Lon, RadiusKm: r.RadiusKm, Interval: cfg.Interval, Until: until, Logger: lg,
			IgnoreDispatch: cfg.IgnoreDispatch})
		if err != nil {
			return nil, err
		}
		fleets = append(fleets, f)
		members = append(members, f.Members()...)
		first += n
	}
	res := &Result{Network: net, Devices: len(members), RejectedByReason: map[string]uint64{}}
	registered, err := registerFleet(ctx, c, cfg, chainID, net, maker, members, say)
	if err != nil {
		return nil, err
	}
	res.NewlyRegistered = registered
	before, err := deviceCounts(ctx, c, members)
	if err != nil {
		return nil, err
	}

	// The gateway: in-process unless an external broker is named.
	broker := cfg.Broker
	var gw *gateway.Gateway
	gwCtx, stopGW := context.WithCancel(ctx)
	defer stopGW()
	gwDone := make(chan error, 1)
	if broker == "" {
		gc := gateway.DefaultConfig()
		gc.MQTTListen, gc.HTTPListen = "127.0.0.1:0", ""
		gc.SubmitterKey = cfg.Submitter
		if gw, err = gateway.New(gc, c, lg); err != nil {
			return nil, err
		}
		go func() { gwDone <- gw.Run(gwCtx) }()
		broker = "tcp://" + gw.MQTTAddr()
		say("gateway listening on %s\n", broker)
	}
	var tag [4]byte
	binary.BigEndian.PutUint32(tag[:], uint32(time.Now().UnixNano()))
	mc := agent.DefaultMQTTConfig(broker)
	mc.ClientID = fmt.Sprintf("depin-sim-%x", tag)
	mqttPub, err := agent.NewMQTTPublisher(mc)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = mqttPub.AwaitConnection(actx)
	cancel()
	if err != nil {
		mqttPub.Close()
		return nil, fmt.Errorf("MQTT broker %s: %w", broker, err)
	}
	if kind.StoresEnergy() {
		// Batteries follow the dispatches the gateway forwards them, each
		// on a connection of its own (only a client whose client id is the
		// device id may read its dispatch topic).
		heard := newDispatchLog(say)
		defer heard.stop()
		for _, f := range fleets {
			f.OnDispatch(heard.add)
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			stopSubs, err := f.SubscribeDispatches(actx, broker)
			cancel()
			if err != nil {
				mqttPub.Close()
				return nil, err
			}
			defer stopSubs()
		}
		say("%d batteries follow their dispatches (%.0f%% ignore them)\n", len(members), 100*cfg.IgnoreDispatch)
	}
	qc := agent.DefaultQueueConfig()
	qc.Workers = 8
	qc.Capacity = max(qc.Capacity, 4*len(members))
	queue, err := agent.NewQueuedPublisher(mqttPub, qc)
	if err != nil {
		return nil, err
	}

	say("running %d %s devices in %s for %s…\n", len(members), cfg.Kind, regionNames(cfg.Regions), cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, len(fleets))
	for _, f := range fleets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Run(ctx, queue); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sent := func() (s, off uint64) {
		for _, f := range fleets {
			st := f.Stats()
			s += st.Signed
			off += st.Offline
		}
		return
	}
	progressLine := func() {
		s, _ := sent()
		line := fmt.Sprintf("%s %3.0fs/%3.0fs  sent %d", bar(time.Since(start), cfg.Duration), time.Since(start).Seconds(), cfg.Duration.Seconds(), s)
		if gw != nil {
			st := gw.Stats()
			line += fmt.Sprintf("  committed %d  accepted %d", st.Committed, st.ChainAccepted)
		}
		say("%s\n", line)
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case err := <-errc:
			return nil, err
		case <-tick.C:
			progressLine()
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_ = queue.Flush(fctx)
	cancel()
	queue.Close()
	res.Sent, res.Offline = sent()

	if gw != nil {
		// Let the gateway submit what it holds and see it committed.
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			st := gw.Stats()
			if st.Queued == 0 && st.Committed+st.Dropped >= st.Submitted && st.Committed+sumMap(st.Invalid)+st.Dropped >= res.Sent {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		stopGW()
		<-gwDone
		st := gw.Stats()
		for r, n := range st.ChainRejected {
			res.RejectedByReason[r] += n
		}
		for r, n := range st.Invalid {
			res.RejectedByReason["gateway_"+r] += n
		}
		res.Accepted = st.ChainAccepted
	} else {
		// An external gateway: read the outcome from the devices' records.
		time.Sleep(5 * time.Second)
		after, err := deviceCounts(ctx, c, members)
		if err != nil {
			return nil, err
		}
		res.Accepted = after.accepted - before.accepted
		if d := after.rejected - before.rejected; d > 0 {
			res.RejectedByReason["chain"] = d
		}
	}
	res.Rejected = sumMap(res.RejectedByReason)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func sumMap(m map[string]uint64) uint64 {
	var s uint64
	for _, v := range m {
		s += v
	}
	return s
}

func regionNames(rs []Region) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func bar(elapsed, total time.Duration) string {
	const width = 20
	n := int(float64(width) * elapsed.Seconds() / total.Seconds())
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// DefaultEmission is what a network the simulator creates mints per
// epoch: 1,000 tokens of 10^6 units.
const DefaultEmission = 1_000_000_000

// ensureNetwork returns the network to report to, creating one for the
// kind if none was named.
func ensureNetwork(ctx context.Context, c *client.Client, cfg Config, kind agent.Kind, owner ed25519.PrivateKey, ownerAddr crypto.Address, say func(string, ...any)) (string, error) {
	if cfg.Network != "" {
		n, err := c.Network(ctx, cfg.Network, client.QueryOptions{})
		if err != nil {
			return "", err
		}
		if n == nil {
			return "", fmt.Errorf("network %q does not exist (leave --network out to create one for the kind)", cfg.Network)
		}
		return n.Id, nil
	}
	id := kind.Name
	n, err := c.Network(ctx, id, client.QueryOptions{})
	if err != nil {
		return "", err
	}
	if n != nil {
		if !ownerAddr.IsZero() && string(n.Owner) != string(ownerAddr[:]) {
			return "", fmt.Errorf("network %q exists with another owner: pass --network %s, or run the simulator as its owner", id, id)
		}
		return id, nil
	}
	say("creating network %q for %s devices…\n", id, kind.Name)
	var mkt *marketv1.MarketParams
	if kind.Name == "meter" {
		// Household meters trade energy: exports sell, consumption buys,
		// in intervals of one epoch, settled an interval later.
		mkt = &marketv1.MarketParams{IntervalSeconds: cfg.EpochSeconds, Denom: "udpin", SellerMetric: 2, BuyerMetric: 1,
			SettleDelaySeconds: cfg.EpochSeconds, ShortfallPenalty: 10_000_000}
	}
	var flex *vppv1.VppParams
	if kind.StoresEnergy() {
		// Batteries (charged, discharged, soc) make a flexibility market.
		flex = cfg.Vpp
		if flex == nil {
			flex = vpp.DefaultParams()
		}
	}
	_, err = c.SendTx(ctx, owner, []*txv1.Msg{{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: ownerAddr.Bytes(), Id: id, Name: strings.ToUpper(kind.Name[:1]) + kind.Name[1:] + " network", Class: kind.Class, Physical: kind.Physical,
		RewardDenom: "u" + kind.Name,
		Params: &networkv1.Params{
			Metrics: kind.Metrics, EpochSeconds: cfg.EpochSeconds, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
			MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600,
			Rewards: network.DefaultRewards(DefaultEmission), Market: mkt, Vpp: flex,
		}}}}}, client.TxOptions{})
	if err != nil {
		return "", fmt.Errorf("create network %s: %w", id, err)
	}
	return id, nil
}

// registerFleet certifies and registers the members not yet on chain.
func registerFleet(ctx context.Context, c *client.Client, cfg Config, chainID, net string, maker ed25519.PrivateKey, members []*sim.Member, say func(string, ...any)) (int, error) {
	var todo []*sim.Member
	for _, m := range members {
		d, err := c.Device(ctx, m.Device.ID(), client.QueryOptions{})
		if err != nil {
			return 0, err
		}
		if d == nil {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	say("certifying and registering %d devices…\n", len(todo))
	certs := make([]*devicev1.SignedDeviceCert, len(todo))
	cells := make([]uint64, len(todo))
	for i, m := range todo {
		sc, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{
			Network: net, DevicePublicKey: m.Key.Public().(ed25519.PublicKey), Model: "sim-" + cfg.Kind,
			Serial: fmt.Sprintf("sim-%d-%d", cfg.Seed, m.Index), Capacity: m.Capacity, EnergyCapacity: m.EnergyCapacity,
			MakerPublicKey: maker.Public().(ed25519.PublicKey)})
		if err != nil {
			return 0, err
		}
		certs[i] = sc
		cells[i] = uint64(h3.LatLngToCell(h3.NewLatLng(m.Lat, m.Lon), 10))
	}
	// Chunk j goes to owner j mod len(Owners): chunks no larger than a fair
	// share spread even a small fleet across every owner.
	chunk := max(1, min(40, (len(todo)+len(cfg.Owners)-1)/max(1, len(cfg.Owners))))
	err := c.SubmitChunked(ctx, cfg.Owners, len(todo), chunk, func(f ed25519.PrivateKey, lo, hi int) []*txv1.Msg {
		owner := crypto.AddressFromPubKey(f.Public().(ed25519.PublicKey))
		msgs := make([]*txv1.Msg, 0, hi-lo)
		for i := lo; i < hi; i++ {
			msgs = append(msgs, client.RegisterDeviceMsg(chainID, owner, certs[i], todo[i].Key, cells[i]))
		}
		return msgs
	}, nil, "registered")
	if err != nil {
		return 0, fmt.Errorf("register: %w", err)
	}
	return len(todo), nil
}

type counts struct{ accepted, rejected uint64 }

func deviceCounts(ctx context.Context, c *client.Client, members []*sim.Member) (counts, error) {
	var out counts
	for _, m := range members {
		d, err := c.Device(ctx, m.Device.ID(), client.QueryOptions{})
		if err != nil {
			return out, err
		}
		if d != nil {
			out.accepted += d.ReportsAccepted
			out.rejected += d.ReportsRejected
		}
	}
	return out, nil
}
