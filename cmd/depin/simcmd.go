package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/agent"
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
reason). With a devnet running ('depin devnet'), no other setup is needed.`,
		Example: `  depin sim --devices 20 --kind solar
  depin sim --devices 1000 --kind meter --region berlin,paris --duration 5m -o json
  depin sim --kind airquality --region bbox:52.3,13.0,52.7,13.8 --gateway tcp://127.0.0.1:1883`,
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
			for _, name := range strings.Split(owners, ",") {
				k, err := g.loadKey(strings.TrimSpace(name), "")
				if err != nil {
					return err
				}
				cfg.Owners = append(cfg.Owners, ed25519.PrivateKey(k.Private))
			}
			if cfg.Broker == "" {
				k, err := g.loadKey(submitter, "")
				if err != nil {
					return err
				}
				cfg.Submitter = k.Private
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if _, err := c.Status(cmd.Context()); err != nil {
				return err
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
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) {
				fmt.Fprintf(w, "network %s: %d devices (%d newly registered), %.0f s\n", res.Network, res.Devices, res.NewlyRegistered, res.Seconds)
				fmt.Fprintf(w, "reports sent %d, accepted %d, rejected %d (devices offline for %d periods)\n", res.Sent, res.Accepted, res.Rejected, res.Offline)
				reasons := make([]string, 0, len(res.RejectedByReason))
				for r := range res.RejectedByReason {
					reasons = append(reasons, r)
				}
				sort.Strings(reasons)
				for _, r := range reasons {
					fmt.Fprintf(w, "  rejected %-40s %d\n", r, res.RejectedByReason[r])
				}
			}})
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
	f.StringVar(&owners, "owners", strings.Join(node.DevAccounts[:3], ","), "keys that own the devices (the first owns a created network)")
	f.StringVar(&submitter, "submitter", "eve", "key the in-process gateway submits with")
	f.StringVar(&cfg.Broker, "gateway", "", "publish to this gateway's MQTT broker instead of running one, e.g. tcp://127.0.0.1:1883")
	return cmd
}
