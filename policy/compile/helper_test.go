package compile_test

import (
	"reflect"
	"testing"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// TestHelperRows: every helper is listed with the input path of the row it
// is called with: none for a rule of the root row; the relationship path,
// [_] for any element of an array or table, for a function.
func TestHelperRows(t *testing.T) {
	id := &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}, Nullable: true}
	articles := model.TableName{Schema: "public", Name: "articles"}
	users := model.TableName{Schema: "public", Name: "users"}
	author := &model.Relationship{Name: "author", Kind: model.RelObject, Target: articles, Mapping: []model.ColumnPair{{Local: "id", Remote: "id"}}}
	comments := &model.Relationship{Name: "comments", Kind: model.RelArray, Target: articles, Mapping: []model.ColumnPair{{Local: "id", Remote: "id"}}}
	eq := func(v int) model.BoolExp {
		return model.Compare{Column: id, Op: model.OpEq, Value: model.Literal{V: v}}
	}
	or := func() model.BoolExp { return model.Or{Items: []model.BoolExp{eq(1), eq(2)}} }
	filter := model.And{Items: []model.BoolExp{
		or(), // any_1
		model.RelExists{Relationship: author, Where: model.And{Items: []model.BoolExp{or(), // any_2(input.row.author)
			model.RelExists{Relationship: comments, Where: or()}}}}, // any_4(r3), on a comment of the author
		model.Not{Item: model.Exists{Table: users, Where: or()}}, // exists_5, holding any_7(t6)
	}}
	tbl := &model.Table{Name: articles, Columns: []*model.Column{id}, Relationships: map[string]*model.Relationship{"author": author, "comments": comments},
		Permissions: map[model.Operation]map[string]*model.Permission{model.OpSelect: {"user": {Role: "user", Op: model.OpSelect, Filter: filter}}}}
	tbl.IndexColumns()
	m, err := compile.CompileTable(tbl, model.OpSelect)
	if err != nil {
		t.Fatal(err)
	}
	want := []compile.Helper{
		{Name: "any_1"},
		{Name: "any_2", Row: "input.row.author"},
		{Name: "any_4", Row: "input.row.author.comments[_]"},
		{Name: "any_7", Row: `input.tables["public.users"][_]`},
		{Name: "exists_5"},
	}
	if !reflect.DeepEqual(m.Helpers, want) {
		t.Errorf("helpers %+v\nwant    %+v\n%s", m.Helpers, want, m.Source)
	}
	if got := m.HelperRef(m.Helpers[1]); got != "data.warden.tables.public.articles.select.any_2" {
		t.Errorf("ref %s", got)
	}
}
