package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// The numbers at the ends of what Warden must carry exactly: bigint's
// range and a numeric(38,0) value. A double holds none of them:
// 9223372036854775807 and 9223372036854775806 are one double, and so are
// the two 38-digit values.
const (
	maxBigint  = "9223372036854775807"
	nextBigint = "9223372036854775806"
	minBigint  = "-9223372036854775808"
	bigNumeric = "12345678901234567890123456789012345678"
	prevBig    = "12345678901234567890123456789012345677"
)

// numbersSchema and numbersMetadata are a policy set over bigint and
// numeric(38,0) columns: accounts owned by users, transfers of an
// account (an object relationship), memberships read by _exists.
const numbersSchema = `tables:
  - name: public.accounts
    columns:
      - {name: id, type: bigint}
      - {name: owner_id, type: bigint, nullable: false}
      - {name: balance, type: "numeric(38,0)", nullable: false}
    primary_key: [id]
  - name: public.transfers
    columns:
      - {name: id, type: bigint}
      - {name: account_id, type: bigint, nullable: false}
      - {name: amount, type: "numeric(38,0)", nullable: false}
    primary_key: [id]
    foreign_keys:
      - columns: [account_id]
        references: {table: public.accounts, columns: [id]}
  - name: public.memberships
    columns:
      - {name: user_id, type: bigint, nullable: false}
      - {name: account_id, type: bigint, nullable: false}
    primary_key: [user_id, account_id]
`

const numbersMetadata = `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
 {"table": {"schema": "public", "name": "memberships"}},
 {"table": {"schema": "public", "name": "accounts"},
  "select_permissions": [
   {"role": "user", "permission": {"columns": "*", "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}},
   {"role": "auditor", "permission": {"columns": "*", "filter": {"_or": [
     {"id": {"_in": [9223372036854775807, -9223372036854775808]}},
     {"balance": {"_eq": 12345678901234567890123456789012345678}}]}}},
   {"role": "member", "permission": {"columns": "*", "filter": {"_exists": {"_table": {"schema": "public", "name": "memberships"},
     "_where": {"_and": [{"user_id": {"_eq": "X-Hasura-User-Id"}}, {"account_id": {"_ceq": ["$", "id"]}}]}}}}}
  ],
  "insert_permissions": [
   {"role": "user", "permission": {"columns": ["id", "balance"], "check": {"balance": {"_lte": "X-Hasura-Max-Balance"}},
     "set": {"owner_id": "X-Hasura-User-Id"}}}
  ],
  "update_permissions": [
   {"role": "user", "permission": {"columns": ["balance"], "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}},
     "check": {"balance": {"_lte": "X-Hasura-Max-Balance"}}}}
  ]},
 {"table": {"schema": "public", "name": "transfers"},
  "object_relationships": [{"name": "account", "using": {"foreign_key_constraint_on": "account_id"}}],
  "select_permissions": [
   {"role": "user", "permission": {"columns": "*", "filter": {"_and": [
     {"account": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}, {"amount": {"_gte": "X-Hasura-Min-Amount"}}]}}}
  ]}
]}]}
`

// numbersPolicy writes the policy set to a directory for --policy.
func numbersPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"schema.yaml": numbersSchema, "metadata.json": numbersMetadata} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// row builds a Struct the way a caller does, with numbers as JSON numbers
// (doubles) or strings as given.
func row(t *testing.T, m map[string]any) *structpb.Struct { return mustStruct(t, m) }

