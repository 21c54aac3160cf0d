package server

import (
	"slices"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// sqlTemplateKey is what, besides the permission, a Filter's SQL
// template depends on: the options a request sets. The others
// (Options.Role and SessionVars) reach only a computed field's session
// argument, which is not templatable; Schemas and Session are not set
// by requests (renderSQLTemplate refuses them).
type sqlTemplateKey struct {
	dialect sqlgen.Dialect
	alias   string
	first   int
}

// sqlTemplate is one permission's Filter SQL rendered once for some
// options: the predicate, the update check (nil for none) and the
// column conditions of cols, in renderSQL's order. A nil *sqlTemplate
// cached says the permission is not templatable for the options.
type sqlTemplate struct {
	where   sqlgen.Template
	check   *sqlgen.Template
	cols    []string
	columns []sqlgen.Template
}

// renderSQLTemplate is renderSQL from the permission's SQL rendered once
// (sqlgen.RenderTemplate), cached with the policy set (the permission's
// engine.TemplateCache), when the result has its template
// (FilterResult.Unbound), the permission is templatable for these
// options, and every value binds as the bound rendering would: the same
// text and arguments. It says whether it answered; when not, resp is as
// it was.
func renderSQLTemplate(p *model.Policy, table model.TableName, o sqlgen.Options, res *engine.FilterResult, resp *wardenv1.FilterResponse, cols []string) bool {
	u := res.Unbound
	if u == nil || u.Cache == nil || o.Session != nil || o.Schemas != nil {
		return false
	}
	key := sqlTemplateKey{dialect: o.Dialect, alias: o.Alias, first: o.FirstPlaceholder}
	v, ok := u.Cache.Load(key)
	if !ok {
		if u.Cache.Full() {
			// Beyond the cache's bound: rendered as the bound trees.
			return false
		}
		v, _ = u.Cache.Store(key, buildSQLTemplate(p, table, o, u, cols))
	}
	st, _ := v.(*sqlTemplate)
	if st == nil || !slices.Equal(st.cols, cols) || (st.check == nil) != (u.Check == nil) {
		return false
	}
	// The SqlFilter and its where fragment in one allocation.
	n := &sqlFilterNode{}
	out := &n.out
	out.Dialect = DialectToProto(o.Dialect)
	frag := func(t *sqlgen.Template, into *wardenv1.SqlFragment) (*wardenv1.SqlFragment, bool) {
		f, err := t.Bind(u.Values)
		if err != nil {
			return nil, false
		}
		pf, err := fragmentInto(f, into)
		return pf, err == nil
	}
	if out.Where, ok = frag(&st.where, &n.where); !ok {
		return false
	}
	if st.check != nil {
		if out.Check, ok = frag(st.check, nil); !ok {
			return false
		}
	}
	var colSQL []*wardenv1.SqlFragment
	if len(cols) > 0 {
		colSQL = make([]*wardenv1.SqlFragment, len(cols))
		for i := range cols {
			if colSQL[i], ok = frag(&st.columns[i], nil); !ok {
				return false
			}
		}
	}
	for i, f := range colSQL {
		resp.ColumnConditions[i].Sql = f
	}
	resp.Sql = out
	return true
}

// sqlFilterNode is a SqlFilter with its where fragment.
type sqlFilterNode struct {
	out   wardenv1.SqlFilter
	where wardenv1.SqlFragment
}

// buildSQLTemplate renders a permission's template for o, as renderSQL
// renders the bound trees; nil when it is not templatable.
func buildSQLTemplate(p *model.Policy, table model.TableName, o sqlgen.Options, u *engine.FilterUnbound, cols []string) *sqlTemplate {
	r, err := sqlgen.NewRenderer(p, table, o)
	if err != nil {
		return nil
	}
	st := &sqlTemplate{cols: slices.Clone(cols)}
	if st.where, err = r.RenderTemplate(u.Predicate, u.Params); err != nil {
		return nil
	}
	if u.Check != nil {
		c, err := r.RenderTemplate(u.Check, u.Params)
		if err != nil {
			return nil
		}
		st.check = &c
	}
	for _, col := range cols {
		cond, ok := u.ColumnConditions[col]
		if !ok {
			return nil
		}
		c, err := r.ColumnTemplate(col, cond, u.Params)
		if err != nil {
			return nil
		}
		st.columns = append(st.columns, c)
	}
	return st
}
