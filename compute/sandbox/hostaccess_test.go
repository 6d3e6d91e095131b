package sandbox

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNoHostAccess holds the package's promise (doc.go) at the source: no
// non-test file imports what would hand a module the host's files,
// network, environment or entropy, or uses wazero's doors to them (host
// clocks, directory mounts, sockets).
func TestNoHostAccess(t *testing.T) {
	forbiddenImports := []string{"os", "os/exec", "net", "net/http", "crypto/rand", "math/rand", "syscall",
		"github.com/tetratelabs/wazero/experimental/sock"}
	forbiddenCalls := []string{"WithSysWalltime", "WithSysNanotime", "WithSysNanosleep", "WithDirMount",
		"WithReadOnlyDirMount", "DirFS", "Now", "Since"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); slices.Contains(forbiddenImports, p) {
				t.Errorf("%s imports %s", fset.Position(imp.Pos()), p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && slices.Contains(forbiddenCalls, sel.Sel.Name) {
				t.Errorf("%s uses %s", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked only %d files: run from the package directory", checked)
	}
}
