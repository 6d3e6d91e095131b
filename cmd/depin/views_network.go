package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/network"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// Views of networks, devices, their work and evidence (the output model:
// render.go).

// networkView is a network with its parameters.
type networkView struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Owner         string     `json:"owner"`
	Class         string     `json:"class"`
	Physical      bool       `json:"physical"`
	RewardDenom   string     `json:"reward_denom"`
	CreatedHeight int64      `json:"created_height,string"`
	Params        paramsView `json:"params"`
	// PendingParams take effect from PendingFromEpoch on (update-params).
	PendingFromEpoch *uint64     `json:"pending_from_epoch,string,omitempty"`
	PendingParams    *paramsView `json:"pending_params,omitempty"`
	Frozen           bool        `json:"frozen"`
	FrozenReason     string      `json:"frozen_reason,omitempty"`
	FrozenHeight     int64       `json:"frozen_height,string,omitempty"`
	// Minted is all of its token its emission minted, Burned what was
	// burned for service credits (x/vpp): its supply's two flows ('query
	// network' only).
	Minted *uint64 `json:"minted,string,omitempty"`
	Burned *uint64 `json:"burned,string,omitempty"`
}

type paramsView struct {
	Metrics                []metricView      `json:"metrics"`
	EpochSeconds           uint64            `json:"epoch_seconds,string"`
	ReportWindowSeconds    uint64            `json:"report_window_seconds,string"`
	MaxClockSkewSeconds    uint64            `json:"max_clock_skew_seconds,string"`
	MinStakeUdpin          uint64            `json:"min_stake_udpin,string"`
	UnbondingSeconds       uint64            `json:"unbonding_seconds,string"`
	MinMoveIntervalSeconds uint64            `json:"min_move_interval_seconds,string"`
	Rewards                *rewardParamsView `json:"rewards,omitempty"` // none: no emission
	Market                 *marketParamsView `json:"market,omitempty"`  // none: no energy market
	Vpp                    *vppParamsView    `json:"vpp,omitempty"`     // none: no virtual power plants

	denom string // the network's token (credits are priced in it)
}

type metricView struct {
	ID     uint32 `json:"id"`
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Bound  string `json:"bound"` // "NUM/DEN": at most NUM/DEN units per unit of capacity per second
	Weight uint64 `json:"weight,string"`
}

type rewardParamsView struct {
	EpochEmission     uint64        `json:"epoch_emission,string"`
	HalvingEpochs     uint64        `json:"halving_epochs,string"`
	MaxSupply         uint64        `json:"max_supply,string"`
	Pools             []poolView    `json:"pools"`
	RepAlpha0         uint64        `json:"rep_alpha0,string"`
	RepBeta0          uint64        `json:"rep_beta0,string"`
	RepLambdaPpm      uint32        `json:"rep_lambda_ppm"`
	RepThresholdPpm   uint32        `json:"rep_threshold_ppm"`
	RepEvidenceWeight uint64        `json:"rep_evidence_weight,string"`
	Geo               []geoRuleView `json:"geo"`
	SlashBps          uint32        `json:"slash_bps"`
	FinderFeeBps      uint32        `json:"finder_fee_bps"`
}

type poolView struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // work, availability, treasury
	Bps  uint32 `json:"bps"`
}

type geoRuleView struct {
	Resolution uint32 `json:"resolution"`
	N          uint32 `json:"n"`
	Target     uint64 `json:"target,string"`
	Max        uint64 `json:"max,string"`
}

type marketParamsView struct {
	IntervalSeconds    uint64 `json:"interval_seconds,string"`
	Denom              string `json:"denom"`
	SellerMetric       uint32 `json:"seller_metric"`
	BuyerMetric        uint32 `json:"buyer_metric"`
	SettleDelaySeconds uint64 `json:"settle_delay_seconds,string"`
	ShortfallPenalty   uint64 `json:"shortfall_penalty,string"`
}

