package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
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
				return g.render(cmd.OutOrStdout(), newBalanceView(addr.String(), denom, amt, r))
			}
			coins, h, err := c.Balances(ctx, addr, height)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), balancesView{Address: addr.String(), Balances: newCoinViews(coins), Height: h})
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
			return g.render(cmd.OutOrStdout(), supplyView{Denom: args[0], Amount: amt, Height: r.Height, Proven: r.Proven})
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
			return g.render(cmd.OutOrStdout(), newAccountView(addr.String(), acc, r.Height))
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
			br, err := c.BlockResults(ctx, b.Block.Height)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newBlockView(b, br))
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
