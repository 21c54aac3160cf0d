package engine

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// fastSets are the policy sets the fast input is tested on: the blog
// example (relationships, inherited roles with column conditions) and the
// hand-built policy (_exists, column comparisons, array session variables).
func fastSets(t testing.TB) map[string]*Set {
	ctx := context.Background()
	blog, err := load.FS(ctx, examples.Blog(), "embedded:example")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Set{}
	for name, p := range map[string]*model.Policy{"blog": blog, "hand": handPolicy(&testing.T{})} {
		s, err := New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

// randomRow makes a row of t: every column with a value of its kind (or
// null), related rows to depth, and with bad set sometimes a value that
// does not coerce or an unknown key.
func randomRow(rng *rand.Rand, s *Set, t *model.Table, depth int, bad bool) map[string]any {
	row := map[string]any{}
	for _, c := range t.Columns {
		if rng.IntN(6) == 0 {
			continue // absent
		}
		row[c.Name] = randomValue(rng, c.Type.Kind)
	}
	if bad && rng.IntN(4) == 0 && len(t.Columns) > 0 {
		row[t.Columns[rng.IntN(len(t.Columns))].Name] = map[string]any{"not": "a scalar"}
	}
	if bad && rng.IntN(8) == 0 {
		row["no_such_column"] = 1.0
	}
	if depth > 0 {
		for _, name := range slices.Sorted(maps.Keys(t.Relationships)) {
			rel := t.Relationships[name]
			target := s.policy.Tables[rel.Target]
			switch {
			case rng.IntN(4) == 0:
			case rel.Kind == model.RelObject && rng.IntN(5) == 0:
				row[name] = nil
			case rel.Kind == model.RelObject:
				row[name] = randomRow(rng, s, target, depth-1, bad)
			default:
				var list []any
				for range rng.IntN(3) {
					list = append(list, randomRow(rng, s, target, depth-1, bad))
				}
				row[name] = list
			}
		}
	}
	return row
}

func randomValue(rng *rand.Rand, k model.Kind) any {
	if rng.IntN(10) == 0 {
		return nil
	}
	switch k {
	case model.KindInteger:
		if rng.IntN(2) == 0 {
			return strconv.Itoa(rng.IntN(5))
		}
		return float64(rng.IntN(5))
	case model.KindNumeric:
		return float64(rng.IntN(500)) / 4
	case model.KindBoolean:
		return rng.IntN(2) == 0
	case model.KindTimestamptz, model.KindTimestamp:
		return fmt.Sprintf("2026-01-%02dT10:00:00Z", 1+rng.IntN(28))
	case model.KindJSONB:
		return map[string]any{"a": float64(rng.IntN(3)), "b": []any{"x", true}}
	}
	return []string{"draft", "Draft%", "hello", ""}[rng.IntN(4)]
}

// reference is the plain reading of a row for OPA, the oracle of rowTerm:
// every value coerced and normalised as its column's type says (related
// rows through the relationship's target), the result converted by
// ast.InterfaceToValue; bad lists the fields that cannot be read.
func reference(s *Set, t *model.Table, values map[string]any, field string, bad *[]string) map[string]any {
	out := map[string]any{}
	for k, v := range values {
		f := field + "." + k
		if col, ok := t.Column(k); ok {
			cv, err := model.CoerceJSON(col.Type.Kind, v)
			if err == nil {
				cv, err = model.Normalize(col.Type, cv, false)
			}
			if err != nil {
				*bad = append(*bad, f)
				continue
			}
			out[k] = cv
			continue
		}
		rel, ok := t.Relationships[k]
		if !ok {
			*bad = append(*bad, f)
			continue
		}
		target := s.policy.Tables[rel.Target]
		switch x := v.(type) {
		case nil:
			if rel.Kind != model.RelObject {
				*bad = append(*bad, f)
				continue
			}
			out[k] = nil
		case map[string]any:
			if rel.Kind != model.RelObject {
				*bad = append(*bad, f)
				continue
			}
			out[k] = reference(s, target, x, f, bad)
		case []any:
			if rel.Kind == model.RelObject {
				*bad = append(*bad, f)
				continue
			}
			list := []any{}
			for i, el := range x {
				m, ok := el.(map[string]any)
				if !ok {
					*bad = append(*bad, fmt.Sprintf("%s[%d]", f, i))
					continue
				}
				list = append(list, reference(s, target, m, fmt.Sprintf("%s[%d]", f, i), bad))
			}
			out[k] = list
		default:
			*bad = append(*bad, f)
		}
	}
	return out
}

// TestRowTermValue: without projection, rowTerm builds the value the
// plain reading gives, and reports exactly the fields that cannot be read.
func TestRowTermValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	withErrors := 0
	sets := fastSets(t)
	for _, name := range slices.Sorted(maps.Keys(sets)) {
		s := sets[name]
		for _, tbl := range s.policy.SortedTables() {
			for i := range 300 {
				row := randomRow(rng, s, tbl, 2, i%3 == 0)
				var wantBad []string
				ref := reference(s, tbl, row, "rows[0].values", &wantBad)
				want, err := ast.InterfaceToValue(ref)
				if err != nil {
					t.Fatal(err)
				}
				got, gotBad := s.rowTerm(tbl, row, "rows[0].values", nil)
				var gotFields []string
				for _, e := range gotBad {
					gotFields = append(gotFields, e.Field)
				}
				sort.Strings(gotFields)
				sort.Strings(wantBad)
				if fmt.Sprint(gotFields) != fmt.Sprint(wantBad) {
					t.Fatalf("%s %s: fields in error\n got %v\nwant %v", name, tbl.Name, gotFields, wantBad)
				}
				if len(wantBad) > 0 {
					withErrors++
				}
				if ast.Compare(got.Value, want) != 0 {
					t.Fatalf("%s %s: value\n got %v\nwant %v", name, tbl.Name, got, want)
				}
			}
		}
	}
	if withErrors < 50 {
		t.Fatalf("only %d rows with errors compared", withErrors)
	}
}

// TestProjectedRowsDecideAlike: every rule of every permission gives the
// same answer on the projected row (rowTerm with pp.rowReads) as on the
// whole row, with the scope's evaluation options.
func TestProjectedRowsDecideAlike(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	vars := func() map[string]string {
		return map[string]string{
			"x-hasura-user-id": strconv.Itoa(rng.IntN(5)), "x-hasura-org-id": strconv.Itoa(rng.IntN(5)),
			"x-hasura-allowed-ids": "{1,2}",
		}
	}
	checked, columnsChecked := 0, 0
	sets := fastSets(t)
	for _, name := range slices.Sorted(maps.Keys(sets)) {
		s := sets[name]
		keys := slices.SortedFunc(maps.Keys(s.perms), func(a, b permKey) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		})
		for _, k := range keys {
			pp := s.perms[k]
			tbl := s.policy.Tables[k.table]
			for range 100 {
				session, err := pp.sessionValue(vars())
				if err != nil {
					t.Fatal(err)
				}
				row := randomRow(rng, s, tbl, 2, false)
				full, bad := s.rowTerm(tbl, row, "rows[0].values", nil)
				if len(bad) > 0 {
					t.Fatal(bad)
				}
				proj, bad := s.rowTerm(tbl, row, "rows[0].values", pp.rowReads)
				if len(bad) > 0 {
					t.Fatal(bad)
				}
				tables, _ := s.tablesValue(nil)
				input := func(r *ast.Term) ast.Value {
					return ast.NewObject([2]*ast.Term{ast.StringTerm("row"), r}, [2]*ast.Term{ast.StringTerm("new_row"), r},
						[2]*ast.Term{ast.StringTerm("session"), session}, [2]*ast.Term{ast.StringTerm("tables"), tables})
				}
				sc := newEvalScope(ctx)
				for _, q := range []struct {
					rule string
					ok   bool
				}{{"filter", pp.filter != nil}, {"check", pp.check != nil}} {
					if !q.ok {
						continue
					}
					rq := pp.filter
					if q.rule == "check" {
						rq = pp.check
					}
					pq := mustQuery(t, s, rq)
					want, err := plainHolds(ctx, pq, input(full))
					if err != nil {
						t.Fatal(err)
					}
					got, err := sc.holds(ctx, pq, input(proj))
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("%s %s %s role %s %s: projected %v, whole row %v\nrow %v\nprojected %v", name, k.table, k.op, k.role, q.rule, got, want, full, proj)
					}
					checked++
				}
				if pp.columns != nil {
					want, err := setOfStrings(ctx, mustQuery(t, s, pp.columns), []rego.EvalOption{rego.EvalParsedInput(input(full))})
					if err != nil {
						t.Fatal(err)
					}
					got, err := setOfStrings(ctx, mustQuery(t, s, pp.columns), sc.options(input(proj)))
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("%s %s role %s columns: projected %v, whole row %v", name, k.table, k.role, got, want)
					}
					columnsChecked++
				}
				sc.close()
			}
		}
	}
	if checked < 1000 || columnsChecked < 100 {
		t.Fatalf("only %d rule evaluations and %d column conditions compared", checked, columnsChecked)
	}
}

