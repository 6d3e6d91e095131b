package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/chaos"
)

func newChaosCmd(g *globals) *cobra.Command {
	cfg := chaos.DefaultConfig()
	var blockInterval time.Duration
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Soak a local multi-process network under a random workload while killing, pausing and cutting off nodes",
		Long: `Run a network of --validators validators and --full-nodes full nodes, each a
separate 'depin start' process on loopback, under a random workload of every
transaction kind (valid and invalid), while nodes are killed and restarted,
paused, cut off from their peers and (full nodes) wiped and resynced, never
more than f = (N-1)/3 validators at once. Then check that the chain never
stalled beyond what the perturbations explain, that every node has the same
block and app hash at every height, that every module's books balanced after
every block on every node, and that no committed tx is missing anywhere.

The same --seed gives the same workload and perturbation plan. Exits 1 if
anything was violated; the node homes and logs are kept then (in --dir, or
a temporary directory it names).`,
		Example: `  depin chaos --validators 4 --full-nodes 1 --duration 10m --seed 7
  depin chaos --duration 2m --dir ./soak -o json`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			cfg.Binary = bin
			cfg.TimeoutCommit = blockInterval
			if !cmd.Flags().Changed("seed") {
				cfg.Seed = uint64(time.Now().UnixNano() % 1_000_000)
			}
			if cmd.Flags().Changed("log-level") {
				if cfg.Logger, err = g.logger(os.Stderr); err != nil {
					return err
				}
			}
			cfg.Progress = os.Stderr
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			s, err := chaos.New(cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			sum, err := s.Run(cmd.Context())
			if err != nil {
				return fmt.Errorf("%w (node homes and logs in %s)", err, s.Dir())
			}
			if err := s.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "stopping the nodes:", err)
			}
			if perr := g.render(cmd.OutOrStdout(), textView{sum, func(w io.Writer) { sum.WriteText(w) }}); perr != nil {
				return perr
			}
			if !sum.Passed {
				return fmt.Errorf("chaos soak (seed %d) found %d violation(s); node homes and logs in %s", sum.Seed, len(sum.Violations), sum.Dir)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Validators, "validators", cfg.Validators, "validators (f = (N-1)/3 of them may be perturbed at once)")
	f.IntVar(&cfg.FullNodes, "full-nodes", cfg.FullNodes, "full nodes (not validators)")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the workload and the perturbations run")
	f.Uint64Var(&cfg.Seed, "seed", 0, "seed of the workload and perturbation plan (default: random, printed)")
	f.StringVar(&cfg.Dir, "dir", "", "directory for node homes and logs (default: a temporary one, removed if the soak passes)")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "parallel workload workers (one tx in flight each)")
	f.DurationVar(&blockInterval, "block-interval", 0, "CometBFT timeout_commit (default: the node default, ~1 s blocks)")
	f.DurationVar(&cfg.GapMin, "gap-min", cfg.GapMin, "least quiet time between two perturbations")
	f.DurationVar(&cfg.GapMax, "gap-max", cfg.GapMax, "most quiet time between two perturbations")
	f.DurationVar(&cfg.HoldMin, "hold-min", cfg.HoldMin, "shortest perturbation")
	f.DurationVar(&cfg.HoldMax, "hold-max", cfg.HoldMax, "longest perturbation")
	return cmd
}
