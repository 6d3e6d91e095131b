package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// txFlags are shared by every tx command: registering them is what makes
// a command a tx command (TestEveryTxCommandCanGenerateOnly).
type txFlags struct {
	fee          string
	memo         string
	passFile     string
	async        bool
	generateOnly bool
	encoding     string
}

func (f *txFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.fee, "fee", "", "fee to pay (e.g. 0.002dpin or 2000udpin); default: the chain's minimum for this tx")
	cmd.Flags().StringVar(&f.memo, "memo", "", "note stored with the tx")
	cmd.Flags().StringVar(&f.passFile, "passphrase-file", "", "file with the signing key's passphrase ($DEPIN_PASSPHRASE)")
	cmd.Flags().BoolVar(&f.async, "no-wait", false, "return once the node accepted the tx into its mempool")
	cmd.Flags().BoolVar(&f.generateOnly, "generate-only", false, "print the tx instead of broadcasting it: signed if the key is here, else unsigned (broadcast it with CometBFT's RPC: broadcast_tx_sync?tx=0x…)")
	cmd.Flags().StringVar(&f.encoding, "encoding", "hex", "with --generate-only: hex (0x…) or base64")
}

// sendMsgs signs msgs with the key named from and broadcasts them (or,
// with --generate-only, prints them).
func (g *globals) sendMsgs(cmd *cobra.Command, from string, f *txFlags, msgs ...*txv1.Msg) error {
	return g.sendTx(cmd, from, f, nil, msgs...)
}

// sendTx is sendMsgs with the view of a committed tx made by show (nil:
// the tx view alone): a command adds what its tx made (a new id, an
// escrow) from the tx's events.
func (g *globals) sendTx(cmd *cobra.Command, from string, f *txFlags, show func(txView, *client.TxResult) view, msgs ...*txv1.Msg) error {
	ctx := cmd.Context()
	opts := client.TxOptions{Memo: f.memo}
	if f.fee != "" {
		if _, unit := splitAmount(strings.TrimSpace(f.fee)); unit == "" {
			return usageError{fmt.Errorf("--fee %q: give the unit, e.g. 0.002dpin or 2000udpin", f.fee)}
		}
		fee, err := g.parseDpinAmount("--fee", f.fee)
		if err != nil {
			return err
		}
		opts.Fee = fee
	}
	if f.generateOnly {
		return g.generateTx(cmd, from, f, opts, msgs)
	}
	key, err := g.loadKey(from, f.passFile)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	tx, err := c.BuildTx(ctx, key.Private, msgs, opts)
	if err != nil {
		return err
	}
	hash, err := c.Broadcast(ctx, tx)
	if err != nil {
		return err
	}
	if f.async {
		return g.render(cmd.OutOrStdout(), txView{Hash: fmt.Sprintf("%X", hash), Status: txInMempool})
	}
	res, err := c.WaitTx(ctx, hash, 30e9)
	if res == nil {
		return err
	}
	v := newTxView(res)
	v.Claimed = g.claims(ctx, c, res)
	var out view = v
	if show != nil && res.Code == 0 {
		out = show(v, res)
	}
	if perr := g.render(cmd.OutOrStdout(), out); perr != nil {
		return perr
	}
	return err
}

func newTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Sign and submit transactions"}
	bank := &cobra.Command{Use: "bank", Short: "Token transfers"}
	var f txFlags
	send := &cobra.Command{
		Use:   "send FROM TO AMOUNT",
		Short: "Send tokens from a local key to an address (or local key name)",
		Example: `  depin tx bank send alice bob 1.5dpin
  depin tx bank send mykey depin1… 2500udpin -o json`,
		Args: argsExactly(3, "FROM TO AMOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			coins, err := g.parseCoins(cmd.Context(), "AMOUNT", args[2])
			if err != nil {
				return err
			}
			to, err := g.resolveAddress(args[1])
			if err != nil {
				return err
			}
			from, err := g.resolveAddress(args[0])
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, args[0], &f, client.MsgSend(from, to, coins...))
		},
	}
	f.register(send)
	bank.AddCommand(send)
	cmd.AddCommand(bank, newNetworkTxCmd(g), newDeviceTxCmd(g), newRewardTxCmd(g), newStakingTxCmd(g), newAgreementTxCmd(g), newShareTxCmd(g), newLeaseTxCmd(g), newMarketTxCmd(g), newVppTxCmd(g))
	return cmd
}
