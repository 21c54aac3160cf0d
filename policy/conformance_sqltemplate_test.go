package policy_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestConformanceSQLTemplate holds the SQL a Filter answer's permission
// renders once, from its template (sqlgen.RenderTemplate and
// Template.Bind on engine.FilterResult.Unbound), to the SQL of the bound
// trees (sqlgen.Render), as the server renders both (server/filtersql.go),
// over the conformance suites' policies and sessions (every column type,
// enums, canonical-text types, clock words, citext, character(n), lists,
// patterns), each session also varied with the other values the suite
// gives its variables and with values that fold or fail, in every dialect
// with several aliases and first placeholders. Where the template gives an
// answer it must be the bound rendering's, text and arguments; and it
// must give one for most PostgreSQL answers.
func TestConformanceSQLTemplate(t *testing.T) {
	suites := loadSuites(t)
	var mu sync.Mutex
	answers, templated := map[sqlgen.Dialect]int{}, map[sqlgen.Dialect]int{}
	// filters, deferred: Filter answers, and those DeferBinding left
	// unbound.
	var filters, deferred int
	t.Cleanup(func() {
		for _, d := range sqlgen.Dialects {
			t.Logf("%s: %d answers with SQL, %d from the template", d, answers[d], templated[d])
		}
		t.Logf("%d of %d Filter answers with DeferBinding unbound", deferred, filters)
		if t.Failed() {
			return
		}
		if deferred*2 < filters {
			t.Errorf("DeferBinding: %d of %d answers unbound, want most", deferred, filters)
		}
		if pg := answers[sqlgen.Postgres]; pg < 1000 || templated[sqlgen.Postgres]*2 < pg {
			t.Errorf("PostgreSQL: %d of %d answers from the template, want most", templated[sqlgen.Postgres], pg)
		}
		if templated[sqlgen.MySQL] == 0 || templated[sqlgen.SQLite] == 0 {
			t.Errorf("MySQL %d, SQLite %d answers from the template, want some", templated[sqlgen.MySQL], templated[sqlgen.SQLite])
		}
	})
	extra := []string{"{}", "null", "", "{not valid", "[]", "{NULL}", "{\"a\":null}"}
	for si, s := range suites {
		if len(s.LoadError) > 0 {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			// One instant: each decision is made twice and compared.
			at := time.Now()
			set := s.build(t).WithClock(func() time.Time { return at })
			pool := map[string][]string{}
			for _, c := range s.Checks {
				in, err := s.input(c)
				if err != nil {
					continue
				}
				for k, v := range in.Session.Vars {
					pool[k] = append(pool[k], v)
				}
			}
			for k := range pool {
				sort.Strings(pool[k])
				pool[k] = slices.Compact(pool[k])
			}
			r := rand.New(rand.NewPCG(uint64(si), 3))
			la, lt := map[sqlgen.Dialect]int{}, map[sqlgen.Dialect]int{}
			var lf, ld int
			for _, c := range s.Checks {
				in, err := s.input(c)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				in = resolved(set.Policy(), in)
				for k := range 6 {
					vars := in.Session.Vars
					if k > 0 {
						vars = maps.Clone(vars)
						for _, name := range slices.Sorted(maps.Keys(vars)) {
							switch x := r.IntN(10); {
							case x < 5 && len(pool[name]) > 0:
								vars[name] = pool[name][r.IntN(len(pool[name]))]
							case x == 5:
								vars[name] = extra[r.IntN(len(extra))]
							}
						}
					}
					sess := in.Session
					sess.Vars = vars
					fin := engine.FilterInput{Session: sess, Table: in.Table, Op: in.Op}
					res, err := set.Filter(context.Background(), fin)
					fin.DeferBinding = true
					dres, derr := set.Filter(context.Background(), fin)
					if fmt.Sprint(err) != fmt.Sprint(derr) {
						t.Errorf("%s: DeferBinding: error %v, bound %v", c.Name, derr, err)
					}
					if err != nil || derr != nil {
						continue
					}
					lf++
					if dres.Predicate == nil {
						// Unbound exactly where the bound result has its
						// template; Bind gives the bound trees; the rest
						// is the same.
						ld++
						if dres.Unbound == nil {
							t.Errorf("%s: DeferBinding: no predicate, no template", c.Name)
						} else if err := dres.Bind(); err != nil {
							t.Errorf("%s: DeferBinding: Bind: %v", c.Name, err)
						}
					}
					if !reflect.DeepEqual(dres, res) {
						t.Errorf("%s session %v: DeferBinding:\n%#v\nbound:\n%#v", c.Name, vars, dres, res)
					}
					for _, d := range sqlgen.Dialects {
						o := sqlgen.Options{Dialect: d, Role: sess.Role, SessionVars: sess.Vars,
							Alias:            []string{"", "t", "_w1", "_W2", "a\"b"}[r.IntN(5)],
							FirstPlaceholder: []int{0, 1, 3}[r.IntN(3)]}
						what := fmt.Sprintf("%s session %v %s alias %q first %d", c.Name, vars, d, o.Alias, o.FirstPlaceholder)
						bound, berr := renderBoth(set.Policy(), in.Table, o, res, false)
						if berr != nil {
							if _, terr := renderBoth(set.Policy(), in.Table, o, res, true); terr == nil {
								t.Errorf("%s: the bound rendering fails (%v), the template's does not", what, berr)
							}
							continue
						}
						la[d]++
						tmpl, terr := renderBoth(set.Policy(), in.Table, o, res, true)
						if terr != nil {
							if !errors.Is(terr, sqlgen.ErrNotTemplatable) {
								t.Errorf("%s: template: %v", what, terr)
							}
							continue
						}
						lt[d]++
						if !reflect.DeepEqual(tmpl, bound) {
							t.Errorf("%s:\ntemplate %#v\nbound    %#v", what, tmpl, bound)
						}
					}
				}
			}
			mu.Lock()
			filters += lf
			deferred += ld
			for d, n := range la {
				answers[d] += n
				templated[d] += lt[d]
			}
			mu.Unlock()
		})
	}
}

