package indexer

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/event"
	apivpp "github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/wire"
)

// TestVppEvents: app/vpp_test.go's hand-checked dispatch from its events
// and the batteries' report txs alone — a pool of three batteries, credits
// bought by burning the network's token, a dispatch of 9 kW over two
// one-minute intervals allocated 3 kW each; b1 and b2 discharge 50 Wh a
// minute, b3 nothing — keeps the pool, its members' records, the
// dispatch with each member's allocation, metering per interval (summing
// to what the chain metered), settlement, the credit books and balances,
// the burn, and b3's stake penalised without a jail.
func TestVppEvents(t *testing.T) {
	w := testWriter(t, 10)
	w.blockTime = time.Unix(1_764_000_000, 0)
	seq := 0
	apply := func(tx *auth.Tx, evs ...proto.Message) {
		t.Helper()
		for _, ev := range evs {
			if err := w.event(0, seq, event.ToABCI(ev), tx); err != nil {
				t.Fatalf("%T: %v", ev, err)
			}
			seq++
		}
	}
	q := func(query string, args ...any) string {
		t.Helper()
		rows, err := w.tx.QueryContext(w.ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(parts, " "))
		}
		return strings.Join(out, "; ")
	}
	check := func(what, query, want string, args ...any) {
		t.Helper()
		if got := q(query, args...); got != want {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	vp := apivpp.DefaultParams()
	vp.IntervalSeconds = 60
	apply(nil, &networkv1.EventNetworkCreated{Id: "grid", Owner: "depin1alice", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, RewardDenom: "ugrid",
		Network: &networkv1.Network{Id: "grid", Params: &networkv1.Params{Vpp: vp}}})
	keys := map[string]ed25519.PrivateKey{}
	dev := map[string]string{}
	for _, name := range []string{"b1", "b2", "b3"} {
		s := sha256.Sum256([]byte("vpp battery " + name))
		keys[name] = ed25519.NewKeyFromSeed(s[:])
		dev[name] = crypto.DeviceString(crypto.AddressFromPubKey(keys[name].Public().(ed25519.PublicKey)))
		apply(nil, &devicev1.EventDeviceRegistered{Device: dev[name], Network: "grid", Owner: "depin1alice", Cell: 0x8a1f1d48945ffff, Capacity: 5000, Stake: 10_000_000})
	}
	pool := &vppv1.Pool{Id: 1, Network: "grid", Name: "Berlin VPP", Cell: 0x851f1d4bfffffff, Denom: "udpin", PricePerKwh: 1_000_000, PenaltyBps: 100,
		MinResponseBps: 5000, NoticeSeconds: 120}
	apply(nil, &vppv1.EventPoolCreated{Id: 1, Network: "grid", Operator: "depin1utility", Pool: pool})
	for _, name := range []string{"b1", "b2", "b3"} {
		apply(nil, &vppv1.EventMemberJoined{Pool: 1, Network: "grid", Device: dev[name], Owner: "depin1alice", MaxW: 5000, MinSocPpt: 200, RatedW: 5000, EnergyWh: 10_000})
	}
	apply(nil, &vppv1.EventCreditsBought{Network: "grid", Operator: "depin1utility", Credits: 100, Burned: 200, Denom: "ugrid"})
	start := int64(1_764_000_120)
	apply(nil, &vppv1.EventDispatchCreated{Id: 1, Pool: 1, Network: "grid", Operator: "depin1utility", Direction: vppv1.Direction_DIRECTION_DISCHARGE,
		PowerW: 9000, Start: start, End: start + 120, Escrow: 300_000, Denom: "udpin", Credits: 11})
	check("pool", `SELECT id, network, operator, name, cell, denom, price_per_kwh, penalty_bps, min_response_bps, notice_seconds, members, max_w, closed, dispatches FROM vpp_pools`,
		"1 grid depin1utility Berlin VPP 851f1d4bfffffff udpin 1000000 100 5000 120 3 15000 0 1")
	check("books", `SELECT network, denom, burned, minted, spent FROM vpp_books`, "grid ugrid 200 100 11")
	check("credits", `SELECT account, credits FROM vpp_credits`, "depin1utility 89")
	check("burns", `SELECT height, network, account, credits, burned, denom FROM vpp_burns`, "10 grid depin1utility 100 200 ugrid")

	// The next block: the chain's step allocates; the batteries report.
	w.height++
	for _, name := range []string{"b1", "b2", "b3"} {
		apply(nil, &vppv1.EventDispatchAllocated{Dispatch: 1, Pool: 1, Network: "grid", Device: dev[name], Direction: vppv1.Direction_DIRECTION_DISCHARGE,
			PowerW: 3000, Start: start, End: start + 120})
	}
	apply(nil, &vppv1.EventDispatchAllocationDone{Dispatch: 1, Pool: 1, Network: "grid", AllocatedW: 9000, Members: 3})
	check("dispatch allocated", `SELECT id, status, power_w, interval_seconds, price_per_kwh, escrow, credits, allocated_w, allocated_wh, members FROM vpp_dispatches`,
		"1 ALLOCATED 9000 60 1000000 300000 11 9000 300 3")
	nseq := map[string]uint64{}
	batch := func(from, to int64, discharged map[string]uint64) {
		t.Helper()
		var reports []*reportv1.SignedReport
		for _, name := range []string{"b1", "b2", "b3"} {
			nseq[name]++
			raw, err := wire.Sign(keys[name], "depin-test", &reportv1.Report{Network: "grid", Seq: nseq[name], PeriodStart: from, PeriodEnd: to,
				Metrics: []*reportv1.MetricValue{{Id: 1, Value: 0}, {Id: 2, Value: discharged[name]}, {Id: 3, Value: 480}}})
			if err != nil {
				t.Fatal(err)
			}
			var sr reportv1.SignedReport
			if err := proto.Unmarshal(raw, &sr); err != nil {
				t.Fatal(err)
			}
			reports = append(reports, &sr)
		}
		tx := &auth.Tx{Body: &txv1.TxBody{Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Reports: reports}}}}}}
		apply(tx, &reportv1.EventReportBatch{Submitter: "depin1eve", Accepted: 3, Outcomes: make([]byte, 3)})
	}
	event := map[string]uint64{"b1": 50, "b2": 50, "b3": 0}
	batch(start-60, start, map[string]uint64{"b1": 0, "b2": 20, "b3": 0}) // before the window: not metered for it
	batch(start, start+30, map[string]uint64{"b1": 25, "b2": 25})         // two reports in the first interval
	batch(start+30, start+60, map[string]uint64{"b1": 25, "b2": 25})
	batch(start+60, start+120, event)
	batch(start+120, start+180, event) // after the window
	perDevice := map[string]string{}
	for name, wh := range map[string]int{"b1": 50, "b2": 50, "b3": 0} {
		perDevice[dev[name]] = fmt.Sprintf("%s %d %d; %s %d %d", dev[name], start, wh, dev[name], start+60, wh)
	}
	check("intervals", `SELECT device, interval_start, metered_wh FROM vpp_intervals ORDER BY device, interval_start`, strings.Join(byKey(perDevice), "; "))

	// Settlement, a later block: b1 100 Wh over a baseline of 0, b2 over
	// 40, b3 nothing (a miss: 1% of its stake to the treasury).
	w.height++
	apply(nil,
		&vppv1.EventMemberSettled{Dispatch: 1, Pool: 1, Network: "grid", Device: dev["b1"], Owner: "depin1alice", AllocatedWh: 100, MeteredWh: 100,
			DeliveredWh: 100, Paid: 100_000, Denom: "udpin", Responded: true},
		&vppv1.EventMemberSettled{Dispatch: 1, Pool: 1, Network: "grid", Device: dev["b2"], Owner: "depin1alice", AllocatedWh: 100, BaselineWh: 40, MeteredWh: 100,
			DeliveredWh: 60, Paid: 60_000, Denom: "udpin", Responded: true},
		&devicev1.EventStakePenalized{Device: dev["b3"], Network: "grid", Amount: 100_000, To: "depin1treasury", Reason: "missed vpp dispatch 1"},
		&vppv1.EventMemberSettled{Dispatch: 1, Pool: 1, Network: "grid", Device: dev["b3"], Owner: "depin1alice", AllocatedWh: 100, Denom: "udpin", Penalty: 100_000},
		&vppv1.EventDispatchSettled{Dispatch: 1, Pool: 1, Network: "grid", DeliveredWh: 160, Paid: 160_000, Refunded: 140_000, Denom: "udpin", Responded: 2,
			Missed: 1, AllocatedWh: 300, BaselineWh: 40})
	check("dispatch settled", `SELECT status, delivered_wh, paid, refunded, responded, missed, escrow, penalties, baseline_wh, settled_height FROM vpp_dispatches`,
		"SETTLED 160 160000 140000 2 1 0 100000 40 12")
	check("allocations", `SELECT device, open, power_w, allocated_wh, baseline_wh, metered_wh, delivered_wh, paid, responded, penalty FROM vpp_allocations ORDER BY device`,
		strings.Join(byKey(map[string]string{
			dev["b1"]: dev["b1"] + " 0 3000 100 0 100 100 100000 1 0",
			dev["b2"]: dev["b2"] + " 0 3000 100 40 100 60 60000 1 0",
			dev["b3"]: dev["b3"] + " 0 3000 100 0 0 0 0 0 100000",
		}), "; "))
	// The metering per interval sums to what the chain metered.
	check("metered", `SELECT a.device, a.metered_wh, COALESCE(SUM(i.metered_wh), 0) FROM vpp_allocations a LEFT JOIN vpp_intervals i ON i.dispatch = a.dispatch AND i.device = a.device
GROUP BY a.device, a.metered_wh ORDER BY a.device`, strings.Join(byKey(map[string]string{
		dev["b1"]: dev["b1"] + " 100 100", dev["b2"]: dev["b2"] + " 100 100", dev["b3"]: dev["b3"] + " 0 0"}), "; "))
	check("members", `SELECT device, status, passed, failed, misses, delivered_wh, earned, penalties FROM vpp_members ORDER BY device`,
		strings.Join(byKey(map[string]string{
			dev["b1"]: dev["b1"] + " MEMBER 1 0 0 100 100000 0",
			dev["b2"]: dev["b2"] + " MEMBER 1 0 0 60 60000 0",
			dev["b3"]: dev["b3"] + " MEMBER 0 1 1 0 0 100000",
		}), "; "))
	check("b3 keeps its status, less its stake", `SELECT status, stake FROM devices WHERE id = $1`, "ACTIVE 9900000", dev["b3"])
	check("pool totals", `SELECT delivered_wh, paid FROM vpp_pools`, "160 160000")

	// b3 is dropped at its next miss; b1 asks to leave; a challenge.
	apply(nil, &vppv1.EventMemberLeft{Pool: 1, Network: "grid", Device: dev["b3"], Reason: "dropped: missed 2 responses in a row"},
		&vppv1.EventMemberLeaving{Pool: 1, Network: "grid", Device: dev["b1"], Owner: "depin1alice", LeaveTime: start + 600},
		&vppv1.EventDispatchCreated{Id: 2, Pool: 1, Network: "grid", Direction: vppv1.Direction_DIRECTION_CHARGE, PowerW: 2500, Start: start + 300,
			End: start + 360, Denom: "udpin", Challenge: true},
		&vppv1.EventDispatchAllocated{Dispatch: 2, Pool: 1, Network: "grid", Device: dev["b2"], Direction: vppv1.Direction_DIRECTION_CHARGE, PowerW: 2500,
			Start: start + 300, End: start + 360, Challenge: true},
		&vppv1.EventDispatchAllocationDone{Dispatch: 2, Pool: 1, Network: "grid", AllocatedW: 2500, Members: 1},
		&vppv1.EventPoolClosed{Id: 1, Network: "grid", Operator: "depin1utility"})
	check("members after", `SELECT device, status, leave_time, left_reason FROM vpp_members ORDER BY device`, strings.Join(byKey(map[string]string{
		dev["b1"]: fmt.Sprintf("%s LEAVING %d ", dev["b1"], start+600),
		dev["b2"]: dev["b2"] + " MEMBER 0 ",
		dev["b3"]: dev["b3"] + " LEFT 0 dropped: missed 2 responses in a row",
	}), "; "))
	check("pool after", `SELECT members, max_w, closed, dispatches, challenges, closed_height FROM vpp_pools`, "2 10000 1 1 1 12")
	check("challenge", `SELECT id, challenge, direction, status, price_per_kwh, credits, allocated_wh FROM vpp_dispatches WHERE id = 2`,
		"2 1 DIRECTION_CHARGE ALLOCATED 0 0 41")
	check("books after a challenge", `SELECT burned, minted, spent FROM vpp_books`, "200 100 11")
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func byKey(m map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}
