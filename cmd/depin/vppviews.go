package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/client"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
)

// Views of virtual power plants (the output model: render.go). Powers
// are W and energies Wh, as the chain keeps them (the text form says kW
// and kWh); shares of a stake or an allocation are basis points, states
// of charge ‰ (_ppt); unix times end in _time.

// vppTxView is a vpp tx's result with what it made, from its events.
type vppTxView struct {
	txView
	Pool      uint64 `json:"pool,string,omitempty"`     // create: the new pool's id
	Dispatch  uint64 `json:"dispatch,string,omitempty"` // dispatch: the new dispatch's id
	StartTime int64  `json:"start_time,string,omitempty"`
	EndTime   int64  `json:"end_time,string,omitempty"`
	Escrow    uint64 `json:"escrow,string,omitempty"`
	Credits   uint64 `json:"credits,string,omitempty"` // dispatch: spent; buy-credits: bought
	Burned    uint64 `json:"burned,string,omitempty"`  // buy-credits: the network's tokens burned
	Denom     string `json:"denom,omitempty"`          // of the escrow, or of what was burned
	LeaveTime int64  `json:"leave_time,string,omitempty"`
	Left      bool   `json:"left,omitempty"` // leave: out of the pool at once
}

func (v vppTxView) writeText(w io.Writer) {
	v.txView.writeText(w)
	switch {
	case v.Pool != 0:
		fmt.Fprintf(w, "Opened pool %d. Owners put batteries in with: depin tx vpp join %d DEVICE… (or --all) --from OWNER\n", v.Pool, v.Pool)
	case v.Dispatch != 0:
		fmt.Fprintf(w, "Dispatch %d from %s to %s: escrowed %s, spent %d credits.\n", v.Dispatch, unixTime(v.StartTime), unixTime(v.EndTime),
			formatCoin(v.Denom, v.Escrow), v.Credits)
		fmt.Fprintf(w, "Follow it with: depin query vpp dispatch %d\n", v.Dispatch)
	case v.Burned != 0 || v.Credits != 0:
		fmt.Fprintf(w, "Bought %d service credits for %s, burned.\n", v.Credits, formatCoin(v.Denom, v.Burned))
	case v.Left:
		fmt.Fprintln(w, "The battery left the pool.")
	case v.LeaveTime != 0:
		fmt.Fprintf(w, "The battery leaves the pool at %s (after the dispatches it is in settle).\n", unixTime(v.LeaveTime))
	}
}

