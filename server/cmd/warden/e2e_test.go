package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ownRow is a draft article of user 1 in org 1; otherRow a published
// article of user 2 in org 2.
func ownRow(t *testing.T) map[string]any {
	return map[string]any{"id": 1, "org_id": 1, "author_id": 1, "published": false, "title": "t", "created_at": "2026-01-01T00:00:00Z"}
}

func otherRow(t *testing.T) map[string]any {
	return map[string]any{"id": 2, "org_id": 2, "author_id": 2, "published": true, "title": "u", "created_at": "2026-01-01T00:00:00Z"}
}

// articlesRequest is the Check of the README: user 1 of org 1 selects two
// articles, its own and another user's.
func articlesRequest(t *testing.T) *wardenv1.CheckRequest {
	return &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{
			Role:             "user",
			SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"},
		},
		Table:     "public.articles",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: []*wardenv1.Row{
			{Id: "0", Values: mustStruct(t, ownRow(t))},
			{Id: "1", Values: mustStruct(t, otherRow(t))},
		},
	}
}

func TestCheckEndToEnd(t *testing.T) {
	srv := startServer(t)
	ctx := t.Context()

	resp, err := srv.authz().Check(ctx, articlesRequest(t))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	st, err := srv.admin().GetStatus(ctx, &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatalf("GetStatus: %v", err)
	}
	want := &wardenv1.CheckResponse{
		Role:     "user",
		Revision: st.GetRevision(),
		Decisions: []*wardenv1.RowDecision{
			{Id: "0", Decision: wardenv1.Decision_DECISION_ALLOW},
			{Id: "1", Decision: wardenv1.Decision_DECISION_DENY},
		},
	}
	opts := []cmp.Option{
		protocmp.Transform(),
		protocmp.IgnoreFields(&wardenv1.CheckResponse{}, "decision_id", "presets"),
		protocmp.IgnoreFields(&wardenv1.RowDecision{}, "reason", "allowed_columns"),
	}
	if diff := cmp.Diff(want, resp, opts...); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	if st.GetRevision() == "" {
		t.Error("empty revision")
	}
	for _, d := range resp.GetDecisions() {
		if d.GetReason() == "" {
			t.Errorf("row %s: no reason", d.GetId())
		}
	}
	if len(resp.GetDecisions()[0].GetAllowedColumns()) == 0 {
		t.Error("allowed row lists no allowed columns")
	}
	if _, err := uuid.Parse(resp.GetDecisionId()); err != nil {
		t.Errorf("decision id %q: %v", resp.GetDecisionId(), err)
	}
	// The call is logged once, without the payload.
	logs := srv.stderr.String()
	if !strings.Contains(logs, resp.GetDecisionId()) {
		t.Errorf("the call's log line lacks the decision id %s:\n%s", resp.GetDecisionId(), logs)
	}
	if strings.Contains(logs, "created_at") {
		t.Errorf("the log holds the request payload:\n%s", logs)
	}
}

// violation is what a test expects of a status error.
type violation struct {
	code   codes.Code
	fields []string // BadRequest field violations, in order
	// subjects of PreconditionFailure violations; reason of ErrorInfo.
	subjects []string
	reason   string
	msg      string // a substring of the message
}

func checkStatus(t *testing.T, err error, want violation) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want.code {
		t.Fatalf("code = %v, want %v (%v)", st.Code(), want.code, err)
	}
	if !strings.Contains(st.Message(), want.msg) {
		t.Errorf("message %q does not contain %q", st.Message(), want.msg)
	}
	var fields, subjects []string
	var reason, domain string
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				subjects = append(subjects, v.GetSubject())
			}
		case *errdetails.ErrorInfo:
			reason, domain = d.GetReason(), d.GetDomain()
		}
	}
	if !slices.Equal(fields, want.fields) {
		t.Errorf("field violations = %q, want %q", fields, want.fields)
	}
	if !slices.Equal(subjects, want.subjects) {
		t.Errorf("precondition subjects = %q, want %q", subjects, want.subjects)
	}
	if reason != want.reason {
		t.Errorf("ErrorInfo reason = %q, want %q", reason, want.reason)
	}
	if reason != "" && domain != "warden.dev" {
		t.Errorf("ErrorInfo domain = %q", domain)
	}
}

