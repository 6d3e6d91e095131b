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
			if len(args) == 2 {
				md, err := g.token(ctx, args[1])
				if err != nil {
					return err
				}
				amt, r, err := c.Balance(ctx, addr, md.Base, client.QueryOptions{Height: height, Prove: prove})
				if err != nil {
					return err
				}
				v := newBalanceView(addr.String(), md.Base, amt, r)
				v.shown = g.units.format(md.Base, amt)
				return g.render(cmd.OutOrStdout(), v)
			}
			coins, h, err := c.Balances(ctx, addr, height)
			if err != nil {
				return err
			}
			v := balancesView{Address: addr.String(), Balances: newCoinViews(coins), Height: h}
			if prove {
				// Each balance proven at the height the list was read at
				// (a list itself has no proof); no balance at all is
				// proven as udpin's absence.
				denoms := []string{nativeMetadata.Base}
				if len(coins) > 0 {
					denoms = denoms[:0]
					for _, c := range coins {
						denoms = append(denoms, c.Denom)
					}
				}
				for i, d := range denoms {
					amt, r, err := c.Balance(ctx, addr, d, client.QueryOptions{Height: h, Prove: true})
					if err != nil {
						return err
					}
					if i < len(coins) && amt != coins[i].Amount {
						return fmt.Errorf("the proven balance of %s (%d) differs from the one listed (%d) at height %d", d, amt, coins[i].Amount, h)
					}
					v.Proven, v.AppHash = true, fmt.Sprintf("%X", r.AppHash)
				}
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	balance.Flags().Int64Var(&height, "height", 0, "query at this height (0 = latest)")
	balance.Flags().BoolVar(&prove, "prove", false, "verify a Merkle proof of each balance against a header signed by the validators")
	supply := &cobra.Command{
		Use:   "supply DENOM",
		Short: "Show the total supply of a token (dpin, udpin, a network's SOLAR or usolar…)",
		Args:  argsExactly(1, "DENOM"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			md, err := g.token(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			amt, r, err := c.Supply(cmd.Context(), md.Base, client.QueryOptions{Height: height, Prove: prove})
			if err != nil {
				return err
			}
			v := supplyView{Denom: md.Base, Amount: amt, Height: r.Height, Proven: r.Proven, shown: g.units.format(md.Base, amt)}
			if r.Proven {
				v.AppHash = fmt.Sprintf("%X", r.AppHash)
			}
			return g.render(cmd.OutOrStdout(), v)
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
			return g.render(cmd.OutOrStdout(), newAccountView(addr.String(), acc, r))
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
	cmd.AddCommand(newMarketQueryCmd(g), newShareQueryCmd(g), newVppQueryCmd(g))
	return cmd
}