// unixTime is a unix time as people read it, in UTC.
func unixTime(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02 15:04:05 UTC") }

// watts shows a power: "500 W", "5 kW", "2.5 kW".
func watts(w uint64) string {
	if w < 1000 {
		return fmt.Sprintf("%d W", w)
	}
	return thousandths(w) + " kW"
}

// wattHours shows an energy: "500 Wh", "1.25 kWh"; negative ones too.
func wattHours(wh int64) string {
	if wh < 0 {
		return "-" + wattHours(-max(wh, -1<<63+1))
	}
	if wh < 1000 {
		return fmt.Sprintf("%d Wh", wh)
	}
	return thousandths(uint64(wh)) + " kWh"
}

func thousandths(v uint64) string {
	s := fmt.Sprintf("%d.%03d", v/1000, v%1000)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// permille shows ‰ as a percentage: 200 → "20%".
func permille(ppt uint32) string {
	return strconv.FormatFloat(float64(ppt)/10, 'f', -1, 64) + "%"
}

// countOf is "1 member", "3 members".
func countOf(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// directionName is "discharge" or "charge"; a challenge whose members
// go different ways has none: "mixed".
func directionName(d vppv1.Direction) string {
	if d == vppv1.Direction_DIRECTION_UNSPECIFIED {
		return "mixed"
	}
	return enumName(d.String(), "DIRECTION_")
}

// vppPoolView is a virtual power plant.
type vppPoolView struct {
	ID                uint64 `json:"id,string"`
	Name              string `json:"name"`
	Network           string `json:"network"`
	Operator          string `json:"operator"`
	Status            string `json:"status"`            // open, closed
	Region            string `json:"region"`            // H3 cell, hex
	RegionResolution  uint32 `json:"region_resolution"` // the cell's H3 resolution
	Denom             string `json:"denom"`
	PricePerKwh       uint64 `json:"price_per_kwh,string"`
	PenaltyBps        uint32 `json:"penalty_bps"`
	MinResponseBps    uint32 `json:"min_response_bps"`
	NoticeSeconds     uint64 `json:"notice_seconds,string"`
	Members           uint64 `json:"members,string"`
	MaxW              uint64 `json:"max_w,string"` // Σ members' limits
	Dispatches        uint64 `json:"dispatches,string"`
	Challenges        uint64 `json:"challenges,string"`
	DeliveredWh       uint64 `json:"delivered_wh,string"` // over settled dispatches
	Paid              uint64 `json:"paid,string"`
	BusyUntilTime     int64  `json:"busy_until_time,string"`     // the end of its last dispatch window (0: none)
	NextChallengeTime int64  `json:"next_challenge_time,string"` // 0: none scheduled
	CreatedHeight     int64  `json:"created_height,string"`
}

func newVppPoolView(p *vppv1.Pool) vppPoolView {
	st := "open"
	if p.Closed {
		st = "closed"
	}
	return vppPoolView{ID: p.Id, Name: p.Name, Network: p.Network, Operator: accountString(p.Operator), Status: st, Region: cellString(p.Cell),
		RegionResolution: uint32(h3.Resolution(p.Cell)), Denom: p.Denom, PricePerKwh: p.PricePerKwh, PenaltyBps: p.PenaltyBps,
		MinResponseBps: p.MinResponseBps, NoticeSeconds: p.NoticeSeconds, Members: p.Members, MaxW: p.MaxW, Dispatches: p.Dispatches,
		Challenges: p.Challenges, DeliveredWh: p.DeliveredWh, Paid: p.Paid, BusyUntilTime: p.BusyUntil, NextChallengeTime: p.NextChallenge,
		CreatedHeight: p.CreatedHeight}
}

func (v vppPoolView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "pool\t%d %q (%s)\n", v.ID, v.Name, v.Status)
	fmt.Fprintf(tw, "network\t%s\n", v.Network)
	fmt.Fprintf(tw, "operator\t%s\n", v.Operator)
	fmt.Fprintf(tw, "region\tH3 cell %s (resolution %d)\n", v.Region, v.RegionResolution)
	fmt.Fprintf(tw, "price\t%s per kWh delivered\n", formatCoin(v.Denom, v.PricePerKwh))
	fmt.Fprintf(tw, "penalty\t%s of a member's stake per miss (delivering under %s of its allocation)\n", percent(v.PenaltyBps), percent(v.MinResponseBps))
	fmt.Fprintf(tw, "notice\t%s to leave\n", seconds(v.NoticeSeconds))
	fmt.Fprintf(tw, "members\t%d, offering %s\n", v.Members, watts(v.MaxW))
	fmt.Fprintf(tw, "dispatches\t%d, and %d challenges\n", v.Dispatches, v.Challenges)
	fmt.Fprintf(tw, "delivered\t%s, paid %s\n", wattHours(int64(min(v.DeliveredWh, 1<<63-1))), formatCoin(v.Denom, v.Paid))
	if v.BusyUntilTime != 0 {
		fmt.Fprintf(tw, "busy until\t%s (its last dispatch's end)\n", unixTime(v.BusyUntilTime))
	}
	if v.NextChallengeTime != 0 {
		fmt.Fprintf(tw, "next challenge\t%s\n", unixTime(v.NextChallengeTime))
	}
	fmt.Fprintf(tw, "created\tat height %d\n", v.CreatedHeight)
	tw.Flush()
}

// vppPoolList is a network's pools, by id.
type vppPoolList []vppPoolView

func (l vppPoolList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No pools. An operator opens one with 'depin tx vpp create'.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "POOL\tNAME\tSTATUS\tREGION\tMEMBERS\tOFFERING\tPRICE/kWh\tDISPATCHES")
	for _, p := range l {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\n", p.ID, p.Name, p.Status, p.Region, p.Members, watts(p.MaxW), formatCoin(p.Denom, p.PricePerKwh), p.Dispatches)
	}
	tw.Flush()
}

// vppAllocationView is a member's part of a dispatch not settled yet.
type vppAllocationView struct {
	Dispatch   uint64 `json:"dispatch,string"`
	Challenge  bool   `json:"challenge"`
	Direction  string `json:"direction"`
	PowerW     uint64 `json:"power_w,string"`
	StartTime  int64  `json:"start_time,string"`
	EndTime    int64  `json:"end_time,string"`
	BaselineWh int64  `json:"baseline_wh,string"` // per interval, fixed by its first report in the window
	Baseline   bool   `json:"baseline_taken"`
	WindowWh   int64  `json:"window_wh,string"` // metered in the window so far, in the direction
}

// vppMemberView is a battery's membership of a pool.
type vppMemberView struct {
	Pool        uint64              `json:"pool,string"`
	Device      string              `json:"device"`
	MaxW        uint64              `json:"max_w,string"`
	MinSocPpt   uint32              `json:"min_soc_ppt"`
	RatedW      uint64              `json:"rated_w,string"`
	EnergyWh    uint64              `json:"energy_wh,string"`
	SocPpt      uint32              `json:"soc_ppt"`
	SocKnown    bool                `json:"soc_known"`
	RepPpm      uint32              `json:"reputation_ppm"`
	JoinedTime  int64               `json:"joined_time,string"`
	LeaveTime   int64               `json:"leave_time,string,omitempty"`
	Misses      uint32              `json:"misses"` // in a row
	Passed      uint64              `json:"passed,string"`
	Failed      uint64              `json:"failed,string"`
	DeliveredWh uint64              `json:"delivered_wh,string"`
	Earned      uint64              `json:"earned,string"`
	HistoryWh   []string            `json:"history_wh"` // net energy (discharged − charged) of the last metered intervals outside events, oldest first
	Allocations []vppAllocationView `json:"allocations"`
	Height      int64               `json:"height,string,omitempty"`
	Proven      bool                `json:"proven,omitempty"`
	AppHash     string              `json:"app_hash,omitempty"`
}

func newVppMemberView(m *vppv1.Member, r *client.KeyResult) vppMemberView {
	v := vppMemberView{Pool: m.Pool, Device: deviceString(m.Device), MaxW: m.MaxW, MinSocPpt: m.MinSocPpt, RatedW: m.RatedW, EnergyWh: m.EnergyWh,
		SocPpt: m.SocPpt, SocKnown: m.SocKnown, RepPpm: m.RepPpm, JoinedTime: m.JoinedTime, LeaveTime: m.LeaveTime, Misses: m.Misses,
		Passed: m.Passed, Failed: m.Failed, DeliveredWh: m.DeliveredWh, Earned: m.Earned, HistoryWh: []string{}, Allocations: []vppAllocationView{}}
	for _, h := range m.HistoryWh {
		v.HistoryWh = append(v.HistoryWh, strconv.FormatInt(h, 10))
	}
	for _, a := range m.Allocs {
		v.Allocations = append(v.Allocations, vppAllocationView{Dispatch: a.Dispatch, Challenge: a.Challenge, Direction: directionName(a.Direction),
			PowerW: a.PowerW, StartTime: a.Start, EndTime: a.End, BaselineWh: a.BaselineWh, Baseline: a.BaselineTaken, WindowWh: a.WindowWh})
	}
	if r != nil {
		v.Height, v.Proven = r.Height, r.Proven
		if r.Proven {
			v.AppHash = fmt.Sprintf("%X", r.AppHash)
		}
	}
	return v
}

func (v vppMemberView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "device\t%s\n", v.Device)
	fmt.Fprintf(tw, "pool\t%d\n", v.Pool)
	fmt.Fprintf(tw, "offers\tup to %s (rated %s), never below %s charge\n", watts(v.MaxW), watts(v.RatedW), permille(v.MinSocPpt))
	soc := "not reported yet"
	if v.SocKnown {
		soc = permille(v.SocPpt)
	}
	fmt.Fprintf(tw, "stores\t%s, charged %s\n", wattHours(int64(min(v.EnergyWh, 1<<63-1))), soc)
	fmt.Fprintf(tw, "responses\t%d delivered, %d missed (%d in a row)\n", v.Passed, v.Failed, v.Misses)
	fmt.Fprintf(tw, "delivered\t%s, earned %d (in the pool's denom)\n", wattHours(int64(min(v.DeliveredWh, 1<<63-1))), v.Earned)
	fmt.Fprintf(tw, "baseline\t%d intervals metered outside events\n", len(v.HistoryWh))
	fmt.Fprintf(tw, "joined\t%s\n", unixTime(v.JoinedTime))
	if v.LeaveTime != 0 {
		fmt.Fprintf(tw, "leaving\tat %s\n", unixTime(v.LeaveTime))
	}
	for _, a := range v.Allocations {
		what := "dispatch"
		if a.Challenge {
			what = "challenge"
		}
		fmt.Fprintf(tw, "%s %d\t%s %s from %s to %s, %s metered so far\n", what, a.Dispatch, a.Direction, watts(a.PowerW), unixTime(a.StartTime),
			unixTime(a.EndTime), wattHours(a.WindowWh))
	}
	if v.Proven {
		fmt.Fprintf(tw, "proven\tat height %d (app hash %s)\n", v.Height, v.AppHash)
	}
	tw.Flush()
}

