package sqlgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// unbind turns the Value operands of Compare, In, Match and JSONB into
// Params: the template residual.Bind binds to e with the values returned
// (one Param per distinct kind and value, so a Param may repeat). The
// external tests call it as Unbind (export_test.go).
func unbind(e residual.Expr) (residual.Expr, []residual.Param, []any) {
	var params []residual.Param
	var vals []any
	param := func(v residual.Value, pattern model.Operator, bound any) residual.Param {
		_, array := v.V.([]any)
		p := residual.Param{Name: fmt.Sprintf("v-%s-%v-%s-%#v", v.Kind, array, pattern, v.V), Kind: v.Kind, Array: array, Pattern: pattern}
		for _, q := range params {
			if q == p {
				return p
			}
		}
		params, vals = append(params, p), append(vals, bound)
		return p
	}
	var walk func(residual.Expr) residual.Expr
	walk = func(e residual.Expr) residual.Expr {
		switch x := e.(type) {
		case residual.And:
			items := make([]residual.Expr, len(x.Items))
			for i, it := range x.Items {
				items[i] = walk(it)
			}
			return residual.And{Items: items}
		case residual.Or:
			items := make([]residual.Expr, len(x.Items))
			for i, it := range x.Items {
				items[i] = walk(it)
			}
			return residual.Or{Items: items}
		case residual.Not:
			return residual.Not{Item: walk(x.Item)}
		case residual.Exists:
			x.Where = walk(x.Where)
			return x
		case residual.Compare:
			if v, ok := x.Right.(residual.Value); ok && v.V != nil {
				x.Right = param(v, "", v.V)
			}
			return x
		case residual.In:
			// An empty list stays: bound, it would fold.
			if v, ok := x.List.(residual.Value); ok {
				if l, ok := v.V.([]any); ok && len(l) > 0 {
					x.List = param(v, "", v.V)
				}
			}
			return x
		case residual.JSONB:
			if v, ok := x.Value.(residual.Value); ok {
				x.Value = param(v, "", v.V)
			}
			return x
		case residual.Match:
			if v, ok := x.Pattern.(residual.Value); ok {
				text, _ := v.V.(string)
				x.Pattern = param(v, x.Op, residual.PatternValue{Text: text, Regex: x.Regex})
				x.Regex = ""
			}
			return x
		}
		return e
	}
	return walk(e), params, vals
}

// renderTemplate renders es (a predicate, a check, then column conditions
// as Column renders them when col is set) from the template with one
// Renderer, or ErrNotTemplatable; render does so from the bound trees.
type part struct {
	e   residual.Expr
	col string
}

