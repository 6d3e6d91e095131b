package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/privval"
	"github.com/spf13/cobra"

	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// parseValidator reads a validator's consensus address (40 hex digits).
func parseValidator(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(s), "0x"))
	if err != nil || len(b) != 20 {
		return nil, usageError{fmt.Errorf("validator %q: want its consensus address, 40 hex digits (see 'depin query staking validators')", s)}
	}
	return b, nil
}

func newStakingTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "staking", Short: "Become a validator, delegate, unbond, unjail"}
	var from, pubkey, moniker string
	var f txFlags
	create := &cobra.Command{
		Use:   "create-validator AMOUNT",
		Short: "Bond AMOUNT of dpin behind a consensus key (this node's, unless --pubkey)",
		Example: `  depin tx staking create-validator 25dpin --moniker mynode --from alice
  depin tx staking create-validator 25dpin --pubkey <base64 ed25519> --from alice`,
		Args: argsExactly(1, "AMOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			amt, err := g.parseDpinAmount("AMOUNT", args[0])
			if err != nil {
				return err
			}
			var pub []byte
			if pubkey != "" {
				if pub, err = base64.StdEncoding.DecodeString(pubkey); err != nil {
					if pub, err = hex.DecodeString(pubkey); err != nil {
						return usageError{fmt.Errorf("--pubkey: want base64 or hex of a 32-byte ed25519 key")}
					}
				}
			} else {
				keyFile := filepath.Join(g.home, "config", "priv_validator_key.json")
				if _, err := os.Stat(keyFile); err != nil {
					return usageError{fmt.Errorf("no consensus key at %s: give --pubkey or --home of the validator node", keyFile)}
				}
				pv := privval.LoadFilePV(keyFile, filepath.Join(g.home, "data", "priv_validator_state.json"))
				pub = pv.Key.PubKey.Bytes()
			}
			if len(pub) != 32 {
				return usageError{fmt.Errorf("consensus key of %d bytes, want 32", len(pub))}
			}
			op, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &f, &txv1.Msg{Sum: &txv1.Msg_CreateValidator{CreateValidator: &stakingv1.MsgCreateValidator{
				Operator: op.Bytes(), PubKey: pub, Moniker: moniker, Amount: amt}}})
		},
	}
	create.Flags().StringVar(&from, "from", "", "operator key, pays the bond (required)")
	create.Flags().StringVar(&pubkey, "pubkey", "", "consensus public key (default: this home's priv_validator_key.json)")
	create.Flags().StringVar(&moniker, "moniker", "", "display name")
	f.register(create)
	_ = create.MarkFlagRequired("from")

	amountOp := func(use, short string, build func(del, val []byte, amt uint64) *txv1.Msg) *cobra.Command {
		var ofrom string
		var of txFlags
		c := &cobra.Command{
			Use: use, Short: short, Args: argsExactly(2, "VALIDATOR AMOUNT"),
			RunE: func(cmd *cobra.Command, args []string) error {
				val, err := parseValidator(args[0])
				if err != nil {
					return err
				}
				amt, err := g.parseDpinAmount("AMOUNT", args[1])
				if err != nil {
					return err
				}
				del, err := g.resolveAddress(ofrom)
				if err != nil {
					return err
				}
				return g.sendMsgs(cmd, ofrom, &of, build(del.Bytes(), val, amt))
			},
		}
		c.Flags().StringVar(&ofrom, "from", "", "delegator key (required)")
		of.register(c)
		_ = c.MarkFlagRequired("from")
		return c
	}
	delegate := amountOp("delegate VALIDATOR AMOUNT", "Bond dpin to a validator", func(del, val []byte, amt uint64) *txv1.Msg {
		return &txv1.Msg{Sum: &txv1.Msg_Delegate{Delegate: &stakingv1.MsgDelegate{Delegator: del, Validator: val, Amount: amt}}}
	})
	unbond := amountOp("unbond VALIDATOR AMOUNT", "Start unbonding dpin from a validator (returned after the unbonding period)", func(del, val []byte, amt uint64) *txv1.Msg {
		return &txv1.Msg{Sum: &txv1.Msg_Unbond{Unbond: &stakingv1.MsgUnbond{Delegator: del, Validator: val, Amount: amt}}}
	})
	var ufrom string
	var uf txFlags
	unjail := &cobra.Command{
		Use: "unjail VALIDATOR", Short: "Bring a validator jailed for downtime back, once its jail time is over", Args: argsExactly(1, "VALIDATOR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			val, err := parseValidator(args[0])
			if err != nil {
				return err
			}
			op, err := g.resolveAddress(ufrom)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, ufrom, &uf, &txv1.Msg{Sum: &txv1.Msg_Unjail{Unjail: &stakingv1.MsgUnjail{Operator: op.Bytes(), Validator: val}}})
		},
	}
	unjail.Flags().StringVar(&ufrom, "from", "", "operator key (required)")
	uf.register(unjail)
	_ = unjail.MarkFlagRequired("from")
	cmd.AddCommand(create, delegate, unbond, unjail)
	return cmd
}

func newStakingQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "staking", Short: "Validators and their stake"}
	validators := &cobra.Command{
		Use: "validators", Short: "List validators with their status, stake and voting power", Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vals, err := c.Validators(cmd.Context())
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newValidatorList(vals))
		},
	}
	cmd.AddCommand(validators)
	return cmd
}
