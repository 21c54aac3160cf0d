package load

import (
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// logicalSource is the v3dir fixture's source with a logical model (its
// permissions: user sees every row and two fields, editor its own rows)
// and a native query returning it.
const logicalSource = `- name: default
  kind: postgres
  configuration: {connection_info: {database_url: {from_env: DB}}}
  tables: "!include default/tables/tables.yaml"
  logical_models:
    - name: article_summary
      fields:
        - {name: id, type: {scalar: integer, nullable: false}}
        - {name: title, type: {scalar: text, nullable: true}}
        - {name: secret, type: {scalar: text, nullable: true}}
      select_permissions:
        - role: user
          permission: {columns: [id, title], filter: {}}
        - role: editor
          permission: {columns: "*", filter: {id: {_eq: X-Hasura-User-Id}}}
  native_queries: "!include default/native_queries.yaml"
`

const nativeQueries = `- root_field_name: article_summaries
  code: SELECT id, title, secret FROM article WHERE title ILIKE {{q}}
  arguments: {q: {type: text, nullable: false}}
  returns: article_summary
  object_relationships:
    - name: author
      using: {column_mapping: {id: id}, insertion_order: null, remote_native_query: authors}
`

// loadLogical loads the fixture (staff inherits from user and editor)
// and returns its logical model.
func loadLogical(t *testing.T) (*model.Policy, *model.LogicalModel) {
	t.Helper()
	p, err := loadRemote(t, map[string]string{
		"metadata/databases/databases.yaml":              logicalSource,
		"metadata/databases/default/native_queries.yaml": nativeQueries,
		"metadata/inherited_roles.yaml":                  "- role_name: staff\n  role_set: [user, editor]\n",
	}, WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	return p, p.GraphQL.LogicalModels["default"]["article_summary"]
}

// TestLogicalModels: logical models and native queries are read (not
// noted), with columns, whether the filter restricts rows, and inherited
// roles' unions.
func TestLogicalModels(t *testing.T) {
	p, lm := loadLogical(t)
	if lm == nil || strings.Join(lm.Fields, ",") != "id,title,secret" {
		t.Fatalf("logical model = %+v", lm)
	}
	if u := lm.Select["user"]; u == nil || !u.AllRows || strings.Join(u.Columns, ",") != "id,title" {
		t.Errorf("user = %+v, want every row, id and title", u)
	}
	if e := lm.Select["editor"]; e == nil || e.AllRows || strings.Join(e.Columns, ",") != "id,title,secret" {
		t.Errorf("editor = %+v, want filtered rows, every field", e)
	}
	if s := lm.Select["staff"]; s == nil || !s.AllRows || strings.Join(s.Columns, ",") != "id,title,secret" || strings.Join(s.InheritedFrom, ",") != "user,editor" {
		t.Errorf("staff = %+v, want the union", s)
	}
	nq := p.GraphQL.NativeQueries["article_summaries"]
	if nq == nil || nq.Returns != "article_summary" || strings.Join(nq.Relationships, ",") != "author" {
		t.Errorf("native query = %+v", nq)
	}
	for _, n := range p.Notes {
		if strings.Contains(n, "logical") || strings.Contains(n, "native") {
			t.Errorf("note %q", n)
		}
	}
}

// TestLogicalModelProblems: an unknown column, a native query returning
// no logical model, a permission for admin are problems.
func TestLogicalModelProblems(t *testing.T) {
	for _, c := range []struct{ name, from, to, want string }{
		{"unknown column", "columns: [id, title]", "columns: [id, body]", "has no field body"},
		{"unknown logical model", "returns: article_summary", "returns: summary", "returns summary, which source default has no logical model of"},
		{"admin", "- role: user\n          permission: {columns: [id, title]", "- role: admin\n          permission: {columns: [id, title]", "admin"},
		{"no columns", "{columns: [id, title], filter: {}}", "{filter: {}}", "has no columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(logicalSource, c.from, c.to, 1)
			nq := strings.Replace(nativeQueries, c.from, c.to, 1)
			_, err := loadRemote(t, map[string]string{
				"metadata/databases/databases.yaml":              src,
				"metadata/databases/default/native_queries.yaml": nq,
			}, WithStrict())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}
