package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
)

// globals are the flags every command takes.
type globals struct {
	home     string
	nodeURL  string
	apiURL   string
	output   string
	logLevel string
	cpuProf  string

	units unitMemory // how the user wrote amounts (amounts.go)
}

func defaultHome() string {
	if h := os.Getenv("DEPIN_HOME"); h != "" {
		return h
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".depin"
	}
	return filepath.Join(dir, ".depin")
}

func defaultNode() string {
	if u := os.Getenv("DEPIN_NODE"); u != "" {
		return u
	}
	return client.DefaultNode
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "depin",
		Short: "depin — a ledger and toolkit for decentralized physical infrastructure networks",
		Long: `depin runs a CometBFT chain on which networks of real devices (solar
inverters, batteries, storage, sensors, vehicles…) prove the work they do
and earn tokens for it.

Start a local chain with 'depin devnet', then try
  depin query bank balance alice
  depin tx bank send alice bob 1.5dpin`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.cpuProf != "" {
				f, err := os.Create(g.cpuProf)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				cobra.OnFinalize(func() { pprof.StopCPUProfile(); f.Close() })
			}
			switch g.output {
			case "text", "json":
			default:
				if flag := cmd.Annotations[outputDirAlias]; flag != "" && !cmd.Flags().Changed(flag) {
					// A deprecated spelling: --output DIR for --dir DIR.
					fmt.Fprintf(cmd.ErrOrStderr(), "Flag --output as a directory is deprecated: use --%s %s (--output/-o is the output format, text or json)\n", flag, g.output)
					if err := cmd.Flags().Set(flag, g.output); err != nil {
						return usageError{err}
					}
					g.output = "text"
					break
				}
				return usageError{fmt.Errorf("--output must be text or json, not %q", g.output)}
			}
			return requiredFlags(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.home, "home", defaultHome(), "node and key store directory ($DEPIN_HOME)")
	pf.StringVar(&g.nodeURL, "node", defaultNode(), "RPC address of the node ($DEPIN_NODE)")
	pf.StringVar(&g.apiURL, "api", os.Getenv("DEPIN_API"), "REST API of the node (e.g. http://127.0.0.1:1317): txs are then submitted there as raw bytes, cheaper than over RPC for big report batches ($DEPIN_API)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.cpuProf, "cpuprofile", "", "write a CPU profile of this command to FILE (for performance work)")
	_ = pf.MarkHidden("cpuprofile")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(
		newDevnetCmd(g), newInitCmd(g), newStartCmd(g), newTestnetCmd(g),
		newKeysCmd(g), newTxCmd(g), newQueryCmd(g), newStatusCmd(g), newBenchCmd(g),
		newMakerCmd(g), newDeviceCmd(g), newGatewayCmd(g), newSimCmd(g), newIndexerCmd(g), newDemoCmd(g),
		newChaosCmd(g), newStorageCmd(g), newComputeCmd(g),
	)
	wireCommands(root, g)
	return root
}

// outputDirAlias annotates a command that once took --output as a
// directory: its value is the name of the flag that now does.
const outputDirAlias = "depin/output-dir-alias"

func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}

func (g *globals) client() (*client.Client, error) {
	c, err := client.New(g.nodeURL)
	if err != nil {
		return nil, err
	}
	if err := c.UseAPI(g.apiURL); err != nil {
		return nil, usageError{fmt.Errorf("--api: %w", err)}
	}
	return c, nil
}
