package server

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"
	_ "modernc.org/sqlite"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func exampleSet(t testing.TB) *engine.Set {
	return testSet(t, examples.Blog(), "embedded:example")
}

// TestFilterSQLRunsOnTheExample pushes Filter's SQL, as the API returns it,
// into a query over the example's seeded tables in each database and
// checks the rows against the example's rules worked out by hand from
// seed.sql. The query already has two parameters, so PostgreSQL's fragment
// starts at $3.
func TestFilterSQLRunsOnTheExample(t *testing.T) {
	set := exampleSet(t)
	cases := []struct {
		name  string
		role  string
		vars  map[string]string
		table string
		op    wardenv1.Operation
		want  []int64
	}{
		{"user 1 sees own and organisation 1's published articles", "user", map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}, "articles", wardenv1.Operation_OPERATION_SELECT, []int64{1, 2, 3}},
		{"user 3 sees own and organisation 2's published articles", "user", map[string]string{"x-hasura-user-id": "3", "x-hasura-org-id": "2"}, "articles", wardenv1.Operation_OPERATION_SELECT, []int64{5, 6, 7}},
		{"editor of organisation 2", "editor", map[string]string{"x-hasura-user-id": "4", "x-hasura-org-id": "2"}, "articles", wardenv1.Operation_OPERATION_SELECT, []int64{5, 6, 7}},
		{"anonymous sees published articles", "anonymous", nil, "articles", wardenv1.Operation_OPERATION_SELECT, []int64{1, 3, 5, 7}},
		{"user 1 deletes only own drafts", "user", map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}, "articles", wardenv1.Operation_OPERATION_DELETE, []int64{2}},
		{"comments through the article relationship", "user", map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}, "comments", wardenv1.Operation_OPERATION_SELECT, []int64{1, 2, 3, 4, 8}},
		{"admin sees everything", "admin", nil, "articles", wardenv1.Operation_OPERATION_SELECT, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"a role without a permission sees nothing", "nobody", nil, "articles", wardenv1.Operation_OPERATION_SELECT, nil},
	}
	dialects := []struct {
		name    string
		dialect wardenv1.SqlDialect
		first   int32
		bounds  string
	}{
		{"sqlite", wardenv1.SqlDialect_SQL_DIALECT_SQLITE, 0, "t.id >= ? AND t.id <= ?"},
		{"postgres", wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, 3, "t.id >= $1 AND t.id <= $2"},
		{"mysql", wardenv1.SqlDialect_SQL_DIALECT_MYSQL, 0, "t.id >= ? AND t.id <= ?"},
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := seededExample(t, d.name)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					req := &wardenv1.FilterRequest{
						Principal: &wardenv1.Principal{Role: tc.role, SessionVariables: tc.vars},
						Table:     "public." + tc.table,
						Operation: tc.op,
						Sql:       &wardenv1.SqlOptions{Dialect: d.dialect, TableAlias: "t", FirstPlaceholder: d.first},
					}
					resp, err := FilterOffline(context.Background(), set, req, Limits{})
					if err != nil {
						t.Fatal(err)
					}
					where := resp.GetSql().GetWhere()
					args := []any{int64(0), int64(1000)}
					for _, p := range where.GetParameters() {
						args = append(args, paramValue(p))
					}
					query := fmt.Sprintf("SELECT t.id FROM %s AS t WHERE %s AND %s ORDER BY t.id", tc.table, d.bounds, where.GetSql())
					got := queryIDs(t, db, query, args)
					if !slices.Equal(got, tc.want) {
						t.Errorf("%s\nparams %v\nrows %v, want %v", query, args[2:], got, tc.want)
					}
					if tc.role == "nobody" && resp.GetKind() != wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED {
						t.Errorf("kind %s, want ALWAYS_DENIED", resp.GetKind())
					}
				})
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	set := exampleSet(t)
	ctx := context.Background()
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}}
	tests := []struct {
		name string
		req  *wardenv1.FilterRequest
		code codes.Code
		msg  string
	}{
		{"missing session variable", &wardenv1.FilterRequest{Principal: user, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT}, codes.FailedPrecondition, "x-hasura-org-id"},
		{"bad session value", &wardenv1.FilterRequest{Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "one", "x-hasura-org-id": "1"}}, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT}, codes.InvalidArgument, "x-hasura-user-id"},
		{"unknown table", &wardenv1.FilterRequest{Principal: user, Table: "public.nope", Operation: wardenv1.Operation_OPERATION_SELECT}, codes.NotFound, "public.nope"},
		{"sql without a dialect", &wardenv1.FilterRequest{Principal: user, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{}}, codes.InvalidArgument, "sql.dialect"},
		{"a NUL in the table alias", &wardenv1.FilterRequest{Principal: user, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "a\x00b"}}, codes.InvalidArgument, "sql.table_alias"},
		{"a newline in the table alias", &wardenv1.FilterRequest{Principal: user, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_MYSQL, TableAlias: "a\nb"}}, codes.InvalidArgument, "sql.table_alias"},
		{"negative first placeholder", &wardenv1.FilterRequest{Principal: user, Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, FirstPlaceholder: -1}}, codes.InvalidArgument, "first_placeholder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FilterOffline(ctx, set, tc.req, Limits{})
			st := StatusFromError(err)
			if st.Code() != tc.code || !strings.Contains(fmt.Sprint(st.Proto()), tc.msg) {
				t.Errorf("status %v %q (details %v), want %v mentioning %q", st.Code(), st.Message(), st.Details(), tc.code, tc.msg)
			}
		})
	}
}