// renderBoth renders a Filter result's predicate, check and column
// conditions as the server does: from the bound trees, or (template) from
// the permission's template and the values, ErrNotTemplatable where the
// server would render the bound trees.
func renderBoth(p *model.Policy, table model.TableName, o sqlgen.Options, res *engine.FilterResult, template bool) ([]sqlgen.Fragment, error) {
	r, err := sqlgen.NewRenderer(p, table, o)
	if err != nil {
		return nil, err
	}
	cols := slices.Sorted(maps.Keys(res.ColumnConditions))
	var out []sqlgen.Fragment
	if !template {
		f, err := r.Render(res.Predicate)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if res.Check != nil {
			if f, err = r.Render(res.Check); err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		for _, col := range cols {
			if f, err = r.Column(col, res.ColumnConditions[col]); err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	}
	u := res.Unbound
	if u == nil {
		return nil, sqlgen.ErrNotTemplatable
	}
	var ts []sqlgen.Template
	t, err := r.RenderTemplate(u.Predicate, u.Params)
	if err != nil {
		return nil, err
	}
	ts = append(ts, t)
	if (u.Check != nil) != (res.Check != nil) {
		return nil, fmt.Errorf("the template's check %v, the result's %v", u.Check, res.Check)
	}
	if u.Check != nil {
		if t, err = r.RenderTemplate(u.Check, u.Params); err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	for _, col := range cols {
		cond, ok := u.ColumnConditions[col]
		if !ok {
			return nil, fmt.Errorf("column %s: no template", col)
		}
		if t, err = r.ColumnTemplate(col, cond, u.Params); err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	for _, t := range ts {
		f, err := t.Bind(u.Values)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
