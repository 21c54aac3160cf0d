package residual

import (
	"context"
	"errors"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// bpcharBlog is blog() with character(n) columns on articles: code
// character(5), grade character (character(1)) and tag bpchar (no length).
func bpcharBlog() (*model.Policy, *model.Table, map[string]*model.Column) {
	p, tbl, cols := blog()
	cols["code"] = &model.Column{Name: "code", Type: model.Type{Declared: "character(5)", Kind: model.KindText, PadSpace: true, Length: 5}, Nullable: true}
	cols["grade"] = &model.Column{Name: "grade", Type: model.Type{Declared: "character", Kind: model.KindText, PadSpace: true, Length: 1}, Nullable: true}
	cols["tag"] = &model.Column{Name: "tag", Type: model.Type{Declared: "bpchar", Kind: model.KindText, PadSpace: true}, Nullable: true}
	tbl.Columns = append(tbl.Columns, cols["code"], cols["grade"], cols["tag"])
	tbl.IndexColumns()
	return p, tbl, cols
}

// TestTranslatePad: every form partial evaluation gives a pattern operator
// on a character(n) column (the library's bpchar_pad(column, n) as a call
// with a result, nested, under NOT, in support rules and relationships)
// becomes a Match on a column padded to n; comparisons are not padded.
func TestTranslatePad(t *testing.T) {
	p, tbl, col := bpcharBlog()
	cmp := func(c string, op model.Operator, v model.Value) model.BoolExp {
		return model.Compare{Column: col[c], Op: op, Value: v}
	}
	lit := func(v any) model.Value { return model.Literal{V: v} }
	pat := model.SessionVar{Name: "x-hasura-p", Kind: model.KindText}
	comments := tbl.Relationships["comments"]
	tests := []struct {
		name string
		e    model.BoolExp
		want string
	}{
		{"_like", cmp("code", model.OpLike, lit("ab")), `(NOT code IS NULL AND pad(code, 5) LIKE "ab")`},
		{"_nlike", cmp("code", model.OpNlike, lit("ab%")), `(NOT code IS NULL AND NOT pad(code, 5) LIKE "ab%")`},
		{"_ilike", cmp("code", model.OpIlike, lit("AB   ")), `(NOT code IS NULL AND pad(code, 5) ILIKE "AB   ")`},
		{"_nilike", cmp("code", model.OpNilike, lit("x%")), `(NOT code IS NULL AND NOT pad(code, 5) ILIKE "x%")`},
		{"_similar", cmp("code", model.OpSimilar, lit("ab %")), `(NOT code IS NULL AND pad(code, 5) SIMILAR "ab %")`},
		{"_nsimilar", cmp("code", model.OpNsimilar, lit("ab")), `(NOT code IS NULL AND NOT pad(code, 5) SIMILAR "ab")`},
		{"_regex", cmp("code", model.OpRegex, lit("b  $")), `(NOT code IS NULL AND pad(code, 5) REGEX "b  $")`},
		{"_nregex", cmp("code", model.OpNregex, lit("b$")), `(NOT code IS NULL AND NOT pad(code, 5) REGEX "b$")`},
		{"_iregex", cmp("code", model.OpIregex, lit("^AB")), `(NOT code IS NULL AND pad(code, 5) IREGEX "^AB")`},
		{"_niregex", cmp("code", model.OpNiregex, lit("^x")), `(NOT code IS NULL AND NOT pad(code, 5) IREGEX "^x")`},
		{"a session pattern", cmp("code", model.OpLike, pat), `(NOT code IS NULL AND pad(code, 5) LIKE :_like:x-hasura-p)`},
		{"character is character(1)", cmp("grade", model.OpLike, lit("_")), `(NOT grade IS NULL AND pad(grade, 1) LIKE "_")`},
		{"bpchar without a length is not padded", cmp("tag", model.OpLike, lit("a%")), `(NOT tag IS NULL AND tag LIKE "a%")`},
		{"text is not padded", cmp("title", model.OpLike, lit("a%")), `(NOT title IS NULL AND title LIKE "a%")`},
		{"_eq ignores trailing spaces, not padded", cmp("code", model.OpEq, lit("ab")), `code = "ab"`},
		{"two padded matches", model.And{Items: []model.BoolExp{cmp("code", model.OpLike, lit("a%")), cmp("grade", model.OpRegex, lit("^a$"))}},
			`(NOT code IS NULL AND pad(code, 5) LIKE "a%" AND NOT grade IS NULL AND pad(grade, 1) REGEX "^a$")`},
		{"NOT of an OR (a support rule)", model.Not{Item: model.Or{Items: []model.BoolExp{cmp("code", model.OpLike, lit("ab")), cmp("title", model.OpEq, lit("x"))}}},
			`(NOT code IS NULL AND NOT pad(code, 5) LIKE "ab" AND NOT title IS NULL AND title <> "x")`},
		{"inside a relationship", model.RelExists{Relationship: comments, Where: cmp("code", model.OpRegex, lit(" $"))},
			`EXISTS comments [id = author_id] ((NOT code IS NULL AND pad(code, 5) REGEX " $"))`},
		{"NOT over a relationship", model.Not{Item: model.RelExists{Relationship: comments, Where: model.Or{Items: []model.BoolExp{cmp("code", model.OpSimilar, lit("a")), cmp("grade", model.OpNlike, pat)}}}},
			`NOT EXISTS comments [id = author_id] (((NOT code IS NULL AND pad(code, 5) SIMILAR "a") OR (NOT grade IS NULL AND NOT pad(grade, 1) LIKE :_like:x-hasura-p)))`},
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

// TestTranslatePadForms: the call and alias forms of bpchar_pad directly,
// and where a padded column may not appear.
func TestTranslatePadForms(t *testing.T) {
	p, tbl, _ := bpcharBlog()
	good := map[string]string{
		`data.partial.warden.lib.bpchar_pad(input.row.code, 5, x); regex.match("^a$", x)`:                       `pad(code, 5) REGEX "^a$"`,
		`regex.match("^a$", data.warden.lib.bpchar_pad(input.row.code, 5))`:                                     `pad(code, 5) REGEX "^a$"`,
		`x = data.partial.warden.lib.bpchar_pad(input.row.code, 3); not regex.match("a", x)`:                    `NOT pad(code, 3) REGEX "a"`,
		`not regex.match("a", x); data.warden.lib.bpchar_pad(input.row.grade, 1, x)`:                            `NOT pad(grade, 1) REGEX "a"`,
		`data.partial.warden.lib.bpchar_pad(input.row.code, 5, x); _ = true; regex.match("a", x)`:               `pad(code, 5) REGEX "a"`,
		`y = input.row.code; data.partial.warden.lib.bpchar_pad(y, 5, x); regex.match("a", x)`:                  `pad(code, 5) REGEX "a"`,
		`regex.match(input.session.pattern["_like:x-hasura-p"], data.warden.lib.bpchar_pad(input.row.code, 5))`: `pad(code, 5) LIKE :_like:x-hasura-p`,
	}
	// A constant (a row the request sent, beside a column the database
	// decides) is padded and matched now.
	good[`data.warden.lib.bpchar_pad("ab", 5, x); regex.match("^ab   $", x)`] = String(True{})
	good[`data.warden.lib.bpchar_pad("ab", 5, x); regex.match("^ab$", x)`] = String(False{})
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
		`data.warden.lib.bpchar_pad(input.row.code, 5) == "ab   "`,
		`data.warden.lib.bpchar_pad(input.row.code, 5, "ab   ")`,
		`internal.member_2(data.warden.lib.bpchar_pad(input.row.code, 5), ["a"])`,
		`data.warden.lib.bpchar_pad(input.row.id, 5, x); regex.match("a", x)`,
		`data.warden.lib.bpchar_pad(input.row.code, input.session.integer["x-hasura-n"], x); regex.match("a", x)`,
		`data.warden.lib.bpchar_pad(input.row.code, 0, x); regex.match("a", x)`,
		`data.warden.lib.bpchar_pad(input.row.code, 2.5, x); regex.match("a", x)`,
		`lower(data.warden.lib.bpchar_pad(input.row.code, 5)) == "a"`,
		`regex.match("a", lower(data.warden.lib.bpchar_pad(input.row.code, 5)))`,
		`regex.match(data.warden.lib.bpchar_pad(input.row.code, 5), input.row.title)`,
		`data.warden.lib.jsonb_has_key(data.warden.lib.bpchar_pad(input.row.code, 5), "a")`,
	} {
		_, err := Translate([]ast.Body{ast.MustParseBody(q)}, nil, Source{Policy: p, Table: tbl})
		var te *TranslateError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want a TranslateError", q, err)
		}
	}
}

// TestPadSpacesIsTheLibrary: PadSpaces (what Eval applies to a Pad column)
// gives what the compiled library's bpchar_pad gives under OPA: characters
// counted as code points, a longer value left as it is.
func TestPadSpacesIsTheLibrary(t *testing.T) {
	lib := compile.LibModule()
	for _, tc := range []struct {
		s string
		n int
	}{
		{"", 1}, {"", 5}, {"a", 1}, {"ab", 5}, {"ab ", 5}, {"é", 3}, {"日本", 3}, {"🙂", 2}, {"e\u0301", 3},
		{"abcde", 5}, {"abcdefg", 5}, {"a\nb", 4}, {"%_", 4},
	} {
		got := evalPad(t, lib, tc.s, tc.n)
		if want := PadSpaces(tc.s, tc.n); got != want {
			t.Errorf("bpchar_pad(%q, %d) = %q, PadSpaces %q", tc.s, tc.n, got, want)
		}
	}
}

func evalPad(t *testing.T, lib compile.Module, s string, n int) string {
	t.Helper()
	rs, err := rego.New(rego.Query("x := data.warden.lib.bpchar_pad(input.s, input.n)"), rego.Module(lib.Path, lib.Source),
		rego.Input(map[string]any{"s": s, "n": n})).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("bpchar_pad(%q, %d): %d results", s, n, len(rs))
	}
	out, _ := rs[0].Bindings["x"].(string)
	return out
}

