package graphql_test

import (
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
)

// BenchmarkDecideTables: deciding table root fields against the cost of
// parsing alone, the baseline in the same run.
func BenchmarkDecideTables(b *testing.B) {
	p := loadTables(b)
	const q = `query Q($s: Boolean!) {
  articles(where: {author: {name: {_eq: "a"}}}, order_by: [{title: asc}]) { id title body author { id name } }
  writers { id name articles(where: {published: {_eq: true}}) { id title } }
  reviews: articles_by_pk(id: 1) { id @skip(if: $s) title }
}`
	vars := map[string]any{"s": false}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := graphql.Parse(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decide", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: q, Variables: vars, Vars: map[string]string{"x-hasura-user-id": "1"}})
			if err != nil || res.Decision != graphql.Allow {
				b.Fatalf("%v %+v", err, res)
			}
		}
	})
}
