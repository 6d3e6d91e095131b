package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/app"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/node"
)

// runNode starts the node in home and blocks until ctx ends.
func runNode(ctx context.Context, g *globals, home string, verbose bool, ready func(*node.Node)) error {
	lg, err := g.logger(os.Stderr)
	if err != nil {
		return err
	}
	n, err := node.New(ctx, node.Config{Home: home, Logger: lg, VerboseConsensus: verbose})
	if err != nil {
		return nodeStartError(home, err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		return nodeStartError(home, err)
	}
	if ready != nil {
		ready(n)
	}
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "Stopping node…")
	return n.Close()
}

func newDevnetCmd(g *globals) *cobra.Command {
	var reset, verbose bool
	var chainID string
	var funds []string
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a single-validator development chain with funded dev accounts",
		Long: `Run a single-validator chain in --home (default ~/.depin), creating it on
first use with funded dev accounts alice, bob, carol, dave and eve (their
keys are stored UNENCRYPTED: devnet use only). Later runs resume the same
chain; --reset starts over.`,
		Example: `  depin devnet
  depin devnet --reset --fund mykey=5000dpin --fund depin1…=10dpin`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			extra, err := g.parseFunds(funds, true)
			if err != nil {
				return err
			}
			if len(extra) > 0 && !reset && node.Initialized(g.home) {
				return usageError{fmt.Errorf("--fund sets genesis balances, but the devnet in %s exists already: add --reset to start a new chain with them", g.home)}
			}
			created, err := node.SetupDevnet(node.DevnetOptions{Home: g.home, ChainID: chainID, Reset: reset, ExtraBalances: extra})
			if err != nil {
				return nodeStartError(g.home, err)
			}
			out := cmd.OutOrStdout()
			return runNode(cmd.Context(), g, g.home, verbose, func(n *node.Node) {
				state := "resumed"
				if created {
					state = "created"
				}
				fmt.Fprintf(out, "depin devnet %s (chain %s)\n", state, n.ChainID())
				fmt.Fprintf(out, "  home:      %s\n", g.home)
				fmt.Fprintf(out, "  RPC:       %s\n", n.RPCURL())
				if u := n.APIURL(); u != "" {
					fmt.Fprintf(out, "  REST API:  %s/v1/status (submit big txs there: --api %s)\n", u, u)
				}
				fmt.Fprintf(out, "  P2P:       %s (node id %s)\n", n.P2PAddress(), n.NodeID())
				fmt.Fprintf(out, "  accounts:  ")
				for i, name := range node.DevAccounts {
					if i > 0 {
						fmt.Fprint(out, ", ")
					}
					fmt.Fprint(out, name)
				}
				fmt.Fprintf(out, " (unencrypted dev keys in %s)\n", node.KeysDir(g.home))
				fmt.Fprintf(out, "Try: depin tx bank send alice bob 1.5dpin   |   depin query bank balance bob\n")
				fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
			})
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the devnet in --home and start a new chain")
	cmd.Flags().StringVar(&chainID, "chain-id", node.DevnetChainID, "chain id of a new devnet")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log CometBFT consensus messages")
	cmd.Flags().StringArrayVar(&funds, "fund", nil, "also fund KEY_OR_ADDRESS=AMOUNT at genesis, e.g. mykey=5000dpin (repeatable; a new devnet only)")
	return cmd
}

