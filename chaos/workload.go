package chaos

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/share"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Each worker owns accounts, networks and devices no other worker
// touches, and has one tx in flight at a time: so a tx CheckTx accepted
// can only become invalid before its block through the worker's own
// doing (a sequence it re-used after a timeout) or the passing of time,
// never through another worker's race.

const (
	accountsPerWorker = 4 // 0..2 act; 3, the outsider, owns nothing and signs the unauthorized attempts
	outsider          = 3
	accountFunds      = 100_000 * 1_000_000 // udpin each, at genesis
	maxDevicesPerNet  = 8
	unbonding         = 30 * time.Second // the worker networks' device unbonding
	// Delegations stay far below one unit of voting power (1 dpin) per
	// validator in total, so the validators keep equal power and the soak's
	// f stays right.
	maxDelegationPerValidator = 900_000
)

// accountSeed derives a workload account's key (the same on every run:
// the seed varies what the accounts do, not who they are).
func accountSeed(worker, i int) []byte {
	s := sha256.Sum256([]byte(fmt.Sprintf("depin chaos account %d/%d", worker, i)))
	return s[:]
}

// workloadBalances funds every worker's accounts at genesis.
func workloadBalances(workers int) []*bankv1.Balance {
	var out []*bankv1.Balance
	for w := 0; w < workers; w++ {
		for i := 0; i < accountsPerWorker; i++ {
			a := newAccount(accountSeed(w, i))
			out = append(out, &bankv1.Balance{Address: a.addr.String(), Coins: []*bankv1.Coin{bank.Coin(bank.NativeDenom, accountFunds)}})
		}
	}
	return out
}

type netInfo struct {
	id    string
	owner *account
	kind  agent.Kind
	meter bool
	chain *networkv1.Network // as created (epoch anchor and params)
}

type devInfo struct {
	priv     ed25519.PrivateKey
	id       crypto.DeviceID
	net      *netInfo
	owner    *account
	capacity uint64
	agent    *agent.Device
	active   bool // registered, not deactivated, not sacrificed
	jailed   bool // sacrificed to fraud evidence: slashed and jailed
	// retiredAt is when its deactivation committed (zero: it did not);
	// its stake can be withdrawn once the network's unbonding is over.
	retiredAt time.Time
	tokenized bool
	lessee    *account // offered a lease to
	sent      []*reportv1.SignedReport
}

// bond is a delegation the worker saw committed.
type bond struct {
	del    *account
	val    []byte
	amount uint64
}

type orderRef struct {
	id    uint64
	owner *account
}

type agreementRef struct {
	id       uint64
	consumer *account
}

// worker drives one slice of the workload.
type worker struct {
	id      int
	sd      *sender
	rng     *rand.Rand
	chainID string
	accts   []*account
	maker   ed25519.PrivateKey // approved in the worker's networks
	rogue   ed25519.PrivateKey // approved nowhere
	nets    []*netInfo
	devs    []*devInfo
	agrees  []agreementRef
	orders  []orderRef
	vals    [][]byte          // validators' consensus addresses
	deleg   map[string]uint64 // sent to each validator, in udpin
	bonded  []bond
	serial  int
	nextNet int
}

func newWorker(id int, sd *sender, seed uint64, vals [][]byte) *worker {
	w := &worker{id: id, sd: sd, rng: rand.New(rand.NewPCG(seed, uint64(1000+id))), chainID: sd.chainID, vals: vals, deleg: map[string]uint64{}}
	for i := 0; i < accountsPerWorker; i++ {
		w.accts = append(w.accts, newAccount(accountSeed(id, i)))
	}
	mk := func(s string) ed25519.PrivateKey {
		h := sha256.Sum256([]byte(fmt.Sprintf("depin chaos %s %d/%d", s, seed, id)))
		return ed25519.NewKeyFromSeed(h[:])
	}
	w.maker, w.rogue = mk("maker"), mk("rogue maker")
	return w
}

func (w *worker) acct() *account { return w.accts[w.rng.IntN(outsider)] }

func (w *worker) other(a *account) *account {
	for {
		if b := w.acct(); b != a {
			return b
		}
	}
}

func (w *worker) newKey(what string) ed25519.PrivateKey {
	w.serial++
	h := sha256.Sum256([]byte(fmt.Sprintf("depin chaos %s %d/%d/%d", what, w.rng.Uint64(), w.id, w.serial)))
	return ed25519.NewKeyFromSeed(h[:])
}

// cell is a random H3 cell (resolution 10) around Berlin.
func (w *worker) cell() uint64 {
	lat := 52.52 + (w.rng.Float64()-0.5)*0.4
	lon := 13.405 + (w.rng.Float64()-0.5)*0.6
	return uint64(h3.LatLngToCell(h3.NewLatLng(lat, lon), 10))
}

