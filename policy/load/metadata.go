package load

import (
	"io/fs"
	"path"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// Reading the two forms of Hasura metadata into table entries and
// inherited-role declarations.

var (
	tableKeys = []string{"table", "object_relationships", "array_relationships",
		"select_permissions", "insert_permissions", "update_permissions", "delete_permissions",
		"computed_fields"}
	// Table keys of Hasura features that play no part in row permissions.
	ignoredTableKeys = []string{"is_enum", "configuration", "remote_relationships",
		"event_triggers", "apollo_federation_config"}
)

// readDirLayout reads databases/databases.yaml, its includes and
// inherited_roles.yaml under root.
func (ld *loader) readDirLayout(root string) {
	dbFile := path.Join(root, "databases", "databases.yaml")
	dl := loc{file: dbFile}
	n, ok := ld.parseFile(dbFile, false, dl, nil, "file")
	if ok && n != nil {
		items, _ := ld.list(n, dl, "databases.yaml")
		for i, it := range items {
			ld.source(it, dl, dl.index(i))
		}
	}
	irFile := path.Join(root, "inherited_roles.yaml")
	if ld.exists(irFile) {
		il := loc{file: irFile}
		if n, ok := ld.parseFile(irFile, false, il, nil, "file"); ok && n != nil {
			ld.readInherited(n, il)
		}
	}
}

// readExport reads the single-file metadata export.
func (ld *loader) readExport(file string) {
	l := loc{file: file}
	n, ok := ld.parseFile(file, false, l, nil, "file")
	if !ok {
		return
	}
	if n == nil {
		ld.problemf(l, nil, "the metadata export is empty")
		return
	}
	fields, _ := ld.fields(n, l, "metadata")
	for _, f := range fields {
		switch f.key {
		case "version":
			if v := deref(f.val); v == nil || v.Value != "3" {
				ld.problemf(l.key("version"), f.val, "metadata version %s is not supported: want 3 (Hasura v2)", describe(f.val))
			}
		case "sources":
			sl := l.key("sources")
			items, _ := ld.list(f.val, sl, "sources")
			for i, it := range items {
				ld.source(it, sl, sl.index(i))
			}
		case "inherited_roles":
			ld.readInherited(f.val, l.key("inherited_roles"))
		case "tables":
			ld.problemf(l.key("tables"), f.keyNode, "tables at the top level is the metadata version 2 form: export with Hasura v2 (version 3, tables under sources)")
		}
	}
}

// source reads one database source; its tables are a list or an include.
func (ld *loader) source(n *yaml.Node, list, l loc) {
	fields, _ := ld.fields(n, l, "source")
	var tables *yaml.Node
	for _, f := range fields {
		switch f.key {
		case "name":
			if name, ok := ld.str(f.val, l.key("name"), "source name"); ok {
				l = list.sel("name", name)
			}
		case "tables":
			tables = f.val
		}
	}
	if tables == nil {
		return
	}
	tl := l.key("tables")
	if inc, ok := includePath(tables); ok {
		file, ok := ld.resolveInclude(l.file, inc, tl, tables)
		if !ok {
			return
		}
		tl = loc{file: file}
		if tables, ok = ld.parseFile(file, false, l.key("tables"), tables, "included file"); !ok {
			return
		}
	}
	items, _ := ld.list(tables, tl, "tables")
	for i, it := range items {
		if inc, ok := includePath(it); ok {
			file, ok := ld.resolveInclude(tl.file, inc, tl.index(i), it)
			if !ok {
				continue
			}
			n, ok := ld.parseFile(file, false, tl.index(i), it, "included file")
			if !ok {
				continue
			}
			if n == nil {
				ld.problemf(loc{file: file}, nil, "the table file is empty")
				continue
			}
			ld.tableEntry(n, loc{file: file}, loc{file: file})
			continue
		}
		ld.tableEntry(it, tl, tl.index(i))
	}
}

// resolveInclude resolves an include relative to the including file.
func (ld *loader) resolveInclude(from, inc string, l loc, n *yaml.Node) (string, bool) {
	if inc == "" || path.IsAbs(inc) || strings.Contains(inc, `\`) {
		ld.problemf(l, n, "include %q must be a relative path with forward slashes", inc)
		return "", false
	}
	p := path.Join(path.Dir(from), inc)
	if p == "." || !fs.ValidPath(p) {
		ld.problemf(l, n, "include %q leaves the policy directory", inc)
		return "", false
	}
	return p, true
}

// tableEntry reads a table entry; list locates the list it is in (the entry
// is then named by its table), or equals l for a whole-file entry.
func (ld *loader) tableEntry(n *yaml.Node, list, l loc) {
	keys, _ := ld.object(n, l, "table entry", tableKeys, ignoredTableKeys)
	if keys == nil {
		return
	}
	name, ok := ld.metaTableName(keys["table"], l.key("table"))
	if !ok {
		return
	}
	if list != l {
		l = list.sel("table", name.String())
	}
	if prev, dup := ld.entries[name]; dup {
		ld.problemf(l.key("table"), keys["table"], "table %s is tracked twice (also in %s)", name, prev.loc.source())
		return
	}
	t, found := ld.tables[name]
	if !found && !ld.cfg.tablesOnly {
		ld.problemf(l.key("table"), keys["table"], "%s", notInSchema(name))
		return
	}
	e := &tableEntry{name: name, table: t, loc: l, node: n, keys: keys}
	ld.entries[name] = e
	ld.order = append(ld.order, e)
	cf, _ := ld.list(keys["computed_fields"], l.key("computed_fields"), "computed_fields")
	for _, c := range cf {
		if c = deref(c); c != nil && c.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(c.Content); i += 2 {
				if c.Content[i].Value == "name" {
					if ld.computed[name] == nil {
						ld.computed[name] = map[string]bool{}
					}
					ld.computed[name][c.Content[i+1].Value] = true
				}
			}
		}
	}
}

// inheritedDecl is one inherited role as declared.
type inheritedDecl struct {
	role    string
	parents []string
	loc     loc
	node    *yaml.Node
}

func (ld *loader) readInherited(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "inherited roles")
	seen := map[string]bool{}
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "inherited role", []string{"role_name", "role_set"}, []string{"comment"})
		if k == nil {
			continue
		}
		role, ok := ld.str(k["role_name"], el.key("role_name"), "role_name")
		if !ok {
			continue
		}
		el = l.sel("role_name", role)
		parents, ok := ld.strList(k["role_set"], el.key("role_set"), "role_set")
		switch {
		case !ok:
			continue
		case role == model.AdminRole:
			ld.problemf(el.key("role_name"), k["role_name"], "admin cannot be an inherited role")
			continue
		case seen[role]:
			ld.problemf(el, it, "inherited role %s is declared twice", role)
			continue
		case len(parents) == 0:
			ld.problemf(el.key("role_set"), k["role_set"], "role_set of %s is empty", role)
			continue
		}
		seen[role] = true
		d := inheritedDecl{role: role, loc: el, node: it}
		dup := map[string]bool{}
		for j, p := range parents {
			switch {
			case p == model.AdminRole:
				ld.problemf(el.key("role_set").index(j), k["role_set"], "admin cannot be a parent of an inherited role")
			case !dup[p]:
				dup[p] = true
				d.parents = append(d.parents, p)
			}
		}
		ld.inherit = append(ld.inherit, d)
	}
}
