package depin_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stateMachineRoots are the packages (with everything under them) that
// compute consensus state. Every validator must get the same result from
// the same blocks, so they may not read the clock, the network, the disk,
// the environment or randomness, and may not use floating point. Adapters
// (node, client, keystore, cmd, indexers) are outside and may. x/ is
// expanded to every module found on disk, so a new module is covered the
// day it is added.
var stateMachineRoots = []string{"app", "state", "store", "errs", "crypto", "proof", "wire", "api", "h3"}

// forbiddenImports maps an import path, or a path prefix ending in "/", to
// why it has no place in the state machine.
var forbiddenImports = map[string]string{
	"net":          "network I/O",
	"net/":         "network I/O",
	"os":           "process environment and files",
	"os/":          "process environment and files",
	"math/rand":    "randomness",
	"math/rand/v2": "randomness",
	"crypto/rand":  "randomness",
	"unsafe":       "memory layout differs between platforms",
}

// forbiddenTime are the functions of package time that read or wait on the
// wall clock; block time comes in through FinalizeBlock.
var forbiddenTime = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

// forbiddenIdents are floating-point (and complex) types: their results
// depend on the platform and compiler (fused multiply-add), so consensus
// values are integers.
var forbiddenIdents = []string{"float32", "float64", "complex64", "complex128"}

// TestStateMachineIsDeterministic holds the determinism rules of STYLE.md
// (a deterministic core with no I/O) for every non-test file of the state
// machine.
func TestStateMachineIsDeterministic(t *testing.T) {
	dirs := stateMachineDirs(t)
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Guard against a vacuous pass (the test run from the wrong directory,
	// a package moved): the core packages must have been seen.
	for _, must := range []string{"app", "state", "store", "crypto", filepath.Join("x", "auth"), filepath.Join("x", "bank")} {
		if !slices.ContainsFunc(files, func(f string) bool { return filepath.Dir(f) == must }) {
			t.Fatalf("no Go files found in %s: the rule checks nothing (files: %v)", must, files)
		}
	}

	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range determinismViolations(fset, f) {
			t.Error(v)
		}
	}
	t.Logf("checked %d files in %v", len(files), dirs)
}

// stateMachineDirs lists the roots plus every directory under x/.
func stateMachineDirs(t *testing.T) []string {
	t.Helper()
	dirs := slices.Clone(stateMachineRoots)
	modules, err := os.ReadDir("x")
	if err != nil {
		t.Fatalf("listing modules: %v", err)
	}
	for _, m := range modules {
		if m.IsDir() {
			dirs = append(dirs, filepath.Join("x", m.Name()))
		}
	}
	if len(dirs) == len(stateMachineRoots) {
		t.Fatal("no modules found under x/")
	}
	return dirs
}

// determinismViolations reports, as "file:line: what", everything in f the
// state machine may not use.
func determinismViolations(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, args...)))
	}
	timeNames := map[string]bool{}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			report(imp.Pos(), "bad import %s", imp.Path.Value)
			continue
		}
		for bad, why := range forbiddenImports {
			if path == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad)) {
				report(imp.Pos(), "imports %q (%s): the state machine must be deterministic", path, why)
			}
		}
		if path == "time" {
			switch {
			case imp.Name == nil:
				timeNames["time"] = true
			case imp.Name.Name == ".":
				report(imp.Pos(), `dot-imports "time": its clock functions could not be told apart`)
			case imp.Name.Name != "_":
				timeNames[imp.Name.Name] = true
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && timeNames[x.Name] && slices.Contains(forbiddenTime, n.Sel.Name) {
				report(n.Pos(), "uses time.%s: the state machine gets time only from the block header", n.Sel.Name)
			}
		case *ast.Ident:
			if slices.Contains(forbiddenIdents, n.Name) {
				report(n.Pos(), "uses %s: consensus arithmetic must be integer", n.Name)
			}
		}
		return true
	})
	return out
}

// TestDeterminismCheckFindsViolations keeps the rule honest: a checker
// that finds nothing would pass as well as one that works.
func TestDeterminismCheckFindsViolations(t *testing.T) {
	src := `package bad

import (
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"unsafe"
	clock "time"
)

var _ = http.StatusOK
var _ = unsafe.Sizeof(0)

func f(time struct{ Now int }) float64 {
	_ = clock.Duration(0)  // allowed: a type, not the clock
	_ = clock.Now()        // line 17
	<-clock.After(1)       // line 18
	_ = time.Now           // a local variable, not the package: allowed
	go fmt.Println(os.Args, rand.Int())
	var x float32
	return float64(x)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := determinismViolations(fset, f)
	want := []string{
		`bad.go:5:2: imports "math/rand"`,
		`bad.go:6:2: imports "net/http"`,
		`bad.go:7:2: imports "os"`,
		`bad.go:8:2: imports "unsafe"`,
		`bad.go:15:32: uses float64`,
		`bad.go:17:6: uses time.Now`,
		`bad.go:18:4: uses time.After`,
		`bad.go:21:8: uses float32`,
		`bad.go:22:9: uses float64`,
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missed %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}
