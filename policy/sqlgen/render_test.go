package sqlgen

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testPolicy: articles (author, comments, json and citext columns: slug and
// handle; code character(5)) and comments, with an identifier that needs
// quoting.
func testPolicy() *model.Policy {
	col := func(name string, k model.Kind, decl string) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: decl, Kind: k}, Nullable: true}
	}
	citext := func(name string) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: "citext", Kind: model.KindText, Fold: true}, Nullable: true}
	}
	articles := &model.Table{Name: model.TableName{Schema: "public", Name: "articles"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
		col("author_id", model.KindInteger, "integer"), col("title", model.KindText, "text"),
		citext("slug"), col("meta", model.KindJSONB, "jsonb"), {Name: "raw", Type: model.Type{Declared: "json", Kind: model.KindJSONB, JSON: true}, Nullable: true},
		col("price", model.KindNumeric, "numeric(10,2)"), col("published", model.KindBoolean, "boolean"),
		col("at", model.KindTimestamptz, "timestamptz"), col("on", model.KindDate, "date"), col(`we"ird`+"`", model.KindUUID, "uuid"),
		citext("handle"),
		{Name: "code", Type: model.Type{Declared: "character(5)", Kind: model.KindText, PadSpace: true, Length: 5}, Nullable: true},
		{Name: "state", Type: model.Type{Declared: `blog."Article ""State"""`, Kind: model.KindText,
			Enum: &model.Enum{Schema: "blog", Name: `Article "State"`, Labels: []string{"draft", "live"}}}, Nullable: true},
		{Name: "opens", Type: model.Type{Declared: "time", Kind: model.KindText, Canon: model.CanonTime, Cast: "time"}, Nullable: true},
		{Name: "ns", Type: model.Type{Declared: "int4[]", Kind: model.KindText, Canon: model.CanonArray, Cast: "integer[]",
			Elem: &model.Type{Kind: model.KindInteger, Bits: 32}}, Nullable: true},
	}, Relationships: map[string]*model.Relationship{
		"comments": {Name: "comments", Kind: model.RelArray, Target: model.TableName{Schema: "blog", Name: "comments"}, Mapping: []model.ColumnPair{{Local: "id", Remote: "article_id"}}},
	}}
	comments := &model.Table{Name: model.TableName{Schema: "blog", Name: "comments"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
		col("article_id", model.KindInteger, "bigint"), col("author_id", model.KindInteger, "bigint"), col("body", model.KindText, "text"),
	}}
	articles.IndexColumns()
	comments.IndexColumns()
	return &model.Policy{Tables: map[model.TableName]*model.Table{articles.Name: articles, comments.Name: comments}}
}

func c(name string, k model.Kind) residual.Column { return residual.Column{Name: name, Kind: k} }
func v(x any, k model.Kind) residual.Value        { return residual.Value{V: x, Kind: k} }

var (
	intK  = model.KindInteger
	textK = model.KindText
	jsonK = model.KindJSONB
)