// TestFilterSessionValuesOnlyInParameters: sessions with different values
// get the same SQL text and differ only in the parameters, and a
// SQL-looking value for an integer column does not even parse. (SQL-looking
// text values are in server/security_test.)
func TestFilterSessionValuesOnlyInParameters(t *testing.T) {
	set := exampleSet(t)
	for _, d := range []wardenv1.SqlDialect{wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, wardenv1.SqlDialect_SQL_DIALECT_MYSQL, wardenv1.SqlDialect_SQL_DIALECT_SQLITE} {
		filter := func(org string) (*wardenv1.FilterResponse, error) {
			return FilterOffline(context.Background(), set, &wardenv1.FilterRequest{
				Principal: &wardenv1.Principal{Role: "editor", SessionVariables: map[string]string{"x-hasura-org-id": org, "x-hasura-user-id": "1"}},
				Table:     "articles", Operation: wardenv1.Operation_OPERATION_SELECT,
				Sql: &wardenv1.SqlOptions{Dialect: d},
			}, Limits{})
		}
		a, err := filter("1")
		if err != nil {
			t.Fatal(err)
		}
		b, err := filter("987654")
		if err != nil {
			t.Fatal(err)
		}
		wa, wb := a.GetSql().GetWhere(), b.GetSql().GetWhere()
		if wa.GetSql() != wb.GetSql() || strings.Contains(wb.GetSql(), "987654") {
			t.Errorf("%s: the SQL text depends on the session value:\n%s\n%s", d, wa.GetSql(), wb.GetSql())
		}
		if len(wb.GetParameters()) != 1 || paramValue(wb.GetParameters()[0]) != int64(987654) {
			t.Errorf("%s: parameters %v, want [987654]", d, wb.GetParameters())
		}
		if _, err := filter("1 OR 1=1; DROP TABLE articles; --"); StatusFromError(err).Code() != codes.InvalidArgument {
			t.Errorf("%s: SQL-looking integer: %v, want InvalidArgument", d, err)
		}
	}
}

func paramValue(p *wardenv1.SqlParameter) any {
	switch v := p.GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		return v.Text
	case *wardenv1.SqlParameter_Integer:
		return v.Integer
	case *wardenv1.SqlParameter_Boolean:
		return v.Boolean
	case *wardenv1.SqlParameter_Real:
		return v.Real
	}
	panic(fmt.Sprintf("parameter %v", p))
}