// TestNumbersCheckEndToEnd: over gRPC, bigint and numeric(38,0) values
// sent as strings decide exactly in rows, new_values, related rows and
// _exists tables; the same values sent as JSON numbers (doubles) are
// InvalidArgument naming the field, never rounded; values out of range
// are InvalidArgument.
func TestNumbersCheckEndToEnd(t *testing.T) {
	srv := startServer(t, "--policy", numbersPolicy(t))
	user := func(id string) *wardenv1.Principal {
		return &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{
			"x-hasura-user-id": id, "x-hasura-max-balance": bigNumeric, "x-hasura-min-amount": bigNumeric}}
	}
	type rowCase struct {
		values, newValues map[string]any
	}
	tests := []struct {
		name      string
		principal *wardenv1.Principal
		table     string
		op        wardenv1.Operation
		rows      []rowCase
		tables    []*wardenv1.TableRows
		want      []wardenv1.Decision // or an error
		err       violation
	}{
		{
			name: "bigint owner at 2^63-1 as a string", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": maxBigint, "balance": bigNumeric}},
				{values: map[string]any{"id": 2, "owner_id": nextBigint, "balance": 1}}},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "bigint owner at -2^63 as a string", principal: user(minBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": minBigint, "owner_id": minBigint, "balance": "-" + bigNumeric}},
				{values: map[string]any{"id": 2, "owner_id": "-9223372036854775807", "balance": 0}}},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "literal bigints and numeric(38,0) of the rule", principal: &wardenv1.Principal{Role: "auditor"}, table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{
				{values: map[string]any{"id": maxBigint, "owner_id": 1, "balance": 0}},
				{values: map[string]any{"id": nextBigint, "owner_id": 1, "balance": 0}},
				{values: map[string]any{"id": minBigint, "owner_id": 1, "balance": 0}},
				{values: map[string]any{"id": 4, "owner_id": 1, "balance": bigNumeric}},
				{values: map[string]any{"id": 5, "owner_id": 1, "balance": prevBig}},
			},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY, wardenv1.Decision_DECISION_ALLOW,
				wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "update's check on new_values at numeric(38,0)", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_UPDATE,
			rows: []rowCase{
				{values: map[string]any{"id": 1, "owner_id": maxBigint, "balance": 0}, newValues: map[string]any{"id": 1, "owner_id": maxBigint, "balance": bigNumeric}},
				{values: map[string]any{"id": 1, "owner_id": maxBigint, "balance": 0}, newValues: map[string]any{"id": 1, "owner_id": maxBigint, "balance": "12345678901234567890123456789012345679"}},
			},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "related row's bigint", principal: user(maxBigint), table: "transfers", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{
				{values: map[string]any{"id": 1, "account_id": 1, "amount": bigNumeric, "account": map[string]any{"id": 1, "owner_id": maxBigint, "balance": 0}}},
				{values: map[string]any{"id": 2, "account_id": 2, "amount": bigNumeric, "account": map[string]any{"id": 2, "owner_id": nextBigint, "balance": 0}}},
				{values: map[string]any{"id": 3, "account_id": 1, "amount": prevBig, "account": map[string]any{"id": 1, "owner_id": maxBigint, "balance": 0}}},
			},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "_exists table rows' bigints", principal: &wardenv1.Principal{Role: "member", SessionVariables: map[string]string{"x-hasura-user-id": maxBigint}},
			table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{
				{values: map[string]any{"id": minBigint, "owner_id": 1, "balance": 0}},
				{values: map[string]any{"id": "-9223372036854775807", "owner_id": 1, "balance": 0}},
			},
			tables: []*wardenv1.TableRows{{Table: "memberships", Rows: []*structpb.Struct{
				row(t, map[string]any{"user_id": maxBigint, "account_id": minBigint}),
				row(t, map[string]any{"user_id": nextBigint, "account_id": "-9223372036854775807"}),
			}}},
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY},
		},
		{
			name: "2^63-1 sent as a double", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": 9223372036854775807.0, "balance": 0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.owner_id"}, msg: "send it as a string"},
		},
		{
			name: "-2^63 sent as a double", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": -9223372036854775808.0, "owner_id": 1, "balance": 0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.id"}, msg: "send it as a string"},
		},
		{
			name: "numeric(38,0) sent as a double", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": 1, "balance": 12345678901234567890123456789012345678.0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.balance"}, msg: "send it as a string"},
		},
		{
			name: "a double in new_values", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_UPDATE,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": maxBigint, "balance": 0},
				newValues: map[string]any{"id": 1, "owner_id": maxBigint, "balance": 1e37}}},
			err: violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].new_values.balance"}, msg: "send it as a string"},
		},
		{
			name: "a double in a related row", principal: user(maxBigint), table: "transfers", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "account_id": 1, "amount": 1,
				"account": map[string]any{"id": 1, "owner_id": 9223372036854775807.0, "balance": 0}}}},
			err: violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.account.owner_id"}, msg: "send it as a string"},
		},
		{
			name: "a double in an _exists table", principal: &wardenv1.Principal{Role: "member", SessionVariables: map[string]string{"x-hasura-user-id": maxBigint}},
			table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows:   []rowCase{{values: map[string]any{"id": 1, "owner_id": 1, "balance": 0}}},
			tables: []*wardenv1.TableRows{{Table: "memberships", Rows: []*structpb.Struct{row(t, map[string]any{"user_id": 9223372036854775807.0, "account_id": 1})}}},
			err:    violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"tables[public.memberships].rows[0].user_id"}, msg: "send it as a string"},
		},
		{
			name: "2^63 out of bigint's range", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": "9223372036854775808", "balance": 0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.owner_id"}, msg: "out of range"},
		},
		{
			name: "-2^63-1 out of bigint's range", principal: user(maxBigint), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": "-9223372036854775809", "owner_id": 1, "balance": 0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.id"}, msg: "out of range"},
		},
		{
			name: "a session variable at 2^63", principal: user("9223372036854775808"), table: "accounts", op: wardenv1.Operation_OPERATION_SELECT,
			rows: []rowCase{{values: map[string]any{"id": 1, "owner_id": 1, "balance": 0}}},
			err:  violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"principal.session_variables[x-hasura-user-id]"}, msg: "out of range"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &wardenv1.CheckRequest{Principal: tc.principal, Table: tc.table, Operation: tc.op, Tables: tc.tables}
			for i, r := range tc.rows {
				pr := &wardenv1.Row{Id: fmt.Sprint(i), Values: row(t, r.values)}
				if r.newValues != nil {
					pr.NewValues = row(t, r.newValues)
				}
				req.Rows = append(req.Rows, pr)
			}
			resp, err := srv.authz().Check(t.Context(), req)
			if tc.want == nil {
				checkStatus(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []wardenv1.Decision
			for _, d := range resp.GetDecisions() {
				got = append(got, d.GetDecision())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("decisions %v, want %v\n%v", got, tc.want, resp.GetDecisions())
			}
		})
	}

	// Presets and NEEDS_DATA residuals carry the numbers as strings.
	t.Run("presets and residuals", func(t *testing.T) {
		resp, err := srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: user(minBigint), Table: "accounts",
			Operation: wardenv1.Operation_OPERATION_INSERT, Rows: []*wardenv1.Row{{Id: "0", Values: row(t, map[string]any{"id": 1, "balance": bigNumeric})}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.GetPresets().GetFields()["owner_id"].GetStringValue(); got != minBigint {
			t.Errorf("presets %v, want owner_id %q", resp.GetPresets(), minBigint)
		}
		resp, err = srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: user(maxBigint), Table: "transfers",
			Operation: wardenv1.Operation_OPERATION_SELECT, Rows: []*wardenv1.Row{{Id: "0", Values: row(t, map[string]any{"id": 1, "account_id": 1, "amount": bigNumeric})}}})
		if err != nil {
			t.Fatal(err)
		}
		d := resp.GetDecisions()[0]
		cmp := d.GetResidual().GetExists().GetWhere().GetComparison()
		if d.GetDecision() != wardenv1.Decision_DECISION_NEEDS_DATA || cmp.GetColumn().GetName() != "owner_id" || cmp.GetValue().GetStringValue() != maxBigint {
			t.Errorf("%v, want NEEDS_DATA with the residual owner_id = %q", d, maxBigint)
		}
	})
}

