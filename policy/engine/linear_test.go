package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

var (
	linearArticles    = model.TableName{Schema: "public", Name: "articles"}
	linearComments    = model.TableName{Schema: "public", Name: "comments"}
	linearMemberships = model.TableName{Schema: "public", Name: "memberships"}
)

// linearPolicy has articles (id, author_id, org_id, published, status,
// title; comments), comments (id, article_id, author_id, locked) and
// memberships (user_id, org_id), and two rules whose compiled Rego holds
// ANDs of ORs:
//
//   - select, role "ands": the AND of ors two-way ORs, the i-th
//     (id = i OR author_id = X-Hasura-User-Id);
//   - insert, role "editor": a check shaped like real-world ones, an AND
//     of six ORs, one with a NOT EXISTS over comments, one with an
//     EXISTS over comments, one with an _exists over memberships.
func linearPolicy(tb testing.TB, ors int) *model.Policy {
	tb.Helper()
	col := func(name string, k model.Kind) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: k.String(), Kind: k}, Nullable: true}
	}
	aID, aAuthor, aOrg := col("id", model.KindInteger), col("author_id", model.KindInteger), col("org_id", model.KindInteger)
	aPub, aStatus, aTitle := col("published", model.KindBoolean), col("status", model.KindText), col("title", model.KindText)
	cID, cArticle, cAuthor, cLocked := col("id", model.KindInteger), col("article_id", model.KindInteger), col("author_id", model.KindInteger), col("locked", model.KindBoolean)
	mUser, mOrg := col("user_id", model.KindInteger), col("org_id", model.KindInteger)
	comments := &model.Relationship{Name: "comments", Kind: model.RelArray, Target: linearComments, Mapping: []model.ColumnPair{{Local: "id", Remote: "article_id"}}}
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	org := model.SessionVar{Name: "x-hasura-org-id", Kind: model.KindInteger}
	eq := func(c *model.Column, v model.Value) model.BoolExp {
		return model.Compare{Column: c, Op: model.OpEq, Value: v}
	}
	lit := func(v any) model.Value { return model.Literal{V: v} }
	or := func(items ...model.BoolExp) model.BoolExp { return model.Or{Items: items} }
	and := func(items ...model.BoolExp) model.BoolExp { return model.And{Items: items} }

	ands := make([]model.BoolExp, ors)
	for i := range ands {
		ands[i] = or(eq(aID, lit(json.Number(strconv.Itoa(i)))), eq(aAuthor, uid))
	}
	check := and(
		or(eq(aAuthor, uid), and(eq(aOrg, org), eq(aPub, lit(false)))),
		or(model.Compare{Column: aStatus, Op: model.OpIn, Value: lit([]any{"draft", "review"})},
			model.Compare{Column: aTitle, Op: model.OpIsNull, Value: lit(true)}),
		or(model.Not{Item: model.RelExists{Relationship: comments, From: linearArticles,
			Where: and(eq(cLocked, lit(true)), model.Compare{Column: cAuthor, Op: model.OpNeq, Value: uid})}},
			eq(aAuthor, uid)),
		or(model.Compare{Column: aTitle, Op: model.OpLike, Value: lit("draft%")}, eq(aPub, lit(false))),
		or(model.Exists{Table: linearMemberships, Where: and(eq(mUser, uid),
			model.Compare{Column: mOrg, Op: model.OpCeq, Value: model.ColumnRef{Root: true, Column: aOrg}})},
			eq(aOrg, org)),
		or(model.RelExists{Relationship: comments, From: linearArticles, Where: eq(cAuthor, uid)},
			model.Compare{Column: aID, Op: model.OpGt, Value: lit(json.Number("100"))}),
	)
	articles := &model.Table{Name: linearArticles, Columns: []*model.Column{aID, aAuthor, aOrg, aPub, aStatus, aTitle}, PrimaryKey: []string{"id"},
		Relationships: map[string]*model.Relationship{"comments": comments},
		Permissions: map[model.Operation]map[string]*model.Permission{
			model.OpSelect: {"ands": {Role: "ands", Op: model.OpSelect, Columns: []string{"id"}, Filter: and(ands...),
				Source: model.Source{File: "linear_test.go", Path: fmt.Sprintf("%d ANDed ORs", ors)}}},
			model.OpInsert: {"editor": {Role: "editor", Op: model.OpInsert, Columns: []string{"status", "title"}, Check: check,
				Source: model.Source{File: "linear_test.go", Path: "an insert check shaped like real-world ones"}}},
		}}
	commentsT := &model.Table{Name: linearComments, Columns: []*model.Column{cID, cArticle, cAuthor, cLocked}, PrimaryKey: []string{"id"}}
	memberships := &model.Table{Name: linearMemberships, Columns: []*model.Column{mUser, mOrg}, PrimaryKey: []string{"user_id", "org_id"}}
	// The editor may write every column: the rows here are about the
	// check's shape, not about which columns an insert writes.
	articles.Permissions[model.OpInsert]["editor"].Columns = slices.Sorted(slices.Values(articles.ColumnNames()))
	for _, t := range []*model.Table{articles, commentsT, memberships} {
		t.IndexColumns()
	}
	return &model.Policy{Tables: map[model.TableName]*model.Table{linearArticles: articles, linearComments: commentsT, linearMemberships: memberships}, Revision: "linear"}
}

