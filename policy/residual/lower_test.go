package residual

import (
	"errors"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// citextBlog is blog() with two citext columns on articles.
func citextBlog() (*model.Policy, *model.Table, map[string]*model.Column) {
	p, tbl, cols := blog()
	ci := model.Type{Declared: "citext", Kind: model.KindText, Fold: true}
	cols["email"] = &model.Column{Name: "email", Type: ci, Nullable: true}
	cols["alt"] = &model.Column{Name: "alt", Type: ci, Nullable: true}
	tbl.Columns = append(tbl.Columns, cols["email"], cols["alt"])
	tbl.IndexColumns()
	return p, tbl, cols
}

// TestTranslateLower: every form the compiler gives a citext comparison
// (lower(column) on the column side, partial evaluation's lower(column, x)
// and aliases of lower(column)) becomes a Lower column operand.
func TestTranslateLower(t *testing.T) {
	p, tbl, col := citextBlog()
	ci := col["email"].Type
	sv := model.SessionVar{Name: "x-hasura-e", Kind: model.KindText, Type: ci}
	svs := model.SessionVar{Name: "x-hasura-es", Kind: model.KindText, Array: true, Type: ci}
	cmp := func(c string, op model.Operator, v model.Value) model.BoolExp {
		return model.Compare{Column: col[c], Op: op, Value: v}
	}
	lit := func(v any) model.Value { return model.Literal{V: v} }
	ref := func(c string, root bool) model.Value { return model.ColumnRef{Column: col[c], Root: root} }
	comments := tbl.Relationships["comments"]
	tests := []struct {
		name string
		e    model.BoolExp
		want string
	}{
		{"literal", cmp("email", model.OpEq, lit("ann")), `lower(email) = "ann"`},
		{"session variable, in its own citext group", cmp("email", model.OpEq, sv), `lower(email) = :citext:x-hasura-e`},
		{"the same variable for text is another parameter", model.Or{Items: []model.BoolExp{cmp("email", model.OpEq, sv), cmp("title", model.OpEq, model.SessionVar{Name: "x-hasura-e", Kind: model.KindText})}},
			`(lower(email) = :citext:x-hasura-e OR title = :x-hasura-e)`},
		{"_neq", cmp("email", model.OpNeq, sv), `(NOT email IS NULL AND lower(email) <> :citext:x-hasura-e)`},
		{"ordering", cmp("email", model.OpGt, lit("b")), `(NOT email IS NULL AND lower(email) > "b")`},
		{"_in", cmp("email", model.OpIn, lit([]any{"a", "b"})), `lower(email) IN ["a","b"]`},
		{"_nin with an array variable", cmp("email", model.OpNin, svs), `(:citext:x-hasura-es[] IS EMPTY OR (NOT email IS NULL AND NOT lower(email) IN :citext:x-hasura-es[]))`},
		{"_ceq lower-cases both sides", cmp("email", model.OpCeq, ref("alt", false)), `(NOT email IS NULL AND NOT alt IS NULL AND lower(alt) = lower(email))`},
		{"_clt", cmp("email", model.OpClt, ref("alt", false)), `(NOT email IS NULL AND NOT alt IS NULL AND lower(email) < lower(alt))`},
		{"NOT of an OR", model.Not{Item: model.Or{Items: []model.BoolExp{cmp("email", model.OpEq, sv), cmp("email", model.OpLt, lit("b"))}}},
			`(NOT email IS NULL AND lower(email) <> :citext:x-hasura-e AND lower(email) >= "b")`},
		{"LIKE reads the column as stored, case-insensitively", cmp("email", model.OpLike, lit("A%")), `(NOT email IS NULL AND email ILIKE "A%")`},
		{"_is_null reads the column as stored", cmp("email", model.OpIsNull, lit(true)), `email IS NULL`},
		{"a root column inside a relationship", model.RelExists{Relationship: comments, Where: cmp("email", model.OpCeq, ref("alt", true))},
			`(NOT alt IS NULL AND EXISTS comments [id = author_id] ((NOT email IS NULL AND lower($.alt) = lower(email))))`},
		{"_nin inside a relationship: an alias of lower(column)", model.RelExists{Relationship: comments, Where: model.Or{Items: []model.BoolExp{cmp("email", model.OpNin, lit([]any{"_"})), cmp("title", model.OpEq, lit("x"))}}},
			`EXISTS comments [id = author_id] (((NOT email IS NULL AND NOT lower(email) IN ["_"]) OR title = "x"))`},
		{"NOT over a relationship", model.Not{Item: model.RelExists{Relationship: comments, Where: cmp("email", model.OpIn, svs)}},
			`NOT EXISTS comments [id = author_id] (lower(email) IN :citext:x-hasura-es[])`},
	}
	sel := map[string]*model.Permission{}
	for i, tc := range tests {
		role := string(rune('a' + i))
		sel[role] = &model.Permission{Role: role, Op: model.OpSelect, Filter: tc.e}
	}
	tbl.Permissions[model.OpSelect] = sel
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
}

// TestTranslateLowerForms: the call and alias forms directly, and what
// lower() may not be applied to.
func TestTranslateLowerForms(t *testing.T) {
	p, tbl, _ := citextBlog()
	good := map[string]string{
		`lower(input.row.email, "ann")`:                                   `lower(email) = "ann"`,
		`lower(input.row.email, lower(input.row.alt))`:                    `lower(email) = lower(alt)`,
		`x = lower(input.row.email); x = "a"`:                             `lower(email) = "a"`,
		`lower(input.row.email, x); internal.member_2(x, ["a"])`:          `lower(email) IN ["a"]`,
		`not lower(input.row.email, "a")`:                                 `NOT lower(email) = "a"`,
		`lower(input.row.email) == null`:                                  `FALSE`,
		`lower(input.row.email) != null`:                                  `NOT email IS NULL`,
		`input.row.title = lower(input.row.email)`:                        `title = lower(email)`,
		`gte(lower(input.row.email), input.session.citext["x-hasura-e"])`: `lower(email) >= :citext:x-hasura-e`,
		`input.row.title = input.session.bpchar["x-hasura-e"]`:            `title = :bpchar:x-hasura-e`,
	}
	for q, want := range good {
		e, err := Translate([]ast.Body{ast.MustParseBody(q)}, nil, Source{Policy: p, Table: tbl})
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if got := String(e); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
	for _, q := range []string{
		`lower(input.row.id, "1")`,
		`lower("A", input.row.email)`,
		`regex.match("a", lower(input.row.email))`,
		`upper(input.row.email) == "A"`,
		`lower(input.row.email) == 1`,
	} {
		_, err := Translate([]ast.Body{ast.MustParseBody(q)}, nil, Source{Policy: p, Table: tbl})
		var te *TranslateError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want a TranslateError", q, err)
		}
	}
}

// TestEvalLower: Eval lower-cases a Lower column as Rego's lower() does
// (strings.ToLower: unicode.ToLower character by character).
func TestEvalLower(t *testing.T) {
	email := Column{Name: "email", Kind: model.KindText, Lower: true}
	alt := Column{Name: "alt", Kind: model.KindText, Lower: true}
	text := func(s string) Value { return Value{V: s, Kind: model.KindText} }
	tests := []struct {
		e    Expr
		row  map[string]any
		want bool
	}{
		{Compare{Op: Eq, Left: email, Right: text("ann")}, map[string]any{"email": "ANN"}, true},
		{Compare{Op: Eq, Left: email, Right: text("ANN")}, map[string]any{"email": "ANN"}, false}, // values arrive lower-cased
		{Compare{Op: Eq, Left: email, Right: text("k")}, map[string]any{"email": "\u212a"}, true}, // Kelvin sign
		{Compare{Op: Eq, Left: email, Right: text("i")}, map[string]any{"email": "İ"}, true},
		{Compare{Op: Eq, Left: email, Right: text("s")}, map[string]any{"email": "ſ"}, false}, // long s is lower case
		{Compare{Op: Eq, Left: email, Right: text("σ")}, map[string]any{"email": "ς"}, false},
		{Compare{Op: Eq, Left: email, Right: text("οδοσ")}, map[string]any{"email": "ΟΔΟΣ"}, true}, // no final sigma
		{Compare{Op: Eq, Left: email, Right: text("ß")}, map[string]any{"email": "ẞ"}, true},
		{Compare{Op: Neq, Left: email, Right: text("a")}, map[string]any{"email": nil}, false},
		{Compare{Op: Gt, Left: email, Right: text("b")}, map[string]any{"email": "Ann"}, false}, // "ann" > "b" is false
		{Compare{Op: Gt, Left: email, Right: text("b")}, map[string]any{"email": "Cat"}, true},
		{Compare{Op: Eq, Left: email, Right: alt}, map[string]any{"email": "ABC", "alt": "abC"}, true},
		{Compare{Op: Lt, Left: email, Right: Column{Name: "alt", Kind: model.KindText}}, map[string]any{"email": "B", "alt": "a"}, false},
		{In{Column: email, List: Value{V: []any{"x", "ann"}, Kind: model.KindText}}, map[string]any{"email": "AnN"}, true},
		{Not{Item: In{Column: email, List: Value{V: []any{"x"}, Kind: model.KindText}}}, map[string]any{"email": "X"}, false},
		{IsNull{Column: Column{Name: "email", Kind: model.KindText}}, map[string]any{"email": nil}, true},
	}
	for _, tc := range tests {
		if got := Eval(tc.e, Data{Row: tc.row}); got != tc.want {
			t.Errorf("%s on %v: %v, want %v", String(tc.e), tc.row, got, tc.want)
		}
	}
}

// TestBindLower: a citext parameter is its own parameter, bound as given;
// String shows the lower-cased column; simplification keeps it.
func TestBindLower(t *testing.T) {
	plain := Param{Name: "x-hasura-e", Kind: model.KindText}
	folded := Param{Name: "x-hasura-e", Kind: model.KindText, Fold: true}
	tmpl := And{Items: []Expr{
		Compare{Op: Eq, Left: Column{Name: "title", Kind: model.KindText}, Right: plain},
		Compare{Op: Eq, Left: Column{Name: "email", Kind: model.KindText, Lower: true}, Right: folded},
		Compare{Op: Eq, Left: Column{Name: "email", Kind: model.KindText, Lower: true}, Right: folded},
	}}
	if got := Params(tmpl); len(got) != 2 {
		t.Fatalf("params %v, want two", got)
	}
	e, err := Bind(tmpl, []Param{plain, folded}, []any{"Ann", "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := String(Simplify(e)), `(title = "Ann" AND lower(email) = "ann")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if !Eval(e, Data{Row: map[string]any{"title": "Ann", "email": "ANN"}}) {
		t.Error("the bound predicate does not hold")
	}
}
