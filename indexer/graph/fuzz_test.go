package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzAPI sends arbitrary queries, variables (search terms, cursors, ids,
// bounding boxes) and raw bodies to the GraphQL handler: every answer is
// JSON with data or errors (never a 5xx or a hang), and the index is
// unchanged afterwards.
//
//	go test ./indexer/graph -run '^$' -fuzz FuzzAPI -fuzztime 60s
func FuzzAPI(f *testing.F) {
	for _, seed := range []struct{ query, v, body string }{
		{`{ devices(first: 5) { totalCount edges { node { id } } } }`, "", ""},
		{`query($v: String!) { search(q: $v) { kind id label } }`, "12", ""},
		{`query($v: String!) { search(q: $v) { kind id } }`, "depin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", ""},
		{`query($v: String) { devices(first: 3, after: $v) { totalCount } }`, "AAAA", ""},
		{`query($v: String!) { tx(hash: $v) { hash } }`, "00", ""},
		{`query($v: ID!) { device(id: $v) { id lat lon boundary } }`, "depindev1xyz", ""},
		{`query($v: ID!) { network(id: $v) { id rejectReasons { reason count } } }`, "' OR 1=1 --", ""},
		{`{ hexes(resolution: 5, bbox: [179, -10, -179, 10]) { hex boundary } }`, "", ""},
		{`{ devices(where: {owner: {contains: "%_\\"}}) { totalCount } }`, "", ""},
		{"", "", `{"query": 5}`},
		{"", "", `{"query": "{ status { height } }", "variables": [1,2]}`},
		{"", "", "\x00\xff{"},
	} {
		f.Add(seed.query, seed.v, seed.body)
	}
	srv, db := newServerDB(f)
	f.Fuzz(func(t *testing.T, query, v, body string) {
		if body == "" {
			b, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"v": v}})
			body = string(b)
		}
		resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
		var r struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil && resp.StatusCode == http.StatusOK {
			t.Fatalf("not JSON (%v) for %q", err, body)
		}
		if resp.StatusCode == http.StatusOK && r.Data == nil && r.Errors == nil {
			t.Fatalf("neither data nor errors for %q", body)
		}
		// Nothing changed.
		var n int
		if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM blocks) + (SELECT COUNT(*) FROM balances)`).Scan(&n); err != nil || n != 36 {
			t.Fatalf("after %q: %d rows (%v), want 36", body, n, err)
		}
	})
}
