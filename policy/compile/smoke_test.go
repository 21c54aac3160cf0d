package compile

import (
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/wardenpdp/warden/policy/model"
)

func TestSmoke(t *testing.T) {
	id := &model.Column{Name: "id", Type: model.Type{Kind: model.KindInteger}}
	author := &model.Column{Name: "author_id", Type: model.Type{Kind: model.KindInteger}}
	title := &model.Column{Name: "title", Type: model.Type{Kind: model.KindText}}
	meta := &model.Column{Name: "meta", Type: model.Type{Kind: model.KindJSONB}}
	comments := &model.Relationship{Name: "comments", Kind: model.RelArray, Target: model.TableName{Schema: "public", Name: "comments"}}
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "articles"}, Columns: []*model.Column{id, author, title, meta},
		Permissions: map[model.Operation]map[string]*model.Permission{model.OpSelect: {
			"user": {Role: "user", Op: model.OpSelect, Filter: model.Or{Items: []model.BoolExp{
				model.Compare{Column: author, Op: model.OpEq, Value: uid},
				model.And{Items: []model.BoolExp{
					model.Compare{Column: title, Op: model.OpIlike, Value: model.Literal{V: "%foo_"}},
					model.Not{Item: model.RelExists{Relationship: comments, Where: model.Or{Items: []model.BoolExp{
						model.Compare{Column: author, Op: model.OpNeq, Value: uid},
						model.Compare{Column: id, Op: model.OpCgt, Value: model.ColumnRef{Root: true, Column: id}},
					}}}},
					model.Compare{Column: id, Op: model.OpNin, Value: model.Literal{V: []any{json.Number("1"), json.Number("2")}}},
					model.Compare{Column: meta, Op: model.OpContains, Value: model.Literal{V: map[string]any{"a": json.Number("1")}}},
				}},
			}}},
			"my-role": {Role: "my-role", Op: model.OpSelect, Filter: model.True{}},
		}}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	mods, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
		t.Log("\n" + m.Source)
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		parsed[m.Path] = pm
	}
	c := ast.NewCompiler().WithStrict(true)
	c.Compile(parsed)
	if c.Failed() {
		t.Fatal(c.Errors)
	}
}