func newNetworkView(n *networkv1.Network) networkView {
	v := networkView{
		ID: n.Id, Name: n.Name, Owner: accountString(n.Owner), Class: className(n.Class), Physical: n.Physical,
		RewardDenom: n.RewardDenom, CreatedHeight: n.CreatedHeight, Params: newParamsView(n.Params),
		Frozen: n.Frozen, FrozenReason: n.FrozenReason, FrozenHeight: n.FrozenHeight,
	}
	v.Params.denom = n.RewardDenom
	if n.Pending != nil {
		e, p := n.PendingEpoch, newParamsView(n.Pending)
		p.denom = n.RewardDenom
		v.PendingFromEpoch, v.PendingParams = &e, &p
	}
	return v
}

func newParamsView(p *networkv1.Params) paramsView {
	v := paramsView{
		Metrics: make([]metricView, 0, len(p.GetMetrics())), EpochSeconds: p.GetEpochSeconds(), ReportWindowSeconds: p.GetReportWindowSeconds(),
		MaxClockSkewSeconds: p.GetMaxClockSkewSeconds(), MinStakeUdpin: p.GetMinStake(), UnbondingSeconds: p.GetUnbondingSeconds(),
		MinMoveIntervalSeconds: p.GetMinMoveIntervalSeconds(), Rewards: newRewardParamsView(p.GetRewards()), Market: newMarketParamsView(p.GetMarket()),
		Vpp: newVppParamsView(p.GetVpp()),
	}
	for _, m := range p.GetMetrics() {
		v.Metrics = append(v.Metrics, metricView{ID: m.Id, Name: m.Name, Unit: m.Unit, Bound: fmt.Sprintf("%d/%d", m.BoundNum, m.BoundDen), Weight: m.Weight})
	}
	return v
}

func newRewardParamsView(r *rewardv1.RewardParams) *rewardParamsView {
	if r == nil {
		return nil
	}
	v := &rewardParamsView{
		EpochEmission: r.EpochEmission, HalvingEpochs: r.HalvingEpochs, MaxSupply: r.MaxSupply, Pools: make([]poolView, 0, len(r.Pools)),
		RepAlpha0: r.RepAlpha0, RepBeta0: r.RepBeta0, RepLambdaPpm: r.RepLambdaPpm, RepThresholdPpm: r.RepThresholdPpm,
		RepEvidenceWeight: r.RepEvidenceWeight, Geo: make([]geoRuleView, 0, len(r.Geo)), SlashBps: r.SlashBps, FinderFeeBps: r.FinderFeeBps,
	}
	for _, p := range r.Pools {
		v.Pools = append(v.Pools, poolView{Name: p.Name, Kind: enumName(p.Kind.String(), "POOL_KIND_"), Bps: p.Bps})
	}
	for _, g := range r.Geo {
		v.Geo = append(v.Geo, geoRuleView{Resolution: g.Resolution, N: g.N, Target: g.Target, Max: g.Max})
	}
	return v
}

func newMarketParamsView(m *marketv1.MarketParams) *marketParamsView {
	if m == nil {
		return nil
	}
	return &marketParamsView{IntervalSeconds: m.IntervalSeconds, Denom: m.Denom, SellerMetric: m.SellerMetric, BuyerMetric: m.BuyerMetric,
		SettleDelaySeconds: m.SettleDelaySeconds, ShortfallPenalty: m.ShortfallPenalty}
}

func (v networkView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "network\t%s (%s)\n", v.ID, v.Name)
	fmt.Fprintf(tw, "class\t%s\n", v.Class)
	fmt.Fprintf(tw, "owner\t%s\n", v.Owner)
	fmt.Fprintf(tw, "reward token\t%s\n", v.RewardDenom)
	if v.Frozen {
		fmt.Fprintf(tw, "FROZEN\tsince height %d: %s\n\tits owner resumes it with 'depin tx network resume %s'\n", v.FrozenHeight, v.FrozenReason, v.ID)
	}
	v.Params.writeText(tw, "")
	if v.Minted != nil && v.Burned != nil {
		fmt.Fprintf(tw, "supply\t%s minted by emission, %s burned for service credits\n", formatCoin(v.RewardDenom, *v.Minted), formatCoin(v.RewardDenom, *v.Burned))
	}
	if v.PendingParams != nil {
		fmt.Fprintf(tw, "pending\tfrom epoch %d on:\n", *v.PendingFromEpoch)
		v.PendingParams.writeText(tw, "  ")
	}
	fmt.Fprintf(tw, "created\tat height %d\n", v.CreatedHeight)
	tw.Flush()
}