// BenchmarkRowInput compares building one row of the blog's articles with
// its author and comments.
func BenchmarkRowInput(b *testing.B) {
	s := fastSets(b)["blog"]
	tbl := s.policy.Tables[model.TableName{Schema: "public", Name: "articles"}]
	pp := s.perms[permKey{tbl.Name, model.OpSelect, "author_editor"}]
	row := map[string]any{
		"id": 1.0, "org_id": 2.0, "author_id": 3.0, "title": "t", "body": "b", "published": true, "created_at": "2026-01-01T00:00:00Z",
		"author":   map[string]any{"id": 3.0, "org_id": 2.0, "name": "n", "email": "e"},
		"comments": []any{map[string]any{"id": 1.0, "author_id": 3.0, "article_id": 1.0, "body": "c", "created_at": "2026-01-01T00:00:00Z"}},
	}
	b.Run("plain", func(b *testing.B) { // the reading rowTerm replaced
		b.ReportAllocs()
		for b.Loop() {
			var bad []string
			if _, err := ast.InterfaceToValue(reference(s, tbl, row, "rows[0].values", &bad)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rowTerm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.rowTerm(tbl, row, "rows[0].values", nil)
		}
	})
	b.Run("rowTerm/projected", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.rowTerm(tbl, row, "rows[0].values", pp.rowReads)
		}
	})
}

