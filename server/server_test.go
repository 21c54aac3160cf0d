package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// notesPolicy is a one-table policy built without the loader, so that the
// server is tested on its own: role user may select its own notes.
func notesPolicy(t testing.TB) *engine.Set {
	t.Helper()
	id := &model.Column{Name: "id", Type: model.Type{Declared: "integer", Kind: model.KindInteger}}
	owner := &model.Column{Name: "owner_id", Type: model.Type{Declared: "integer", Kind: model.KindInteger}}
	name := model.TableName{Schema: "public", Name: "notes"}
	notes := &model.Table{
		Name: name, Columns: []*model.Column{id, owner}, PrimaryKey: []string{"id"},
		Permissions: map[model.Operation]map[string]*model.Permission{
			model.OpSelect: {"user": {
				Role: "user", Op: model.OpSelect, Columns: []string{"id", "owner_id"},
				Filter: model.Compare{Column: owner, Op: model.OpEq, Value: model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger}},
			}},
		},
	}
	notes.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{name: notes}, Roles: []string{"user"}, Source: "test", Revision: "rev1"}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	return set
}

// lockedWriter collects log output from the server's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestServe(t *testing.T) {
	defer goleak.VerifyNone(t)

	cfg := DefaultConfig()
	cfg.MaxRows = 2
	keys := withTestCallers(t, &cfg)
	logs := &lockedWriter{}
	srv, err := New(cfg, notesPolicy(t), WithLogger(cfg.NewLogger(logs)), WithVersion("v-test"))
	if err != nil {
		t.Fatal(err)
	}
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, grpcLis, httpLis) }()

	conn, err := grpc.NewClient(grpcLis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(keyCreds(keys["ops"])))
	if err != nil {
		t.Fatal(err)
	}
	client := wardenv1.NewAuthorizationServiceClient(conn)
	row := func(id string, owner int) *wardenv1.Row {
		v, _ := structpb.NewStruct(map[string]any{"id": 1, "owner_id": owner})
		return &wardenv1.Row{Id: id, Values: v}
	}
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{SessionVariables: map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "7"}},
		Table:     "notes",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows:      []*wardenv1.Row{row("mine", 7), row("theirs", 8)},
	}

	t.Run("check", func(t *testing.T) {
		resp, err := client.Check(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got := []wardenv1.Decision{resp.GetDecisions()[0].GetDecision(), resp.GetDecisions()[1].GetDecision()}
		if got[0] != wardenv1.Decision_DECISION_ALLOW || got[1] != wardenv1.Decision_DECISION_DENY {
			t.Errorf("decisions = %v, want [ALLOW DENY]", got)
		}
		if resp.GetRole() != "user" || resp.GetRevision() != "rev1" {
			t.Errorf("role %q revision %q", resp.GetRole(), resp.GetRevision())
		}
	})

	t.Run("one log line per call, no payload", func(t *testing.T) {
		before := strings.Count(logs.String(), `"msg":"finished call"`)
		if _, err := client.Check(ctx, req); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		if n := strings.Count(out, `"msg":"finished call"`) - before; n != 1 {
			t.Errorf("%d log lines for one call:\n%s", n, out)
		}
		for _, leak := range []string{"owner_id", "X-Hasura-User-Id"} {
			if strings.Contains(out, leak) {
				t.Errorf("log holds the payload (%s):\n%s", leak, out)
			}
		}
	})

	t.Run("missing variable", func(t *testing.T) {
		bad := &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user"}, Table: req.Table, Operation: req.Operation, Rows: req.Rows}
		_, err := client.Check(ctx, bad)
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "x-hasura-user-id") {
			t.Errorf("err = %v, want FailedPrecondition naming x-hasura-user-id", err)
		}
	})

	t.Run("validation runs before the handler", func(t *testing.T) {
		big := &wardenv1.CheckRequest{Principal: req.Principal, Table: req.Table, Operation: req.Operation,
			Rows: []*wardenv1.Row{row("a", 1), row("b", 1), row("c", 1)}}
		if _, err := client.Check(ctx, big); status.Code(err) != codes.ResourceExhausted {
			t.Errorf("3 rows over --max-rows 2: err = %v, want ResourceExhausted", err)
		}
	})

	t.Run("policy swap", func(t *testing.T) {
		srv.SetPolicy(notesPolicy(t))
		st, err := wardenv1.NewAdminServiceClient(conn).GetStatus(ctx, &wardenv1.GetStatusRequest{})
		if err != nil || st.GetVersion() != "v-test" || st.GetTableCount() != 1 || st.GetRoleCount() != 2 {
			t.Errorf("GetStatus = %v, %v", st, err)
		}
	})

	conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if err := srv.Serve(context.Background(), grpcLis, httpLis); err == nil {
		t.Error("a second Serve did not fail")
	}
}