func TestCheckErrorsEndToEnd(t *testing.T) {
	srv := startServer(t, "--max-rows", "3")
	tests := []struct {
		name string
		edit func(r *wardenv1.CheckRequest)
		want violation
	}{
		{
			name: "missing session variable",
			edit: func(r *wardenv1.CheckRequest) { delete(r.Principal.SessionVariables, "x-hasura-org-id") },
			want: violation{code: codes.FailedPrecondition, msg: "x-hasura-org-id",
				subjects: []string{"x-hasura-org-id"}, reason: "MISSING_SESSION_VARIABLES"},
		},
		{
			name: "a variable the rule does not read may be absent",
			edit: func(r *wardenv1.CheckRequest) {
				// user's delete rule reads only x-hasura-user-id.
				delete(r.Principal.SessionVariables, "x-hasura-org-id")
				r.Operation = wardenv1.Operation_OPERATION_DELETE
			},
			want: violation{code: codes.OK},
		},
		{
			name: "unknown table",
			edit: func(r *wardenv1.CheckRequest) { r.Table = "public.nope" },
			want: violation{code: codes.NotFound, msg: "public.nope", reason: "UNKNOWN_TABLE"},
		},
		{
			name: "no rows",
			edit: func(r *wardenv1.CheckRequest) { r.Rows = nil },
			want: violation{code: codes.InvalidArgument, fields: []string{"rows"}},
		},
		{
			name: "no operation",
			edit: func(r *wardenv1.CheckRequest) { r.Operation = wardenv1.Operation_OPERATION_UNSPECIFIED },
			want: violation{code: codes.InvalidArgument, fields: []string{"operation"}},
		},
		{
			name: "bad session variable name",
			edit: func(r *wardenv1.CheckRequest) { r.Principal.SessionVariables["user-id"] = "1" },
			want: violation{code: codes.InvalidArgument, fields: []string{"principal.session_variables[user-id]"}},
		},
		{
			// A stated session needs a role; only a token has a default.
			name: "no role",
			edit: func(r *wardenv1.CheckRequest) { r.Principal.Role = "" },
			want: violation{code: codes.InvalidArgument, reason: "ROLE_REQUIRED", msg: "needs a role"},
		},
		{
			name: "session value of the wrong type",
			edit: func(r *wardenv1.CheckRequest) { r.Principal.SessionVariables["x-hasura-user-id"] = "one" },
			want: violation{code: codes.InvalidArgument, reason: "INVALID_VALUE",
				fields: []string{"principal.session_variables[x-hasura-user-id]"}},
		},
		{
			name: "unknown column",
			edit: func(r *wardenv1.CheckRequest) { r.Columns = []string{"title", "nope"} },
			want: violation{code: codes.InvalidArgument, reason: "UNKNOWN_COLUMNS", fields: []string{"columns"}, msg: "nope"},
		},
		{
			name: "too many rows",
			edit: func(r *wardenv1.CheckRequest) {
				for _, id := range []string{"a", "b"} {
					r.Rows = append(r.Rows, &wardenv1.Row{Id: id, Values: mustStruct(t, ownRow(t))})
				}
			},
			want: violation{code: codes.ResourceExhausted, fields: []string{"rows"}, msg: "at most 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := articlesRequest(t)
			tt.edit(req)
			_, err := srv.authz().Check(t.Context(), req)
			checkStatus(t, err, tt.want)
		})
	}

	// Filter passes the same caller authentication and session
	// resolution: it needs the filter grant, and its session is resolved
	// as Check's is.
	t.Run("filter needs the filter grant", func(t *testing.T) {
		req := &wardenv1.FilterRequest{Principal: articlesRequest(t).GetPrincipal(), Table: "public.articles", Operation: wardenv1.Operation_OPERATION_SELECT}
		_, err := wardenv1.NewAuthorizationServiceClient(srv.dial(t, "checker")).Filter(t.Context(), req)
		checkStatus(t, err, violation{code: codes.PermissionDenied, reason: "CALLER_NOT_PERMITTED", msg: "filter grant"})
		_, err = srv.authz().Filter(t.Context(), &wardenv1.FilterRequest{Table: "public.articles", Operation: wardenv1.Operation_OPERATION_SELECT})
		checkStatus(t, err, violation{code: codes.Unauthenticated, reason: "MISSING_TOKEN", msg: "token is required"})
		if _, err := srv.authz().Filter(t.Context(), req); err != nil {
			t.Errorf("Filter as an admin-level caller stating the session: %v", err)
		}
	})
}

