package graph

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// The default limits of one GraphQL request. docs/SECURITY.md ("GraphQL
// API limits") explains them to API users.
const (
	// MaxDepth bounds nested fields. Our own types are at most 7 deep
	// (network → storage → nodes → edges → node → audits → epoch) and
	// have no cycle; only introspection does (__Type.ofType), and
	// graphql-js's standard introspection query (typeDepth 9, GraphiQL and
	// Apollo) is 15 deep.
	MaxDepth = 15
	// MaxFields bounds the fields a query selects once its fragments are
	// expanded: a fragment spread three times counts its fields three times.
	MaxFields = 2_000
	// MaxAliases bounds aliased fields, fragments expanded.
	MaxAliases = 100
	// MaxFragments bounds inline fragments and fragment spreads, each
	// spread counted where it is expanded.
	MaxFragments = 200
	// MaxTokens bounds the query text in lexical tokens (a directive is
	// one or two), checked while parsing.
	MaxTokens = 5_000
	// MaxComplexity bounds summed field costs (lists cost their page size
	// times their children, introspection its fixed costs below).
	MaxComplexity = 2_000
	// SchemaIntrospectionCost is the cost of one __schema field: it
	// returns the whole schema (63 kB, 2 MiB allocated to build it), which
	// gqlgen prices at 0.
	SchemaIntrospectionCost = 500
	// TypeIntrospectionCost is added to each __type field: one type with
	// its field list.
	TypeIntrospectionCost = 50
	// MaxBodyBytes bounds the request body.
	MaxBodyBytes = 64 << 10
	// MaxResponseBytes bounds the response body.
	MaxResponseBytes = 8 << 20
	// MaxConcurrentPerCPU bounds the requests executing at once, per CPU
	// (GOMAXPROCS); more are answered 503 with Retry-After.
	MaxConcurrentPerCPU = 4
	// QueryTimeout bounds one request.
	QueryTimeout = 10 * time.Second
)

// Limits bound what one GraphQL request may cost, so that no query,
// however small its text, can exhaust the memory of the process (which
// in `depin demo` is also the validator's). The query-shape limits
// (depth to tokens) are checked on the parsed query before gqlgen
// validates, prices or executes it.
type Limits struct {
	MaxDepth, MaxFields, MaxAliases, MaxFragments, MaxTokens int
	MaxComplexity                                            int
	MaxBodyBytes                                             int64
	MaxResponseBytes                                         int
	MaxConcurrent                                            int
	Timeout                                                  time.Duration
}

// DefaultLimits are the limits the indexer serves with.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:         MaxDepth,
		MaxFields:        MaxFields,
		MaxAliases:       MaxAliases,
		MaxFragments:     MaxFragments,
		MaxTokens:        MaxTokens,
		MaxComplexity:    MaxComplexity,
		MaxBodyBytes:     MaxBodyBytes,
		MaxResponseBytes: MaxResponseBytes,
		MaxConcurrent:    MaxConcurrentPerCPU * runtime.GOMAXPROCS(0),
		Timeout:          QueryTimeout,
	}
}

// ErrBadLimits is returned for Limits that would leave a resource
// unbounded.
var ErrBadLimits = errors.New("graph: every limit must be positive")

// Validate reports a limit that is zero or negative: zero means "none" to
// gqlgen's parser, which is exactly what the limits are there to prevent.
func (l Limits) Validate() error {
	for _, c := range []struct {
		name string
		v    int64
	}{
		{"MaxDepth", int64(l.MaxDepth)}, {"MaxFields", int64(l.MaxFields)}, {"MaxAliases", int64(l.MaxAliases)},
		{"MaxFragments", int64(l.MaxFragments)}, {"MaxTokens", int64(l.MaxTokens)}, {"MaxComplexity", int64(l.MaxComplexity)},
		{"MaxBodyBytes", l.MaxBodyBytes}, {"MaxResponseBytes", int64(l.MaxResponseBytes)}, {"MaxConcurrent", int64(l.MaxConcurrent)},
		{"Timeout", int64(l.Timeout)},
	} {
		if c.v <= 0 {
			return fmt.Errorf("%w: %s is %d", ErrBadLimits, c.name, c.v)
		}
	}
	return nil
}
