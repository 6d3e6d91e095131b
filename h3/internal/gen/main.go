// Command gen prints h3/tables_gen.go; `go generate ./h3` runs it.
// It writes to standard output, not a file, so that it needs no package
// os: everything under x/ is held to the state machine's import rules
// (deps_test.go at the repository root).
package main

import (
	"fmt"
	"log"

	"github.com/depinhq/depin/h3/internal/tablegen"
)

func main() {
	src, err := tablegen.Generate()
	if err != nil {
		log.Fatalf("h3 tables: %v", err)
	}
	fmt.Print(string(src))
}