// vppMemberList is a pool's members, by device id.
type vppMemberList []vppMemberView

func (l vppMemberList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No members. Owners put batteries in with 'depin tx vpp join'.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DEVICE\tMAX\tMIN SOC\tSOC\tDELIVERED\tMISSED\tLEAVING")
	for _, m := range l {
		soc, leaving := "-", "-"
		if m.SocKnown {
			soc = permille(m.SocPpt)
		}
		if m.LeaveTime != 0 {
			leaving = unixTime(m.LeaveTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d of %d\t%d\t%s\n", m.Device, watts(m.MaxW), permille(m.MinSocPpt), soc, m.Passed, m.Passed+m.Failed, m.Failed, leaving)
	}
	tw.Flush()
}

// vppDispatchView is an operator's dispatch or the chain's challenge.
type vppDispatchView struct {
	ID               uint64   `json:"id,string"`
	Pool             uint64   `json:"pool,string"`
	Network          string   `json:"network"`
	Kind             string   `json:"kind"`     // dispatch, challenge
	Operator         string   `json:"operator"` // "" for a challenge
	Direction        string   `json:"direction"`
	PowerW           uint64   `json:"power_w,string"`
	StartTime        int64    `json:"start_time,string"`
	EndTime          int64    `json:"end_time,string"`
	SettleTime       int64    `json:"settle_time,string"`
	Status           string   `json:"status"` // weighing, allocating, allocated, settling, settled
	Denom            string   `json:"denom"`
	PricePerKwh      uint64   `json:"price_per_kwh,string"`
	PenaltyBps       uint32   `json:"penalty_bps"`
	MinResponseBps   uint32   `json:"min_response_bps"`
	Credits          uint64   `json:"credits,string"`
	Escrow           uint64   `json:"escrow,string"` // what is left of it
	AllocatedW       uint64   `json:"allocated_w,string"`
	AllocatedWh      uint64   `json:"allocated_wh,string"`
	AllocatedMembers uint64   `json:"allocated_members,string"`
	BaselineWh       uint64   `json:"baseline_wh,string"` // Σ over settled members
	MeteredWh        int64    `json:"metered_wh,string"`
	DeliveredWh      uint64   `json:"delivered_wh,string"`
	Paid             uint64   `json:"paid,string"`
	Refunded         uint64   `json:"refunded,string"`
	Responded        uint64   `json:"responded,string"`
	Missed           uint64   `json:"missed,string"`
	Penalties        uint64   `json:"penalties_udpin,string"`
	Members          []string `json:"members"` // a challenge's devices
	CreatedHeight    int64    `json:"created_height,string"`
}

func newVppDispatchView(d *vppv1.Dispatch) vppDispatchView {
	kind := "dispatch"
	if d.Challenge {
		kind = "challenge"
	}
	v := vppDispatchView{ID: d.Id, Pool: d.Pool, Network: d.Network, Kind: kind, Operator: accountString(d.Operator), Direction: directionName(d.Direction),
		PowerW: d.PowerW, StartTime: d.Start, EndTime: d.End, SettleTime: d.SettleTime, Status: enumName(d.Status.String(), "DISPATCH_STATUS_"),
		Denom: d.Denom, PricePerKwh: d.PricePerKwh, PenaltyBps: d.PenaltyBps, MinResponseBps: d.MinResponseBps, Credits: d.Credits, Escrow: d.Escrow,
		AllocatedW: d.AllocatedW, AllocatedWh: d.AllocatedWh, AllocatedMembers: d.AllocatedMembers, BaselineWh: d.BaselineWh, MeteredWh: d.MeteredWh,
		DeliveredWh: d.DeliveredWh, Paid: d.Paid, Refunded: d.Refunded, Responded: d.Responded, Missed: d.Missed, Penalties: d.Penalties,
		Members: []string{}, CreatedHeight: d.CreatedHeight}
	if d.Challenge {
		for _, m := range d.Members {
			v.Members = append(v.Members, deviceString(m))
		}
	}
	return v
}

func (v vppDispatchView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "%s\t%d of pool %d (%s)\n", v.Kind, v.ID, v.Pool, v.Network)
	if v.Operator != "" {
		fmt.Fprintf(tw, "operator\t%s\n", v.Operator)
	}
	fmt.Fprintf(tw, "asks\t%s %s from %s to %s\n", v.Direction, watts(v.PowerW), unixTime(v.StartTime), unixTime(v.EndTime))
	switch v.Status {
	case "settled":
		fmt.Fprintf(tw, "status\tsettled (from %s)\n", unixTime(v.SettleTime))
	case "settling":
		fmt.Fprintf(tw, "status\tsettling since %s\n", unixTime(v.SettleTime))
	default:
		fmt.Fprintf(tw, "status\t%s; settles from %s\n", v.Status, unixTime(v.SettleTime))
	}
	fmt.Fprintf(tw, "allocated\t%s (%s) to %s\n", watts(v.AllocatedW), wattHours(int64(min(v.AllocatedWh, 1<<63-1))), countOf(v.AllocatedMembers, "member"))
	if v.Kind == "dispatch" {
		fmt.Fprintf(tw, "terms\t%s per kWh; a miss is under %s of an allocation and costs %s of a stake\n", formatCoin(v.Denom, v.PricePerKwh),
			percent(v.MinResponseBps), percent(v.PenaltyBps))
		fmt.Fprintf(tw, "cost\t%d credits; escrow left %s\n", v.Credits, formatCoin(v.Denom, v.Escrow))
	}
	if v.Status == "settled" || v.Status == "settling" {
		fmt.Fprintf(tw, "measured\t%s metered, baseline %s, delivered %s\n", wattHours(v.MeteredWh), wattHours(int64(min(v.BaselineWh, 1<<63-1))),
			wattHours(int64(min(v.DeliveredWh, 1<<63-1))))
		fmt.Fprintf(tw, "responses\t%d responded, %d missed; %s taken from stakes\n", v.Responded, v.Missed, formatCoin("udpin", v.Penalties))
		if v.Kind == "dispatch" {
			fmt.Fprintf(tw, "money\tpaid %s, refunded %s\n", formatCoin(v.Denom, v.Paid), formatCoin(v.Denom, v.Refunded))
		}
	}
	for _, m := range v.Members {
		fmt.Fprintf(tw, "tests\t%s\n", m)
	}
	fmt.Fprintf(tw, "created\tat height %d\n", v.CreatedHeight)
	tw.Flush()
}

// vppDispatchList is a pool's dispatches, oldest first.
type vppDispatchList []vppDispatchView

func (l vppDispatchList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No dispatches yet. The operator dispatches with 'depin tx vpp dispatch'.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tKIND\tDIRECTION\tPOWER\tSTART\tSTATUS\tDELIVERED\tPAID")
	for _, d := range l {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.Direction, watts(d.PowerW), unixTime(d.StartTime), d.Status,
			wattHours(int64(min(d.DeliveredWh, 1<<63-1))), formatCoin(d.Denom, d.Paid))
	}
	tw.Flush()
}