func TestHealthAndReflection(t *testing.T) {
	srv := startServer(t)
	ctx := t.Context()
	// Health is open; reflection needs a caller.
	health := healthpb.NewHealthClient(srv.dial(t, ""))
	if s, err := reflectionpb.NewServerReflectionClient(srv.dial(t, "")).ServerReflectionInfo(ctx); err == nil {
		if _, err := s.Recv(); status.Code(err) != codes.Unauthenticated {
			t.Errorf("reflection without a key: %v, want Unauthenticated", err)
		}
	}
	for _, svc := range []string{"", "warden.v1.AuthorizationService", "warden.v1.AdminService"} {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q = %v, %v; want SERVING", svc, resp.GetStatus(), err)
		}
	}

	stream, err := reflectionpb.NewServerReflectionClient(srv.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("reflection stream did not end: %v", err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{
		"warden.v1.AuthorizationService", "warden.v1.AdminService", "warden.v1.DiagnosticsService",
		"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %q, missing %q", names, want)
		}
	}
}

func TestEchoEndToEnd(t *testing.T) {
	srv := startServer(t)
	payload := []byte("the size of a check request")
	resp, err := wardenv1.NewDiagnosticsServiceClient(srv.conn).Echo(t.Context(), &wardenv1.EchoRequest{Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.GetPayload()) != string(payload) {
		t.Errorf("Echo = %q, want %q", resp.GetPayload(), payload)
	}
}

func TestAdminEndToEnd(t *testing.T) {
	srv := startServer(t)
	ctx := t.Context()
	admin := srv.admin()

	st, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetSource() != "embedded:example" || st.GetTableCount() == 0 || st.GetRoleCount() < 2 || st.GetLoadedAt() == nil {
		t.Errorf("GetStatus = %v", st)
	}

	tables, err := admin.ListTables(ctx, &wardenv1.ListTablesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var articles *wardenv1.Table
	for _, tb := range tables.GetTables() {
		if tb.GetName() == "public.articles" {
			articles = tb
		}
	}
	if articles == nil || len(articles.GetColumns()) == 0 || len(articles.GetRoles()) == 0 {
		t.Errorf("ListTables: public.articles = %v", articles)
	}
	if int(st.GetTableCount()) != len(tables.GetTables()) {
		t.Errorf("GetStatus counts %d tables, ListTables lists %d", st.GetTableCount(), len(tables.GetTables()))
	}

	roles, err := admin.ListRoles(ctx, &wardenv1.ListRolesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var roleNames []string
	for _, r := range roles.GetRoles() {
		roleNames = append(roleNames, r.GetName())
	}
	if !slices.Contains(roleNames, "admin") || !slices.Contains(roleNames, "user") || !slices.IsSorted(roleNames) {
		t.Errorf("ListRoles = %q", roleNames)
	}

	rego, err := admin.GetTableRego(ctx, &wardenv1.GetTableRegoRequest{Table: "articles"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rego.GetModules()) == 0 || rego.GetRevision() != st.GetRevision() {
		t.Fatalf("GetTableRego = %v", rego)
	}
	for _, m := range rego.GetModules() {
		if !strings.HasPrefix(m.GetPath(), "public/articles/") || !strings.Contains(m.GetSource(), "package ") {
			t.Errorf("module %s does not look like Rego of public.articles:\n%s", m.GetPath(), m.GetSource())
		}
	}

	_, err = admin.GetTableRego(ctx, &wardenv1.GetTableRegoRequest{Table: "public.nope"})
	checkStatus(t, err, violation{code: codes.NotFound, msg: "public.nope", reason: "UNKNOWN_TABLE"})
	_, err = admin.GetTableRego(ctx, &wardenv1.GetTableRegoRequest{})
	checkStatus(t, err, violation{code: codes.InvalidArgument, fields: []string{"table"}})

	perms, err := admin.GetTablePermissions(ctx, &wardenv1.GetTablePermissionsRequest{Table: "articles"})
	if err != nil {
		t.Fatal(err)
	}
	if perms.GetTable() != "public.articles" || perms.GetRevision() != st.GetRevision() {
		t.Errorf("GetTablePermissions names %q at %q", perms.GetTable(), perms.GetRevision())
	}
	byKey := map[string]*wardenv1.TablePermission{}
	for _, p := range perms.GetPermissions() {
		byKey[p.GetRole()+" "+p.GetOperation().String()] = p
	}
	// Every (role, operation) ListTables reports, and no other.
	var listed int
	for _, r := range articles.GetRoles() {
		for _, op := range r.GetOperations() {
			listed++
			if byKey[r.GetRole()+" "+op.String()] == nil {
				t.Errorf("GetTablePermissions lacks %s %s", r.GetRole(), op)
			}
		}
	}
	if listed != len(perms.GetPermissions()) {
		t.Errorf("GetTablePermissions lists %d permissions, ListTables %d", len(perms.GetPermissions()), listed)
	}
	if p := byKey["user OPERATION_SELECT"]; p.GetKind() != wardenv1.PermissionKind_PERMISSION_KIND_CONDITIONAL ||
		!strings.Contains(p.GetFilter(), "{author_id: {_eq: X-Hasura-User-Id}}") || p.GetLimit() != 100 ||
		p.GetSourcePath() != "select_permissions[role=user]" || len(p.GetInheritedFrom()) != 0 {
		t.Errorf("user's select: %v", p)
	}
	if p := byKey["author_editor OPERATION_SELECT"]; !slices.Equal(p.GetInheritedFrom(), []string{"user", "editor"}) || p.GetSourceFile() != "" {
		t.Errorf("author_editor's select: %v", p)
	}
	if p := byKey["user OPERATION_INSERT"]; p.GetFilter() != "" || p.GetCheck() != "{org_id: {_eq: X-Hasura-Org-Id}}" || p.GetSet()["author_id"] != "X-Hasura-User-Id" {
		t.Errorf("user's insert: %v", p)
	}
	_, err = admin.GetTablePermissions(ctx, &wardenv1.GetTablePermissionsRequest{Table: "public.nope"})
	checkStatus(t, err, violation{code: codes.NotFound, msg: "public.nope", reason: "UNKNOWN_TABLE"})
	_, err = admin.GetTablePermissions(ctx, &wardenv1.GetTablePermissionsRequest{})
	checkStatus(t, err, violation{code: codes.InvalidArgument, fields: []string{"table"}})
}

func TestMetricsEndToEnd(t *testing.T) {
	srv := startServer(t)
	if _, err := srv.authz().Check(t.Context(), articlesRequest(t)); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	get := func(caller string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+srv.httpAddr+"/metrics", nil)
		if caller != "" {
			req.Header.Set("X-Warden-Api-Key", srv.keys[caller])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for caller, want := range map[string]int{"": http.StatusUnauthorized, "checker": http.StatusForbidden} {
		resp := get(caller)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /metrics as %q: %s, want %d", caller, resp.Status, want)
		}
	}
	resp := get("scraper")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %v %v", resp.Status, err)
	}
	for _, want := range []string{
		`warden_decisions_total{decision="allow",operation="select",role="user",table="public.articles"} 1`,
		`warden_decisions_total{decision="deny",operation="select",role="user",table="public.articles"} 1`,
		`warden_check_duration_seconds_count{operation="select"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="warden.v1.AuthorizationService",grpc_type="unary"} 1`,
		`grpc_server_handling_seconds_bucket`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Run("idle server stops at once", func(t *testing.T) {
		srv := startServer(t)
		start := time.Now()
		if err := srv.stop(t); err != nil {
			t.Fatalf("serve returned %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("shutdown took %v", took)
		}
		if !strings.Contains(srv.stderr.String(), "stopped") {
			t.Errorf("no shutdown in the log:\n%s", srv.stderr)
		}
	})

	t.Run("open stream: NOT_SERVING, then cut at the deadline", func(t *testing.T) {
		srv := startServer(t, "--shutdown-timeout", "500ms")
		watch, err := healthpb.NewHealthClient(srv.conn).Watch(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := watch.Recv(); err != nil || got.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("first health status = %v, %v", got.GetStatus(), err)
		}
		stopped := make(chan error, 1)
		start := time.Now()
		go func() { stopped <- srv.stop(t) }()
		if got, err := watch.Recv(); err != nil || got.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health status at shutdown = %v, %v; want NOT_SERVING", got.GetStatus(), err)
		}
		if err := <-stopped; err != nil {
			t.Errorf("serve returned %v", err)
		}
		took := time.Since(start)
		if took < 400*time.Millisecond || took > 10*time.Second {
			t.Errorf("shutdown with an open stream took %v; want about the 500ms deadline", took)
		}
		if !strings.Contains(srv.stderr.String(), "graceful shutdown timed out") {
			t.Errorf("the log does not say the deadline cut the stream:\n%s", srv.stderr)
		}
	})
}

// TestRunServe starts the server through run itself, as main does, in
// --dev mode (from the environment), and finds the address in the log
// line an operator reads and the key in the banner.
func TestRunServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--log-format", "text"},
			func(k string) string {
				return map[string]string{"WARDEN_GRPC_ADDR": "127.0.0.1:0", "WARDEN_HTTP_ADDR": "127.0.0.1:0", "WARDEN_DEV": "true"}[k]
			},
			io.Discard, &stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "grpc listening on 127.0.0.1:") {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line in the log:\n%s", stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("run returned %v:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	out := stderr.String()
	key := regexp.MustCompile(`export WARDEN_KEY=(wdn_[A-Za-z0-9_-]+)`).FindStringSubmatch(out)
	addr := regexp.MustCompile(`grpc listening on (127\.0\.0\.1:\d+)`).FindStringSubmatch(out)
	if key == nil || addr == nil {
		t.Fatalf("no key or address in the output:\n%s", out)
	}
	r := &running{grpcAddr: addr[1], keys: map[string]string{"dev": key[1]}}
	if _, err := wardenv1.NewAdminServiceClient(r.dial(t, "dev")).GetStatus(t.Context(), &wardenv1.GetStatusRequest{}); err != nil {
		t.Errorf("GetStatus with the --dev key: %v", err)
	}
	if _, err := wardenv1.NewAdminServiceClient(r.dial(t, "")).GetStatus(t.Context(), &wardenv1.GetStatusRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetStatus without a key: %v, want Unauthenticated", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v", err)
	}
	if !strings.Contains(stderr.String(), "level=INFO msg=\"starting warden\"") {
		t.Errorf("--log-format text did not give text logs:\n%s", stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "level=") && strings.Contains(line, key[1]) {
			t.Errorf("a log line holds the --dev key: %s", line)
		}
	}
}

// TestServeRefusesWithoutCallers: a server that would refuse every call
// does not start, and says how to give it callers; --dev is refused off
// loopback.
func TestServeRefusesWithoutCallers(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, 2, "warden serve --dev"},
		{[]string{"serve", "--dev", "--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0"}, 2, "not a loopback address"},
		{[]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
			"--api-keys", `[{"id": "x", "hash": "letmein", "level": "admin"}]`}, 1, "plain-text keys are not accepted"},
	} {
		_, stderr, err := runCLI(t, nil, tt.args...)
		var buf bytes.Buffer
		if code := exitCode(err, &buf); code != tt.code {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, code, err, tt.code)
		}
		if !strings.Contains(buf.String()+stderr, tt.want) {
			t.Errorf("%v: output lacks %q:\n%s%s", tt.args, tt.want, stderr, buf.String())
		}
	}
}

