package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
)

func TestStatusFromError(t *testing.T) {
	articles := model.TableName{Schema: "public", Name: "articles"}
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		msg     string
		details []proto.Message
	}{
		{
			name: "unknown table",
			err:  fmt.Errorf("check: %w", &engine.UnknownTableError{Table: model.TableName{Schema: "public", Name: "nope"}}),
			code: codes.NotFound,
			msg:  "unknown table public.nope",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "UNKNOWN_TABLE", Domain: "warden.dev", Metadata: map[string]string{"table": "public.nope"}},
				&errdetails.ResourceInfo{ResourceType: "table", ResourceName: "public.nope"},
			},
		},
		{
			name: "ambiguous table",
			err:  fmt.Errorf("filter: %w", &engine.AmbiguousTableError{Table: model.TableName{Schema: "public", Name: "items"}, Sources: []string{"one", "two"}}),
			code: codes.InvalidArgument,
			msg:  "table public.items is tracked in sources one, two: name it with its source (one:public.items)",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "AMBIGUOUS_TABLE", Domain: "warden.dev", Metadata: map[string]string{"table": "public.items", "sources": "one,two"}},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
					Field: "table", Description: "table public.items is tracked in sources one, two: name it with its source (one:public.items)"}}},
			},
		},
		{
			name: "inconsistent permission",
			err: fmt.Errorf("check: %w", &engine.InconsistentError{Object: &model.Inconsistency{
				Kind: "permission", Table: articles, Name: "user", Op: model.OpSelect,
				Source:  model.Source{File: "t.yaml", Path: "select_permissions[role=user]"},
				Reasons: []string{"t.yaml:4: select_permissions[role=user].permission.filter.x: unknown column"},
			}}),
			code: codes.FailedPrecondition,
			msg:  "the select permission of role user on public.articles is inconsistent and was left out of the policy set: t.yaml:4: select_permissions[role=user].permission.filter.x: unknown column",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "INCONSISTENT_OBJECT", Domain: "warden.dev", Metadata: map[string]string{
					"object": "select permission of role user on public.articles", "kind": "permission",
					"source": "t.yaml: select_permissions[role=user]"}},
				&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{
					{Type: "INCONSISTENT_OBJECT", Subject: "select permission of role user on public.articles",
						Description: "t.yaml:4: select_permissions[role=user].permission.filter.x: unknown column"},
				}},
			},
		},
		{
			name: "missing session variables",
			err:  &engine.MissingSessionVariablesError{Names: []string{"x-hasura-org-id", "x-hasura-user-id"}},
			code: codes.FailedPrecondition,
			msg:  "missing session variable(s): x-hasura-org-id, x-hasura-user-id",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "MISSING_SESSION_VARIABLES", Domain: "warden.dev",
					Metadata: map[string]string{"variables": "x-hasura-org-id,x-hasura-user-id"}},
				&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{
					{Type: "SESSION_VARIABLE", Subject: "x-hasura-org-id",
						Description: "the rule needs the session variable x-hasura-org-id and the request does not state it"},
					{Type: "SESSION_VARIABLE", Subject: "x-hasura-user-id",
						Description: "the rule needs the session variable x-hasura-user-id and the request does not state it"},
				}},
			},
		},
		{
			name: "invalid values",
			err: fmt.Errorf("eval: %w", engine.InvalidValueErrors{
				{Field: "principal.session_variables[x-hasura-user-id]", Kind: model.KindInteger, Reason: `"abc" is not a number`},
				{Field: "rows[1].values.created_at", Kind: model.KindTimestamptz, Reason: "bad date"},
				{Field: "rows[1].values.autor_id", Reason: "public.articles has no column autor_id"},
			}),
			code: codes.InvalidArgument,
			msg: `principal.session_variables[x-hasura-user-id]: not a valid integer: "abc" is not a number; ` +
				`rows[1].values.autor_id: public.articles has no column autor_id; ` +
				`rows[1].values.created_at: not a valid timestamptz: bad date`,
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "INVALID_VALUE", Domain: "warden.dev"},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
					// Sorted as the message is: the engine's order varies.
					{Field: "principal.session_variables[x-hasura-user-id]", Description: `not a valid integer: "abc" is not a number`},
					{Field: "rows[1].values.autor_id", Description: "public.articles has no column autor_id"},
					{Field: "rows[1].values.created_at", Description: "not a valid timestamptz: bad date"},
				}},
			},
		},
		{
			name: "one invalid value",
			err:  &engine.InvalidValueError{Field: "rows[0].values.id", Kind: model.KindInteger, Reason: "x"},
			code: codes.InvalidArgument,
			msg:  "rows[0].values.id: not a valid integer: x",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "INVALID_VALUE", Domain: "warden.dev"},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
					{Field: "rows[0].values.id", Description: "not a valid integer: x"},
				}},
			},
		},
		{
			name: "unknown columns",
			err:  &engine.UnknownColumnsError{Table: articles, Columns: []string{"nope", "zap"}},
			code: codes.InvalidArgument,
			msg:  "table public.articles has no column(s) nope, zap",
			details: []proto.Message{
				&errdetails.ErrorInfo{Reason: "UNKNOWN_COLUMNS", Domain: "warden.dev",
					Metadata: map[string]string{"table": "public.articles", "columns": "nope,zap"}},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
					{Field: "columns", Description: `table public.articles has no column "nope"`},
					{Field: "columns", Description: `table public.articles has no column "zap"`},
				}},
			},
		},
		{name: "deadline", err: fmt.Errorf("eval: %w", context.DeadlineExceeded), code: codes.DeadlineExceeded, msg: "deadline exceeded"},
		{name: "canceled", err: context.Canceled, code: codes.Canceled, msg: "canceled"},
		{name: "status passes through", err: status.Error(codes.Unimplemented, "later"), code: codes.Unimplemented, msg: "later"},
		{name: "internal hides the cause", err: errors.New("opa: secret stack /etc/passwd"), code: codes.Internal, msg: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := StatusFromError(tt.err)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Fatalf("status = %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
			var got []proto.Message
			for _, d := range st.Details() {
				m, ok := d.(proto.Message)
				if !ok {
					t.Fatalf("detail %v is not a proto message", d)
				}
				got = append(got, m)
			}
			if diff := cmp.Diff(tt.details, got, protocmp.Transform()); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
		})
	}
	if st := StatusFromError(nil); st.Code() != codes.OK {
		t.Errorf("StatusFromError(nil) = %v, want OK", st.Code())
	}
}

