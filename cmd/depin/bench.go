package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/bench"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/node"
)

// benchTarget is the node a benchmark runs against: --node, or a
// throwaway devnet in this process with --in-process.
type benchTarget struct {
	inProcess bool
}

func (b *benchTarget) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&b.inProcess, "in-process", false, "start a throwaway devnet in this process and benchmark it")
}

// open returns a client and the home holding the funder keys; stop ends
// an in-process devnet.
func (b *benchTarget) open(ctx context.Context, g *globals) (c *client.Client, home string, stop func(), err error) {
	home, url, api := g.home, g.nodeURL, g.apiURL
	stop = func() {}
	if b.inProcess {
		dir, err := os.MkdirTemp("", "depin-bench-")
		if err != nil {
			return nil, "", nil, err
		}
		p, err := node.FreeLoopbackPorts()
		if err != nil {
			return nil, "", nil, err
		}
		if _, err := node.SetupDevnet(node.DevnetOptions{Home: dir, Ports: p}); err != nil {
			return nil, "", nil, err
		}
		lg, err := g.logger(os.Stderr)
		if err != nil {
			return nil, "", nil, err
		}
		n, err := node.New(ctx, node.Config{Home: dir, Logger: lg.With("component", "node")})
		if err != nil {
			return nil, "", nil, err
		}
		if err := n.Start(); err != nil {
			return nil, "", nil, err
		}
		stop = func() { n.Close(); os.RemoveAll(dir) }
		home, url, api = dir, n.RPCURL(), n.APIURL()
		fmt.Fprintf(os.Stderr, "started an in-process devnet in %s (RPC %s)\n", dir, url)
	}
	c, err = client.New(url)
	if err == nil {
		err = c.UseAPI(api)
	}
	if err == nil {
		_, err = c.Status(ctx)
	}
	if err != nil {
		stop()
		return nil, "", nil, err
	}
	return c, home, stop, nil
}

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "End-to-end benchmarks against a node"}
	cfg := bench.DefaultTransfersConfig()
	var from string
	var target benchTarget
	transfers := &cobra.Command{
		Use:   "transfers",
		Short: "Measure committed transfers per second",
		Long: `Fund --accounts fresh accounts from --from, have them send --txs one-udpin
transfers through the node's RPC, and measure throughput from the committed
blocks' timestamps. Runs against --node (a devnet: 'depin devnet'), or
against a fresh devnet started in this process with --in-process.`,
		Example: `  depin devnet &  depin bench transfers --txs 20000
  depin bench transfers --in-process -o json`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, home, stop, err := target.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer stop()
			sub := *g
			sub.home = home
			key, err := sub.loadKey(from, "")
			if err != nil {
				return err
			}
			cfg.Funder = key.Private
			cfg.Progress = os.Stderr
			res, err := bench.Transfers(cmd.Context(), c, cfg)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) {
				fmt.Fprintf(w, "committed %d transfers (%d failed) in %d blocks (heights %d–%d, up to %d txs per block)\n",
					res.Committed, res.Failed, res.Blocks, res.FirstHeight, res.LastHeight, res.MaxBlockTxs)
				fmt.Fprintf(w, "throughput: %.0f tx/s over %.1f s of block time (%.1f s wall clock, GOMAXPROCS=%d)\n",
					res.TxsPerSecond, res.ChainSeconds, res.WallSeconds, runtime.GOMAXPROCS(0))
			}})
		},
	}
	f := transfers.Flags()
	f.IntVar(&cfg.Txs, "txs", cfg.Txs, "transfers to commit")
	f.IntVar(&cfg.Accounts, "accounts", cfg.Accounts, "distinct sender accounts")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent RPC submitters")
	f.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "give up after this long")
	f.StringVar(&from, "from", "alice", "key that funds the sender accounts")
	target.register(transfers)

	rcfg := bench.DefaultReportsConfig()
	var funders, profile string
	var rtarget benchTarget
	reports := &cobra.Command{
		Use:   "reports",
		Short: "Measure verified device reports committed per second",
		Long: `Create a network, register --devices devices, have each sign
--reports-per-device reports, submit them in ReportBatch txs of --batch, and
measure the reports the chain verifies and accepts per second of block time.
In the same run it measures this machine's raw ed25519 verification rate
(one by one and batched, all cores) and reports the share reached.`,
		Example: `  depin bench reports --in-process --devices 100000`,
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, home, stop, err := rtarget.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer stop()
			sub := *g
			sub.home = home
			for _, name := range strings.Split(funders, ",") {
				key, err := sub.loadKey(strings.TrimSpace(name), "")
				if err != nil {
					return err
				}
				rcfg.Funders = append(rcfg.Funders, ed25519.PrivateKey(key.Private))
			}
			rcfg.Progress = os.Stderr
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				rcfg.Profile = f
			}
			res, err := bench.Reports(cmd.Context(), c, rcfg)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) {
				fmt.Fprintf(w, "accepted %d of %d reports (%d rejected) from %d devices in %d blocks; signed report %d bytes\n",
					res.Accepted, res.Reports, res.Rejected, res.Devices, res.Blocks, res.SignedBytes)
				fmt.Fprintf(w, "end to end: %.0f verified reports/s (%.1f s from first submission to last commit)\n", res.WallPerSec, res.WallSeconds)
				fmt.Fprintf(w, "block pipeline: %.0f reports/s of block time (%d blocks over %.1f s)\n", res.ReportsPerSec, res.Blocks, res.ChainSeconds)
				fmt.Fprintf(w, "limit on %d cores: %.0f/s one by one, %.0f/s batched → end to end %.0f%%, block pipeline %.0f%% of the batched limit\n",
					res.VerifyLimit.Cores, res.VerifyLimit.SingleAllCores, res.VerifyLimit.BatchedAllCores, 100*res.LimitShare, 100*res.ChainShare)
				fmt.Fprintf(w, "setup (certify, register at %.0f devices/s, sign): %.1f s\n", res.RegisterPerSec, res.SetupSeconds)
			}})
		},
	}
	rf := reports.Flags()
	rf.IntVar(&rcfg.Devices, "devices", rcfg.Devices, "devices to register")
	rf.IntVar(&rcfg.ReportsPerDevice, "reports-per-device", rcfg.ReportsPerDevice, "reports each device sends")
	rf.IntVar(&rcfg.BatchSize, "batch", rcfg.BatchSize, "reports per ReportBatch tx (≤ 10000)")
	rf.DurationVar(&rcfg.Timeout, "timeout", rcfg.Timeout, "give up after this long")
	rf.StringVar(&funders, "from", strings.Join(node.DevAccounts, ","), "comma-separated keys that register devices and submit batches in parallel")
	rf.StringVar(&profile, "profile-reports", "", "write a CPU profile of the report submission phase to FILE (with --in-process it covers the node)")
	rtarget.register(reports)
	cmd.AddCommand(transfers, reports, newBenchStorageCmd(g), newBenchComputeCmd(g))
	return cmd
}
