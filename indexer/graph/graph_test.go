package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
)

func devID(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint("dev", i)))
	a, _ := crypto.AddressFromBytes(h[:20])
	return crypto.DeviceString(a)
}

func addr(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint("acct", i)))
	a, _ := crypto.AddressFromBytes(h[:20])
	return a.String()
}

// newServer: an index with 30 devices in two networks (reports_accepted = i)
// and a few blocks, served over HTTP.
func newServer(t *testing.T) *httptest.Server {
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
VALUES ($1, $2, $3, $4, 5000, 'c', 'r4', 'r5', 'r6', $5, 'r8', 'ACTIVE', 10, $6, $7)`, devID(i), net, addr(i%4), fmt.Sprint("Model ", i%2), fmt.Sprint("hex", i%5), i+1, i); err != nil {
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
	for _, q := range []string{
		`INSERT INTO agreements (id, consumer, device, denom, escrow, paid, units_paid, refunded, status, reason, opened_height) VALUES (1, 'c1', 'd1', 'udpin', '750', '649', '433', '101', 'CLOSED', 'term ended', 3)`,
		`INSERT INTO market_clearings (network, interval_no, price, volume, trades, delivered, paid, settled, height) VALUES ('grid', 7, '7', '150', 2, '130', '910', TRUE, 4)`,
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
	return srv
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
	r = query(t, srv, `{ devices(first: 100, where: {model: {contains: "1"}, cellR7: {in: ["hex0", "hex1"]}}) { totalCount } }`)
	if !strings.Contains(string(r.Data), `"totalCount":6`) {
		t.Fatalf("in/contains: %s %v", r.Data, r.Errors)
	}
	// Aggregates, an account with an amount beyond 2^53.
	r = query(t, srv, fmt.Sprintf(`{ devicesPerHex(network: "air", resolution: 7) { hex devices } account(address: %q) { balances { denom amount } } }`, addr(1)))
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "18446744073709551615") || !strings.Contains(string(r.Data), `"hex":"hex0","devices":2`) {
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
	  marketClearings(network: "grid") { interval price volume delivered paid settled }
	  marketOrders(network: "grid", interval: 7) { id side price quantity }
	  claims(owner: "c1") { height denom amount kind } }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{`"paid":"649"`, `"reason":"term ended"`, `"price":"7","volume":"150","delivered":"130","paid":"910","settled":true`,
		`{"id":2,"side":"SIDE_BID","price":"8","quantity":"150"}`, `"amount":"899998"`} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}
	if r := query(t, srv, `{ agreements { id } }`); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "consumer or device") {
		t.Errorf("agreements without a filter: %v", r.Errors)
	}
}