// vppCreditsView is an account's service credits in a network.
type vppCreditsView struct {
	Network string `json:"network"`
	Account string `json:"account"`
	Credits uint64 `json:"credits,string"`
	Height  int64  `json:"height,string"`
	Proven  bool   `json:"proven"`
	AppHash string `json:"app_hash,omitempty"`
}

func (v vppCreditsView) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s has %d service credits in %s (height %d", v.Account, v.Credits, v.Network, v.Height)
	if v.Proven {
		fmt.Fprintf(w, ", proven: app hash %s", v.AppHash)
	}
	fmt.Fprintln(w, ")")
}

type vppCreditBalanceView struct {
	Account string `json:"account"`
	Credits uint64 `json:"credits,string"`
}

// vppBooksView is a network's service-credit books and balances.
type vppBooksView struct {
	Network     string                 `json:"network"`
	Denom       string                 `json:"denom"`               // the network's token, which credits are bought with
	CreditPrice uint64                 `json:"credit_price,string"` // tokens per credit now (0: no vpp params)
	Burned      uint64                 `json:"burned,string"`       // tokens burned for credits
	Minted      uint64                 `json:"minted,string"`       // credits
	Spent       uint64                 `json:"spent,string"`        // credits spent on dispatches
	Outstanding uint64                 `json:"outstanding,string"`  // minted − spent: Σ balances
	Balances    []vppCreditBalanceView `json:"balances"`
}

