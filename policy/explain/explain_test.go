package explain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/explain"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// On generated policy sets, sessions and rows (the differential test's
// generators), the explanation's root outcome is Check's decision for
// every rule the generator makes (select, update and delete: the filter on
// the row; the update rows are their own new rows, so the check is
// explained on them too). The rules include the comparisons the database
// decides (Limits.Database), where Check leaves a column to the database,
// its IS NULL tests included, unless the rest of the rule decides.
func TestExplainAgreesWithCheckGenerated(t *testing.T) {
	ctx := context.Background()
	const seeds = 40
	compared := map[explain.Outcome]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		lim := difftest.DefaultLimits
		lim.Database = true
		c := difftest.Generate(seed, lim)
		set, err := engine.New(ctx, c.Policy)
		if err != nil {
			t.Fatalf("seed %d: engine.New: %v", seed, err)
		}
		for _, rule := range c.Rules {
			if rule.Op == model.OpInsert {
				continue
			}
			tbl := c.Policy.Tables[rule.Table]
			for _, vars := range c.Sessions[rule.Key()] {
				sess := engine.Session{Role: rule.Role, Vars: vars}
				in := engine.CheckInput{Session: sess, Table: rule.Table, Op: rule.Op, Tables: c.Rows}
				for _, r := range c.Rows[rule.Table] {
					in.Rows = append(in.Rows, engine.Row{ID: fmt.Sprint(r["id"]), Values: c.Nested(tbl, r, rule.Depth)})
				}
				chk, cerr := set.Check(ctx, in)
				res, ferr := set.Filter(ctx, engine.FilterInput{Session: sess, Table: rule.Table, Op: rule.Op})
				if cerr != nil || ferr != nil {
					continue // the session lacks a variable: no decision to explain
				}
				for i, row := range in.Rows {
					got := explain.Row(c.Policy, tbl, res.Predicate, row.Values, in.Tables, 0).Root.Outcome
					if rule.Op == model.OpUpdate && got == explain.True && res.Check != nil {
						got = explain.Row(c.Policy, tbl, res.Check, row.Values, in.Tables, 0).Root.Outcome
					}
					want := map[engine.Decision]explain.Outcome{engine.Allow: explain.True, engine.Deny: explain.False, engine.NeedsData: explain.Unknown}[chk.Rows[i].Decision]
					if got != want {
						t.Errorf("seed %d %s session %v row %s %v: explanation %v, Check %v (%s)\npredicate: %s",
							seed, rule.Key(), vars, row.ID, row.Values, got, want, chk.Rows[i].Reason, residual.String(res.Predicate))
					}
					compared[want]++
				}
			}
		}
	}
	t.Logf("compared on %d allowed, %d denied, %d needing data rows", compared[explain.True], compared[explain.False], compared[explain.Unknown])
	if compared[explain.True] < 100 || compared[explain.False] < 100 {
		t.Errorf("too few rows compared: %v", compared)
	}
}

func blog(t *testing.T) (*model.Policy, *model.Table) {
	t.Helper()
	tn := model.TableName{Schema: "public", Name: "comments"}
	p := &model.Policy{Tables: map[model.TableName]*model.Table{}}
	art := &model.Table{Name: model.TableName{Schema: "public", Name: "articles"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Kind: model.KindInteger}}, {Name: "org_id", Type: model.Type{Kind: model.KindInteger}},
	}}
	com := &model.Table{Name: tn, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Kind: model.KindInteger}}, {Name: "article_id", Type: model.Type{Kind: model.KindInteger}},
	}, Relationships: map[string]*model.Relationship{
		"article": {Name: "article", Kind: model.RelObject, Target: art.Name, Mapping: []model.ColumnPair{{Local: "article_id", Remote: "id"}}},
	}}
	art.IndexColumns()
	com.IndexColumns()
	p.Tables[art.Name], p.Tables[tn] = art, com
	return p, com
}

