// Package graph is the indexer's GraphQL API: the schema
// (schema.graphqls, compiled by gqlgen into generated.go and
// models_gen.go), resolvers that read the index's tables, and the HTTP
// handler with the Limits that keep any one request, however small its
// text, from exhausting the process — in `depin demo` also the
// validator's (docs/SECURITY.md, "GraphQL API limits").
//
// It never writes to the index, and never lets gqlgen validate, price or
// run a query that checkShape has not accepted: each of those expands
// fragments, which is where a 400-byte query becomes 2^20 fields.
package graph
