package sqlgen_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	_ "modernc.org/sqlite"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// FuzzRender renders predicates built from the fuzzer's bytes, with
// adversarial identifiers and values, in every dialect, and requires that
//
//   - where the predicate's template (its values made session Params)
//     renders (RenderTemplate, Template.Bind), it renders Render's SQL
//     and arguments;
//
//   - no value reaches the SQL text: every token is a quoted identifier, a
//     placeholder, a keyword or function of the renderer, or one of its
//     fixed string literals;
//
//   - in SQLite, the SQL runs and selects exactly the rows residual.Eval
//     (the Rego's meaning) allows.
//
//     go test ./policy/sqlgen -run - -fuzz FuzzRender
func FuzzRender(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, "t", "a%")
	f.Add([]byte{5, 5, 5, 1, 9, 3, 7}, `we"ird`+"`name", `x' OR '1'='1`)
	f.Add([]byte{8, 2, 6, 4, 0, 1}, "$1", `%\_"'?$2`)
	f.Add([]byte{3, 3, 3, 3, 3, 3}, "a b", "?")
	f.Add([]byte{7, 8, 9, 10, 11}, "é", "K\u212a\n")
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	f.Fuzz(func(t *testing.T, shape []byte, ident, value string) {
		if !utf8.ValidString(ident) || !utf8.ValidString(value) || ident == "" || strings.ContainsRune(ident, 0) || strings.ContainsRune(value, 0) {
			return
		}
		fx := newFixture(ident, value)
		e := fx.expr(&bytes{b: shape}, 0)
		for _, d := range sqlgen.Dialects {
			r, err := sqlgen.NewRenderer(fx.p, fx.root.Name, sqlgen.Options{Dialect: d, Alias: ident + "_alias"})
			if err != nil {
				t.Fatal(err)
			}
			frag, err := r.Render(e)
			// The template leg: the SQL rendered once from e's template
			// (its values made Params) is Render's, text and arguments.
			if got, ok := renderTemplate(t, fx.p, fx.root.Name, sqlgen.Options{Dialect: d, Alias: ident + "_alias"}, e); ok {
				if err != nil {
					t.Fatalf("%s: the template renders, Render fails: %v\n%s", d, err, residual.String(e))
				}
				if !reflect.DeepEqual(got, frag) {
					t.Fatalf("%s: template %#v\nrender %#v\n%s", d, got, frag, residual.String(e))
				}
			}
			if errors.Is(err, sqlgen.ErrUnsupported) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", d, err, residual.String(e))
			}
			if bad := strayToken(frag.SQL, d); bad != "" {
				t.Fatalf("%s: %q in\n%s", d, bad, frag.SQL)
			}
			if d == sqlgen.SQLite {
				fx.run(t, db, e, frag, ident+"_alias")
			}
		}
	})
}

type bytes struct{ b []byte }

func (b *bytes) next(n int) int {
	if len(b.b) == 0 {
		return 0
	}
	v := int(b.b[0])
	b.b = b.b[1:]
	return v % n
}

// fixture is a root table and a related table named after the fuzzed
// identifier, with rows holding the fuzzed value.
type fixture struct {
	p           *model.Policy
	root, child *model.Table
	value       string
	rows        []map[string]any
	kids        []map[string]any
}