func renderParts(p *model.Policy, o Options, parts []part) ([]Fragment, error) {
	r, err := NewRenderer(p, model.TableName{Schema: "public", Name: "articles"}, o)
	if err != nil {
		return nil, err
	}
	var out []Fragment
	for _, pt := range parts {
		var f Fragment
		if pt.col != "" {
			f, err = r.Column(pt.col, pt.e)
		} else {
			f, err = r.Render(pt.e)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func renderPartsTemplate(p *model.Policy, o Options, parts []part) ([]Fragment, error) {
	r, err := NewRenderer(p, model.TableName{Schema: "public", Name: "articles"}, o)
	if err != nil {
		return nil, err
	}
	var ts []Template
	var params []residual.Param
	var vals []any
	for _, pt := range parts {
		tmpl, ps, vs := unbind(pt.e)
		// One values list for every part: the later parts' Params
		// appended (a repeated Param binds its first value, as Bind).
		params, vals = append(params, ps...), append(vals, vs...)
		bound, folded, err := residual.BindFolded(tmpl, params, vals)
		if err != nil || folded || !reflect.DeepEqual(bound, pt.e) {
			return nil, fmt.Errorf("unbind: %v folded %v: %s, want %s", err, folded, residual.String(bound), residual.String(pt.e))
		}
		var t Template
		if pt.col != "" {
			t, err = r.ColumnTemplate(pt.col, tmpl, params)
		} else {
			t, err = r.RenderTemplate(tmpl, params)
		}
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	var out []Fragment
	for _, t := range ts {
		f, err := t.Bind(vals)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// TestTemplateMatchesRender: where a template renders, its text and
// arguments are Render's for the bound tree; and the common PostgreSQL
// cases do render.
func TestTemplateMatchesRender(t *testing.T) {
	p := testPolicy()
	// An interval column: its canonical key is sent as PostgreSQL's text
	// (model.CanonPG).
	ivType := model.Type{Declared: "interval", Kind: model.KindText, Canon: model.CanonInterval, Cast: "interval"}
	arts := p.Tables[model.TableName{Schema: "public", Name: "articles"}]
	arts.Columns = append(arts.Columns, &model.Column{Name: "dur", Type: ivType, Nullable: true})
	arts.IndexColumns()
	ivKey, err := model.CoerceColumn(ivType, "1 day 02:00:00", false)
	if err != nil {
		t.Fatal(err)
	}
	if pg, _ := model.CanonPG(ivType, ivKey); pg == ivKey {
		t.Fatalf("the interval's key %v is PostgreSQL's text", ivKey)
	}
	n := func(s string) json.Number { return json.Number(s) }
	comments := model.TableName{Schema: "blog", Name: "comments"}
	exists := residual.Exists{Table: comments, Relationship: "comments", On: []model.ColumnPair{{Local: "id", Remote: "article_id"}},
		Where: residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("7"), intK)}}
	cases := []struct {
		name string
		// pg, mysql, sqlite: the dialect renders it from the template.
		pg, mysql, sqlite bool
		parts             []part
	}{
		{"integer compare", true, true, true, []part{{e: residual.Compare{Op: residual.Lt, Left: c("author_id", intK), Right: v(n("3"), intK)}}}},
		{"text equality", true, true, true, []part{{e: residual.Compare{Op: residual.Eq, Left: c("title", textK), Right: v("it's", textK)}}}},
		{"text ordering (COLLATE)", true, true, true, []part{{e: residual.Compare{Op: residual.Gte, Left: c("title", textK), Right: v("m", textK)}}}},
		{"numeric (MySQL's cast reads the scale)", true, false, true, []part{{e: residual.Compare{Op: residual.Eq, Left: c("price", model.KindNumeric), Right: v(n("1.50"), model.KindNumeric)}}}},
		{"boolean", true, true, true, []part{{e: residual.Compare{Op: residual.Neq, Left: c("published", model.KindBoolean), Right: v(true, model.KindBoolean)}}}},
		{"timestamptz", true, true, true, []part{{e: residual.Compare{Op: residual.Gt, Left: c("at", model.KindTimestamptz), Right: v("2024-01-02T03:04:05.000000Z", model.KindTimestamptz)}}}},
		{"date", true, true, true, []part{{e: residual.Compare{Op: residual.Eq, Left: c("on", model.KindDate), Right: v("2024-01-02", model.KindDate)}}}},
		{"uuid", true, true, true, []part{{e: residual.Compare{Op: residual.Eq, Left: c(`we"ird`+"`", model.KindUUID), Right: v("0b4e8d9c-0000-4000-8000-000000000001", model.KindUUID)}}}},
		{"jsonb equality", true, false, false, []part{{e: residual.Compare{Op: residual.Eq, Left: c("meta", jsonK), Right: v(map[string]any{"a": []any{n("1")}}, jsonK)}}}},
		{"json column", true, false, false, []part{{e: residual.Compare{Op: residual.Neq, Left: c("raw", jsonK), Right: v("x", jsonK)}}}},
		{"enum", true, true, true, []part{{e: residual.Compare{Op: residual.Eq, Left: c("state", textK), Right: v("live", textK)}}}},
		{"time (canonical text)", true, false, false, []part{{e: residual.Compare{Op: residual.Lt, Left: c("opens", textK), Right: v("09:30:00", textK)}}}},
		{"integer array (canonical text)", true, false, false, []part{{e: residual.Compare{Op: residual.Eq, Left: c("ns", textK), Right: v("{1,2}", textK)}}}},
		{"citext column equality (lower)", false, false, false, []part{{e: residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "slug", Kind: textK, Lower: true}, Right: v("ab", textK)}}}},
		{"interval (canonical key)", true, false, false, []part{{e: residual.Compare{Op: residual.Gt, Left: c("dur", textK), Right: v(ivKey, textK)}}}},
		{"integer _in", true, false, false, []part{{e: residual.In{Column: c("author_id", intK), List: v([]any{n("1"), n("2")}, intK)}}}},
		{"text _in", true, false, false, []part{{e: residual.In{Column: c("title", textK), List: v([]any{"a", "b'"}, textK)}}}},
		{"boolean _in", true, false, false, []part{{e: residual.In{Column: c("published", model.KindBoolean), List: v([]any{true}, model.KindBoolean)}}}},
		{"uuid _in", true, false, false, []part{{e: residual.In{Column: c(`we"ird`+"`", model.KindUUID), List: v([]any{"0b4e8d9c-0000-4000-8000-000000000001"}, model.KindUUID)}}}},
		{"numeric _in", true, false, false, []part{{e: residual.In{Column: c("price", model.KindNumeric), List: v([]any{n("1.5"), n("-2")}, model.KindNumeric)}}}},
		{"enum _in", true, false, false, []part{{e: residual.In{Column: c("state", textK), List: v([]any{"draft", "live"}, textK)}}}},
		{"time _in (one placeholder per element)", false, false, false, []part{{e: residual.In{Column: c("opens", textK), List: v([]any{"09:30:00"}, textK)}}}},
		{"pattern", false, false, false, []part{{e: residual.Match{Op: model.OpLike, Column: c("title", textK), Pattern: v("a%", textK), Regex: `^(?s:a.*)$`}}}},
		{"jsonb has key", true, false, false, []part{{e: residual.JSONB{Op: model.OpHasKey, Column: c("meta", jsonK), Value: v("k", textK)}}}},
		{"jsonb contains", true, false, false, []part{{e: residual.JSONB{Op: model.OpContains, Column: c("meta", jsonK), Value: v(map[string]any{"a": []any{n("1"), "x"}}, jsonK)}}}},
		{"json contained in", true, false, false, []part{{e: residual.JSONB{Op: model.OpContained, Column: c("raw", jsonK), Value: v([]any{"x"}, jsonK)}}}},
		{"jsonb has any keys", true, false, false, []part{{e: residual.JSONB{Op: model.OpHasKeysAny, Column: c("meta", jsonK), Value: v([]any{"a", "b"}, textK)}}}},
		{"jsonb has all keys", true, false, false, []part{{e: residual.Not{Item: residual.JSONB{Op: model.OpHasKeysAll, Column: c("meta", jsonK), Value: v([]any{"a"}, textK)}}}}},
		{"several fragments: numbering and aliases go on", true, true, true, []part{
			{e: residual.And{Items: []residual.Expr{exists, residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("3"), intK)}}}},
			{e: residual.Or{Items: []residual.Expr{exists, residual.Not{Item: residual.Compare{Op: residual.Eq, Left: c("title", textK), Right: v("x", textK)}}}}},
			{e: residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("3"), intK)}, col: "title"},
		}},
		{"several fragments with an _in", true, false, false, []part{
			{e: residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("3"), intK)}},
			{e: residual.And{Items: []residual.Expr{residual.In{Column: c("author_id", intK), List: v([]any{n("1")}, intK)}, exists,
				residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("4"), intK)}}}},
			{e: residual.In{Column: c("title", textK), List: v([]any{"x"}, textK)}, col: "title"},
		}},
		{"a constant pattern beside a Param", true, true, true, []part{{e: residual.And{Items: []residual.Expr{
			residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(n("3"), intK)},
			residual.Not{Item: residual.IsNull{Column: c("title", textK)}}}}}}},
	}
	for _, tc := range cases {
		for _, d := range Dialects {
			for _, o := range []Options{{Dialect: d}, {Dialect: d, Alias: "_w1", FirstPlaceholder: 4}, {Dialect: d, Alias: "_W2", Schemas: map[string]string{"blog": "b"}}} {
				name := fmt.Sprintf("%s/%s/%q/%d", tc.name, d, o.Alias, o.FirstPlaceholder)
				want, werr := renderParts(p, o, tc.parts)
				got, gerr := renderPartsTemplate(p, o, tc.parts)
				templatable := map[Dialect]bool{Postgres: tc.pg, MySQL: tc.mysql, SQLite: tc.sqlite}[d]
				switch {
				case gerr != nil && !errors.Is(gerr, ErrNotTemplatable):
					t.Errorf("%s: %v", name, gerr)
				case gerr == nil && werr != nil:
					t.Errorf("%s: the template renders, Render fails: %v", name, werr)
				case gerr == nil && !reflect.DeepEqual(got, want):
					t.Errorf("%s:\ntemplate %#v\nrender   %#v", name, got, want)
				case (gerr == nil) != templatable && werr == nil:
					t.Errorf("%s: templatable %v, want %v (%v)", name, gerr == nil, templatable, gerr)
				}
			}
		}
	}
}