var renderCases = []struct {
	name string
	e    residual.Expr
}{
	{"constants", residual.And{Items: []residual.Expr{residual.True{}, residual.Not{Item: residual.False{}}}}},
	{"eq session value", residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(json.Number("42"), intK)}},
	{"text ordering is bytewise", residual.Compare{Op: residual.Lt, Left: c("title", textK), Right: v("b", textK)}},
	{"citext compares as text", residual.Compare{Op: residual.Eq, Left: c("slug", textK), Right: v("A", textK)}},
	{"guarded negation", residual.And{Items: []residual.Expr{residual.Not{Item: residual.IsNull{Column: c("title", textK)}}, residual.Not{Item: residual.Compare{Op: residual.Eq, Left: c("title", textK), Right: v("x", textK)}}}}},
	{"unguarded negation of a nullable column", residual.Not{Item: residual.Compare{Op: residual.Eq, Left: c("title", textK), Right: v("x", textK)}}},
	{"in list", residual.In{Column: c("title", textK), List: v([]any{"a", "b'c"}, textK)}},
	{"enum compared with its type's cast", residual.Compare{Op: residual.Neq, Left: c("state", textK), Right: v("live", textK)}},
	{"enum in a list of its type", residual.In{Column: c("state", textK), List: v([]any{"draft", "live"}, textK)}},
	{"time orders as time", residual.Compare{Op: residual.Gte, Left: c("opens", textK), Right: v("09:30:00.000000", textK)}},
	{"arrays in a list", residual.In{Column: c("ns", textK), List: v([]any{"{1,2}", "{}"}, textK)}},
	{"array containment", residual.Or{Items: []residual.Expr{
		residual.Array{Op: model.OpContains, Column: c("ns", textK), Value: v("{1,2}", textK)},
		residual.Array{Op: model.OpContained, Column: c("ns", textK), Value: v("{}", textK)},
	}}},
	{"in integers", residual.In{Column: c("author_id", intK), List: v([]any{json.Number("1"), json.Number("2")}, intK)}},
	{"numeric, timestamptz, date, boolean, uuid", residual.And{Items: []residual.Expr{
		residual.Compare{Op: residual.Gte, Left: c("price", model.KindNumeric), Right: v(json.Number("9.99"), model.KindNumeric)},
		residual.Compare{Op: residual.Lt, Left: c("at", model.KindTimestamptz), Right: v("2024-01-01T10:00:00.000000Z", model.KindTimestamptz)},
		residual.Compare{Op: residual.Eq, Left: c("on", model.KindDate), Right: v("2024-02-29", model.KindDate)},
		residual.Compare{Op: residual.Eq, Left: c("published", model.KindBoolean), Right: v(true, model.KindBoolean)},
		residual.Compare{Op: residual.Neq, Left: c(`we"ird`+"`", model.KindUUID), Right: v("00000000-0000-0000-0000-000000000000", model.KindUUID)},
	}}},
	{"like", residual.Match{Op: model.OpLike, Column: c("title", textK), Pattern: v("50%_off", textK), Regex: `(?s)^50.*.off$`}},
	{"like with escapes", residual.Match{Op: model.OpLike, Column: c("title", textK), Pattern: v(`a\%b!`, textK), Regex: `(?s)^a%b!$`}},
	{"ilike", residual.Match{Op: model.OpIlike, Column: c("title", textK), Pattern: v("%k_", textK), Regex: `(?is)^.*k.$`}},
	{"regex", residual.Match{Op: model.OpRegex, Column: c("title", textK), Pattern: v(`^\w+\b.$`, textK), Regex: `^\w+\b.$`}},
	{"jsonb contains", residual.JSONB{Op: model.OpContains, Column: c("meta", jsonK), Value: v(map[string]any{"a": json.Number("1")}, jsonK)}},
	{"json has key", residual.JSONB{Op: model.OpHasKey, Column: c("raw", jsonK), Value: v(`k"ey`, textK)}},
	{"jsonb has keys all", residual.JSONB{Op: model.OpHasKeysAll, Column: c("meta", jsonK), Value: v([]any{"a", "b"}, textK)}},
	{"exists over a relationship with a root column", residual.Exists{Table: model.TableName{Schema: "blog", Name: "comments"}, Relationship: "comments",
		On: []model.ColumnPair{{Local: "id", Remote: "article_id"}},
		Where: residual.Or{Items: []residual.Expr{
			residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: residual.Column{Name: "author_id", Kind: intK, Root: true}},
			residual.Match{Op: model.OpLike, Column: c("body", textK), Pattern: v("%x", textK), Regex: `(?s)^.*x$`},
		}}}},
	{"_exists without a join", residual.Not{Item: residual.Exists{Table: model.TableName{Schema: "blog", Name: "comments"}, Where: residual.True{}}}},
	{"citext = as a pattern of what lower-cases to the value", residual.Compare{Op: residual.Eq, Left: lc("slug"), Right: v("kiß@x.org", textK)}},
	{"citext <> without letters compares as text", residual.Compare{Op: residual.Neq, Left: lc("slug"), Right: v("42", textK)}},
	{"citext <> a value no text lower-cases to", residual.Compare{Op: residual.Neq, Left: lc("slug"), Right: v("A", textK)}},
	{"citext = a value no text lower-cases to", residual.Compare{Op: residual.Eq, Left: lc("slug"), Right: v("A", textK)}},
	{"citext IN", residual.In{Column: lc("slug"), List: v([]any{"a*b", "", "σ", "Z"}, textK)}},
	{"citext IN without letters", residual.In{Column: lc("slug"), List: v([]any{"1", "2"}, textK)}},
	{"citext NOT IN, unguarded", residual.Not{Item: residual.In{Column: lc("slug"), List: v([]any{"[x]"}, textK)}}},
	{"citext ordering", residual.Compare{Op: residual.Gte, Left: lc("slug"), Right: v("b", textK)}},
	{"citext _ceq", residual.Compare{Op: residual.Eq, Left: lc("slug"), Right: residual.Column{Name: "handle", Kind: textK, Lower: true}}},
	{"character(n) LIKE matches the column padded to n", residual.Match{Op: model.OpLike, Column: pc("code", 5), Pattern: v("ab%", textK), Regex: `(?s)^ab.*$`}},
	{"character(n) NOT LIKE, unguarded", residual.Not{Item: residual.Match{Op: model.OpLike, Column: pc("code", 5), Pattern: v("ab", textK), Regex: `(?s)^ab$`}}},
	{"character(n) ILIKE", residual.Match{Op: model.OpIlike, Column: pc("code", 5), Pattern: v("AB   ", textK), Regex: `(?is)^AB   $`}},
	{"character(n) regex", residual.Match{Op: model.OpRegex, Column: pc("code", 5), Pattern: v("b  $", textK), Regex: `(?s)b  $`}},
	{"character(n) equality is not padded", residual.Compare{Op: residual.Eq, Left: c("code", textK), Right: v("ab", textK)}},
}