func newFixture(ident, value string) *fixture {
	mk := func(name string, cols ...*model.Column) *model.Table {
		t := &model.Table{Name: model.TableName{Schema: "public", Name: name}, Columns: cols, Relationships: map[string]*model.Relationship{}}
		t.IndexColumns()
		return t
	}
	col := func(name string, k model.Kind) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: k.String(), Kind: k}, Nullable: true}
	}
	root := mk(ident, col("id", model.KindInteger), col(ident+"_t", model.KindText), col(ident+"_j", model.KindJSONB))
	child := mk(ident+"_c", col("id", model.KindInteger), col("pid", model.KindInteger), col(ident+"_t", model.KindText))
	root.Relationships[ident+"_r"] = &model.Relationship{Name: ident + "_r", Kind: model.RelArray, Target: child.Name, Mapping: []model.ColumnPair{{Local: "id", Remote: "pid"}}}
	fx := &fixture{p: &model.Policy{Tables: map[model.TableName]*model.Table{root.Name: root, child.Name: child}}, root: root, child: child, value: value}
	texts := []any{value, "", "a", value + "\n", nil, strings.ToUpper(value)}
	jsons := []any{map[string]any{value: json.Number("1")}, []any{value}, value, []any{[]any{value}}, nil, map[string]any{}}
	for i := range texts {
		fx.rows = append(fx.rows, map[string]any{"id": json.Number(fmt.Sprint(i)), ident + "_t": texts[i], ident + "_j": jsons[i]})
		fx.kids = append(fx.kids, map[string]any{"id": json.Number(fmt.Sprint(i)), "pid": json.Number(fmt.Sprint(i % 3)), ident + "_t": texts[(i+1)%len(texts)]})
	}
	return fx
}

func (fx *fixture) textCol(t *model.Table) residual.Column {
	return residual.Column{Name: t.Columns[len(t.Columns)-1].Name, Kind: model.KindText}
}

// expr builds a predicate on the root row (cur is the root or the child).
func (fx *fixture) expr(b *bytes, depth int) residual.Expr { return fx.exprAt(b, depth, fx.root) }

func (fx *fixture) exprAt(b *bytes, depth int, cur *model.Table) residual.Expr {
	text := fx.textCol(cur)
	if cur == fx.root {
		text = residual.Column{Name: fx.root.Columns[1].Name, Kind: model.KindText}
	}
	val := residual.Value{V: fx.value, Kind: model.KindText}
	n := b.next(12)
	if depth > 3 {
		n %= 6
	}
	switch n {
	case 0:
		return residual.Compare{Op: residual.CmpOp(1 + b.next(6)), Left: text, Right: val}
	case 1:
		return residual.In{Column: text, List: residual.Value{V: []any{fx.value, fx.value + "'"}, Kind: model.KindText}}
	case 2, 3:
		ops := []model.Operator{model.OpLike, model.OpIlike, model.OpRegex, model.OpSimilar}
		op := ops[b.next(len(ops))]
		re, err := compile.PatternRegex(op, fx.value)
		if err != nil {
			return residual.IsNull{Column: text}
		}
		return residual.Match{Op: op, Column: text, Pattern: val, Regex: re}
	case 4:
		if cur != fx.root {
			return residual.Compare{Op: residual.Eq, Left: text, Right: residual.Column{Name: fx.root.Columns[1].Name, Kind: model.KindText, Root: true}}
		}
		j := residual.Column{Name: fx.root.Columns[2].Name, Kind: model.KindJSONB}
		return residual.JSONB{Op: model.OpHasKey, Column: j, Value: val}
	case 5:
		return residual.IsNull{Column: text}
	case 6:
		return residual.Not{Item: fx.exprAt(b, depth+1, cur)}
	case 7, 8:
		items := []residual.Expr{fx.exprAt(b, depth+1, cur), fx.exprAt(b, depth+1, cur)}
		if n == 7 {
			return residual.And{Items: items}
		}
		return residual.Or{Items: items}
	case 9:
		if cur == fx.root {
			rel := fx.root.Relationships[fx.root.Name.Name+"_r"]
			return residual.Exists{Table: fx.child.Name, Relationship: rel.Name, On: rel.Mapping, Where: fx.exprAt(b, depth+1, fx.child)}
		}
	case 10:
		return residual.Exists{Table: fx.child.Name, Where: fx.exprAt(b, depth+1, fx.child)}
	}
	return residual.True{}
}

