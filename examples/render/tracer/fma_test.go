package tracer

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exactMath are the functions of package math the tracer may call: IEEE 754
// defines their results exactly, so every platform agrees.
var exactMath = []string{"Sqrt", "Abs", "Inf"}

// TestNoFusibleArithmetic holds the package's determinism rules (see the
// package documentation) on its own source: every float product is
// explicitly rounded, and math is used only for exact functions.
func TestNoFusibleArithmetic(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	if len(files) == 0 {
		t.Fatal("no source files found")
	}
	var srcs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, string(b))
	}
	violations, err := fusibleArithmetic(files, srcs)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Error(v)
	}
}

// TestFusibleArithmeticCheckFindsViolations keeps the check honest.
func TestFusibleArithmeticCheckFindsViolations(t *testing.T) {
	src := `package bad

import "math"

func f(x, y, z float64, i, j int) float64 {
	a := x*y + z          // line 6: fusible
	b := float64(x*y) + z // rounded: fine
	c := 2 * x            // line 8: a product stored may be fused later
	x *= y                // line 9
	_ = i*j + 1           // integers: fine
	const k = 2.0 * 3.0   // constant: fine
	return a + b + c + math.Exp(x) + math.Sqrt(k*1) // line 12: Exp
}
`
	got, err := fusibleArithmetic([]string{"bad.go"}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bad.go:6:7: float product x * y is not rounded",
		"bad.go:8:7: float product 2 * x is not rounded",
		"bad.go:9:2: x *= y",
		"bad.go:12:21: math.Exp",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("violation %d: got %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

// fusibleArithmetic type-checks the files and reports every float
// multiplication that is not the direct operand of a float64 conversion,
// every float *=, and every call of a math function not in exactMath.
func fusibleArithmetic(names, srcs []string) ([]string, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for i, src := range srcs {
		f, err := parser.ParseFile(fset, names[i], src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check(files[0].Name.Name, fset, files, info); err != nil {
		return nil, err
	}
	isFloat := func(e ast.Expr) bool {
		tv := info.Types[e]
		b, ok := tv.Type.Underlying().(*types.Basic)
		return ok && tv.Value == nil && b.Info()&types.IsFloat != 0
	}
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	for _, f := range files {
		// rounded holds the products that are a conversion's operand.
		rounded := map[ast.Expr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "float64" && len(n.Args) == 1 && info.Types[n.Fun].IsType() {
					rounded[ast.Unparen(n.Args[0])] = true
				}
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "math" && !slices.Contains(exactMath, sel.Sel.Name) {
						report(n, "math.%s: not exact on every platform", sel.Sel.Name)
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.MUL && isFloat(n) && !rounded[n] {
					report(n, "float product %s * %s is not rounded: write float64(...)", types.ExprString(n.X), types.ExprString(n.Y))
				}
			case *ast.AssignStmt:
				if n.Tok == token.MUL_ASSIGN && isFloat(n.Lhs[0]) {
					report(n, "%s *= %s: write x = float64(x * y)", types.ExprString(n.Lhs[0]), types.ExprString(n.Rhs[0]))
				}
			}
			return true
		})
	}
	return out, nil
}
