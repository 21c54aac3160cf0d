package load

import (
	"context"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// sourcesSchema declares items for each source, and one teams table that
// serves both.
const sourcesSchema = `
tables:
  - {name: public.items, source: one, columns: [{name: id, type: integer}, {name: owner, type: integer}, {name: team_id, type: integer}]}
  - {name: public.items, source: two, columns: [{name: id, type: integer}, {name: level, type: text}, {name: team_id, type: integer}],
     foreign_keys: [{columns: [team_id], references: {table: public.teams, columns: [id]}}]}
  - {name: public.teams, columns: [{name: id, type: integer}, {name: open, type: boolean}], primary_key: [id]}
  - {name: public.only_one, columns: [{name: id, type: integer}]}
`

// TestSourcesSharingATableName loads two sources that both track
// public.items and public.teams, from the version 3 directory and from
// metadata.json: each name is two tables, qualified by their source, and
// relationships and _exists resolve in their own source.
func TestSourcesSharingATableName(t *testing.T) {
	dirLayout := fstest.MapFS{
		"schema.yaml": {Data: []byte(sourcesSchema)},
		"databases/databases.yaml": {Data: []byte(`
- name: one
  kind: postgres
  tables: "!include one/tables/tables.yaml"
- name: two
  kind: postgres
  tables:
    - table: items
      object_relationships:
        - {name: team, using: {foreign_key_constraint_on: team_id}}
      select_permissions:
        - role: user
          permission: {columns: [id], filter: {team: {open: {_eq: true}}}}
    - table: teams
`)},
		"databases/one/tables/tables.yaml": {Data: []byte(`
- table: items
  select_permissions:
    - role: user
      permission: {columns: [id], filter: {_exists: {_table: teams, _where: {id: {_eq: 1}}}}}
- table: teams
- table: only_one
`)},
	}
	jsonLayout := fstest.MapFS{
		"schema.yaml": {Data: []byte(sourcesSchema)},
		"metadata.json": {Data: []byte(`{"version": 3, "sources": [
  {"name": "one", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "items"}, "select_permissions": [
      {"role": "user", "permission": {"columns": ["id"], "filter": {"_exists": {"_table": {"schema": "public", "name": "teams"}, "_where": {"id": {"_eq": 1}}}}}}]},
    {"table": {"schema": "public", "name": "teams"}},
    {"table": {"schema": "public", "name": "only_one"}}]},
  {"name": "two", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "items"},
     "object_relationships": [{"name": "team", "using": {"foreign_key_constraint_on": "team_id"}}],
     "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {"team": {"open": {"_eq": true}}}}}]},
    {"table": {"schema": "public", "name": "teams"}}]}]}`)},
	}
	items, teams := model.TableName{Schema: "public", Name: "items"}, model.TableName{Schema: "public", Name: "teams"}
	for name, fsys := range map[string]fstest.MapFS{"directory": dirLayout, "metadata.json": jsonLayout} {
		t.Run(name, func(t *testing.T) {
			p, err := FS(context.Background(), fsys, "test", WithStrict())
			if err != nil {
				t.Fatal(err)
			}
			want := map[model.TableName][]string{items: {"one", "two"}, teams: {"one", "two"}}
			if !reflect.DeepEqual(p.Ambiguous, want) {
				t.Errorf("Ambiguous = %v, want %v", p.Ambiguous, want)
			}
			for _, n := range []model.TableName{items, teams} {
				if _, ok := p.Tables[n]; ok {
					t.Errorf("the plain name %s is a table", n)
				}
			}
			one, two := p.Tables[items.In("one")], p.Tables[items.In("two")]
			if one == nil || two == nil {
				t.Fatalf("tables %v", p.SortedTables())
			}
			if _, ok := one.Column("owner"); !ok || one.Source != "one" {
				t.Errorf("one:public.items: columns %v, source %s", one.ColumnNames(), one.Source)
			}
			if _, ok := two.Column("level"); !ok || two.Source != "two" {
				t.Errorf("two:public.items: columns %v, source %s", two.ColumnNames(), two.Source)
			}
			// teams is declared once and serves both sources, as two tables.
			if p.Tables[teams.In("one")] == nil || p.Tables[teams.In("two")] == nil || p.Tables[teams.In("one")] == p.Tables[teams.In("two")] {
				t.Errorf("teams: %v", p.SortedTables())
			}
			// A name one source tracks keeps its plain name.
			if tb := p.Tables[model.TableName{Schema: "public", Name: "only_one"}]; tb == nil || tb.Source != "one" {
				t.Errorf("only_one: %v", tb)
			}
			if r := two.Relationships["team"]; r == nil || r.Target != teams.In("two") {
				t.Errorf("two's relationship team: %+v, want its target in source two", r)
			}
			perm, _ := one.Permission(model.OpSelect, "user")
			if ex, ok := perm.Filter.(model.Exists); !ok || ex.Table != teams.In("one") {
				t.Errorf("one's _exists: %#v, want over one:public.teams", perm.Filter)
			}
		})
	}
}