var linearSession = map[string]string{"x-hasura-user-id": "7", "x-hasura-org-id": "3"}

// renderFilter returns the SQL of a Filter in one dialect.
func renderFilter(t *testing.T, set *Set, role string, op model.Operation, d sqlgen.Dialect) (*FilterResult, string) {
	t.Helper()
	res, err := set.Filter(context.Background(), FilterInput{Session: Session{Role: role, Vars: linearSession}, Table: linearArticles, Op: op})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != Conditional {
		t.Fatalf("%s: %s (%s)", role, res.Kind, res.Reason)
	}
	r, err := sqlgen.NewRenderer(set.Policy(), linearArticles, sqlgen.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Render(res.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	return res, f.SQL
}

// count returns how many nodes of e satisfy f.
func count(e residual.Expr, f func(residual.Expr) bool) int {
	n := 0
	residual.Walk(e, func(x residual.Expr) {
		if f(x) {
			n++
		}
	})
	return n
}

// TestFilterAndOfOrsIsLinear: an AND of n two-way ORs becomes n Or nodes
// and SQL that grows by the same amount with every OR (partial evaluation
// with the helpers inlined gave 2^n conjunctions: 2.6 MB of SQL for 12).
func TestFilterAndOfOrsIsLinear(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			var sizes []int
			for ors := 10; ors <= 12; ors++ {
				set := newLinearSet(t, ors, fallback)
				res, sql := renderFilter(t, set, "ands", model.OpSelect, sqlgen.Postgres)
				if got := count(res.Predicate, func(x residual.Expr) bool { _, ok := x.(residual.Or); return ok }); got != ors {
					t.Errorf("ors=%d: %d Or nodes, want %d: %s", ors, got, ors, residual.String(res.Predicate))
				}
				if got := count(res.Predicate, func(x residual.Expr) bool { _, ok := x.(residual.Compare); return ok }); got != 2*ors {
					t.Errorf("ors=%d: %d comparisons, want %d: %s", ors, got, 2*ors, residual.String(res.Predicate))
				}
				sizes = append(sizes, len(sql))
			}
			if sizes[2] >= 2048 {
				t.Errorf("12 ORs render in %d bytes of SQL, want under 2 KB", sizes[2])
			}
			// Linear: each OR adds the same text, give or take a digit
			// of its placeholder and literal.
			if d1, d2 := sizes[1]-sizes[0], sizes[2]-sizes[1]; d1 <= 0 || d2 > d1+4 || d2 < d1-4 {
				t.Errorf("SQL sizes %v for 10, 11, 12 ORs do not grow linearly", sizes)
			}
			t.Logf("SQL bytes for 10, 11, 12 ORs: %v", sizes)
		})
	}
}