// writeText writes the params as rows of a table, their names indented.
func (p paramsView) writeText(tw io.Writer, indent string) {
	for _, m := range p.Metrics {
		fmt.Fprintf(tw, indent+"metric %d\t%s (%s): at most %s per unit of capacity per second, weight %d\n", m.ID, m.Name, m.Unit, m.Bound, m.Weight)
	}
	fmt.Fprintf(tw, indent+"epoch\t%s\n", seconds(p.EpochSeconds))
	fmt.Fprintf(tw, indent+"report window\t%s (clock skew up to %s)\n", seconds(p.ReportWindowSeconds), seconds(p.MaxClockSkewSeconds))
	fmt.Fprintf(tw, indent+"device stake\t%s, unbonding %s, moves at most every %s\n", formatCoin(bank.NativeDenom, p.MinStakeUdpin),
		seconds(p.UnbondingSeconds), seconds(p.MinMoveIntervalSeconds))
	if r := p.Rewards; r != nil {
		pools := make([]string, 0, len(r.Pools))
		for _, pl := range r.Pools {
			pools = append(pools, fmt.Sprintf("%s %s", pl.Name, percent(pl.Bps)))
		}
		fmt.Fprintf(tw, indent+"rewards\t%d per epoch (%s)\n", r.EpochEmission, strings.Join(pools, ", "))
	} else {
		fmt.Fprint(tw, indent+"rewards\tnone\n")
	}
	if m := p.Market; m != nil {
		fmt.Fprintf(tw, indent+"market\tintervals of %s in %s, settled %s later\n", seconds(m.IntervalSeconds), m.Denom, seconds(m.SettleDelaySeconds))
	}
	if p.Vpp != nil {
		p.Vpp.writeText(tw, indent, p.denom)
	}
}

// seconds is a number of seconds as a duration ("1h0m0s").
func seconds(s uint64) string { return (time.Duration(s) * time.Second).String() }

// networkList is every network, by id.
type networkList []networkView

