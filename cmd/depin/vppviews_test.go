package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/api/network"
	apivpp "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// TestVppViewsGolden renders the virtual-power-plant views from fixed
// records, as JSON and as text, against testdata/vpp_views.golden: a
// pool, a member with an open allocation (proven), a settled dispatch and
// a challenge, credit books, the txs' results, and an energy network with
// vpp params and its token's emission against what was burned.
func TestVppViewsGolden(t *testing.T) {
	addr := func(name string) []byte { a := crypto.AddressFromPubKey(seed(name)); return a[:] }
	acct := func(name string) string { return accountString(addr(name)) }
	pool := &vppv1.Pool{Id: 1, Network: "grid", Operator: addr("utility"), Name: "Berlin VPP", Cell: 0x851f1d4bfffffff, Denom: "udpin",
		PricePerKwh: 1_000_000, PenaltyBps: 100, MinResponseBps: 5000, NoticeSeconds: 3600, Members: 3, MaxW: 15_000, BusyUntil: 1_764_000_120,
		CreatedHeight: 12, NextChallenge: 1_764_003_600, Dispatches: 1, DeliveredWh: 160, Paid: 160_000, Challenges: 2}
	member := &vppv1.Member{Pool: 1, Device: addr("b1"), MaxW: 5000, MinSocPpt: 200, RatedW: 5000, EnergyWh: 13_500, JoinedTime: 1_763_990_000,
		LeaveTime: 1_764_007_200, Misses: 1, Passed: 4, Failed: 1, IntervalSeconds: 60, Interval: 29_400_000, HistoryWh: []int64{0, 20, -5},
		SocPpt: 480, SocKnown: true, RepPpm: 961_538, DeliveredWh: 100, Earned: 100_000,
		Allocs: []*vppv1.Allocation{{Dispatch: 2, Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 3000, Start: 1_764_000_000, End: 1_764_000_120,
			BaselineTaken: true, BaselineWh: 20, WindowWh: 50}}}
	settled := &vppv1.Dispatch{Id: 1, Pool: 1, Network: "grid", Operator: addr("utility"), Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 9000,
		Start: 1_764_000_000, End: 1_764_000_120, Denom: "udpin", PricePerKwh: 1_000_000, PenaltyBps: 100, MinResponseBps: 5000, IntervalSeconds: 60,
		SettleTime: 1_764_000_150, Credits: 11, Status: vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED, AllocatedW: 9000, AllocatedMembers: 3,
		BaselineWh: 40, MeteredWh: 200, DeliveredWh: 160, Paid: 160_000, Refunded: 140_000, Responded: 2, Missed: 1, Penalties: 100_000,
		CreatedHeight: 20, AllocatedWh: 300}
	challenge := &vppv1.Dispatch{Id: 2, Pool: 1, Network: "grid", Direction: vppv1.Direction_DIRECTION_CHARGE, PowerW: 2500, Start: 1_764_003_660,
		End: 1_764_003_720, Denom: "udpin", MinResponseBps: 5000, IntervalSeconds: 60, SettleTime: 1_764_003_750,
		Status: vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED, Challenge: true, CreatedHeight: 90, AllocatedW: 2500, AllocatedMembers: 1,
		AllocatedWh: 41, Members: [][]byte{addr("b2")}}
	vp := apivpp.DefaultParams()
	grid := &networkv1.Network{Id: "grid", Name: "Grid", Owner: addr("alice"), Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
		RewardDenom: "ugrid", CreatedHeight: 3, Params: &networkv1.Params{
			Metrics: []*networkv1.Metric{{Id: 1, Name: "charged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
				{Id: 2, Name: "discharged", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}, {Id: 3, Name: "soc", Unit: "permille", BoundNum: 1000, BoundDen: 1}},
			EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30, MinStake: 10_000_000, UnbondingSeconds: 86400,
			MinMoveIntervalSeconds: 86400, Rewards: network.DefaultRewards(1_000_000_000), Vpp: vp}}
	minted, burned := uint64(3_000_000_000), uint64(200)
	gridView := newNetworkView(grid)
	gridView.Minted, gridView.Burned = &minted, &burned
	tx := txView{Hash: "AB12", Status: txCommitted, Height: 5}
	cases := []struct {
		name string
		v    view
	}{
		{"tx vpp create", vppTxView{txView: tx, Pool: 1}},
		{"tx vpp dispatch", vppTxView{txView: tx, Dispatch: 3, StartTime: 1_764_000_000, EndTime: 1_764_000_900, Escrow: 2_500_000, Denom: "udpin", Credits: 150}},
		{"tx vpp buy-credits", vppTxView{txView: tx, Credits: 100, Burned: 200, Denom: "ugrid"}},
		{"tx vpp leave", vppTxView{txView: tx, LeaveTime: 1_764_003_600}},
		{"tx vpp leave at once", vppTxView{txView: tx, Left: true}},
		{"pool", newVppPoolView(pool)},
		{"pools", vppPoolList{newVppPoolView(pool)}},
		{"pools none", vppPoolList(nil)},
		{"member proven", newVppMemberView(member, &client.KeyResult{Height: 30, Proven: true, AppHash: seed("app")})},
		{"members", vppMemberList{newVppMemberView(member, nil)}},
		{"members none", vppMemberList(nil)},
		{"dispatch settled", newVppDispatchView(settled)},
		{"challenge", newVppDispatchView(challenge)},
		{"dispatches", vppDispatchList{newVppDispatchView(settled), newVppDispatchView(challenge)}},
		{"dispatches none", vppDispatchList(nil)},
		{"credits", vppCreditsView{Network: "grid", Account: acct("utility"), Credits: 89, Height: 30}},
		{"credit books", vppBooksView{Network: "grid", Denom: "ugrid", CreditPrice: 2, Burned: 200, Minted: 100, Spent: 11, Outstanding: 89,
			Balances: []vppCreditBalanceView{{Account: acct("utility"), Credits: 89}}}},
		{"network with vpp, emission and burn", gridView},
	}
	var out bytes.Buffer
	for _, c := range cases {
		out.WriteString("-- " + c.name + " --\n")
		for _, format := range []string{"json", "text"} {
			g := &globals{output: format}
			if err := g.render(&out, c.v); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		out.WriteString("\n")
	}
	checkGolden(t, "vpp_views.golden", out.String())
}

// TestVppArguments: powers, shares, prices, regions, starts and
// durations convert to the chain's units exactly, or are usage errors
// (exit 2) that say what was wrong.
func TestVppArguments(t *testing.T) {
	type conv func(string) (uint64, error)
	kw := func(s string) (uint64, error) { return parseKW("--kw", s) }
	ppt := func(s string) (uint64, error) { return parseShare("--min-soc", s, apivpp.PPT) }
	bps := func(s string) (uint64, error) { return parseShare("--penalty", s, apivpp.BPS) }
	region := func(s string) (uint64, error) { return parseRegion(s) }
	for _, c := range []struct {
		what string
		f    conv
		in   string
		want uint64
		err  string // "" for none
	}{
		{"kW", kw, "5", 5000, ""},
		{"kW with decimals", kw, "2.5", 2500, ""},
		{"kW with its unit", kw, "0.75kW", 750, ""},
		{"kW to the watt", kw, "0.001", 1, ""},
		{"a fraction of a watt", kw, "0.0005", 0, "too fine"},
		{"negative kW", kw, "-5", 0, "cannot be negative"},
		{"zero kW", kw, "0", 0, "more than 0"},
		{"kW overflowing 64 bits", kw, "18446744073709552", 0, "too large"},
		{"kW in exponent form", kw, "1e3", 0, "not a number"},
		{"kW as a fraction", kw, "1/2", 0, "not a number"},
		{"kW empty", kw, "", 0, "no number"},
		{"state of charge", ppt, "20%", 200, ""},
		{"state of charge without %", ppt, "20", 200, ""},
		{"state of charge in tenths", ppt, "20.5%", 205, ""},
		{"state of charge too fine", ppt, "20.55%", 0, "too fine"},
		{"state of charge negative", ppt, "-1%", 0, "cannot be negative"},
		{"state of charge over 100", ppt, "101%", 0, "at most 100%"},
		{"penalty", bps, "1%", 100, ""},
		{"penalty in hundredths", bps, "0.25%", 25, ""},
		{"penalty too fine", bps, "0.125%", 0, "too fine"},
		{"region", region, "851f1d4bfffffff", 0x851f1d4bfffffff, ""},
		{"region 0x", region, "0x851F1D4BFFFFFFF", 0x851f1d4bfffffff, ""},
		{"region not a cell", region, "ffffffffffffffff", 0, "not an H3 cell"},
		{"region around a point", region, "52.52,13.40@4", 0x841f1d5ffffffff, ""},
		{"region around a point, spaced", region, " 52.52, 13.40 @ 4 ", 0x841f1d5ffffffff, ""},
		{"region around a point at the default resolution", region, "52.52,13.40", 0x851f1d4bfffffff, ""},
		{"region of a whole continent", region, "52.52,13.40@0", 0x801ffffffffffff, ""},
		{"region at a resolution past 15", region, "52.52,13.40@16", 0, "out of range"},
		{"region at a negative resolution", region, "52.52,13.40@-1", 0, "out of range"},
		{"region at no resolution", region, "52.52,13.40@", 0, "whole number"},
		{"region past the pole", region, "91,13.40@4", 0, "latitude ±90"},
		{"region of words", region, "berlin,germany", 0, "LAT,LON"},
		{"region NaN", region, "NaN,13.40", 0, "latitude ±90"},
		{"region not hex", region, "berlin", 0, "not an H3 cell"},
	} {
		got, err := c.f(c.in)
		var ue usageError
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %q → %d, %v; want %d", c.what, c.in, got, err, c.want)
		case c.err != "" && (err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %q → %d, %v; want a usage error saying %q", c.what, c.in, got, err, c.err)
		}
	}
	if a, err := splitPerKWh("50udpin/kWh"); err != nil || a != "50udpin" {
		t.Errorf("price: %q %v", a, err)
	}
	for _, bad := range []string{"50udpin", "50udpin/MWh", "50udpin/kW"} {
		if _, err := splitPerKWh(bad); err == nil {
			t.Errorf("price %q accepted", bad)
		}
	}

	// Starts: rounded up to the interval, at least min_lead (and the
	// tx's way to a block) ahead.
	now := time.Unix(1_764_000_005, 0)
	for _, c := range []struct {
		in             string
		interval, lead uint64
		want           int64
		err            string
	}{
		{in: "+2m", interval: 300, lead: 60, want: 1_764_000_300},
		{in: "+2m", interval: 60, lead: 60, want: 1_764_000_180},
		{in: "+60s", interval: 60, lead: 60, want: 1_764_000_120},
		{in: "+55s", interval: 60, lead: 55, want: 1_764_000_120}, // +55 s rounds to 1_764_000_060, too close for the tx to reach a block: one more interval
		{in: "+10s", interval: 60, lead: 60, err: "at least 1m0s ahead"},
		{in: "+2x", interval: 60, lead: 60, err: "want +DURATION"},
		{in: "2025-11-24T16:10:00Z", interval: 300, lead: 60, want: 1_764_000_600},
		{in: "1764000601", interval: 300, lead: 60, want: 1_764_000_900},
		{in: "1764000010", interval: 300, lead: 60, err: "less than 1m0s from now"},
		{in: "tomorrow", interval: 300, lead: 60, err: "want +DURATION"},
	} {
		got, err := dispatchStart(c.in, now, c.interval, c.lead)
		var ue usageError
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("--start %s (interval %d, lead %d): %d, %v; want %d", c.in, c.interval, c.lead, got, err, c.want)
		case c.err != "" && (err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("--start %s: %d, %v; want a usage error saying %q", c.in, got, err, c.err)
		case err == nil && got%int64(c.interval) != 0:
			t.Errorf("--start %s: %d is not on the interval", c.in, got)
		}
	}
	if s, err := dispatchDuration(15*time.Minute, 300); err != nil || s != 900 {
		t.Errorf("--duration 15m: %d %v", s, err)
	}
	for _, bad := range []time.Duration{7 * time.Minute, 0, -time.Minute, 300*time.Second + time.Millisecond} {
		if _, err := dispatchDuration(bad, 300); err == nil || !strings.Contains(err.Error(), "whole intervals of 5m0s") {
			t.Errorf("--duration %s: %v", bad, err)
		}
	}
	if c, d, s, err := vppMetrics("charged=4,discharged=5"); err != nil || c != 4 || d != 5 || s != 0 {
		t.Errorf("vpp metrics: %d %d %d %v", c, d, s, err)
	}
	for _, bad := range []string{"charged=1", "charged=1,discharged=x", "charged=1,discharged=2,volts=3", "charged=1,charged=2,discharged=3"} {
		if _, _, _, err := vppMetrics(bad); err == nil {
			t.Errorf("--vpp-metrics %q accepted", bad)
		}
	}
}
