package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestVppQueries: app/vpp_test.go's hand-checked dispatch in the index —
// pool 1 in "solar", dispatch 1 of two one-minute intervals, b1 metered
// 50 Wh in each over a baseline of 0, b2 50 Wh over 20 an interval,
// settled; challenge 2 still open; credits bought around solar's two
// rewarded epochs — through GraphQL: the network's market and supply
// flows, pools, members, dispatches, challenges and series.
func TestVppQueries(t *testing.T) {
	srv, db := newServerDB(t)
	start := int64(1_764_000_120)
	b1, b2 := devID(1), devID(2)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO vpp_params (network, charged_metric, discharged_metric, interval_seconds, credit_price, height) VALUES ('solar', 1, 2, 60, '2', 1)`, nil},
		{`INSERT INTO vpp_pools (id, network, operator, name, cell, denom, price_per_kwh, penalty_bps, min_response_bps, notice_seconds, members, max_w, closed,
  dispatches, challenges, delivered_wh, paid, created_height, closed_height) VALUES (1, 'solar', 'depin1utility', 'Berlin VPP', '851f1d4bfffffff', 'udpin',
  '1000000', 100, 5000, 120, 2, 10000, FALSE, 1, 1, '160', '160000', 2, 0)`, nil},
		{`INSERT INTO vpp_members (pool, device, owner, max_w, min_soc_ppt, rated_w, energy_wh, status, leave_time, left_reason, joined_height, left_height,
  passed, failed, misses, delivered_wh, earned, penalties) VALUES (1, $1, 'depin1alice', 5000, 200, 5000, 10000, 'MEMBER', 0, '', 2, 0, 1, 0, 0, '100', '100000', '0'),
  (1, $2, 'depin1alice', 5000, 200, 5000, 10000, 'LEAVING', $3, '', 2, 0, 1, 0, 0, '60', '60000', '0'),
  (1, 'depindev1gone', 'depin1alice', 5000, 200, 5000, 10000, 'LEFT', 0, 'dropped: missed 2 responses in a row', 2, 4, 0, 2, 2, '0', '0', '200000')`,
			[]any{b1, b2, start + 600}},
		{`INSERT INTO vpp_dispatches (id, pool, network, operator, challenge, direction, power_w, start_time, end_time, interval_seconds, status, denom,
  price_per_kwh, escrow, credits, allocated_w, allocated_wh, members, baseline_wh, delivered_wh, paid, refunded, responded, missed, penalties,
  created_height, settled_height) VALUES (1, 1, 'solar', 'depin1utility', FALSE, 'DIRECTION_DISCHARGE', 9000, $1, $2, 60, 'SETTLED', 'udpin', '1000000',
  '0', '11', 6000, 200, 2, 40, 160, '160000', '140000', 2, 0, '0', 3, 5),
  (2, 1, 'solar', '', TRUE, 'DIRECTION_CHARGE', 2500, $3, $4, 60, 'ALLOCATED', 'udpin', '0', '0', '0', 2500, 41, 1, 0, 0, '0', '0', 0, 0, '0', 5, 0)`,
			[]any{start, start + 120, start + 300, start + 360}},
		{`INSERT INTO vpp_allocations (dispatch, device, pool, direction, power_w, start_time, end_time, challenge, open, owner, allocated_wh, baseline_wh,
  metered_wh, delivered_wh, paid, responded, penalty, settled_height) VALUES
  (1, $1, 1, 'DIRECTION_DISCHARGE', 3000, $3, $4, FALSE, FALSE, 'depin1alice', 100, 0, 100, 100, '100000', TRUE, '0', 5),
  (1, $2, 1, 'DIRECTION_DISCHARGE', 3000, $3, $4, FALSE, FALSE, 'depin1alice', 100, 40, 100, 60, '60000', TRUE, '0', 5),
  (2, $2, 1, 'DIRECTION_CHARGE', 2500, $5, $6, TRUE, TRUE, 'depin1alice', 41, 0, 0, 0, '0', FALSE, '0', 0)`,
			[]any{b1, b2, start, start + 120, start + 300, start + 360}},
		{`INSERT INTO vpp_intervals (dispatch, device, interval_start, metered_wh) VALUES (1, $1, $3, 50), (1, $1, $4, 50), (1, $2, $3, 50), (1, $2, $4, 50),
  (2, $2, $5, 30)`, []any{b1, b2, start, start + 60, start + 300}},
		{`INSERT INTO epochs (network, epoch, emission, distributed, treasury, devices, height) VALUES ('solar', 1, '1000', '900', '100', 2, 2), ('solar', 2, '1000', '900', '100', 2, 4)`, nil},
		{`INSERT INTO vpp_burns (height, tx_index, seq, network, account, credits, burned, denom) VALUES (1, 0, 0, 'solar', 'depin1utility', '50', '100', 'usolar'),
  (3, 0, 0, 'solar', 'depin1utility', '25', '50', 'usolar'), (5, 0, 0, 'solar', 'depin1utility', '10', '20', 'usolar')`, nil},
		{`INSERT INTO vpp_books (network, denom, burned, minted, spent) VALUES ('solar', 'usolar', '170', '85', '11')`, nil},
		{`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ('solar', 'depin1owner', 'RESOURCE_CLASS_ENERGY', 'usolar', 1)
  ON CONFLICT (id) DO NOTHING`, nil},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%.60s: %v", q.sql, err)
		}
	}
	r := query(t, srv, `{ network(id: "solar") { vpp { poolCount openPools memberCount dispatchCount challengeCount deliveredWh creditPrice }
    supply { denom minted burned creditsMinted creditsSpent flows { epoch height minted burned } } }
  pools(network: "solar") { totalCount edges { node { id name status cell resolution lat lon denom pricePerKwh memberCount maxW } } }
  pool(id: 1) { members { device status leaveTime } all: members(all: true) { device status leftReason penalties }
    dispatches { id challenge } challenges: dispatches(challenges: true) { id members { device responded settled } } }
  dispatch(id: 1) { status powerW intervalSeconds start end members { device baselineWh meteredWh deliveredWh responded
      series { requestedW baselineW meteredW deliveredW } }
    series { start requestedW baselineW meteredW deliveredW } }
  open: dispatch(id: 2) { series { requestedW baselineW meteredW deliveredW } }
  none: pool(id: 99) { id } }`)
	if len(r.Errors) > 0 {
		t.Fatalf("%v", r.Errors)
	}
	var d map[string]any
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	got := string(r.Data)
	for _, want := range []string{
		`"vpp":{"poolCount":1,"openPools":1,"memberCount":2,"dispatchCount":1,"challengeCount":1,"deliveredWh":"160","creditPrice":"2"}`,
		// Epoch 1 (height 2) took the burn of height 1, epoch 2 (height 4)
		// that of 3; height 5's came after.
		`"supply":{"denom":"usolar","minted":"2000","burned":"170","creditsMinted":"85","creditsSpent":"11","flows":[{"epoch":1,"height":2,"minted":"1000","burned":"100"},{"epoch":2,"height":4,"minted":"1000","burned":"50"},{"epoch":null,"height":5,"minted":"0","burned":"20"}]}`,
		`"pools":{"totalCount":1,"edges":[{"node":{"id":1,"name":"Berlin VPP","status":"OPEN","cell":"851f1d4bfffffff","resolution":5`,
		`"none":null`,
		`"dispatches":[{"id":2,"challenge":true},{"id":1,"challenge":false}]`,
		`"challenges":[{"id":2,"members":[{"device":"` + b2 + `","responded":null,"settled":false}]}]`,
		`"leftReason":"dropped: missed 2 responses in a row","penalties":"200000"`,
		// Per interval: 6 kW asked; b1 50 Wh a minute (3 kW) over 0, b2 3 kW over its 20 Wh a minute (1.2 kW).
		`"series":[{"start":"2025-11-24T16:02:00Z","requestedW":"6000","baselineW":"1200","meteredW":"6000","deliveredW":"4800"},{"start":"2025-11-24T16:03:00Z","requestedW":"6000","baselineW":"1200","meteredW":"6000","deliveredW":"4800"}]`,
		`{"device":"` + b2 + `","baselineWh":"40","meteredWh":"100","deliveredWh":"60","responded":true,"series":[{"requestedW":"3000","baselineW":"1200","meteredW":"3000","deliveredW":"1800"}`,
		// Not settled: no baseline, nothing delivered yet.
		`"open":{"series":[{"requestedW":"2500","baselineW":null,"meteredW":"1800","deliveredW":null}]}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s\nin %s", want, got)
		}
	}
	if strings.Count(got, `"status":"MEMBER"`)+strings.Count(got, `"status":"LEAVING"`) != 4 || strings.Count(got, `"status":"LEFT"`) != 1 {
		t.Errorf("members (the gone one only with all: true): %s", got)
	}
	if r := query(t, srv, `{ pools { totalCount } }`); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "network or operator") {
		t.Errorf("pools without a filter: %v", r.Errors)
	}
}
