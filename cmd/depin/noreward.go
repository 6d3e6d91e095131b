package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
)

// Why a device has no reward breakdown for an epoch. The chain stores a
// breakdown for every device that was active and had accepted reports
// when its epoch's rewards were computed, if the epoch minted anything
// (x/reward gather); 'query reward explain' says which of those was not
// so, from the records the chain keeps.

// Reasons a device earned nothing recorded in an epoch.
const (
	noRewardNotBegun     = "epoch_not_begun"
	noRewardRunning      = "epoch_running"
	noRewardComputing    = "rewards_being_computed"
	noRewardNoEmission   = "no_emission"
	noRewardNotYetThere  = "registered_later"
	noRewardNoReports    = "no_accepted_reports"
	noRewardJailed       = "jailed"
	noRewardDeactivated  = "deactivated"
	noRewardNothingMined = "nothing_minted"
)

// noRewardView is why a device has no reward in an epoch.
type noRewardView struct {
	Device  string    `json:"device"`
	Network string    `json:"network"`
	Epoch   uint64    `json:"epoch,string"`
	Reward  uint64    `json:"reward,string"` // always 0
	Reason  string    `json:"reason"`        // one of the noReward… constants
	Detail  string    `json:"detail"`        // the reason in words
	Jail    *jailView `json:"jail,omitempty"`

	advice []string // what the owner can do (text only)
}

func (v noRewardView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Device %s in network %s, epoch %d: earned nothing.\n\n%s\n", v.Device, v.Network, v.Epoch, v.Detail)
	if len(v.advice) > 0 {
		fmt.Fprintln(w)
		for _, a := range v.advice {
			fmt.Fprintln(w, a)
		}
	}
}