// TestAdminInconsistent serves a policy set with inconsistent objects, as
// Hasura loads one: GetStatus lists them, and GetTablePermissions names
// the table's left-out permissions apart from those it holds.
func TestAdminInconsistent(t *testing.T) {
	srv := startServer(t, "--policy", brokenPolicy)
	admin := srv.admin()
	st, err := admin.GetStatus(t.Context(), &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range st.GetInconsistentObjects() {
		got = append(got, o.GetDescription())
	}
	want := []string{"select permission of role user on public.notes", "select permission of role admin on public.notes", "delete permission of role user on public.notes"}
	if !slices.Equal(got, want) || st.GetInconsistentObjectCount() != 3 {
		t.Errorf("GetStatus lists %q (count %d), want %q", got, st.GetInconsistentObjectCount(), want)
	}
	if o := st.GetInconsistentObjects()[0]; o.GetKind() != "permission" || o.GetTable() != "public.notes" || o.GetName() != "user" ||
		o.GetOperation() != wardenv1.Operation_OPERATION_SELECT || len(o.GetReasons()) == 0 || !strings.Contains(o.GetReasons()[0], "ownr_id") {
		t.Errorf("first inconsistent object: %v", o)
	}
	perms, err := admin.GetTablePermissions(t.Context(), &wardenv1.GetTablePermissionsRequest{Table: "notes"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range perms.GetPermissions() {
		if p.GetRole() == "user" && (p.GetOperation() == wardenv1.Operation_OPERATION_SELECT || p.GetOperation() == wardenv1.Operation_OPERATION_DELETE) {
			t.Errorf("an inconsistent permission is listed as held: %v", p)
		}
	}
	var left []string
	for _, o := range perms.GetInconsistentPermissions() {
		left = append(left, o.GetName()+" "+o.GetOperation().String())
	}
	// admin's is inconsistent too, but "admin" may hold no permission.
	if !slices.Contains(left, "user OPERATION_SELECT") || !slices.Contains(left, "user OPERATION_DELETE") {
		t.Errorf("GetTablePermissions names %q as inconsistent, want user's select and delete", left)
	}
}
