package graph

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/depinhq/depin/explorer"
	"github.com/depinhq/depin/indexer"
)

// Limits keep one query from taking the server down.
const (
	MaxComplexity = 2_000            // summed field costs (lists cost their page size)
	MaxBodyBytes  = 64 << 10         // request size
	QueryTimeout  = 10 * time.Second // per request
)

// Handler serves the GraphQL API at any path it is mounted on (POST and
// GET), with complexity, size and time limits.
func Handler(r *Resolver) http.Handler {
	cfg := Config{Resolvers: r}
	// Lists cost their requested page size times their children's cost.
	// (Page sizes beyond MaxPage are refused by the resolvers with a
	// clearer message, so they count as MaxPage here.)
	listCost := func(child int, n *int) int {
		if n == nil {
			return 20 * child
		}
		return min(max(1, *n), MaxPage) * child
	}
	cfg.Complexity.Query.Devices = func(child int, first *int, _ *string, _ *DeviceWhere, _ *DeviceOrder) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.Blocks = func(child int, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.Device.Reports = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.Device.Rewards = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.Account.Devices = func(child int) int { return 100 * child }
	cfg.Complexity.Query.DevicesPerHex = func(child int, _ string, _ int) int { return 200 * child }
	cfg.Complexity.Query.RewardsPerEpoch = func(child int, _ string) int { return 100 * child }
	cfg.Complexity.Query.Agreements = func(child int, _ *string, _ *string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Query.MarketClearings = func(child int, _ string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Query.MarketOrders = func(child int, _ string, _ int) int { return 100 * child }
	cfg.Complexity.Query.Claims = func(child int, _ string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Account.Txs = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.Account.Shares = func(child int) int { return 50 * child }
	cfg.Complexity.Block.Transactions = func(child int) int { return 50 * child }
	cfg.Complexity.Tx.Events = func(child int) int { return 20 * child }
	cfg.Complexity.Network.RejectReasons = func(child int) int { return 20 * child }
	cfg.Complexity.Query.Search = func(child int, _ string) int { return 5 * child }
	// A map query reads up to MaxHexes rows from an indexed table; it is
	// priced so that one fits in a request but not three.
	cfg.Complexity.Query.Hexes = func(child int, _ *string, _ int, _ []float64) int { return 800 + child }
	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req.Body = http.MaxBytesReader(w, req.Body, MaxBodyBytes)
		ctx, cancel := context.WithTimeout(req.Context(), QueryTimeout)
		defer cancel()
		srv.ServeHTTP(w, req.WithContext(ctx))
	})
}

// Playground is a small page to type queries into; it needs no internet.
const Playground = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>depin GraphQL</title>
<style>body{font:15px system-ui,sans-serif;margin:1rem;color:#111;background:#fff}label{font-weight:600}
textarea{width:100%;height:14rem;font:14px monospace}pre{background:#f3f3f3;padding:1rem;overflow:auto;min-height:10rem}
button{font-size:1rem;padding:.4rem 1rem;margin:.5rem 0}</style></head>
<body><h1>depin GraphQL</h1>
<label for="q">Query</label>
<textarea id="q">{ status { height lag } devices(first: 5) { totalCount edges { node { id network owner reportsAccepted } } pageInfo { hasNextPage endCursor } } }</textarea>
<button id="run" type="button">Run (Ctrl+Enter)</button>
<label for="out">Result</label><pre id="out" role="status" aria-live="polite"></pre>
<script>
const q = document.getElementById('q'), out = document.getElementById('out');
async function run() {
  out.textContent = '…';
  const r = await fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({query: q.value})});
  out.textContent = JSON.stringify(await r.json(), null, 2);
}
document.getElementById('run').onclick = run;
q.addEventListener('keydown', e => { if (e.key === 'Enter' && e.ctrlKey) run(); });
</script></body></html>`

// Mux serves an indexer's API and explorer: GraphQL at /graphql, the
// playground at /playground, live updates (server-sent events) at /live
// and the web explorer at /.
func Mux(ix *indexer.Indexer) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(&Resolver{DB: ix.DB, Chain: func() (int64, int64) { return ix.Height(), ix.Height() + ix.Lag() }}))
	mux.Handle("/live", ix.LiveHandler())
	mux.Handle("/", explorer.Handler())
	mux.HandleFunc("/playground", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, Playground)
	})
	return mux
}