// A relationship the row does not carry is unknown (Check: NEEDS_DATA);
// carried, the exists shows the related row and its comparison.
func TestExplainRelationship(t *testing.T) {
	p, com := blog(t)
	pred := residual.Exists{Table: model.TableName{Schema: "public", Name: "articles"}, Relationship: "article",
		On:    []model.ColumnPair{{Local: "article_id", Remote: "id"}},
		Where: residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "org_id", Kind: model.KindInteger}, Right: residual.Value{V: jsonNumber("1"), Kind: model.KindInteger}}}
	ex := explain.Row(p, com, pred, map[string]any{"id": 1.0, "article_id": 3.0}, nil, 0)
	if ex.Root.Outcome != explain.Unknown || !ex.Root.RowMissing || ex.Root.Column != "article" {
		t.Errorf("without the relationship: %+v, want unknown, article missing", ex.Root)
	}
	ex = explain.Row(p, com, pred, map[string]any{"id": 1.0, "article_id": 3.0, "article": map[string]any{"id": 3.0, "org_id": 2.0}}, nil, 0)
	if ex.Root.Outcome != explain.False || len(ex.Root.Children) != 1 {
		t.Fatalf("with an article of org 2: %+v, want false with the comparison", ex.Root)
	}
	leaf := ex.Root.Children[0]
	if leaf.Column != "article.org_id" || leaf.Outcome != explain.False || fmt.Sprint(leaf.RowValue) != "2" || fmt.Sprint(leaf.Value) != "1" {
		t.Errorf("leaf %+v, want article.org_id 2 vs 1, false", leaf)
	}
}

// The tree is bounded: beyond the cap nodes are left out and the
// explanation says so, while the outcome still counts every node.
func TestExplainBounded(t *testing.T) {
	p, com := blog(t)
	var items []residual.Expr
	for i := range 10 {
		items = append(items, residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "id", Kind: model.KindInteger}, Right: residual.Value{V: jsonNumber(fmt.Sprint(i)), Kind: model.KindInteger}})
	}
	ex := explain.Row(p, com, residual.Or{Items: items}, map[string]any{"id": 9.0}, nil, 4)
	if !ex.Truncated || ex.Nodes != 4 || len(ex.Root.Children) != 3 {
		t.Errorf("truncated %v, nodes %d, children %d; want truncated at 4 nodes", ex.Truncated, ex.Nodes, len(ex.Root.Children))
	}
	if ex.Root.Outcome != explain.True {
		t.Errorf("outcome %v: the 10th item (id = 9) holds though it is not shown", ex.Root.Outcome)
	}
	ex = explain.Row(p, com, residual.Or{Items: items}, map[string]any{"id": 9.0}, nil, 0)
	if ex.Truncated || ex.Nodes != 11 {
		t.Errorf("default cap: truncated %v, nodes %d; want all 11", ex.Truncated, ex.Nodes)
	}
}

func jsonNumber(s string) any { return json.Number(s) }

func TestRuleAndFellAway(t *testing.T) {
	tag := &model.Column{Name: "tag_id", Type: model.Type{Kind: model.KindInteger}}
	owner := &model.Column{Name: "owner_id", Type: model.Type{Kind: model.KindInteger}}
	rule := model.Or{Items: []model.BoolExp{
		model.Compare{Column: tag, Op: model.OpIn, Value: model.SessionVar{Name: "x-hasura-tag-ids", Kind: model.KindInteger, Array: true}},
		model.Compare{Column: owner, Op: model.OpEq, Value: model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}},
		model.Not{Item: model.Compare{Column: tag, Op: model.OpIsNull, Value: model.Literal{V: true}}},
	}}
	if got, want := explain.Rule(rule), "{_or: [{tag_id: {_in: X-Hasura-Tag-Ids}}, {owner_id: {_eq: X-Hasura-User-Id}}, {_not: {tag_id: {_is_null: true}}}]}"; got != want {
		t.Errorf("Rule:\n got %s\nwant %s", got, want)
	}
	got := explain.FellAway(rule, map[string]string{"x-hasura-tag-ids": "{}", "x-hasura-user-id": "1"})
	if len(got) != 1 || got[0] != "{tag_id: {_in: X-Hasura-Tag-Ids}}: X-Hasura-Tag-Ids is empty, so it is false for every row" {
		t.Errorf("FellAway with no tags: %q", got)
	}
	if got := explain.FellAway(rule, map[string]string{"x-hasura-tag-ids": "{3}", "x-hasura-user-id": "1"}); len(got) != 0 {
		t.Errorf("FellAway with a tag: %q, want none", got)
	}
}