func TestNewRejects(t *testing.T) {
	cfg := DefaultConfig()
	withTestCallers(t, &cfg)
	bad := cfg
	bad.MaxRows = 0
	if _, err := New(bad, notesPolicy(t)); err == nil {
		t.Error("New accepted an invalid config")
	}
	if _, err := New(cfg, nil); err == nil {
		t.Error("New accepted no policy set")
	}
	if _, err := New(DefaultConfig(), notesPolicy(t)); !errors.Is(err, ErrNoCallers) {
		t.Errorf("New without callers: %v, want ErrNoCallers", err)
	}
	_, hash, _ := callerauth.GenerateKey()
	if srv, err := New(DefaultConfig(), notesPolicy(t), WithCallers(callerauth.Entry{ID: "dev", Hash: hash, Level: callerauth.LevelAdmin})); err != nil {
		t.Errorf("New with a caller from WithCallers: %v", err)
	} else {
		srv.Close()
	}
	bad = cfg
	bad.Callers.APIKeys = `[{"id": "x", "hash": "plain-text-key", "level": "user"}]`
	if _, err := New(bad, notesPolicy(t)); err == nil || !strings.Contains(err.Error(), "sha256:") {
		t.Errorf("New with a plain-text key: %v", err)
	}
}

func TestServeListenerFails(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := DefaultConfig()
	withTestCallers(t, &cfg)
	srv, err := New(cfg, notesPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcLis.Close() // gRPC cannot accept: Serve must stop everything and say why
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), grpcLis, httpLis) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "grpc") {
			t.Errorf("Serve = %v, want the gRPC listener's error", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return when its listener failed")
	}
}

// TestCallLogFields: the decision fields of a call's log line are built
// only when the line is written. At info every call is logged, with its
// role and decision; at warn a successful Check writes nothing, and a
// Check refused after its session was resolved (FailedPrecondition, logged
// at warn) still names the role.
func TestCallLogFields(t *testing.T) {
	req := func(vars map[string]string) *wardenv1.CheckRequest {
		v, _ := structpb.NewStruct(map[string]any{"id": 1, "owner_id": 7})
		return &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user", SessionVariables: vars},
			Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT, Rows: []*wardenv1.Row{{Id: "r", Values: v}}}
	}
	ok, missing := req(map[string]string{"x-hasura-user-id": "7"}), req(nil)
	for _, level := range []string{"info", "warn"} {
		t.Run(level, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.LogLevel = level
			ts := startTest(t, cfg, notesPolicy(t))
			authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
			if _, err := authz.Check(context.Background(), ok); err != nil {
				t.Fatal(err)
			}
			if _, err := authz.Check(context.Background(), missing); status.Code(err) != codes.FailedPrecondition {
				t.Fatalf("err = %v, want FailedPrecondition", err)
			}
			var lines []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("log line %q: %v", l, err)
				}
				if m["grpc.method"] == "Check" {
					lines = append(lines, m)
				}
			}
			want := map[string][]string{"info": {"OK", "FailedPrecondition"}, "warn": {"FailedPrecondition"}}[level]
			if len(lines) != len(want) {
				t.Fatalf("%d Check lines, want %d:\n%s", len(lines), len(want), ts.logs)
			}
			for i, m := range lines {
				if m["grpc.code"] != want[i] || m["warden.role"] != "user" {
					t.Errorf("line %d: code %v role %v, want %s with role user", i, m["grpc.code"], m["warden.role"], want[i])
				}
				if _, has := m["warden.decision_id"]; has != (want[i] == "OK") {
					t.Errorf("line %d (%s): decision_id present %v", i, want[i], has)
				}
			}
		})
	}
}

// TestTokenWithoutEndUserAuth: the session reads the call's authorization
// header from its metadata (without copying the rest): a token sent to a
// Warden that verifies none is refused, not ignored.
func TestTokenWithoutEndUserAuth(t *testing.T) {
	ts := startTest(t, DefaultConfig(), notesPolicy(t))
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	req := &wardenv1.CheckRequest{Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "7"}},
		Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT, Rows: []*wardenv1.Row{{Id: "r", Values: &structpb.Struct{}}}}
	if _, err := authz.Check(context.Background(), req); err != nil {
		t.Fatalf("without a token: %v", err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "Authorization", "Bearer a.b.c")
	_, err := authz.Check(ctx, req)
	if st := status.Convert(err); st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "verifies none") {
		t.Errorf("with a token: %v, want Unauthenticated: it verifies none", err)
	}
}
