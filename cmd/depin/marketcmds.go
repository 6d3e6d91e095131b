package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// deviceOp is a tx command taking DEVICE and --from, building one message.
func deviceOp(g *globals, use, short, example string, flags func(*cobra.Command), build func(cmd *cobra.Command, signer []byte, id crypto.DeviceID, args []string) (*txv1.Msg, error)) *cobra.Command {
	var from string
	var f txFlags
	nargs := len(strings.Fields(use)) - 1
	c := &cobra.Command{Use: use, Short: short, Example: example, Args: argsExactly(nargs, strings.Join(strings.Fields(use)[1:], " ")),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDevice("DEVICE", args[0])
			if err != nil {
				return err
			}
			who, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			m, err := build(cmd, who.Bytes(), id, args)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &f, m)
		}}
	c.Flags().StringVar(&from, "from", "", "your key (required)")
	f.register(c)
	_ = c.MarkFlagRequired("from")
	if flags != nil {
		flags(c)
	}
	return c
}

func newShareTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "share", Short: "Split a device into fungible shares whose holders earn its rewards"}
	tokenize := deviceOp(g, "tokenize DEVICE SHARES", "Split your device into SHARES share/<device> tokens (all yours; send them with 'tx bank send')",
		"  depin tx share tokenize depindev1… 1000 --from alice", nil,
		func(_ *cobra.Command, s []byte, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
			n, err := parseCount("SHARES", args[1])
			if err != nil {
				return nil, err
			}
			return &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: s, Device: id[:], Shares: n}}}, nil
		})
	untokenize := deviceOp(g, "untokenize DEVICE", "Merge all of a device's shares (you must hold them all) and own the device again", "", nil,
		func(_ *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			return &txv1.Msg{Sum: &txv1.Msg_Untokenize{Untokenize: &sharev1.MsgUntokenize{Holder: s, Device: id[:]}}}, nil
		})
	claim := deviceOp(g, "claim DEVICE", "Claim your shares' part of a device's rewards", "", nil,
		func(_ *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			return &txv1.Msg{Sum: &txv1.Msg_ClaimShareRewards{ClaimShareRewards: &sharev1.MsgClaimShareRewards{Holder: s, Device: id[:]}}}, nil
		})
	cmd.AddCommand(tokenize, untokenize, claim)
	return cmd
}

func newLeaseTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "lease", Short: "Lease a device's operation for rent per epoch and a share of its rewards"}
	var lessee, rent string
	var share float64
	var start, end uint64
	offer := deviceOp(g, "offer DEVICE", "Offer your device to --lessee for epochs --start…--end at --rent per epoch and --reward-share percent of its rewards",
		"  depin tx lease offer depindev1… --lessee bob --rent 5dpin --reward-share 50 --start 10 --end 20 --from alice",
		func(c *cobra.Command) {
			c.Flags().StringVar(&lessee, "lessee", "", "who may operate the device (required)")
			c.Flags().StringVar(&rent, "rent", "", "rent per epoch, e.g. 5dpin (required)")
			c.Flags().Float64Var(&share, "reward-share", 0, "percent of the device's rewards the lessee receives")
			c.Flags().Uint64Var(&start, "start", 0, "first epoch (after the current one; required)")
			c.Flags().Uint64Var(&end, "end", 0, "last epoch (required)")
			for _, f := range []string{"lessee", "rent", "start", "end"} {
				_ = c.MarkFlagRequired(f)
			}
		},
		func(cmd *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			to, err := g.resolveAddress(lessee)
			if err != nil {
				return nil, err
			}
			coins, err := g.parseCoin(cmd.Context(), "--rent", rent)
			if err != nil {
				return nil, err
			}
			if share < 0 || share > 100 {
				return nil, usageError{fmt.Errorf("--reward-share %v: want 0..100", share)}
			}
			return &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: s, Device: id[:], Lessee: to.Bytes(), Denom: coins.Denom,
				RentPerEpoch: coins.Amount, RewardShareBps: uint32(share*100 + 0.5), StartEpoch: start, EndEpoch: end}}}, nil
		})
	var deposit string
	accept := deviceOp(g, "accept DEVICE", "Accept a lease offered to you, escrowing --deposit for the rent", "",
		func(c *cobra.Command) {
			c.Flags().StringVar(&deposit, "deposit", "", "rent escrow, at least one epoch's rent (required)")
			_ = c.MarkFlagRequired("deposit")
		},
		func(cmd *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			coins, err := g.parseCoin(cmd.Context(), "--deposit", deposit)
			if err != nil {
				return nil, err
			}
			return &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: s, Device: id[:], Deposit: coins.Amount}}}, nil
		})
	var topup string
	deposit2 := deviceOp(g, "deposit DEVICE", "Top up your lease's rent escrow", "",
		func(c *cobra.Command) {
			c.Flags().StringVar(&topup, "amount", "", "amount (required)")
			_ = c.MarkFlagRequired("amount")
		},
		func(cmd *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			coins, err := g.parseCoin(cmd.Context(), "--amount", topup)
			if err != nil {
				return nil, err
			}
			return &txv1.Msg{Sum: &txv1.Msg_DepositLease{DepositLease: &sharev1.MsgDepositLease{Lessee: s, Device: id[:], Amount: coins.Amount}}}, nil
		})
	endLease := deviceOp(g, "end DEVICE", "Take back what is left of your lease deposit while the device's network is frozen",
		"  depin tx lease end depindev1… --from bob", nil,
		func(_ *cobra.Command, s []byte, id crypto.DeviceID, _ []string) (*txv1.Msg, error) {
			return &txv1.Msg{Sum: &txv1.Msg_EndLease{EndLease: &sharev1.MsgEndLease{Lessee: s, Device: id[:]}}}, nil
		})
	cmd.AddCommand(offer, accept, deposit2, endLease)
	return cmd
}

func newMarketTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "market", Short: "Trade energy per interval with your meter"}
	var price, qty, interval uint64
	order := deviceOp(g, "order DEVICE bid|ask", "Bid for (or offer) --quantity units at --price per unit in an interval, bound to your meter DEVICE",
		"  depin tx market order depindev1… bid --quantity 500 --price 3 --from bob   (bids escrow quantity × price)",
		func(c *cobra.Command) {
			c.Flags().Uint64Var(&price, "price", 0, "per unit: the most a bid pays, the least an ask takes (required)")
			c.Flags().Uint64Var(&qty, "quantity", 0, "units of the market's metric (required)")
			c.Flags().Uint64Var(&interval, "interval", 0, "interval number (default: the current one)")
			_ = c.MarkFlagRequired("price")
			_ = c.MarkFlagRequired("quantity")
		},
		func(_ *cobra.Command, s []byte, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
			side := map[string]marketv1.Side{"bid": marketv1.Side_SIDE_BID, "buy": marketv1.Side_SIDE_BID, "ask": marketv1.Side_SIDE_ASK, "sell": marketv1.Side_SIDE_ASK}[args[1]]
			if side == marketv1.Side_SIDE_UNSPECIFIED {
				return nil, usageError{fmt.Errorf("side %q: want bid or ask", args[1])}
			}
			return &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: s, Device: id[:], Side: side, Interval: interval, Price: price, Quantity: qty}}}, nil
		})
	var cf txFlags
	var cfrom string
	cancel := &cobra.Command{
		Use:     "cancel ORDER_ID",
		Short:   "Withdraw an order that has not been auctioned yet (a bid's escrow is refunded)",
		Example: "  depin tx market cancel 42 --from bob",
		Args:    argsExactly(1, "ORDER_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("ORDER_ID", args[0])
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(cfrom)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, cfrom, &cf, &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: owner.Bytes(), Id: id}}})
		},
	}
	cancel.Flags().StringVar(&cfrom, "from", "", "your key (required)")
	cf.register(cancel)
	_ = cancel.MarkFlagRequired("from")
	cmd.AddCommand(order, cancel)
	return cmd
}

func newMarketQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "market", Short: "Order books, clearing results, a participant's orders"}
	book := &cobra.Command{Use: "book NETWORK INTERVAL", Short: "An open interval's orders", Args: argsExactly(2, "NETWORK INTERVAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			iv, err := parseCount("INTERVAL", args[1])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			orders, err := c.MarketBook(cmd.Context(), args[0], iv)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), orderBook(newOrderViews(orders)))
		}}
	clearing := &cobra.Command{Use: "clearing NETWORK INTERVAL", Short: "An interval's clearing price, volume and trades", Args: argsExactly(2, "NETWORK INTERVAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			iv, err := parseCount("INTERVAL", args[1])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			cl, err := c.Clearing(cmd.Context(), args[0], iv)
			if err != nil {
				return err
			}
			if cl == nil {
				return fmt.Errorf("interval %d of %s has not been cleared (still open, or it had no orders)", iv, args[0])
			}
			return g.render(cmd.OutOrStdout(), newClearingView(cl))
		}}
	orders := &cobra.Command{Use: "orders ADDRESS", Short: "A participant's orders and trades", Args: argsExactly(1, "ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.resolveAddress(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			orders, err := c.MarketOrders(cmd.Context(), a)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), orderList(newOrderViews(orders)))
		}}
	cmd.AddCommand(book, clearing, orders)
	return cmd
}

func newShareQueryCmd(g *globals) *cobra.Command {
	var holder string
	c := &cobra.Command{Use: "shares DEVICE", Short: "A tokenized device's shares, and --holder's pending rewards", Args: argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDevice("DEVICE", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.SharePool(cmd.Context(), id)
			if err != nil {
				return err
			}
			if p == nil {
				return fmt.Errorf("device %s is not tokenized", args[0])
			}
			l, _ := c.Lease(cmd.Context(), id) // (shown if it can be read)
			v := newSharesView(crypto.DeviceString(id), p, l)
			if holder != "" {
				h, err := g.resolveAddress(holder)
				if err != nil {
					return err
				}
				bal, _, err := c.Balance(cmd.Context(), h, p.Denom, client.QueryOptions{})
				if err != nil {
					return err
				}
				hr, err := c.ShareHolder(cmd.Context(), id, h)
				if err != nil {
					return err
				}
				v.Holder = &shareHolderView{Address: h.String(), Shares: bal, Owed: hr.GetOwed()}
			}
			return g.render(cmd.OutOrStdout(), v)
		}}
	c.Flags().StringVar(&holder, "holder", "", "show this holder's shares and owed rewards")
	return c
}
