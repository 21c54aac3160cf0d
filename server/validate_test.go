package server

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func validCheck() *wardenv1.CheckRequest {
	return &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{
			Role:             "user",
			SessionVariables: map[string]string{"X-Hasura-User-Id": "1"},
		},
		Table:     "public.articles",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows:      []*wardenv1.Row{{Id: "a", Values: &structpb.Struct{}}},
	}
}

// fields returns the field paths of the BadRequest violations of err.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func TestValidateCheckRequest(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *wardenv1.CheckRequest)
		code   codes.Code
		fields []string
	}{
		{name: "valid", edit: func(*wardenv1.CheckRequest) {}, code: codes.OK},
		{name: "role from session", code: codes.OK, edit: func(r *wardenv1.CheckRequest) {
			r.Principal.Role = ""
			r.Principal.SessionVariables["X-HASURA-ROLE"] = "user"
		}},
		{name: "same role twice", code: codes.OK, edit: func(r *wardenv1.CheckRequest) {
			r.Principal.SessionVariables["x-hasura-role"] = "user"
		}},
		// The session may come from the end user's token alone: no
		// principal, or no role (the token's default role), is valid over
		// gRPC; session resolution decides.
		{name: "no principal", code: codes.OK, edit: func(r *wardenv1.CheckRequest) { r.Principal = nil }},
		{name: "no role", code: codes.OK, edit: func(r *wardenv1.CheckRequest) { r.Principal.Role = "" }},
		{name: "empty session role", code: codes.InvalidArgument, fields: []string{"principal.session_variables[x-hasura-role]"},
			edit: func(r *wardenv1.CheckRequest) {
				r.Principal.Role = ""
				r.Principal.SessionVariables["x-hasura-role"] = ""
			}},
		{name: "roles disagree", code: codes.InvalidArgument, fields: []string{"principal.role"},
			edit: func(r *wardenv1.CheckRequest) { r.Principal.SessionVariables["x-hasura-role"] = "admin" }},
		{name: "bad session name", code: codes.InvalidArgument, fields: []string{"principal.session_variables[user-id]"},
			edit: func(r *wardenv1.CheckRequest) { r.Principal.SessionVariables["user-id"] = "1" }},
		{name: "session names differ only in case", code: codes.InvalidArgument,
			fields: []string{"principal.session_variables[x-hasura-user-id]"},
			edit:   func(r *wardenv1.CheckRequest) { r.Principal.SessionVariables["x-hasura-user-id"] = "2" }},
		{name: "session value too long", code: codes.InvalidArgument,
			fields: []string{"principal.session_variables[x-hasura-org-id]"},
			edit: func(r *wardenv1.CheckRequest) {
				r.Principal.SessionVariables["x-hasura-org-id"] = strings.Repeat("1", MaxSessionValueBytes+1)
			}},
		{name: "session value at the limit", code: codes.OK, edit: func(r *wardenv1.CheckRequest) {
			r.Principal.SessionVariables["x-hasura-org-id"] = strings.Repeat("1", MaxSessionValueBytes)
		}},
		{name: "too many session variables", code: codes.InvalidArgument, fields: []string{"principal.session_variables"},
			edit: func(r *wardenv1.CheckRequest) {
				for i := range MaxSessionVariables {
					r.Principal.SessionVariables["x-hasura-v"+strings.Repeat("x", i)] = "1"
				}
			}},
		{name: "no table", code: codes.InvalidArgument, fields: []string{"table"},
			edit: func(r *wardenv1.CheckRequest) { r.Table = "" }},
		{name: "bad table", code: codes.InvalidArgument, fields: []string{"table"},
			edit: func(r *wardenv1.CheckRequest) { r.Table = "a.b.c" }},
		{name: "table without schema", code: codes.OK, edit: func(r *wardenv1.CheckRequest) { r.Table = "articles" }},
		{name: "no operation", code: codes.InvalidArgument, fields: []string{"operation"},
			edit: func(r *wardenv1.CheckRequest) { r.Operation = wardenv1.Operation_OPERATION_UNSPECIFIED }},
		{name: "unknown operation", code: codes.InvalidArgument, fields: []string{"operation"},
			edit: func(r *wardenv1.CheckRequest) { r.Operation = 99 }},
		{name: "no rows", code: codes.InvalidArgument, fields: []string{"rows"},
			edit: func(r *wardenv1.CheckRequest) { r.Rows = nil }},
		{name: "too many rows", code: codes.ResourceExhausted, fields: []string{"rows"},
			edit: func(r *wardenv1.CheckRequest) {
				for i := range 4 {
					r.Rows = append(r.Rows, &wardenv1.Row{Id: string(rune('b' + i)), Values: &structpb.Struct{}})
				}
			}},
		{name: "row problems", code: codes.InvalidArgument,
			fields: []string{"rows[0].values", "rows[1].id", "rows[2].id", "rows[3].id", "rows[3].new_values"},
			edit: func(r *wardenv1.CheckRequest) {
				r.Rows = []*wardenv1.Row{
					{Id: "a"},
					{Id: "", Values: &structpb.Struct{}},
					{Id: strings.Repeat("x", MaxRowIDBytes+1), Values: &structpb.Struct{}},
					{Id: "a", Values: &structpb.Struct{}, NewValues: &structpb.Struct{}},
				}
			}},
		{name: "new values on update", code: codes.OK, edit: func(r *wardenv1.CheckRequest) {
			r.Operation = wardenv1.Operation_OPERATION_UPDATE
			r.Rows[0].NewValues = &structpb.Struct{}
		}},
		{name: "empty column", code: codes.InvalidArgument, fields: []string{"columns[1]"},
			edit: func(r *wardenv1.CheckRequest) { r.Columns = []string{"id", ""} }},
		{name: "tables for _exists", code: codes.OK, edit: func(r *wardenv1.CheckRequest) {
			r.Tables = []*wardenv1.TableRows{{Table: "memberships"}, {Table: "public.orgs", Rows: []*structpb.Struct{{}}}}
		}},
		{name: "table problems", code: codes.InvalidArgument,
			fields: []string{"tables[0].table", "tables[1].table", "tables[2].rows[0]", "tables[3].table"},
			edit: func(r *wardenv1.CheckRequest) {
				r.Tables = []*wardenv1.TableRows{
					{Table: ""},
					{Table: "a.b.c"},
					{Table: "articles", Rows: []*structpb.Struct{nil}},
					{Table: "public.articles"},
				}
			}},
		{name: "too many table rows", code: codes.ResourceExhausted, fields: []string{"tables"},
			edit: func(r *wardenv1.CheckRequest) {
				r.Tables = []*wardenv1.TableRows{
					{Table: "a", Rows: []*structpb.Struct{{}, {}, {}}},
					{Table: "b", Rows: []*structpb.Struct{{}, {}}},
				}
			}},
		{name: "everything wrong", code: codes.InvalidArgument, fields: []string{"table", "operation", "rows"},
			edit: func(r *wardenv1.CheckRequest) { proto.Reset(r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCheck()
			tt.edit(req)
			err := ValidateRequest(req, Limits{MaxRows: 4})
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v, want %v (%v)", got, tt.code, err)
			}
			if got := fields(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("field violations = %q, want %q", got, tt.fields)
			}
		})
	}
}

