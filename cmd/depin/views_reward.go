package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/explain"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
)

// Views of rewards, validators, shares and leases (the output model:
// render.go).

// breakdownView is why a device earned what it did in an epoch; its text
// is package explain's.
type breakdownView struct {
	Device             string `json:"device"`
	Network            string `json:"network"`
	Epoch              uint64 `json:"epoch,string"`
	Denom              string `json:"denom"`
	Reward             uint64 `json:"reward,string"` // work_reward + availability_reward
	WorkReward         uint64 `json:"work_reward,string"`
	AvailabilityReward uint64 `json:"availability_reward,string"`
	Productivity       uint64 `json:"productivity,string"` // work units: Σ metric totals × metric weight
	ReportsAccepted    uint64 `json:"reports_accepted,string"`
	ReportsRejected    uint64 `json:"reports_rejected,string"`
	CoveredSeconds     uint64 `json:"covered_seconds,string"`
	EpochSeconds       uint64 `json:"epoch_seconds,string"`
	UptimePpm          uint32 `json:"uptime_ppm"`
	ReputationPpm      uint32 `json:"reputation_ppm"`
	BelowThreshold     bool   `json:"below_threshold"`
	QualityPpm         uint32 `json:"quality_ppm"` // uptime × reputation
	GeoPpm             uint32 `json:"geo_ppm"`     // HIP-17 density scaling
	Cell               string `json:"cell"`        // H3 index, hex, at the finest geo rule's resolution
	BoostBps           uint32 `json:"boost_bps"`
	Weight             string `json:"weight"`       // decimal: productivity × quality × geography × boost
	TotalWeight        string `json:"total_weight"` // decimal: Σ weight over the network
	Emission           uint64 `json:"emission,string"`
	Devices            uint64 `json:"devices,string"` // devices that earned in the epoch

	src *rewardv1.Breakdown
}

func newBreakdownView(device string, b *rewardv1.Breakdown) breakdownView {
	return breakdownView{
		Device: device, Network: b.Network, Epoch: b.Epoch, Denom: b.Denom, Reward: b.Reward, WorkReward: b.WorkReward,
		AvailabilityReward: b.AvailabilityReward, Productivity: b.Productivity, ReportsAccepted: b.ReportsAccepted,
		ReportsRejected: b.ReportsRejected, CoveredSeconds: b.CoveredSeconds, EpochSeconds: b.EpochSeconds, UptimePpm: b.UptimePpm,
		ReputationPpm: b.ReputationPpm, BelowThreshold: b.BelowThreshold, QualityPpm: b.QualityPpm, GeoPpm: b.GeoPpm,
		Cell: cellString(b.Cell), BoostBps: b.BoostBps, Weight: b.Weight, TotalWeight: b.TotalWeight, Emission: b.Emission,
		Devices: b.Devices, src: b,
	}
}

func (v breakdownView) writeText(w io.Writer) { explain.Write(w, v.src, v.Device) }

// unclaimedView is a device's accrued, unclaimed reward.
type unclaimedView struct {
	Device    string `json:"device"`
	Network   string `json:"network"`
	Denom     string `json:"denom"`
	Unclaimed uint64 `json:"unclaimed,string"`

	display string // the amount in the token's display unit, if known
}

func (v unclaimedView) writeText(w io.Writer) {
	amount := formatCoin(v.Denom, v.Unclaimed)
	if v.display != "" && v.display != amount {
		amount = v.display + " (" + amount + ")"
	}
	fmt.Fprintf(w, "%s unclaimed by %s (in %s): its owner claims it with 'depin tx reward claim --device %s --from OWNER'\n", amount, v.Device, v.Network, v.Device)
}

// rewardStateView is a network's incentive books.
type rewardStateView struct {
	Network       string   `json:"network"`
	Denom         string   `json:"denom"`
	EpochEmission uint64   `json:"epoch_emission,string"` // before halvings
	CurrentEpoch  uint64   `json:"current_epoch,string"`  // the epoch of the network's last block step
	FirstEpoch    uint64   `json:"first_epoch,string"`
	Queued        []string `json:"queued_epochs"` // ended epochs waiting for their reward job
	Minted        uint64   `json:"minted,string"`
	Claimed       uint64   `json:"claimed,string"`
	Treasury      uint64   `json:"treasury,string"`
	Unclaimed     uint64   `json:"unclaimed,string"`
	Pending       uint64   `json:"pending,string"` // minted, not yet accrued to devices
}