// TestEvalPad: Eval matches a Pad column padded with spaces to Pad
// characters, as the Rego does; NULL and non-text never match.
func TestEvalPad(t *testing.T) {
	code := Column{Name: "code", Kind: model.KindText, Pad: 5}
	m := func(c Column, re string) Match {
		return Match{Op: model.OpRegex, Column: c, Pattern: Value{V: re, Kind: model.KindText}, Regex: re}
	}
	tests := []struct {
		e    Expr
		row  map[string]any
		want bool
	}{
		{m(code, `^ab$`), map[string]any{"code": "ab"}, false},
		{m(code, `^ab   $`), map[string]any{"code": "ab"}, true},
		{m(Column{Name: "code", Kind: model.KindText}, `^ab$`), map[string]any{"code": "ab"}, true}, // not padded
		{m(code, `^.{5}$`), map[string]any{"code": ""}, true},
		{m(code, `^é    $`), map[string]any{"code": "é"}, true}, // characters, not bytes
		{m(Column{Name: "code", Kind: model.KindText, Pad: 3}, `^日本 $`), map[string]any{"code": "日本"}, true},
		{m(code, `^abcdefg$`), map[string]any{"code": "abcdefg"}, true}, // longer: as it is
		{m(code, `.`), map[string]any{"code": nil}, false},
		{m(code, `.`), map[string]any{"code": 3.0}, false},
		{Not{Item: m(code, `b$`)}, map[string]any{"code": "ab"}, true},
		{m(Column{Name: "code", Kind: model.KindText, Pad: 5, Root: true}, `^a    $`), map[string]any{"code": "a"}, true},
	}
	for _, tc := range tests {
		if got := Eval(tc.e, Data{Row: tc.row}); got != tc.want {
			t.Errorf("%s on %v: %v, want %v", String(tc.e), tc.row, got, tc.want)
		}
	}
}
