package graph

import (
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// checkShape reports the first of l's query-shape limits (depth, fields,
// aliases, fragments) that doc exceeds, a fragment that spreads itself,
// or two fields that would answer under one name with different values;
// nil if there is none.
//
// It walks doc as execution would: fragments expanded wherever they are
// spread, the fields of one response object merged. It counts as it goes
// and stops at the first limit passed, so its own work is bounded by the
// limits and never by the expansion (a 1 kB query of fragments spreading
// fragments twice expands to 2^40 fields). It takes the parsed, not yet
// validated document: gqlgen's validation, pricing and execution all
// expand fragments, so they must only see documents this has accepted.
func checkShape(doc *ast.QueryDocument, l Limits) *gqlerror.Error {
	w := shapeWalker{
		l:         l,
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		walked:    make(map[*ast.FragmentDefinition]bool, len(doc.Fragments)),
		args:      map[*ast.Field]string{},
	}
	for _, f := range doc.Fragments {
		if _, dup := w.fragments[f.Name]; !dup { // validation refuses duplicates
			w.fragments[f.Name] = f
		}
	}
	if err := w.findCycle(doc.Fragments); err != nil {
		return err
	}
	for _, op := range doc.Operations {
		if err := w.walk([]ast.SelectionSet{op.SelectionSet}, 1); err != nil {
			return err
		}
	}
	// Validation reads fragments that no operation spreads too: they
	// count once.
	for _, f := range doc.Fragments {
		if !w.walked[f] {
			w.walked[f] = true
			if err := w.walk([]ast.SelectionSet{f.SelectionSet}, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

type shapeWalker struct {
	l         Limits
	fragments map[string]*ast.FragmentDefinition
	walked    map[*ast.FragmentDefinition]bool
	args      map[*ast.Field]string // canonical arguments, per field of the text

	fields, aliases, fragmentUses int
}

// walk checks one response object at depth (that of its fields): the
// selection sets merged into it, which are those of every field answering
// under one name in the object above.
func (w *shapeWalker) walk(sets []ast.SelectionSet, depth int) *gqlerror.Error {
	obj := responseObject{byKey: map[string][]*ast.Field{}}
	for _, set := range sets {
		if err := w.collect(set, depth, &obj); err != nil {
			return err
		}
	}
	for _, key := range obj.keys {
		var sub []ast.SelectionSet
		for _, f := range obj.byKey[key] {
			if len(f.SelectionSet) > 0 {
				sub = append(sub, f.SelectionSet)
			}
		}
		if len(sub) > 0 {
			if err := w.walk(sub, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// collect adds the fields of set, through its fragments, to obj. Every
// field and fragment counts each time it is reached.
func (w *shapeWalker) collect(set ast.SelectionSet, depth int, obj *responseObject) *gqlerror.Error {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if w.fields++; w.fields > w.l.MaxFields {
				return limitError(sel.Position, "fields", w.l.MaxFields, "query selects more than %d fields (fragments expanded)")
			}
			if depth > w.l.MaxDepth {
				return limitError(sel.Position, "depth", w.l.MaxDepth, "query is nested more than %d levels deep")
			}
			if sel.Alias != sel.Name { // the parser sets Alias to Name when there is none
				if w.aliases++; w.aliases > w.l.MaxAliases {
					return limitError(sel.Position, "aliases", w.l.MaxAliases, "query uses more than %d aliases (fragments expanded)")
				}
			}
			if err := w.merge(obj, sel); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := w.countFragment(sel.Position); err != nil {
				return err
			}
			if err := w.collect(sel.SelectionSet, depth, obj); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if err := w.countFragment(sel.Position); err != nil {
				return err
			}
			def := w.fragments[sel.Name]
			if def == nil {
				continue // validation reports it
			}
			w.walked[def] = true
			if err := w.collect(def.SelectionSet, depth, obj); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *shapeWalker) countFragment(pos *ast.Position) *gqlerror.Error {
	if w.fragmentUses++; w.fragmentUses > w.l.MaxFragments {
		return limitError(pos, "fragments", w.l.MaxFragments, "query uses more than %d fragments (inline fragments and spreads, each spread counted)")
	}
	return nil
}

// responseObject is the fields answering in one object of the response,
// by response name (alias or field name), in query order.
type responseObject struct {
	keys  []string
	byKey map[string][]*ast.Field
}

// merge adds f to obj, refusing it if it answers under the name of a
// different field or of the same field with other arguments.
//
// This is GraphQL's "field selection merging" rule, checked here in one
// pass over the expanded query: gqlparser's version compares fields in
// pairs and cost 5 GB for a 54 kB query of 3,000 `status { height }`.
// Comparing each field with the first of its name is the whole rule for a
// schema without interfaces or unions, where every fragment applies to
// the object it is in (TestSchemaHasNoAbstractTypes holds that).
func (w *shapeWalker) merge(obj *responseObject, f *ast.Field) *gqlerror.Error {
	same, ok := obj.byKey[f.Alias]
	if !ok {
		obj.keys = append(obj.keys, f.Alias)
		obj.byKey[f.Alias] = []*ast.Field{f}
		return nil
	}
	if first := same[0]; f != first {
		var why string
		switch {
		case f.Name != first.Name:
			why = `"` + first.Name + `" and "` + f.Name + `" are different fields`
		case w.arguments(f) != w.arguments(first):
			why = "they have differing arguments"
		}
		if why != "" {
			err := gqlerror.ErrorPosf(f.Position, `Fields "%s" conflict because %s. Use different aliases on the fields to fetch both if this was intentional.`, f.Alias, why)
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
	}
	obj.byKey[f.Alias] = append(same, f)
	return nil
}

// arguments is f's arguments in a canonical text (sorted by name); it is
// computed once per field of the query text, however often the field is
// expanded.
func (w *shapeWalker) arguments(f *ast.Field) string {
	if s, ok := w.args[f]; ok {
		return s
	}
	args := make([]string, len(f.Arguments))
	for i, a := range f.Arguments {
		args[i] = a.Name + ":" + a.Value.String()
	}
	slices.Sort(args)
	s := strings.Join(args, ",")
	w.args[f] = s
	return s
}

// findCycle reports a fragment that spreads itself, directly or through
// others, anywhere in its selections: expanding it would never end. Each
// fragment's text is read once.
func (w *shapeWalker) findCycle(defs ast.FragmentDefinitionList) *gqlerror.Error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(def *ast.FragmentDefinition) *gqlerror.Error
	visit = func(def *ast.FragmentDefinition) *gqlerror.Error {
		state[def.Name] = onPath
		path = append(path, def.Name)
		for _, s := range spreadsIn(def.SelectionSet, nil) {
			switch state[s.Name] {
			case onPath:
				cycle := append(slices.Clone(path[slices.Index(path, s.Name):]), s.Name)
				err := gqlerror.ErrorPosf(s.Position, `fragment "%s" spreads itself: %s`, s.Name, strings.Join(cycle, " → "))
				errcode.Set(err, errcode.ValidationFailed)
				return err
			case unseen:
				if next := w.fragments[s.Name]; next != nil {
					if err := visit(next); err != nil {
						return err
					}
				}
			}
		}
		path = path[:len(path)-1]
		state[def.Name] = done
		return nil
	}
	for _, def := range defs {
		if state[def.Name] == unseen && w.fragments[def.Name] == def {
			if err := visit(def); err != nil {
				return err
			}
		}
	}
	return nil
}

// spreadsIn appends the fragment spreads anywhere in set to out.
func spreadsIn(set ast.SelectionSet, out []*ast.FragmentSpread) []*ast.FragmentSpread {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			out = spreadsIn(sel.SelectionSet, out)
		case *ast.InlineFragment:
			out = spreadsIn(sel.SelectionSet, out)
		case *ast.FragmentSpread:
			out = append(out, sel)
		}
	}
	return out
}

// limitError is a query refused for exceeding limit (max); the message
// format takes max.
func limitError(pos *ast.Position, limit string, max int, format string) *gqlerror.Error {
	err := gqlerror.Errorf(format, max)
	if pos != nil {
		err = gqlerror.ErrorPosf(pos, format, max)
	}
	errcode.Set(err, errcode.ValidationFailed)
	err.Extensions["limit"] = limit
	err.Extensions["max"] = max
	return err
}
