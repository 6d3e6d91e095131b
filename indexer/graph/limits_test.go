package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/depinhq/depin/explorer"
)

// limitResponse is a GraphQL answer with the HTTP status and the errors'
// extensions.
type limitResponse struct {
	Status int
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func post(t testing.TB, url, q string, vars map[string]any) limitResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := limitResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decoding the response (status %d): %v", resp.StatusCode, err)
	}
	return r
}

// fanOut is the named-fragment bomb: F0 spreads F1 twice, F1 spreads F2
// twice ..., so F0 is 2^levels fields in a text of 45 bytes a level.
func fanOut(levels int) string {
	var b strings.Builder
	b.WriteString("{ status { ...F0 } }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on IndexStatus { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on IndexStatus { height }\n", levels)
	return b.String()
}

// chain is a field inside levels named fragments: F0 spreads F1, which
// spreads F2 ...
func chain(levels int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { status { height } }\n", levels)
	return b.String()
}

// ofTypes is an introspection query of the given depth.
func ofTypes(depth int) string {
	return `{ __type(name: "Query") { ` + strings.Repeat("ofType { ", depth-2) + "name" + strings.Repeat(" }", depth-2) + " } }"
}

// graphqlJSIntrospection is the introspection query of graphql-js with
// typeDepth levels of ofType (graphql-js 16.9 and later send 9; gqlgen's
// copy of GraphiQL's, introspection.Query, has 7).
func graphqlJSIntrospection(typeDepth int) string {
	i := strings.Index(introspection.Query, "fragment TypeRef")
	return introspection.Query[:i] + "fragment TypeRef on __Type { kind name " +
		strings.Repeat("ofType { kind name ", typeDepth) + strings.Repeat("} ", typeDepth) + "}"
}