// TestFilterInsertCheckRepeatsNoSubquery: a check shaped like real-world
// ones (ANDs of ORs, a NOT EXISTS over a relationship inside one of them)
// renders each EXISTS of the rule once, in every dialect.
func TestFilterInsertCheckRepeatsNoSubquery(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		set := newLinearSet(t, 1, fallback)
		for _, d := range sqlgen.Dialects {
			t.Run(fmt.Sprintf("fallback=%v/%s", fallback, d), func(t *testing.T) {
				res, sql := renderFilter(t, set, "editor", model.OpInsert, d)
				if got := count(res.Predicate, func(x residual.Expr) bool { _, ok := x.(residual.Exists); return ok }); got != 3 {
					t.Errorf("%d Exists nodes, want 3: %s", got, residual.String(res.Predicate))
				}
				if got := count(res.Predicate, func(x residual.Expr) bool { _, ok := x.(residual.Or); return ok }); got != 6 {
					t.Errorf("%d Or nodes, want 6: %s", got, residual.String(res.Predicate))
				}
				if n := strings.Count(sql, "EXISTS"); n != 3 {
					t.Errorf("%d EXISTS in the SQL, want 3:\n%s", n, sql)
				}
				if n := strings.Count(sql, "NOT EXISTS"); n != 1 {
					t.Errorf("%d NOT EXISTS in the SQL, want 1:\n%s", n, sql)
				}
				if len(sql) > 2048 {
					t.Errorf("%d bytes of SQL:\n%s", len(sql), sql)
				}
			})
		}
	}
}

func newLinearSet(t *testing.T, ors int, fallback bool) *Set {
	t.Helper()
	if fallback {
		return fallbackSet(t, linearPolicy(t, ors))
	}
	set, err := New(context.Background(), linearPolicy(t, ors))
	if err != nil {
		t.Fatal(err)
	}
	if st := set.FilterTemplateStats(); st.Fallback != 0 {
		t.Fatalf("templates: %+v", st)
	}
	return set
}

// TestCheckAgreesWithFilterOnAndsOfOrs: on every combination of the
// columns the rules read, Check allows a row exactly when Filter's
// predicate holds for it.
func TestCheckAgreesWithFilterOnAndsOfOrs(t *testing.T) {
	ctx := context.Background()
	set := newLinearSet(t, 4, false)
	tables := linearTables
	rows := linearRows()
	for _, rule := range linearRules {
		t.Run(rule.role, func(t *testing.T) {
			sess := Session{Role: rule.role, Vars: linearSession}
			res, err := set.Filter(ctx, FilterInput{Session: sess, Table: linearArticles, Op: rule.op})
			if err != nil {
				t.Fatal(err)
			}
			in := CheckInput{Session: sess, Table: linearArticles, Op: rule.op, Tables: tables}
			for i, r := range rows {
				in.Rows = append(in.Rows, Row{ID: strconv.Itoa(i), Values: r})
			}
			chk, err := set.Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			allowed := 0
			for i, r := range rows {
				want := residual.Eval(res.Predicate, residual.Data{Row: r, Tables: tables})
				if got := chk.Rows[i].Decision == Allow; got != want {
					t.Fatalf("row %v: Check %s (%s), Filter's predicate %v\npredicate: %s", r, chk.Rows[i].Decision, chk.Rows[i].Reason, want, residual.String(res.Predicate))
				}
				if want {
					allowed++
				}
			}
			// Both answers occur, or the comparison proves little.
			if allowed == 0 || allowed == len(rows) {
				t.Errorf("%d of %d rows allowed", allowed, len(rows))
			}
		})
	}
}