// TestTemplateBindRefuses: values Render would render otherwise, or
// reject, make Bind refuse, and DDL is never templated.
func TestTemplateBindRefuses(t *testing.T) {
	p := testPolicy()
	articles := model.TableName{Schema: "public", Name: "articles"}
	ip := residual.Param{Name: "i", Kind: intK}
	lp := residual.Param{Name: "l", Kind: intK, Array: true}
	tp := residual.Param{Name: "t", Kind: model.KindTimestamptz}
	e := residual.And{Items: []residual.Expr{
		residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: ip},
		residual.In{Column: c("id", intK), List: lp},
		residual.Compare{Op: residual.Lt, Left: c("at", model.KindTimestamptz), Right: tp},
	}}
	params := []residual.Param{ip, lp, tp}
	r, err := NewRenderer(p, articles, Options{Dialect: Postgres})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := r.RenderTemplate(e, params)
	if err != nil {
		t.Fatal(err)
	}
	good := []any{json.Number("1"), []any{json.Number("2")}, "2024-01-02T03:04:05.000000Z"}
	if f, err := tmpl.Bind(good); err != nil || len(f.Args) != 3 {
		t.Fatalf("Bind: %v %v", f, err)
	}
	for i, bad := range [][]any{
		{json.Number("1"), []any{}, good[2]},                      // an empty list renders FALSE
		{json.Number("1"), good[1], residual.Clock{Word: "now"}},  // the database's clock renders as SQL
		{json.Number("1.5"), good[1], good[2]},                    // not an integer: Render fails
		{json.Number("1"), "{2}", good[2]},                        // not a list
		{json.Number("99999999999999999999"), good[1], good[2]},   // out of range
		{json.Number("1"), []any{json.Number("2"), "x"}, good[2]}, // an element of another kind
		{json.Number("1"), good[1]},                               // too few values
	} {
		if _, err := tmpl.Bind(bad); !errors.Is(err, ErrNotTemplatable) {
			t.Errorf("case %d: Bind(%v) = %v, want ErrNotTemplatable", i, bad, err)
		}
	}
	rd, err := NewRenderer(p, articles, Options{Dialect: Postgres, Session: &SessionRead{Schema: "s", Function: "f", Setting: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.RenderTemplate(e, params); !errors.Is(err, ErrNotTemplatable) {
		t.Errorf("DDL: %v, want ErrNotTemplatable", err)
	}
	// A Param missing from params: Bind would fail.
	if _, err := r.RenderTemplate(e, params[:1]); !errors.Is(err, ErrNotTemplatable) {
		t.Errorf("a Param without a value: %v, want ErrNotTemplatable", err)
	}
}