// TestValidateStatedSession: offline (`warden check`) the principal states
// the whole session, so it and its role are required; a missing role never
// means admin.
func TestValidateStatedSession(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *wardenv1.CheckRequest)
		fields []string
	}{
		{name: "valid", edit: func(*wardenv1.CheckRequest) {}},
		{name: "role from session", edit: func(r *wardenv1.CheckRequest) {
			r.Principal.Role = ""
			r.Principal.SessionVariables["x-hasura-role"] = "user"
		}},
		{name: "no principal", fields: []string{"principal"}, edit: func(r *wardenv1.CheckRequest) { r.Principal = nil }},
		{name: "no role never means admin", fields: []string{"principal.role"}, edit: func(r *wardenv1.CheckRequest) { r.Principal.Role = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCheck()
			tt.edit(req)
			err := ValidateRequest(req, Limits{MaxRows: 4, StatedSession: true})
			if got := fields(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("field violations = %q, want %q (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestValidateOtherRequests(t *testing.T) {
	tests := []struct {
		name   string
		req    any
		fields []string
	}{
		{"filter", &wardenv1.FilterRequest{}, []string{"table", "operation"}},
		{"filter valid", &wardenv1.FilterRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Table: "t", Operation: wardenv1.Operation_OPERATION_DELETE,
		}, nil},
		{"table rego", &wardenv1.GetTableRegoRequest{}, []string{"table"}},
		{"table rego bad", &wardenv1.GetTableRegoRequest{Table: ".x"}, []string{"table"}},
		{"table rego valid", &wardenv1.GetTableRegoRequest{Table: "public.articles"}, nil},
		{"unknown message", &wardenv1.GetStatusRequest{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRequest(tt.req, Limits{MaxRows: 10})
			if got := fields(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("field violations = %q, want %q (%v)", got, tt.fields, err)
			}
			if tt.fields != nil && status.Code(err) != codes.InvalidArgument {
				t.Errorf("code = %v, want InvalidArgument", status.Code(err))
			}
		})
	}
}

func TestValidateMessage(t *testing.T) {
	req := validCheck()
	req.Table = ""
	req.Rows = nil
	err := ValidateRequest(req, Limits{MaxRows: 10})
	want := "invalid CheckRequest: table: required (and 1 more)"
	if got := status.Convert(err).Message(); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestResolveRole(t *testing.T) {
	tests := []struct {
		name string
		p    *wardenv1.Principal
		want string
	}{
		{"nil", nil, ""},
		{"principal role", &wardenv1.Principal{Role: "editor"}, "editor"},
		{"session role", &wardenv1.Principal{SessionVariables: map[string]string{"X-Hasura-Role": "user"}}, "user"},
		{"principal wins", &wardenv1.Principal{Role: "a", SessionVariables: map[string]string{"x-hasura-role": "b"}}, "a"},
		{"none", &wardenv1.Principal{SessionVariables: map[string]string{"x-hasura-user-id": "1"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveRole(tt.p); got != tt.want {
				t.Errorf("ResolveRole = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlainSessionAgrees: the unsorted check of a call's session
// variables passes only what the sorted one passes, naming the same
// x-hasura-role variable; and it takes the common sessions.
func TestPlainSessionAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	names := []string{"x-hasura-user-id", "X-Hasura-User-Id", "x-hasura-role", "X-HASURA-ROLE", "x-hasura-org-id",
		"x-hasura-ſ", "x-hasura-s", "x-hasura-İ", "x-hasura-i̇", "hasura-user-id", "x-hasur", "X-Hasura-Team", ""}
	taken := 0
	for range 20000 {
		vars := map[string]string{}
		for range r.IntN(5) {
			v := []string{"", "1", strings.Repeat("v", MaxSessionValueBytes), strings.Repeat("v", MaxSessionValueBytes+1)}[r.IntN(4)]
			vars[names[r.IntN(len(names))]] = v
		}
		role, ok := plainSession(vars)
		var v violations
		want := v.sessionNames(vars)
		if !ok {
			continue
		}
		taken++
		if len(v) > 0 || role != want {
			t.Fatalf("%q: plain (role %q), the sorted check found %v (role %q)", vars, role, v, want)
		}
	}
	if taken < 2000 {
		t.Errorf("the plain check took %d of 20000 sessions", taken)
	}
	if _, ok := plainSession(map[string]string{"x-hasura-user-id": "1", "X-Hasura-Org-Id": "2", "x-hasura-role": "user"}); !ok {
		t.Error("a common session is not plain")
	}
}
