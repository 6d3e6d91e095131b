package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/depinhq/depin/explorer"
	"github.com/depinhq/depin/indexer"
)

// Handler serves the GraphQL API at any path it is mounted on (POST and
// GET) with DefaultLimits.
func Handler(r *Resolver) http.Handler {
	h, err := NewHandler(r, DefaultLimits())
	if err != nil {
		panic(err) // DefaultLimits are valid (TestDefaultLimits)
	}
	return h
}

// NewHandler serves the GraphQL API with the given limits: a query is
// refused for its shape before gqlgen validates it and for its complexity
// before it runs; requests beyond l.MaxConcurrent are answered 503 at
// once, and a request is cut at l.Timeout and l.MaxResponseBytes.
func NewHandler(r *Resolver, l Limits) (http.Handler, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	exec := executor.New(NewExecutableSchema(config(r)))
	exec.SetDefaultRulesFn(validationRules)
	exec.SetParserTokenLimit(l.MaxTokens)
	cache := newQueryCache()
	exec.SetQueryCache(cache)
	exec.Use(extension.Introspection{})
	exec.Use(shapeLimit{limits: l, cache: cache}) // before parsing, so before all else
	exec.Use(flattenFragments{})
	exec.Use(&complexityLimit{max: l.MaxComplexity})
	return &api{
		exec:       exec,
		transports: []graphql.Transport{transport.GET{}, transport.POST{}},
		limits:     l,
		running:    make(chan struct{}, l.MaxConcurrent),
	}, nil
}

