package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// BenchmarkLogDecision measures the decision log's work on the request
// path alone (logCheck and logFilter with the default configuration: no
// sink, the recent decisions in memory), with the incoming metadata a
// gRPC call carries (no traceparent) and a JWT-like session.
//
//	go test ./server -run '^$' -bench LogDecision -benchmem -cpu 1
func BenchmarkLogDecision(b *testing.B) {
	cfg := DefaultConfig()
	withTestCallers(b, &cfg)
	srv, err := New(cfg, notesPolicy(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.decisions.Close(ctx)
	})
	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{
		":authority": {"127.0.0.1:50051"}, "content-type": {"application/grpc"},
		"user-agent": {"grpc-go/1.85.0"}, "grpc-accept-encoding": {"gzip"},
		"x-warden-api-key": {"k"}, "te": {"trailers"},
	})
	ctx = callerauth.NewContext(ctx, &callerauth.Caller{ID: "gateway", Level: callerauth.LevelUser})
	ci := callInfo{start: time.Now(), sess: engine.Session{Role: "user", Vars: map[string]string{
		"x-hasura-user-id": "7", "x-hasura-org-id": "secret-org-424242",
		"x-hasura-default-role": "user", "x-hasura-allowed-roles": "user,editor",
	}}}
	b.Run("call=check", func(b *testing.B) {
		req := notesCheck("7", 7, 8)
		res := &engine.CheckResult{Role: "user", Revision: "rev1", Rows: []engine.RowResult{
			{ID: "a", Decision: engine.Allow}, {ID: "b", Decision: engine.Deny, Reason: "filter"},
		}}
		resp := &wardenv1.CheckResponse{DecisionId: "0192f0c4-7d1e-7b3a-9a1e-3c2b1a0f9e8d"}
		in := engine.CheckInput{Op: model.OpSelect}
		b.ReportAllocs()
		for b.Loop() {
			srv.logCheck(ctx, ci, req, nil, "public.notes", in, res, resp)
		}
	})
	b.Run("call=filter", func(b *testing.B) {
		req := &wardenv1.FilterRequest{Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
			Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}}
		resp := &wardenv1.FilterResponse{DecisionId: "0192f0c4-7d1e-7b3a-9a1e-3c2b1a0f9e8d", Role: "user", Revision: "rev1",
			Kind: wardenv1.FilterKind_FILTER_KIND_CONDITIONAL}
		b.ReportAllocs()
		for b.Loop() {
			srv.logFilter(ctx, ci, req, resp, "public.notes")
		}
	})
}