func (l networkList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No networks yet. Launch one with 'depin tx network create'.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NETWORK\tCLASS\tTOKEN\tNAME")
	for _, n := range l {
		name := n.Name
		if n.Frozen {
			name += " (FROZEN)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.ID, n.Class, n.RewardDenom, name)
	}
	tw.Flush()
}

// deviceView is a registered device, with its lease and, if it was
// jailed, the evidence that jailed it.
type deviceView struct {
	ID               string  `json:"id"`
	Network          string  `json:"network"`
	Owner            string  `json:"owner"`
	Model            string  `json:"model"`
	Serial           string  `json:"serial"`
	Capacity         uint64  `json:"capacity,string"`  // in the network's capacity unit
	PublicKey        string  `json:"public_key"`       // hex
	MakerPublicKey   string  `json:"maker_public_key"` // hex
	Cell             string  `json:"cell"`             // H3 index, hex
	Lat              float64 `json:"lat"`              // the cell's centre
	Lon              float64 `json:"lon"`
	Status           string  `json:"status"` // active, unbonding, retired, jailed
	StakeUdpin       uint64  `json:"stake_udpin,string"`
	UnbondTime       int64   `json:"unbond_time,string,omitempty"` // unix seconds, once deactivated
	UnbondingSeconds uint64  `json:"unbonding_seconds,string"`     // how long its stake unbonds once deactivated
	Tokenized        bool    `json:"tokenized"`
	LastSeq          uint64  `json:"last_seq,string"`
	LastPeriodEnd    int64   `json:"last_period_end,string"` // unix seconds
	ReportsAccepted  uint64  `json:"reports_accepted,string"`
	ReportsRejected  uint64  `json:"reports_rejected,string"`
	Evidence         uint64  `json:"evidence,string"` // fraud evidence recorded
	RegisteredHeight int64   `json:"registered_height,string"`
	EnergyCapacity   uint64  `json:"energy_capacity,string,omitempty"` // Wh a battery stores (its capacity is then its rated power, W)
	VppPool          uint64  `json:"vpp_pool,string,omitempty"`        // the virtual power plant it is a member of
	// Jail is the evidence that jailed the device (a jailed device only).
	Jail *jailView `json:"jail,omitempty"`
	// Lease is the device's lease, if it has one.
	Lease *leaseView `json:"lease,omitempty"`

	chainTime int64 // unix seconds of the latest block, to tell unbonding from unbonded (0: unknown)
}

// jailView is when and why a device was jailed.
type jailView struct {
	Height   int64  `json:"height,string"`
	Evidence string `json:"evidence"` // id, hex
	Kind     string `json:"kind"`     // double_report, impossible_report
}

// newDeviceView shows d; unbondingSeconds is how long its stake would
// unbond (the shorter of its network's and the one it locked under).
func newDeviceView(d *devicev1.Device, unbondingSeconds uint64) deviceView {
	ll := uh3.Cell(d.Cell).LatLng()
	return deviceView{
		ID: deviceString(d.Id), Network: d.Network, Owner: accountString(d.Owner), Model: d.Model, Serial: d.Serial,
		Capacity: d.Capacity, PublicKey: hex.EncodeToString(d.PublicKey), MakerPublicKey: hex.EncodeToString(d.MakerPublicKey),
		Cell: cellString(d.Cell), Lat: ll.Lat, Lon: ll.Lng, Status: enumName(d.Status.String(), "DEVICE_STATUS_"),
		StakeUdpin: d.Stake, UnbondTime: d.UnbondTime, UnbondingSeconds: unbondingSeconds, Tokenized: d.Tokenized, LastSeq: d.LastSeq,
		LastPeriodEnd: d.LastPeriodEnd, ReportsAccepted: d.ReportsAccepted, ReportsRejected: d.ReportsRejected, Evidence: d.EvidenceCount,
		RegisteredHeight: d.RegisteredHeight, EnergyCapacity: d.EnergyCapacity, VppPool: d.VppPool,
	}
}

// effectiveUnbonding is how long a device's stake unbonds once
// deactivated: its network's unbonding time, or the one in force when
// the stake was locked if that is shorter (x/device Deactivate).
func effectiveUnbonding(d *devicev1.Device, n *networkv1.Network) uint64 {
	u := n.GetParams().GetUnbondingSeconds()
	if d.UnbondingSeconds > 0 && (u == 0 || d.UnbondingSeconds < u) {
		u = d.UnbondingSeconds
	}
	return u
}

func (v deviceView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "device\t%s\n", v.ID)
	fmt.Fprintf(tw, "network\t%s\n", v.Network)
	fmt.Fprintf(tw, "owner\t%s\n", v.Owner)
	fmt.Fprintf(tw, "model\t%s, serial %s, capacity %d\n", v.Model, v.Serial, v.Capacity)
	if v.EnergyCapacity > 0 {
		fmt.Fprintf(tw, "stores\t%s\n", wattHours(int64(min(v.EnergyCapacity, 1<<63-1))))
	}
	if v.VppPool > 0 {
		fmt.Fprintf(tw, "vpp\tmember of pool %d (depin query vpp member %d %s)\n", v.VppPool, v.VppPool, v.ID)
	}
	status := v.Status
	if j := v.Jail; j != nil {
		status += fmt.Sprintf(" at height %d for %s evidence %s", j.Height, strings.ReplaceAll(j.Kind, "_", " "), j.Evidence)
	}
	fmt.Fprintf(tw, "status\t%s\n", status)
	for _, line := range deviceAdvice(v.ID, v.Owner, v.Status, v.StakeUdpin, v.UnbondTime, v.UnbondingSeconds, v.chainTime) {
		fmt.Fprintf(tw, "\t%s\n", line)
	}
	fmt.Fprintf(tw, "stake\t%s\n", formatCoin(bank.NativeDenom, v.StakeUdpin))
	fmt.Fprintf(tw, "location\tcell %s (%.5f, %.5f)\n", v.Cell, v.Lat, v.Lon)
	fmt.Fprintf(tw, "reports\t%d accepted, %d rejected, last seq %d\n", v.ReportsAccepted, v.ReportsRejected, v.LastSeq)
	if v.Evidence > 0 {
		fmt.Fprintf(tw, "evidence\t%d recorded (depin query evidence %s)\n", v.Evidence, v.ID)
	} else {
		fmt.Fprintf(tw, "evidence\tnone\n")
	}
	if v.Tokenized {
		fmt.Fprintf(tw, "shares\ttokenized: its rewards go to its share holders (depin query shares %s)\n", v.ID)
	}
	if l := v.Lease; l != nil {
		fmt.Fprintf(tw, "lease\t%s\n", l.summary())
	} else {
		fmt.Fprintf(tw, "lease\tnone\n")
	}
	fmt.Fprintf(tw, "registered\tat height %d\n", v.RegisteredHeight)
	tw.Flush()
}

