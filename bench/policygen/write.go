package policygen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Write writes the policy set under dir in the Hasura v2 CLI layout, with
// schema.yaml beside it (see policy/load/doc.go):
//
//	dir/version.yaml
//	dir/inherited_roles.yaml
//	dir/schema.yaml
//	dir/databases/databases.yaml
//	dir/databases/default/tables/tables.yaml
//	dir/databases/default/tables/public_<table>.yaml
func (s *Spec) Write(dir string) error {
	files := map[string]any{
		"version.yaml":             map[string]int{"version": 3},
		"databases/databases.yaml": []any{databaseEntry{Name: sourceName, Kind: "postgres", Tables: "!include default/tables/tables.yaml"}},
		"schema.yaml":              s.schema(),
	}
	var inherited []inheritedEntry
	for _, r := range Inherited {
		inherited = append(inherited, inheritedEntry{RoleName: r.Name, RoleSet: r.Parents})
	}
	files["inherited_roles.yaml"] = inherited
	var includes []string
	for _, t := range s.Tables {
		file := schemaName + "_" + t.Name + ".yaml"
		includes = append(includes, "!include "+file)
		files["databases/default/tables/"+file] = t.metadata()
	}
	files["databases/default/tables/tables.yaml"] = includes
	for name, v := range files {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("policygen: %s: %w", name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("policygen: %s: %w", name, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type databaseEntry struct {
	Name   string `yaml:"name"`
	Kind   string `yaml:"kind"`
	Tables string `yaml:"tables"`
}

type inheritedEntry struct {
	RoleName string   `yaml:"role_name"`
	RoleSet  []string `yaml:"role_set"`
}

type tableRef struct {
	Name   string `yaml:"name"`
	Schema string `yaml:"schema"`
}

type relationship struct {
	Name  string `yaml:"name"`
	Using struct {
		ForeignKeyConstraintOn any `yaml:"foreign_key_constraint_on"`
	} `yaml:"using"`
}

type permEntry struct {
	Role       string     `yaml:"role"`
	Permission permission `yaml:"permission"`
}

type tableFile struct {
	Table               tableRef       `yaml:"table"`
	ObjectRelationships []relationship `yaml:"object_relationships,omitempty"`
	ArrayRelationships  []relationship `yaml:"array_relationships,omitempty"`
	SelectPermissions   []permEntry    `yaml:"select_permissions,omitempty"`
	InsertPermissions   []permEntry    `yaml:"insert_permissions,omitempty"`
	UpdatePermissions   []permEntry    `yaml:"update_permissions,omitempty"`
	DeletePermissions   []permEntry    `yaml:"delete_permissions,omitempty"`
}

func (t *Table) metadata() tableFile {
	f := tableFile{Table: tableRef{Name: t.Name, Schema: schemaName}}
	if t.Parent != nil {
		var r relationship
		r.Name = RelParent
		r.Using.ForeignKeyConstraintOn = colParentID
		f.ObjectRelationships = append(f.ObjectRelationships, r)
	}
	if t.Child != nil {
		var r relationship
		r.Name = RelChildren
		r.Using.ForeignKeyConstraintOn = map[string]any{
			"column": colParentID,
			"table":  tableRef{Name: t.Child.Name, Schema: schemaName},
		}
		f.ArrayRelationships = append(f.ArrayRelationships, r)
	}
	lists := map[string]*[]permEntry{
		"select": &f.SelectPermissions, "insert": &f.InsertPermissions,
		"update": &f.UpdatePermissions, "delete": &f.DeletePermissions,
	}
	for _, op := range Operations {
		for _, role := range AllRoles() {
			if p, ok := t.perms[op][role]; ok {
				*lists[op] = append(*lists[op], permEntry{Role: role, Permission: p})
			}
		}
	}
	return f
}

type schemaFile struct {
	Tables []schemaTable `yaml:"tables"`
}

type schemaColumn struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Nullable *bool  `yaml:"nullable,omitempty"`
}

type foreignKey struct {
	Columns    []string `yaml:"columns"`
	References struct {
		Table   string   `yaml:"table"`
		Columns []string `yaml:"columns"`
	} `yaml:"references"`
}

type schemaTable struct {
	Name        string         `yaml:"name"`
	Columns     []schemaColumn `yaml:"columns"`
	PrimaryKey  []string       `yaml:"primary_key"`
	ForeignKeys []foreignKey   `yaml:"foreign_keys,omitempty"`
}

func (s *Spec) schema() schemaFile {
	var out schemaFile
	notNull := false
	for _, t := range s.Tables {
		st := schemaTable{Name: t.Qualified(), PrimaryKey: []string{"id"}}
		for _, c := range Columns {
			sc := schemaColumn{Name: c.Name, Type: c.Type}
			if c.NotNull && c.Name != "id" {
				sc.Nullable = &notNull
			}
			st.Columns = append(st.Columns, sc)
		}
		if t.Parent != nil {
			var fk foreignKey
			fk.Columns = []string{colParentID}
			fk.References.Table = t.Parent.Qualified()
			fk.References.Columns = []string{"id"}
			st.ForeignKeys = append(st.ForeignKeys, fk)
		}
		out.Tables = append(out.Tables, st)
	}
	return out
}

// Summary describes the generated set in one line.
func (s *Spec) Summary() string {
	return fmt.Sprintf("%d tables x %d roles (%s) x %d operations, %d stated permissions; inherited roles %s",
		len(s.Tables), len(Roles), strings.Join(Roles, ", "), len(Operations), s.Permissions(), inheritedSummary())
}

func inheritedSummary() string {
	var parts []string
	for _, r := range Inherited {
		parts = append(parts, r.Name+" = "+strings.Join(r.Parents, " + "))
	}
	return strings.Join(parts, ", ")
}
