package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/api/event"
	apivpp "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// 'depin tx vpp' and 'depin query vpp': virtual power plants (x/vpp).

const vppLong = `A virtual power plant (a pool) is an operator's pool of batteries in one
region (an H3 cell) of an energy network whose params include vpp (see
'depin tx network create --vpp'). Battery owners join it with their limits
and leave it after the pool's notice. The operator buys service credits
by burning the network's token and dispatches the pool: power in one
direction over a window of whole metering intervals, escrowing the most it
could pay. The chain shares the power out among the members, measures
what each delivered against its own baseline from its accepted reports,
pays the device's owner, penalises members that did not respond and
refunds the rest.`

func newVppTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "vpp", Short: "Virtual power plants: open pools of batteries, join them, buy service credits, dispatch", Long: vppLong,
		Example: `  depin tx vpp create "Berlin VPP" --network grid --region 851f1d4bfffffff --price 50udpin/kWh --penalty 1% --from utility
  depin tx vpp join 1 depindev1… --max-kw 5 --min-soc 20% --from alice
  depin tx vpp buy-credits 500 --network grid --from utility
  depin tx vpp dispatch 1 --direction discharge --kw 200 --start +2m --duration 15m --from utility`}
	cmd.AddCommand(newVppCreateCmd(g), newVppCloseCmd(g), newVppJoinCmd(g), newVppLeaveCmd(g), newVppBuyCreditsCmd(g), newVppDispatchCmd(g))
	return cmd
}

// operatorFrom is the signer of an operator's tx; --operator, when given,
// must name the same account.
func (g *globals) operatorFrom(from, operator string) (crypto.Address, error) {
	who, err := g.resolveAddress(from)
	if err != nil {
		return who, err
	}
	if operator != "" {
		op, err := g.resolveAddress(operator)
		if err != nil {
			return who, err
		}
		if op != who {
			return who, usageError{fmt.Errorf("--operator %s is not --from %s: the operator signs its pool's txs", operator, from)}
		}
	}
	return who, nil
}

