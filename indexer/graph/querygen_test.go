package graph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// genQuery turns fuzz bytes into a query over the real schema. Each byte
// chooses the next step in a selection set: a field of the type at hand
// (arguments made up from their types), the same under an alias, an
// inline fragment, a named fragment (defined on first use, spread when
// chosen again: fragments spread fragments), a repeat of the previous
// selection, __typename, or the end of the set. The queries are mostly
// valid, so they run, and take the shapes of the bombs: deep nesting
// (introspection's types are cyclic), fragments spreading fragments
// many times, many aliases.
func genQuery(schema *ast.Schema, prog []byte) string {
	g := queryGen{schema: schema, prog: prog}
	for name, def := range schema.Types {
		if def.Kind == ast.Object {
			g.types = append(g.types, name)
		}
	}
	slices.Sort(g.types)
	var b strings.Builder
	b.WriteString("{ " + g.selections(schema.Query, 1) + " }")
	for _, f := range g.fragments {
		fmt.Fprintf(&b, "\nfragment %s on %s { %s }", f.name, f.on, f.body)
	}
	return b.String()
}

// genMaxBytes bounds a generated query; the handler refuses bodies
// beyond MaxBodyBytes anyway.
const genMaxBytes = 48 << 10

type queryGen struct {
	schema    *ast.Schema
	types     []string // object types, for __type(name:)
	prog      []byte
	pos       int
	size      int
	aliases   int
	fragments []genFragment
}

type genFragment struct{ name, on, body string }

func (g *queryGen) next() int {
	if g.pos >= len(g.prog) {
		return 0
	}
	g.pos++
	return int(g.prog[g.pos-1])
}

func (g *queryGen) exhausted() bool { return g.pos >= len(g.prog) || g.size > genMaxBytes }

// genMaxNesting bounds nested selection sets, fragments included: far
// beyond MaxDepth, and short of a deep Go stack.
const genMaxNesting = 48

// selections is a selection set of t, nested depth sets deep.
func (g *queryGen) selections(t *ast.Definition, depth int) string {
	if depth > genMaxNesting {
		return "__typename"
	}
	var sels []string
	for !g.exhausted() && len(sels) < 64 {
		var s string
		switch op := g.next(); op % 8 {
		case 0:
			if len(sels) > 0 {
				return strings.Join(sels, " ")
			}
			continue
		case 1, 2:
			s = g.field(t, depth, "")
		case 3:
			g.aliases++
			s = g.field(t, depth, fmt.Sprintf("a%d: ", g.aliases))
		case 4:
			s = "... on " + t.Name + " { " + g.selections(t, depth+1) + " }"
		case 5:
			s = g.spread(t, depth)
		case 6:
			if len(sels) > 0 {
				for range g.next() % 16 {
					sels = append(sels, sels[len(sels)-1])
					g.size += len(sels[len(sels)-1])
				}
			}
			continue
		case 7:
			s = "__typename"
		}
		g.size += len(s) + 1
		sels = append(sels, s)
	}
	if len(sels) == 0 {
		return "__typename"
	}
	return strings.Join(sels, " ")
}

// field is one field of t, with its arguments and selections.
func (g *queryGen) field(t *ast.Definition, depth int, alias string) string {
	if len(t.Fields) == 0 {
		return "__typename"
	}
	f := t.Fields[g.next()%len(t.Fields)]
	var args []string
	for _, a := range f.Arguments {
		if !a.Type.NonNull && g.next()%4 != 0 {
			continue
		}
		if v := g.value(f.Name, a); v != "" {
			args = append(args, a.Name+": "+v)
		}
	}
	s := alias + f.Name
	if len(args) > 0 {
		s += "(" + strings.Join(args, ", ") + ")"
	}
	if typ := g.schema.Types[f.Type.Name()]; typ != nil && typ.Kind == ast.Object {
		s += " { " + g.selections(typ, depth+1) + " }"
	}
	return s
}

// value is a value for argument a of field, plausible for its type, or
// "" to leave it out.
func (g *queryGen) value(field string, a *ast.ArgumentDefinition) string {
	switch {
	case field == "__type":
		return fmt.Sprintf("%q", g.types[g.next()%len(g.types)])
	case a.Name == "first" || a.Name == "last":
		return fmt.Sprint(g.next() % 120) // beyond MaxPage at times
	case a.Name == "resolution":
		return "5"
	case a.Type.Name() == "Int":
		return "5"
	case a.Type.Name() == "Float":
		return "[-10, 35, 30, 60]"
	case a.Type.Name() == "Boolean":
		return "true"
	case a.Type.Name() == "String" || a.Type.Name() == "ID":
		return `"air"`
	}
	return "" // input objects: none are required
}

// spread is a named fragment on t: a new one, or one defined before.
func (g *queryGen) spread(t *ast.Definition, depth int) string {
	var on []int
	for i, f := range g.fragments {
		if f.on == t.Name {
			on = append(on, i)
		}
	}
	if i := g.next() % (len(on) + 1); i < len(on) {
		return "..." + g.fragments[on[i]].name
	}
	// Its body may spread fragments defined before it, never itself.
	body := g.selections(t, depth+1)
	f := genFragment{name: fmt.Sprintf("F%d", len(g.fragments)), on: t.Name, body: body}
	g.fragments = append(g.fragments, f)
	return "..." + f.name
}