func TestFailLogsInternalCause(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&buf, nil))}
	cause := errors.New("rego: undefined ref data.x")

	t.Run("without logging interceptor", func(t *testing.T) {
		buf.Reset()
		err := s.fail(context.Background(), cause)
		if status.Convert(err).Message() != internalMessage {
			t.Errorf("caller sees %q", status.Convert(err).Message())
		}
		if !strings.Contains(buf.String(), cause.Error()) {
			t.Errorf("log %q lacks the cause", buf.String())
		}
	})
	t.Run("as a field of the call's log line", func(t *testing.T) {
		buf.Reset()
		ctx := logging.InjectFields(context.Background(), logging.Fields{"grpc.method", "Check"})
		_ = s.fail(ctx, cause)
		if buf.Len() != 0 {
			t.Errorf("logged a second line: %s", buf.String())
		}
		if got := logging.ExtractFields(ctx); !strings.Contains(fmt.Sprint(got), cause.Error()) {
			t.Errorf("call fields %v lack the cause", got)
		}
	})
	t.Run("domain errors are not logged", func(t *testing.T) {
		buf.Reset()
		_ = s.fail(context.Background(), &engine.UnknownTableError{})
		if buf.Len() != 0 {
			t.Errorf("logged %s", buf.String())
		}
	})
}

func TestRecovered(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&buf, nil))}
	err := s.recovered(context.Background(), "boom: secret detail")
	st := status.Convert(err)
	if st.Code() != codes.Internal || st.Message() != internalMessage {
		t.Errorf("status = %v %q, want Internal %q", st.Code(), st.Message(), internalMessage)
	}
	for _, want := range []string{"boom: secret detail", "goroutine", "TestRecovered"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q: %s", want, buf.String())
		}
	}
}
