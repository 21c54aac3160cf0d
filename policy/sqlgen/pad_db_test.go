package sqlgen_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// padTexts are the values of the character(n) columns (canonical: no
// trailing spaces), cut to n characters.
var padTexts = []string{
	"", "a", "ab", "abc", "a b", " a", "é", "日本", "🙂", "e\u0301", "\n", "a\n", "%", "_", "*", "a%", "A", "ß",
}

// padCases are pattern operators whose patterns reach into the padding.
var padCases = []struct {
	op      model.Operator
	pattern string
}{
	{model.OpLike, "a"}, {model.OpLike, "a%"}, {model.OpLike, "a  "}, {model.OpLike, "a   "}, {model.OpLike, "___"},
	{model.OpLike, "____"}, {model.OpLike, "% "}, {model.OpLike, "%"}, {model.OpLike, ""}, {model.OpLike, "_ _"},
	{model.OpLike, "é  "}, {model.OpLike, "%\n%"}, {model.OpLike, `\%%`}, {model.OpLike, "🙂%"},
	{model.OpIlike, "A%"}, {model.OpIlike, "A  "}, {model.OpIlike, "% "},
	{model.OpSimilar, "a %"}, {model.OpSimilar, "_ *"}, {model.OpSimilar, "a"},
	{model.OpRegex, " $"}, {model.OpRegex, "a$"}, {model.OpRegex, "^.{3}$"}, {model.OpRegex, "^.{4}$"}, {model.OpRegex, "[^ ]$"},
	{model.OpRegex, "^a {1,3}$"}, {model.OpIregex, "A +$"},
}

// TestPadAgainstDatabases: a pattern match on a character(n) column padded
// to n (residual.Column.Pad), rendered for each database, selects exactly
// the values Go's regular expression matches once padded as the Rego pads
// them (residual.PadSpaces). c3 is stored as character(3) in PostgreSQL
// and CHAR(3) in MariaDB (odd n; see difftest), c4 as text: the SQL must
// not depend on the stored type.
func TestPadAgainstDatabases(t *testing.T) {
	ctx := context.Background()
	char := func(name string, n int) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: fmt.Sprintf("character(%d)", n), Kind: model.KindText, PadSpace: true, Length: n}, Nullable: true}
	}
	id := &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}}
	cols := []*model.Column{char("c3", 3), char("c4", 4)}
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "t0"}, Columns: append([]*model.Column{id}, cols...)}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	fit := func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			s = string(r[:n])
		}
		return strings.TrimRight(s, " ")
	}
	c := &difftest.Case{Seed: 1, Policy: p, Rows: map[model.TableName][]map[string]any{}}
	for i, s := range padTexts {
		c.Rows[tbl.Name] = append(c.Rows[tbl.Name], map[string]any{"id": strconv.Itoa(i), "c3": fit(s, 3), "c4": fit(s, 4)})
	}
	c.Rows[tbl.Name] = append(c.Rows[tbl.Name], map[string]any{"id": strconv.Itoa(len(padTexts)), "c3": nil, "c4": nil})
	for _, d := range sqlgen.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			st := loadCase(ctx, t, d, "pad", c)
			checked := 0
			for _, col := range cols {
				for _, pc := range padCases {
					re, err := compile.PatternRegex(pc.op, pc.pattern)
					if err != nil {
						t.Fatalf("%s %q: %v", pc.op, pc.pattern, err)
					}
					for _, neg := range []bool{false, true} {
						var e residual.Expr = residual.Match{Op: pc.op, Column: residual.Column{Name: col.Name, Kind: model.KindText, Pad: col.Type.Length},
							Pattern: residual.Value{V: pc.pattern, Kind: model.KindText}, Regex: re}
						if neg {
							e = residual.Not{Item: e}
						}
						r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: d, Alias: "x", Schemas: st.Schemas})
						if err != nil {
							t.Fatal(err)
						}
						f, err := r.Render(e)
						if err != nil {
							var u *sqlgen.UnsupportedError
							if d == sqlgen.SQLite && pc.op != model.OpLike && pc.op != model.OpIlike && errors.As(err, &u) {
								continue // no regular expressions in SQLite
							}
							t.Errorf("%s %q: %v", pc.op, pc.pattern, err)
							continue
						}
						from := `"t0"`
						if s := st.Schemas["public"]; s != "" {
							from = s + "." + from
						}
						q := `SELECT "x".id FROM ` + from + ` AS "x" WHERE ` + f.SQL
						if d == sqlgen.MySQL {
							q = "SELECT `x`.id FROM " + strings.ReplaceAll(from, `"`, "`") + " AS `x` WHERE " + f.SQL
						}
						rows, err := st.IDs(ctx, q, f.Args)
						if err != nil {
							t.Errorf("%s %q: %v\n%s %#v", pc.op, pc.pattern, err, q, f.Args)
							continue
						}
						got := map[int64]bool{}
						for _, r := range rows {
							got[r[0]] = true
						}
						want := regexp.MustCompile(re)
						for i, row := range c.Rows[tbl.Name] {
							// A NULL matches nothing; the negation, unguarded
							// here, holds for it (in SQL as IS NOT TRUE).
							s, isText := row[col.Name].(string)
							w := neg
							if isText {
								w = want.MatchString(residual.PadSpaces(s, col.Type.Length)) != neg
							}
							// Eval is the reference the SQL must agree with.
							if ev := residual.Eval(e, residual.Data{Row: row}); ev != w {
								t.Errorf("Eval of %s on %q: %v, want %v", residual.String(e), s, ev, w)
							}
							if got[int64(i)] != w {
								t.Errorf("%s on %s %q: database %v, want %v\nSQL %s %q", residual.String(e), col.Name, s, got[int64(i)], w, f.SQL, f.Args)
							}
							checked++
						}
					}
				}
			}
			t.Logf("%s: %d value/pattern pairs agree", d, checked)
		})
	}
}
