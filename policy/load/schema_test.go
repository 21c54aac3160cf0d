package load

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestCharLength: the n of character(n) as PostgreSQL reads the declared
// type: a bare character or char is character(1), bpchar without a length
// has none (0: no padding, no limit).
func TestCharLength(t *testing.T) {
	for decl, want := range map[string]int{
		"character(5)": 5, "char(5)": 5, "CHARACTER (12)": 12, "bpchar(3)": 3, "char( 7 )": 7,
		"character": 1, "char": 1, "CHAR": 1, "bpchar": 0, "BPCHAR": 0,
	} {
		got, err := charLength(decl)
		if err != nil || got != want {
			t.Errorf("charLength(%q) = %d, %v; want %d", decl, got, err, want)
		}
	}
	for _, decl := range []string{"char(0)", "char(-1)", "char(x)", "char()", "char(10485761)"} {
		if n, err := charLength(decl); err == nil {
			t.Errorf("charLength(%q) = %d, want an error", decl, n)
		}
	}
}

// TestParseTypeName: a type name is read as PostgreSQL reads identifiers:
// unquoted parts lower-cased, quoted parts as written.
func TestParseTypeName(t *testing.T) {
	for in, want := range map[string][2]string{
		"leave_status":        {"", "leave_status"},
		"Public.Leave_Status": {"public", "leave_status"},
		`hr."Leave Status"`:   {"hr", "Leave Status"},
		`"a""b"."c.d"`:        {`a"b`, "c.d"},
		` auth . email `:      {"auth", "email"},
	} {
		s, n, err := parseTypeName(in)
		if err != nil || s != want[0] || n != want[1] {
			t.Errorf("parseTypeName(%q) = %q, %q, %v; want %q, %q", in, s, n, err, want[0], want[1])
		}
	}
	for _, in := range []string{"", "a.b.c", `"a`, "a.", ".a", `""`, `a"b"`} {
		if s, n, err := parseTypeName(in); err == nil {
			t.Errorf("parseTypeName(%q) = %q, %q; want an error", in, s, n)
		}
	}
}

// TestSchemaAsPulled: what schema pull writes from real databases loads: an
// enum whose first label is ” (otohime's combo flags), and a foreign key to
// an oid column (dailykit's order ids).
func TestSchemaAsPulled(t *testing.T) {
	fsys := fstest.MapFS{
		"schema.yaml": &fstest.MapFile{Data: []byte(`
tables:
  - name: {schema: "public", name: "orders"}
    columns:
      - {name: "id", type: "oid", nullable: false}
    primary_key: ["id"]
  - name: {schema: "public", name: "items"}
    columns:
      - {name: "id", type: "integer", nullable: false}
      - {name: "order_id", type: "integer", nullable: true}
      - {name: "flag", type: "public.combo_flag", enum: ["", "fc", "fcp"], nullable: true}
    primary_key: ["id"]
    foreign_keys:
      - {columns: ["order_id"], references: {table: {schema: "public", name: "orders"}, columns: ["id"]}}
`)},
		"metadata.json": &fstest.MapFile{Data: []byte(`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
  {"table": {"schema": "public", "name": "orders"}},
  {"table": {"schema": "public", "name": "items"},
   "object_relationships": [{"name": "order", "using": {"foreign_key_constraint_on": "order_id"}}],
   "select_permissions": [{"role": "user", "permission": {"columns": ["id", "flag"], "filter": {"flag": {"_in": ["", "fc"]}}}}]}]}]}`)},
	}
	p, err := FS(context.Background(), fsys, "pulled", WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	items := p.Tables[model.TableName{Schema: "public", Name: "items"}]
	if c, _ := items.Column("flag"); c == nil || c.Type.Enum == nil || c.Type.Enum.Labels[0] != "" {
		t.Errorf("flag = %+v, want the enum with its empty label", c)
	}
	if _, ok := items.Relationships["order"]; !ok {
		t.Errorf("the relationship over the foreign key to an oid column did not load")
	}
}
