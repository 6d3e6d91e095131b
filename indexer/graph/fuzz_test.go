package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
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
		{`query($v: String!) { jobs(network: $v, first: 3) { totalCount edges { node { image { url } tasks { files { url } providers { outcome } } } } } }`, "render", ""},
		{`query($v: String) { jobs(consumer: "dave", after: $v) { totalCount } }`, "MQ", ""},
		{`query($v: ID!) { network(id: $v) { compute { providers(first: 5) { edges { node { device } } } penalties { reason } } } }`, "render", ""},
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

// maxAllocPerRequest bounds what one request may allocate, client side
// included, whatever the query: its limits are what make it hold.
const maxAllocPerRequest = 64 << 20

// FuzzQueryShape sends queries made to exhaust memory — generated from
// the fuzzer's bytes by genQuery, or given whole — to the real handler:
// each is refused (a limit, validation) or answered, as JSON, and
// allocates less than maxAllocPerRequest. The seeds are the bombs the
// limits were made for. (Go spends up to a minute minimizing each new
// input by default, fuzzing nothing meanwhile: hence -fuzzminimizetime.)
//
//	go test ./indexer/graph -run '^$' -fuzz FuzzQueryShape -fuzztime 60s -fuzzminimizetime 1s
func FuzzQueryShape(f *testing.F) {
	var aliases strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&aliases, "a%d: status { height } ", i)
	}
	for _, q := range []string{
		// Nested inline fragments, 30 levels, alone and with a field
		// merged at every level.
		"{ status { " + strings.Repeat("... on IndexStatus { ", 30) + "height" + strings.Repeat(" }", 30) + " } }",
		"{ " + strings.Repeat("... on Query { status { height } ", 30) + strings.Repeat("} ", 30) + "}",
		fanOut(30), // 2^30 fields in 1.4 kB
		// A field inside 30 levels of fragments: gqlgen doubles its
		// selections at each (flattenFragments).
		"{ " + strings.Repeat("... on Query { ", 30) + "status { height }" + strings.Repeat(" }", 30) + " }",
		chain(30),
		"{ " + aliases.String() + "}",
		"{ " + strings.Join(strings.Fields(aliases.String())[:4*101], " ") + " }", // 101 aliases
		"{ status { ...A } } fragment A on IndexStatus { height ...B } fragment B on IndexStatus { lag ...A }",
		"{ __schema { types { fields { type { " + strings.Repeat("ofType { ", 30) + "name" + strings.Repeat(" }", 30) + " } } } } }",
		"{ " + strings.Repeat("status { height } ", 1000) + "}", // pairs for gqlparser's field merging
		"{ " + strings.Repeat("__typename ", 2500) + "}",
		"{ __typename" + strings.Repeat(" @a", 20000) + " }",
		introspection.Query,
		graphqlJSIntrospection(9),
	} {
		f.Add(q, []byte(nil))
	}
	for _, prog := range [][]byte{
		// { status { __typename } }
		{1, 0, 0},
		// { a1: status { height } a1: status { height } ×31 }
		{3, 0, 1, 0, 0, 6, 15, 6, 15, 0},
		// { ...F0 ...F1 ...F2 ...F3 } with F1 { ...F0 ...F0 }, F2 { ...F1 ...F1 } …
		{5, 0, 1, 0, 1, 0, 0, 0, 5, 1, 5, 0, 6, 1, 0, 5, 2, 5, 1, 6, 1, 0, 5, 3, 5, 2, 6, 1, 0},
		// { __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }
		{1, 17, 1, 1, 1, 4, 1, 1, 3, 1, 9, 1, 9, 1, 9, 1, 9, 1, 1, 0},
		// { ... on Query { ×8 status { __typename } } }
		{4, 4, 4, 4, 4, 4, 4, 4, 1},
	} {
		f.Add("", prog)
	}
	srv := newServer(f)
	schema := NewExecutableSchema(Config{}).Schema()
	f.Fuzz(func(t *testing.T, query string, prog []byte) {
		if query == "" {
			query = genQuery(schema, prog)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := post(t, srv.URL+"/graphql", query, nil)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > maxAllocPerRequest {
			t.Fatalf("%d MiB allocated for %.300q", n>>20, query)
		}
		if r.Status >= 500 || (string(r.Data) == "null" || len(r.Data) == 0) && len(r.Errors) == 0 {
			t.Fatalf("status %d, data %.100s, errors %v for %.300q", r.Status, r.Data, r.Errors, query)
		}
		for _, e := range r.Errors {
			if max, ok := e.Extensions["max"].(float64); ok && !strings.Contains(e.Message, fmt.Sprint(max)) {
				t.Fatalf("limit error %q does not say its limit %v", e.Message, max)
			}
		}
	})
}

// FuzzComputeOutputs asks the compute endpoints for arbitrary jobs, tasks
// and paths (and If-None-Match headers) over the compute fixture: every
// answer is a success or a JSON refusal of the 4xx or 503 kind, never a
// 5xx or a hang, and the index is unchanged.
//
//	go test ./indexer/graph -run '^$' -fuzz FuzzComputeOutputs -fuzztime 60s
func FuzzComputeOutputs(f *testing.F) {
	for _, seed := range []struct{ path, etag string }{
		{"/v1/compute/jobs/1/image.png", ""},
		{"/v1/compute/jobs/1/image.png", `"x"`},
		{"/v1/compute/jobs/2/image.png", ""},
		{"/v1/compute/jobs/1/tasks/0/files/tile.png", ""},
		{"/v1/compute/jobs/2/tasks/1/files/notes/read%20me.txt", ""},
		{"/v1/compute/jobs/2/tasks/1/files/../../../etc/passwd", ""},
		{"/v1/compute/jobs/2/tasks/1/files/%00", ""},
		{"/v1/compute/jobs/3/tasks/0/output", ""},
		{"/v1/compute/jobs/18446744073709551616/tasks/4294967296/output", ""},
		{"/v1/compute/jobs/-1/image.png", ""},
	} {
		f.Add(seed.path, seed.etag)
	}
	_, db := newServerDB(f)
	computeFixture(f, db)
	mux := http.NewServeMux()
	NewComputeOutputs(db).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f.Fuzz(func(t *testing.T, path, etag string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/"+strings.TrimLeft(path, "/"), nil)
		if err != nil {
			return // not a URL
		}
		if etag != "" && !strings.ContainsFunc(etag, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable:
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		case resp.StatusCode >= 400 && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest:
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		case resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
			var e struct{ Error, Code string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Code == "" {
				t.Fatalf("%s: %d %q is not a JSON refusal", path, resp.StatusCode, body)
			}
		}
		var n int
		if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM compute_tasks) + (SELECT COUNT(*) FROM compute_jobs) + (SELECT COUNT(*) FROM compute_files)`).Scan(&n); err != nil || n != 23 {
			t.Fatalf("after %q: %d rows (%v), want 23", path, n, err)
		}
	})
}
