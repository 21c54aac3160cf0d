package sqlgen_test

import (
	"errors"
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
	tmpl, params, vals := sqlgen.Unbind(e)
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
