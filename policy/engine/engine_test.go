package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// handPolicy is a small policy built without the loader: articles with an
// author and comments.
func handPolicy(t *testing.T) *model.Policy {
	t.Helper()
	col := func(name string, k model.Kind) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: k.String(), Kind: k}, Nullable: true}
	}
	aID, aAuthor, aPub, aTitle := col("id", model.KindInteger), col("author_id", model.KindInteger), col("published", model.KindBoolean), col("title", model.KindText)
	cID, cArticle, cAuthor := col("id", model.KindInteger), col("article_id", model.KindInteger), col("author_id", model.KindInteger)
	articlesName := model.TableName{Schema: "public", Name: "articles"}
	commentsName := model.TableName{Schema: "public", Name: "comments"}
	comments := &model.Relationship{Name: "comments", Kind: model.RelArray, Target: commentsName, Mapping: []model.ColumnPair{{Local: "id", Remote: "article_id"}}}
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	articles := &model.Table{Name: articlesName, Columns: []*model.Column{aID, aAuthor, aPub, aTitle}, PrimaryKey: []string{"id"},
		Relationships: map[string]*model.Relationship{"comments": comments},
		Permissions: map[model.Operation]map[string]*model.Permission{
			model.OpSelect: {
				"user": {Role: "user", Op: model.OpSelect, Columns: []string{"author_id", "id", "published", "title"},
					Filter: model.Or{Items: []model.BoolExp{
						model.Compare{Column: aAuthor, Op: model.OpEq, Value: uid},
						model.Compare{Column: aPub, Op: model.OpEq, Value: model.Literal{V: true}},
					}}},
				"critic": {Role: "critic", Op: model.OpSelect, Columns: []string{"id", "title"},
					Filter: model.Not{Item: model.RelExists{Relationship: comments, From: articlesName,
						Where: model.Compare{Column: cAuthor, Op: model.OpEq, Value: uid}}}},
				"member": {Role: "member", Op: model.OpSelect, Columns: []string{"id"},
					Filter: model.Exists{Table: commentsName, Where: model.And{Items: []model.BoolExp{
						model.Compare{Column: cAuthor, Op: model.OpEq, Value: uid},
						model.Compare{Column: cArticle, Op: model.OpCeq, Value: model.ColumnRef{Root: true, Column: aID}},
					}}}},
				"reader": {Role: "reader", Op: model.OpSelect, Columns: []string{"id"},
					Filter: model.Not{Item: model.Compare{Column: aTitle, Op: model.OpLike, Value: model.Literal{V: "draft%"}}}},
			},
			model.OpInsert: {
				"user": {Role: "user", Op: model.OpInsert, Columns: []string{"published", "title"},
					Check: model.Compare{Column: aAuthor, Op: model.OpIn, Value: model.SessionVar{Name: "x-hasura-allowed-ids", Kind: model.KindInteger, Array: true}},
					Set:   map[string]model.Value{"author_id": uid, "published": model.Literal{V: false}}},
			},
		}}
	commentsT := &model.Table{Name: commentsName, Columns: []*model.Column{cID, cArticle, cAuthor}, PrimaryKey: []string{"id"}}
	articles.IndexColumns()
	commentsT.IndexColumns()
	return &model.Policy{Tables: map[model.TableName]*model.Table{articlesName: articles, commentsName: commentsT}, Revision: "test"}
}

