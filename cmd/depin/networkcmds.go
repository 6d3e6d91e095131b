package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// paramFlags are the network parameters as flags.
type paramFlags struct {
	metrics                          []string
	epoch, window, skew, unbond, mov time.Duration
	minStake                         string
	// incentives
	emission, maxSupply, halving uint64
	pools, geo                   string
	slash, finder, threshold     float64
}

func (f *paramFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.metrics, "metric", nil, `metric "ID:NAME:UNIT:NUM/DEN[:WEIGHT]": at most NUM/DEN units per unit of capacity per second (repeatable), e.g. 1:energy:Wh:1/3600`)
	fl.DurationVar(&f.epoch, "epoch", time.Hour, "epoch length (block time)")
	fl.DurationVar(&f.window, "window", time.Hour, "how old a report's period may start")
	fl.DurationVar(&f.skew, "skew", 30*time.Second, "how far after block time a report's period may end")
	fl.StringVar(&f.minStake, "min-stake", "10dpin", "stake each device locks")
	fl.DurationVar(&f.unbond, "unbonding", 24*time.Hour, "delay between deactivating a device and withdrawing its stake")
	fl.DurationVar(&f.mov, "move-interval", 24*time.Hour, "minimum time between two moves of a device")
	fl.Uint64Var(&f.emission, "emission", 1_000_000_000, "reward-token units minted per epoch (0: no rewards)")
	fl.Uint64Var(&f.halving, "halving-epochs", 0, "halve the emission every this many epochs (0: never)")
	fl.Uint64Var(&f.maxSupply, "max-supply", 0, "cap on all reward-token units ever minted (0: none)")
	fl.StringVar(&f.pools, "pools", "work=70,availability=20,treasury=10", `how an epoch's emission is split, NAME=PERCENT (kinds: work, availability, treasury; a name containing one is of that kind)`)
	fl.StringVar(&f.geo, "geo", "hip104", `geographic scaling: "hip104" (HIP-17 with HIP-104's values) or "none"`)
	fl.Float64Var(&f.slash, "slash", 10, "percent of a device's stake slashed per fraud evidence")
	fl.Float64Var(&f.finder, "finder-fee", 20, "percent of a slash paid to whoever submitted the evidence")
	fl.Float64Var(&f.threshold, "rep-threshold", 0.5, "reputation (0..1) below which a device earns nothing")
}

// poolKinds are the words a --pools name is recognised by.
var poolKinds = []struct {
	word string
	kind rewardv1.PoolKind
}{
	{"work", rewardv1.PoolKind_POOL_KIND_WORK},
	{"avail", rewardv1.PoolKind_POOL_KIND_AVAILABILITY},
	{"treasury", rewardv1.PoolKind_POOL_KIND_TREASURY},
}

// rewards builds the incentive params from the flags.
func (f *paramFlags) rewards() (*rewardv1.RewardParams, error) {
	rp := network.DefaultRewards(f.emission)
	rp.HalvingEpochs, rp.MaxSupply = f.halving, f.maxSupply
	rp.Pools = nil
	for _, part := range strings.Split(f.pools, ",") {
		name, pct, ok := strings.Cut(strings.TrimSpace(part), "=")
		v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
		if !ok || err != nil || v < 0 || v > 100 {
			return nil, usageError{fmt.Errorf("--pools %q: want NAME=PERCENT,…", f.pools)}
		}
		kind := rewardv1.PoolKind_POOL_KIND_UNSPECIFIED
		for _, k := range poolKinds {
			if strings.Contains(name, k.word) {
				if kind != rewardv1.PoolKind_POOL_KIND_UNSPECIFIED {
					return nil, usageError{fmt.Errorf("--pools: pool %q: its name must contain one of work, avail or treasury, not two", name)}
				}
				kind = k.kind
			}
		}
		if kind == rewardv1.PoolKind_POOL_KIND_UNSPECIFIED {
			return nil, usageError{fmt.Errorf("--pools: pool %q: its name must contain work, avail or treasury", name)}
		}
		rp.Pools = append(rp.Pools, &rewardv1.Pool{Name: name, Kind: kind, Bps: uint32(v*100 + 0.5)})
	}
	switch f.geo {
	case "hip104":
	case "none":
		rp.Geo = nil
	default:
		return nil, usageError{fmt.Errorf("--geo %q: want hip104 or none", f.geo)}
	}
	pct := func(name string, v float64) (uint32, error) {
		if v < 0 || v > 100 {
			return 0, usageError{fmt.Errorf("--%s %v: want 0..100", name, v)}
		}
		return uint32(v*100 + 0.5), nil
	}
	var err error
	if rp.SlashBps, err = pct("slash", f.slash); err != nil {
		return nil, err
	}
	if rp.FinderFeeBps, err = pct("finder-fee", f.finder); err != nil {
		return nil, err
	}
	if f.threshold < 0 || f.threshold > 1 {
		return nil, usageError{fmt.Errorf("--rep-threshold %v: want 0..1", f.threshold)}
	}
	rp.RepThresholdPpm = uint32(f.threshold*1e6 + 0.5)
	return rp, nil
}

