package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRLSCLI(t *testing.T) {
	const blog = "../../../policy/examples/blog"

	t.Run("refuses and writes nothing", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "rls.sql")
		_, stderr, err := runCLI(t, nil, "rls", "--policy", blog, "--out", out)
		if err == nil || !strings.Contains(err.Error(), "1 permission(s) cannot be expressed") {
			t.Fatalf("err %v, want the count of refused permissions", err)
		}
		for _, want := range []string{
			"refused: public.users select role author_editor: an inherited role's columns",
			"note: public.articles select role user: the row limit 100 is not enforced",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s written (stat: %v); a refusal writes nothing", out, err)
		}
	})

	t.Run("partial", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "rls.sql")
		_, _, err := runCLI(t, nil, "rls", "--policy", blog, "--partial", "--role", "user=app_user",
			"--setting", "app.session", "--out", out)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		script := string(b)
		for _, want := range []string{
			`CREATE POLICY "warden_user_select" ON "public"."articles" AS PERMISSIVE FOR SELECT TO "app_user" USING (CASE WHEN `,
			`"public"."warden_session"('app.session', 'x-hasura-user-id', ARRAY[]::text[])::bigint`,
			`GRANT UPDATE ("body", "published", "title") ON TABLE "public"."articles" TO "app_user";`,
			// Presets: not the role's to write; a trigger writes them.
			`GRANT INSERT ("body", "published", "title") ON TABLE "public"."articles" TO "app_user";`,
			`NEW."author_id" := "public"."warden_session"('app.session', 'x-hasura-user-id', ARRAY[]::text[]);`,
			`IF roles = ARRAY['app_user']::text[] THEN`,
			`CREATE TRIGGER "warden_presets" BEFORE INSERT OR UPDATE ON "public"."articles" FOR EACH ROW EXECUTE FUNCTION "public"."warden_`,
			// A relationship: a SECURITY DEFINER helper, for the mapped role only.
			`LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET row_security = off`,
			`_user_select_using"("public"."comments") TO "app_user";`,
			`-- refused, so denied: public.users select role author_editor: an inherited role's columns`,
			"warden: role % does not bypass row-level security",
			"ALTER TABLE \"public\".\"articles\" FORCE ROW LEVEL SECURITY;",
		} {
			if !strings.Contains(script, want) {
				t.Errorf("script lacks %q", want)
			}
		}
		if strings.Contains(script, `TO "user"`) {
			t.Error("the mapped role user still appears as itself")
		}
		if strings.Contains(script, "$1") {
			t.Error("the script has a bind parameter, which DDL cannot take")
		}
	})

	t.Run("drop", func(t *testing.T) {
		stdout, _, err := runCLI(t, nil, "rls", "--policy", blog, "--drop")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"DROP POLICY %I ON %s", "DISABLE ROW LEVEL SECURITY", `DROP FUNCTION IF EXISTS "public"."warden_session"(text, text, text[]);`,
			`DROP TRIGGER IF EXISTS "warden_presets" ON "public"."articles";`, "EXECUTE format('DROP FUNCTION %s', f.fn);"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("drop script lacks %q", want)
			}
		}
		if strings.Contains(stdout, "CREATE POLICY") {
			t.Error("the drop script creates policies")
		}
	})

	t.Run("claims inside the setting", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--claims-namespace", "https://hasura.io/jwt/claims"}, `'x-hasura-user-id', ARRAY['https://hasura.io/jwt/claims']::text[])`},
			{[]string{"--claims-path", "$.hasura['x.y'].claims"}, `'x-hasura-user-id', ARRAY['hasura', 'x.y', 'claims']::text[])`},
			{[]string{"--claims-path", "$.list[2]"}, `'x-hasura-user-id', ARRAY['list', '2']::text[])`},
		} {
			stdout, _, err := runCLI(t, nil, append([]string{"rls", "--policy", blog, "--partial"}, c.args...)...)
			if err != nil {
				t.Fatalf("%v: %v", c.args, err)
			}
			if !strings.Contains(stdout, c.want) {
				t.Errorf("%v: the script lacks %s", c.args, c.want)
			}
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--role", "user"}, `--role "user": want name=name`},
			{[]string{"--role", "user=a", "--role", "user=b"}, "--role: user is mapped twice"},
			{[]string{"--role", "user=same", "--role", "editor=same", "--partial"}, `roles editor and user map to the same database role "same"`},
			{[]string{"--claims-namespace", "a", "--claims-path", "$.a"}, "--claims-namespace and --claims-path both cannot be set"},
			{[]string{"--claims-path", "$.a[x]"}, `--claims-path: JSON path "$.a[x]"`},
		} {
			_, _, err := runCLI(t, nil, append([]string{"rls", "--policy", blog}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %v, want %q", c.args, err, c.want)
			}
		}
	})

	t.Run("validate --rls", func(t *testing.T) {
		stdout, _, err := runCLI(t, nil, "validate", "--rls", blog)
		if err == nil || !strings.Contains(err.Error(), "1 permission(s) cannot be expressed as row-level security") {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(stdout, "rls: public.users select role author_editor: an inherited role's columns readable only where some parents' filters hold (column nullification)") {
			t.Errorf("stdout lacks the refusal:\n%s", stdout)
		}
	})
}

// TestRLSBackendOnlyCLI: a backend_only permission is refused unless
// --backend-only-setting names the setting a trusted backend sets; then
// its policy holds only where that setting is 'true'.
func TestRLSBackendOnlyCLI(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "databases"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "schema.yaml", "tables:\n  - name: public.jobs\n    columns:\n      - {name: id, type: integer}\n      - {name: owner, type: text}\n    primary_key: [id]\n")
	writeTestFile(t, filepath.Join(dir, "databases"), "databases.yaml", `- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: jobs}
      delete_permissions:
        - role: svc
          permission: {filter: {owner: {_eq: X-Hasura-Owner}}, backend_only: true}
`)
	_, stderr, err := runCLI(t, nil, "rls", "--policy", dir)
	if err == nil || !strings.Contains(stderr, "backend_only") || !strings.Contains(stderr, "--backend-only-setting") {
		t.Fatalf("without the option: err %v, stderr %s; want the permission refused, naming the option", err, stderr)
	}
	if _, _, err := runCLI(t, nil, "rls", "--policy", dir, "--backend-only-setting", "backend_only"); err == nil || !strings.Contains(err.Error(), "not a custom setting name") {
		t.Errorf("an unqualified setting: %v, want an error naming it", err)
	}
	out := filepath.Join(t.TempDir(), "rls.sql")
	if _, stderr, err := runCLI(t, nil, "rls", "--policy", dir, "--backend-only-setting", "app.backend_only", "--out", out); err != nil {
		t.Fatalf("with the option: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := `USING (CASE WHEN pg_catalog.current_setting('app.backend_only', true) = 'true' THEN `; !strings.Contains(string(b), want) {
		t.Errorf("the delete policy does not require the setting (want %s):\n%s", want, b)
	}
}