// TestNumbersHTTPJSON: over the HTTP/JSON gateway a JSON number is a
// double too: 9223372036854775807 as a number is 400 with its field, as a
// string it decides exactly; Filter's int64 parameters come back as
// strings (protobuf JSON), numerics as text.
func TestNumbersHTTPJSON(t *testing.T) {
	srv := startServer(t, "--policy", numbersPolicy(t))
	post := func(path, body string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), "POST", "http://"+srv.httpAddr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Warden-Api-Key", srv.keys["ops"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	check := func(owner string) string {
		return `{"principal": {"role": "user", "sessionVariables": {"x-hasura-user-id": "9223372036854775807"}}, "table": "accounts",
			"operation": "OPERATION_SELECT", "rows": [{"id": "0", "values": {"id": 1, "owner_id": ` + owner + `, "balance": "1"}}]}`
	}
	if code, body := post("/v1/check", check(`9223372036854775807`)); code != http.StatusBadRequest || !strings.Contains(body, `"field":"rows[0].values.owner_id"`) {
		t.Errorf("a number: %d %s, want 400 with the field rows[0].values.owner_id", code, body)
	}
	if code, body := post("/v1/check", check(`"9223372036854775807"`)); code != http.StatusOK || !strings.Contains(body, "DECISION_ALLOW") {
		t.Errorf("a string: %d %s, want 200 and ALLOW", code, body)
	}
	if code, body := post("/v1/check", check(`"9223372036854775806"`)); code != http.StatusOK || !strings.Contains(body, "DECISION_DENY") {
		t.Errorf("the next string: %d %s, want 200 and DENY", code, body)
	}
	code, body := post("/v1/filter", `{"principal": {"role": "auditor"}, "table": "accounts", "operation": "OPERATION_SELECT", "sql": {"dialect": "SQL_DIALECT_POSTGRES"}}`)
	for _, want := range []string{`{"integer":"9223372036854775807"}`, `{"integer":"-9223372036854775808"}`, `{"text":"` + bigNumeric + `"}`} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("filter: %d %s, want %s", code, body, want)
		}
	}
}