func parseMetric(s string) (*networkv1.Metric, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 4 || len(parts) > 5 {
		return nil, fmt.Errorf("--metric %q: want ID:NAME:UNIT:NUM/DEN[:WEIGHT]", s)
	}
	id, err := strconv.ParseUint(parts[0], 10, 8)
	if err != nil {
		return nil, fmt.Errorf("--metric %q: the id %q must be a whole number from 0 to 255", s, parts[0])
	}
	num, den, ok := strings.Cut(parts[3], "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseUint(num, 10, 64)
	d, err2 := strconv.ParseUint(den, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("--metric %q: bound must be NUM/DEN integers", s)
	}
	m := &networkv1.Metric{Id: uint32(id), Name: parts[1], Unit: parts[2], BoundNum: n, BoundDen: d, Weight: 1}
	if len(parts) == 5 {
		w, err := strconv.ParseUint(parts[4], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--metric %q: the weight %q must be a whole number", s, parts[4])
		}
		m.Weight = w
	}
	return m, nil
}

func (f *paramFlags) params(g *globals, kindMetrics []*networkv1.Metric) (*networkv1.Params, error) {
	p := &networkv1.Params{
		EpochSeconds: uint64(f.epoch.Seconds()), ReportWindowSeconds: uint64(f.window.Seconds()),
		MaxClockSkewSeconds: uint64(f.skew.Seconds()), UnbondingSeconds: uint64(f.unbond.Seconds()),
		MinMoveIntervalSeconds: uint64(f.mov.Seconds()), Metrics: kindMetrics,
	}
	for _, s := range f.metrics {
		m, err := parseMetric(s)
		if err != nil {
			return nil, usageError{err}
		}
		p.Metrics = append(p.Metrics, m)
	}
	if len(p.Metrics) == 0 {
		return nil, usageError{fmt.Errorf("a network needs at least one --metric (or --kind)")}
	}
	var err error
	if p.MinStake, err = g.parseDpinAmount("--min-stake", f.minStake); err != nil {
		return nil, err
	}
	if p.Rewards, err = f.rewards(); err != nil {
		return nil, err
	}
	if err := network.ValidateParams(p); err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

var classes = map[string]networkv1.ResourceClass{
	"energy": networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, "storage": networkv1.ResourceClass_RESOURCE_CLASS_STORAGE,
	"compute": networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, "connectivity": networkv1.ResourceClass_RESOURCE_CLASS_CONNECTIVITY,
	"sensing": networkv1.ResourceClass_RESOURCE_CLASS_SENSING, "mobility": networkv1.ResourceClass_RESOURCE_CLASS_MOBILITY,
}

// className is the name 'classes' knows c by (RESOURCE_CLASS_ENERGY →
// energy).
func className(c networkv1.ResourceClass) string { return enumName(c.String(), "RESOURCE_CLASS_") }

// makerKey resolves a maker given as a local key name or a hex public key.
func (g *globals) makerKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	info, err := g.keystore().Show(s)
	if err != nil {
		err = g.keyError(s, err)
		var ue usageError
		if errors.As(err, &ue) {
			return nil, usageError{fmt.Errorf("maker %q is not a public key (64 hex digits), and %w", s, ue.error)}
		}
		return nil, err
	}
	return info.PublicKey, nil
}

func newNetworkTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Launch and govern DePIN networks"}
	var f txFlags
	var pf paramFlags
	var vf vppFlags
	var name, class, denom, kind, from string
	var physical bool
	create := &cobra.Command{
		Use:   "create ID",
		Short: "Launch a network (you become its owner)",
		Example: `  depin tx network create solar-berlin --kind solar --reward-denom usolar --from alice
  depin tx network create air --class sensing --metric 1:readings:count:1/3600 --reward-denom uair --epoch 10m --from alice
  depin tx network create grid --kind battery --vpp --vpp-interval 5m --credit-price 1000 --from alice`,
		Args: argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var km []*networkv1.Metric
			if kind != "" {
				k, ok := kindTemplate(kind)
				if !ok {
					return usageError{fmt.Errorf("--kind %q: known kinds are %s", kind, strings.Join(kindNames(), ", "))}
				}
				km = k.Metrics
				if class == "" {
					class = className(k.Class)
				}
			}
			c, ok := classes[class]
			if !ok {
				return usageError{fmt.Errorf("--class %q: one of energy, storage, compute, connectivity, sensing, mobility", class)}
			}
			p, err := pf.params(g, km)
			if err != nil {
				return err
			}
			if p.Vpp, err = vf.params(cmd, nil); err != nil {
				return err
			}
			if err := network.ValidateParams(p); err != nil {
				return usageError{err}
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			if name == "" {
				name = args[0]
			}
			if denom == "" {
				denom = "u" + strings.ReplaceAll(args[0], "-", "")
			}
			return g.sendMsgs(cmd, from, &f, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
				Owner: owner.Bytes(), Id: args[0], Name: name, Class: c, Physical: physical, RewardDenom: denom, Params: p}}})
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	create.Flags().StringVar(&class, "class", "", "resource class: energy, storage, compute, connectivity, sensing, mobility")
	create.Flags().BoolVar(&physical, "physical", true, "physical infrastructure (false: a digital resource)")
	create.Flags().StringVar(&denom, "reward-denom", "", "the network's reward token (default u<id>)")
	create.Flags().StringVar(&kind, "kind", "", "take metrics and class from a device kind ("+strings.Join(kindNames(), ", ")+")")
	create.Flags().StringVar(&from, "from", "", "owner key (required)")
	pf.register(create)
	vf.register(create, false)
	f.register(create)
	_ = create.MarkFlagRequired("from")

	var uf txFlags
	var upf paramFlags
	var uvf vppFlags
	var ukind string
	update := &cobra.Command{
		Use:   "update-params ID",
		Short: "Change a network's parameters from the next epoch on",
		Long: `update-params sets the network's params from the flags, from its next
epoch on. What no flag of this command sets — its energy market, storage
and compute params, and its vpp params unless a --vpp flag is given — is
kept as the network has it.`,
		Example: `  depin tx network update-params solar --kind solar --epoch 2h --from alice
  depin tx network update-params grid --kind battery --vpp-interval 15m --credit-price 2000 --from alice`,
		Args: argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var km []*networkv1.Metric
			if ukind != "" {
				k, ok := kindTemplate(ukind)
				if !ok {
					return usageError{fmt.Errorf("unknown --kind %q", ukind)}
				}
				km = k.Metrics
			}
			p, err := upf.params(g, km)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			cur, err := c.Network(cmd.Context(), args[0], client.QueryOptions{})
			if err != nil {
				return err
			}
			if cur == nil {
				return fmt.Errorf("no network %q (see 'depin query networks')", args[0])
			}
			// The latest params: those scheduled, else those in force.
			have := cur.Params
			if cur.Pending != nil {
				have = cur.Pending
			}
			p.Market, p.Storage, p.Compute = have.GetMarket(), have.GetStorage(), have.GetCompute()
			if p.Vpp, err = uvf.params(cmd, have.GetVpp()); err != nil {
				return err
			}
			if err := network.ValidateParams(p); err != nil {
				return usageError{err}
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &uf, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: owner.Bytes(), Network: args[0], Params: p}}})
		},
	}
	update.Flags().StringVar(&from, "from", "", "owner key (required)")
	update.Flags().StringVar(&ukind, "kind", "", "take metrics from a device kind")
	upf.register(update)
	uvf.register(update, true)
	uf.register(update)
	_ = update.MarkFlagRequired("from")

	var af txFlags
	var makerName string
	approve := &cobra.Command{
		Use:   "approve-maker NETWORK MAKER",
		Short: "Let a maker (key name or hex public key) certify devices for your network",
		Args:  argsExactly(2, "NETWORK MAKER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := g.makerKey(args[1])
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &af, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{Owner: owner.Bytes(), Network: args[0], MakerPublicKey: pub, Name: makerName}}})
		},
	}
	approve.Flags().StringVar(&makerName, "name", "", "maker's name")
	approve.Flags().StringVar(&from, "from", "", "owner key (required)")
	af.register(approve)
	_ = approve.MarkFlagRequired("from")

	var rf txFlags
	revoke := &cobra.Command{
		Use:   "revoke-maker NETWORK MAKER",
		Short: "Stop a maker from certifying new devices",
		Args:  argsExactly(2, "NETWORK MAKER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := g.makerKey(args[1])
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &rf, &txv1.Msg{Sum: &txv1.Msg_RevokeMaker{RevokeMaker: &networkv1.MsgRevokeMaker{Owner: owner.Bytes(), Network: args[0], MakerPublicKey: pub}}})
		},
	}
	revoke.Flags().StringVar(&from, "from", "", "owner key (required)")
	rf.register(revoke)
	_ = revoke.MarkFlagRequired("from")
	var resf txFlags
	resume := &cobra.Command{
		Use:   "resume NETWORK",
		Short: "Run a frozen network's block steps again (after fixing what froze it)",
		Long: `A network is frozen when one of its block steps (rewards, agreements, the
market) fails: the step is rolled back, the chain goes on, and the network
takes no reports, orders, agreements or devices until its owner resumes it.
'depin query network' shows why it froze; fix the cause (often its params,
with update-params) and resume. If the step fails again, it freezes again.`,
		Args: argsExactly(1, "NETWORK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &resf, &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: owner.Bytes(), Network: args[0]}}})
		},
	}
	resume.Flags().StringVar(&from, "from", "", "owner key (required)")
	resf.register(resume)
	_ = resume.MarkFlagRequired("from")
	cmd.AddCommand(create, update, approve, revoke, resume)
	return cmd
}

func newNetworkQueryCmds(g *globals) []*cobra.Command {
	one := &cobra.Command{
		Use:   "network ID",
		Short: "Show a network",
		Args:  argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			n, err := c.Network(cmd.Context(), args[0], client.QueryOptions{})
			if err != nil {
				return err
			}
			if n == nil {
				return fmt.Errorf("no network %q (see 'depin query networks')", args[0])
			}
			v := newNetworkView(n)
			// Its token's supply: minted by its emission, burned for
			// service credits.
			var minted uint64
			rs, err := c.RewardState(cmd.Context(), n.Id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if rs != nil {
				minted = rs.Minted
			}
			books, err := c.CreditBooks(cmd.Context(), n.Id, client.QueryOptions{})
			if err != nil {
				return err
			}
			v.Minted, v.Burned = &minted, &books.Burned
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	all := &cobra.Command{
		Use:   "networks",
		Short: "List networks",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ns, err := c.Networks(cmd.Context())
			if err != nil {
				return err
			}
			l := make(networkList, 0, len(ns))
			for _, n := range ns {
				l = append(l, newNetworkView(n))
			}
			return g.render(cmd.OutOrStdout(), l)
		},
	}
	return []*cobra.Command{one, all}
}
