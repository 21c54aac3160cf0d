package graphql_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// TestActionOutputRelationships: a relationship custom_types gives an
// action's output type reads a table under the role's select permission
// (Hasura's action relationships); CheckGraphQL does not decide that yet,
// so selecting one is UNDECIDED, never allowed unread. It was allowed: an
// action permission alone answered for the table's rows. Read from the
// directory layout (actions.yaml) and from a metadata.json export.
func TestActionOutputRelationships(t *testing.T) {
	const customTypes = `{"objects": [{"name": "CancelOutput", "fields": [{"name": "subscription", "type": "Int"}],
		"relationships": [{"name": "article", "type": "object", "remote_table": {"schema": "public", "name": "articles"}, "field_mapping": {"subscription": "id"}}]}]}`
	dir := v3dir(t)
	dir["metadata/actions.yaml"] = &fstest.MapFile{Data: []byte(`actions:
  - name: cancelSubscription
    definition: {kind: synchronous, handler: "http://localhost:3000/cancel", output_type: CancelOutput!}
    permissions: [{role: user}]
custom_types: ` + customTypes + "\n")}
	dir["metadata/actions.graphql"] = &fstest.MapFile{Data: []byte("type Mutation { cancelSubscription: CancelOutput! }\ntype CancelOutput { subscription: Int }\n")}
	fromDir, err := load.FS(context.Background(), dir, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile("../load/testdata/layouts/export-v3/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	meta["actions"] = []any{map[string]any{"name": "cancelSubscription",
		"definition":  map[string]any{"kind": "synchronous", "type": "mutation", "handler": "http://localhost:3000/cancel", "output_type": "CancelOutput!"},
		"permissions": []any{map[string]any{"role": "user"}}}}
	var ct any
	if err := json.Unmarshal([]byte(customTypes), &ct); err != nil {
		t.Fatal(err)
	}
	meta["custom_types"] = ct
	out, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("../load/testdata/layouts/export-v3/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromExport, err := load.FS(context.Background(), fstest.MapFS{"metadata.json": {Data: out}, "schema.yaml": {Data: schema}}, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}

	for layout, p := range map[string]*model.Policy{"directory": fromDir, "export": fromExport} {
		for _, c := range []struct {
			query string
			want  graphql.Decision
		}{
			{"mutation { cancelSubscription { subscription } }", graphql.Allow},
			{"mutation { cancelSubscription { subscription article { id title } } }", graphql.Undecided},
			{"mutation { cancelSubscription { ... on CancelOutput { article { id } } } }", graphql.Undecided},
			{"mutation { cancelSubscription { subscription article @skip(if: true) { id } } }", graphql.Allow},
		} {
			res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: c.query})
			if err != nil {
				t.Fatalf("%s: %s: %v", layout, c.query, err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || c.want == graphql.Undecided && !strings.Contains(f.Reason, "relationship of the action's output type CancelOutput") {
				t.Errorf("%s: %s: %v (%s), want %v", layout, c.query, f.Decision, f.Reason, c.want)
			}
		}
	}
}