// pc is a character(n) column padded to n for a pattern match.
func pc(name string, n int) residual.Column { return residual.Column{Name: name, Kind: textK, Pad: n} }

// lc is a lower-cased (citext) text column.
func lc(name string) residual.Column { return residual.Column{Name: name, Kind: textK, Lower: true} }

// TestRenderGolden renders every case in every dialect; go test -update
// rewrites testdata/render.golden.
func TestRenderGolden(t *testing.T) {
	p := testPolicy()
	var b strings.Builder
	for _, tc := range renderCases {
		for _, d := range Dialects {
			fmt.Fprintf(&b, "=== %s / %s\n", tc.name, d)
			r, err := NewRenderer(p, model.TableName{Schema: "public", Name: "articles"}, Options{Dialect: d, Alias: "a", FirstPlaceholder: 3})
			if err != nil {
				t.Fatal(err)
			}
			f, err := r.Render(tc.e)
			if err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
				continue
			}
			args, _ := json.Marshal(f.Args)
			fmt.Fprintf(&b, "%s\nargs: %s\n", f.SQL, args)
		}
	}
	const golden = "testdata/render.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("rendering differs from %s (go test -update rewrites it):\n%s", golden, diff(string(want), got))
	}
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, a, b)
		}
	}
	return ""
}

func TestPlaceholdersContinueAcrossFragments(t *testing.T) {
	r, err := NewRenderer(testPolicy(), model.TableName{Schema: "public", Name: "articles"}, Options{Dialect: Postgres, FirstPlaceholder: 2})
	if err != nil {
		t.Fatal(err)
	}
	e := residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: v(json.Number("1"), intK)}
	f1, _ := r.Render(e)
	f2, _ := r.Column("title", e)
	if !strings.Contains(f1.SQL, "$2::bigint") || !strings.Contains(f2.SQL, "$3::bigint") || !strings.HasPrefix(f2.SQL, "CASE WHEN") {
		t.Errorf("placeholders: %s / %s", f1.SQL, f2.SQL)
	}
	if !strings.Contains(f1.SQL, `"public"."articles"."author_id"`) {
		t.Errorf("no alias: the qualified table name, got %s", f1.SQL)
	}
}

