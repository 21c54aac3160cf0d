package security_test

// The attacks of issue #12 on what Check reads of a row and on the log:
// a JSON null that must not pass for SQL NULL, columns written outside the
// permission's, preset columns stated by the caller, and values of the
// request (session variables, claims, row values, table names, aliases,
// a webhook's answer) that must never reach the server's log. Each error
// attack asserts the exact status, its reason and field, and that no
// decision was made; each decision attack the exact decision and denied
// columns.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

// docsPolicy has a jsonb column, and insert and update permissions with
// columns and a preset.
var docsPolicy = fstest.MapFS{
	"schema.yaml": {Data: []byte(`tables:
  - name: public.docs
    columns:
      - {name: id, type: integer}
      - {name: owner_id, type: integer, nullable: false}
      - {name: title, type: text, nullable: false}
      - {name: meta, type: jsonb, nullable: true}
    primary_key: [id]
`)},
	"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  configuration: {connection_info: {database_url: postgres://ignored}}
  tables: "!include default/tables/tables.yaml"
`)},
	"databases/default/tables/tables.yaml": {Data: []byte(`- "!include public_docs.yaml"
`)},
	"databases/default/tables/public_docs.yaml": {Data: []byte(`table: {schema: public, name: docs}
select_permissions:
  - role: user
    permission:
      columns: [id, owner_id, title, meta]
      filter: {owner_id: {_eq: X-Hasura-User-Id}}
  - role: untagged
    permission:
      columns: [id, title]
      filter: {meta: {_is_null: true}}
insert_permissions:
  - role: user
    permission:
      columns: [title, meta]
      set: {owner_id: X-Hasura-User-Id}
      check: {owner_id: {_eq: X-Hasura-User-Id}}
update_permissions:
  - role: user
    permission:
      columns: [title]
      filter: {owner_id: {_eq: X-Hasura-User-Id}}
      check: {title: {_neq: ""}}
`)},
}

// marker is a value no log line may hold: unique to the place it is sent
// from, so a leak names its path.
func marker(place string) string { return "zq9mark-" + place }

// docRow is a Check row of docs; json_nulls as given.
func docRow(t *testing.T, values, newValues map[string]any, jsonNulls ...string) *wardenv1.Row {
	t.Helper()
	r := &wardenv1.Row{Id: "1", JsonNulls: jsonNulls}
	var err error
	if r.Values, err = structpb.NewStruct(values); err != nil {
		t.Fatal(err)
	}
	if newValues != nil {
		if r.NewValues, err = structpb.NewStruct(newValues); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// trusted is the gateway's stated session for role with user id 1.
func trusted(role string) *wardenv1.Principal {
	return &wardenv1.Principal{Role: role, SessionVariables: map[string]string{"x-hasura-user-id": "1"}}
}

func docCheck(p *wardenv1.Principal, op wardenv1.Operation, rows ...*wardenv1.Row) *wardenv1.CheckRequest {
	return &wardenv1.CheckRequest{Principal: p, Table: "docs", Operation: op, Rows: rows}
}

func fieldsOf(st *status.Status) []string {
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

// TestAttackValuesNeverLogged sends distinctive values through every
// error path a request's values reach and requires the exact status, no
// decision, and none of the values in the server's log. The status may
// quote them to the caller, who sent them; the log has the code, the
// reason and the fields only.
func TestAttackValuesNeverLogged(t *testing.T) {
	now := time.Now()
	rsa := sessiontest.RSA(t, "RS256", "")
	jwtCfg, _ := json.Marshal(map[string]any{"type": "RS256", "key": rsa.PublicPEM(t), "audience": "warden", "issuer": "https://idp.test"})
	cfg := session.DefaultConfig()
	cfg.JWTSecret = string(jwtCfg)
	h := startPolicy(t, loadPolicy(t, docsPolicy), cfg)
	token := func(vars map[string]any, extra map[string]any) string {
		c := sessiontest.Claims(now, "user", []string{"user"}, vars)
		c["aud"], c["iss"] = "warden", "https://idp.test"
		for k, v := range extra {
			c[k] = v
		}
		return rsa.Sign(t, c)
	}
	hook := sessiontest.NewWebhook(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"X-Hasura-Role": ["` + marker("webhook") + `"]}`))
	})
	hookCfg := session.DefaultConfig()
	hookCfg.AuthHook, hookCfg.AuthHookSecret, hookCfg.AuthHookTimeout = hook.URL, "s3cret", time.Second
	hookH := startPolicy(t, loadPolicy(t, docsPolicy), hookCfg)

	sel := wardenv1.Operation_OPERATION_SELECT
	upd := wardenv1.Operation_OPERATION_UPDATE
	okRow := map[string]any{"id": 1, "owner_id": 1, "title": marker("title"), "meta": map[string]any{"k": marker("meta")}}
	withMarker := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range okRow {
			m[k] = v
		}
		m[k] = v
		return m
	}
	tables := docCheck(trusted("user"), sel, docRow(t, okRow, nil))
	tables.Tables = []*wardenv1.TableRows{{Table: "docs", Rows: []*structpb.Struct{func() *structpb.Struct {
		s, _ := structpb.NewStruct(map[string]any{"owner_id": marker("tables")})
		return s
	}()}}}
	attacks := []struct {
		name   string
		a      attack
		req    *wardenv1.CheckRequest
		field  string // a BadRequest field the status names
		reason string
	}{
		{name: "session variable that does not coerce", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(&wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": marker("session")}}, sel, docRow(t, okRow, nil)),
			field: "principal.session_variables[x-hasura-user-id]", reason: server.ReasonInvalidValue},
		{name: "JWT claim that does not coerce", a: attack{h: h, key: "checker", code: codes.InvalidArgument,
			token: token(map[string]any{"x-hasura-user-id": marker("claim")}, map[string]any{"email": marker("email")})},
			req:   docCheck(nil, sel, docRow(t, okRow, nil)),
			field: "principal.session_variables[x-hasura-user-id]", reason: server.ReasonInvalidValue},
		{name: "row value that does not coerce", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(trusted("user"), sel, docRow(t, withMarker("owner_id", marker("row")), nil)),
			field: "rows[0].values.owner_id", reason: server.ReasonInvalidValue},
		{name: "new value that does not coerce", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(trusted("user"), upd, docRow(t, okRow, withMarker("owner_id", marker("new")))),
			field: "rows[0].new_values.owner_id", reason: server.ReasonInvalidValue},
		{name: "_exists table row that does not coerce", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req: tables, field: "tables[public.docs].rows[0].owner_id", reason: server.ReasonInvalidValue},
		{name: "unknown table", a: attack{h: h, key: "gateway", code: codes.NotFound},
			req: &wardenv1.CheckRequest{Principal: trusted("user"), Table: marker("table"), Operation: sel, Rows: []*wardenv1.Row{docRow(t, okRow, nil)}}, reason: server.ReasonUnknownTable},
		{name: "malformed table name", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req: &wardenv1.CheckRequest{Principal: trusted("user"), Table: "a.b." + marker("tablename"), Operation: sel, Rows: []*wardenv1.Row{docRow(t, okRow, nil)}}, field: "table"},
		{name: "role the token does not allow", a: attack{h: h, key: "checker", code: codes.PermissionDenied, token: token(map[string]any{"x-hasura-user-id": "1"}, nil)},
			req: docCheck(&wardenv1.Principal{Role: marker("role")}, sel, docRow(t, okRow, nil)), reason: session.ReasonRoleNotAllowed},
		{name: "x-hasura-role unlike principal.role", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req: docCheck(&wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-role": marker("rolevar")}}, sel, docRow(t, okRow, nil))},
		{name: "json_nulls naming a value that is not null", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(trusted("untagged"), sel, docRow(t, okRow, nil, "values.meta")),
			field: "rows[0].json_nulls[0]", reason: server.ReasonInvalidValue},
		{name: "json_nulls naming a text column", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(trusted("untagged"), sel, docRow(t, withMarker("title", nil), nil, "values.title")),
			field: "rows[0].values.title", reason: server.ReasonInvalidValue},
		{name: "json_nulls naming no value", a: attack{h: h, key: "gateway", code: codes.InvalidArgument},
			req:   docCheck(trusted("untagged"), sel, docRow(t, okRow, nil, "values.nothing", "new_values.meta")),
			field: "rows[0].json_nulls[1]", reason: server.ReasonInvalidValue},
		{name: "webhook answers a role that is not a string", a: attack{h: hookH, key: "checker", token: "opaque", code: codes.Unavailable},
			req: docCheck(nil, sel, docRow(t, okRow, nil)), reason: session.ReasonWebhookInvalidResponse},
	}
	for _, at := range attacks {
		for _, transport := range []string{"grpc", "http"} {
			t.Run(at.name+"/"+transport, func(t *testing.T) {
				before, _ := at.a.h.served(t)
				var st *status.Status
				if transport == "grpc" {
					st = at.a.grpc(t, at.req)
				} else {
					st = at.a.http(t, at.req)
				}
				if st.Code() != at.a.code {
					t.Fatalf("code %s (%s), want %s", st.Code(), st.Message(), at.a.code)
				}
				if at.reason != "" && reasonOf(st) != at.reason {
					t.Fatalf("reason %q (%s), want %s", reasonOf(st), st.Message(), at.reason)
				}
				if f := fieldsOf(st); at.field != "" && !strings.Contains(","+strings.Join(f, ",")+",", ","+at.field+",") {
					t.Fatalf("fields %v (%s), want %s among them", f, st.Message(), at.field)
				}
				for _, d := range st.Details() {
					switch d.(type) {
					case *errdetails.ErrorInfo, *errdetails.BadRequest, *errdetails.ResourceInfo, *errdetails.PreconditionFailure:
					default:
						t.Fatalf("unexpected detail %T in an error", d)
					}
				}
				if after, _ := at.a.h.served(t); after != before {
					t.Fatalf("a decision was made: %d row decisions before, %d after", before, after)
				}
			})
		}
	}

	// Filter: a table alias with a control character, and an unknown table.
	for _, req := range []*wardenv1.FilterRequest{
		{Table: "docs", Operation: sel, Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "t\x00" + marker("alias")}},
		{Table: marker("filtertable"), Operation: sel},
	} {
		ctx, cancel := deadline(t)
		ctx = metadata.AppendToOutgoingContext(withKey(ctx, h, "filterer"), "authorization", "Bearer "+token(map[string]any{"x-hasura-user-id": "1"}, nil))
		resp, err := wardenv1.NewAuthorizationServiceClient(h.conn(t, nil)).Filter(ctx, req)
		cancel()
		if resp != nil || status.Code(err) != codes.InvalidArgument && status.Code(err) != codes.NotFound {
			t.Errorf("Filter %s: %v, %v; want INVALID_ARGUMENT or NOT_FOUND", req.GetTable(), resp, err)
		}
	}

	if logs := h.logs.String(); !strings.Contains(logs, `"error.reason":"INVALID_VALUE"`) || !strings.Contains(logs, `"error.fields":"rows[0].values.owner_id"`) {
		t.Fatalf("the log has no call lines with their reasons and fields: the test reads the wrong log\n%s", logs)
	}
	noneLogged(t, []string{"zq9mark-"}, h, hookH)
}

// noneLogged fails for each value found in a harness's log, quoting the
// line; a harness whose log has no call line is the wrong log.
func noneLogged(t *testing.T, values []string, hs ...*harness) {
	t.Helper()
	for _, h := range hs {
		logs := h.logs.String()
		if !strings.Contains(logs, "finished call") {
			t.Fatalf("the log has no call line: the test reads the wrong log\n%s", logs)
		}
		for _, v := range values {
			if i := strings.Index(logs, v); i >= 0 {
				line := logs[strings.LastIndexByte(logs[:i], '\n')+1:]
				if j := strings.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				t.Errorf("a request value reached the log: %s", line)
			}
		}
	}
}

// TestAttackWrittenRows: a caller cannot pass a JSON null for SQL NULL,
// write a column the permission does not list, or state the value of a
// preset column; each is a decision (DENY naming the columns), or
// INVALID_ARGUMENT, never an ALLOW.
func TestAttackWrittenRows(t *testing.T) {
	h := startPolicy(t, loadPolicy(t, docsPolicy), session.DefaultConfig())
	sel := wardenv1.Operation_OPERATION_SELECT
	ins := wardenv1.Operation_OPERATION_INSERT
	upd := wardenv1.Operation_OPERATION_UPDATE
	cur := map[string]any{"id": 1, "owner_id": 1, "title": "t", "meta": nil}
	changed := func(k string, v any) map[string]any {
		m := map[string]any{"id": 1, "owner_id": 1, "title": "t", "meta": nil}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name    string
		req     *wardenv1.CheckRequest
		want    wardenv1.Decision
		denied  []string
		presets map[string]any
	}{
		{name: "JSON null is not SQL NULL for _is_null", req: docCheck(trusted("untagged"), sel, docRow(t, cur, nil, "values.meta")),
			want: wardenv1.Decision_DECISION_DENY},
		{name: "control: SQL NULL passes _is_null", req: docCheck(trusted("untagged"), sel, docRow(t, cur, nil)),
			want: wardenv1.Decision_DECISION_ALLOW},
		{name: "insert states the preset column", req: docCheck(trusted("user"), ins, docRow(t, map[string]any{"title": "t", "owner_id": 1}, nil)),
			want: wardenv1.Decision_DECISION_DENY, denied: []string{"owner_id"}},
		{name: "insert writes a column outside the permission's", req: docCheck(trusted("user"), ins, docRow(t, map[string]any{"title": "t", "id": 7}, nil)),
			want: wardenv1.Decision_DECISION_DENY, denied: []string{"id"}},
		{name: "insert writes NULL to a column outside the permission's", req: docCheck(trusted("user"), ins, docRow(t, map[string]any{"title": "t", "id": nil}, nil)),
			want: wardenv1.Decision_DECISION_DENY, denied: []string{"id"}},
		{name: "control: insert gets the preset before its check", req: docCheck(trusted("user"), ins, docRow(t, map[string]any{"title": "t"}, nil)),
			want: wardenv1.Decision_DECISION_ALLOW, presets: map[string]any{"owner_id": 1.0}},
		{name: "update changes a column outside the permission's", req: docCheck(trusted("user"), upd, docRow(t, cur, changed("owner_id", 2))),
			want: wardenv1.Decision_DECISION_DENY, denied: []string{"owner_id"}},
		{name: "update changes meta to JSON null, outside the permission's", req: docCheck(trusted("user"), upd, docRow(t, cur, changed("meta", nil), "new_values.meta")),
			want: wardenv1.Decision_DECISION_DENY, denied: []string{"meta"}},
		{name: "control: update changes title and restates the rest unchanged", req: docCheck(trusted("user"), upd, docRow(t, cur, changed("title", "u"))),
			want: wardenv1.Decision_DECISION_ALLOW},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, _ := h.served(t)
			ctx, cancel := deadline(t)
			defer cancel()
			ctx = withKey(ctx, h, "gateway")
			resp, err := wardenv1.NewAuthorizationServiceClient(h.conn(t, nil)).Check(ctx, c.req)
			if err != nil {
				t.Fatal(err)
			}
			d := resp.GetDecisions()[0]
			if d.GetDecision() != c.want || strings.Join(d.GetDeniedColumns(), ",") != strings.Join(c.denied, ",") {
				t.Fatalf("%s denied %v (%s), want %s denied %v", d.GetDecision(), d.GetDeniedColumns(), d.GetReason(), c.want, c.denied)
			}
			if c.presets != nil {
				if got := resp.GetPresets().AsMap(); len(got) != len(c.presets) || got["owner_id"] != c.presets["owner_id"] {
					t.Fatalf("presets %v, want %v", got, c.presets)
				}
			}
			if after, _ := h.served(t); after != before+1 {
				t.Fatalf("the server counted %d decisions, want 1", after-before)
			}
		})
	}
}
