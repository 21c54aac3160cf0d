package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestFoldFunctionsOnlyWhereUsed: the case tables (all of Unicode, which
// a database not in UTF8 cannot hold) are created only by a script whose
// policies call them, so that other scripts run in any encoding.
func TestFoldFunctionsOnlyWhereUsed(t *testing.T) {
	ctx := context.Background()
	script := func(filter string) string {
		t.Helper()
		fsys := fstest.MapFS{
			"schema.yaml":              {Data: []byte("tables:\n  - name: public.people\n    columns: [{name: id, type: integer}, {name: name, type: citext}, {name: note, type: text}]\n    primary_key: [id]\n")},
			"databases/databases.yaml": {Data: []byte("- name: default\n  kind: postgres\n  tables:\n    - table: {schema: public, name: people}\n      select_permissions:\n        - role: r\n          permission:\n            columns: [id]\n            filter: " + filter + "\n")},
		}
		p, err := load.FS(ctx, fsys, "test")
		if err != nil {
			t.Fatal(err)
		}
		set, err := engine.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := rls.Generate(set, rls.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Refused) > 0 {
			t.Fatalf("refused: %v", s.Refused)
		}
		return s.Apply
	}
	for _, c := range []struct {
		filter         string
		fold, casefold bool
	}{
		{"{note: {_eq: X-Hasura-Note}}", false, false},
		{"{name: {_eq: X-Hasura-Name}}", true, false},
		{"{note: {_ilike: X-Hasura-Pat}}", false, true},
	} {
		s := script(c.filter)
		if got := strings.Contains(s, `FUNCTION "public"."warden_fold"(`); got != c.fold {
			t.Errorf("%s: warden_fold created %v, want %v", c.filter, got, c.fold)
		}
		if got := strings.Contains(s, `FUNCTION "public"."warden_casefold"(`); got != c.casefold {
			t.Errorf("%s: warden_casefold created %v, want %v", c.filter, got, c.casefold)
		}
	}
}