func TestUnsupported(t *testing.T) {
	p := testPolicy()
	tests := []struct {
		d  Dialect
		e  residual.Expr
		op string
	}{
		{SQLite, residual.Match{Op: model.OpRegex, Column: c("title", textK), Pattern: v("a", textK), Regex: "a"}, "_regex"},
		{SQLite, residual.Match{Op: model.OpSimilar, Column: c("title", textK), Pattern: v("a", textK), Regex: "(?s)^(?:a)$"}, "_similar"},
		{MySQL, residual.JSONB{Op: model.OpContains, Column: c("meta", jsonK), Value: v(map[string]any{}, jsonK)}, "_contains"},
		{SQLite, residual.JSONB{Op: model.OpContained, Column: c("meta", jsonK), Value: v(map[string]any{}, jsonK)}, "_contained_in"},
		{MySQL, residual.Compare{Op: residual.Eq, Left: c("meta", jsonK), Right: v(map[string]any{}, jsonK)}, "_eq on jsonb"},
		{SQLite, residual.In{Column: c("meta", jsonK), List: v([]any{"a"}, jsonK)}, "_in on jsonb"},
		{MySQL, residual.Compare{Op: residual.Lt, Left: lc("slug"), Right: v("b", textK)}, "_lt on citext"},
		{SQLite, residual.Compare{Op: residual.Gte, Left: lc("slug"), Right: v("b", textK)}, "_gte on citext"},
		{MySQL, residual.Compare{Op: residual.Eq, Left: lc("slug"), Right: lc("handle")}, "_ceq on citext"},
		{SQLite, residual.Compare{Op: residual.Neq, Left: c("title", textK), Right: lc("handle")}, "_cneq on citext"},
	}
	for _, tc := range tests {
		t.Run(tc.d.String()+" "+tc.op, func(t *testing.T) {
			r, err := NewRenderer(p, model.TableName{Schema: "public", Name: "articles"}, Options{Dialect: tc.d})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Render(residual.Or{Items: []residual.Expr{residual.True{}, tc.e}})
			var u *UnsupportedError
			if !errors.As(err, &u) || !errors.Is(err, ErrUnsupported) || u.Op != tc.op || u.Dialect != tc.d {
				t.Fatalf("err = %v, want unsupported %s in %s", err, tc.op, tc.d)
			}
			if !strings.Contains(err.Error(), tc.op) || !strings.Contains(err.Error(), tc.d.String()) {
				t.Errorf("message %q does not name the operator and the dialect", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	p := testPolicy()
	articles := p.Tables[model.TableName{Schema: "public", Name: "articles"}]
	title, _ := articles.Column("title")
	meta, _ := articles.Column("meta")
	articles.Permissions = map[model.Operation]map[string]*model.Permission{model.OpSelect: {
		"user": {Role: "user", Op: model.OpSelect, Source: model.Source{File: "tables/articles.yaml", Path: "select_permissions[role=user]"},
			Filter: model.Or{Items: []model.BoolExp{
				model.Compare{Column: title, Op: model.OpNregex, Value: model.Literal{V: "^a"}},
				model.Compare{Column: title, Op: model.OpIlike, Value: model.Literal{V: "%a"}},
				model.Compare{Column: meta, Op: model.OpContains, Value: model.Literal{V: map[string]any{}}},
				model.Compare{Column: meta, Op: model.OpNin, Value: model.Literal{V: []any{}}},
			}}},
	}}
	want := map[Dialect][]string{
		Postgres: nil,
		MySQL:    {"_contains", "_nin on jsonb"},
		SQLite:   {"_contains", "_nin on jsonb", "_nregex"},
	}
	for _, d := range Dialects {
		errs := Validate(p, d)
		var got []string
		for _, err := range errs {
			var u *UnsupportedError
			if !errors.As(err, &u) {
				t.Fatalf("%s: %v is not an UnsupportedError", d, err)
			}
			if !strings.HasPrefix(err.Error(), "tables/articles.yaml: select_permissions[role=user]: ") {
				t.Errorf("%s: %v does not say where", d, err)
			}
			got = append(got, u.Op)
		}
		if strings.Join(got, ",") != strings.Join(want[d], ",") {
			t.Errorf("%s: %v, want %v", d, got, want[d])
		}
	}
}

// TestValidateCitext: Validate reports the citext comparisons a dialect
// cannot render (those that need the lower-cased text), as rendering does,
// and names a pattern operator on citext as written.
func TestValidateCitext(t *testing.T) {
	p := testPolicy()
	articles := p.Tables[model.TableName{Schema: "public", Name: "articles"}]
	slug, _ := articles.Column("slug")
	handle, _ := articles.Column("handle")
	articles.Permissions = map[model.Operation]map[string]*model.Permission{model.OpSelect: {
		"user": {Role: "user", Op: model.OpSelect, Source: model.Source{File: "tables/articles.yaml", Path: "select_permissions[role=user]"},
			Filter: model.Or{Items: []model.BoolExp{
				model.Compare{Column: slug, Op: model.OpEq, Value: model.Literal{V: "a"}},
				model.Compare{Column: slug, Op: model.OpNin, Value: model.SessionVar{Name: "x-hasura-s", Kind: model.KindText, Array: true, Type: slug.Type}},
				model.Compare{Column: slug, Op: model.OpNeq, Value: model.Literal{V: "a"}},
				model.Compare{Column: slug, Op: model.OpGte, Value: model.Literal{V: "a"}},
				model.Compare{Column: slug, Op: model.OpCeq, Value: model.ColumnRef{Column: handle}},
				model.Compare{Column: slug, Op: model.OpLike, Value: model.Literal{V: "a%"}},
				model.Compare{Column: slug, Op: model.OpNregex, Value: model.Literal{V: "^a"}},
			}}},
	}}
	want := map[Dialect][]string{
		Postgres: nil,
		MySQL:    {"_ceq on citext", "_gte on citext"},
		SQLite:   {"_ceq on citext", "_gte on citext", "_nregex on citext"},
	}
	for _, d := range Dialects {
		var got []string
		for _, err := range Validate(p, d) {
			var u *UnsupportedError
			if !errors.As(err, &u) {
				t.Fatalf("%s: %v is not an UnsupportedError", d, err)
			}
			got = append(got, u.Op)
		}
		if strings.Join(got, ",") != strings.Join(want[d], ",") {
			t.Errorf("%s: %v, want %v", d, got, want[d])
		}
	}
}

// TestSubqueryAliasAvoidsRoot: a subquery's alias never names the root row,
// even in another case (SQLite and MySQL fold identifiers' case in places),
// nor the root table when there is no alias.
func TestSubqueryAliasAvoidsRoot(t *testing.T) {
	p := testPolicy()
	exists := residual.Exists{Table: model.TableName{Schema: "blog", Name: "comments"}, On: []model.ColumnPair{{Local: "id", Remote: "article_id"}},
		Where: residual.Compare{Op: residual.Eq, Left: c("author_id", intK), Right: residual.Column{Name: "author_id", Kind: intK, Root: true}}}
	hasKey := residual.JSONB{Op: model.OpHasKey, Column: c("raw", jsonK), Value: v("k", textK)}
	both := residual.And{Items: []residual.Expr{exists, hasKey, exists}}
	for _, d := range Dialects {
		for _, alias := range []string{"_w1", "_W1", "_j2", "_J2", "_W3"} {
			r, err := NewRenderer(p, model.TableName{Schema: "public", Name: "articles"}, Options{Dialect: d, Alias: alias})
			if err != nil {
				t.Fatal(err)
			}
			f, err := r.Render(both)
			if err != nil {
				t.Fatalf("%s %s: %v", d, alias, err)
			}
			for _, prefix := range []string{"_w", "_j"} {
				for i := 1; i <= 4; i++ {
					a := prefix + strconv.Itoa(i)
					if strings.EqualFold(a, alias) && strings.Contains(strings.ToLower(f.SQL), "as "+strings.ToLower(quote(d, a))) {
						t.Errorf("%s: subquery alias %s collides with the root alias %s:\n%s", d, a, alias, f.SQL)
					}
				}
			}
			if want := quote(d, alias) + "." + quote(d, "author_id"); !strings.Contains(f.SQL, want) {
				t.Errorf("%s: no root reference %s:\n%s", d, want, f.SQL)
			}
		}
	}
	// Without an alias the root is the table's own name.
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "_W1"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
		{Name: "author_id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
	}}
	tbl.IndexColumns()
	p.Tables[tbl.Name] = tbl
	r, err := NewRenderer(p, tbl.Name, Options{Dialect: SQLite})
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Render(exists)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.SQL, `AS "_w2"`) || strings.Contains(f.SQL, `"_w1"`) {
		t.Errorf("root table _W1: want the subquery alias _w2:\n%s", f.SQL)
	}
}

func quote(d Dialect, s string) string {
	if d == MySQL {
		return "`" + s + "`"
	}
	return `"` + s + `"`
}