func (w *worker) params(k agent.Kind, meter bool) *networkv1.Params {
	p := &networkv1.Params{
		Metrics: k.Metrics, EpochSeconds: 10, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
		MinStake: 1_000_000, UnbondingSeconds: uint64(unbonding / time.Second), MinMoveIntervalSeconds: 10,
		Rewards: network.DefaultRewards(1_000_000_000),
	}
	if meter {
		p.Market = &marketv1.MarketParams{IntervalSeconds: 10, Denom: bank.NativeDenom, SellerMetric: 2, BuyerMetric: 1,
			SettleDelaySeconds: 10, ShortfallPenalty: 10_000_000}
	}
	return p
}

func (w *worker) createNetworkMsg(owner *account, id string, kind string) (*netInfo, *intent, error) {
	k, err := agent.LookupKind(kind)
	if err != nil {
		return nil, nil, err
	}
	n := &netInfo{id: id, owner: owner, kind: k, meter: kind == "meter"}
	m := msgCreateNetwork(owner.addr, id, "chaos "+id, "u"+stripDash(id), k.Class, k.Physical, w.params(k, n.meter))
	return n, &intent{kind: "network-create", signer: owner, msgs: []*txv1.Msg{m}}, nil
}

func stripDash(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// registerMsg makes a new device of net owned by owner, certified by
// maker; the device joins the worker's list when the tx commits.
func (w *worker) registerMsg(n *netInfo, owner *account, maker ed25519.PrivateKey) (*devInfo, *txv1.Msg, error) {
	priv := w.newKey("device")
	capacity := n.kind.Capacity(w.rng.Uint64(), w.serial)
	w.serial++
	m, err := msgRegisterDevice(w.chainID, owner.addr, maker, priv, n.id, "chaos-"+n.kind.Name, "chaos-"+strconv.Itoa(w.id)+"-"+strconv.Itoa(w.serial), capacity, w.cell())
	if err != nil {
		return nil, nil, err
	}
	d := &devInfo{priv: priv, id: crypto.AddressFromPubKey(priv.Public().(ed25519.PublicKey)), net: n, owner: owner, capacity: capacity}
	ag, err := agent.NewDevice(agent.DeviceConfig{Key: priv, Network: n.id, ChainID: w.chainID, Capacity: capacity, Lat: 52.52, Lon: 13.405})
	if err != nil {
		return nil, nil, err
	}
	d.agent = ag
	return d, m, nil
}

// setup creates the worker's two networks (solar, and meters with an
// energy market), approves its maker and registers a first fleet. Each
// step must commit: the soak cannot run without them.
func (w *worker) setup(ctx context.Context) error {
	owner := w.accts[0]
	solar, in1, err := w.createNetworkMsg(owner, fmt.Sprintf("c%d-solar", w.id), "solar")
	if err != nil {
		return err
	}
	meter, in2, err := w.createNetworkMsg(owner, fmt.Sprintf("c%d-meter", w.id), "meter")
	if err != nil {
		return err
	}
	in1.msgs = append(in1.msgs, in2.msgs...)
	if err := w.mustCommit(ctx, in1); err != nil {
		return err
	}
	w.nets = []*netInfo{solar, meter}
	for _, n := range w.nets {
		// Another node may not have committed the block yet.
		for try := 0; n.chain == nil; try++ {
			c := w.sd.s.nodes[try%len(w.sd.s.nodes)].c
			qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			n.chain, err = c.Network(qctx, n.id, client.QueryOptions{})
			cancel()
			if n.chain == nil && try == 20 {
				return fmt.Errorf("worker %d: network %s not found after creating it (%v)", w.id, n.id, err)
			}
			if n.chain == nil {
				sleep(ctx, 250*time.Millisecond)
			}
		}
	}
	approve := &intent{kind: "approve-maker", signer: owner}
	for _, n := range w.nets {
		approve.msgs = append(approve.msgs, msgApproveMaker(owner.addr, n.id, w.maker.Public().(ed25519.PublicKey), "chaos maker"))
	}
	if err := w.mustCommit(ctx, approve); err != nil {
		return err
	}
	for i := 0; i < outsider; i++ {
		a := w.accts[i]
		in := &intent{kind: "device-register", signer: a}
		var fleet []*devInfo
		for _, n := range w.nets {
			if i == 2 && n.meter {
				continue
			}
			d, m, err := w.registerMsg(n, a, w.maker)
			if err != nil {
				return err
			}
			in.msgs = append(in.msgs, m)
			fleet = append(fleet, d)
		}
		in.onCommit = func(*client.TxResult) {
			for _, d := range fleet {
				d.active = true
				w.devs = append(w.devs, d)
			}
		}
		if err := w.mustCommit(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// mustCommit sends a setup tx until it commits with code 0.
func (w *worker) mustCommit(ctx context.Context, in *intent) error {
	var last *TxRecord
	for try := 0; try < 5 && ctx.Err() == nil; try++ {
		last = w.sd.send(ctx, w.id, in)
		if last != nil && last.Height > 0 && last.Code == 0 {
			return nil
		}
		sleep(ctx, time.Second)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if last == nil {
		return fmt.Errorf("worker %d: setup tx %s could not be built", w.id, in.kind)
	}
	return fmt.Errorf("worker %d: setup tx %s did not commit (check %s %s, code %d %s)", w.id, in.kind, last.Check, last.CheckLog, last.Code, last.Log)
}

// run sends random txs until ctx ends.
func (w *worker) run(ctx context.Context) {
	total := 0
	for _, a := range actions {
		total += a.weight
	}
	for ctx.Err() == nil {
		r := w.rng.IntN(total)
		var act action
		for _, a := range actions {
			if r < a.weight {
				act = a
				break
			}
			r -= a.weight
		}
		in := act.build(w)
		if in == nil {
			continue
		}
		in.kind = act.name
		w.sd.send(ctx, w.id, in)
	}
}

// The devices of the worker that match.
func (w *worker) devices(match func(*devInfo) bool) []*devInfo {
	var out []*devInfo
	for _, d := range w.devs {
		if match(d) {
			out = append(out, d)
		}
	}
	return out
}

func (w *worker) pick(ds []*devInfo) *devInfo {
	if len(ds) == 0 {
		return nil
	}
	return ds[w.rng.IntN(len(ds))]
}

func (w *worker) activeIn(n *netInfo) int {
	return len(w.devices(func(d *devInfo) bool { return d.active && d.net == n }))
}

// epochNow is the current epoch of a network by the wall clock (block
// times follow it closely on loopback).
func (w *worker) epochNow(n *netInfo) uint64 {
	return network.EpochAt(n.chain, time.Now().Unix())
}

// report signs a valid report of d over the time since its last one.
func (w *worker) report(d *devInfo) *reportv1.SignedReport {
	end := time.Now().Add(-2 * time.Second).Truncate(time.Second)
	start := time.Unix(max(d.agent.State().PeriodEnd, end.Unix()-60), 0)
	if !end.After(start) {
		return nil
	}
	secs := uint64(end.Sub(start) / time.Second)
	signed, err := d.agent.Sign(start, end, w.metrics(d, secs, false))
	if err != nil {
		return nil
	}
	return decodeSigned(signed)
}

// metrics are random values within the physical bound of d's metrics
// over secs seconds, or (impossible) the first far beyond it.
func (w *worker) metrics(d *devInfo, secs uint64, impossible bool) []*reportv1.MetricValue {
	var out []*reportv1.MetricValue
	for i, m := range d.net.kind.Metrics {
		limit := d.capacity * secs * m.BoundNum / m.BoundDen
		v := uint64(0)
		if limit > 0 {
			v = w.rng.Uint64N(limit + 1)
		}
		if impossible && i == 0 {
			v = (limit + 1) * 1000
		}
		out = append(out, &reportv1.MetricValue{Id: m.Id, Value: v})
	}
	return out
}

// shadow is a copy of d's signing state: what it signs does not advance
// d's own sequence (for future-dated and double reports).
func (w *worker) shadow(d *devInfo) *agent.Device {
	a, err := agent.NewDevice(agent.DeviceConfig{Key: d.priv, Network: d.net.id, ChainID: w.chainID, Capacity: d.capacity, Lat: 52.52, Lon: 13.405, State: d.agent.State()})
	if err != nil {
		panic(err) // the config was valid for d itself
	}
	return a
}

func decodeSigned(b []byte) *reportv1.SignedReport {
	var s reportv1.SignedReport
	if err := proto.Unmarshal(b, &s); err != nil {
		return nil
	}
	return &s
}

// recent picks an index of a list kept in order of creation, mostly
// among its last entries (orders and agreements close with time).
func (w *worker) recent(n int) int {
	if w.rng.IntN(4) == 0 {
		return w.rng.IntN(n)
	}
	return n - 1 - w.rng.IntN(min(n, 2))
}

// unclaimed is a device's unclaimed reward, asked of a node that is up
// (0 if none answers).
func (w *worker) unclaimed(d *devInfo) uint64 {
	for _, p := range w.sd.s.nodes {
		if !w.sd.s.faults.up(p.idx) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		v, err := p.c.Unclaimed(ctx, d.id, client.QueryOptions{})
		cancel()
		if err == nil {
			return v
		}
	}
	return 0
}

// shareDenom is a device's share token.
func shareDenom(d *devInfo) string { return share.Denom(d.id) }
