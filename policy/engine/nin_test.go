package engine

import (
	"context"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// ninPolicy is handPolicy with a role whose filter is _nin over an array
// session variable: Hasura's NOT (author_id = ANY(list)).
func ninPolicy(t *testing.T) *model.Policy {
	t.Helper()
	p := handPolicy(t)
	articles := p.Tables[model.TableName{Schema: "public", Name: "articles"}]
	author, _ := articles.Column("author_id")
	articles.Permissions[model.OpSelect]["blocker"] = &model.Permission{Role: "blocker", Op: model.OpSelect, Columns: []string{"id"},
		Filter: model.Compare{Column: author, Op: model.OpNin, Value: model.SessionVar{Name: "x-hasura-blocked-ids", Kind: model.KindInteger, Array: true}}}
	return p
}

// _nin over an empty array variable holds for every row, a NULL column
// included, in Check and in Filter, templated or not; over a non-empty one
// a NULL column does not pass.
func TestNinOverAnArrayVariable(t *testing.T) {
	ctx := context.Background()
	templated, err := New(ctx, ninPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	if st := templated.FilterTemplateStats(); st.Fallback != 0 {
		t.Fatalf("a _nin over an array variable is not templated: %+v", st)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	rows := []Row{
		{ID: "null", Values: map[string]any{"id": 1, "author_id": nil}},
		{ID: "one", Values: map[string]any{"id": 2, "author_id": 1}},
		{ID: "three", Values: map[string]any{"id": 3, "author_id": 3}},
		{ID: "unknown", Values: map[string]any{"id": 4}},
	}
	tests := []struct {
		blocked string
		kind    FilterKind
		pred    string
		want    []Decision
	}{
		{"{}", AlwaysAllowed, "TRUE", []Decision{Allow, Allow, Allow, Allow}},
		{"{1,2}", Conditional, "(NOT author_id IS NULL AND NOT author_id IN [1,2])", []Decision{Deny, Deny, Allow, NeedsData}},
	}
	for name, set := range map[string]*Set{"templated": templated, "fallback": fallbackSet(t, ninPolicy(t))} {
		for _, tt := range tests {
			sess := Session{Role: "blocker", Vars: map[string]string{"x-hasura-blocked-ids": tt.blocked}}
			res, err := set.Filter(ctx, FilterInput{Session: sess, Table: articles, Op: model.OpSelect})
			if err != nil {
				t.Fatal(err)
			}
			if got := residual.String(res.Predicate); res.Kind != tt.kind || got != tt.pred {
				t.Errorf("%s %s: Filter %s %s, want %s %s", name, tt.blocked, res.Kind, got, tt.kind, tt.pred)
			}
			chk, err := set.Check(ctx, CheckInput{Session: sess, Table: articles, Op: model.OpSelect, Rows: rows})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range chk.Rows {
				if r.Decision != tt.want[i] {
					t.Errorf("%s %s: row %s: Check %s, want %s (%s)", name, tt.blocked, r.ID, r.Decision, tt.want[i], r.Reason)
				}
			}
		}
	}
}