func queryIDs(t *testing.T, db *sql.DB, query string, args []any) []int64 {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// seededExample returns a database holding the example's schema.sql and
// seed.sql: SQLite in memory, or a fresh PostgreSQL or MariaDB database
// dropped after the test. An unreachable server skips, except under
// CI=true.
func seededExample(t *testing.T, dialect string) *sql.DB {
	t.Helper()
	db, _ := seededExampleURL(t, dialect)
	return db
}

// seededExampleURL is seededExample, with the database's URL as serve
// --console-database takes it (SQLite: a file of the test's temporary
// directory).
func seededExampleURL(t *testing.T, dialect string) (*sql.DB, string) {
	t.Helper()
	name := fmt.Sprintf("warden_filter_%d", time.Now().UnixNano())
	var db *sql.DB
	var err error
	var url string
	switch dialect {
	case "sqlite":
		file := t.TempDir() + "/" + name + ".db"
		url = "sqlite://" + file
		db, err = sql.Open("sqlite", "file:"+file)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
	default:
		driver, admin, dsn := "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/"+name+"?sslmode=disable"
		url = dsn
		if dialect == "mysql" {
			driver, admin, dsn = "mysql", "root@tcp(127.0.0.1:3306)/test", "root@tcp(127.0.0.1:3306)/"+name
			url = "mysql://root@127.0.0.1:3306/" + name
		}
		adm, err := sql.Open(driver, admin)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err = adm.PingContext(ctx)
			cancel()
		}
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not reachable (%v); under CI=true nothing that could run is skipped", dialect, err)
			}
			t.Skipf("%s is not reachable on 127.0.0.1 (%v): skipping", dialect, err)
		}
		if _, err := adm.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		db, err = sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			db.Close()
			drop := "DROP DATABASE " + name
			if dialect == "postgres" {
				drop += " WITH (FORCE)"
			}
			_, _ = adm.Exec(drop)
			adm.Close()
		})
	}
	for _, file := range []string{"schema.sql", "seed.sql"} {
		script, err := os.ReadFile("../policy/examples/blog/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, line := range strings.Split(string(script), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "--") {
				b.WriteString(line + "\n")
			}
		}
		for _, stmt := range strings.Split(b.String(), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %s: %v", file, stmt, err)
			}
		}
	}
	return db, url
}

// TestCheckNeedsDataResidual: a comment insert whose check reads the
// article, sent without it, answers NEEDS_DATA with the check's residual:
// an exists over the article relationship with the session bound.
func TestCheckNeedsDataResidual(t *testing.T) {
	set := exampleSet(t)
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table:     "public.comments",
		Operation: wardenv1.Operation_OPERATION_INSERT,
		Rows:      []*wardenv1.Row{{Id: "c", Values: mustStruct(t, map[string]any{"article_id": 1, "body": "hi"})}},
	}
	resp, err := CheckOffline(context.Background(), set, req, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := resp.GetDecisions()[0]
	if d.GetDecision() != wardenv1.Decision_DECISION_NEEDS_DATA || !slices.Equal(d.GetMissingData(), []string{"article"}) {
		t.Fatalf("%v, want NEEDS_DATA missing article", d)
	}
	ex := d.GetCheckResidual().GetExists()
	if ex == nil || ex.GetRelationship() != "article" || ex.GetTable() != "public.articles" {
		t.Fatalf("check residual %v, want an exists over the article relationship", d.GetCheckResidual())
	}
	if got := fmt.Sprint(ex.GetWhere()); !strings.Contains(got, "org_id") || !strings.Contains(got, "published") {
		t.Errorf("residual where %v, want org_id and published", got)
	}
	if resp.GetPresets().GetFields()["author_id"].GetNumberValue() != 1 {
		t.Errorf("presets %v, want author_id 1", resp.GetPresets())
	}
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
