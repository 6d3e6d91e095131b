package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// shapeLimit refuses queries beyond the shape limits (checkShape) before
// gqlgen parses them: a parameter mutator runs ahead of gqlgen's parsing
// and validation, so it parses the text itself, with the same token
// limit. Queries in the cache passed it already.
type shapeLimit struct {
	limits Limits
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "QueryShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (s shapeLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := s.cache.Get(ctx, p.Query); ok {
		return nil
	}
	if int64(len(p.Query)) > s.limits.MaxBodyBytes { // a GET's query is not a body
		return limitError(nil, "bytes", int(s.limits.MaxBodyBytes), "query is longer than %d bytes")
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, s.limits.MaxTokens)
	if err != nil {
		return nil // gqlgen parses it next and reports the error
	}
	return checkShape(doc, s.limits)
}

// flattenFragments hands gqlgen's executor the operation with its
// fragments replaced by their fields. gqlgen v0.17 collects a field first
// met inside a fragment with its selections twice, so each level of
// fragments around a field doubles them: `{ ... on Query { ... on Query
// { ×20 status { height } } } }`, 361 bytes within every shape limit,
// allocated 78 MiB (307 MiB at 22 levels). Without fragments there is
// nothing to double. The
// schema has no abstract types (TestSchemaHasNoAbstractTypes), so every
// fragment applies where it is spread and only @skip and @include decide.
// checkShape bounds the expansion.
type flattenFragments struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = flattenFragments{}

func (flattenFragments) ExtensionName() string                   { return "FlattenFragments" }
func (flattenFragments) Validate(graphql.ExecutableSchema) error { return nil }

func (flattenFragments) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	set, err := flatten(op.Operation.SelectionSet, op.Variables, nil)
	if err != nil {
		return err
	}
	flat := *op.Operation // the document may be cached: copy, never change it
	flat.SelectionSet = set
	op.Operation = &flat
	return nil
}

// flatten appends the fields of set to out, those of its fragments in
// their place (or none if @skip or @include leave them out); fields with
// selections are copies with their own selections flattened.
func flatten(set ast.SelectionSet, vars map[string]any, out ast.SelectionSet) (ast.SelectionSet, *gqlerror.Error) {
	for _, sel := range set {
		var err *gqlerror.Error
		switch sel := sel.(type) {
		case *ast.Field:
			if len(sel.SelectionSet) == 0 {
				out = append(out, sel)
				break
			}
			f := *sel
			f.SelectionSet, err = flatten(sel.SelectionSet, vars, make(ast.SelectionSet, 0, len(sel.SelectionSet)))
			out = append(out, &f)
		case *ast.InlineFragment:
			var in bool
			if in, err = included(sel.Directives, vars); in {
				out, err = flatten(sel.SelectionSet, vars, out)
			}
		case *ast.FragmentSpread:
			var in bool
			if in, err = included(sel.Directives, vars); in && sel.Definition != nil { // validation set it
				out, err = flatten(sel.Definition.SelectionSet, vars, out)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// included is whether @skip and @include let a fragment in, as gqlgen
// decides for fields.
func included(ds ast.DirectiveList, vars map[string]any) (bool, *gqlerror.Error) {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			return false, gqlerror.ErrorPosf(d.Position, "@%s needs if", d.Name)
		}
		v, err := arg.Value.Value(vars)
		b, ok := v.(bool)
		if err != nil || !ok {
			return false, gqlerror.ErrorPosf(d.Position, "@%s: if must be true or false", d.Name)
		}
		if b == (d.Name == "skip") {
			return false, nil
		}
	}
	return true, nil
}

// complexityLimit is gqlgen's FixedComplexityLimit with introspection
// priced: gqlgen counts a __schema field as 0 whatever it selects.
type complexityLimit struct {
	es  graphql.ExecutableSchema
	max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*complexityLimit)(nil)

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	n := complexity.Calculate(ctx, c.es, op.Operation, op.Variables) // saturates at MaxInt
	if extra := introspectionCost(op.Operation.SelectionSet); n > math.MaxInt-extra {
		n = math.MaxInt
	} else {
		n += extra
	}
	if n > c.max {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.max)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

// introspectionCost prices the introspection fields of an operation's
// root (the only place they are valid), through its fragments.
func introspectionCost(set ast.SelectionSet) int {
	cost := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			switch sel.Name {
			case "__schema":
				cost += SchemaIntrospectionCost
			case "__type":
				cost += TypeIntrospectionCost
			}
		case *ast.InlineFragment:
			cost += introspectionCost(sel.SelectionSet)
		case *ast.FragmentSpread:
			if sel.Definition != nil { // set by validation, which refused cycles
				cost += introspectionCost(sel.Definition.SelectionSet)
			}
		}
	}
	return cost
}

// validationRules are gqlparser's rules without OverlappingFieldsCanBeMerged,
// which compares fields in pairs (a 54 kB query took 5 GB); checkShape
// applies the same rule in one pass.
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.OverlappingFieldsCanBeMergedRule.Name)
	return r
}

// maxCachedQueryBytes bounds the queries kept parsed: the explorer's are
// under 1 kB, and 100 large ones would hold 100 × 64 kB of text and more
// of syntax tree.
const maxCachedQueryBytes = 4 << 10

// queryCache keeps the last 100 validated queries of up to
// maxCachedQueryBytes.
type queryCache struct{ *lru.LRU[*ast.QueryDocument] }

func newQueryCache() queryCache { return queryCache{lru.New[*ast.QueryDocument](100)} }

func (c queryCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQueryBytes {
		c.LRU.Add(ctx, query, doc)
	}
}
