package sqlgen_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// renderTemplate renders e from its template (unbind) and binds the
// values; ok false when it is not templatable.
func renderTemplate(t *testing.T, p *model.Policy, table model.TableName, o sqlgen.Options, e residual.Expr) (sqlgen.Fragment, bool) {
	t.Helper()
	tmpl, params, vals := unbind(e)
	bound, folded, err := residual.BindFolded(tmpl, params, vals)
	if err != nil || folded || !reflect.DeepEqual(bound, e) {
		t.Fatalf("unbind: %v folded %v:\n%s\nwant %s", err, folded, residual.String(bound), residual.String(e))
	}
	r, err := sqlgen.NewRenderer(p, table, o)
	if err != nil {
		t.Fatal(err)
	}
	tt, err := r.RenderTemplate(tmpl, params)
	if err != nil {
		if !errors.Is(err, sqlgen.ErrNotTemplatable) {
			t.Fatalf("RenderTemplate: %v", err)
		}
		return sqlgen.Fragment{}, false
	}
	f, err := tt.Bind(vals)
	if err != nil {
		if !errors.Is(err, sqlgen.ErrNotTemplatable) {
			t.Fatalf("Bind: %v", err)
		}
		return sqlgen.Fragment{}, false
	}
	return f, true
}

// unbind turns the Value operands of Compare, In, Match and JSONB into
// Params: the template residual.Bind binds back to e with the values
// returned (one Param per distinct kind and value, so a Param repeats).
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

// TestFuzzRenderTemplateLeg: FuzzRender's template leg renders some of
// its seed predicates, so that it does not pass vacuously.
func TestFuzzRenderTemplateLeg(t *testing.T) {
	fx := newFixture("t", "v'1")
	n := 0
	for i := range 64 {
		e := fx.expr(&bytes{b: []byte{byte(i), byte(i * 7), byte(i * 13), 3, 0, 1}}, 0)
		for _, d := range sqlgen.Dialects {
			o := sqlgen.Options{Dialect: d, Alias: "t_alias"}
			got, ok := renderTemplate(t, fx.p, fx.root.Name, o, e)
			if !ok {
				continue
			}
			r, _ := sqlgen.NewRenderer(fx.p, fx.root.Name, o)
			want, err := r.Render(e)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: template %#v, render %#v (%v)", d, got, want, err)
			}
			if len(got.Args) > 0 {
				n++
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d templated renderings with arguments", n)
	}
}
