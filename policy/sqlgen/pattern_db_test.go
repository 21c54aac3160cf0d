package sqlgen_test

import (
	"context"
	"errors"
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

// patternTexts are the values every pattern is matched against.
var patternTexts = []string{
	"", "a", "A", "ab", "aB", "a b", "a\nb", "a\n", "\n", "b", "ba", "abc", "ABC", "a.c", "a%c", "a_c", `a\c`, "k", "K", "K",
	"s", "S", "ſ", "ß", "ẞ", "SS", "σ", "ς", "Σ", "é", "É", "e\u0301", "🙂", "x🙂y", "12", "a1", "_", "%", "[", "]", "*", "?",
	"éa", "aé", "a\tb", "foo bar", "foobar", "\u00a0", "ǅ", "ǆ", "Ǆ", "\r\n",
}

// patternCases are Go regular expressions (as the Rego evaluates them)
// and Hasura patterns per operator.
// A case with op "" is a Go regular expression used as is (a residual may
// carry any).
var patternCases = []struct {
	op      model.Operator
	pattern string
}{
	{"", "a.b"}, {"", "^.$"}, {"", "(?m)^b$"}, {"", "(?m)a$"}, {"", `(?U)a+?b`}, {"", "(?i)a(?-i)b"}, {"", `(?s:.)
`},
	{"", `^[^
]+$`}, {"", "(?m:^$)"}, {"", `\Aa`}, {"", `b\z`}, {"", `[[:^alpha:]]`}, {"", `\W`}, {"", `^\p{Greek}+$`},
	{model.OpLike, "a%"}, {model.OpLike, "%b"}, {model.OpLike, "_"}, {model.OpLike, "a_c"}, {model.OpLike, `a\%c`},
	{model.OpLike, `a\_c`}, {model.OpLike, `a\\c`}, {model.OpLike, `%\`}, {model.OpLike, ""}, {model.OpLike, "%"},
	{model.OpLike, "[%"}, {model.OpLike, "*"}, {model.OpLike, "?"}, {model.OpLike, "%🙂%"}, {model.OpLike, "a\n%"},
	{model.OpIlike, "a%"}, {model.OpIlike, "k"}, {model.OpIlike, "s"}, {model.OpIlike, "ß"}, {model.OpIlike, "σ"},
	{model.OpIlike, "É"}, {model.OpIlike, "%B"}, {model.OpIlike, "ǆ"}, {model.OpIlike, "_b"},
	{model.OpSimilar, "(a|b)%"}, {model.OpSimilar, "[a-c]+"}, {model.OpSimilar, "a*"}, {model.OpSimilar, "%[0-9]%"},
	{model.OpSimilar, "_{2}"}, {model.OpSimilar, "a.c"}, {model.OpSimilar, "[^a]%"},
	{model.OpRegex, "^a"}, {model.OpRegex, "b$"}, {model.OpRegex, "a.b"}, {model.OpRegex, "^.$"}, {model.OpRegex, `\bab`},
	{model.OpRegex, `a\b`}, {model.OpRegex, `\Bb`}, {model.OpRegex, `^\w+$`}, {model.OpRegex, `\d`}, {model.OpRegex, `\s`},
	{model.OpRegex, "(?m)^b"}, {model.OpRegex, "(?m)a$"}, {model.OpRegex, "(?s)a.b"}, {model.OpRegex, "^[^a]"},
	{model.OpRegex, `\A\z`}, {model.OpRegex, "a(?i)b"}, {model.OpRegex, "^(a|)$"}, {model.OpRegex, "^x{2,3}$"},
	{model.OpRegex, `\pL`}, {model.OpRegex, `^\PL+$`}, {model.OpRegex, "[[:upper:]]"}, {model.OpRegex, "^(?:a+?)b"},
	{model.OpRegex, "é"}, {model.OpRegex, `[\x{1F600}-\x{1F64F}]`}, {model.OpRegex, `\.`}, {model.OpRegex, `^\r?\n?$`},
	{model.OpRegex, "^[a-z&&]$"}, {model.OpRegex, "[^\\x00-\\x{10FFFF}]"}, {model.OpRegex, "$^"},
	{model.OpIregex, "^a"}, {model.OpIregex, "k"}, {model.OpIregex, "S$"}, {model.OpIregex, "[a-c]b"}, {model.OpIregex, "σ"},
}

// TestPatternsAgainstDatabases: every pattern operator, rendered for each
// database, selects exactly the values Go's regular expression (what the
// Rego evaluates) matches.
func TestPatternsAgainstDatabases(t *testing.T) {
	ctx := context.Background()
	text := &model.Column{Name: "s", Type: model.Type{Declared: "text", Kind: model.KindText}}
	id := &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}}
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "t0"}, Columns: []*model.Column{id, text}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	c := &difftest.Case{Seed: 1, Policy: p, Rows: map[model.TableName][]map[string]any{}}
	for i, s := range patternTexts {
		c.Rows[tbl.Name] = append(c.Rows[tbl.Name], map[string]any{"id": strconv.Itoa(i), "s": s})
	}
	for _, d := range sqlgen.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			st := loadCase(ctx, t, d, "pat", c)
			for _, pc := range patternCases {
				re, op := pc.pattern, pc.op
				var err error
				if op == "" {
					op = model.OpRegex
				} else if re, err = compile.PatternRegex(pc.op, pc.pattern); err != nil {
					t.Fatalf("%s %q: %v", pc.op, pc.pattern, err)
				}
				m := residual.Match{Op: op, Column: residual.Column{Name: "s", Kind: model.KindText}, Pattern: residual.Value{V: pc.pattern, Kind: model.KindText}, Regex: re}
				r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: d, Alias: "x", Schemas: st.Schemas})
				if err != nil {
					t.Fatal(err)
				}
				f, err := r.Render(m)
				if err != nil {
					var u *sqlgen.UnsupportedError
					if d == sqlgen.SQLite && op != model.OpLike && op != model.OpIlike && errors.As(err, &u) {
						continue // no regular expressions in SQLite
					}
					t.Errorf("%s %q: %v", pc.op, pc.pattern, err)
					continue
				}
				from := `"t0"`
				if s := st.Schemas["public"]; s != "" {
					from = s + "." + from
				}
				if d == sqlgen.MySQL {
					from = strings.ReplaceAll(from, `"`, "`")
				}
				q := `SELECT "x".id FROM ` + from + ` AS "x" WHERE ` + f.SQL
				if d == sqlgen.MySQL {
					q = "SELECT `x`.id FROM " + from + " AS `x` WHERE " + f.SQL
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
				for i, s := range patternTexts {
					if w := want.MatchString(s); got[int64(i)] != w {
						t.Errorf("%s %q (regex %q) on %q: database %v, Go %v\nSQL %s %q", pc.op, pc.pattern, re, s, got[int64(i)], w, f.SQL, f.Args)
					}
				}
			}
		})
	}
}