// numbersRows is the data of the policy set, in each database.
var numbersRows = []string{
	`INSERT INTO accounts VALUES (1, 9223372036854775807, 12345678901234567890123456789012345678),
		(2, 9223372036854775806, 12345678901234567890123456789012345677), (3, -9223372036854775808, 1),
		(9223372036854775807, 5, 0), (-9223372036854775808, 6, 0), (9223372036854775806, 7, 0)`,
	`INSERT INTO transfers VALUES (1, 1, 12345678901234567890123456789012345678), (2, 1, 12345678901234567890123456789012345677),
		(3, 2, 12345678901234567890123456789012345678), (4, 3, 12345678901234567890123456789012345678)`,
}

// TestNumbersFilterEndToEnd: Filter over gRPC carries bigint parameters
// as exact 64-bit integers and numeric(38,0) ones as decimal text, the
// predicate tree's values as strings; the SQL, run with exactly those
// parameters in PostgreSQL and MariaDB, returns the right rows.
func TestNumbersFilterEndToEnd(t *testing.T) {
	srv := startServer(t, "--policy", numbersPolicy(t))
	user := func(id string) *wardenv1.Principal {
		return &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": id, "x-hasura-min-amount": bigNumeric}}
	}
	cases := []struct {
		name      string
		principal *wardenv1.Principal
		table     string
		want      []string // ids
		params    []any    // of the PostgreSQL rendering
	}{
		{"user at 2^63-1", user(maxBigint), "transfers", []string{"1"}, []any{bigNumeric, int64(9223372036854775807)}},
		{"user at -2^63", user(minBigint), "transfers", []string{"4"}, []any{bigNumeric, int64(-9223372036854775808)}},
		{"user at 2^63-2", user(nextBigint), "accounts", []string{"2"}, []any{int64(9223372036854775806)}},
		{"auditor's literals", &wardenv1.Principal{Role: "auditor"}, "accounts", []string{minBigint, "1", maxBigint},
			[]any{[]any{int64(9223372036854775807), int64(-9223372036854775808)}, bigNumeric}},
	}
	t.Run("a session value at 2^63", func(t *testing.T) {
		_, err := srv.authz().Filter(t.Context(), &wardenv1.FilterRequest{Principal: user("9223372036854775808"), Table: "accounts",
			Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}})
		checkStatus(t, err, violation{code: codes.InvalidArgument, reason: "INVALID_VALUE",
			fields: []string{"principal.session_variables[x-hasura-user-id]"}, msg: "out of range"})
	})
	for _, dialect := range []wardenv1.SqlDialect{wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, wardenv1.SqlDialect_SQL_DIALECT_MYSQL} {
		name := strings.ToLower(strings.TrimPrefix(dialect.String(), "SQL_DIALECT_"))
		t.Run(name, func(t *testing.T) {
			db := numbersDB(t, name)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp, err := srv.authz().Filter(t.Context(), &wardenv1.FilterRequest{Principal: tc.principal, Table: tc.table,
						Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: dialect, TableAlias: "t"}})
					if err != nil {
						t.Fatal(err)
					}
					where := resp.GetSql().GetWhere()
					var args []any
					for _, p := range where.GetParameters() {
						args = append(args, sqlArg(t, p))
					}
					if dialect == wardenv1.SqlDialect_SQL_DIALECT_POSTGRES {
						if got, want := fmt.Sprintf("%#v", args), fmt.Sprintf("%#v", tc.params); got != want {
							t.Errorf("parameters %s, want %s", got, want)
						}
					}
					if strings.Contains(fmt.Sprint(resp.GetPredicate()), "number_value") {
						t.Errorf("the predicate holds a number, not the exact text: %v", resp.GetPredicate())
					}
					q := "SELECT CAST(t.id AS CHAR(20)) FROM " + tc.table + " AS t WHERE " + where.GetSql() + " ORDER BY t.id"
					if got := queryStrings(t, db, q, args); !slices.Equal(got, tc.want) {
						t.Errorf("%s %v\nrows %v, want %v", q, args, got, tc.want)
					}
				})
			}
		})
	}
}