// deviceAdvice says what a device's status means and what its owner can
// do, as commands to run. chainTime (unix seconds; 0: unknown) tells an
// unbonding stake from one ready to withdraw.
func deviceAdvice(id, owner, status string, stake uint64, unbondTime int64, unbondingSeconds uint64, chainTime int64) []string {
	unbonding := (time.Duration(unbondingSeconds) * time.Second).String()
	switch status {
	case "jailed":
		return []string{
			"slashed for fraud: it can report no more and earns nothing.",
			fmt.Sprintf("To take back what is left of its stake (%s), deactivate it:", formatCoin(bank.NativeDenom, stake)),
			fmt.Sprintf("  depin tx device deactivate %s --from %s", id, owner),
			fmt.Sprintf("then, after the unbonding (%s), withdraw:", unbonding),
			fmt.Sprintf("  depin tx device withdraw %s --from %s", id, owner),
		}
	case "unbonding":
		at := time.Unix(unbondTime, 0).UTC().Format("2006-01-02 15:04:05 UTC")
		if chainTime > 0 && chainTime >= unbondTime {
			return []string{
				fmt.Sprintf("deactivated; unbonded since %s. Withdraw its stake (%s):", at, formatCoin(bank.NativeDenom, stake)),
				fmt.Sprintf("  depin tx device withdraw %s --from %s", id, owner),
			}
		}
		return []string{
			fmt.Sprintf("deactivated; its stake (%s) can be withdrawn from %s with", formatCoin(bank.NativeDenom, stake), at),
			fmt.Sprintf("  depin tx device withdraw %s --from %s", id, owner),
		}
	case "retired":
		return []string{"deactivated and its stake withdrawn: it can report no more."}
	}
	return nil
}

// deviceList is the devices a query found, in the order of their index.
type deviceList []deviceView

func (l deviceList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No devices match.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DEVICE\tNETWORK\tSTATUS\tCELL\tACCEPTED\tSTAKE")
	for _, v := range l {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", v.ID, v.Network, v.Status, v.Cell, v.ReportsAccepted, formatCoin(bank.NativeDenom, v.StakeUdpin))
	}
	tw.Flush()
}

// workView is a device's verified work in an epoch.
type workView struct {
	Device          string          `json:"device"`
	Network         string          `json:"network"`
	Epoch           uint64          `json:"epoch,string"`
	Totals          []workTotalView `json:"totals"` // by metric id
	CoveredSeconds  uint64          `json:"covered_seconds,string"`
	ReportsAccepted uint64          `json:"reports_accepted,string"`
	ReportsRejected uint64          `json:"reports_rejected,string"`
}

type workTotalView struct {
	Metric uint32 `json:"metric"`
	Name   string `json:"name"` // "" if the network no longer has the metric
	Unit   string `json:"unit"`
	Value  uint64 `json:"value,string"`
}

// newWorkView names the metrics of wr after params (nil: by id only).
func newWorkView(device, net string, params *networkv1.Params, epoch uint64, wr *reportv1.WorkRecord) workView {
	v := workView{Device: device, Network: net, Epoch: epoch, Totals: make([]workTotalView, 0, len(wr.GetTotals())),
		CoveredSeconds: wr.GetCoveredSeconds(), ReportsAccepted: wr.GetReportsAccepted(), ReportsRejected: wr.GetReportsRejected()}
	for _, t := range wr.GetTotals() {
		tv := workTotalView{Metric: t.Id, Value: t.Value}
		if params != nil {
			if m := network.MetricByID(params, t.Id); m != nil {
				tv.Name, tv.Unit = m.Name, m.Unit
			}
		}
		v.Totals = append(v.Totals, tv)
	}
	return v
}

