package load

import (
	"context"
	"strings"
	"testing"
)

// TestInherited pins the resolution of inherited roles on a small policy:
// select combination with column conditions, nesting, explicit overrides,
// and mutations inherited when the parents agree.
func TestInherited(t *testing.T) {
	files := map[string]string{
		"databases/default/tables/public_tags.yaml": `
table: tags
select_permissions:
  - role: r1
    permission: {columns: [id, label], filter: {label: a}, limit: 10}
  - role: r2
    permission: {columns: [id, thing_id], filter: {label: b}, limit: 20, allow_aggregations: true}
  - role: r3
    permission: {columns: [label], filter: {id: 1}}
  - role: i3
    permission: {columns: [id], filter: {id: 3}}
update_permissions:
  - role: r1
    permission: {columns: [label], filter: {id: X-Hasura-Id}, set: {thing_id: 7}}
  - role: r2
    permission: {columns: [label], filter: {id: x-hasura-ID}, set: {thing_id: "7"}}
delete_permissions:
  - role: r1
    permission: {filter: {id: 1}, backend_only: true}
`,
		"inherited_roles.yaml": `
- role_name: i2
  role_set: [i1, r3]
- role_name: i1
  role_set: [r1, r2]
- role_name: i3
  role_set: [r1, r2]
`,
	}
	p, err := FS(context.Background(), withFiles(dirFS(t, "testdata/base"), files), "x")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	tags := p.Tables[tableName("tags")]
	for _, role := range []string{"i1", "i2", "i3"} {
		for _, op := range tags.Permissions {
			if perm := op[role]; perm != nil {
				dumpPermission(&b, perm)
			}
		}
	}
	got := b.String()
	for _, want := range []string{
		`  select i1
    columns [id label thing_id]
    filter (or (_eq label "a") (_eq label "b"))
    limit 20
    allow_aggregations
    inherited from [r1 r2]
    column label when (_eq label "a")
    column thing_id when (_eq label "b")
`,
		`  select i2
    columns [id label thing_id]
    filter (or (or (_eq label "a") (_eq label "b")) (_eq id 1))
    allow_aggregations
    inherited from [i1 r3]
    column id when (or (_eq label "a") (_eq label "b"))
    column label when (or (_eq label "a") (_eq id 1))
    column thing_id when (_eq label "b")
`,
		`  select i3
    columns [id]
    filter (_eq id 3)
`,
		`  update i1
    columns [label]
    filter (_eq id $x-hasura-id:integer)
    check true
    set thing_id=7
    inherited from [r1 r2]
`,
		`  delete i1
    filter (_eq id 1)
    backend_only
    inherited from [r1]
`,
		`  delete i3
    filter (_eq id 1)
    backend_only
    inherited from [r1]
`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing:\n%s\nin:\n%s", want, got)
		}
	}
	for _, want := range []string{"update i3", "inherited from [i1]"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q: i3 inherits update from r1 and r2, i2 from i1:\n%s", want, got)
		}
	}
	if want := "i1 i2 i3 r1 r2 r3 viewer"; strings.Join(p.Roles, " ") != want {
		t.Errorf("roles %v, want %s", p.Roles, want)
	}
	perm, _ := tags.Permission(1, "i1")
	if perm.Source.File != "inherited_roles.yaml" || perm.Source.Path != "[role_name=i1]" {
		t.Errorf("derived source %+v", perm.Source)
	}
	if got := p.InheritedRoles["i2"]; strings.Join(got, " ") != "i1 r3" {
		t.Errorf("InheritedRoles[i2] = %v", got)
	}
}
