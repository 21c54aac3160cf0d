package load

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestDataConnectorTableNames: a source of a kind Warden does not decide
// (MongoDB, a data connector) names its tables as lists of strings
// ([postgres.Album], [main, Artist]); Hasura's exports write them so. Its
// tables are left out as inconsistent under those names and the PostgreSQL
// source beside it loads; schema pull's listing does not fail on the lists
// either. Before, the whole policy set was refused ("table name must be a
// non-empty string, got a list"). In a PostgreSQL source a list is still
// no table name.
func TestDataConnectorTableNames(t *testing.T) {
	files := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables: [{name: public.tracks, columns: [{name: id, type: integer}, {name: owner, type: integer}]}]`)},
		"databases/databases.yaml": {Data: []byte(`
- name: docs
  kind: Mongo
  configuration: {}
  tables:
    - table: [postgres.Album]
      object_relationships:
        - name: artist
          using: {manual_configuration: {remote_table: [main, Artist], column_mapping: {ArtistId: ArtistId}}}
      select_permissions:
        - role: user
          permission: {columns: [Title], filter: {}}
    - table: [main, Artist]
- name: pg
  kind: postgres
  configuration: {}
  tables:
    - table: tracks
      select_permissions:
        - role: user
          permission: {columns: [id], filter: {owner: {_eq: X-Hasura-User-Id}}}
`)},
	}
	ctx := context.Background()
	p, err := FS(ctx, files, "test")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, ok := p.Tables[model.TableName{Schema: "public", Name: "tracks"}].Permission(model.OpSelect, "user"); !ok {
		t.Errorf("the PostgreSQL source's permission did not load")
	}
	var bad []string
	for _, i := range p.Inconsistent {
		bad = append(bad, i.String())
	}
	got := strings.Join(bad, "; ")
	if !strings.Contains(got, "table postgres.Album") || !strings.Contains(got, "table main.Artist") {
		t.Errorf("inconsistent objects %q, want the connector's two tables by name", got)
	}
	sources, err := TrackedSourcesFS(ctx, files)
	if err != nil {
		t.Fatalf("tracked sources: %v", err)
	}
	if len(sources) != 2 || sources[0].Decidable || !sources[1].Decidable || len(sources[1].Tables) != 1 {
		t.Errorf("tracked sources %+v", sources)
	}

	pgList := withFiles(files, map[string]string{"databases/databases.yaml": `
- name: pg
  kind: postgres
  configuration: {}
  tables:
    - table: [public, tracks]
`})
	_, err = FS(ctx, pgList, "test")
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "table name must be a non-empty string, got a list") {
		t.Errorf("a list naming a PostgreSQL table: err = %v", err)
	}
}