func (v vppBooksView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintf(tw, "network\t%s\n", v.Network)
	if v.CreditPrice != 0 {
		fmt.Fprintf(tw, "credit price\t%s per credit\n", formatCoin(v.Denom, v.CreditPrice))
	}
	fmt.Fprintf(tw, "burned\t%s for credits\n", formatCoin(v.Denom, v.Burned))
	fmt.Fprintf(tw, "credits\t%d minted, %d spent, %d held\n", v.Minted, v.Spent, v.Outstanding)
	tw.Flush()
	if len(v.Balances) > 0 {
		tw = newTable(w)
		fmt.Fprintln(tw, "ACCOUNT\tCREDITS")
		for _, b := range v.Balances {
			fmt.Fprintf(tw, "%s\t%d\n", b.Account, b.Credits)
		}
		tw.Flush()
	}
}

// vppParamsView is a network's flexibility params.
type vppParamsView struct {
	ChargedMetric      uint32 `json:"charged_metric"`
	DischargedMetric   uint32 `json:"discharged_metric"`
	SocMetric          uint32 `json:"soc_metric"`
	IntervalSeconds    uint64 `json:"interval_seconds,string"`
	BaselineIntervals  uint32 `json:"baseline_intervals"`
	SettleDelaySeconds uint64 `json:"settle_delay_seconds,string"`
	MinLeadSeconds     uint64 `json:"min_lead_seconds,string"`
	MaxDurationSeconds uint64 `json:"max_duration_seconds,string"`
	MaxNoticeSeconds   uint64 `json:"max_notice_seconds,string"`
	CreditPrice        uint64 `json:"credit_price,string"`
	DispatchCredits    uint64 `json:"dispatch_credits,string"`
	KwhCredits         uint64 `json:"kwh_credits,string"`
	ChallengeSeconds   uint64 `json:"challenge_seconds,string"`
	ChallengeDevices   uint32 `json:"challenge_devices"`
	ChallengePowerBps  uint32 `json:"challenge_power_bps"`
	MaxMisses          uint32 `json:"max_misses"`
	MaxPenaltyBps      uint32 `json:"max_penalty_bps"`
}

