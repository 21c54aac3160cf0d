package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliRemoteSchemas = `
- name: accounts
  definition: {url: http://accounts.internal/graphql}
  permissions:
    - role: user
      definition:
        schema: |
          type User { id: ID! name: String! }
          type Query { me(user_id: Int! @preset(value: "x-hasura-user-id")): User }
`

// TestRemoteSchemaCommand: `warden remote-schema` prints the role's
// schema with its presets, and says when a role sees nothing; `warden
// graphql` prints a remote field's presets.
func TestRemoteSchemaCommand(t *testing.T) {
	dir := graphqlPolicy(t)
	if err := os.WriteFile(filepath.Join(dir, "metadata", "remote_schemas.yaml"), []byte(cliRemoteSchemas), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runCLI(t, nil, "remote-schema", dir, "--role", "user")
	if err != nil {
		t.Fatalf("remote-schema: %v\n%s", err, stderr)
	}
	for _, want := range []string{"# remote schema accounts, role user", `me(user_id: Int! @preset(value: "x-hasura-user-id")): User`, "type User {"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "directive @preset") || strings.Contains(stdout, "__Schema") {
		t.Errorf("output holds built-in declarations:\n%s", stdout)
	}
	stdout, _, err = runCLI(t, nil, "remote-schema", dir, "--role", "anonymous")
	if err != nil || !strings.Contains(stdout, "role anonymous has no permission and sees none of it") {
		t.Errorf("anonymous: %v\n%s", err, stdout)
	}
	if _, _, err := runCLI(t, nil, "remote-schema", dir, "--role", "user", "--name", "billing"); err == nil {
		t.Error("an unknown remote schema: no error")
	}
	stdout, stderr, err = runCLI(t, nil, "graphql", dir, "--role", "user", "--session", "x-hasura-user-id=42", "--query", "{ me { id } }")
	if err != nil {
		t.Fatalf("graphql: %v\n%s", err, stderr)
	}
	for _, want := range []string{"remote_schema me: ALLOW", "preset me(user_id) = 42"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("graphql output lacks %q:\n%s", want, stdout)
		}
	}
}