// config prices the fields: lists cost their requested page size times
// their children's cost. (Page sizes beyond MaxPage are refused by the
// resolvers with a clearer message, so they count as MaxPage here.)
func config(r *Resolver) Config {
	cfg := Config{Resolvers: r}
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
	cfg.Complexity.Device.Neighbours = func(child int) int { return 19 * child }
	cfg.Complexity.Account.Devices = func(child int) int { return 100 * child }
	cfg.Complexity.Query.DevicesPerHex = func(child int, _ string, _ int) int { return 200 * child }
	cfg.Complexity.Query.RewardsPerEpoch = func(child int, _ string) int { return 100 * child }
	cfg.Complexity.Query.Agreements = func(child int, _ *string, _ *string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Query.MarketClearings = func(child int, _ string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Query.MarketOrders = func(child int, _ string, _ int) int { return 100 * child }
	cfg.Complexity.Query.Claims = func(child int, _ string, last *int) int { return listCost(child, last) }
	cfg.Complexity.Account.Txs = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.Account.Shares = func(child int) int { return 50 * child }
	cfg.Complexity.Account.Unclaimed = func(child int) int { return MaxUnclaimedDevices * child }
	cfg.Complexity.Block.Transactions = func(child int) int { return 50 * child }
	cfg.Complexity.Tx.Events = func(child int) int { return 20 * child }
	cfg.Complexity.Network.RejectReasons = func(child int) int { return 20 * child }
	cfg.Complexity.Query.Search = func(child int, _ string) int { return 5 * child }
	cfg.Complexity.Query.Deals = func(child int, _, _ *string, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.StorageDeal.Pieces = func(child int, first, _ *int) int { return listCost(child, first) }
	cfg.Complexity.StorageDeal.Nodes = func(child int) int { return MaxDealNodes * child }
	cfg.Complexity.StorageDeal.Payments = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.StorageDeal.Repairs = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.StorageMarket.Audits = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.StorageMarket.NodeAudits = func(child int, epochs, nodes *int) int {
		k := 8
		if nodes != nil {
			k = min(max(1, *nodes), MaxNodeAudits)
		}
		return listCost(k*child, epochs)
	}
	cfg.Complexity.StorageMarket.Nodes = func(child int, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.StorageMarket.Repairs = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.StorageNode.Audits = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.Query.Jobs = func(child int, _, _ *string, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.ComputeMarket.Providers = func(child int, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.ComputeMarket.Penalties = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.ComputeJob.Tasks = func(child int, first, _ *int) int { return listCost(child, first) }
	cfg.Complexity.ComputeJob.Payments = func(child int, last *int) int { return listCost(child, last) }
	cfg.Complexity.ComputeJob.Penalties = func(child int, last *int) int { return listCost(child, last) }
	// Checking that a job makes an image reads a row per task.
	cfg.Complexity.ComputeJob.Image = func(child int) int { return 20 + child }
	cfg.Complexity.ComputeTask.Files = func(child int, first *int) int { return listCost(child, first) }
	cfg.Complexity.ComputeTask.Providers = func(child int) int { return MaxTaskProviders * child }
	// A chain read (cached a few seconds).
	cfg.Complexity.ComputeProvider.Reputation = func(int) int { return 5 }
	// A map query reads up to MaxHexes rows from an indexed table; it is
	// priced so that one fits in a request but not three.
	cfg.Complexity.Query.Hexes = func(child int, _ *string, _ int, _ []float64) int { return 800 + child }
	return cfg
}

// api runs GraphQL requests: gqlgen's executor behind its GET and POST
// transports, as gqlgen's handler.Server does (which cannot change the
// validation rules), with the limits around.
type api struct {
	exec       *executor.Executor
	transports []graphql.Transport
	limits     Limits
	running    chan struct{} // a slot per request executing
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The body is read before a slot is taken: a slow client holds its
	// connection, not one of the executions.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.limits.MaxBodyBytes))
	if err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d bytes", a.limits.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	select {
	case a.running <- struct{}{}:
		defer func() { <-a.running }()
	default:
		// Queued requests would hold memory too: a flood is turned away
		// at the door.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("busy: %d GraphQL requests are running; try again in a second", cap(a.running)))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.limits.Timeout)
	defer cancel()
	w = &cappedWriter{ResponseWriter: w, max: a.limits.MaxResponseBytes}
	defer func() {
		if p := recover(); p != nil {
			writeError(w, http.StatusUnprocessableEntity, a.exec.PresentRecoveredError(ctx, p).Error())
		}
	}()
	i := slices.IndexFunc(a.transports, func(t graphql.Transport) bool { return t.Supports(r) })
	if i < 0 {
		writeError(w, http.StatusBadRequest, "transport not supported: POST application/json, or GET")
		return
	}
	a.transports[i].Do(w, r.WithContext(graphql.StartOperationTrace(ctx)), a.exec)
}

// writeError answers a GraphQL error from outside gqlgen.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{Message: msg}}})
	w.Write(b)
}

// errResponseTooLarge is what cappedWriter.Write returns past the cap.
var errResponseTooLarge = errors.New("graph: response larger than MaxResponseBytes")

// cappedWriter passes a response through until it would exceed max
// bytes, and then writes nothing more. gqlgen writes a response in one
// piece, so an oversized one is replaced whole by an error, never cut.
type cappedWriter struct {
	http.ResponseWriter
	max, written int
	over         bool
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.over || w.written+len(p) > w.max {
		if !w.over && w.written == 0 {
			size := fmt.Sprintf("%d bytes", w.max)
			if w.max%(1<<20) == 0 {
				size = fmt.Sprintf("%d MiB", w.max>>20)
			}
			b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{Message: "the response is larger than " + size + ": ask for fewer items (first, last) or fields"}}})
			w.ResponseWriter.Write(b)
		}
		w.over = true
		return 0, errResponseTooLarge
	}
	w.written += len(p)
	return w.ResponseWriter.Write(p)
}

func (w *cappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
// playground at /playground, live updates (server-sent events) at /live,
// compute outputs under /v1/compute/ (ComputeOutputs) and the web
// explorer at /.
func Mux(ix *indexer.Indexer) *http.ServeMux {
	mux := http.NewServeMux()
	r := &Resolver{DB: ix.DB, Chain: func() (int64, int64) { return ix.Height(), ix.Height() + ix.Lag() }}
	if ix.Client != nil {
		r.Unclaimed = NewUnclaimed(ix.Client, UnclaimedTTL, nil)
		r.Reputations = NewReputations(ix.Client, ReputationTTL, nil)
	}
	mux.Handle("/graphql", Handler(r))
	NewComputeOutputs(ix.DB).Register(mux)
	mux.Handle("/live", ix.LiveHandler())
	mux.Handle("/", explorer.Handler())
	mux.HandleFunc("/playground", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, Playground)
	})
	return mux
}
