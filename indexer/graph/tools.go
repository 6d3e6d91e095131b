//go:build tools

// The gqlgen generator, pinned by go.mod so that
// `go run github.com/99designs/gqlgen generate` works on a clean clone
// (docs/ARCHITECTURE.md); this file is never built.
package graph

import _ "github.com/99designs/gqlgen"