func newVppParamsView(p *vppv1.VppParams) *vppParamsView {
	if p == nil {
		return nil
	}
	return &vppParamsView{ChargedMetric: p.ChargedMetric, DischargedMetric: p.DischargedMetric, SocMetric: p.SocMetric, IntervalSeconds: p.IntervalSeconds,
		BaselineIntervals: p.BaselineIntervals, SettleDelaySeconds: p.SettleDelaySeconds, MinLeadSeconds: p.MinLeadSeconds,
		MaxDurationSeconds: p.MaxDurationSeconds, MaxNoticeSeconds: p.MaxNoticeSeconds, CreditPrice: p.CreditPrice, DispatchCredits: p.DispatchCredits,
		KwhCredits: p.KwhCredits, ChallengeSeconds: p.ChallengeSeconds, ChallengeDevices: p.ChallengeDevices, ChallengePowerBps: p.ChallengePowerBps,
		MaxMisses: p.MaxMisses, MaxPenaltyBps: p.MaxPenaltyBps}
}

// writeText writes the params as rows of a network's table.
func (p *vppParamsView) writeText(tw io.Writer, indent string, denom string) {
	fmt.Fprintf(tw, indent+"vpp\tmetering every %s (charged metric %d, discharged %d, state of charge %d), baseline of %d intervals, settled %s after a window\n",
		seconds(p.IntervalSeconds), p.ChargedMetric, p.DischargedMetric, p.SocMetric, p.BaselineIntervals, seconds(p.SettleDelaySeconds))
	fmt.Fprintf(tw, indent+"\tdispatches %s to %s ahead, at most %s long; notices up to %s; penalties up to %s, dropped after %d misses in a row\n",
		seconds(p.MinLeadSeconds), "30 days", seconds(p.MaxDurationSeconds), seconds(p.MaxNoticeSeconds), percent(p.MaxPenaltyBps), p.MaxMisses)
	fmt.Fprintf(tw, indent+"\tcredits cost %s each; a dispatch %d credits and %d per kWh\n", formatCoin(denom, p.CreditPrice), p.DispatchCredits, p.KwhCredits)
	if p.ChallengeSeconds > 0 && p.ChallengeDevices > 0 {
		fmt.Fprintf(tw, indent+"\tchallenges every %s: %d members at %s of their headroom\n", seconds(p.ChallengeSeconds), p.ChallengeDevices, percent(p.ChallengePowerBps))
	} else {
		fmt.Fprint(tw, indent+"\tno challenges\n")
	}
}
