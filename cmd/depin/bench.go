package main

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/bench"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/node"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "End-to-end benchmarks against a node"}
	cfg := bench.DefaultTransfersConfig()
	var from string
	var inProcess bool
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
			ctx := cmd.Context()
			home, url := g.home, g.nodeURL
			if inProcess {
				dir, err := os.MkdirTemp("", "depin-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				p, err := node.FreeLoopbackPorts()
				if err != nil {
					return err
				}
				if _, err := node.SetupDevnet(node.DevnetOptions{Home: dir, Ports: p}); err != nil {
					return err
				}
				lg, err := g.logger(os.Stderr)
				if err != nil {
					return err
				}
				n, err := node.New(ctx, node.Config{Home: dir, Logger: lg.With("component", "node")})
				if err != nil {
					return err
				}
				if err := n.Start(); err != nil {
					return err
				}
				defer n.Close()
				home, url = dir, n.RPCURL()
				fmt.Fprintf(os.Stderr, "started an in-process devnet in %s (RPC %s)\n", dir, url)
			}
			c, err := client.New(url)
			if err != nil {
				return err
			}
			if _, err := c.Status(ctx); err != nil {
				return err
			}
			sub := *g
			sub.home = home
			key, err := sub.loadKey(from, "")
			if err != nil {
				return err
			}
			cfg.Funder = key.Private
			cfg.Progress = os.Stderr
			res, err := bench.Transfers(ctx, c, cfg)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "committed %d transfers (%d failed) in %d blocks (heights %d–%d, up to %d txs per block)\n",
					res.Committed, res.Failed, res.Blocks, res.FirstHeight, res.LastHeight, res.MaxBlockTxs)
				fmt.Fprintf(w, "throughput: %.0f tx/s over %.1f s of block time (%.1f s wall clock, GOMAXPROCS=%d)\n",
					res.TxsPerSecond, res.ChainSeconds, res.WallSeconds, runtime.GOMAXPROCS(0))
			})
		},
	}
	f := transfers.Flags()
	f.IntVar(&cfg.Txs, "txs", cfg.Txs, "transfers to commit")
	f.IntVar(&cfg.Accounts, "accounts", cfg.Accounts, "distinct sender accounts")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent RPC submitters")
	f.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "give up after this long")
	f.StringVar(&from, "from", "alice", "key that funds the sender accounts")
	f.BoolVar(&inProcess, "in-process", false, "start a throwaway devnet in this process and benchmark it")
	cmd.AddCommand(transfers)
	return cmd
}