// run creates the tables in SQLite, runs the fragment and compares with
// residual.Eval.
func (fx *fixture) run(t *testing.T, db *sql.DB, e residual.Expr, frag sqlgen.Fragment, alias string) {
	ctx := context.Background()
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for _, tbl := range []*model.Table{fx.root, fx.child} {
		rows := fx.rows
		if tbl == fx.child {
			rows = fx.kids
		}
		var cols, ph []string
		for _, c := range tbl.Columns {
			cols = append(cols, q(c.Name))
			ph = append(ph, "?")
		}
		stmts := []string{"DROP TABLE IF EXISTS " + q(tbl.Name.Name), "CREATE TABLE " + q(tbl.Name.Name) + " (" + strings.Join(cols, ", ") + ")"}
		for _, s := range stmts {
			if _, err := db.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		for _, r := range rows {
			var args []any
			for _, c := range tbl.Columns {
				v := r[c.Name]
				switch x := v.(type) {
				case json.Number:
					v = string(x)
				case nil:
				case string:
					if c.Type.Kind == model.KindJSONB {
						b, _ := json.Marshal(x)
						v = string(b)
					}
				default:
					b, _ := json.Marshal(x)
					v = string(b)
				}
				args = append(args, v)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO "+q(tbl.Name.Name)+" VALUES ("+strings.Join(ph, ", ")+")", args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	query := "SELECT " + q(alias) + ".id FROM " + q(fx.root.Name.Name) + " AS " + q(alias) + " WHERE " + frag.SQL
	rs, err := db.QueryContext(ctx, query, frag.Args...)
	if err != nil {
		t.Fatalf("%v\n%s %#v", err, query, frag.Args)
	}
	got := map[string]bool{}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	rs.Close()
	tables := map[model.TableName][]map[string]any{fx.child.Name: fx.kids}
	for _, r := range fx.rows {
		row := map[string]any{}
		for k, v := range r {
			row[k] = v
		}
		var kids []any
		for _, k := range fx.kids {
			if fmt.Sprint(k["pid"]) == fmt.Sprint(r["id"]) {
				kids = append(kids, k)
			}
		}
		row[fx.root.Name.Name+"_r"] = kids
		id := fmt.Sprint(r["id"])
		if want := residual.Eval(e, residual.Data{Row: row, Tables: tables}); got[id] != want {
			t.Fatalf("row %v: SQLite %v, Eval %v\npredicate %s\n%s %#v", r, got[id], want, residual.String(e), query, frag.Args)
		}
	}
}

// rendererWords are the words the renderer writes outside quotes.
var rendererWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`SELECT FROM WHERE AND OR NOT EXISTS AS IS NULL TRUE FALSE IN ANY LIKE ESCAPE GLOB
		REGEXP COLLATE BINARY CAST DECIMAL DATE DATETIME CASE WHEN THEN ELSE END JSON_TYPE JSON_CONTAINS_PATH CONCAT
		JSON_QUOTE JSON_TABLE COLUMNS JSON PATH LONGTEXT JSON_UNQUOTE json_each json_type key type atom v s utf8mb4_bin
		bigint numeric text boolean uuid date timestamp timestamptz jsonb`) {
		rendererWords[w] = true
	}
}

// rendererStrings are the only string literals the renderer writes.
var rendererStrings = map[string]bool{"one": true, "$.": true, "$[*]": true, "$": true, "OBJECT": true, "ARRAY": true,
	"STRING": true, "object": true, "text": true, "!": true}

// strayToken lexes SQL and returns the first token the renderer does not
// write by itself ("" if none).
func strayToken(s string, d sqlgen.Dialect) string {
	identQuote := byte('"')
	if d == sqlgen.MySQL {
		identQuote = '`'
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == identQuote || c == '\'':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return s[i:]
			}
			if c == '\'' && !rendererStrings[s[i+1:j]] {
				return s[i : j+1]
			}
			i = j + 1
		case c == '$' && d == sqlgen.Postgres:
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				return s[i:]
			}
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if n := s[i:j]; n != "1" && n != "6" && n != "30" && n != "65" {
				return n
			}
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if !rendererWords[s[i:j]] {
				return s[i:j]
			}
			i = j
		case strings.IndexByte(" (),.=<>!*[]?:@~|&", c) >= 0:
			i++
		default:
			return s[i:]
		}
	}
	return ""
}
