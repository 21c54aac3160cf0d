package session_test

import (
	"maps"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
)

func TestTrustedSessionAndUnauthorizedRole(t *testing.T) {
	plain := newResolver(t, session.DefaultConfig())
	anonCfg := session.DefaultConfig()
	anonCfg.UnauthorizedRole = "anonymous"
	anon := newResolver(t, anonCfg)
	vars := map[string]string{"X-Hasura-User-Id": "42", "x-hasura-org-id": "7"}
	tests := []struct {
		name   string
		r      *session.Resolver
		req    session.Request
		want   engine.Session
		code   codes.Code
		reason string
	}{
		{"trusted caller states a session", plain, session.Request{Caller: trusted, Role: "user", Variables: vars},
			engine.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "42", "x-hasura-org-id": "7", "x-hasura-role": "user"}}, codes.OK, ""},
		{"role as a stated variable", plain, session.Request{Caller: trusted, Variables: map[string]string{"X-Hasura-Role": "user"}},
			engine.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user"}}, codes.OK, ""},
		{"trusted caller, role only", plain, session.Request{Caller: trusted, Role: "editor"},
			engine.Session{Role: "editor", Vars: map[string]string{"x-hasura-role": "editor"}}, codes.OK, ""},
		{"admin poses as admin", plain, session.Request{Caller: admin, Role: "admin"},
			engine.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}, codes.OK, ""},
		{"admin with backend_only", plain, session.Request{Caller: admin, Role: "user", BackendOnly: true, Variables: vars},
			engine.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "42", "x-hasura-org-id": "7", "x-hasura-role": "user"}, BackendOnly: true}, codes.OK, ""},
		{"trusted caller may not pose as admin", plain, session.Request{Caller: trusted, Role: "admin"},
			engine.Session{}, codes.PermissionDenied, session.ReasonAdminRoleNotAllowed},
		{"trusted caller may not use backend_only", plain, session.Request{Caller: trusted, Role: "user", BackendOnly: true},
			engine.Session{}, codes.PermissionDenied, session.ReasonBackendOnlyNotAllowed},
		{"user caller states variables", plain, session.Request{Caller: checker, Role: "user", Variables: vars},
			engine.Session{}, codes.PermissionDenied, session.ReasonSessionVariablesNotAllowed},
		{"user caller states a role, no token, no unauthorized role", plain, session.Request{Caller: checker, Role: "user"},
			engine.Session{}, codes.Unauthenticated, session.ReasonMissingToken},
		{"user caller states nothing", plain, session.Request{Caller: checker},
			engine.Session{}, codes.Unauthenticated, session.ReasonMissingToken},
		{"admin states nothing: never admin by default", plain, session.Request{Caller: admin},
			engine.Session{}, codes.Unauthenticated, session.ReasonMissingToken},
		{"unauthorized role", anon, session.Request{Caller: checker},
			engine.Session{Role: "anonymous", Vars: map[string]string{"x-hasura-role": "anonymous"}}, codes.OK, ""},
		{"unauthorized role asked for by name", anon, session.Request{Caller: checker, Role: "anonymous"},
			engine.Session{Role: "anonymous", Vars: map[string]string{"x-hasura-role": "anonymous"}}, codes.OK, ""},
		{"another role without a token", anon, session.Request{Caller: checker, Role: "user"},
			engine.Session{}, codes.PermissionDenied, session.ReasonRoleNotAllowed},
		{"admin without a token under an unauthorized role", anon, session.Request{Caller: checker, Role: "admin"},
			engine.Session{}, codes.PermissionDenied, session.ReasonRoleNotAllowed},
		{"stated variables without a role", plain, session.Request{Caller: trusted, Variables: vars},
			engine.Session{}, codes.InvalidArgument, session.ReasonRoleRequired},
		{"no caller", plain, session.Request{Role: "user"},
			engine.Session{}, codes.Unauthenticated, session.ReasonMissingCallerCredentials},
		{"not a session variable", plain, session.Request{Caller: trusted, Role: "user", Variables: map[string]string{"user-id": "1"}},
			engine.Session{}, codes.InvalidArgument, session.ReasonInvalidSessionVariables},
		{"names that differ in case", plain, session.Request{Caller: trusted, Role: "user", Variables: map[string]string{"x-hasura-a": "1", "X-Hasura-A": "2"}},
			engine.Session{}, codes.InvalidArgument, session.ReasonInvalidSessionVariables},
		{"role and x-hasura-role disagree", plain, session.Request{Caller: trusted, Role: "user", Variables: map[string]string{"x-hasura-role": "admin"}},
			engine.Session{}, codes.InvalidArgument, session.ReasonInvalidSessionVariables},
		{"value too long", plain, session.Request{Caller: trusted, Role: "user", Variables: map[string]string{"x-hasura-a": strings.Repeat("x", session.MaxValueBytes+1)}},
			engine.Session{}, codes.InvalidArgument, session.ReasonInvalidSessionVariables},
		{"token sent, no end-user auth configured", plain, session.Request{Caller: checker, Headers: bearer("a.b.c")},
			engine.Session{}, codes.Unauthenticated, session.ReasonEndUserAuthNotConfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := resolve(t, tt.r, tt.req)
			if tt.code != codes.OK {
				wantError(t, s, err, tt.code, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Role != tt.want.Role || s.BackendOnly != tt.want.BackendOnly || !maps.Equal(s.Vars, tt.want.Vars) {
				t.Fatalf("session = %+v, want %+v", s, tt.want)
			}
		})
	}
}

func TestTooManyStatedVariables(t *testing.T) {
	vars := map[string]string{}
	for i := range session.MaxStatedVariables + 1 {
		vars["x-hasura-v"+strings.Repeat("x", i)] = "1"
	}
	s, err := resolve(t, newResolver(t, session.DefaultConfig()), session.Request{Caller: trusted, Role: "user", Variables: vars})
	wantError(t, s, err, codes.InvalidArgument, session.ReasonInvalidSessionVariables)
}

func TestResolvedVarsAreCopies(t *testing.T) {
	r := newResolver(t, session.DefaultConfig())
	in := map[string]string{"x-hasura-user-id": "1"}
	s, err := resolve(t, r, session.Request{Caller: trusted, Role: "user", Variables: in})
	if err != nil {
		t.Fatal(err)
	}
	s.Vars["x-hasura-user-id"] = "2"
	if in["x-hasura-user-id"] != "1" {
		t.Fatal("the session shares its map with the request")
	}
	_ = callerauth.GrantCheck
}