func newInitCmd(g *globals) *cobra.Command {
	var chainID, moniker string
	var funds []string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home: config, node and validator keys, and a genesis with this node as validator",
		Example: `  depin init --chain-id mynet --home ./mynode --fund depin1…=1000dpin
  depin start --home ./mynode`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if chainID == "" {
				return usageError{fmt.Errorf("--chain-id is required")}
			}
			balances, err := g.parseFunds(funds, false)
			if err != nil {
				return err
			}
			id, err := node.Init(g.home, node.InitOptions{Moniker: moniker})
			if err != nil {
				return err
			}
			err = node.WriteGenesis(g.home, node.GenesisOptions{
				ChainID: chainID, GenesisTime: time.Now(),
				Validators: []cmttypes.GenesisValidator{{Name: moniker, PubKey: id.ValidatorPubKey, Power: 100}},
				AppState:   app.DefaultGenesis(balances...),
			})
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), initView{Home: g.home, ChainID: chainID, NodeID: id.NodeID})
		},
	}
	cmd.Flags().StringVar(&chainID, "chain-id", "", "chain id (required)")
	cmd.Flags().StringVar(&moniker, "moniker", "depin-node", "node name")
	cmd.Flags().StringArrayVar(&funds, "fund", nil, "genesis balance KEY_OR_ADDRESS=AMOUNT, e.g. mykey=1000dpin (repeatable)")
	return cmd
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// parseFunds reads --fund KEY_OR_ADDRESS=AMOUNT genesis balances (in dpin:
// the only token at genesis). A name is a key in --home or, for a chain
// with dev accounts (devFunded: devnet, testnet), a dev account — which
// is funded already, so refused.
func (g *globals) parseFunds(funds []string, devFunded bool) ([]*bankv1.Balance, error) {
	dev := map[crypto.Address]string{}
	for _, name := range node.DevAccounts {
		k := ed25519.NewKeyFromSeed(node.DevSeed(name))
		dev[crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))] = name
	}
	byAddr := map[crypto.Address]uint64{}
	var order []crypto.Address
	for _, f := range funds {
		who, amt, ok := cutLast(f, "=")
		if !ok || who == "" {
			return nil, usageError{fmt.Errorf("--fund %q: want KEY_OR_ADDRESS=AMOUNT, e.g. mykey=1000dpin", f)}
		}
		a, err := g.resolveAddress(who)
		if err != nil {
			found := false
			for addr, name := range dev {
				if name == who && devFunded {
					a, found = addr, true
				}
			}
			if !found {
				return nil, usageError{fmt.Errorf("--fund %q: %w", f, err)}
			}
		}
		if name, ok := dev[a]; ok && devFunded {
			return nil, usageError{fmt.Errorf("--fund %q: %s is a dev account, funded with %s at genesis already", f, name, formatCoin(bank.NativeDenom, node.DevBalance))}
		}
		n, err := g.parseDpinAmount("--fund "+who, amt)
		if err != nil {
			return nil, err
		}
		if _, seen := byAddr[a]; !seen {
			order = append(order, a)
		}
		if byAddr[a]+n < n {
			return nil, usageError{fmt.Errorf("--fund %q: too large", f)}
		}
		byAddr[a] += n
	}
	out := make([]*bankv1.Balance, 0, len(order))
	for _, a := range order {
		out = append(out, &bankv1.Balance{Address: a.String(), Coins: bank.Coins(bank.NativeDenom, byAddr[a])})
	}
	return out, nil
}

func newStartCmd(g *globals) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node in --home",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			return runNode(cmd.Context(), g, g.home, verbose, func(n *node.Node) {
				fmt.Fprintf(out, "depin node %s running (chain %s, home %s)\n  RPC: %s\n  P2P: %s\n", n.NodeID(), n.ChainID(), g.home, n.RPCURL(), n.P2PAddress())
				if u := n.APIURL(); u != "" {
					fmt.Fprintf(out, "  REST API: %s\n", u)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log CometBFT consensus messages")
	return cmd
}

func newTestnetCmd(g *globals) *cobra.Command {
	var n, basePort int
	var outDir, chainID string
	var funds []string
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write configs for an N-validator network on loopback",
		Example: `  depin testnet --validators 4 --dir ./testnet
  depin start --home ./testnet/node0   # and node1, node2, node3 in other terminals`,
		Args: argsExactly(0, ""),
		// --output DIR was this command's directory flag before --dir;
		// root's check of --output moves such a value here.
		Annotations: map[string]string{outputDirAlias: "dir"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if outDir == "" {
				return usageError{fmt.Errorf("'depin testnet' needs --dir (the directory to write node homes into)")}
			}
			extra, err := g.parseFunds(funds, true)
			if err != nil {
				return err
			}
			nodes, err := node.WriteTestnet(node.TestnetOptions{Output: outDir, Validators: n, ChainID: chainID, BasePort: basePort, ExtraBalances: extra})
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newTestnetView(chainID, nodes))
		},
	}
	cmd.Flags().IntVar(&n, "validators", 4, "number of validators")
	cmd.Flags().StringVar(&outDir, "dir", "", "directory to write node homes into (required)")
	cmd.Flags().StringVar(&chainID, "chain-id", "depin-testnet", "chain id")
	cmd.Flags().IntVar(&basePort, "base-port", 26656, "node k uses ports base+10k (p2p), +1 (RPC), +2 (REST)")
	cmd.Flags().StringArrayVar(&funds, "fund", nil, "also fund KEY_OR_ADDRESS=AMOUNT at genesis, e.g. mykey=5000dpin (repeatable)")
	return cmd
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the node's chain, height and sync state",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newStatusView(st))
		},
	}
}
