package gateway

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoKeeperImports: no file of the gateway, its tests included, imports
// a module keeper or the state machine. The gateway is a client of the
// chain: it speaks the device wire format (package wire) and the public
// layout (api/), and its tests build reports and transactions the same
// way, so they test what a gateway outside this repository could do.
// (The repository's TestClientsDoNotLinkStateMachine checks the
// non-test build transitively.)
func TestNoKeeperImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("%d Go files: wrong directory?", len(files))
	}
	const module = "github.com/depinhq/depin/"
	for _, path := range files {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"x", "app", "state", "store"} {
				if p == module+banned || strings.HasPrefix(p, module+banned+"/") {
					t.Errorf("%s imports %s: the gateway and its tests use wire and api/, never the state machine", path, p)
				}
			}
		}
	}
}
