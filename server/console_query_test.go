package server

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// checkedArticles is the oracle: every article of db, sent to Check
// (select) as the session, and the ids Check allows. QueryDatabase must
// return exactly these: a row is allowed by Check exactly when Filter's
// SQL selects it.
func checkedArticles(t *testing.T, db *sql.DB, authz wardenv1.AuthorizationServiceClient, p *wardenv1.Principal) []string {
	t.Helper()
	rows, err := db.Query("SELECT id, org_id, author_id, published FROM articles ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var req []*wardenv1.Row
	for rows.Next() {
		var id, org, author int64
		var published any
		if err := rows.Scan(&id, &org, &author, &published); err != nil {
			t.Fatal(err)
		}
		pub := published == true || published == int64(1) // bool, or MySQL's and SQLite's 0/1
		req = append(req, &wardenv1.Row{Id: strconv.FormatInt(id, 10), Values: mustStruct(t, map[string]any{
			"id": id, "org_id": org, "author_id": author, "published": pub})})
	}
	if err := rows.Err(); err != nil || len(req) == 0 {
		t.Fatalf("the seeded articles: %d rows, %v", len(req), err)
	}
	resp, err := authz.Check(context.Background(), &wardenv1.CheckRequest{Principal: p, Table: "public.articles",
		Operation: wardenv1.Operation_OPERATION_SELECT, Rows: req})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range resp.GetDecisions() {
		if d.GetDecision() == wardenv1.Decision_DECISION_ALLOW {
			ids = append(ids, d.GetId())
		}
	}
	return ids
}

// TestQueryDatabase runs QueryDatabase against the example seeded in
// SQLite, PostgreSQL and MariaDB: the rows are those Check allows, with
// the role's columns; the limit holds; a write in the same read-only
// transaction fails and changes nothing.
func TestQueryDatabase(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			db, url := seededExampleURL(t, dialect)
			cfg := DefaultConfig()
			if err := cfg.ConsoleDatabases.Set("default=" + url); err != nil {
				t.Fatal(err)
			}
			ts := startTest(t, cfg, exampleSet(t))
			conn := ts.conn(t, "ops")
			admin := wardenv1.NewAdminServiceClient(conn)
			authz := wardenv1.NewAuthorizationServiceClient(conn)
			ctx := context.Background()

			st, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(st.GetQueryDatabases(), []string{"default"}) {
				t.Errorf("status query_databases %q, want [default]", st.GetQueryDatabases())
			}
			if strings.Contains(fmt.Sprint(st), url) {
				t.Error("the status carries the database's URL")
			}

			sessions := []struct {
				name string
				p    *wardenv1.Principal
				cols []string
			}{
				{"user 1 of org 1", &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}, nil},
				{"user 3 of org 2", &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "3", "x-hasura-org-id": "2"}}, nil},
				{"editor of org 2", &wardenv1.Principal{Role: "editor", SessionVariables: map[string]string{"x-hasura-user-id": "4", "x-hasura-org-id": "2"}}, nil},
				{"anonymous", &wardenv1.Principal{Role: "anonymous"}, []string{"id", "title", "created_at"}},
				{"admin", &wardenv1.Principal{Role: "admin"}, nil},
			}
			for _, s := range sessions {
				resp, err := admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Principal: s.p, Table: "public.articles"})
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				want := checkedArticles(t, db, authz, s.p)
				idCol := slices.Index(resp.GetColumns(), "id")
				if idCol < 0 {
					t.Fatalf("%s: no id column in %q", s.name, resp.GetColumns())
				}
				var got []string
				for _, r := range resp.GetRows() {
					got = append(got, r.GetValues()[idCol].GetText())
				}
				slices.SortFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
				if !slices.Equal(got, want) || len(want) == 0 && s.p.Role != "nobody" {
					t.Errorf("%s: rows %q, Check allows %q", s.name, got, want)
				}
				if wantCols, gotCols := resp.GetFilter().GetColumns(), slices.Sorted(slices.Values(resp.GetColumns())); !slices.Equal(gotCols, wantCols) {
					t.Errorf("%s: columns %q, want the role's %q", s.name, resp.GetColumns(), wantCols)
				}
				if s.cols != nil && !slices.Equal(resp.GetColumns(), s.cols) {
					t.Errorf("%s: columns %q, want %q", s.name, resp.GetColumns(), s.cols)
				}
				if resp.GetTruncated() || resp.GetDatabase() != "default" || resp.GetFilter().GetSql().GetWhere().GetSql() == "" {
					t.Errorf("%s: truncated %v, database %q, filter SQL %q", s.name, resp.GetTruncated(), resp.GetDatabase(), resp.GetFilter().GetSql().GetWhere().GetSql())
				}
				if !strings.HasPrefix(resp.GetSql(), "SELECT ") || !strings.Contains(resp.GetSql(), resp.GetFilter().GetSql().GetWhere().GetSql()[:4]) {
					t.Errorf("%s: the statement %q", s.name, resp.GetSql())
				}
			}

			// The session's values are parameters, never in the statement.
			resp, err := admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Table: "public.articles", Limit: 2,
				Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1' OR 1=1 --", "x-hasura-org-id": "1"}}})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("a user id that is no integer: %v, want INVALID_ARGUMENT", err)
			}
			resp, err = admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Table: "public.articles", Limit: 2, Principal: &wardenv1.Principal{Role: "admin"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetRows()) != 2 || !resp.GetTruncated() || resp.GetLimit() != 2 {
				t.Errorf("limit 2: %d rows, truncated %v, limit %d", len(resp.GetRows()), resp.GetTruncated(), resp.GetLimit())
			}
			resp, err = admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Table: "public.articles",
				Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}})
			if err != nil {
				t.Fatal(err)
			}
			if ps := resp.GetParameters(); len(ps) != 3 || ps[0].GetInteger() != 1 || ps[1].GetInteger() != 1 || !ps[2].GetBoolean() || strings.Contains(resp.GetSql(), "= 1") {
				t.Errorf("the statement %q with parameters %v: want the session's values bound", resp.GetSql(), resp.GetParameters())
			}

			// Read-only: writes in the console's transaction fail, and
			// change nothing.
			count := func() int {
				var n int
				if err := db.QueryRow("SELECT count(*) FROM articles").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := count()
			cdb, _ := ts.srv.consoleDBs.Get("default")
			writes := []string{"DELETE FROM articles", "UPDATE articles SET title = 'x'", "INSERT INTO organisations (id, name) VALUES (99, 'x')"}
			if dialect == "postgres" {
				writes = append(writes, "WITH d AS (DELETE FROM articles RETURNING id) SELECT id FROM d", "CREATE TABLE warden_console_probe (id int)")
			}
			for _, w := range writes {
				if _, err := cdb.Query(ctx, w, nil, 10, 5*time.Second); err == nil {
					t.Errorf("%q ran in the console's transaction", w)
				}
			}
			if after := count(); after != before || before == 0 {
				t.Errorf("articles: %d before, %d after the writes", before, after)
			}
			// The timeout: the database stops the statement (or the
			// context does), and the status says so.
			if sleep := map[string]string{"postgres": "SELECT pg_sleep(3)", "mysql": "SELECT SLEEP(3)"}[dialect]; sleep != "" {
				start := time.Now()
				_, err := cdb.Query(ctx, sleep, nil, 1, 300*time.Millisecond)
				if took := time.Since(start); err == nil || took > 2*time.Second {
					t.Errorf("%s with a 300ms timeout: %v after %s", sleep, err, took)
				} else if st := queryStatus(err, "300ms"); status.Code(st) != codes.DeadlineExceeded {
					t.Errorf("%s past the timeout: %v, want DEADLINE_EXCEEDED", sleep, st)
				}
			}
			mode := map[string]string{"postgres": "SHOW transaction_read_only", "sqlite": "PRAGMA query_only"}[dialect]
			if mode != "" {
				res, err := cdb.Query(ctx, mode, nil, 1, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if got := *res.Rows[0][0]; got != "on" && got != "1" {
					t.Errorf("%s: %q, want on", mode, got)
				}
			}
		})
	}
}

