package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// parsePrice reads "AMOUNT/UNITS" (e.g. 50udpin/1000) into denom, num, den.
func (g *globals) parsePrice(ctx context.Context, what, s string) (string, uint64, uint64, error) {
	amt, per, ok := strings.Cut(s, "/")
	if !ok {
		per = "1"
	}
	coin, err := g.parseCoin(ctx, what, amt)
	if err != nil {
		return "", 0, 0, err
	}
	den, err := strconv.ParseUint(per, 10, 64)
	if err != nil || den == 0 {
		return "", 0, 0, usageError{fmt.Errorf("%s %q: the units after / must be a whole number above 0, as in 50udpin/1000 (50 udpin per 1000 units)", what, s)}
	}
	return coin.Denom, coin.Amount, den, nil
}

func newAgreementTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "agreement", Short: "Pay a device per verified unit: open, cancel, decline service agreements"}
	var from, price string
	var metric uint32
	var maxUnits, start, end uint64
	var f txFlags
	open := &cobra.Command{
		Use:   "open DEVICE",
		Short: "Escrow funds to pay DEVICE per unit of a metric its accepted reports prove, each epoch from --start to --end",
		Example: `  depin tx agreement open depindev1… --metric 1 --price 2udpin/1000 --max-units 5000000 --end 42 --from bob
      (2 udpin per 1000 mGBh stored, up to 5,000,000, until epoch 42)`,
		Args: argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDevice("DEVICE", args[0])
			if err != nil {
				return err
			}
			denom, num, den, err := g.parsePrice(cmd.Context(), "--price", price)
			if err != nil {
				return err
			}
			consumer, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &f, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{
				Consumer: consumer.Bytes(), Device: id[:], Metric: metric, Denom: denom, PriceNum: num, PriceDen: den,
				MaxUnits: maxUnits, StartEpoch: start, EndEpoch: end}}})
		},
	}
	open.Flags().StringVar(&from, "from", "", "consumer key, pays the escrow (required)")
	open.Flags().Uint32Var(&metric, "metric", 1, "metric id of the device's network")
	open.Flags().StringVar(&price, "price", "", "price per unit: AMOUNT[/UNITS], e.g. 50udpin/1000 (required)")
	open.Flags().Uint64Var(&maxUnits, "max-units", 0, "the most units paid for (required)")
	open.Flags().Uint64Var(&start, "start", 0, "first epoch paid (default: the current one)")
	open.Flags().Uint64Var(&end, "end", 0, "last epoch paid (required)")
	f.register(open)
	for _, fl := range []string{"from", "price", "max-units", "end"} {
		_ = open.MarkFlagRequired(fl)
	}
	byID := func(use, short string, build func(signer []byte, id uint64) *txv1.Msg) *cobra.Command {
		var ofrom string
		var of txFlags
		c := &cobra.Command{Use: use, Short: short, Args: argsExactly(1, "ID"),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseCount("ID", args[0])
				if err != nil {
					return err
				}
				who, err := g.resolveAddress(ofrom)
				if err != nil {
					return err
				}
				return g.sendMsgs(cmd, ofrom, &of, build(who.Bytes(), id))
			}}
		c.Flags().StringVar(&ofrom, "from", "", "your key (required)")
		of.register(c)
		_ = c.MarkFlagRequired("from")
		return c
	}
	cancel := byID("cancel ID", "End your agreement after the notice period (the current and next epoch are still paid)", func(s []byte, id uint64) *txv1.Msg {
		return &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: s, Id: id}}}
	})
	decline := byID("decline ID", "As the device's owner, refuse an agreement (unpaid escrow goes back)", func(s []byte, id uint64) *txv1.Msg {
		return &txv1.Msg{Sum: &txv1.Msg_DeclineAgreement{DeclineAgreement: &agreementv1.MsgDeclineAgreement{Owner: s, Id: id}}}
	})
	cmd.AddCommand(open, cancel, decline)
	return cmd
}

func newAgreementQueryCmds(g *globals) []*cobra.Command {
	one := &cobra.Command{Use: "agreement ID", Short: "Show a service agreement", Args: argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("ID", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.Agreement(cmd.Context(), id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if a == nil {
				return fmt.Errorf("no agreement %d", id)
			}
			return g.render(cmd.OutOrStdout(), newAgreementView(a))
		}}
	var consumer, dev string
	list := &cobra.Command{Use: "agreements", Short: "List agreements by --consumer or --device", Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f client.AgreementFilter
			switch {
			case consumer != "":
				a, err := g.resolveAddress(consumer)
				if err != nil {
					return err
				}
				f.Consumer = &a
			case dev != "":
				id, err := parseDevice("--device", dev)
				if err != nil {
					return err
				}
				f.Device = &id
			default:
				return usageError{fmt.Errorf("give --consumer or --device")}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ids, err := c.AgreementIDs(cmd.Context(), f)
			if err != nil {
				return err
			}
			l := make(agreementList, 0, len(ids))
			for _, id := range ids {
				a, err := c.Agreement(cmd.Context(), id, client.QueryOptions{})
				if err != nil {
					return err
				}
				if a != nil {
					l = append(l, newAgreementView(a))
				}
			}
			return g.render(cmd.OutOrStdout(), l)
		}}
	list.Flags().StringVar(&consumer, "consumer", "", "consumer address or key name")
	list.Flags().StringVar(&dev, "device", "", "provider device id")
	return []*cobra.Command{one, list}
}