func newRewardStateView(n *networkv1.Network, st *rewardv1.State, epoch uint64) rewardStateView {
	queued := []string{}
	for _, e := range st.GetQueued() {
		queued = append(queued, strconv.FormatUint(e, 10))
	}
	return rewardStateView{
		Network: n.Id, Denom: n.RewardDenom, EpochEmission: network.RewardsOf(n.Params).EpochEmission,
		CurrentEpoch: epoch, FirstEpoch: st.GetFirstEpoch(), Queued: queued, Minted: st.GetMinted(),
		Claimed: st.GetClaimed(), Treasury: st.GetTreasury(), Unclaimed: st.GetUnclaimed(), Pending: st.GetPending(),
	}
}

func (v rewardStateView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "network\t%s, epoch %d\n", v.Network, v.CurrentEpoch)
	fmt.Fprintf(tw, "emission\t%s per epoch\n", formatCoin(v.Denom, v.EpochEmission))
	fmt.Fprintf(tw, "minted\t%s = claimed %s + treasury %s + unclaimed %s + pending %s\n", formatCoin(v.Denom, v.Minted),
		formatCoin(v.Denom, v.Claimed), formatCoin(v.Denom, v.Treasury), formatCoin(v.Denom, v.Unclaimed), formatCoin(v.Denom, v.Pending))
	if len(v.Queued) > 0 {
		fmt.Fprintf(tw, "queued\tepochs %s wait for their rewards\n", strings.Join(v.Queued, ", "))
	}
	tw.Flush()
}

// validatorView is a validator with its stake and voting power.
type validatorView struct {
	Address      string `json:"address"`  // consensus address, upper-case hex
	Operator     string `json:"operator"` // "" for a genesis validator
	Moniker      string `json:"moniker"`
	Status       string `json:"status"` // bonded, jailed, tombstoned
	TokensUdpin  uint64 `json:"tokens_udpin,string"`
	Shares       uint64 `json:"shares,string"`
	Power        int64  `json:"power,string"`
	GenesisPower int64  `json:"genesis_power,string"`
	JailedUntil  int64  `json:"jailed_until,string"` // unix seconds; 0: not jailed
}

// validatorList is every validator, in the order the chain keeps them.
type validatorList []validatorView

func newValidatorList(vals []*stakingv1.Validator) validatorList {
	l := make(validatorList, 0, len(vals))
	for _, v := range vals {
		l = append(l, validatorView{Address: strings.ToUpper(hex.EncodeToString(v.ConsAddress)), Operator: accountString(v.Operator),
			Moniker: v.Moniker, Status: enumName(v.Status.String(), "VALIDATOR_STATUS_"), TokensUdpin: v.Tokens, Shares: v.Shares,
			Power: v.Power, GenesisPower: v.GenesisPower, JailedUntil: v.JailedUntil})
	}
	return l
}

func (l validatorList) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintln(tw, "VALIDATOR\tSTATUS\tMONIKER\tPOWER\tSTAKE")
	for _, v := range l {
		status := v.Status
		if v.JailedUntil > 0 && v.Status == "jailed" {
			status += " until " + time.Unix(v.JailedUntil, 0).UTC().Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", v.Address, status, v.Moniker, v.Power, formatCoin(bank.NativeDenom, v.TokensUdpin))
	}
	tw.Flush()
}

// sharesView is a tokenized device's share pool, a holder's part of it
// (--holder) and the device's lease, if any.
type sharesView struct {
	Device      string           `json:"device"`
	Denom       string           `json:"denom"` // share/<device>
	TotalShares uint64           `json:"total_shares,string"`
	Rewarded    uint64           `json:"rewarded,string"` // all rewards earned while tokenized
	Holder      *shareHolderView `json:"holder,omitempty"`
	Lease       *leaseView       `json:"lease,omitempty"`
}

type shareHolderView struct {
	Address string `json:"address"`
	Shares  uint64 `json:"shares,string"`
	Owed    uint64 `json:"owed,string"` // settled, not yet claimed
}

func newSharesView(device string, p *sharev1.Pool, l *sharev1.Lease) sharesView {
	v := sharesView{Device: device, Denom: p.Denom, TotalShares: p.TotalShares, Rewarded: p.Rewarded}
	if l != nil {
		lv := newLeaseView(l)
		v.Lease = &lv
	}
	return v
}

func (v sharesView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "device\t%s\n", v.Device)
	fmt.Fprintf(tw, "shares\t%d (token %s)\n", v.TotalShares, v.Denom)
	fmt.Fprintf(tw, "rewarded\t%d reward units while tokenized\n", v.Rewarded)
	if h := v.Holder; h != nil {
		fmt.Fprintf(tw, "holder\t%s holds %d, owed %d (plus what accrued since its last settlement)\n", h.Address, h.Shares, h.Owed)
	}
	if l := v.Lease; l != nil {
		fmt.Fprintf(tw, "lease\t%s\n", l.summary())
	}
	tw.Flush()
}