// TestNeedsDataOnAndsOfOrs: with the helpers kept as support rules, Check
// still decides a row whose known columns decide every OR, and the
// residual of one that needs data stays linear.
func TestNeedsDataOnAndsOfOrs(t *testing.T) {
	ctx := context.Background()
	set := newLinearSet(t, 12, false)
	sess := Session{Role: "ands", Vars: linearSession}
	res, err := set.Check(ctx, CheckInput{Session: sess, Table: linearArticles, Op: model.OpSelect, Rows: []Row{
		{ID: "own", Values: map[string]any{"author_id": json.Number("7")}},
		{ID: "other", Values: map[string]any{"author_id": json.Number("8")}},
		{ID: "id only", Values: map[string]any{"id": json.Number("5")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Rows[0]; d.Decision != Allow {
		t.Errorf("own row without id: %s (%s), want ALLOW: author_id decides every OR", d.Decision, d.Reason)
	}
	other := res.Rows[1]
	if other.Decision != NeedsData || strings.Join(other.MissingData, ",") != "id" {
		t.Fatalf("other's row: %+v, want NEEDS_DATA missing id", other)
	}
	// What remains is the AND of id = i for every i: 12 comparisons,
	// not 2^12 conjunctions.
	if n := count(other.Residual, func(x residual.Expr) bool { _, ok := x.(residual.Compare); return ok }); n != 12 {
		t.Errorf("residual with %d comparisons, want 12: %s", n, residual.String(other.Residual))
	}
	idOnly := res.Rows[2]
	if idOnly.Decision != NeedsData || residual.String(idOnly.Residual) != "author_id = 7" {
		t.Errorf("row with id 5 only: %+v, want NEEDS_DATA with the residual author_id = 7", idOnly)
	}
}

// TestNeedsDataInlinesKnownRelatedRows: a helper function of a related
// row the request carries is decided by partial evaluation (inlined), one
// of a related row it lacks stays one Or node in the residual.
func TestNeedsDataInlinesKnownRelatedRows(t *testing.T) {
	ctx := context.Background()
	p := linearPolicy(t, 1)
	a, c := p.Tables[linearArticles], p.Tables[linearComments]
	title, _ := a.Column("title")
	cAuthor, _ := c.Column("author_id")
	cLocked, _ := c.Column("locked")
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	// comments: {_or: [{author_id: X-Hasura-User-Id}, {locked: true}]}, title: "x"
	a.Permissions[model.OpSelect]["related"] = &model.Permission{Role: "related", Op: model.OpSelect, Columns: []string{"id"}, Filter: model.And{Items: []model.BoolExp{
		model.RelExists{Relationship: a.Relationships["comments"], From: linearArticles, Where: model.Or{Items: []model.BoolExp{
			model.Compare{Column: cAuthor, Op: model.OpEq, Value: uid},
			model.Compare{Column: cLocked, Op: model.OpEq, Value: model.Literal{V: true}},
		}}},
		model.Compare{Column: title, Op: model.OpEq, Value: model.Literal{V: "x"}},
	}}}
	set, err := New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	comment := func(author string, locked bool) []any {
		return []any{map[string]any{"author_id": json.Number(author), "locked": locked}}
	}
	res, err := set.Check(ctx, CheckInput{Session: Session{Role: "related", Vars: linearSession}, Table: linearArticles, Op: model.OpSelect, Rows: []Row{
		{ID: "own comment, no title", Values: map[string]any{"comments": comment("7", false)}},
		{ID: "other comment, no title", Values: map[string]any{"comments": comment("8", false)}},
		{ID: "no comments sent", Values: map[string]any{"title": "x"}},
		{ID: "no comment locked", Values: map[string]any{"title": "x", "comments": []any{map[string]any{"author_id": json.Number("8")}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		decision Decision
		residual string
	}{
		{NeedsData, `title = "x"`},
		{Deny, ""},
		{NeedsData, `EXISTS comments [id = article_id] ((author_id = 7 OR locked = true))`},
		{NeedsData, `EXISTS comments [id = article_id] ((author_id = 7 OR locked = true))`},
	}
	for i, w := range want {
		r := res.Rows[i]
		got := ""
		if r.Residual != nil {
			got = residual.String(r.Residual)
		}
		if r.Decision != w.decision || got != w.residual {
			t.Errorf("%s: %s (%s) residual %q, want %s residual %q", r.ID, r.Decision, r.Reason, got, w.decision, w.residual)
		}
	}
}

var linearRules = []struct {
	role string
	op   model.Operation
}{{"ands", model.OpSelect}, {"editor", model.OpInsert}}

// linearTables are the other tables' rows linearRows go with.
var linearTables = map[model.TableName][]map[string]any{
	linearMemberships: {{"user_id": json.Number("7"), "org_id": json.Number("5")}},
	linearComments:    {},
}

// linearRows are articles with every combination of values the rules of
// linearPolicy tell apart, NULLs included, with their comments nested.
func linearRows() []map[string]any {
	num := func(i int) any { return json.Number(strconv.Itoa(i)) }
	commentSets := [][]any{
		{},
		{map[string]any{"id": num(1), "article_id": nil, "author_id": num(7), "locked": true}},
		{map[string]any{"id": num(2), "article_id": nil, "author_id": num(8), "locked": true}},
		{map[string]any{"id": num(3), "article_id": nil, "author_id": num(8), "locked": false}},
	}
	var rows []map[string]any
	for _, id := range []any{nil, num(0), num(2), num(3), num(101)} {
		for _, author := range []any{nil, num(7), num(8)} {
			for _, org := range []any{num(3), num(5), nil} {
				for _, pub := range []any{nil, false, true} {
					for _, status := range []any{"draft", "done"} {
						for _, title := range []any{nil, "draft: x", "final"} {
							for _, cs := range commentSets {
								rows = append(rows, map[string]any{"id": id, "author_id": author, "org_id": org,
									"published": pub, "status": status, "title": title, "comments": cs})
							}
						}
					}
				}
			}
		}
	}
	return rows
}

// TestNeedsDataIsSound: with a column, the comments or the memberships
// table left out of a row, Check's answer is the full row's when it
// decides, and when it needs data, its residual evaluated on the full row
// gives the full row's answer.
func TestNeedsDataIsSound(t *testing.T) {
	ctx := context.Background()
	set := newLinearSet(t, 4, false)
	var rows []map[string]any
	for i, r := range linearRows() {
		if i%5 == 0 {
			rows = append(rows, r)
		}
	}
	drops := []string{"id", "author_id", "org_id", "published", "status", "title", "comments", "memberships"}
	for _, rule := range linearRules {
		t.Run(rule.role, func(t *testing.T) {
			sess := Session{Role: rule.role, Vars: linearSession}
			full := CheckInput{Session: sess, Table: linearArticles, Op: rule.op, Tables: linearTables}
			for i, r := range rows {
				full.Rows = append(full.Rows, Row{ID: strconv.Itoa(i), Values: r})
			}
			want, err := set.Check(ctx, full)
			if err != nil {
				t.Fatal(err)
			}
			decided, needs, withResidual := 0, 0, 0
			for _, drop := range drops {
				in := CheckInput{Session: sess, Table: linearArticles, Op: rule.op, Tables: linearTables}
				if drop == "memberships" {
					in.Tables = map[model.TableName][]map[string]any{linearComments: {}}
				}
				for i, r := range rows {
					part := map[string]any{}
					for k, v := range r {
						if k != drop {
							part[k] = v
						}
					}
					in.Rows = append(in.Rows, Row{ID: strconv.Itoa(i), Values: part})
				}
				got, err := set.Check(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				for i, g := range got.Rows {
					w := want.Rows[i].Decision
					rest := g.Residual // the filter's (select), or the check's (insert)
					if rule.op == model.OpInsert {
						rest = g.CheckResidual
					}
					switch {
					case g.Decision != NeedsData:
						decided++
						if g.Decision != w {
							t.Fatalf("without %s, row %v: %s (%s), with it %s", drop, rows[i], g.Decision, g.Reason, w)
						}
					case rest != nil:
						needs++
						withResidual++
						if holds := residual.Eval(rest, residual.Data{Row: rows[i], Tables: linearTables}); holds != (w == Allow) {
							t.Fatalf("without %s, row %v: residual %s is %v on the full row, which Check decides %s",
								drop, rows[i], residual.String(rest), holds, w)
						}
					default:
						needs++
					}
				}
			}
			t.Logf("%d partial rows decided, %d need data (%d with a residual)", decided, needs, withResidual)
			if decided == 0 || withResidual == 0 {
				t.Error("the comparison proves little")
			}
		})
	}
}
