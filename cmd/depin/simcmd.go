package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/simnet"
)

func newSimCmd(g *globals) *cobra.Command {
	cfg := simnet.Config{}
	var region, owners, submitter string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a simulated fleet of devices against a node",
		Long: `Create (or reuse) a network for the device kind, certify and register
--devices devices spread over --region, start a report gateway in this
process (or publish to --gateway), and let the devices report for
--duration. Prints progress, then what was sent, accepted and rejected (by
reason). With a devnet running ('depin devnet'), no other setup is needed.
A battery network created here is a flexibility market (virtual power
plants), and its batteries follow the dispatches the gateway forwards them.`,
		Example: `  depin sim --devices 20 --kind solar
  depin sim --devices 1000 --kind meter --region berlin,paris --duration 5m -o json
  depin sim --kind airquality --region bbox:52.3,13.0,52.7,13.8 --gateway tcp://127.0.0.1:1883
  depin sim --kind battery --devices 20 --duration 30m --ignore-dispatch 0.1`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := agent.LookupKind(cfg.Kind); err != nil {
				return usageError{fmt.Errorf("--kind %q: known kinds are %s", cfg.Kind, strings.Join(agent.KindNames(), ", "))}
			}
			regions, err := simnet.ParseRegions(region)
			if err != nil {
				return usageError{err}
			}
			cfg.Regions = regions
			c, err := g.client()
			if err != nil {
				return err
			}
			if _, err := c.Status(cmd.Context()); err != nil {
				return err
			}
			if cfg.Owners, err = g.simOwners(cmd, c, owners, submitter, cfg.Devices); err != nil {
				return err
			}
			if cfg.Broker == "" {
				k, err := g.loadKey(submitter, "")
				if err != nil {
					return err
				}
				cfg.Submitter = k.Private
			}
			cfg.Progress = os.Stderr
			lg, err := g.logger(io.Discard)
			if err != nil {
				return err
			}
			if g.logLevel == "debug" {
				lg, _ = g.logger(os.Stderr)
			}
			cfg.Logger = lg
			res, err := simnet.Run(cmd.Context(), c, cfg)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) { writeSimResult(w, res, res.Network) }})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Kind, "kind", "solar", "device kind: "+strings.Join(agent.KindNames(), ", "))
	f.IntVar(&cfg.Devices, "devices", 20, "fleet size")
	f.StringVar(&cfg.Network, "network", "", "existing network to report to (default: create or reuse one named after the kind)")
	f.StringVar(&region, "region", "berlin", "cities ("+strings.Join(simnet.CityNames(), ", ")+") or bbox:MINLAT,MINLON,MAXLAT,MAXLON")
	f.DurationVar(&cfg.Duration, "duration", time.Minute, "how long the devices report")
	f.Uint64Var(&cfg.Seed, "seed", 1, "fleet seed: the same seed gives the same devices (keys, places, capacities)")
	f.Uint64Var(&cfg.EpochSeconds, "epoch-seconds", 60, "epoch length of a network created here")
	f.StringVar(&owners, "owners", strings.Join(node.DevAccounts[:3], ","), "keys that own the devices, round robin (the first owns a created network), or a number N: that many owner accounts — the dev accounts, then sim-owner-K keys made and funded here")
	f.StringVar(&submitter, "submitter", "eve", "key the in-process gateway submits with")
	f.StringVar(&cfg.Broker, "gateway", "", "publish to this gateway's MQTT broker instead of running one, e.g. tcp://127.0.0.1:1883")
	f.Float64Var(&cfg.IgnoreDispatch, "ignore-dispatch", 0, "batteries: the share (0 to 1) of the fleet that ignores the dispatches the gateway forwards (the others follow them)")
	return cmd
}