// leaseView is a device's lease.
type leaseView struct {
	Device         string `json:"device"`
	Owner          string `json:"owner"`
	Lessee         string `json:"lessee"`
	Status         string `json:"status"` // offered, active, ended
	Denom          string `json:"denom"`
	RentPerEpoch   uint64 `json:"rent_per_epoch,string"`
	RewardShareBps uint32 `json:"reward_share_bps"`
	StartEpoch     uint64 `json:"start_epoch,string"`
	EndEpoch       uint64 `json:"end_epoch,string"`
	NextEpoch      uint64 `json:"next_epoch,string"` // the next epoch whose rent is due
	EpochSeconds   uint64 `json:"epoch_seconds,string"`
	Escrow         uint64 `json:"escrow,string"`
	RentPaid       uint64 `json:"rent_paid,string"`
	RewardsPaid    uint64 `json:"rewards_paid,string"` // in the network's reward token
	EndReason      string `json:"end_reason,omitempty"`

	rewardDenom string // the device's network's reward token, if known
}

func newLeaseView(l *sharev1.Lease) leaseView {
	return leaseView{
		Device: deviceString(l.Device), Owner: accountString(l.Owner), Lessee: accountString(l.Lessee),
		Status: enumName(l.Status.String(), "LEASE_STATUS_"), Denom: l.Denom, RentPerEpoch: l.RentPerEpoch,
		RewardShareBps: l.RewardShareBps, StartEpoch: l.StartEpoch, EndEpoch: l.EndEpoch, NextEpoch: l.NextEpoch,
		EpochSeconds: l.EpochSeconds, Escrow: l.Escrow, RentPaid: l.RentPaid, RewardsPaid: l.RewardsPaid, EndReason: l.EndReason,
	}
}

// summary is the lease in one line (for 'query device').
func (v leaseView) summary() string {
	s := fmt.Sprintf("%s, to %s: epochs %d–%d at %s per epoch and %s of its rewards", v.Status, v.Lessee, v.StartEpoch, v.EndEpoch,
		formatCoin(v.Denom, v.RentPerEpoch), percent(v.RewardShareBps))
	if v.Status == "active" {
		s += fmt.Sprintf(", %s left in escrow", formatCoin(v.Denom, v.Escrow))
	}
	return s + fmt.Sprintf(" (depin query lease %s)", v.Device)
}

// percent is basis points as a percentage ("50%", "12.5%").
func percent(bps uint32) string {
	return strconv.FormatFloat(float64(bps)/100, 'f', -1, 64) + "%"
}

func (v leaseView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "lease of\t%s\n", v.Device)
	status := v.Status
	switch v.Status {
	case "offered":
		status += fmt.Sprintf(": the lessee accepts with 'depin tx lease accept %s --deposit AMOUNT --from %s'", v.Device, v.Lessee)
	case "ended":
		if v.EndReason != "" {
			status += ": " + v.EndReason
		}
	}
	fmt.Fprintf(tw, "status\t%s\n", status)
	fmt.Fprintf(tw, "owner\t%s\n", v.Owner)
	fmt.Fprintf(tw, "lessee\t%s\n", v.Lessee)
	fmt.Fprintf(tw, "term\tepochs %d–%d (of %s each)\n", v.StartEpoch, v.EndEpoch, time.Duration(v.EpochSeconds)*time.Second)
	fmt.Fprintf(tw, "rent\t%s per epoch, next due for epoch %d\n", formatCoin(v.Denom, v.RentPerEpoch), v.NextEpoch)
	fmt.Fprintf(tw, "escrow\t%s left of the lessee's deposit\n", formatCoin(v.Denom, v.Escrow))
	fmt.Fprintf(tw, "paid\t%s rent to the owner; %s of the rewards to the lessee, %s so far\n",
		formatCoin(v.Denom, v.RentPaid), percent(v.RewardShareBps), v.rewardsPaidText())
	tw.Flush()
}

// rewardsPaidText is the lessee's reward share paid so far, in the
// network's reward token (the lease record does not name it).
func (v leaseView) rewardsPaidText() string {
	if v.rewardDenom == "" {
		return strconv.FormatUint(v.RewardsPaid, 10) + " reward units"
	}
	return formatCoin(v.rewardDenom, v.RewardsPaid)
}