// TestQueryDatabaseRefusals: a caller that is not an admin is refused
// before its body is read (a body that is not JSON gets 403, not 400);
// no database, an unknown source, an unreachable database and a bad
// limit are clear statuses; the URL's password is in no answer or log.
func TestQueryDatabaseRefusals(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.ConsoleDatabases.Set("other=postgres://warden:s3cretpw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"); err != nil {
		t.Fatal(err)
	}
	ts := startTest(t, cfg, exampleSet(t))
	post := func(key, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ts.httpAddr+"/v1/admin/query", bytes.NewBufferString(body))
		if key != "" {
			req.Header.Set("X-Warden-Api-Key", ts.keys[key])
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post("checker", "{not json"); code != http.StatusForbidden {
		t.Errorf("a user-level caller with a broken body: %d %s, want 403", code, body)
	}
	if code, body := post("", "{not json"); code != http.StatusUnauthorized {
		t.Errorf("no caller: %d %s, want 401", code, body)
	}
	if code, body := post("ops", "{not json"); code != http.StatusBadRequest {
		t.Errorf("an admin with a broken body: %d %s, want 400", code, body)
	}
	_, err := wardenv1.NewAdminServiceClient(ts.conn(t, "checker")).QueryDatabase(context.Background(), &wardenv1.QueryDatabaseRequest{Table: "public.articles"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("user-level caller over gRPC: %v, want PERMISSION_DENIED", err)
	}

	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	reason := func(err error) string {
		for _, d := range status.Convert(err).Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				return i.GetReason()
			}
		}
		return ""
	}
	ctx := context.Background()
	anon := &wardenv1.Principal{Role: "anonymous"}
	_, err = admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Principal: anon, Table: "public.articles"})
	if status.Code(err) != codes.FailedPrecondition || reason(err) != ReasonNoConsoleDatabase || !strings.Contains(err.Error(), "source default") {
		t.Errorf("a source without a database: %v", err)
	}
	_, err = admin.QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Principal: anon, Table: "public.articles", Limit: MaxQueryRows + 1})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("limit over the maximum: %v", err)
	}

	// The unreachable database, as the source of the example's tables.
	cfg = DefaultConfig()
	if err := cfg.ConsoleDatabases.Set("default=postgres://warden:s3cretpw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"); err != nil {
		t.Fatal(err)
	}
	down := startTest(t, cfg, exampleSet(t))
	_, err = wardenv1.NewAdminServiceClient(down.conn(t, "ops")).QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Principal: anon, Table: "public.articles"})
	if c := status.Code(err); (c != codes.Unavailable && c != codes.DeadlineExceeded) || reason(err) != ReasonDatabaseError {
		t.Errorf("an unreachable database: %v, want UNAVAILABLE with DATABASE_ERROR", err)
	}
	for what, text := range map[string]string{"the error": fmt.Sprint(err), "the log": down.logs.String(), "the other log": ts.logs.String()} {
		if strings.Contains(text, "s3cretpw") {
			t.Errorf("%s holds the password:\n%s", what, text)
		}
	}

	// The startup log line's configuration.
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", slog.Any("config", cfg))
	if !strings.Contains(logged.String(), "postgres://warden:xxxxx@127.0.0.1:1/x") || strings.Contains(logged.String(), "s3cretpw") {
		t.Errorf("the configuration logs %s", logged.String())
	}

	// No database at all: off.
	off := startTest(t, DefaultConfig(), exampleSet(t))
	_, err = wardenv1.NewAdminServiceClient(off.conn(t, "ops")).QueryDatabase(ctx, &wardenv1.QueryDatabaseRequest{Principal: anon, Table: "public.articles"})
	if status.Code(err) != codes.FailedPrecondition || reason(err) != ReasonNoConsoleDatabase {
		t.Errorf("no database configured: %v", err)
	}
}

