package sqlgen_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestSubqueryAliasesAgainstDatabases: the caller's alias for the root
// table may differ only in case from an alias sqlgen gives a subquery
// (_wN for EXISTS, _jN for a JSON key test). SQLite matches such names
// without regard to case, so the subquery's row would capture the root's
// column references and let rows through that the filter must keep out.
func TestSubqueryAliasesAgainstDatabases(t *testing.T) {
	ctx := context.Background()
	col := func(name string, k model.Kind, decl string) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: decl, Kind: k}, Nullable: true}
	}
	id := func() *model.Column {
		return &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}}
	}
	t0 := &model.Table{Name: model.TableName{Schema: "public", Name: "t0"}, Columns: []*model.Column{
		id(), col("owner", model.KindInteger, "bigint"), {Name: "meta", Type: model.Type{Declared: "jsonb", Kind: model.KindJSONB}, Nullable: true},
	}}
	t1 := &model.Table{Name: model.TableName{Schema: "public", Name: "t1"}, Columns: []*model.Column{
		id(), col("t0_id", model.KindInteger, "bigint"), col("owner", model.KindInteger, "bigint"),
	}}
	t0.IndexColumns()
	t1.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{t0.Name: t0, t1.Name: t1}}
	n := func(s string) json.Number { return json.Number(s) }
	c := &difftest.Case{Seed: 1, Policy: p, Rows: map[model.TableName][]map[string]any{
		t0.Name: {
			{"id": n("0"), "owner": n("1"), "meta": map[string]any{"k": n("1")}},
			{"id": n("1"), "owner": n("2"), "meta": map[string]any{"z": n("1")}},
		},
		t1.Name: {
			{"id": n("0"), "t0_id": n("0"), "owner": n("1")},
			{"id": n("1"), "t0_id": n("1"), "owner": n("9")},
		},
	}}
	intK := model.KindInteger
	preds := []residual.Expr{
		// A t1 row of the same owner: only t0 row 0. Were $.owner read
		// from the t1 row, both would pass.
		residual.Exists{Table: t1.Name, On: []model.ColumnPair{{Local: "id", Remote: "t0_id"}},
			Where: residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "owner", Kind: intK},
				Right: residual.Column{Name: "owner", Kind: intK, Root: true}}},
		residual.JSONB{Op: model.OpHasKey, Column: residual.Column{Name: "meta", Kind: model.KindJSONB}, Value: residual.Value{V: "k", Kind: model.KindText}},
	}
	for _, d := range sqlgen.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			st := loadCase(ctx, t, d, "als", c)
			from := `"t0"`
			if sc := st.Schemas["public"]; sc != "" {
				from = `"` + sc + `".` + from
			}
			for _, alias := range []string{"_W1", "_w1", "_J1", "_j1", "_w2"} {
				q := `SELECT "` + alias + `".id FROM ` + from + ` AS "` + alias + `" WHERE `
				if d == sqlgen.MySQL {
					q = strings.ReplaceAll(q, `"`, "`")
				}
				for _, e := range preds {
					r, err := sqlgen.NewRenderer(p, t0.Name, sqlgen.Options{Dialect: d, Alias: alias, Schemas: st.Schemas})
					if err != nil {
						t.Fatal(err)
					}
					f, err := r.Render(e)
					if err != nil {
						t.Errorf("%s: %v", residual.String(e), err)
						continue
					}
					ids, err := st.IDs(ctx, q+f.SQL, f.Args)
					if err != nil {
						t.Errorf("alias %s, %s: %v\n%s %q", alias, residual.String(e), err, f.SQL, f.Args)
						continue
					}
					if len(ids) != 1 || ids[0][0] != 0 {
						t.Errorf("alias %s, %s: rows %v, want [[0]]\nSQL %s %q", alias, residual.String(e), ids, f.SQL, f.Args)
					}
				}
			}
		})
	}
}
