package agent_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedInternal are the only packages of this module the device SDK may
// import: it runs on devices, so it must stay small and never depend on the
// node, the application state machine or the gateway.
var allowedInternal = []string{
	"github.com/depinhq/depin/agent",
	"github.com/depinhq/depin/clock",
	"github.com/depinhq/depin/crypto",
	"github.com/depinhq/depin/gen/",
	"github.com/depinhq/depin/wire",
}

func TestAgentImportsStaySmall(t *testing.T) {
	checked := 0
	for _, dir := range []string{".", "sim"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(p, "github.com/depinhq/depin") {
					continue
				}
				ok := false
				for _, a := range allowedInternal {
					ok = ok || p == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(p, a))
				}
				if !ok {
					t.Errorf("%s imports %s: the device SDK may only import %v", path, p, allowedInternal)
				}
			}
		}
	}
	if _, err := os.Stat("doc.go"); err != nil || checked < 10 {
		t.Fatalf("checked %d files from %s: wrong directory?", checked, must(os.Getwd()))
	}
}

func must(s string, _ error) string { return s }