// TestQueryDatabaseInheritedColumns: an inherited role reads a column
// only one parent grants where that parent's filter holds (CASE WHEN ...
// THEN col END, Hasura's nullification). Its parameter comes before the
// WHERE clause's in the statement, which MySQL's and SQLite's ? must
// follow: the rows and the nulled bodies equal a query of our own.
func TestQueryDatabaseInheritedColumns(t *testing.T) {
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`
tables:
  - name: public.articles
    columns:
      - {name: id, type: integer}
      - {name: org_id, type: integer}
      - {name: author_id, type: integer}
      - {name: title, type: text}
      - {name: body, type: text}
      - {name: published, type: boolean}
      - {name: created_at, type: timestamptz}
    primary_key: [id]
`)},
		"inherited_roles.yaml": {Data: []byte("- {role_name: both, role_set: [author, reader]}\n")},
		"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: articles
      select_permissions:
        - role: author
          permission: {columns: [id, title, body], filter: {author_id: {_eq: X-Hasura-User-Id}}}
        - role: reader
          permission: {columns: [id, title], filter: {published: {_eq: true}}}
`)},
	}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			db, url := seededExampleURL(t, dialect)
			cfg := DefaultConfig()
			if err := cfg.ConsoleDatabases.Set("default=" + url); err != nil {
				t.Fatal(err)
			}
			ts := startTest(t, cfg, set)
			resp, err := wardenv1.NewAdminServiceClient(ts.conn(t, "ops")).QueryDatabase(context.Background(), &wardenv1.QueryDatabaseRequest{
				Table: "public.articles", Principal: &wardenv1.Principal{Role: "both", SessionVariables: map[string]string{"x-hasura-user-id": "2"}}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(resp.GetColumns(), []string{"id", "title", "body"}) || !strings.Contains(resp.GetSql(), "CASE WHEN") {
				t.Fatalf("columns %q, statement %q", resp.GetColumns(), resp.GetSql())
			}
			var got []string
			for _, r := range resp.GetRows() {
				body := r.GetValues()[2].GetText()
				if r.GetValues()[2].GetIsNull() {
					body = "NULL"
				}
				got = append(got, r.GetValues()[0].GetText()+":"+body)
			}
			slices.Sort(got)
			var want []string
			rows, err := db.Query("SELECT id, COALESCE(CASE WHEN author_id = 2 THEN body END, 'NULL') FROM articles WHERE author_id = 2 OR published = TRUE")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var body string
				if err := rows.Scan(&id, &body); err != nil {
					t.Fatal(err)
				}
				want = append(want, strconv.FormatInt(id, 10)+":"+body)
			}
			slices.Sort(want)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("rows %q, want %q", got, want)
			}
		})
	}
}