// noReward finds why device d (id) has no breakdown in epoch.
func noReward(ctx context.Context, c *client.Client, id crypto.DeviceID, d *devicev1.Device, epoch uint64) (noRewardView, error) {
	v := noRewardView{Device: crypto.DeviceString(id), Network: d.Network, Epoch: epoch}
	say := func(reason, format string, args ...any) (noRewardView, error) {
		v.Reason, v.Detail = reason, fmt.Sprintf(format, args...)
		return v, nil
	}
	n, err := c.Network(ctx, d.Network, client.QueryOptions{})
	if err != nil || n == nil {
		return v, err
	}
	cur, _, err := c.NetworkEpoch(ctx, d.Network, client.QueryOptions{})
	if err != nil {
		return v, err
	}
	epochLen := seconds(n.Params.GetEpochSeconds())
	switch {
	case epoch > cur:
		return say(noRewardNotBegun, "Epoch %d has not begun: %s is in epoch %d (epochs of %s).", epoch, d.Network, cur, epochLen)
	case epoch == cur:
		end := time.Unix(network.EpochStart(n, epoch+1), 0).UTC().Format("2006-01-02 15:04:05 UTC")
		return say(noRewardRunning, "Epoch %d is still running: it ends at %s, and its rewards are computed in the blocks after.", epoch, end)
	}
	rp := network.ParamsForEpoch(n, epoch).GetRewards()
	if rp == nil || rp.EpochEmission == 0 {
		return say(noRewardNoEmission, "Network %s mints no rewards (its emission per epoch is 0).", d.Network)
	}
	st, err := c.RewardState(ctx, d.Network, client.QueryOptions{})
	if err != nil {
		return v, err
	}
	job, err := c.RewardJob(ctx, d.Network, client.QueryOptions{})
	if err != nil {
		return v, err
	}
	if (job != nil && job.Epoch <= epoch) || slices.Contains(st.GetQueued(), epoch) {
		return say(noRewardComputing, "Epoch %d has ended and its rewards are being computed (a share of the network's devices per block): ask again in a few blocks.", epoch)
	}
	if regEpoch, ok := epochOfHeight(ctx, c, n, d.RegisteredHeight); ok && regEpoch > epoch {
		return say(noRewardNotYetThere, "The device was registered at height %d, in epoch %d — after epoch %d.", d.RegisteredHeight, regEpoch, epoch)
	}
	wr, err := c.Work(ctx, d.Network, epoch, id)
	if err != nil {
		return v, err
	}
	if wr.GetReportsAccepted() == 0 {
		rejected := ""
		if r := wr.GetReportsRejected(); r > 0 {
			rejected = fmt.Sprintf(" (%d were rejected: 'depin query work %s --epoch %d')", r, v.Device, epoch)
		}
		v.advice = deviceAdvice(v.Device, accountString(d.Owner), enumName(d.Status.String(), "DEVICE_STATUS_"), d.Stake, d.UnbondTime, effectiveUnbonding(d, n), 0)
		return say(noRewardNoReports, "The chain accepted no report of the device in epoch %d%s. Only devices with verified work earn:\nthe work pools pay for production, and the availability pools too pay only devices that produced.", epoch, rejected)
	}
	switch d.Status {
	case devicev1.DeviceStatus_DEVICE_STATUS_JAILED:
		e, err := c.FirstEvidence(ctx, id)
		if err != nil {
			return v, err
		}
		v.advice = deviceAdvice(v.Device, accountString(d.Owner), "jailed", d.Stake, d.UnbondTime, effectiveUnbonding(d, n), 0)
		if e == nil {
			return say(noRewardJailed, "The device was jailed before epoch %d's rewards were computed: a jailed device earns nothing.", epoch)
		}
		v.Jail = &jailView{Height: e.Height, Evidence: hex.EncodeToString(e.Id), Kind: enumName(e.Kind.String(), "EVIDENCE_KIND_")}
		when := ""
		if je, ok := epochOfHeight(ctx, c, n, e.Height); ok {
			when = fmt.Sprintf(", in epoch %d", je)
		}
		return say(noRewardJailed, "The device was jailed at height %d%s, for %s evidence %s, before epoch %d's rewards were computed:\na jailed device earns nothing (what it reported in the epoch, %s, counts for no one).",
			e.Height, when, strings.ReplaceAll(v.Jail.Kind, "_", " "), v.Jail.Evidence, epoch, plural(wr.GetReportsAccepted(), "accepted report"))
	case devicev1.DeviceStatus_DEVICE_STATUS_UNBONDING, devicev1.DeviceStatus_DEVICE_STATUS_RETIRED:
		v.advice = deviceAdvice(v.Device, accountString(d.Owner), enumName(d.Status.String(), "DEVICE_STATUS_"), d.Stake, d.UnbondTime, effectiveUnbonding(d, n), 0)
		return say(noRewardDeactivated, "The device was deactivated before epoch %d's rewards were computed: only active devices earn.", epoch)
	}
	if st.GetMinted() >= network.SupplyCap(rp) {
		return say(noRewardNothingMined, "Network %s minted nothing for epoch %d: it has minted its whole supply cap (%d %s).", d.Network, epoch, network.SupplyCap(rp), n.RewardDenom)
	}
	if rp.HalvingEpochs > 0 {
		return say(noRewardNothingMined, "Network %s minted nothing for epoch %d: its emission, halved every %d epochs, has run out.", d.Network, epoch, rp.HalvingEpochs)
	}
	return say(noRewardNothingMined, "No reward was recorded for the device in epoch %d, though it had %s then and is active now: it was not active when the epoch's rewards were computed.", epoch, plural(wr.GetReportsAccepted(), "accepted report"))
}

// plural is "1 report", "2 reports".
func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// epochOfHeight is the network's epoch at block height h (false if the
// node no longer has the block).
func epochOfHeight(ctx context.Context, c *client.Client, n *networkv1.Network, h int64) (uint64, bool) {
	if h <= 0 {
		return 0, false
	}
	b, err := c.Block(ctx, h)
	if err != nil {
		return 0, false
	}
	return network.EpochAt(n, b.Block.Time.Unix()), true
}
