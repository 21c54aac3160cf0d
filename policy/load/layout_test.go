package load

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestLayouts loads one policy written in every layout Hasura has exported
// since v2.0, in the shapes real exports have (check: null, set: null,
// backend_only: null, allow_aggregations: null, configuration, event
// triggers, functions, actions): each loads unmodified into the same model.
func TestLayouts(t *testing.T) {
	layouts := []struct {
		dir       string
		wantNotes []string
	}{
		{"v3dir", []string{"tracked function public.search_articles is not decided"}},
		{"v2dir", []string{"functions.yaml: [0]: tracked function public.search_articles is not decided"}},
		{"export-v3", nil},
		{"export-v3-api", nil},
		{"export-v2", []string{"functions[0]: tracked function public.search_articles is not decided"}},
		{"export-v1", nil},
		// The Hasura 1.x CLI (config v1): migrations/metadata.yaml beside
		// the migrations, the export in YAML with bare table names.
		{"cli-v1", nil},
	}
	var first string
	for _, lay := range layouts {
		t.Run(lay.dir, func(t *testing.T) {
			p, err := Dir(context.Background(), "testdata/layouts/"+lay.dir, WithStrict())
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(p.Inconsistent) > 0 {
				t.Errorf("inconsistent objects: %v", p.Inconsistent)
			}
			got := dumpPolicy(p)
			if first == "" {
				first = got
				// The model itself, once: what every layout must equal.
				for _, want := range []string{
					"roles: user\n",
					"object relationship author -> public.author",
					"array relationship articles -> public.article",
				} {
					if !strings.Contains(got, want) {
						t.Errorf("the model lacks %q:\n%s", want, got)
					}
				}
				art := p.Tables[model.TableName{Schema: "public", Name: "article"}]
				upd := art.Permissions[model.OpUpdate]["user"]
				if upd == nil || upd.Check != (model.True{}) || upd.Set != nil || upd.BackendOnly {
					t.Errorf("update with check: null, set: null, backend_only: null = %+v, want check true, no presets, not backend_only", upd)
				}
				sel := art.Permissions[model.OpSelect]["user"]
				if sel == nil || sel.AllowAggregations || sel.Limit != nil {
					t.Errorf("select with allow_aggregations: null, limit: null = %+v, want no aggregations and no limit", sel)
				}
				ins := art.Permissions[model.OpInsert]["user"]
				if ins == nil || ins.Set["author_id"] != (model.SessionVar{Name: "x-hasura-user-id", Kind: model.KindInteger, Type: art.Columns[1].Type}) {
					t.Errorf("insert presets = %+v, want author_id from x-hasura-user-id", ins)
				}
				if art.Source != "default" || art.SourceKind != "postgres" {
					t.Errorf("source = %q of kind %q, want default of kind postgres", art.Source, art.SourceKind)
				}
			} else if d := diffLines(first, got); d != "" {
				t.Errorf("%s loads differently from %s:\n%s", lay.dir, layouts[0].dir, d)
			}
			// The layouts with an action read it (policy/load/graphql.go),
			// rather than noting it.
			if strings.HasPrefix(lay.dir, "v3dir") || strings.HasPrefix(lay.dir, "export-v3") {
				if a := p.GraphQL.Actions["publishArticle"]; a == nil || !a.Allows("user") || a.Allows("editor") || a.Type != model.ActionMutation {
					t.Errorf("action publishArticle = %+v, want a mutation that user (only) may execute", a)
				}
			}
			notes := strings.Join(p.Notes, "\n")
			for _, w := range lay.wantNotes {
				if !strings.Contains(notes, w) {
					t.Errorf("notes do not say %q:\n%s", w, notes)
				}
			}
			for _, blank := range []string{"allow_list", "cron_triggers", "remote_schemas", "query_collections"} {
				if strings.Contains(notes, blank) {
					t.Errorf("a note for an empty %s: %s", blank, notes)
				}
			}
		})
	}
}

// TestTwoExports: metadata.json and metadata.yaml side by side is refused,
// naming both, rather than one of them read silently.
func TestTwoExports(t *testing.T) {
	files := withFiles(dirFS(t, "testdata/layouts/export-v1"), map[string]string{"metadata.yaml": "tables: []\n"})
	_, err := FS(context.Background(), files, "test")
	if err == nil || !strings.Contains(err.Error(), "both metadata.json and metadata.yaml exist") {
		t.Errorf("err = %v, want both exports named", err)
	}
}

// TestNoteEmptyInclude: a source whose functions include holds [] has
// nothing to note.
func TestNoteEmptyInclude(t *testing.T) {
	base := dirFS(t, "testdata/layouts/v3dir")
	fsys := withFiles(base, map[string]string{
		"metadata/databases/default/functions/functions.yaml": "[]\n",
		"metadata/actions.yaml":                               "actions: []\ncustom_types: {}\n",
		"metadata/actions.graphql":                            "",
	})
	p, err := FS(context.Background(), fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 0 {
		t.Errorf("notes = %q, want none: the functions and actions are empty", p.Notes)
	}
}