// An operator left to the database (lquery matching, ltree ordering,
// PostGIS) is unknown, never false, whatever the row holds: an _or's other
// branch still decides the row.
func TestExplainDatabaseLeaf(t *testing.T) {
	p, com := blog(t)
	db := residual.Database{Op: model.OpMatches, Column: residual.Column{Name: "id", Kind: model.KindText},
		Value: residual.Value{V: "*.a", Kind: model.KindText}, Symbol: "~", Type: "lquery"}
	ex := explain.Row(p, com, db, map[string]any{"id": 1.0}, nil, 0)
	if ex.Root.Outcome != explain.Unknown || ex.Root.Note != "ltree: decided by the database" || ex.Root.Op != "_matches" {
		t.Errorf("%+v, want _matches unknown, ltree: decided by the database", ex.Root)
	}
	eq := residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "id", Kind: model.KindInteger}, Right: residual.Value{V: jsonNumber("1"), Kind: model.KindInteger}}
	ex = explain.Row(p, com, residual.Or{Items: []residual.Expr{db, eq}}, map[string]any{"id": 1.0}, nil, 0)
	if ex.Root.Outcome != explain.True {
		t.Errorf("_or with id = 1: %v, want true", ex.Root.Outcome)
	}
	ex = explain.Row(p, com, residual.And{Items: []residual.Expr{db, eq}}, map[string]any{"id": 1.0}, nil, 0)
	if ex.Root.Outcome != explain.Unknown {
		t.Errorf("_and with id = 1: %v, want unknown", ex.Root.Outcome)
	}
}

// An opaque column's comparison left to the database names the column's
// type (_in's array of it by the element type), never "ltree".
func TestExplainOpaqueDatabaseLeaf(t *testing.T) {
	p, com := blog(t)
	for _, c := range []struct {
		db   residual.Database
		note string
	}{
		{residual.Database{Op: model.OpGt, Column: residual.Column{Name: "id", Kind: model.KindOpaque},
			Value: residual.Value{V: "[1,5)", Kind: model.KindText}, Symbol: ">", Type: "int4range"}, "int4range: decided by the database"},
		{residual.Database{Op: model.OpIn, Column: residual.Column{Name: "id", Kind: model.KindOpaque},
			Value: residual.Value{V: "{a}", Kind: model.KindText}, Symbol: model.SymbolAny, Type: "tsvector[]"}, "tsvector: decided by the database"},
		{residual.Database{Op: model.OpGt, Column: residual.Column{Name: "id", Kind: model.KindText},
			Value: residual.Value{V: "Top", Kind: model.KindText}, Symbol: ">", Type: "ltree"}, "ltree: decided by the database"},
	} {
		ex := explain.Row(p, com, c.db, map[string]any{"id": 1.0}, nil, 0)
		if ex.Root.Outcome != explain.Unknown || ex.Root.Note != c.note {
			t.Errorf("%s %s: %v %q, want unknown, %q", c.db.Op, c.db.Type, ex.Root.Outcome, ex.Root.Note, c.note)
		}
	}
}

// A column comparison left to the database names both columns and the
// type, and is unknown whatever the row holds.
func TestExplainDatabaseColumns(t *testing.T) {
	p, com := blog(t)
	for _, c := range []struct {
		db         residual.Database
		text, note string
	}{
		{residual.Database{Op: model.OpCgt, Column: residual.Column{Name: "id", Kind: model.KindOpaque},
			Value: residual.Column{Name: "title", Kind: model.KindOpaque}, Symbol: ">", Type: "int4range"},
			"id > title", "int4range: decided by the database"},
		{residual.Database{Op: model.OpClte, Column: residual.Column{Name: "id", Kind: model.KindText},
			Value: residual.Column{Name: "title", Kind: model.KindText, Root: true}, Symbol: "<=", Type: "ltree"},
			"id <= $.title", "ltree: decided by the database"},
		{residual.Database{Op: model.OpCeq, Column: residual.Column{Name: "id", Kind: model.KindOpaque},
			Value: residual.Column{Name: "title", Kind: model.KindOpaque}, Symbol: "=", Type: "interval day to second"},
			"id = title", "interval day to second: decided by the database"},
	} {
		ex := explain.Row(p, com, c.db, map[string]any{"id": 1.0, "title": 1.0}, nil, 0)
		if ex.Root.Outcome != explain.Unknown || ex.Root.Note != c.note || ex.Root.Text != c.text || ex.Root.Op != string(c.db.Op) {
			t.Errorf("%s: %v %q %q %q, want unknown, %q, %q", c.db.Op, ex.Root.Outcome, ex.Root.Op, ex.Root.Text, ex.Root.Note, c.text, c.note)
		}
	}
}
