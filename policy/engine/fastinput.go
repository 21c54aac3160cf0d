package engine

// This file makes Check's per-request work cheaper without changing what it
// decides: rows are built as OPA values directly, trimmed to what the
// permission's rules read, and every evaluation of one Check shares one
// cancellation watcher and no metrics. Replay gives OPA the whole row
// (rowTerm with nothing to trim).

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// rowTerm coerces a row's values to the canonical form of their columns'
// kinds (related rows through the relationship's target table), reporting
// unknown keys and values that do not coerce, and builds the OPA value of
// the columns and relationships in keep only: those the permission's
// rules read (nil keeps everything). A rule cannot tell the difference,
// since it reads nothing else; evaluation gets a smaller object to build
// and hash. Every value is validated, kept or not.
//
// The error path of a field ("rows[0].values.title") is made only for a
// value that fails, key terms are interned (names come from the schema),
// and values become OPA values directly rather than through
// ast.InterfaceToValue.
func (s *Set) rowTerm(t *model.Table, values map[string]any, field string, keep *needs) (*ast.Term, InvalidValueErrors) {
	var bad InvalidValueErrors
	n := len(values)
	if keep != nil {
		n = min(n, len(keep.cols)+len(keep.rels))
	}
	items := make([][2]*ast.Term, 0, n)
	for k, v := range values {
		if col, ok := t.Field(k); ok {
			cv, err := model.CoerceColumn(col.Type, v, false)
			if err != nil {
				bad = append(bad, &InvalidValueError{Field: field + "." + k, Kind: col.Type.Kind, Reason: err.Error()})
				continue
			}
			if keep != nil && !keep.cols[k] {
				continue
			}
			av, err := fastValue(cv)
			if err != nil {
				bad = append(bad, &InvalidValueError{Field: field + "." + k, Kind: col.Type.Kind, Reason: err.Error()})
				continue
			}
			items = append(items, [2]*ast.Term{keyTerm(k), av})
			continue
		}
		rel, ok := t.Relationships[k]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: field + "." + k, Reason: fmt.Sprintf("%s has no column or relationship %q", t.Name, k)})
			continue
		}
		target, ok := s.policy.Tables[rel.Target]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: field + "." + k, Reason: fmt.Sprintf("relationship target %s is not loaded", rel.Target)})
			continue
		}
		var child *needs // nil: keep everything
		if keep != nil {
			if child = keep.rels[k]; child == nil {
				child = emptyNeeds // validated, then dropped
			}
		}
		term, errs := s.relatedTerm(rel, target, v, field+"."+k, child)
		bad = append(bad, errs...)
		if term != nil && (keep == nil || keep.rels[k] != nil) {
			items = append(items, [2]*ast.Term{keyTerm(k), term})
		}
	}
	return ast.ObjectTerm(items...), bad
}

// relatedTerm builds the value of a relationship, keeping what keep says of the
// related rows (nil: everything).
func (s *Set) relatedTerm(rel *model.Relationship, target *model.Table, v any, field string, keep *needs) (*ast.Term, InvalidValueErrors) {
	if rel.Kind == model.RelObject {
		switch x := v.(type) {
		case nil:
			return ast.NullTerm(), nil
		case map[string]any:
			return s.rowTerm(target, x, field, keep)
		}
		return nil, InvalidValueErrors{{Field: field, Reason: fmt.Sprintf("object relationship %s takes an object or null", rel.Name)}}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, InvalidValueErrors{{Field: field, Reason: fmt.Sprintf("array relationship %s takes a list of rows", rel.Name)}}
	}
	var bad InvalidValueErrors
	terms := make([]*ast.Term, 0, len(list))
	for i, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			bad = append(bad, &InvalidValueError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: "a related row must be an object"})
			continue
		}
		term, errs := s.rowTerm(target, m, fmt.Sprintf("%s[%d]", field, i), keep)
		bad = append(bad, errs...)
		terms = append(terms, term)
	}
	return ast.ArrayTerm(terms...), bad
}

// emptyNeeds reads nothing: related rows that are validated but not kept.
var emptyNeeds = newNeeds()

// fastValue converts a coerced value (model.CoerceJSON's canonical forms)
// to an OPA term; anything else goes through ast.InterfaceToValue.
func fastValue(v any) (*ast.Term, error) {
	switch x := v.(type) {
	case nil:
		return ast.NullTerm(), nil
	case bool:
		return ast.InternedTerm(x), nil
	case string:
		return ast.StringTerm(x), nil
	case json.Number:
		return ast.NumberTerm(x), nil
	case model.JSONNullValue:
		return compile.JSONNullTerm(), nil
	}
	av, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(av), nil
}

// keyTerms interns object keys: column and relationship names, which the
// schema bounds (rowTerm only looks a key up after finding it there).
var keyTerms sync.Map // string -> *ast.Term

func keyTerm(name string) *ast.Term {
	if t, ok := keyTerms.Load(name); ok {
		return t.(*ast.Term)
	}
	t, _ := keyTerms.LoadOrStore(name, ast.StringTerm(name))
	return t.(*ast.Term)
}

// readsOf returns what the permission's rules (filter, check, column
// conditions) read of input.row and input.new_row: the columns and
// relationships rowTerm keeps. New computes it once per permission.
func readsOf(pp *prepared) *needs {
	all := newNeeds()
	for _, n := range []*needs{pp.filterNeeds, pp.checkNeeds, pp.columnNeeds} {
		if n != nil {
			mergeNeeds(all, n)
		}
	}
	return all
}

func mergeNeeds(dst, src *needs) {
	for c := range src.cols {
		dst.cols[c] = true
	}
	for name, child := range src.rels {
		d, ok := dst.rels[name]
		if !ok {
			d = newNeeds()
			dst.rels[name] = d
		}
		mergeNeeds(d, child)
	}
}

// evalScope shares OPA's per-evaluation setup among every evaluation of
// one Check. By default each PreparedEvalQuery.Eval starts a goroutine
// that watches ctx for cancellation and allocates a metrics registry; the
// scope watches ctx once (context.AfterFunc starts no goroutine until ctx
// ends) and records no metrics.
type evalScope struct {
	cancel topdown.Cancel
	stop   func() bool
	opts   [2]rego.EvalOption
}

func newEvalScope(ctx context.Context) *evalScope {
	c := topdown.NewCancel()
	sc := &evalScope{cancel: c, stop: context.AfterFunc(ctx, c.Cancel)}
	sc.opts = [2]rego.EvalOption{rego.EvalExternalCancel(c), rego.EvalMetrics(metrics.NoOp())}
	return sc
}

// options returns the evaluation options of the scope, with input.
func (sc *evalScope) options(input ast.Value) []rego.EvalOption {
	return []rego.EvalOption{sc.opts[0], sc.opts[1], rego.EvalParsedInput(input)}
}

// holds is holds() within the scope.
func (sc *evalScope) holds(ctx context.Context, q *rego.PreparedEvalQuery, input ast.Value) (bool, error) {
	rs, err := q.Eval(ctx, sc.options(input)...)
	if err != nil {
		return false, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return false, nil
	}
	b, ok := rs[0].Expressions[0].Value.(bool)
	return ok && b, nil
}

// close stops watching ctx.
func (sc *evalScope) close() { sc.stop() }
