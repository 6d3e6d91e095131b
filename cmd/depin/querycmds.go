package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

func newQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "query", Aliases: []string{"q"}, Short: "Read chain state"}
	var height int64
	var prove bool
	bank := &cobra.Command{Use: "bank", Short: "Balances and supply"}
	balance := &cobra.Command{
		Use:   "balance ADDRESS [DENOM]",
		Short: "Show an account's balances (all denoms, or one; --prove verifies a Merkle proof)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("want ADDRESS [DENOM]")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := g.resolveAddress(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if len(args) == 2 || prove {
				denom := "udpin"
				if len(args) == 2 {
					denom = args[1]
				}
				amt, r, err := c.Balance(ctx, addr, denom, client.QueryOptions{Height: height, Prove: prove})
				if err != nil {
					return err
				}
				out := map[string]any{"address": addr.String(), "denom": denom, "amount": strconv.FormatUint(amt, 10), "height": r.Height, "proven": r.Proven}
				if r.Proven {
					out["app_hash"] = fmt.Sprintf("%X", r.AppHash)
				}
				return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
					fmt.Fprintf(w, "%s has %s at height %d\n", addr, client.FormatAmount(&bankv1.Coin{Denom: denom, Amount: amt}), r.Height)
					if r.Proven {
						fmt.Fprintf(w, "proof verified against app hash %X (block %d, signed by >2/3 of validators)\n", r.AppHash, r.Height+1)
					}
				})
			}
			coins, h, err := c.Balances(ctx, addr, height)
			if err != nil {
				return err
			}
			type coinOut struct {
				Denom  string `json:"denom"`
				Amount string `json:"amount"`
			}
			list := []coinOut{}
			for _, co := range coins {
				list = append(list, coinOut{co.Denom, strconv.FormatUint(co.Amount, 10)})
			}
			return g.print(cmd.OutOrStdout(), map[string]any{"address": addr.String(), "height": h, "balances": list}, func(w io.Writer) {
				fmt.Fprintf(w, "%s at height %d:\n", addr, h)
				if len(coins) == 0 {
					fmt.Fprintln(w, "  (no balance)")
				}
				for _, co := range coins {
					fmt.Fprintf(w, "  %s\n", client.FormatAmount(co))
				}
			})
		},
	}
	balance.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	balance.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof against a header signed by the validators")
	supply := &cobra.Command{
		Use:   "supply DENOM",
		Short: "Show the total supply of a denom",
		Args:  argsExactly(1, "DENOM"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			amt, r, err := c.Supply(cmd.Context(), args[0], client.QueryOptions{Height: height, Prove: prove})
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), map[string]any{"denom": args[0], "amount": strconv.FormatUint(amt, 10), "height": r.Height, "proven": r.Proven}, func(w io.Writer) {
				fmt.Fprintf(w, "supply of %s: %s at height %d\n", args[0], client.FormatAmount(&bankv1.Coin{Denom: args[0], Amount: amt}), r.Height)
			})
		},
	}
	supply.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	supply.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof")
	bank.AddCommand(balance, supply)

	account := &cobra.Command{
		Use:   "account ADDRESS",
		Short: "Show an account's sequence and public key",
		Args:  argsExactly(1, "ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := g.resolveAddress(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			acc, r, err := c.Account(cmd.Context(), addr, client.QueryOptions{Height: height, Prove: prove})
			if err != nil {
				return err
			}
			out := map[string]any{"address": addr.String(), "height": r.Height, "sequence": "0", "public_key": ""}
			if acc != nil {
				out["sequence"] = strconv.FormatUint(acc.Sequence, 10)
				out["public_key"] = hex.EncodeToString(acc.PublicKey)
			}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "address:    %s\nsequence:   %s\npublic key: %s\n", addr, out["sequence"], out["public_key"])
			})
		},
	}
	account.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	account.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof")

	block := &cobra.Command{
		Use:   "block [HEIGHT]",
		Short: "Show a block (latest if no height) with its transactions' results",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("want at most one HEIGHT")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			var at int64 // 0: the latest
			if len(args) == 1 {
				h, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || h <= 0 {
					return usageError{fmt.Errorf("HEIGHT must be a positive integer, not %q", args[0])}
				}
				at = h
			}
			ctx := cmd.Context()
			b, err := c.Block(ctx, at)
			if err != nil {
				return fmt.Errorf("block: %w", err)
			}
			h := b.Block.Height
			br, err := c.BlockResults(ctx, h)
			if err != nil {
				return err
			}
			type txOut struct {
				Hash string `json:"hash"`
				Code uint32 `json:"code"`
				Log  string `json:"log,omitempty"`
			}
			txs := []txOut{}
			for i, tx := range b.Block.Txs {
				t := txOut{Hash: fmt.Sprintf("%X", tx.Hash())}
				if i < len(br.TxResults) {
					t.Code, t.Log = br.TxResults[i].Code, br.TxResults[i].Log
				}
				txs = append(txs, t)
			}
			out := map[string]any{
				"height": h, "hash": b.BlockID.Hash.String(), "time": b.Block.Time, "chain_id": b.Block.ChainID,
				"proposer": b.Block.ProposerAddress.String(), "app_hash": b.Block.AppHash.String(), "txs": txs,
			}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "block %d  %s\n  time:     %s\n  proposer: %s\n  app hash: %s (state after block %d)\n  txs:      %d\n",
					h, b.BlockID.Hash, b.Block.Time.UTC().Format("2006-01-02 15:04:05.000"), b.Block.ProposerAddress, b.Block.AppHash, h-1, len(txs))
				for _, t := range txs {
					status := "ok"
					if t.Code != 0 {
						status = "failed: " + t.Log
					}
					fmt.Fprintf(w, "    %s %s\n", t.Hash, status)
				}
			})
		},
	}
	cmd.AddCommand(bank, account, block)
	cmd.AddCommand(newNetworkQueryCmds(g)...)
	cmd.AddCommand(newDeviceQueryCmds(g)...)
	cmd.AddCommand(newRewardQueryCmd(g), newStakingQueryCmd(g))
	cmd.AddCommand(newAgreementQueryCmds(g)...)
	cmd.AddCommand(newMarketQueryCmd(g), newShareQueryCmd(g))
	return cmd
}
