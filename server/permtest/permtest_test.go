package permtest

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// A JWT's claims give the session as Hasura derives it from a token.
func TestClaimsPrincipal(t *testing.T) {
	s := &Session{Claims: map[string]any{
		"x-hasura-default-role":  "user",
		"x-hasura-allowed-roles": []any{"user", "editor"},
		"X-Hasura-User-Id":       "3",
		"x-hasura-org-ids":       []any{1.0, 2.0},
		"sub":                    "ignored",
	}}
	p, err := s.principal()
	if err != nil {
		t.Fatal(err)
	}
	if p.GetRole() != "user" || len(p.GetSessionVariables()) != 2 || p.GetSessionVariables()["x-hasura-user-id"] != "3" || p.GetSessionVariables()["x-hasura-org-ids"] != "{1,2}" {
		t.Errorf("principal %v", p)
	}
	s.Role = "editor"
	if p, err := s.principal(); err != nil || p.GetRole() != "editor" {
		t.Errorf("asking for an allowed role: %v %v", p, err)
	}
	s.Role = "admin"
	if _, err := s.principal(); err == nil || !strings.Contains(err.Error(), "not in x-hasura-allowed-roles") {
		t.Errorf("a role the token does not allow: %v, want an error", err)
	}
}

func TestCodeNames(t *testing.T) {
	for name, code := range map[string]codes.Code{"FAILED_PRECONDITION": codes.FailedPrecondition, "NOT_FOUND": codes.NotFound, "INVALID_ARGUMENT": codes.InvalidArgument, "OK": codes.OK} {
		if codeName(code) != name || codeByName[name] != code {
			t.Errorf("%v: name %q, want %q", code, codeName(code), name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for suite, want := range map[string]string{
		"tests: []":                          "no tests",
		"sessions: {a: {variables: {x: 1}}}": "no role",
		"sessions: {a: {role: r, claims: {}, variables: {x: 1}}}\ntests: []":                                                                         "either variables or claims",
		"tests:\n  - {name: t, session: a, table: x, check: [{row: 1}]}":                                                                             "decision \"\"",
		"tests:\n  - {name: t, session: a, table: x, filter: {kind: maybe}}":                                                                         "kind \"maybe\"",
		"tests:\n  - {name: t, session: a, table: x}":                                                                                                "expects nothing",
		"tests:\n  - {name: t, session: a, table: x, error: NOPE}":                                                                                   "want a gRPC status code",
		"tests:\n  - {name: t, session: a, table: x, error: NOT_FOUND, filter: {kind: conditional}}":                                                 "expects only the error",
		"tests:\n  - {name: t, session: a, table: x, check: [{row: 1, values: {}, decision: deny}]}":                                                 "one of the two",
		"tests:\n  - {name: t, session: a, table: x, filter: {kind: conditional}}\n  - {name: t, session: a, table: x, filter: {kind: conditional}}": "the name is taken",
	} {
		_, err := Parse("s.yaml", []byte(suite))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "s.yaml") {
			t.Errorf("%q: %v, want an error of s.yaml containing %q", suite, err, want)
		}
	}
}

func TestArrayParameters(t *testing.T) {
	arr := func(els ...*wardenv1.SqlParameter) *wardenv1.SqlParameter {
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Array{Array: &wardenv1.SqlArray{Elements: els}}}
	}
	i := func(v int64) *wardenv1.SqlParameter {
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Integer{Integer: v}}
	}
	v, err := sqlArg(arr(i(1), i(2)), sqlgen.Postgres)
	if got, ok := v.([]int64); err != nil || !ok || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("integer array: %v %v", v, err)
	}
	if v, err := sqlArg(arr(), sqlgen.Postgres); err != nil || len(v.([]string)) != 0 {
		t.Errorf("empty array: %v %v", v, err)
	}
	if _, err := sqlArg(arr(i(1)), sqlgen.SQLite); err == nil {
		t.Error("an array for SQLite: no error")
	}
}
