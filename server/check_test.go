package server

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func TestCheckResponse(t *testing.T) {
	res := &engine.CheckResult{
		Role:     "user",
		Revision: "abc123",
		Rows: []engine.RowResult{
			{ID: "1", Decision: engine.Allow, Reason: "role user: filter matched", AllowedColumns: []string{"id", "title"}},
			{ID: "2", Decision: engine.Deny, Reason: "role user: filter did not match", DeniedColumns: []string{"title"}},
			{ID: "3", Decision: engine.NeedsData, Reason: "needs author", MissingData: []string{"author"}},
		},
		Presets: map[string]any{"author_id": float64(1), "tags": []any{"a"}},
	}
	got, err := CheckResponse(res)
	if err != nil {
		t.Fatal(err)
	}
	presets, _ := structpb.NewStruct(map[string]any{"author_id": 1, "tags": []any{"a"}})
	want := &wardenv1.CheckResponse{
		Role:     "user",
		Revision: "abc123",
		Presets:  presets,
		Decisions: []*wardenv1.RowDecision{
			{Id: "1", Decision: wardenv1.Decision_DECISION_ALLOW, Reason: "role user: filter matched", AllowedColumns: []string{"id", "title"}},
			{Id: "2", Decision: wardenv1.Decision_DECISION_DENY, Reason: "role user: filter did not match", DeniedColumns: []string{"title"}},
			{Id: "3", Decision: wardenv1.Decision_DECISION_NEEDS_DATA, Reason: "needs author", MissingData: []string{"author"}},
		},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&wardenv1.CheckResponse{}, "decision_id")); diff != "" {
		t.Errorf("CheckResponse (-want +got):\n%s", diff)
	}
	id, err := uuid.Parse(got.GetDecisionId())
	if err != nil || id.Version() != 7 {
		t.Errorf("decision id %q is not a UUIDv7 (%v)", got.GetDecisionId(), err)
	}
	again, _ := CheckResponse(res)
	if again.GetDecisionId() == got.GetDecisionId() {
		t.Error("two calls share a decision id")
	}

	if _, err := CheckResponse(&engine.CheckResult{Rows: []engine.RowResult{{ID: "x"}}}); err == nil {
		t.Error("an unknown decision converted without error")
	}

	// A preset that has no protobuf form: the error names the presets once.
	_, err = CheckResponse(&engine.CheckResult{Presets: map[string]any{"bad": func() {}}})
	if err == nil || !strings.HasPrefix(err.Error(), "presets: ") || strings.Count(err.Error(), "presets:") != 1 {
		t.Errorf("bad preset: err = %v, want one \"presets: \" prefix", err)
	}
}

func TestCheckInput(t *testing.T) {
	values, _ := structpb.NewStruct(map[string]any{"id": 1, "author": map[string]any{"id": 2}})
	newValues, _ := structpb.NewStruct(map[string]any{"id": 1})
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{
			SessionVariables:          map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "7"},
			UseBackendOnlyPermissions: true,
		},
		Table:     "articles",
		Operation: wardenv1.Operation_OPERATION_UPDATE,
		Rows:      []*wardenv1.Row{{Id: "a", Values: values, NewValues: newValues}, {Id: "b", Values: values}},
		Columns:   []string{"title"},
		Tables: []*wardenv1.TableRows{
			{Table: "memberships", Rows: []*structpb.Struct{newValues}},
			{Table: "public.orgs"},
		},
	}
	got, err := CheckInput(req, SessionFromPrincipal(req.GetPrincipal()))
	if err != nil {
		t.Fatal(err)
	}
	want := engine.CheckInput{
		Session: engine.Session{
			Role:        "user",
			Vars:        map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "7"},
			BackendOnly: true,
		},
		Table: model.TableName{Schema: "public", Name: "articles"},
		Op:    model.OpUpdate,
		Rows: []engine.Row{
			{ID: "a", Values: map[string]any{"id": 1.0, "author": map[string]any{"id": 2.0}}, New: map[string]any{"id": 1.0}},
			{ID: "b", Values: map[string]any{"id": 1.0, "author": map[string]any{"id": 2.0}}},
		},
		Columns: []string{"title"},
		Tables: map[model.TableName][]map[string]any{
			{Schema: "public", Name: "memberships"}: {{"id": 1.0}},
			// Given with no rows: known to be empty, not absent.
			{Schema: "public", Name: "orgs"}: {},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckInput (-want +got):\n%s", diff)
	}
	if orgs, ok := got.Tables[model.TableName{Schema: "public", Name: "orgs"}]; !ok || orgs == nil {
		t.Errorf("a table given with no rows became absent: %#v", orgs)
	}

	req.Principal.SessionVariables = nil
	if _, err := CheckInput(req, SessionFromPrincipal(req.GetPrincipal())); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no role: err = %v, want InvalidArgument", err)
	}
}

func TestOperationRoundTrip(t *testing.T) {
	for _, op := range model.Operations {
		back, err := OperationFromProto(OperationToProto(op))
		if err != nil || back != op {
			t.Errorf("%v -> %v -> %v, %v", op, OperationToProto(op), back, err)
		}
	}
	if _, err := OperationFromProto(wardenv1.Operation_OPERATION_UNSPECIFIED); status.Code(err) != codes.InvalidArgument {
		t.Errorf("UNSPECIFIED: err = %v", err)
	}
}