// BenchmarkEvalRule compares one rule evaluation with OPA's defaults and
// within an evalScope.
func BenchmarkEvalRule(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := fastSets(b)["blog"]
	tbl := s.policy.Tables[model.TableName{Schema: "public", Name: "articles"}]
	pp := s.perms[permKey{tbl.Name, model.OpSelect, "user"}]
	session, err := pp.sessionValue(map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "2"})
	if err != nil {
		b.Fatal(err)
	}
	row, _ := s.rowTerm(tbl, map[string]any{"author_id": 3.0, "org_id": 2.0, "published": true}, "", nil)
	tables, _ := s.tablesValue(nil)
	input := ast.NewObject([2]*ast.Term{ast.StringTerm("row"), row}, [2]*ast.Term{ast.StringTerm("new_row"), row},
		[2]*ast.Term{ast.StringTerm("session"), session}, [2]*ast.Term{ast.StringTerm("tables"), tables})
	filter := mustQuery(b, s, pp.filter)
	b.Run("holds", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := plainHolds(ctx, filter, input); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("scope", func(b *testing.B) {
		b.ReportAllocs()
		sc := newEvalScope(ctx)
		defer sc.close()
		for b.Loop() {
			if ok, err := sc.holds(ctx, filter, input); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// plainHolds evaluates a rule with OPA's default evaluation options: the
// reference the scope is compared with.
func plainHolds(ctx context.Context, q *rego.PreparedEvalQuery, input ast.Value) (bool, error) {
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return false, err
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return false, nil
	}
	b, ok := rs[0].Expressions[0].Value.(bool)
	return ok && b, nil
}

// mustQuery is rq's prepared query.
func mustQuery(t testing.TB, s *Set, rq *ruleQuery) *rego.PreparedEvalQuery {
	t.Helper()
	q, err := rq.get(s.compiler)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