func TestCheckHandPolicy(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	user1 := Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{1,2}"}}
	tests := []struct {
		name    string
		in      CheckInput
		want    []Decision
		wantErr error
	}{
		{"own row allowed, other user's unpublished row denied", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "a", Values: map[string]any{"author_id": 1.0, "published": false}},
			{ID: "b", Values: map[string]any{"author_id": 2.0, "published": false}},
			{ID: "c", Values: map[string]any{"author_id": 2.0, "published": true}},
			{ID: "d", Values: map[string]any{"author_id": "1", "published": nil}},
		}}, []Decision{Allow, Deny, Allow, Allow}, nil},
		{"missing column needs data", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "a", Values: map[string]any{"author_id": 2.0}},
		}}, []Decision{NeedsData}, nil},
		{"partial evaluation decides despite missing data", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "published", Values: map[string]any{"published": true}},
			{ID: "unpublished", Values: map[string]any{"published": false}},
			{ID: "own", Values: map[string]any{"author_id": 1.0}},
		}}, []Decision{Allow, NeedsData, Allow}, nil},
		{"_exists reads the tables sent", CheckInput{Session: Session{Role: "member", Vars: user1.Vars}, Table: articles, Op: model.OpSelect,
			Tables: map[model.TableName][]map[string]any{{Schema: "public", Name: "comments"}: {{"author_id": 1.0, "article_id": 7.0}, {"author_id": 2.0, "article_id": 8.0}}},
			Rows: []Row{
				{ID: "7", Values: map[string]any{"id": 7.0}},
				{ID: "8", Values: map[string]any{"id": 8.0}},
			}}, []Decision{Allow, Deny}, nil},
		{"_exists without the table needs data", CheckInput{Session: Session{Role: "member", Vars: user1.Vars}, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "7", Values: map[string]any{"id": 7.0}},
		}}, []Decision{NeedsData}, nil},
		{"not exists over a relationship", CheckInput{Session: Session{Role: "critic", Vars: user1.Vars}, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "none", Values: map[string]any{"comments": []any{}}},
			{ID: "other", Values: map[string]any{"comments": []any{map[string]any{"author_id": 2.0}}}},
			{ID: "mine", Values: map[string]any{"comments": []any{map[string]any{"author_id": 2.0}, map[string]any{"author_id": 1.0}}}},
			{ID: "missing", Values: map[string]any{}},
		}}, []Decision{Allow, Allow, Deny, NeedsData}, nil},
		{"not like is false for NULL", CheckInput{Session: Session{Role: "reader"}, Table: articles, Op: model.OpSelect, Rows: []Row{
			{ID: "null", Values: map[string]any{"title": nil}},
			{ID: "draft", Values: map[string]any{"title": "draft: x"}},
			{ID: "final", Values: map[string]any{"title": "final"}},
		}}, []Decision{Deny, Deny, Allow}, nil},
		{"insert check with array session variable, on the preset author_id", CheckInput{Session: user1, Table: articles, Op: model.OpInsert, Rows: []Row{
			{ID: "ok", Values: map[string]any{"title": "t"}},
			{ID: "states-the-preset", Values: map[string]any{"author_id": 2.0}},
			{ID: "writes-outside-the-columns", Values: map[string]any{"id": 9.0, "title": "t"}},
		}}, []Decision{Allow, Deny, Deny}, nil},
		{"insert check fails on the preset", CheckInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "3", "x-hasura-allowed-ids": "{1,2}"}}, Table: articles, Op: model.OpInsert, Rows: []Row{
			{ID: "no", Values: map[string]any{"title": "t"}},
		}}, []Decision{Deny}, nil},
		{"requested column not allowed", CheckInput{Session: Session{Role: "reader"}, Table: articles, Op: model.OpSelect, Columns: []string{"id", "title"}, Rows: []Row{
			{ID: "final", Values: map[string]any{"title": "final"}},
		}}, []Decision{Deny}, nil},
		{"no permission denies", CheckInput{Session: Session{Role: "nobody"}, Table: articles, Op: model.OpDelete, Rows: []Row{{ID: "x", Values: map[string]any{}}}}, []Decision{Deny}, nil},
		{"admin allows", CheckInput{Session: Session{Role: "admin"}, Table: articles, Op: model.OpDelete, Rows: []Row{{ID: "x", Values: map[string]any{}}}}, []Decision{Allow}, nil},
		{"missing session variable is an error", CheckInput{Session: Session{Role: "user"}, Table: articles, Op: model.OpSelect, Rows: []Row{{ID: "x", Values: map[string]any{"author_id": 1.0, "published": true}}}}, nil, ErrMissingSessionVariables},
		{"bad session value is an error", CheckInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "abc"}}, Table: articles, Op: model.OpSelect, Rows: []Row{{ID: "x", Values: map[string]any{"author_id": 1.0, "published": true}}}}, nil, ErrInvalidValue},
		{"bad row value is an error", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Rows: []Row{{ID: "x", Values: map[string]any{"author_id": 1.5, "published": true}}}}, nil, ErrInvalidValue},
		{"unknown row key is an error", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Rows: []Row{{ID: "x", Values: map[string]any{"autor_id": 1.0}}}}, nil, ErrInvalidValue},
		{"unknown table", CheckInput{Session: user1, Table: model.TableName{Schema: "public", Name: "nope"}, Op: model.OpSelect}, nil, ErrUnknownTable},
		{"unknown requested column", CheckInput{Session: user1, Table: articles, Op: model.OpSelect, Columns: []string{"nope"}}, nil, ErrUnknownColumns},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := set.Check(ctx, tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != len(tc.want) {
				t.Fatalf("%d rows decided, want %d", len(res.Rows), len(tc.want))
			}
			for i, w := range tc.want {
				if got := res.Rows[i]; got.Decision != w {
					t.Errorf("row %s: %s (%s), want %s", got.ID, got.Decision, got.Reason, w)
				}
			}
		})
	}
}

func TestNeedsDataCarriesTheResidual(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	res, err := set.Check(ctx, CheckInput{
		Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}},
		Table:   articles, Op: model.OpSelect,
		Rows: []Row{{ID: "draft", Values: map[string]any{"published": false}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Rows[0]
	if r.Decision != NeedsData || len(r.MissingData) != 1 || r.MissingData[0] != "author_id" {
		t.Fatalf("%+v, want NEEDS_DATA missing author_id", r)
	}
	if r.Residual == nil {
		t.Fatal("no residual")
	}
	// The published branch is decided (false); what remains is the
	// author's id, with the session value bound.
	if got := residual.String(r.Residual); !strings.Contains(got, "author_id") || !strings.Contains(got, "7") || strings.Contains(got, "published") {
		t.Errorf("residual %s, want author_id = 7 only", got)
	} else {
		t.Logf("residual: %s", got)
	}
}