// typedEvents are a committed tx's typed events of type T.
func typedEvents[T any](res *client.TxResult) []*T {
	var out []*T
	for _, ev := range res.Events {
		if !event.Typed(ev.Type) {
			continue
		}
		if m, err := event.FromABCI(ev); err == nil {
			if v, ok := any(m).(*T); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func newVppCreateCmd(g *globals) *cobra.Command {
	var f txFlags
	var from, operator, name, network, region, price, penalty, minResponse string
	var notice time.Duration
	cmd := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Open a virtual power plant for a region of an energy network (you operate it); prints its id",
		Long: `create opens a pool in --network for the batteries located in --region (an
H3 cell: a device belongs if its cell lies in it; give the cell, or a point
and a resolution and the cell around it is taken: 4 takes in a city and
its suburbs, 3 a region — a city may straddle cells' borders, so check
the cells of the batteries with 'depin query devices --network N'). Its terms are fixed:
dispatches pay --price per kWh delivered, a member that misses a dispatch
(delivers less than --min-response of its allocation) loses --penalty of
its stake to the network's treasury, and leaving takes --notice. The
chain numbers pools: the tx prints the new pool's id.`,
		Example: `  depin tx vpp create "Berlin VPP" --network grid --region 851f1d4bfffffff --price 50udpin/kWh --penalty 1% --from utility
  depin tx vpp create --name "Berlin VPP" --network grid --region 52.52,13.40@4 --price 0.05dpin/kWh --notice 24h --from utility -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{argsError(cmd, args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1 && name != "" && args[0] != name:
				return usageError{fmt.Errorf("the pool's name is given twice (%q and --name %q)", args[0], name)}
			case len(args) == 1:
				name = args[0]
			case name == "":
				return usageError{fmt.Errorf("'%s' needs the pool's NAME (or --name)", cmd.CommandPath())}
			}
			if len(name) > apivpp.MaxNameLen {
				return usageError{fmt.Errorf("NAME: at most %d bytes", apivpp.MaxNameLen)}
			}
			cell, err := parseRegion(region)
			if err != nil {
				return err
			}
			amt, err := splitPerKWh(price)
			if err != nil {
				return err
			}
			coin, err := g.parseCoin(cmd.Context(), "--price", amt)
			if err != nil {
				return err
			}
			pen, err := parseShare("--penalty", penalty, apivpp.BPS)
			if err != nil {
				return err
			}
			resp, err := parseShare("--min-response", minResponse, apivpp.BPS)
			if err != nil {
				return err
			}
			if resp == 0 {
				return usageError{fmt.Errorf("--min-response %s: more than 0%% (a member that delivers nothing must count as a miss)", minResponse)}
			}
			if notice < 0 || notice%time.Second != 0 {
				return usageError{fmt.Errorf("--notice %s: whole seconds, 0 or more", notice)}
			}
			op, err := g.operatorFrom(from, operator)
			if err != nil {
				return err
			}
			m := &vppv1.MsgCreatePool{Operator: op.Bytes(), Network: network, Name: name, Cell: cell, Denom: coin.Denom, PricePerKwh: coin.Amount,
				PenaltyBps: uint32(pen), MinResponseBps: uint32(resp), NoticeSeconds: uint64(notice / time.Second)}
			return g.sendTx(cmd, from, &f, func(v txView, res *client.TxResult) view {
				out := vppTxView{txView: v}
				for _, e := range typedEvents[vppv1.EventPoolCreated](res) {
					out.Pool = e.Id
				}
				return out
			}, &txv1.Msg{Sum: &txv1.Msg_CreatePool{CreatePool: m}})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "the operator: signs and dispatches the pool (required)")
	fl.StringVar(&operator, "operator", "", "the operator's address, if given: must be --from's")
	fl.StringVar(&name, "name", "", "the pool's name (or give NAME)")
	fl.StringVar(&network, "network", "", "the energy network (its params must include vpp) (required)")
	fl.StringVar(&region, "region", "", "where its batteries must be: an H3 cell in hex (e.g. 851f1d4bfffffff) or LAT,LON[@RES], the cell of resolution RES (default 5) around that point, e.g. 52.52,13.40@4 (required)")
	fl.StringVar(&price, "price", "", "paid per kWh delivered, e.g. 50udpin/kWh (required)")
	fl.StringVar(&penalty, "penalty", "0%", "of a member's stake, to the network's treasury, per missed dispatch (at most the network's max_penalty_bps)")
	fl.StringVar(&minResponse, "min-response", "50%", "delivering less than this share of its allocation is a miss")
	fl.DurationVar(&notice, "notice", time.Hour, "how long after a member asks to leave it leaves (at most the network's max_notice_seconds)")
	f.register(cmd)
	for _, n := range []string{"from", "network", "region", "price"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newVppCloseCmd(g *globals) *cobra.Command {
	var f txFlags
	var from string
	cmd := &cobra.Command{
		Use:     "close POOL",
		Short:   "Close your pool: no more dispatches or members; dispatches made settle, members may leave at once",
		Example: "  depin tx vpp close 1 --from utility",
		Args:    argsExactly(1, "POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			op, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &f, &txv1.Msg{Sum: &txv1.Msg_ClosePool{ClosePool: &vppv1.MsgClosePool{Operator: op.Bytes(), Pool: pool}}})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the pool's operator (required)")
	f.register(cmd)
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// maxJoinsPerTx bounds the batteries one join tx puts in a pool.
const maxJoinsPerTx = 256

func newVppJoinCmd(g *globals) *cobra.Command {
	var f txFlags
	var from, maxKW, minSoC string
	var all bool
	cmd := &cobra.Command{
		Use:   "join POOL DEVICE...",
		Short: "Put your batteries into a pool, with the most power each may be asked for and the charge it keeps",
		Long: `join makes your batteries (devices whose certificates name their rated
power and energy capacity) members of a pool of their network whose region
holds their locations, all in one tx (all join or none). --max-kw caps what
a dispatch may ask of each (default: its rated power); --min-soc is the
state of charge a discharge never takes it below. A battery is in one pool
at a time. --all takes, instead of DEVICE…, every active battery of
--from's in the pool's network and region that is in no pool.`,
		Example: `  depin tx vpp join 1 depindev1… --max-kw 5 --min-soc 20% --from alice
  depin tx vpp join 1 --all --min-soc 20% --from alice`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usageError{argsError(cmd, args)}
			case all && len(args) > 1:
				return usageError{fmt.Errorf("give the batteries (DEVICE…) or --all, not both")}
			case !all && len(args) == 1:
				return usageError{fmt.Errorf("'%s %s' needs the batteries to put in: DEVICE… (or --all: every battery of --from's that can join)", cmd.CommandPath(), args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			var ids []crypto.DeviceID
			seen := map[crypto.DeviceID]bool{}
			for _, a := range args[1:] {
				id, err := parseDevice("DEVICE", a)
				if err != nil {
					return err
				}
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
			var maxW uint64
			if maxKW != "" {
				if maxW, err = parseKW("--max-kw", maxKW); err != nil {
					return err
				}
			}
			soc, err := parseShare("--min-soc", minSoC, apivpp.PPT)
			if err != nil {
				return err
			}
			if soc >= apivpp.PPT {
				return usageError{fmt.Errorf("--min-soc %s: below 100%% (a battery kept full can give nothing)", minSoC)}
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			if all {
				if ids, err = g.joinable(cmd, pool, owner); err != nil {
					return err
				}
			}
			if len(ids) > maxJoinsPerTx {
				return usageError{fmt.Errorf("%d batteries: at most %d join in one tx (give them in parts)", len(ids), maxJoinsPerTx)}
			}
			msgs := make([]*txv1.Msg, len(ids))
			for i, id := range ids {
				msgs[i] = &txv1.Msg{Sum: &txv1.Msg_JoinPool{JoinPool: &vppv1.MsgJoinPool{Owner: owner.Bytes(), Pool: pool, Device: bytes.Clone(id[:]),
					MaxW: maxW, MinSocPpt: uint32(soc)}}}
			}
			return g.sendMsgs(cmd, from, &f, msgs...)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the batteries' owner (required)")
	cmd.Flags().StringVar(&maxKW, "max-kw", "", "the most power a dispatch may ask of each, in kW (default: its rated power)")
	cmd.Flags().StringVar(&minSoC, "min-soc", "0%", "the state of charge a discharge never takes it below")
	cmd.Flags().BoolVar(&all, "all", false, "every active battery of --from's in the pool's network and region that is in no pool")
	f.register(cmd)
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// joinable lists owner's batteries that may join pool: active devices of
// its network, with an energy capacity, located in its region, in no pool.
func (g *globals) joinable(cmd *cobra.Command, pool uint64, owner crypto.Address) ([]crypto.DeviceID, error) {
	ctx := cmd.Context()
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	p, err := c.Pool(ctx, pool, client.QueryOptions{})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("no pool %d on this chain ('depin query vpp pools --network N' lists them)", pool)
	}
	ids, err := c.Devices(ctx, client.DeviceFilter{Owner: &owner})
	if err != nil {
		return nil, err
	}
	var out []crypto.DeviceID
	outside := 0
	for _, id := range ids {
		d, err := c.Device(ctx, id, client.QueryOptions{})
		if err != nil {
			return nil, err
		}
		if d == nil || d.Network != p.Network || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE || d.EnergyCapacity == 0 || d.VppPool != 0 {
			continue
		}
		if !apivpp.InRegion(p.Cell, d.Cell) {
			outside++
			continue
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		more := ""
		if outside > 0 {
			more = fmt.Sprintf(" (outside its region %x: %d)", p.Cell, outside)
		}
		return nil, fmt.Errorf("%s has no active battery of network %s in no pool that pool %d could take%s", owner, p.Network, pool, more)
	}
	if outside > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d of %s's other batteries in %s lie outside pool %d's region %x and stay out\n", outside, owner, p.Network, pool, p.Cell)
	}
	return out, nil
}

func newVppLeaveCmd(g *globals) *cobra.Command {
	var f txFlags
	var from string
	cmd := &cobra.Command{
		Use:   "leave POOL DEVICE",
		Short: "Take your battery out of a pool after the pool's notice (at once if the pool is closed)",
		Long: `leave asks for your battery to leave its pool: it leaves once the pool's
notice has run (at once from a closed pool), and not before the
dispatches it was given have settled. 'depin query vpp member' shows when.`,
		Example: "  depin tx vpp leave 1 depindev1… --from alice",
		Args:    argsExactly(2, "POOL DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			id, err := parseDevice("DEVICE", args[1])
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendTx(cmd, from, &f, func(v txView, res *client.TxResult) view {
				out := vppTxView{txView: v}
				for _, e := range typedEvents[vppv1.EventMemberLeaving](res) {
					out.LeaveTime = e.LeaveTime
				}
				if len(typedEvents[vppv1.EventMemberLeft](res)) > 0 {
					out.Left = true
				}
				return out
			}, &txv1.Msg{Sum: &txv1.Msg_LeavePool{LeavePool: &vppv1.MsgLeavePool{Owner: owner.Bytes(), Pool: pool, Device: id[:]}}})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the battery's owner (required)")
	f.register(cmd)
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newVppBuyCreditsCmd(g *globals) *cobra.Command {
	var f txFlags
	var from, network string
	cmd := &cobra.Command{
		Use:   "buy-credits CREDITS --network N",
		Short: "Buy service credits by burning the network's token (its credit_price per credit)",
		Long: `buy-credits burns CREDITS × the network's credit_price of its token and
gives you CREDITS service credits in that network: what dispatches cost
(dispatch_credits plus kwh_credits per kWh asked for). Credits cannot be
transferred. The burnt tokens show in 'depin query network N'.`,
		Example: "  depin tx vpp buy-credits 500 --network grid --from utility",
		Args:    argsExactly(1, "CREDITS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseCount("CREDITS", args[0])
			if err != nil {
				return err
			}
			if n == 0 {
				return usageError{fmt.Errorf("CREDITS: at least 1")}
			}
			op, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendTx(cmd, from, &f, func(v txView, res *client.TxResult) view {
				out := vppTxView{txView: v}
				for _, e := range typedEvents[vppv1.EventCreditsBought](res) {
					out.Credits, out.Burned, out.Denom = e.Credits, e.Burned, e.Denom
				}
				return out
			}, &txv1.Msg{Sum: &txv1.Msg_BuyCredits{BuyCredits: &vppv1.MsgBuyCredits{Operator: op.Bytes(), Network: network, Credits: n}}})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the buyer: pays the tokens and gets the credits (required)")
	cmd.Flags().StringVar(&network, "network", "", "the energy network (required)")
	f.register(cmd)
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("network")
	return cmd
}

func newVppDispatchCmd(g *globals) *cobra.Command {
	var f txFlags
	var from, direction, kw, start, maxEscrow string
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "dispatch POOL --direction discharge|charge --kw P --start +2m --duration 15m",
		Short: "Call on your pool: P kW in one direction over a window; escrows the most it could pay; prints the dispatch's id",
		Long: `dispatch asks the pool's members for --kw kilowatts in total, to the grid
(discharge) or from it (charge), from --start for --duration. --start is
+DURATION from now, a time (RFC 3339) or unix seconds, rounded up to the
network's metering interval, and at least its min_lead_seconds ahead;
--duration is whole intervals. The dispatch costs service credits and
escrows kW × hours × the pool's price; what members do not deliver is
refunded after the window. --max-escrow refuses a dispatch that would
escrow more.`,
		Example: `  depin tx vpp dispatch 1 --direction discharge --kw 200 --start +2m --duration 15m --from utility
  depin tx vpp dispatch 1 --direction charge --kw 50 --start 2026-05-01T14:00:00Z --duration 1h --max-escrow 10dpin --from utility -o json`,
		Args: argsExactly(1, "POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			dir, ok := map[string]vppv1.Direction{"discharge": vppv1.Direction_DIRECTION_DISCHARGE, "charge": vppv1.Direction_DIRECTION_CHARGE}[direction]
			if !ok {
				return usageError{fmt.Errorf("--direction %q: discharge (to the grid) or charge (from it)", direction)}
			}
			powerW, err := parseKW("--kw", kw)
			if err != nil {
				return err
			}
			op, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Pool(ctx, pool, client.QueryOptions{})
			if err != nil {
				return err
			}
			if p == nil {
				return fmt.Errorf("%w: there is no pool %d", apivpp.ErrUnknownPool, pool)
			}
			vp, err := c.VppParams(ctx, p.Network)
			if err != nil {
				return err
			}
			secs, err := dispatchDuration(duration, vp.IntervalSeconds)
			if err != nil {
				return err
			}
			now, err := chainNow(ctx, c)
			if err != nil {
				return err
			}
			at, err := dispatchStart(start, now, vp.IntervalSeconds, vp.MinLeadSeconds)
			if err != nil {
				return err
			}
			var bound uint64
			if maxEscrow != "" {
				coin, err := g.parseCoin(ctx, "--max-escrow", maxEscrow)
				if err != nil {
					return err
				}
				if coin.Denom != p.Denom {
					return usageError{fmt.Errorf("--max-escrow %s: pool %d pays in %s", maxEscrow, pool, p.Denom)}
				}
				bound = coin.Amount
			}
			g.units.typedBase(p.Denom) // the escrow as the chain names it, unless typed otherwise
			return g.sendTx(cmd, from, &f, func(v txView, res *client.TxResult) view {
				out := vppTxView{txView: v}
				for _, e := range typedEvents[vppv1.EventDispatchCreated](res) {
					out.Dispatch, out.StartTime, out.EndTime, out.Escrow, out.Denom, out.Credits = e.Id, e.Start, e.End, e.Escrow, e.Denom, e.Credits
				}
				return out
			}, &txv1.Msg{Sum: &txv1.Msg_Dispatch{Dispatch: &vppv1.MsgDispatch{Operator: op.Bytes(), Pool: pool, Direction: dir, PowerW: powerW,
				Start: at, DurationSeconds: secs, MaxEscrow: bound}}})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "the pool's operator (required)")
	fl.StringVar(&direction, "direction", "", "discharge (to the grid) or charge (from it) (required)")
	fl.StringVar(&kw, "kw", "", "power asked of the pool in total, in kW (required)")
	fl.StringVar(&start, "start", "", "+DURATION from now, a time (RFC 3339) or unix seconds; rounded up to the network's interval (required)")
	fl.DurationVar(&duration, "duration", 0, "the window's length: whole metering intervals (required)")
	fl.StringVar(&maxEscrow, "max-escrow", "", "refuse if the dispatch would escrow more than this")
	f.register(cmd)
	for _, n := range []string{"from", "direction", "kw", "start", "duration"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// chainNow is the later of the local clock and the chain's latest block
// time: a dispatch is judged against block time.
func chainNow(ctx context.Context, c *client.Client) (time.Time, error) {
	now := time.Now()
	st, err := c.Status(ctx)
	if err != nil {
		return now, err
	}
	if t := st.SyncInfo.LatestBlockTime; t.After(now) {
		now = t
	}
	return now, nil
}

func newVppQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "vpp", Short: "Virtual power plants: pools, members, dispatches, service credits", Long: vppLong,
		Example: `  depin query vpp pools --network grid
  depin query vpp pool 1
  depin query vpp member 1 depindev1… --prove
  depin query vpp dispatches 1
  depin query vpp dispatch 3 -o json
  depin query vpp credits --network grid utility`}
	var height int64
	var prove bool
	pool := &cobra.Command{
		Use:     "pool ID",
		Short:   "Show a pool: its terms, members' power, dispatches and what they delivered",
		Example: "  depin query vpp pool 1",
		Args:    argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("ID", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Pool(cmd.Context(), id, client.QueryOptions{Height: height})
			if err != nil {
				return err
			}
			if p == nil {
				return fmt.Errorf("%w: there is no pool %d ('depin query vpp pools --network N' lists a network's)", apivpp.ErrUnknownPool, id)
			}
			return g.render(cmd.OutOrStdout(), newVppPoolView(p))
		},
	}
	pool.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	var network string
	pools := &cobra.Command{
		Use:     "pools --network N",
		Short:   "List a network's pools",
		Example: "  depin query vpp pools --network grid",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ps, err := c.Pools(cmd.Context(), network)
			if err != nil {
				return err
			}
			l := make(vppPoolList, 0, len(ps))
			for _, p := range ps {
				l = append(l, newVppPoolView(p))
			}
			return g.render(cmd.OutOrStdout(), l)
		},
	}
	pools.Flags().StringVar(&network, "network", "", "the network (required)")
	_ = pools.MarkFlagRequired("network")
	member := &cobra.Command{
		Use:     "member POOL DEVICE",
		Short:   "Show a battery's membership of a pool: its limits, state of charge, metering and open allocations (--prove verifies it)",
		Example: "  depin query vpp member 1 depindev1… --prove",
		Args:    argsExactly(2, "POOL DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			id, err := parseDevice("DEVICE", args[1])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			m, r, err := c.PoolMember(cmd.Context(), pool, id, client.QueryOptions{Height: height, Prove: prove})
			if err != nil {
				return err
			}
			if m == nil {
				suffix := ""
				if r != nil && r.Proven {
					suffix = fmt.Sprintf(" (its absence proven at height %d)", r.Height)
				}
				return fmt.Errorf("%w: %s is not a member of pool %d%s", apivpp.ErrNotMember, args[1], pool, suffix)
			}
			return g.render(cmd.OutOrStdout(), newVppMemberView(m, r))
		},
	}
	member.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	member.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof against a header signed by the validators")
	members := &cobra.Command{
		Use:     "members POOL",
		Short:   "List a pool's members",
		Example: "  depin query vpp members 1",
		Args:    argsExactly(1, "POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ms, err := c.PoolMembers(cmd.Context(), pool)
			if err != nil {
				return err
			}
			l := make(vppMemberList, 0, len(ms))
			for _, m := range ms {
				l = append(l, newVppMemberView(m, nil))
			}
			return g.render(cmd.OutOrStdout(), l)
		},
	}
	dispatch := &cobra.Command{
		Use:     "dispatch ID",
		Short:   "Show a dispatch (or a challenge): its window, allocation, and once settled what was delivered, paid and refunded",
		Example: "  depin query vpp dispatch 3",
		Args:    argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("ID", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.Dispatch(cmd.Context(), id, client.QueryOptions{Height: height})
			if err != nil {
				return err
			}
			if d == nil {
				return fmt.Errorf("no dispatch %d ('depin query vpp dispatches POOL' lists a pool's)", id)
			}
			return g.render(cmd.OutOrStdout(), newVppDispatchView(d))
		},
	}
	dispatch.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	dispatches := &cobra.Command{
		Use:     "dispatches POOL",
		Short:   "List a pool's dispatches and challenges, oldest first",
		Example: "  depin query vpp dispatches 1",
		Args:    argsExactly(1, "POOL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := parseCount("POOL", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.PoolDispatches(cmd.Context(), pool)
			if err != nil {
				return err
			}
			l := make(vppDispatchList, 0, len(ds))
			for _, d := range ds {
				l = append(l, newVppDispatchView(d))
			}
			return g.render(cmd.OutOrStdout(), l)
		},
	}
	var creditNet string
	credits := &cobra.Command{
		Use:   "credits --network N [ADDRESS]",
		Short: "Show an account's service credits in a network, or the network's credit books and every balance",
		Example: `  depin query vpp credits --network grid utility
  depin query vpp credits --network grid`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{argsError(cmd, args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := g.client()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				a, err := g.resolveAddress(args[0])
				if err != nil {
					return err
				}
				n, r, err := c.Credits(ctx, creditNet, a, client.QueryOptions{Height: height, Prove: prove})
				if err != nil {
					return err
				}
				v := vppCreditsView{Network: creditNet, Account: a.String(), Credits: n, Height: r.Height, Proven: r.Proven}
				if r.Proven {
					v.AppHash = fmt.Sprintf("%X", r.AppHash)
				}
				return g.render(cmd.OutOrStdout(), v)
			}
			n, err := c.Network(ctx, creditNet, client.QueryOptions{})
			if err != nil {
				return err
			}
			if n == nil {
				return fmt.Errorf("no network %q (see 'depin query networks')", creditNet)
			}
			b, err := c.CreditBooks(ctx, creditNet, client.QueryOptions{})
			if err != nil {
				return err
			}
			bals, err := c.CreditBalances(ctx, creditNet)
			if err != nil {
				return err
			}
			v := vppBooksView{Network: creditNet, Denom: n.RewardDenom, Burned: b.Burned, Minted: b.Minted, Spent: b.Spent,
				Outstanding: b.Minted - min(b.Spent, b.Minted), Balances: []vppCreditBalanceView{}}
			if vp := n.GetParams().GetVpp(); vp != nil {
				v.CreditPrice = vp.CreditPrice
			}
			for _, x := range bals {
				v.Balances = append(v.Balances, vppCreditBalanceView{Account: x.Account.String(), Credits: x.Credits})
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	credits.Flags().StringVar(&creditNet, "network", "", "the network (required)")
	credits.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest; with ADDRESS)")
	credits.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof of the balance (with ADDRESS)")
	_ = credits.MarkFlagRequired("network")
	cmd.AddCommand(pool, pools, member, members, dispatch, dispatches, credits)
	return cmd
}