func (v workView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "device\t%s\n", v.Device)
	fmt.Fprintf(tw, "network\t%s, epoch %d\n", v.Network, v.Epoch)
	fmt.Fprintf(tw, "reports\t%d accepted, %d rejected\n", v.ReportsAccepted, v.ReportsRejected)
	fmt.Fprintf(tw, "covered\t%s\n", seconds(v.CoveredSeconds))
	for _, t := range v.Totals {
		name := "metric " + strconv.Itoa(int(t.Metric))
		value := strconv.FormatUint(t.Value, 10)
		if t.Name != "" {
			name, value = t.Name, value+" "+t.Unit
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, value)
	}
	tw.Flush()
}

// evidenceView is fraud evidence recorded against a device.
type evidenceView struct {
	ID        string `json:"id"` // hex
	Kind      string `json:"kind"`
	Device    string `json:"device"`
	Network   string `json:"network"`
	Submitter string `json:"submitter"` // "" if the chain found it itself
	Reports   uint32 `json:"reports"`   // signed reports it holds
	Height    int64  `json:"height,string"`
}

// evidenceList is a device's evidence, oldest first.
type evidenceList []evidenceView

func newEvidenceList(evs []*reportv1.Evidence) evidenceList {
	l := make(evidenceList, 0, len(evs))
	for _, e := range evs {
		l = append(l, evidenceView{ID: hex.EncodeToString(e.Id), Kind: enumName(e.Kind.String(), "EVIDENCE_KIND_"), Device: deviceString(e.Device),
			Network: e.Network, Submitter: accountString(e.Submitter), Reports: uint32(len(e.Reports)), Height: e.Height})
	}
	return l
}

func (l evidenceList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No evidence recorded.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "EVIDENCE\tKIND\tHEIGHT\tREPORTS\tSUBMITTED BY")
	for _, e := range l {
		by := e.Submitter
		if by == "" {
			by = "the chain"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", e.ID, e.Kind, e.Height, e.Reports, by)
	}
	tw.Flush()
}

// deviceKeyView is a device key 'device keygen' wrote.
type deviceKeyView struct {
	Device    string `json:"device"`
	PublicKey string `json:"public_key"` // hex
	KeyFile   string `json:"key_file"`
}

func (v deviceKeyView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "device\t%s\n", v.Device)
	fmt.Fprintf(tw, "public key\t%s\n", v.PublicKey)
	fmt.Fprintf(tw, "key file\t%s (mode 0600)\n", v.KeyFile)
	tw.Flush()
}

// possessionView is a device key's proof of possession for an owner.
type possessionView struct {
	Device  string `json:"device"`
	Owner   string `json:"owner"`
	ChainID string `json:"chain_id"`
	Proof   string `json:"proof"` // hex
}

func (v possessionView) writeText(w io.Writer) { fmt.Fprintln(w, v.Proof) }

// deviceRunView is what a (simulated) device did in 'device run'.
type deviceRunView struct {
	Device    string `json:"device"`
	Signed    uint64 `json:"signed,string"`
	Offline   uint64 `json:"offline,string"`
	Delivered uint64 `json:"delivered,string"`
	Rejected  uint64 `json:"rejected,string"`
	Dropped   uint64 `json:"dropped,string"`
	Pending   uint64 `json:"pending,string"` // still queued
	LastSeq   uint64 `json:"last_seq,string"`
	// The chain's verdicts, as the gateway reported them to the device.
	AcceptedOnChain uint64 `json:"accepted_on_chain,string"`
	RejectedOnChain uint64 `json:"rejected_on_chain,string"`
}

func (v deviceRunView) writeText(w io.Writer) {
	fmt.Fprintf(w, "signed %d reports (last seq %d), delivered %d, rejected %d, dropped %d, still queued %d; on chain: %d accepted, %d rejected\n",
		v.Signed, v.LastSeq, v.Delivered, v.Rejected, v.Dropped, v.Pending, v.AcceptedOnChain, v.RejectedOnChain)
}
