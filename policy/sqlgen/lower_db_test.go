package sqlgen_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// lowerTexts are the citext values every lower-cased comparison is run
// against: characters several others lower-case to, characters other case
// mappings or foldings confuse, title case, a final sigma, letters newer
// than some databases' case tables, and GLOB, LIKE and regex specials.
var lowerTexts = []string{
	"", "a", "A", "ab", "aB", "AB", "b", "B", "k", "K", "\u212a", "s", "S", "ſ", "ß", "ẞ", "SS", "ss", "σ", "ς", "Σ",
	"ΟΔΟΣ", "οδοσ", "οδος", "i", "I", "İ", "ı", "é", "É", "e\u0301", "ǆ", "ǅ", "Ǆ", "å", "Å", "\u212b", "ω", "Ω", "\u2126",
	"θ", "Θ", "ϴ", "ϑ", "ა", "Ა", "ƚ", "Ƚ", "🙂", "x🙂Y", "*", "?", "[", "]", "[a]", "a*b", "A*B", "%", "_", `\`, "^", "$",
	".", "a.b", "a b", "a\nb", "A\nB", "straße", "STRASSE", "Straße", "12", "@x.org", "KiSS@X.org", "ia", "İa",
}

// lowerValues are the values compared with: every text lower-cased (as
// values arrive), and a few that no text lower-cases to.
func lowerValues() []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range lowerTexts {
		if v = strings.ToLower(v); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return append(out, "A", "aB", "Σ")
}

// TestLowerAgainstDatabases: comparisons of a lower-cased (citext) column,
// rendered for each database, select exactly the rows residual.Eval (the
// Rego's meaning: Go's strings.ToLower) selects; where a dialect cannot
// render one, it says so with an UnsupportedError. PostgreSQL's citext
// columns are of type citext (whose own operators ignore case).
func TestLowerAgainstDatabases(t *testing.T) {
	ctx := context.Background()
	ci := model.Type{Declared: "citext", Kind: model.KindText, Fold: true}
	id := &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}}
	s := &model.Column{Name: "s", Type: ci, Nullable: true}
	u := &model.Column{Name: "u", Type: ci, Nullable: true}
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "t0"}, Columns: []*model.Column{id, s, u}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	c := &difftest.Case{Seed: 1, Policy: p, Rows: map[model.TableName][]map[string]any{}}
	var rows []map[string]any
	for i, x := range lowerTexts {
		rows = append(rows, map[string]any{"id": strconv.Itoa(i), "s": x, "u": lowerTexts[(i*7+3)%len(lowerTexts)]})
	}
	rows = append(rows, map[string]any{"id": strconv.Itoa(len(lowerTexts)), "s": nil, "u": "a"})
	c.Rows[tbl.Name] = rows

	col := func(name string) residual.Column {
		return residual.Column{Name: name, Kind: model.KindText, Lower: true}
	}
	text := func(v string) residual.Value { return residual.Value{V: v, Kind: model.KindText} }
	var preds []residual.Expr
	vals := lowerValues()
	// exact: =, <> (and NOT =), IN and NOT IN with values, which every
	// dialect renders exactly.
	exact := func(e residual.Expr) bool {
		if n, ok := e.(residual.Not); ok {
			e = n.Item
		}
		switch x := e.(type) {
		case residual.Compare:
			_, v := x.Right.(residual.Value)
			return v && (x.Op == residual.Eq || x.Op == residual.Neq)
		case residual.In:
			return true
		}
		return false
	}
	for i, v := range vals {
		preds = append(preds,
			residual.Compare{Op: residual.Eq, Left: col("s"), Right: text(v)},
			residual.Compare{Op: residual.Neq, Left: col("s"), Right: text(v)},
			residual.Not{Item: residual.Compare{Op: residual.Eq, Left: col("s"), Right: text(v)}},
			residual.In{Column: col("s"), List: residual.Value{V: []any{v, vals[(i*5+1)%len(vals)]}, Kind: model.KindText}},
			residual.Not{Item: residual.In{Column: col("s"), List: residual.Value{V: []any{vals[(i*3+2)%len(vals)], v}, Kind: model.KindText}}},
			residual.Compare{Op: residual.Lt, Left: col("s"), Right: text(v)},
			residual.Compare{Op: residual.Gte, Left: col("s"), Right: text(v)},
		)
	}
	for _, op := range []residual.CmpOp{residual.Eq, residual.Neq, residual.Lt, residual.Gte} {
		preds = append(preds, residual.Compare{Op: op, Left: col("s"), Right: col("u")})
	}

	for _, d := range sqlgen.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			st := loadCase(ctx, t, d, "low", c)
			from := `"t0"`
			if sc := st.Schemas["public"]; sc != "" {
				from = `"` + sc + `".` + from
			}
			q := `SELECT "x".id FROM ` + from + ` AS "x" WHERE `
			if d == sqlgen.MySQL {
				q = strings.ReplaceAll(q, `"`, "`")
			}
			rendered, rest := 0, 0
			for _, e := range preds {
				r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: d, Alias: "x", Schemas: st.Schemas})
				if err != nil {
					t.Fatal(err)
				}
				f, err := r.Render(e)
				if err != nil {
					var u *sqlgen.UnsupportedError
					if d != sqlgen.Postgres && !exact(e) && errors.As(err, &u) && strings.HasSuffix(u.Op, " on citext") {
						continue
					}
					t.Errorf("%s: %v", residual.String(e), err)
					continue
				}
				if exact(e) {
					rendered++
				} else {
					rest++
				}
				ids, err := st.IDs(ctx, q+f.SQL, f.Args)
				if err != nil {
					t.Errorf("%s: %v\n%s %q", residual.String(e), err, f.SQL, f.Args)
					continue
				}
				got := map[int64]bool{}
				for _, r := range ids {
					got[r[0]] = true
				}
				for i, row := range rows {
					if want := residual.Eval(e, residual.Data{Row: row}); got[int64(i)] != want {
						t.Errorf("%s on s=%q u=%q: database %v, Go %v\nSQL %s %q", residual.String(e), row["s"], row["u"], got[int64(i)], want, f.SQL, f.Args)
					}
				}
			}
			// Five exact predicates per value; the orderings and column
			// comparisons (rest) only on PostgreSQL.
			if want := 5 * len(vals); rendered != want {
				t.Errorf("%d =, <>, IN predicates rendered, want %d", rendered, want)
			}
			if d == sqlgen.Postgres && rendered+rest != len(preds) {
				t.Errorf("PostgreSQL rendered %d of %d predicates", rendered+rest, len(preds))
			}
			t.Logf("%d of %d predicates rendered and compared on %d rows", rendered+rest, len(preds), len(rows))
		})
	}
}
