package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenpdp/warden/policy/examples"
)

func TestTrackedTables(t *testing.T) {
	got, err := TrackedTablesFS(context.Background(), examples.Blog())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"public.articles", "public.comments", "public.organisations", "public.users"}
	if len(got) != len(want) {
		t.Fatalf("TrackedTables = %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("TrackedTables[%d] = %s, want %s", i, got[i], w)
		}
	}
}

func TestTrackedTablesFollowsExistsAndRelationships(t *testing.T) {
	dir := t.TempDir()
	meta := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
	  {"table": {"schema": "app", "name": "docs"},
	   "array_relationships": [{"name": "shares", "using": {"foreign_key_constraint_on": {"table": {"schema": "app", "name": "shares"}, "column": "doc_id"}}}],
	   "object_relationships": [{"name": "owner", "using": {"manual_configuration": {"remote_table": "people", "column_mapping": {"owner_id": "id"}}}}],
	   "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"_exists": {"_table": {"schema": "acl", "name": "grants"}, "_where": {"user_id": {"_eq": "X-Hasura-User-Id"}}}}}}]}
	]}]}`
	if err := writeFile(dir, "metadata.json", meta); err != nil {
		t.Fatal(err)
	}
	got, err := TrackedTables(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acl.grants", "app.docs", "app.shares", "public.people"}
	var names []string
	for _, g := range got {
		names = append(names, g.String())
	}
	if len(names) != len(want) {
		t.Fatalf("TrackedTables = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("TrackedTables = %v, want %v", names, want)
		}
	}
}

func writeFile(dir, name, content string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
}
