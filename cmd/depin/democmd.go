package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/demo"
)

func newDemoCmd(g *globals) *cobra.Command {
	var listen string
	var duration time.Duration
	var devices int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run everything at once: a devnet, the indexer and its API, simulated fleets in real cities",
		Long: `Start, in this process, a single-validator devnet, the indexer (SQLite) with
its GraphQL API, playground and live updates, and simulated fleets of five
networks — solar energy, storage, air-quality sensors, household meters
trading energy in a market, and home batteries — in real cities, with
30-second epochs so rewards accrue within a minute. The batteries, in
Madrid, are a virtual power plant: an operator dispatches them every 3
minutes, and the few built to ignore dispatches miss and lose stake. A
storage network of 5 nodes on loopback really stores the (encrypted,
erasure-coded) file a client puts and gets back every minute, and 3 compute
providers render a tiled picture in a WebAssembly sandbox every 3 minutes.
It prints the URL to open, and a line for each epoch, market interval,
dispatch, file and render job. Data lives in a temporary directory that is
removed at the end, unless --home names one to keep (a later run resumes
it).`,
		Example: `  depin demo
  depin demo --home ./demo-data --listen 127.0.0.1:9000`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			home := g.home
			if !cmd.Flags().Changed("home") && os.Getenv("DEPIN_HOME") == "" {
				dir, err := os.MkdirTemp("", "depin-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				home = dir
			}
			lg, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("log-level") {
				// Quiet by default: the demo prints what runs; warnings only.
				lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}
			err = demo.Run(cmd.Context(), demo.Config{Home: home, Listen: listen, Duration: duration, Devices: devices, Out: cmd.OutOrStdout(), Logger: lg})
			if cmd.Context().Err() != nil {
				fmt.Fprintln(cmd.OutOrStdout(), "stopped")
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address of the explorer and API")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	cmd.Flags().IntVar(&devices, "devices", 12, "devices per fleet")
	return cmd
}
