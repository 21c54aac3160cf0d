package server

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/google/go-cmp/cmp"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestFunctionCheckFilter: Check and Filter on a tracked function answer
// as on the table it returns (Hasura reads a function's rows under that
// table's select permission), and deny a mutation function the role has
// no permission for.
func TestFunctionCheckFilter(t *testing.T) {
	ctx := context.Background()
	set := graphqlSet(t)
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}}
	ignore := protocmp.IgnoreFields(&wardenv1.FilterResponse{}, "decision_id")
	sqlOpts := &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "f"}
	for _, fn := range []string{"search_articles", "public.search_articles", "app.reset_article"} {
		t.Run(fn, func(t *testing.T) {
			want, err := FilterOffline(ctx, set, &wardenv1.FilterRequest{Principal: user, Table: "article", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: sqlOpts}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := FilterOffline(ctx, set, &wardenv1.FilterRequest{Principal: user, Table: fn, Operation: wardenv1.Operation_OPERATION_SELECT, Sql: sqlOpts}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if want.GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL {
				t.Fatalf("the table's filter is %v, want a conditional one to compare with", want.GetKind())
			}
			if d := cmp.Diff(want, got, protocmp.Transform(), ignore); d != "" {
				t.Errorf("Filter on %s differs from Filter on its table (-table +function):\n%s", fn, d)
			}
			row := func(table string) *wardenv1.CheckResponse {
				v, _ := structpb.NewStruct(map[string]any{"id": 1, "author_id": 2, "published": false, "title": "x"})
				resp, err := CheckOffline(ctx, set, &wardenv1.CheckRequest{Principal: user, Table: table, Operation: wardenv1.Operation_OPERATION_SELECT,
					Rows: []*wardenv1.Row{{Id: "r", Values: v}}}, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			if a, b := row("article").GetDecisions()[0], row(fn).GetDecisions()[0]; a.GetDecision() != b.GetDecision() || a.GetReason() != b.GetReason() {
				t.Errorf("Check on %s = %v (%s), on the table %v (%s)", fn, b.GetDecision(), b.GetReason(), a.GetDecision(), a.GetReason())
			}
		})
	}

	// Without the function permission, the mutation function is denied
	// though the role may read the table.
	noPerm := graphqlSetWith(t, map[string]string{
		"metadata/databases/default/functions/app_reset_article.yaml": "function: {schema: app, name: reset_article}\nconfiguration: {exposed_as: mutation}\n",
	})
	f, err := FilterOffline(ctx, noPerm, &wardenv1.FilterRequest{Principal: user, Table: "app.reset_article", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: sqlOpts}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.GetKind() != wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED || !strings.Contains(f.GetReason(), "exposed as a mutation and has no permission for role user") {
		t.Errorf("Filter on a mutation function without permission = %v (%s), want ALWAYS_DENIED saying why", f.GetKind(), f.GetReason())
	}
	v, _ := structpb.NewStruct(map[string]any{"id": 1, "author_id": 1, "published": true, "title": "x"})
	c, err := CheckOffline(ctx, noPerm, &wardenv1.CheckRequest{Principal: user, Table: "app.reset_article", Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: []*wardenv1.Row{{Id: "r", Values: v}}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if c.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_DENY {
		t.Errorf("Check on a mutation function without permission = %v, want DENY", c.GetDecisions()[0])
	}
	// The same row on the table itself is allowed: the deny is the function's.
	c, err = CheckOffline(ctx, noPerm, &wardenv1.CheckRequest{Principal: user, Table: "article", Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: []*wardenv1.Row{{Id: "r", Values: v}}}, Limits{})
	if err != nil || c.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW {
		t.Errorf("Check on the table = %v %v, want ALLOW", c, err)
	}

	// Only select applies to a function's rows.
	_, err = CheckOffline(ctx, set, &wardenv1.CheckRequest{Principal: user, Table: "search_articles", Operation: wardenv1.Operation_OPERATION_INSERT,
		Rows: []*wardenv1.Row{{Id: "r", Values: v}}}, Limits{})
	if status.Code(StatusFromError(err).Err()) != codes.InvalidArgument || !strings.Contains(err.Error(), "tracked function") {
		t.Errorf("insert on a function: %v, want InvalidArgument", err)
	}
	// An unknown name is still NOT_FOUND.
	_, err = FilterOffline(ctx, set, &wardenv1.FilterRequest{Principal: user, Table: "search_nothing", Operation: wardenv1.Operation_OPERATION_SELECT}, Limits{})
	if StatusFromError(err).Code() != codes.NotFound {
		t.Errorf("unknown name: %v, want NotFound", err)
	}
}