// sqlArg is a parameter as a database/sql argument: int64 and text stay
// exact; arrays (PostgreSQL's = ANY) as a PostgreSQL array literal.
func sqlArg(t *testing.T, p *wardenv1.SqlParameter) any {
	t.Helper()
	switch v := p.GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		return v.Text
	case *wardenv1.SqlParameter_Integer:
		return v.Integer
	case *wardenv1.SqlParameter_Boolean:
		return v.Boolean
	case *wardenv1.SqlParameter_Array:
		var out []any
		for _, e := range v.Array.GetElements() {
			out = append(out, sqlArg(t, e))
		}
		return out
	}
	t.Fatalf("parameter %v: want text, an integer, a boolean or an array (never a double)", p)
	return nil
}

// queryStrings runs the query and returns its one column as text. A
// parameter that is a list goes in as a PostgreSQL array literal.
func queryStrings(t *testing.T, db *sql.DB, q string, args []any) []string {
	t.Helper()
	bound := make([]any, len(args))
	for i, a := range args {
		if l, ok := a.([]any); ok {
			parts := make([]string, len(l))
			for j, e := range l {
				parts[j] = fmt.Sprint(e)
			}
			a = "{" + strings.Join(parts, ",") + "}"
		}
		bound[i] = a
	}
	rows, err := db.Query(q, bound...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(s))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// numbersDB creates the tables of the policy set in a new database of
// the dialect, dropped after the test. An unreachable server skips,
// except under CI=true.
func numbersDB(t *testing.T, dialect string) *sql.DB {
	t.Helper()
	name := fmt.Sprintf("warden_numbers_%d", time.Now().UnixNano())
	driver, admin, dsn := "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/"+name+"?sslmode=disable"
	numeric := "numeric(38,0)"
	if dialect == "mysql" {
		driver, admin, dsn, numeric = "mysql", "root@tcp(127.0.0.1:3306)/test", "root@tcp(127.0.0.1:3306)/"+name, "DECIMAL(38,0)"
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
	db, err := sql.Open(driver, dsn)
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
	stmts := append([]string{
		"CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint NOT NULL, balance " + numeric + " NOT NULL)",
		"CREATE TABLE transfers (id bigint PRIMARY KEY, account_id bigint NOT NULL, amount " + numeric + " NOT NULL)",
	}, numbersRows...)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

// TestNumbersCLI: `warden filter --output json` prints integer
// parameters beyond ±(2^53-1) and numerics as decimal strings, and
// `warden check --output json` presets as strings; a JSON reader that
// holds numbers as doubles gets them exactly.
func TestNumbersCLI(t *testing.T) {
	dir := numbersPolicy(t)
	stdout, stderr, err := runCLI(t, nil, "filter", "--policy", dir, "--role", "auditor", "--table", "accounts", "--dialect", "postgres", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var f struct {
		Params []any `json:"params"`
	}
	if err := json.Unmarshal([]byte(stdout), &f); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got, want := fmt.Sprint(f.Params), fmt.Sprint([]any{[]any{maxBigint, minBigint}, bigNumeric}); got != want {
		t.Errorf("params %s, want %s (strings)\n%s", got, want, stdout)
	}
	stdout, stderr, err = runCLI(t, nil, "filter", "--policy", dir, "--role", "user", "--session", "x-hasura-user-id=42",
		"--session", "x-hasura-min-amount=1", "--table", "transfers", "--dialect", "sqlite", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `"1",`) || !strings.Contains(stdout, "42\n") {
		t.Errorf("want the numeric as \"1\" and the small bigint as the number 42:\n%s", stdout)
	}

	stdout, stderr, err = runCLI(t, nil, "check", "--policy", dir, "--role", "user", "--session", "x-hasura-user-id="+maxBigint,
		"--session", "x-hasura-max-balance="+bigNumeric, "--table", "accounts", "--operation", "insert",
		"--row", `{"id": "`+minBigint+`", "balance": "`+bigNumeric+`"}`, "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var c struct {
		Decisions []struct{ Decision string }
		Presets   map[string]any
	}
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(c.Decisions) != 1 || c.Decisions[0].Decision != "DECISION_ALLOW" || c.Presets["owner_id"] != maxBigint {
		t.Errorf("warden check printed %s, want ALLOW and presets owner_id %q", stdout, maxBigint)
	}
	// A JSON number that a double cannot hold is refused, as the RPC
	// refuses it.
	_, stderr, err = runCLI(t, nil, "check", "--policy", dir, "--role", "user", "--session", "x-hasura-user-id=1",
		"--table", "accounts", "--operation", "select", "--row", `{"id": 1, "owner_id": 9223372036854775807, "balance": 1}`)
	if err == nil || !strings.Contains(stderr, "InvalidArgument") || !strings.Contains(stderr, "rows[0].values.owner_id") {
		t.Errorf("err %v, stderr %q: want InvalidArgument for rows[0].values.owner_id", err, stderr)
	}
}

// TestNumbersJSONBEndToEnd: a jsonb rule value with a number a double
// cannot hold reaches the caller exactly: in the predicate tree as
// value_json (value has the number as a string, which in JSON is a
// string), and in the SQL as JSON text, which PostgreSQL's jsonb compares
// exactly.
func TestNumbersJSONBEndToEnd(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"schema.yaml": "tables:\n  - name: public.docs\n    columns:\n      - {name: id, type: bigint}\n      - {name: meta, type: jsonb}\n    primary_key: [id]\n",
		"metadata.json": `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "docs"},
			"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"meta": {"_contains": {"steam": 76561198000000001}}}}}]}]}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, "--policy", dir)
	resp, err := srv.authz().Filter(t.Context(), &wardenv1.FilterRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: "docs",
		Operation: wardenv1.Operation_OPERATION_SELECT, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	// The column IS NOT NULL, and the containment.
	items := resp.GetPredicate().GetAll().GetItems()
	if len(items) == 0 {
		t.Fatalf("predicate %v, want an AND ending in the containment", resp.GetPredicate())
	}
	if got := items[len(items)-1].GetJsonb().GetValueJson(); got != `{"steam":76561198000000001}` {
		t.Errorf("value_json %q, want the number exactly\n%v", got, resp.GetPredicate())
	}
	where := resp.GetSql().GetWhere()
	var args []any
	for _, p := range where.GetParameters() {
		args = append(args, sqlArg(t, p))
	}
	db := numbersDB(t, "postgres")
	for _, s := range []string{
		`CREATE TABLE docs (id bigint PRIMARY KEY, meta jsonb)`,
		`INSERT INTO docs VALUES (1, '{"steam": 76561198000000001}'), (2, '{"steam": 76561198000000000}'), (3, '{"steam": "76561198000000001"}')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	q := "SELECT CAST(t.id AS CHAR(20)) FROM docs AS t WHERE " + where.GetSql() + " ORDER BY t.id"
	if got := queryStrings(t, db, q, args); !slices.Equal(got, []string{"1"}) {
		t.Errorf("%s %v\nrows %v, want [1]", q, args, got)
	}

	// Check: the same number in a Struct row is a double, which stands for
	// both rows above: refused, naming the column, not rounded (it would
	// be 76561198000000000 and deny the row Filter returns). Below 2^53 a
	// double is exact.
	_, err = srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: "docs",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows:      []*wardenv1.Row{{Id: "1", Values: row(t, map[string]any{"id": 1, "meta": map[string]any{"steam": 76561198000000001.0}})}}})
	checkStatus(t, err, violation{code: codes.InvalidArgument, reason: "INVALID_VALUE", fields: []string{"rows[0].values.meta"}, msg: "the jsonb value's .steam is 7.6561198e+16, a double of magnitude 2^53 or more"})
	small, err := srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: "docs",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows:      []*wardenv1.Row{{Id: "1", Values: row(t, map[string]any{"id": 1, "meta": map[string]any{"steam": 9007199254740991.0}})}}})
	if err != nil || small.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_DENY {
		t.Errorf("a jsonb number below 2^53: %v, %v; want a deny", small, err)
	}
	// values_json carries the number exactly: the row Filter returns is
	// allowed, its neighbour (one double with it) denied.
	exact, err := srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: "docs",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: []*wardenv1.Row{
			{Id: "1", Values: row(t, map[string]any{"id": 1}), ValuesJson: map[string]string{"meta": `{"steam": 76561198000000001}`}},
			{Id: "2", Values: row(t, map[string]any{"id": 2}), ValuesJson: map[string]string{"meta": `{"steam": 76561198000000000}`}},
			{Id: "3", Values: row(t, map[string]any{"id": 3}), ValuesJson: map[string]string{"meta": `{"steam": "76561198000000001"}`}},
			{Id: "4", Values: row(t, map[string]any{"id": 4}), ValuesJson: map[string]string{"meta": `null`}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	var got []wardenv1.Decision
	for _, d := range exact.GetDecisions() {
		got = append(got, d.GetDecision())
	}
	if want := []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY, wardenv1.Decision_DECISION_DENY, wardenv1.Decision_DECISION_DENY}; !slices.Equal(got, want) {
		t.Errorf("values_json decisions %v, want %v (as PostgreSQL selected [1])", got, want)
	}
	for _, bad := range []struct {
		row   *wardenv1.Row
		field string
		msg   string
	}{
		{&wardenv1.Row{Id: "1", Values: row(t, map[string]any{"id": 1, "meta": nil}), ValuesJson: map[string]string{"meta": `{}`}}, "rows[0].values_json[meta]", "also in values"},
		{&wardenv1.Row{Id: "1", Values: row(t, map[string]any{"id": 1}), ValuesJson: map[string]string{"meta": `{"a": 1`}}, "rows[0].values_json[meta]", "invalid JSON"},
		{&wardenv1.Row{Id: "1", Values: row(t, map[string]any{"id": 1}), ValuesJson: map[string]string{"meta": `1 2`}}, "rows[0].values_json[meta]", "more than one value"},
		{&wardenv1.Row{Id: "1", Values: row(t, map[string]any{"id": 1}), NewValuesJson: map[string]string{"meta": `{}`}}, "rows[0].new_values_json", "only for OPERATION_UPDATE"},
	} {
		_, err := srv.authz().Check(t.Context(), &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: "docs",
			Operation: wardenv1.Operation_OPERATION_SELECT, Rows: []*wardenv1.Row{bad.row}})
		checkStatus(t, err, violation{code: codes.InvalidArgument, fields: []string{bad.field}, msg: bad.msg})
	}
}
