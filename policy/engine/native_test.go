package engine

import (
	"context"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestNativeErrorsAreOPAs: a request with values that do not coerce, at
// every depth (a column, a related row's column, an element of an array
// relationship that is no row, an unknown key, a row of another table),
// fails with the same error, field for field, with either evaluator: the
// native evaluator's rows name their fields only when a value fails.
func TestNativeErrorsAreOPAs(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	sess := Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1"}}
	ok := map[string]any{"id": 1.0, "author_id": 1.0, "published": true, "title": "t"}
	bad := []map[string]any{
		{"id": "x", "author_id": 1.0, "published": true, "title": "t"},
		{"id": 1.0, "author_id": 1.0, "published": true, "title": "t", "comments": []any{map[string]any{"id": 1.0, "author_id": "nope"}}},
		{"id": 1.0, "author_id": 1.0, "published": true, "title": "t", "comments": []any{map[string]any{"id": 1.0}, 7.0}},
		{"id": 1.0, "author_id": 1.0, "published": true, "title": "t", "comments": map[string]any{}},
		{"id": 1.0, "author_id": 1.0, "published": true, "title": "t", "nope": 1.0},
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	comments := model.TableName{Schema: "public", Name: "comments"}
	tables := map[model.TableName][]map[string]any{comments: {{"id": 1.0, "article_id": true}}}
	cases := 0
	for _, role := range []string{"user", "critic", "member", "reader"} {
		sess.Role = role
		for i, row := range bad {
			for _, withTables := range []bool{false, true} {
				in := CheckInput{Session: sess, Table: articles, Op: model.OpSelect, Rows: []Row{{ID: "ok", Values: ok}, {ID: "bad", Values: row, New: row}}}
				if withTables {
					in.Tables = tables
				}
				_, nerr := set.Check(ctx, in)
				_, oerr := set.WithEvaluator(EvaluatorOPA).Check(ctx, in)
				if nerr == nil || oerr == nil || nerr.Error() != oerr.Error() {
					t.Errorf("role %s case %d tables %v: native %v; OPA %v", role, i, withTables, nerr, oerr)
				}
				cases++
			}
		}
	}
	t.Logf("%d failing requests compared", cases)
}