// TestQueryLimits: each limit refuses the smallest query beyond it, with
// its exact message, a 422 and the limit in the error's extensions, and
// the server keeps answering.
func TestQueryLimits(t *testing.T) {
	srv := newServer(t)
	url := srv.URL + "/graphql"
	var aliases, inline strings.Builder
	for i := range MaxAliases + 1 {
		fmt.Fprintf(&aliases, "a%d: status { height } ", i)
	}
	for range MaxFragments + 1 {
		inline.WriteString("... on IndexStatus { height } ")
	}
	spreads := strings.Repeat("...F ", MaxFields/20+1) // 20 fields each
	for _, tc := range []struct {
		name, q, want, limit string
	}{
		{"depth", ofTypes(MaxDepth + 1), "query is nested more than 15 levels deep", "depth"},
		{"fields", "{ status { " + spreads + "} } fragment F on IndexStatus { " + strings.Repeat("height lag ", 10) + "}",
			"query selects more than 2000 fields (fragments expanded)", "fields"},
		{"aliases", "{ " + aliases.String() + "}", "query uses more than 100 aliases (fragments expanded)", "aliases"},
		{"inline fragments", "{ status { " + inline.String() + "} }",
			"query uses more than 200 fragments (inline fragments and spreads, each spread counted)", "fragments"},
		{"fragment fan-out", fanOut(30), "query uses more than 200 fragments (inline fragments and spreads, each spread counted)", "fragments"},
		{"inline fragment bomb", "{ status { " + strings.Repeat("... on IndexStatus { ", 201) + "height" + strings.Repeat(" }", 201) + " } }",
			"query uses more than 200 fragments (inline fragments and spreads, each spread counted)", "fragments"},
		{"fragment cycle", "{ status { ...A } } fragment A on IndexStatus { height ...B } fragment B on IndexStatus { lag ...A }",
			`fragment "A" spreads itself: A → B → A`, ""},
		{"fragment cycle through a field", "{ devices { ...D } } fragment D on DeviceConnection { edges { node { id } } pageInfo { ...D } }",
			`fragment "D" spreads itself: D → D`, ""},
		{"unused fragment", "{ status { height } } fragment U on Query { status { ...F0 } } " + fanOut(12)[strings.Index(fanOut(12), "fragment"):],
			"query uses more than 200 fragments (inline fragments and spreads, each spread counted)", "fragments"},
		{"different fields", `{ a: status { height } a: networks { id } }`,
			`Fields "a" conflict because "status" and "networks" are different fields. Use different aliases on the fields to fetch both if this was intentional.`, ""},
		{"differing arguments", `{ d: device(id: "x") { id } ... on Query { d: device(id: "y") { id } } }`,
			`Fields "d" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.`, ""},
		{"nested conflict", `{ status { h: height } status { h: lag } }`,
			`Fields "h" conflict because "height" and "lag" are different fields. Use different aliases on the fields to fetch both if this was intentional.`, ""},
		{"tokens", "{ __typename" + strings.Repeat(" @a", MaxTokens) + " }", "exceeded token limit of 5000", ""},
		{"introspection cost", `{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } }
		  d: __schema { queryType { name } } e: __schema { queryType { name } } }`, "operation has complexity 2500, which exceeds the limit of 2000", ""},
		{"introspection lists", `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`, "Maximum introspection depth exceeded", ""},
	} {
		r := post(t, url, tc.q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Message != tc.want || string(r.Data) != "" && string(r.Data) != "null" {
			t.Errorf("%s: %d %s %+v, want %q", tc.name, r.Status, r.Data, r.Errors, tc.want)
			continue
		}
		if tc.limit != "" && (r.Status != http.StatusUnprocessableEntity || r.Errors[0].Extensions["limit"] != tc.limit) {
			t.Errorf("%s: status %d, extensions %v", tc.name, r.Status, r.Errors[0].Extensions)
		}
	}
	// A GET's query is not a body: its length has a limit of its own.
	for q, want := range map[string]string{
		"{ status { height } }": "",
		"{ status { height " + strings.Repeat(" ", MaxBodyBytes) + "} }": "query is longer than 65536 bytes",
	} {
		resp, err := http.Get(url + "?query=" + neturl.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		var r limitResponse
		json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if want == "" && (len(r.Errors) > 0 || string(r.Data) != `{"status":{"height":0}}`) ||
			want != "" && (len(r.Errors) != 1 || r.Errors[0].Message != want) {
			t.Errorf("GET %.30q: %d %s %+v", q, resp.StatusCode, r.Data, r.Errors)
		}
	}
	// Just within the limits.
	for name, q := range map[string]string{
		"depth":                   ofTypes(MaxDepth),
		"fields":                  "{ status { " + strings.Repeat("...F ", MaxFields/20-1) + strings.Repeat("lag ", 19) + "} } fragment F on IndexStatus { " + strings.Repeat("height lag ", 10) + "}",
		"aliases":                 strings.Replace("{ "+aliases.String()+"}", "a100: status { height }", "", 1),
		"fragments":               "{ status { " + strings.Repeat("... on IndexStatus { height } ", MaxFragments) + "} }",
		"fan-out":                 fanOut(6),
		"same name":               `{ status { height } status { lag } ... on Query { status { height } } }`,
		"nested inline fragments": "{ " + strings.Repeat("... on Query { ", 30) + "status { height }" + strings.Repeat(" }", 30) + " }",
		"nested named fragments":  chain(30),
	} {
		if r := post(t, url, q, nil); len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Errorf("%s: %d %+v", name, r.Status, r.Errors)
		}
	}
}

// TestIntrospection: the standard introspection queries of GraphiQL and
// graphql-js work and cost what they are priced at; deeper ones do not.
func TestIntrospection(t *testing.T) {
	srv := newServer(t)
	url := srv.URL + "/graphql"
	for name, q := range map[string]string{"gqlgen": introspection.Query, "graphql-js": graphqlJSIntrospection(9)} {
		r := post(t, url, q, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"name":"DeviceConnection"`) {
			t.Errorf("%s introspection: %d %.200s %+v", name, r.Status, r.Data, r.Errors)
		}
	}
	if r := post(t, url, graphqlJSIntrospection(10), nil); len(r.Errors) != 1 || r.Errors[0].Message != "query is nested more than 15 levels deep" {
		t.Errorf("typeDepth 10: %+v", r.Errors)
	}
	// Four schemas cost MaxComplexity; with a __type (1 + 1 for its
	// field, and TypeIntrospectionCost) they cost more.
	four := `a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } } d: __schema { queryType { name } }`
	if r := post(t, url, "{ "+four+" }", nil); len(r.Errors) > 0 {
		t.Errorf("four __schema: %+v", r.Errors)
	}
	if r := post(t, url, `{ `+four+` __type(name: "Device") { name } }`, nil); len(r.Errors) != 1 ||
		r.Errors[0].Message != "operation has complexity 2052, which exceeds the limit of 2000" {
		t.Errorf("four __schema and a __type: %+v", r.Errors)
	}
}

// explorerQueries are the GraphQL queries of the explorer's page: the Q_*
// constants of its modules (assets/js) and the literal ones they pass to gql().
func explorerQueries(t *testing.T) []string {
	var js []byte
	err := fs.WalkDir(explorer.Assets(), "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		b, err := fs.ReadFile(explorer.Assets(), name)
		js = append(append(js, b...), '\n')
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, m := range regexp.MustCompile("const Q_[A-Z]+ = `([^`]*)`").FindAllSubmatch(js, -1) {
		qs = append(qs, string(m[1]))
	}
	for _, m := range regexp.MustCompile(`gql\('([^']*)'`).FindAllSubmatch(js, -1) {
		qs = append(qs, string(m[1]))
	}
	if len(qs) < 14 {
		t.Fatalf("found %d queries in the explorer's modules, want at least 14: did the way they write them change?", len(qs))
	}
	return qs
}

// TestExplorerQueriesWithinLimits: every query the explorer sends is
// accepted (its data may hold resolver errors for the made-up
// arguments, but nothing is refused).
func TestExplorerQueriesWithinLimits(t *testing.T) {
	srv := newServer(t)
	for _, q := range explorerQueries(t) {
		r := post(t, srv.URL+"/graphql", q, variablesFor(t, q))
		for _, e := range r.Errors {
			if code, _ := e.Extensions["code"].(string); code != "" {
				t.Errorf("%s: %s (%s)", q, e.Message, code)
			}
		}
		if r.Status != http.StatusOK || string(r.Data) == "null" {
			t.Errorf("%s: %d %s", q, r.Status, r.Data)
		}
	}
}

// variablesFor gives each variable of q a plausible value of its type.
func variablesFor(t *testing.T, q string) map[string]any {
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{}
	for _, v := range doc.Operations[0].VariableDefinitions {
		switch {
		case !v.Type.NonNull && v.Type.NamedType != "DeviceWhere":
			vars[v.Variable] = nil
		case v.Type.NamedType == "Int":
			vars[v.Variable] = 5
		case v.Type.NamedType == "DeviceWhere":
			vars[v.Variable] = map[string]any{"network": map[string]any{"eq": "air"}}
		case v.Variable == "a":
			vars[v.Variable] = addr(1)
		case v.Type.NamedType == "ID":
			vars[v.Variable] = devID(1)
		default:
			vars[v.Variable] = "air"
		}
	}
	return vars
}

// TestFlattenFragments: fragments nested around a field cost what they
// select (gqlgen alone doubled the field's selections at each level), and
// @skip and @include on fragments still decide.
func TestFlattenFragments(t *testing.T) {
	srv := newServer(t)
	url := srv.URL + "/graphql"
	for _, q := range []string{"{ " + strings.Repeat("... on Query { ", 30) + "status { height }" + strings.Repeat(" }", 30) + " }", chain(30)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := post(t, url, q, nil)
		runtime.ReadMemStats(&after)
		if len(r.Errors) > 0 || string(r.Data) != `{"status":{"height":0}}` {
			t.Errorf("%.60s: %s %+v", q, r.Data, r.Errors)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
			t.Errorf("%.60s: %d MiB allocated", q, n>>20)
		}
	}
	q := `query($yes: Boolean!) { ... @skip(if: true) { networks { id } } ... on Query @include(if: $yes) { status { height } }
	  ...S @include(if: false) ...S @skip(if: $yes) } fragment S on Query { blocks { totalCount } }`
	if r := post(t, url, q, map[string]any{"yes": true}); len(r.Errors) > 0 || string(r.Data) != `{"status":{"height":0}}` {
		t.Errorf("skip/include: %s %+v", r.Data, r.Errors)
	}
	if r := post(t, url, q, map[string]any{"yes": false}); len(r.Errors) > 0 || string(r.Data) != `{"blocks":{"totalCount":5}}` {
		t.Errorf("skip/include: %s %+v", r.Data, r.Errors)
	}
}

// TestSchemaHasNoAbstractTypes holds what checkShape's merge rule
// assumes: with an interface or a union, two fields under one name in
// fragments on different types may differ, and merge would refuse them.
func TestSchemaHasNoAbstractTypes(t *testing.T) {
	for name, def := range NewExecutableSchema(Config{}).Schema().Types {
		if def.Kind == ast.Interface || def.Kind == ast.Union {
			t.Errorf("%s is an %s: teach shapeWalker.merge that fields in fragments on different object types do not conflict", name, def.Kind)
		}
	}
}

func TestDefaultLimits(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatal(err)
	}
	l := DefaultLimits()
	l.MaxTokens = 0
	if err := l.Validate(); !errors.Is(err, ErrBadLimits) {
		t.Fatalf("MaxTokens 0: %v", err)
	}
	if _, err := NewHandler(&Resolver{}, l); !errors.Is(err, ErrBadLimits) {
		t.Fatalf("NewHandler with MaxTokens 0: %v", err)
	}
}

// TestConcurrencyLimit: beyond MaxConcurrent requests executing, one is
// answered 503 with Retry-After at once, and served again when one ends.
func TestConcurrencyLimit(t *testing.T) {
	_, db := newServerDB(t)
	entered, release := make(chan struct{}), make(chan struct{})
	l := DefaultLimits()
	l.MaxConcurrent = 2
	h, err := NewHandler(&Resolver{DB: db, Chain: func() (int64, int64) {
		select {
		case entered <- struct{}{}:
			<-release
		case <-release:
		}
		return 5, 5
	}}, l)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(t, srv.URL, `{ status { chainHeight } }`, nil)
		}()
		<-entered
	}
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"query": "{ status { height } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var r limitResponse
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		len(r.Errors) != 1 || r.Errors[0].Message != "busy: 2 GraphQL requests are running; try again in a second" {
		t.Fatalf("third request: %d %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), r)
	}
	close(release)
	wg.Wait()
	if r := post(t, srv.URL, `{ status { height } }`, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("after: %+v", r)
	}
}

// TestResponseLimit: a response beyond MaxResponseBytes is replaced by an
// error, whole.
func TestResponseLimit(t *testing.T) {
	_, db := newServerDB(t)
	l := DefaultLimits()
	l.MaxResponseBytes = 1 << 10
	h, err := NewHandler(&Resolver{DB: db}, l)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if r := post(t, srv.URL, `{ devices(first: 2) { edges { node { id } } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("small: %+v", r.Errors)
	}
	r := post(t, srv.URL, `{ devices(first: 30) { edges { node { id owner } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Message != "the response is larger than 1024 bytes: ask for fewer items (first, last) or fields" || string(r.Data) != "null" {
		t.Fatalf("large: %s %+v", r.Data, r.Errors)
	}
}
