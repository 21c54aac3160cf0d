package residual

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// blog is articles (author: object, comments: array, both to articles
// itself) and users (for _exists).
func blog() (*model.Policy, *model.Table, map[string]*model.Column) {
	cols := map[string]*model.Column{
		"id":        {Name: "id", Type: model.Type{Kind: model.KindInteger}},
		"author_id": {Name: "author_id", Type: model.Type{Kind: model.KindInteger}, Nullable: true},
		"title":     {Name: "title", Type: model.Type{Kind: model.KindText}, Nullable: true},
		"meta":      {Name: "meta", Type: model.Type{Kind: model.KindJSONB}, Nullable: true},
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	users := model.TableName{Schema: "public", Name: "users"}
	tbl := &model.Table{Name: articles, Columns: []*model.Column{cols["id"], cols["author_id"], cols["title"], cols["meta"]},
		Relationships: map[string]*model.Relationship{
			"comments": {Name: "comments", Kind: model.RelArray, Target: articles, Mapping: []model.ColumnPair{{Local: "id", Remote: "author_id"}}},
			"author":   {Name: "author", Kind: model.RelObject, Target: articles, Mapping: []model.ColumnPair{{Local: "author_id", Remote: "id"}}},
		},
		Permissions: map[model.Operation]map[string]*model.Permission{}}
	tbl.IndexColumns()
	ut := &model.Table{Name: users, Columns: []*model.Column{cols["id"], cols["title"]}}
	ut.IndexColumns()
	return &model.Policy{Tables: map[model.TableName]*model.Table{articles: tbl, users: ut}}, tbl, cols
}

func TestTranslate(t *testing.T) {
	p, tbl, col := blog()
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	cmp := func(c string, op model.Operator, v model.Value) model.BoolExp {
		return model.Compare{Column: col[c], Op: op, Value: v}
	}
	lit := func(v any) model.Value { return model.Literal{V: v} }
	comments, author := tbl.Relationships["comments"], tbl.Relationships["author"]
	users := model.TableName{Schema: "public", Name: "users"}
	tests := []struct {
		name string
		e    model.BoolExp
		want string
	}{
		{"session comparison", cmp("author_id", model.OpEq, uid), `author_id = :x-hasura-user-id`},
		{"negated OR keeps the NULL guards", model.Not{Item: model.Or{Items: []model.BoolExp{cmp("id", model.OpEq, uid), model.And{Items: []model.BoolExp{cmp("title", model.OpEq, lit("x")), cmp("author_id", model.OpLt, lit(3))}}}}},
			`(NOT id IS NULL AND id <> :x-hasura-user-id AND ((NOT author_id IS NULL AND author_id >= 3) OR (NOT title IS NULL AND title <> "x")))`},
		{"NOT over a relationship inside a relationship, $ inside", model.RelExists{Relationship: comments, Where: model.And{Items: []model.BoolExp{
			model.Not{Item: model.RelExists{Relationship: author, Where: model.Or{Items: []model.BoolExp{cmp("id", model.OpEq, uid), cmp("title", model.OpEq, lit("x"))}}}},
			model.Or{Items: []model.BoolExp{cmp("id", model.OpGt, lit(3)), cmp("id", model.OpCeq, model.ColumnRef{Root: true, Column: col["author_id"]})}},
		}}},
			`EXISTS comments [id = author_id] ((NOT EXISTS author [author_id = id] ((id = :x-hasura-user-id OR title = "x")) AND ((NOT id IS NULL AND id > 3) OR (NOT id IS NULL AND NOT $.author_id IS NULL AND id = $.author_id))))`},
		{"_exists under NOT inside a relationship", model.RelExists{Relationship: author, Where: model.Not{Item: model.Exists{Table: users, Where: cmp("id", model.OpCeq, model.ColumnRef{Root: true, Column: col["author_id"]})}}},
			`EXISTS author [author_id = id] (NOT (NOT $.author_id IS NULL AND EXISTS public.users ((NOT id IS NULL AND id = $.author_id))))`},
		{"_in [] is false, _nin [] holds for every row, NULL included", model.Or{Items: []model.BoolExp{cmp("id", model.OpIn, lit([]any{})), cmp("author_id", model.OpNin, lit([]any{}))}}, `TRUE`},
		{"_not _nin [] is _in []: false", model.Not{Item: cmp("author_id", model.OpNin, lit([]any{}))}, `FALSE`},
		{"_not _in [] holds for every row", model.And{Items: []model.BoolExp{model.Not{Item: cmp("author_id", model.OpIn, lit([]any{}))}, cmp("id", model.OpGt, lit(3))}}, `(NOT id IS NULL AND id > 3)`},
		{"_nin an array variable: TRUE when it is empty", cmp("author_id", model.OpNin, model.SessionVar{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true}),
			`(:x-hasura-ids[] IS EMPTY OR (NOT author_id IS NULL AND NOT author_id IN :x-hasura-ids[]))`},
		{"_not _in an array variable inside a relationship", model.RelExists{Relationship: comments, Where: model.Not{Item: cmp("author_id", model.OpIn, model.SessionVar{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true})}},
			`EXISTS comments [id = author_id] ((:x-hasura-ids[] IS EMPTY OR (NOT author_id IS NULL AND NOT author_id IN :x-hasura-ids[])))`},
		{"jsonb operators stay calls", model.And{Items: []model.BoolExp{cmp("meta", model.OpHasKeysAll, model.SessionVar{Name: "x-hasura-ks", Kind: model.KindText, Array: true}), model.Not{Item: cmp("meta", model.OpHasKey, lit("a"))}, cmp("meta", model.OpContained, lit([]any{}))}},
			`(NOT meta IS NULL AND meta ?& :x-hasura-ks[] AND NOT meta ? "a" AND meta <@ [])`},
		{"_is_null", model.And{Items: []model.BoolExp{cmp("title", model.OpIsNull, lit(true)), model.Not{Item: cmp("author_id", model.OpIsNull, lit(true))}}}, `(title IS NULL AND NOT author_id IS NULL)`},
		{"patterns come back as stated", model.Or{Items: []model.BoolExp{cmp("title", model.OpNilike, lit("%a_")), cmp("title", model.OpLike, model.SessionVar{Name: "x-hasura-p", Kind: model.KindText})}},
			`((NOT title IS NULL AND NOT title ILIKE "%a_") OR (NOT title IS NULL AND title LIKE :_like:x-hasura-p))`},
		{"empty relationships and _exists", model.And{Items: []model.BoolExp{model.RelExists{Relationship: comments, Where: model.True{}}, model.RelExists{Relationship: author, Where: model.True{}}, model.Exists{Table: users, Where: model.True{}}}},
			`(EXISTS author [author_id = id] (TRUE) AND EXISTS comments [id = author_id] (TRUE) AND EXISTS public.users (TRUE))`},
		{"NOT EXISTS of a nested EXISTS", model.Not{Item: model.RelExists{Relationship: comments, Where: model.RelExists{Relationship: comments, Where: model.True{}}}}, `NOT EXISTS comments [id = author_id] (EXISTS comments [id = author_id] (TRUE))`},
		{"true", model.True{}, `TRUE`},
		{"false", model.Or{}, `FALSE`},
	}
	sel := map[string]*model.Permission{}
	for i, tc := range tests {
		role := string(rune('a' + i))
		sel[role] = &model.Permission{Role: role, Op: model.OpSelect, Filter: tc.e}
	}
	tbl.Permissions[model.OpSelect] = sel
	tbl.Permissions[model.OpUpdate] = map[string]*model.Permission{"u": {Role: "u", Op: model.OpUpdate, Filter: model.True{}, Check: cmp("title", model.OpNeq, lit("x"))}}
	c := compiled(t, p)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			role := string(rune('a' + i))
			e, err := partial(t, c, p, tbl, compile.RuleRef(tbl.Name, model.OpSelect, compile.RuleFilter, role), "input.row", Patterns(tc.e))
			if err != nil {
				t.Fatal(err)
			}
			if got := String(e); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("update check on the new row", func(t *testing.T) {
		e, err := partial(t, c, p, tbl, compile.RuleRef(tbl.Name, model.OpUpdate, compile.RuleCheck, "u"), "input.new_row", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := String(e), `(NOT title IS NULL AND title <> "x")`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

// TestTranslateRejects: residuals that are not about the rows fail with a
// TranslateError rather than being guessed at.
func TestTranslateRejects(t *testing.T) {
	p, tbl, _ := blog()
	for _, q := range []string{
		`input.row.nope = 1`,
		`input.other.x = 1`,
		`input.row.title[0] = "a"`,
		`input.row.comments = 1`,
		`count(input.row.comments) > 1`,
		`input.session.integer.x = input.session.integer.y`,
		`input.row.title`,
	} {
		t.Run(q, func(t *testing.T) {
			body := ast.MustParseBody(q)
			_, err := Translate([]ast.Body{body}, nil, Source{Policy: p, Table: tbl, Root: "input.row"})
			var te *TranslateError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TranslateError", err)
			}
		})
	}
}

// TestTranslateSupportRules: a reference to a support rule, in each form
// partial evaluation writes it (with the value propagated or unified with
// a new variable, negated, as a function of a related row), is the OR of
// the rule's bodies, once; a support rule unified with anything but true,
// or whose value is not true, is an error.
func TestTranslateSupportRules(t *testing.T) {
	p, tbl, _ := blog()
	support := ast.MustParseModuleWithOpts(`package partial.warden.tables.public.articles.select

any_1 = true if { input.row.id = 1 }
any_1 = true if { input.row.author_id = 2 }
any_2(r) = true if { r.title = "x" }
any_2(r) = true if { r.id = 3 }
odd = 3 if { input.row.id = 1 }
`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	ref := "data.partial.warden.tables.public.articles.select."
	tests := []struct{ query, want string }{
		{ref + `any_1`, `(id = 1 OR author_id = 2)`},
		{ref + `any_1 = x; x; input.row.title = "a"`, `((id = 1 OR author_id = 2) AND title = "a")`},
		{`x = ` + ref + `any_1; not x`, `FALSE`},
		{ref + `any_1 = true`, `(id = 1 OR author_id = 2)`},
		{`not ` + ref + `any_1`, `NOT (id = 1 OR author_id = 2)`},
		{`input.row.comments[i]; ` + ref + `any_2(input.row.comments[i])`, `EXISTS comments [id = author_id] ((title = "x" OR id = 3))`},
		{`input.row.comments[i]; ` + ref + `any_2(input.row.comments[i], y); y`, `EXISTS comments [id = author_id] ((title = "x" OR id = 3))`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			e, err := Translate([]ast.Body{ast.MustParseBody(tc.query)}, []*ast.Module{support}, Source{Policy: p, Table: tbl, Root: "input.row"})
			if err != nil {
				t.Fatal(err)
			}
			if got := String(e); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, q := range []string{ref + `any_1 = 3`, ref + `any_1 = false`, `x = 1; ` + ref + `any_1 = x`, ref + `odd`} {
		t.Run("rejects "+q, func(t *testing.T) {
			_, err := Translate([]ast.Body{ast.MustParseBody(q)}, []*ast.Module{support}, Source{Policy: p, Table: tbl, Root: "input.row"})
			var te *TranslateError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TranslateError", err)
			}
		})
	}
}

func TestBind(t *testing.T) {
	uid := Param{Name: "x-hasura-user-id", Kind: model.KindInteger}
	ids := Param{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true}
	pat := Param{Name: "x-hasura-p", Kind: model.KindText, Pattern: model.OpLike}
	tmpl := Or{Items: []Expr{
		Compare{Op: Eq, Left: Column{Name: "author_id", Kind: model.KindInteger}, Right: uid},
		In{Column: Column{Name: "id", Kind: model.KindInteger}, List: ids},
		Exists{Relationship: "comments", Where: Match{Op: model.OpLike, Column: Column{Name: "body", Kind: model.KindText}, Pattern: pat}},
	}}
	if got := Params(tmpl); len(got) != 3 {
		t.Fatalf("params %v", got)
	}
	e, err := Bind(tmpl, []Param{uid, ids, pat}, []any{"7", []any{}, PatternValue{Text: "a%", Regex: "(?s)^a.*$"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := String(e), `(author_id = "7" OR EXISTS comments (body LIKE "a%"))`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if m := e.(Or).Items[1].(Exists).Where.(Match); m.Regex != "(?s)^a.*$" {
		t.Errorf("regex %q", m.Regex)
	}
	if _, err := Bind(tmpl, []Param{uid}, []any{"7"}); err == nil {
		t.Error("a missing parameter binds")
	}
	for _, bad := range []any{"a%", nil, []any{"a%"}} {
		if e, err := Bind(tmpl, []Param{uid, ids, pat}, []any{"7", []any{}, bad}); err == nil {
			t.Errorf("a pattern binds %#v: %s", bad, String(e))
		}
	}
	doc := Param{Name: "x-hasura-doc", Kind: model.KindJSONB}
	e, err = Bind(Compare{Op: Eq, Left: Column{Name: "doc", Kind: model.KindJSONB}, Right: doc}, []Param{doc}, []any{nil})
	if err != nil || String(e) != "doc IS NULL" {
		t.Errorf("jsonb null binds to %v, %v; want doc IS NULL (Rego's == null)", String(e), err)
	}
	if got, _ := Bind(True{}, nil, nil); got != (True{}) {
		t.Error("a template without parameters changes")
	}
}

// Hasura's _nin over an array variable, NOT (c = ANY(list)): every row,
// NULL included, for an empty list; no Empty is left in a bound tree.
func TestBindEmpty(t *testing.T) {
	ids := Param{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true}
	c := Column{Name: "n", Kind: model.KindInteger}
	tmpl := And{Items: []Expr{
		Compare{Op: Gt, Left: Column{Name: "id", Kind: model.KindInteger}, Right: Value{V: json.Number("0"), Kind: model.KindInteger}},
		Or{Items: []Expr{Empty{List: ids}, And{Items: []Expr{Not{Item: IsNull{Column: c}}, Not{Item: In{Column: c, List: ids}}}}}},
	}}
	if got := Params(tmpl); len(got) != 1 || got[0] != ids {
		t.Fatalf("params %v, want %v", got, ids)
	}
	for _, tt := range []struct {
		list []any
		want string
	}{
		{[]any{}, `id > 0`},
		{[]any{json.Number("1"), json.Number("2")}, `(id > 0 AND NOT n IS NULL AND NOT n IN [1,2])`},
	} {
		e, err := Bind(tmpl, []Param{ids}, []any{tt.list})
		if err != nil {
			t.Fatal(err)
		}
		if got := String(e); got != tt.want {
			t.Errorf("bound to %v: got %s, want %s", tt.list, got, tt.want)
		}
		// Eval on the template's meaning: a NULL n passes exactly when the
		// list is empty.
		if got, want := Eval(e, Data{Row: map[string]any{"id": json.Number("1"), "n": nil}}), len(tt.list) == 0; got != want {
			t.Errorf("bound to %v: a NULL n gives %v, want %v", tt.list, got, want)
		}
	}
	if got := Simplify(Empty{List: Value{V: []any{}}}); got != (True{}) {
		t.Errorf("Empty over [] simplifies to %s", String(got))
	}
	if got := Simplify(Empty{List: Value{V: []any{"a"}}}); got != (False{}) {
		t.Errorf("Empty over [a] simplifies to %s", String(got))
	}
}

// BindSome binds the listed parameters and leaves the others, patterns
// and lists included, as they were: row-level security binds the clock
// and reads the rest of the session inside the database.
func TestBindSome(t *testing.T) {
	at := Param{Name: "x-hasura-now", Kind: model.KindTimestamp}
	uid := Param{Name: "x-hasura-user-id", Kind: model.KindInteger}
	ids := Param{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true}
	pat := Param{Name: "x-hasura-p", Kind: model.KindText, Pattern: model.OpLike}
	tmpl := And{Items: []Expr{
		Compare{Op: Lt, Left: Column{Name: "at", Kind: model.KindTimestamp}, Right: at},
		Compare{Op: Eq, Left: Column{Name: "author_id", Kind: model.KindInteger}, Right: uid},
		Or{Items: []Expr{Empty{List: ids}, In{Column: Column{Name: "id", Kind: model.KindInteger}, List: ids}}},
		Match{Op: model.OpLike, Column: Column{Name: "body", Kind: model.KindText}, Pattern: pat},
	}}
	e, err := BindSome(tmpl, []Param{at}, []any{Clock{Word: "now"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := Params(e); len(got) != 3 || slices.Contains(got, at) {
		t.Errorf("params left %v, want every one but %s", got, at.Name)
	}
	if v, ok := e.(And).Items[0].(Compare).Right.(Value); !ok || v.V != (Clock{Word: "now"}) {
		t.Errorf("the clock is not bound: %s", String(e))
	}
	if _, err := BindSome(tmpl, []Param{pat}, []any{"not a PatternValue"}); err == nil {
		t.Error("a listed pattern binds a plain string")
	}
}
