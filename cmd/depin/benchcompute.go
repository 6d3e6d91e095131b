package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/bench"
	"github.com/depinhq/depin/examples/render"
)

// newBenchComputeCmd is 'depin bench compute'.
func newBenchComputeCmd(g *globals) *cobra.Command {
	cfg := bench.DefaultComputeConfig()
	var from, consumer string
	var target benchTarget
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "Measure the render job through the compute pipeline, against the same work run directly",
		Long: `Build the render example's tile module (the go command and this
source tree are needed), start 4 storage nodes (for the module) and
--providers compute providers in this process, and run the 16-tile render
job with --replicas replicas at --samples samples per pixel through the
whole pipeline: submit, assignment, each provider's run in the sandbox,
commit, reveal, verification. In the same run: the whole image rendered
natively, and the 16 tasks run once each in wazero in one process (the
"direct" time). The goal: pipeline ≤ 1.5 × replicas × direct / cores.
The fixed cost per task (chain round trips) is measured with a 1-task
job of one sample per pixel.`,
		Example: "  depin bench compute --in-process\n  depin bench compute --in-process --samples 160 -o json",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Samples <= 0 || cfg.Replicas < 2 || cfg.Providers < int(cfg.Replicas) {
				return usageError{fmt.Errorf("--samples > 0, --replicas ≥ 2 and --providers ≥ --replicas")}
			}
			fmt.Fprintln(os.Stderr, "building the render module for wasip1…")
			module, err := render.BuildTileModule(cmd.Context())
			if err != nil {
				return err
			}
			c, home, stop, err := target.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer stop()
			sub := *g
			sub.home = home
			fk, err := sub.loadKey(from, "")
			if err != nil {
				return err
			}
			ck, err := sub.loadKey(consumer, "")
			if err != nil {
				return err
			}
			cfg.Funder, cfg.Consumer, cfg.Module, cfg.Progress = fk.Private, ck.Private, module, os.Stderr
			if g.logLevel != "info" {
				if cfg.Logger, err = g.logger(cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			if cfg.Dir, err = os.MkdirTemp("", "depin-bench-compute-"); err != nil {
				return err
			}
			defer os.RemoveAll(cfg.Dir)
			res, err := bench.Compute(cmd.Context(), c, cfg)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) {
				fmt.Fprintf(w, "render job: %d tasks × %d replicas on %d providers, %d samples per pixel, %d cores, module %d bytes\n",
					res.Tasks, res.Replicas, res.Providers, res.Samples, res.Cores, res.Module)
				fmt.Fprintf(w, "native render %.2f s; wazero: compile %.2f s, the %d tasks once, one after another %.2f s (%.1f× native)\n",
					res.Native, res.Compile, res.Tasks, res.Direct, res.Direct/res.Native)
				fmt.Fprintf(w, "pipeline %.2f s = %.2f × the ideal %.2f s (replicas × direct / cores); goal ≤ 1.5; %.1f s of CPU (the work itself: %.1f s)\n",
					res.Pipeline, res.Ratio, res.Ideal, res.PipelineCPU, float64(res.Replicas)*res.Direct)
				fmt.Fprintf(w, "fixed cost of a task (a 1-task job of almost no work, submit → verified): %.2f s; storing the module: %.2f s\n", res.Fixed, res.Store)
				fmt.Fprintf(w, "stitched image identical to the native render: %v\n", res.Identical)
			}})
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Providers, "providers", cfg.Providers, "compute providers to start")
	f.Uint32Var(&cfg.Replicas, "replicas", cfg.Replicas, "providers per task")
	f.IntVar(&cfg.Samples, "samples", cfg.Samples, "samples per pixel: the job's work")
	f.StringVar(&from, "from", "alice", "key that creates the networks and funds the devices' owners")
	f.StringVar(&consumer, "consumer", "bob", "key that submits the job")
	target.register(cmd)
	return cmd
}
