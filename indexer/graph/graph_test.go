package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
)

func devID(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint("dev", i)))
	a, _ := crypto.AddressFromBytes(h[:20])
	return crypto.DeviceString(a)
}

// testCells: five resolution-9 cells in different cities; device i is in
// testCells[i%5].
var testCells = func() (out [5]uh3.Cell) {
	for i, p := range []uh3.LatLng{{Lat: 52.52, Lng: 13.405}, {Lat: 48.8566, Lng: 2.3522}, {Lat: 40.4168, Lng: -3.7038}, {Lat: 41.9028, Lng: 12.4964}, {Lat: 52.3676, Lng: 4.9041}} {
		out[i] = uh3.LatLngToCell(p, 9)
	}
	return out
}()

func parentHex(c uh3.Cell, r int) string {
	return strconv.FormatUint(uint64(c.Parent(r)), 16)
}

func addr(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint("acct", i)))
	a, _ := crypto.AddressFromBytes(h[:20])
	return a.String()
}

// newServer: an index with 30 devices in two networks (reports_accepted = i)
// and a few blocks, served over HTTP.
func newServer(t testing.TB) *httptest.Server {
	srv, _ := newServerDB(t)
	return srv
}

func newServerDB(t testing.TB) (*httptest.Server, *indexer.DB) {
	ctx := context.Background()
	db, err := indexer.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := 0; i < 30; i++ {
		net := "solar"
		if i%3 == 0 {
			net = "air"
		}
		if _, err := db.Exec(`INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height, reports_accepted)
VALUES ($1, $2, $3, $4, 5000, $5, $6, $7, $8, $9, $10, 'ACTIVE', 10, $11, $12)`, devID(i), net, addr(i%4), fmt.Sprint("Model ", i%2),
			testCells[i%5].String(), parentHex(testCells[i%5], 4), parentHex(testCells[i%5], 5), parentHex(testCells[i%5], 6), parentHex(testCells[i%5], 7), parentHex(testCells[i%5], 8), i+1, i); err != nil {
			t.Fatal(err)
		}
	}
	for h := 1; h <= 5; h++ {
		if _, err := db.Exec(`INSERT INTO blocks (height, block_time, hash, app_hash, proposer, txs, events) VALUES ($1, 't', 'h', 'a', 'p', 0, 0)`, h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO balances (address, denom, amount, updated_height) VALUES ($1, 'udpin', '18446744073709551615', 1)`, addr(1)); err != nil {
		t.Fatal(err)
	}
	// Rewards of device 0 (air, testCells[0]) in two epochs, beyond 2^64 summed.
	for epoch := 1; epoch <= 2; epoch++ {
		if _, err := db.Exec(`INSERT INTO rewards (network, epoch, device, reward, denom, work_reward, availability_reward, productivity, uptime_ppm, reputation_ppm,
  quality_ppm, geo_ppm, boost_bps, below_threshold, weight, total_weight, emission, devices, covered_seconds, epoch_seconds, reports_accepted, reports_rejected, cell, height)
VALUES ('air', $1, $2, '18446744073709551615', 'uair', '0', '0', '0', 0, 0, 0, 0, 0, FALSE, '1', '1', '1', 1, 0, 60, 0, 0, $3, 5)`, epoch, devID(0), testCells[0].String()); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RebuildHexStats(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO agreements (id, consumer, device, denom, escrow, paid, units_paid, refunded, status, reason, opened_height) VALUES (1, 'c1', 'd1', 'udpin', '750', '649', '433', '101', 'CLOSED', 'term ended', 3)`,
		`INSERT INTO market_clearings (network, interval_no, price, volume, trades, delivered, paid, settled, height) VALUES ('grid', 7, '7', '150', 2, '130', '910', TRUE, 4)`,
		`INSERT INTO market_clearings (network, interval_no, price, volume, trades, delivered, paid, settled, height, interval_seconds, start_time)
VALUES ('grid', 1960001, '9', '20', 1, '0', '0', FALSE, 5, 900, 1764000900)`,
		`INSERT INTO market_orders (id, network, side, interval_no, price, quantity, owner, height) VALUES (1, 'grid', 'SIDE_ASK', 7, '5', '100', 'a', 2), (2, 'grid', 'SIDE_BID', 7, '8', '150', 'b', 2)`,
		`INSERT INTO claims (height, tx_index, seq, owner, denom, amount, kind, device) VALUES (5, 0, 3, 'c1', 'usolar', '899998', 'owner', '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(&Resolver{DB: db}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, db
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func query(t *testing.T, srv *httptest.Server, q string) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decoding the response (status %d): %v", resp.StatusCode, err)
	}
	return r
}

func TestFiltersAndPagination(t *testing.T) {
	srv := newServer(t)
	// The example query.
	r := query(t, srv, `{ devices(first: 5) { totalCount edges { node { id } } } }`)
	var d struct {
		Devices struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%v %v", err, r.Errors)
	}
	if d.Devices.TotalCount != 30 || len(d.Devices.Edges) != 5 {
		t.Fatalf("total %d, page %d", d.Devices.TotalCount, len(d.Devices.Edges))
	}
	// Walk all pages of a filtered, ordered list: no item twice, none missed.
	seen := map[string]bool{}
	after := ""
	pages := 0
	for {
		arg := ""
		if after != "" {
			arg = fmt.Sprintf(`, after: %q`, after)
		}
		r := query(t, srv, `{ devices(first: 4`+arg+`, where: {network: {eq: "solar"}, reportsAccepted: {gt: 2}}, orderBy: {field: REPORTS_ACCEPTED, desc: true}) {
		  totalCount edges { cursor node { id reportsAccepted network } } pageInfo { hasNextPage endCursor } } }`)
		var p struct {
			Devices struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID              string
						ReportsAccepted int
						Network         string
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		if err := json.Unmarshal(r.Data, &p); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%v %v", err, r.Errors)
		}
		prev := 1 << 30
		for _, e := range p.Devices.Edges {
			n := e.Node
			if n.Network != "solar" || n.ReportsAccepted <= 2 || seen[n.ID] || n.ReportsAccepted > prev {
				t.Fatalf("page %d: bad item %+v", pages, n)
			}
			seen[n.ID] = true
			prev = n.ReportsAccepted
		}
		pages++
		if !p.Devices.PageInfo.HasNextPage {
			if len(seen) != p.Devices.TotalCount {
				t.Fatalf("walked %d of %d", len(seen), p.Devices.TotalCount)
			}
			break
		}
		after = p.Devices.PageInfo.EndCursor
	}
	// solar devices are i % 3 != 0 with i > 2: 18 of them.
	if len(seen) != 18 || pages != 5 {
		t.Fatalf("%d devices over %d pages", len(seen), pages)
	}
	// in / contains filters.
	r = query(t, srv, fmt.Sprintf(`{ devices(first: 100, where: {model: {contains: "1"}, cellR7: {in: [%q, %q]}}) { totalCount } }`, parentHex(testCells[0], 7), parentHex(testCells[1], 7)))
	if !strings.Contains(string(r.Data), `"totalCount":6`) {
		t.Fatalf("in/contains: %s %v", r.Data, r.Errors)
	}
	// Aggregates, an account with an amount beyond 2^53.
	r = query(t, srv, fmt.Sprintf(`{ devicesPerHex(network: "air", resolution: 7) { hex devices } account(address: %q) { balances { denom amount } } }`, addr(1)))
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "18446744073709551615") || !strings.Contains(string(r.Data), fmt.Sprintf(`"hex":%q,"devices":2`, parentHex(testCells[0], 7))) {
		t.Fatalf("aggregates: %s %v", r.Data, r.Errors)
	}
}

// TestBadQueries: malformed queries, huge pages, too-complex queries,
// unknown ids, forged cursors and SQL-ish strings get clear errors (or
// nothing) and the server keeps answering.
func TestBadQueries(t *testing.T) {
	srv := newServer(t)
	for name, tc := range map[string]struct {
		q, want string
	}{
		"malformed":      {`{ devices(first: 5 { id }`, "Expected"},
		"unknown field":  {`{ nope }`, "Cannot query field"},
		"huge page":      {`{ devices(first: 100000) { totalCount } }`, "first must be between 1 and 100"},
		"zero page":      {`{ devices(first: 0) { totalCount } }`, "first must be between 1 and 100"},
		"too complex":    {`{ a: devices(first: 100) { edges { node { id reports(last: 100) { height } rewards(last: 100) { reward } } } } }`, "complexity"},
		"forged cursor":  {`{ devices(first: 5, after: "not-a-cursor!!") { totalCount } }`, "not a cursor"},
		"bad device id":  {`{ device(id: "x'; DROP TABLE devices; --") { id } }`, "id:"},
		"bad address":    {`{ account(address: "robert'); DROP TABLE balances;--") { address } }`, "address:"},
		"bad resolution": {`{ devicesPerHex(network: "air", resolution: 99) { hex } }`, "resolution must be 4 to 8"},
		"too many in":    {`{ devices(where: {owner: {in: [` + strings.Repeat(`"a",`, 101) + `"a"]}}) { totalCount } }`, "1 to 100 values"},
	} {
		r := query(t, srv, tc.q)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, tc.want) {
			t.Errorf("%s: errors %v, want %q", name, r.Errors, tc.want)
		}
	}
	// SQL-ish strings in filters are just strings: nothing matches, nothing breaks.
	r := query(t, srv, `{ devices(where: {network: {eq: "solar' OR '1'='1"}, owner: {contains: "%' --"}}) { totalCount } }`)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"totalCount":0`) {
		t.Fatalf("sql-ish filter: %s %v", r.Data, r.Errors)
	}
	// Unknown ids are null, not errors.
	r = query(t, srv, fmt.Sprintf(`{ device(id: %q) { id } block(height: 999) { height } }`, devID(999)))
	if len(r.Errors) > 0 || string(r.Data) != `{"device":null,"block":null}` {
		t.Fatalf("unknown ids: %s %v", r.Data, r.Errors)
	}
	// A body over the size limit is refused.
	big := `{"query": "{ status { height } }", "pad": "` + strings.Repeat("x", MaxBodyBytes) + `"}`
	resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	var br gqlResponse
	json.NewDecoder(resp.Body).Decode(&br)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && len(br.Errors) == 0 {
		t.Fatalf("a %d-byte body was accepted", len(big))
	}
	// Still answering, tables intact.
	r = query(t, srv, `{ devices { totalCount } }`)
	if !strings.Contains(string(r.Data), `"totalCount":30`) {
		t.Fatalf("after the bad queries: %s %v", r.Data, r.Errors)
	}
}

// TestMarketAgreementClaimQueries: the ownership, agreement and market
// tables through GraphQL.
func TestMarketAgreementClaimQueries(t *testing.T) {
	srv := newServer(t)
	r := query(t, srv, `{ agreements(consumer: "c1") { id paid refunded status reason }
	  marketClearings(network: "grid") { interval intervalSeconds start end price volume delivered paid settled }
	  marketOrders(network: "grid", interval: 7) { id side price quantity }
	  claims(owner: "c1") { height denom amount kind } }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{`"paid":"649"`, `"reason":"term ended"`, `{"interval":1960001,"intervalSeconds":900,"start":"2025-11-24T16:15:00Z","end":"2025-11-24T16:30:00Z","price":"9"`,
		`{"interval":7,"intervalSeconds":0,"start":null,"end":null,"price":"7","volume":"150","delivered":"130","paid":"910","settled":true}`,
		`{"id":2,"side":"SIDE_BID","price":"8","quantity":"150"}`, `"amount":"899998"`} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}
	if r := query(t, srv, `{ agreements { id } }`); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "consumer or device") {
		t.Errorf("agreements without a filter: %v", r.Errors)
	}
}

// TestExplorerQueries: the queries the explorer's pages make — map hexes
// (per network and summed over networks, within a view), one network,
// blocks with their transactions, a transaction with its events, an
// account's shares and transactions, and search.
func TestExplorerQueries(t *testing.T) {
	srv, db := newServerDB(t)
	type hex struct {
		Hex        string
		Resolution int
		Devices    int
		Rewards    string
		Lat, Lon   float64
		Boundary   [][]float64
	}
	hexes := func(q string) []hex {
		t.Helper()
		r := query(t, srv, q)
		var d struct{ Hexes []hex }
		if err := json.Unmarshal(r.Data, &d); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s: %v %v", q, err, r.Errors)
		}
		return d.Hexes
	}
	// All networks at resolution 5: 30 devices in 5 cities, 6 each, densest first.
	all := hexes(`{ hexes(resolution: 5) { hex resolution devices rewards lat lon boundary } }`)
	if len(all) != 5 {
		t.Fatalf("%d hexes, want 5: %+v", len(all), all)
	}
	for _, h := range all {
		if h.Devices != 6 || h.Resolution != 5 || len(h.Boundary) < 5 {
			t.Errorf("hex %+v", h)
		}
	}
	berlin := parentHex(testCells[0], 5)
	for _, h := range all {
		if h.Hex == berlin && h.Rewards != "36893488147419103230" {
			t.Errorf("Berlin's rewards %s, want 2 × (2^64−1)", h.Rewards)
		}
		if h.Hex != berlin && h.Rewards != "0" {
			t.Errorf("hex %s rewards %s, want 0", h.Hex, h.Rewards)
		}
	}
	// One network: air devices are i%3 == 0 (10 of them), 2 per city.
	air := hexes(`{ hexes(network: "air", resolution: 7) { hex devices lat lon } }`)
	if len(air) != 5 || air[0].Devices != 2 {
		t.Fatalf("air hexes: %+v", air)
	}
	// A view around Berlin only.
	view := hexes(`{ hexes(resolution: 6, bbox: [13.0, 52.3, 13.8, 52.7]) { hex devices lat lon } }`)
	if len(view) != 1 || view[0].Hex != parentHex(testCells[0], 6) || math.Abs(view[0].Lat-52.52) > 0.2 {
		t.Fatalf("Berlin view: %+v", view)
	}
	// Device coordinates and outline come from its cell.
	r := query(t, srv, fmt.Sprintf(`{ device(id: %q) { lat lon boundary } }`, devID(1)))
	var dv struct {
		Device struct {
			Lat, Lon float64
			Boundary [][]float64
		}
	}
	if err := json.Unmarshal(r.Data, &dv); err != nil || len(r.Errors) > 0 || math.Abs(dv.Device.Lat-48.8566) > 0.01 || len(dv.Device.Boundary) != 6 {
		t.Fatalf("device position: %s %v", r.Data, r.Errors)
	}

	// A device's neighbourhood: its resolution-8 hex first (Paris: devices
	// 1, 11, 16 and 26 of solar), then the two rings around it, empty.
	r = query(t, srv, fmt.Sprintf(`{ device(id: %q) { neighbours { hex resolution devices boundary } } }`, devID(1)))
	var nb struct {
		Device struct{ Neighbours []hex }
	}
	if err := json.Unmarshal(r.Data, &nb); err != nil || len(r.Errors) > 0 {
		t.Fatalf("neighbours: %s %v", r.Data, r.Errors)
	}
	if ns := nb.Device.Neighbours; len(ns) != 19 || ns[0].Hex != parentHex(testCells[1], 8) || ns[0].Devices != 4 || ns[0].Resolution != 8 || len(ns[5].Boundary) != 6 {
		t.Fatalf("neighbours: %+v", ns)
	}
	for _, h := range nb.Device.Neighbours[1:] {
		if h.Devices != 0 || h.Hex == nb.Device.Neighbours[0].Hex {
			t.Errorf("neighbour %+v", h)
		}
	}

	// Blocks, transactions, events, shares, search.
	ctx := context.Background()
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO txs (hash, height, idx, signer, code, codespace, log, msg_types, size) VALUES ('%s', 3, 0, '%s', 0, '', '', 'Send,Claim', 180)`, strings.Repeat("AB", 32), addr(1)),
		fmt.Sprintf(`INSERT INTO txs (hash, height, idx, signer, code, codespace, log, msg_types, size) VALUES ('%s', 3, 1, '%s', 7, 'bank', 'insufficient funds', 'Send', 120)`, strings.Repeat("CD", 32), addr(1)),
		`INSERT INTO events (height, tx_index, seq, type, attrs) VALUES (3, 0, 0, 'transfer', '{"amount":"5"}'), (3, 0, 1, 'claim', '{}'), (3, -1, 0, 'epoch', '{}')`,
		`INSERT INTO reject_reasons (network, reason, count) VALUES ('air', 'REASON_BAD_SIGNATURE', 3), ('air', 'REASON_STALE', 9)`,
		`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ('air', 'o', 'CLASS_SENSING', 'uair', 1), ('grid', 'o', 'CLASS_ENERGY', 'ugrid', 1)`,
		`INSERT INTO networks (id, owner, class, reward_denom, created_height, frozen, frozen_reason) VALUES ('ice', 'o', 'CLASS_ENERGY', 'uice', 2, TRUE, 'market auction: <b>boom</b>')`,
		fmt.Sprintf(`INSERT INTO balances (address, denom, amount, updated_height) VALUES ('%s', 'share/%s', '250', 2)`, addr(1), devID(0)),
		fmt.Sprintf(`INSERT INTO shares (device, denom, shares, owner, active, height) VALUES ('%s', 'share/%s', '1000', 'o', TRUE, 2)`, devID(0), devID(0)),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	r = query(t, srv, fmt.Sprintf(`{ block(height: 3) { proposer transactions { hash index code msgTypes } }
	  tx(hash: %q) { height signer size msgTypes events { type attrs } }
	  network(id: "air") { id class devices hasMarket rejectReasons { reason count } }
	  grid: network(id: "grid") { hasMarket frozen frozenReason }
	  ice: network(id: "ice") { frozen frozenReason }
	  networks { id frozen }
	  nope: network(id: "nope") { id }
	  account(address: %q) { shares { device amount total } txs(last: 1) { hash code log } } }`, strings.ToLower(strings.Repeat("AB", 32)), addr(1)))
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{
		`"proposer":"p","transactions":[{"hash":"` + strings.Repeat("AB", 32) + `","index":0,"code":0,"msgTypes":["Send","Claim"]},{"hash":"` + strings.Repeat("CD", 32) + `","index":1,"code":7`,
		`"events":[{"type":"transfer","attrs":"{\"amount\":\"5\"}"},{"type":"claim","attrs":"{}"}]`,
		`"network":{"id":"air","class":"CLASS_SENSING","devices":10,"hasMarket":false,"rejectReasons":[{"reason":"REASON_STALE","count":9},{"reason":"REASON_BAD_SIGNATURE","count":3}]}`,
		`"grid":{"hasMarket":true,"frozen":false,"frozenReason":null}`, `"nope":null`,
		`"ice":{"frozen":true,"frozenReason":"market auction: \u003cb\u003eboom\u003c/b\u003e"}`,
		`"networks":[{"id":"air","frozen":false},{"id":"grid","frozen":false},{"id":"ice","frozen":true}]`,
		`"shares":[{"device":"` + devID(0) + `","amount":"250","total":"1000"}]`,
		`"txs":[{"hash":"` + strings.Repeat("CD", 32) + `","code":7,"log":"insufficient funds"}]`,
	} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}
	for q, want := range map[string]string{
		"3":                        `[{"kind":"block","id":"3"`,
		strings.Repeat("cd", 32):   `[{"kind":"tx","id":"` + strings.Repeat("CD", 32) + `"`,
		addr(2):                    `[{"kind":"account","id":"` + addr(2) + `"`,
		devID(4):                   `[{"kind":"device","id":"` + devID(4) + `","label":"Device in solar"}]`,
		"air":                      `[{"kind":"network","id":"air"`,
		"999":                      `[]`,
		devID(999):                 `[]`,
		"'; DROP TABLE blocks; --": `[]`,
	} {
		r := query(t, srv, fmt.Sprintf(`{ search(q: %q) { kind id label } }`, q))
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"search":`+want) {
			t.Errorf("search %q: %s %v, want %s", q, r.Data, r.Errors, want)
		}
	}
	for q, want := range map[string]string{
		`{ hexes(resolution: 3) { hex } }`:                        "resolution must be 4 to 8",
		`{ hexes(resolution: 5, bbox: [1, 2, 3]) { hex } }`:       "bbox",
		`{ hexes(resolution: 5, bbox: [0, 60, 10, 50]) { hex } }`: "bbox",
		`{ tx(hash: "zz") { hash } }`:                             "64 hex digits",
		`{ search(q: "") { id } }`:                                "1 to 128",
		`{ a: hexes(resolution: 5) { hex } b: hexes(resolution: 6) { hex } c: hexes(resolution: 7) { hex } }`: "complexity",
	} {
		r := query(t, srv, q)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("%s: %v, want %q", q, r.Errors, want)
		}
	}
}
