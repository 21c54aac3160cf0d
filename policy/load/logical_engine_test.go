package load

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
)

// TestNativeQueryCheckFilter: a logical model's fields are typed columns,
// its select filters are parsed, and the native query's entity decides
// Check and Filter like a table's (editor sees its own rows only).
func TestNativeQueryCheckFilter(t *testing.T) {
	p, lm := loadLogical(t)
	if len(lm.Columns) != 3 || lm.Columns[0].Type.Kind != KindOf("integer") || lm.Columns[0].Nullable {
		t.Fatalf("columns = %+v", lm.Columns)
	}
	if lm.Select["editor"].Filter == nil || lm.Select["user"].Filter == nil {
		t.Fatalf("filters: editor %v, user %v", lm.Select["editor"].Filter, lm.Select["user"].Filter)
	}
	// staff inherits from user (every row; id, title) and editor (its own
	// rows; every field): Hasura combines them as a table's, secret
	// nulled where editor's filter fails.
	if s := lm.Select["staff"]; s.Filter == nil || len(s.ColumnConditions) != 1 || s.ColumnConditions["secret"] == nil {
		t.Errorf("staff (parents with different columns) = %+v, want a filter and a condition on secret", s)
	}
	for _, tb := range p.Tables {
		if tb.Name.Schema == model.NativeSchema {
			t.Errorf("native entity %s among the policy's tables", tb.Name)
		}
	}
	ctx := context.Background()
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	ns := set.NativeQueries()
	if ns == nil {
		t.Fatal("no native query set")
	}
	name := model.NativeTableName("article_summaries")
	editor := engine.Session{Role: "editor", Vars: map[string]string{"x-hasura-user-id": "7"}}
	res, err := ns.Check(ctx, engine.CheckInput{Session: editor, Table: name, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "own", Values: map[string]any{"id": 7, "title": "a", "secret": "s"}},
		{ID: "other", Values: map[string]any{"id": 8, "title": "b", "secret": "s"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.Deny {
		t.Errorf("editor rows = %+v, want allow own, deny other", res.Rows)
	}
	user := engine.Session{Role: "user"}
	res, err = ns.Check(ctx, engine.CheckInput{Session: user, Table: name, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "secret", Values: map[string]any{"id": 8, "title": "b", "secret": "s"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Decision != engine.Allow || strings.Join(res.Rows[0].AllowedColumns, ",") != "id,title" {
		t.Errorf("user rows = %+v, want allowed with columns id and title only (as for a table)", res.Rows)
	}
	// An inherited role whose parents grant different columns: the
	// column only editor grants is readable on editor's rows only.
	staff := engine.Session{Role: "staff", Vars: map[string]string{"x-hasura-user-id": "7"}}
	res, err = ns.Check(ctx, engine.CheckInput{Session: staff, Table: name, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "own", Values: map[string]any{"id": 7, "title": "a", "secret": "s"}},
		{ID: "other", Values: map[string]any{"id": 8, "title": "b", "secret": "s"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Decision != engine.Allow || strings.Join(res.Rows[0].AllowedColumns, ",") != "id,secret,title" ||
		res.Rows[1].Decision != engine.Allow || strings.Join(res.Rows[1].AllowedColumns, ",") != "id,title" {
		t.Errorf("staff rows = %+v, want both allowed, secret only on its own", res.Rows)
	}
	sf, err := ns.Filter(ctx, engine.FilterInput{Session: staff, Table: name, Op: model.OpSelect})
	if err != nil || sf.Kind != engine.AlwaysAllowed || len(sf.ColumnConditions) != 1 || !strings.Contains(fmt.Sprint(sf.ColumnConditions["secret"]), "7") {
		t.Errorf("staff filter = %+v %v, want every row, secret on id 7", sf, err)
	}
	f, err := ns.Filter(ctx, engine.FilterInput{Session: editor, Table: name, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != engine.Conditional || !strings.Contains(fmt.Sprint(f.Predicate), "7") {
		t.Errorf("editor filter = %v %v, want conditional on id 7", f.Kind, f.Predicate)
	}
	if f, err = ns.Filter(ctx, engine.FilterInput{Session: user, Table: name, Op: model.OpSelect}); err != nil || f.Kind != engine.AlwaysAllowed {
		t.Errorf("user filter = %+v %v, want always allowed", f, err)
	}
}

// TestLogicalModelColumns: fields in the map form, a bare type name and
// {scalar}, are typed columns; a field of a logical model or array type
// is a field but no column, so a filter on it is a problem.
func TestLogicalModelColumns(t *testing.T) {
	src := strings.Replace(logicalSource, `      fields:
        - {name: id, type: {scalar: integer, nullable: false}}
        - {name: title, type: {scalar: text, nullable: true}}
        - {name: secret, type: {scalar: text, nullable: true}}`, `      fields:
        id: {type: integer, nullable: false}
        title: {type: {scalar: text}}
        secret: {type: {array: {scalar: text}}}`, 1)
	if src == logicalSource {
		t.Fatal("fixture not rewritten")
	}
	files := map[string]string{"metadata/databases/databases.yaml": src, "metadata/databases/default/native_queries.yaml": nativeQueries}
	p, err := loadRemote(t, files, WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	lm := p.GraphQL.LogicalModels["default"]["article_summary"]
	var cols []string
	for _, c := range lm.Columns {
		cols = append(cols, c.Name)
	}
	if strings.Join(lm.Fields, ",") != "id,title,secret" || strings.Join(cols, ",") != "id,title" || lm.Columns[0].Nullable || !lm.Columns[1].Nullable {
		t.Errorf("fields %v, columns %+v, want id (not nullable) and title", lm.Fields, lm.Columns)
	}
	files["metadata/databases/databases.yaml"] = strings.Replace(src, "filter: {id: {_eq: X-Hasura-User-Id}}", "filter: {secret: {_is_null: true}}", 1)
	if _, err := loadRemote(t, files, WithStrict()); err == nil || !strings.Contains(err.Error(), `unknown column or relationship "secret"`) {
		t.Errorf("a filter on an array field: %v, want unknown column", err)
	}
}

// TestNativeQueryExists: a logical model filter may read a table with
// _exists; the native queries' set decides it (the table's rows are data
// Check asks for, as for a table's rule).
func TestNativeQueryExists(t *testing.T) {
	src := strings.Replace(logicalSource, "        - role: editor\n", `        - role: author
          permission: {columns: [id], filter: {_exists: {_table: {schema: public, name: author}, _where: {id: {_eq: X-Hasura-User-Id}}}}}
        - role: editor
`, 1)
	p, err := loadRemote(t, map[string]string{"metadata/databases/databases.yaml": src, "metadata/databases/default/native_queries.yaml": nativeQueries}, WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := set.NativeQueries().Filter(context.Background(), engine.FilterInput{Session: engine.Session{Role: "author", Vars: map[string]string{"x-hasura-user-id": "3"}},
		Table: model.NativeTableName("article_summaries"), Op: model.OpSelect})
	if err != nil || f.Kind != engine.Conditional || !strings.Contains(fmt.Sprint(f.Predicate), "author") {
		t.Errorf("Filter = %+v, %v; want conditional on the author table", f, err)
	}
}

// TestCombineLogical: an inherited role's permission on a logical model
// is combined as a table's (filters OR-ed, columns unioned, a condition
// on each column not every parent grants unconditionally, a parent's
// own column condition carried); a parent without a filter leaves none.
func TestCombineLogical(t *testing.T) {
	a := &model.LogicalSelect{Columns: []string{"id", "title"}, Filter: model.And{}, AllRows: true}
	b := &model.LogicalSelect{Columns: []string{"id", "secret"}, Filter: model.Or{}, ColumnConditions: map[string]model.BoolExp{"secret": model.Not{}}}
	c := combineLogical([]*model.LogicalSelect{a, b})
	if strings.Join(c.Columns, ",") != "id,title,secret" || !c.AllRows || c.Filter == nil {
		t.Fatalf("combined = %+v", c)
	}
	if len(c.ColumnConditions) != 2 || fmt.Sprint(c.ColumnConditions["title"]) != fmt.Sprint(model.And{}) || fmt.Sprint(c.ColumnConditions["secret"]) != fmt.Sprint(model.Not{}) {
		t.Errorf("column conditions = %v, want title on a's filter, secret on b's condition", c.ColumnConditions)
	}
	if one := combineLogical([]*model.LogicalSelect{a}); one.ColumnConditions != nil || one.Filter == nil {
		t.Errorf("one parent = %+v, want its permission without conditions", one)
	}
	if u := combineLogical([]*model.LogicalSelect{a, {Columns: []string{"id"}}}); u.Filter != nil || u.ColumnConditions != nil {
		t.Errorf("a parent without a filter = %+v, want no filter", u)
	}
}
