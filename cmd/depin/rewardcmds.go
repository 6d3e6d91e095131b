package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

func newRewardTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "reward", Short: "Claim rewards; boost underserved hexes"}
	var from, dev string
	var f txFlags
	claim := &cobra.Command{
		Use:   "claim",
		Short: "Pay yourself the rewards your devices accrued (all of them, or --device)",
		Example: `  depin tx reward claim --from alice
  depin tx reward claim --device depindev1… --from alice`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			m := &rewardv1.MsgClaimRewards{Owner: owner.Bytes()}
			if dev != "" {
				id, err := parseDevice("--device", dev)
				if err != nil {
					return err
				}
				m.Device = id[:]
			}
			return g.sendMsgs(cmd, from, &f, &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: m}})
		},
	}
	claim.Flags().StringVar(&from, "from", "", "owner key (required)")
	claim.Flags().StringVar(&dev, "device", "", "claim only this device's rewards")
	f.register(claim)
	_ = claim.MarkFlagRequired("from")

	var bfrom string
	var bf txFlags
	var loc locationFlags
	var mult float64
	var until uint64
	boost := &cobra.Command{
		Use:     "boost NETWORK",
		Short:   "Multiply rewards of devices in a hex until an epoch (network owner only; --multiplier 1 removes it)",
		Example: `  depin tx reward boost solar --lat 52.52 --lon 13.405 --res 7 --multiplier 2 --until-epoch 500 --from alice`,
		Args:    argsExactly(1, "NETWORK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cell, err := loc.resolve(cmd)
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(bfrom)
			if err != nil {
				return err
			}
			if mult < 1 || mult > 100 {
				return usageError{fmt.Errorf("--multiplier %v: want 1..100", mult)}
			}
			b := &rewardv1.Boost{Cell: cell, MultiplierBps: uint32(mult*10_000 + 0.5), UntilEpoch: until}
			return g.sendMsgs(cmd, bfrom, &bf, &txv1.Msg{Sum: &txv1.Msg_SetBoost{SetBoost: &rewardv1.MsgSetBoost{Owner: owner.Bytes(), Network: args[0], Boost: b}}})
		},
	}
	boost.Flags().StringVar(&bfrom, "from", "", "network owner key (required)")
	boost.Flags().Float64Var(&mult, "multiplier", 2, "reward multiplier (1..100)")
	boost.Flags().Uint64Var(&until, "until-epoch", 0, "last epoch the boost applies to (required)")
	loc.res = 7
	loc.register(boost)
	bf.register(boost)
	_ = boost.MarkFlagRequired("from")
	_ = boost.MarkFlagRequired("until-epoch")
	cmd.AddCommand(claim, boost)
	return cmd
}

func newRewardQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "reward", Short: "Rewards: why a device earned what it did, what is unclaimed, a network's totals"}
	explainCmd := &cobra.Command{
		Use:     "explain DEVICE EPOCH",
		Short:   "Why did this device get this reward in this epoch? (or nothing: why not)",
		Example: `  depin query reward explain depindev1… 42`,
		Args:    argsExactly(2, "DEVICE EPOCH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			epoch, err := parseCount("EPOCH", args[1])
			if err != nil {
				return err
			}
			c, id, d, err := g.registeredDevice(cmd, args[0])
			if err != nil {
				return err
			}
			b, err := c.RewardBreakdown(cmd.Context(), d.Network, epoch, id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if b == nil {
				v, err := noReward(cmd.Context(), c, id, d, epoch)
				if err != nil {
					return err
				}
				return g.render(cmd.OutOrStdout(), v)
			}
			return g.render(cmd.OutOrStdout(), newBreakdownView(crypto.DeviceString(id), b))
		},
	}
	unclaimed := &cobra.Command{
		Use:   "unclaimed DEVICE",
		Short: "A device's accrued, unclaimed reward",
		Args:  argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, d, err := g.registeredDevice(cmd, args[0])
			if err != nil {
				return err
			}
			n, err := c.Network(cmd.Context(), d.Network, client.QueryOptions{})
			if err != nil {
				return err
			}
			amt, err := c.Unclaimed(cmd.Context(), id, client.QueryOptions{})
			if err != nil {
				return err
			}
			v := unclaimedView{Device: crypto.DeviceString(id), Network: d.Network, Denom: n.GetRewardDenom(), Unclaimed: amt}
			if md, err := c.Denom(cmd.Context(), v.Denom, client.QueryOptions{}); err == nil {
				v.display = formatIn(md, v.Denom, amt)
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	netCmd := &cobra.Command{
		Use:   "network NETWORK",
		Short: "A network's incentive totals and current epoch",
		Args:  argsExactly(1, "NETWORK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			n, err := c.Network(cmd.Context(), args[0], client.QueryOptions{})
			if err != nil {
				return err
			}
			if n == nil {
				return fmt.Errorf("network %q does not exist", args[0])
			}
			st, err := c.RewardState(cmd.Context(), args[0], client.QueryOptions{})
			if err != nil {
				return err
			}
			epoch, _, err := c.NetworkEpoch(cmd.Context(), args[0], client.QueryOptions{})
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newRewardStateView(n, st, epoch)) // st nil: nothing yet
		},
	}
	cmd.AddCommand(explainCmd, unclaimed, netCmd)
	return cmd
}

// registeredDevice parses a device id argument and reads the device,
// failing clearly when it is not registered.
func (g *globals) registeredDevice(cmd *cobra.Command, arg string) (*client.Client, crypto.DeviceID, *devicev1.Device, error) {
	id, err := parseDevice("DEVICE", arg)
	if err != nil {
		return nil, id, nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, id, nil, err
	}
	d, err := c.Device(cmd.Context(), id, client.QueryOptions{})
	if err != nil {
		return nil, id, nil, err
	}
	if d == nil {
		return nil, id, nil, fmt.Errorf("device %s is not registered", arg)
	}
	return c, id, d, nil
}