// writeSimResult is a fleet run's summary; a reason devices were refused
// that their owners can act on comes with what to do.
func writeSimResult(w io.Writer, res *simnet.Result, net string) {
	tw := newTable(w)
	fmt.Fprintf(tw, "network\t%s: %d devices (%d newly registered), %.0f s\n", net, res.Devices, res.NewlyRegistered, res.Seconds)
	fmt.Fprintf(tw, "reports\t%d sent, %d accepted, %d rejected (devices offline for %d periods)\n", res.Sent, res.Accepted, res.Rejected, res.Offline)
	reasons := make([]string, 0, len(res.RejectedByReason))
	for r := range res.RejectedByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  rejected\t%s: %d\n", r, res.RejectedByReason[r])
		if r == "device_inactive" {
			fmt.Fprintf(tw, "\t  (the device is not active: 'depin query device ID' says why; a jailed one can report no more —\n")
			fmt.Fprintf(tw, "\t  its owner takes back what is left of its stake with 'depin tx device deactivate ID',\n")
			fmt.Fprintf(tw, "\t  then, after the unbonding, 'depin tx device withdraw ID')\n")
		}
	}
	tw.Flush()
}

// simOwners are the keys that own a simulated fleet: the keys named in
// spec (comma-separated), or, if spec is a number N, N accounts — the
// dev accounts here (not the gateway's submitter), then sim-owner-K keys,
// made unencrypted and funded by the first owner with enough for their
// share of the stakes.
func (g *globals) simOwners(cmd *cobra.Command, c *client.Client, spec, submitter string, devices int) ([]ed25519.PrivateKey, error) {
	n, err := strconv.Atoi(strings.TrimSpace(spec))
	if err != nil {
		var out []ed25519.PrivateKey
		for _, name := range strings.Split(spec, ",") {
			k, err := g.loadKey(strings.TrimSpace(name), "")
			if err != nil {
				return nil, err
			}
			out = append(out, ed25519.PrivateKey(k.Private))
		}
		return out, nil
	}
	if n < 1 || n > 1000 {
		return nil, usageError{fmt.Errorf("--owners %d: want 1 to 1000 owners (or key names)", n)}
	}
	ks := g.keystore()
	var out []ed25519.PrivateKey
	for _, name := range node.DevAccounts {
		if len(out) == n {
			break
		}
		if name == submitter {
			continue
		}
		if _, err := ks.Show(name); err != nil {
			continue
		}
		k, err := g.loadKey(name, "")
		if err != nil {
			return nil, err
		}
		out = append(out, ed25519.PrivateKey(k.Private))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--owners %d: none of the dev accounts (%s) has a key in %s to fund the owners with; name the owner keys instead", n, strings.Join(node.DevAccounts, ", "), ks.Dir())
	}
	funder := out[0]
	// Enough for each owner's share of the stakes (at most 10 DPIN a
	// device unless the network asks more) and its fees.
	stake := uint64(10_000_000)
	share := uint64((devices+n-1)/n + 1)
	need := share*stake + 1_000_000
	var msgs []*txv1.Msg
	for k := len(out) + 1; len(out) < n; k++ {
		name := fmt.Sprintf("sim-owner-%d", k)
		key, err := ks.Load(name, nil)
		if errors.Is(err, keystore.ErrNotFound) {
			if key, err = ks.Add(name, nil); err == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "created key %s (%s, unencrypted: devnet use only)\n", name, key.Address)
			}
		}
		if err != nil {
			return nil, err
		}
		bal, _, err := c.Balance(cmd.Context(), key.Address, bank.NativeDenom, client.QueryOptions{})
		if err != nil {
			return nil, err
		}
		if bal < need {
			from := crypto.AddressFromPubKey(funder.Public().(ed25519.PublicKey))
			msgs = append(msgs, client.MsgSend(from, key.Address, bank.Coin(bank.NativeDenom, need-bal)))
		}
		out = append(out, ed25519.PrivateKey(key.Private))
	}
	if len(msgs) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "funding %d owner accounts…\n", len(msgs))
		if _, err := c.SendTx(cmd.Context(), funder, msgs, client.TxOptions{}); err != nil {
			return nil, fmt.Errorf("funding the owners: %w", err)
		}
	}
	return out, nil
}
