package engine

import (
	"context"
	"strconv"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// benchPolicy has two select rules on articles: "simple" (author_id =
// X-Hasura-User-Id) and "related" (_or of that and a comment by the user,
// through an array relationship).
func benchPolicy(tb testing.TB) *model.Policy {
	tb.Helper()
	col := func(name string, k model.Kind) *model.Column {
		return &model.Column{Name: name, Type: model.Type{Declared: k.String(), Kind: k}, Nullable: true}
	}
	aID, aAuthor, aTitle := col("id", model.KindInteger), col("author_id", model.KindInteger), col("title", model.KindText)
	cID, cArticle, cAuthor := col("id", model.KindInteger), col("article_id", model.KindInteger), col("author_id", model.KindInteger)
	articlesName := model.TableName{Schema: "public", Name: "articles"}
	commentsName := model.TableName{Schema: "public", Name: "comments"}
	comments := &model.Relationship{Name: "comments", Kind: model.RelArray, Target: commentsName, Mapping: []model.ColumnPair{{Local: "id", Remote: "article_id"}}}
	uid := model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}
	own := model.Compare{Column: aAuthor, Op: model.OpEq, Value: uid}
	articles := &model.Table{Name: articlesName, Columns: []*model.Column{aID, aAuthor, aTitle}, PrimaryKey: []string{"id"},
		Relationships: map[string]*model.Relationship{"comments": comments},
		Permissions: map[model.Operation]map[string]*model.Permission{model.OpSelect: {
			"simple": {Role: "simple", Op: model.OpSelect, Columns: []string{"author_id", "id", "title"}, Filter: own},
			"related": {Role: "related", Op: model.OpSelect, Columns: []string{"author_id", "id", "title"}, Filter: model.Or{Items: []model.BoolExp{
				own,
				model.RelExists{Relationship: comments, From: articlesName, Where: model.Compare{Column: cAuthor, Op: model.OpEq, Value: uid}},
			}}},
		}}}
	commentsT := &model.Table{Name: commentsName, Columns: []*model.Column{cID, cArticle, cAuthor}, PrimaryKey: []string{"id"}}
	articles.IndexColumns()
	commentsT.IndexColumns()
	return &model.Policy{Tables: map[model.TableName]*model.Table{articlesName: articles, commentsName: commentsT}, Revision: "bench"}
}

// BenchmarkFilter measures an in-process Filter with a template: binding a
// session's values, no partial evaluation. users=N cycles through N
// distinct user ids; the cost must not depend on N.
func BenchmarkFilter(b *testing.B) {
	ctx := context.Background()
	set, err := New(ctx, benchPolicy(b))
	if err != nil {
		b.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	for _, role := range []string{"simple", "related"} {
		for _, users := range []int{1, 100000} {
			sessions := make([]Session, users)
			for i := range sessions {
				sessions[i] = Session{Role: role, Vars: map[string]string{"x-hasura-user-id": strconv.Itoa(i + 1)}}
			}
			b.Run("rule="+role+"/users="+strconv.Itoa(users), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					res, err := set.Filter(ctx, FilterInput{Session: sessions[i], Table: articles, Op: model.OpSelect})
					if err != nil || res.Kind != Conditional {
						b.Fatal(err, res)
					}
					if i++; i == users {
						i = 0
					}
				}
			})
		}
	}
}

// BenchmarkFilterPartialEval is the baseline Filter avoids: a fresh partial
// evaluation per request (the fallback for rules that cannot be templated).
func BenchmarkFilterPartialEval(b *testing.B) {
	ctx := context.Background()
	forceFilterFallback = true
	set, err := New(ctx, benchPolicy(b))
	forceFilterFallback = false
	if err != nil {
		b.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	for _, role := range []string{"simple", "related"} {
		b.Run("rule="+role, func(b *testing.B) {
			b.ReportAllocs()
			s := Session{Role: role, Vars: map[string]string{"x-hasura-user-id": "7"}}
			for b.Loop() {
				if _, err := set.Filter(ctx, FilterInput{Session: s, Table: articles, Op: model.OpSelect}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
