package load

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// Reading the two forms of Hasura metadata into table entries and
// inherited-role declarations.

var (
	tableKeys = []string{"table", "object_relationships", "array_relationships",
		"select_permissions", "insert_permissions", "update_permissions", "delete_permissions",
		"computed_fields", "configuration", "remote_relationships"}
	// Table keys of Hasura features that play no part in row permissions.
	ignoredTableKeys = []string{"is_enum",
		"event_triggers", "apollo_federation_config", "logical_model"}
)

// readDirLayout reads databases/databases.yaml, its includes and
// inherited_roles.yaml under root.
func (ld *loader) readDirLayout(root string) {
	dbFile := path.Join(root, databasesFile)
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

// sourceInfo is the database source a table entry is read in.
type sourceInfo struct {
	name string
	kind string
	loc  loc
	// gql is the source's GraphQL customization (tablegql.go); nil when
	// it has none, gqlUnknown when Warden cannot tell its root field names.
	gql *model.SourceGraphQL
}

// decidable says whether Warden decides tables of this kind of source:
// PostgreSQL and the databases that speak its SQL and semantics.
func (s sourceInfo) decidable() bool {
	switch s.kind {
	case "postgres", "pg", "citus", "cockroach":
		return true
	}
	return false
}

// sourceKeys are the keys of a source: tables is read, the rest configure
// the connection and the GraphQL schema (functions, logical models and
// native queries have permissions of their own that Warden does not decide
// yet: each non-empty list is noted).
var (
	sourceKeys        = []string{"name", "kind", "tables", "functions", "logical_models", "native_queries", "stored_procedures", "customization"}
	ignoredSourceKeys = []string{"configuration", "query_tags", "health_check", "comment"}
)

// source reads one database source; its tables are a list or an include.
func (ld *loader) source(n *yaml.Node, list, l loc) {
	keys, _ := ld.object(n, l, "source", sourceKeys, ignoredSourceKeys)
	if keys == nil {
		return
	}
	src := sourceInfo{kind: "postgres"}
	if name, ok := ld.str(keys["name"], l.key("name"), "source name"); ok {
		src.name = name
		l = list.sel("name", name)
	} else {
		return
	}
	if k := keys["kind"]; k != nil {
		if kind, ok := ld.str(k, l.key("kind"), "source kind"); ok {
			src.kind = strings.ToLower(kind)
		}
	}
	src.loc = l
	src.gql = ld.sourceCustomization(keys["customization"], l.key("customization"), src.name)
	ld.sources = append(ld.sources, src)
	if f := keys["functions"]; f != nil {
		ld.readFunctions(f, l.key("functions"), src.name)
	}
	if lm := keys["logical_models"]; lm != nil {
		ld.readLogicalModels(lm, l.key("logical_models"), src.name)
	}
	if nq := keys["native_queries"]; nq != nil {
		ld.readNativeQueries(nq, l.key("native_queries"), src.name)
	}
	ld.noteList(keys["stored_procedures"], l.key("stored_procedures"), "stored procedures: their permissions are not decided by Warden yet")
	tables := keys["tables"]
	if tables == nil {
		return
	}
	tl := l.key("tables")
	if inc, ok := includePath(tables); ok {
		file, ok := ld.resolveInclude(l.file, inc, tl, tables)
		if !ok {
			return
		}
		if tables, ok = ld.parseFile(file, false, l.key("tables"), tables, "included file"); !ok {
			return
		}
		tl = loc{file: file}
	}
	ld.sourceTables(tables, tl, src)
}

// sourceTables reads a source's list of table entries, inline or included
// one file each.
func (ld *loader) sourceTables(tables *yaml.Node, tl loc, src sourceInfo) {
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
			ld.tableEntry(n, loc{file: file}, loc{file: file}, src)
			continue
		}
		ld.tableEntry(it, tl, tl.index(i), src)
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
func (ld *loader) tableEntry(n *yaml.Node, list, l loc, src sourceInfo) {
	keys, _ := ld.object(n, l, "table entry", tableKeys, ignoredTableKeys)
	if keys == nil {
		return
	}
	name, ok := dataConnectorName(keys["table"], src)
	if !ok {
		name, ok = ld.metaTableName(keys["table"], l.key("table"))
	}
	if !ok {
		return
	}
	if list != l {
		l = list.sel("table", name.String())
	}
	key := name.In(src.name)
	if prev, dup := ld.entries[key]; dup {
		ld.problemf(l.key("table"), keys["table"], "table %s is tracked twice (also in %s)", name, prev.loc.source())
		return
	}
	e := &tableEntry{name: name, loc: l, node: n, keys: keys, source: src}
	ld.entries[key] = e
	if ld.cfg.tablesOnly {
		ld.order = append(ld.order, e)
		ld.computedFields(key, nil, src, keys["computed_fields"], l.key("computed_fields"))
		return
	}
	// Resolved by placeTables once every source is read: whether the
	// name needs its source depends on the other sources.
	ld.pending = append(ld.pending, e)
}

// placeTables decides the name of every table: a name tracked in several
// sources is qualified by its source in each (model.TableName.Source),
// every other keeps its plain name. The schema's tables are keyed so too:
// a table the schema file declares without a source serves every source
// that tracks its name and has no declaration of its own. Foreign keys keep
// the names they were declared with; a relationship over one resolves them
// in its own source. Then each tracked entry is resolved against the
// schema.
func (ld *loader) placeTables() {
	sources := map[model.TableName][]string{}
	for _, e := range ld.pending {
		sources[e.name] = append(sources[e.name], e.source.name)
	}
	// A table no source tracks that the schema declares for several
	// sources (schema pull writes each database's) is ambiguous too: a
	// rule's _exists finds its own source's.
	declared := map[model.TableName][]string{}
	for key := range ld.tables {
		if key.Source != "" && sources[key.Unqualified()] == nil {
			declared[key.Unqualified()] = append(declared[key.Unqualified()], key.Source)
		}
	}
	for _, m := range []map[model.TableName][]string{sources, declared} {
		for n, srcs := range m {
			if len(srcs) > 1 {
				sort.Strings(srcs)
				ld.ambiguous[n] = srcs
			}
		}
	}
	placed := make(map[model.TableName]*model.Table, len(ld.tables))
	for key, t := range ld.tables {
		plain := key.Unqualified()
		switch {
		case key.Source != "" && ld.ambiguous[plain] != nil:
			placed[key] = t
		case key.Source != "":
			// The name is not ambiguous: the declaration of the source
			// that tracks it (or of the one source that declares it) is
			// the table; other sources' are not needed.
			if srcs := sources[plain]; len(srcs) == 1 && srcs[0] != key.Source {
				continue
			}
			if _, both := ld.tables[plain]; both {
				ld.problemf(ld.schemaLoc[key], nil,
					"table %s is declared for source %s and without a source, but no two sources track it: keep one", plain, key.Source)
				continue
			}
			t.Name = plain
			placed[plain] = t
		case ld.ambiguous[plain] != nil:
			for _, src := range ld.ambiguous[plain] {
				if _, own := ld.tables[plain.In(src)]; own {
					continue
				}
				c := cloneTable(t, plain.In(src))
				placed[c.Name] = c
			}
		default:
			placed[key] = t
		}
	}
	ld.tables = placed
	for _, e := range ld.pending {
		ld.placeEntry(e)
	}
}

// cloneTable copies a schema table (not yet holding metadata) under
// another name, with its own maps and foreign keys.
func cloneTable(t *model.Table, name model.TableName) *model.Table {
	c := &model.Table{
		Name:          name,
		Columns:       t.Columns,
		PrimaryKey:    t.PrimaryKey,
		ForeignKeys:   append([]model.ForeignKey(nil), t.ForeignKeys...),
		Relationships: map[string]*model.Relationship{},
		Permissions:   map[model.Operation]map[string]*model.Permission{},
	}
	c.IndexColumns()
	return c
}

// qualify returns the name a table of source src calls name by: with the
// source when the name is tracked in several sources (relationships,
// _exists and foreign keys stay in their source, as in Hasura).
func (ld *loader) qualify(src string, name model.TableName) model.TableName {
	if src != "" && ld.ambiguous[name] != nil {
		return name.In(src)
	}
	return name
}

// dataConnectorName reads the name of a table in a source of a kind Warden
// does not decide (a data connector's, MongoDB's, ...): Hasura writes it as
// a list of strings, e.g. [Album] or [db, schema, table]. The last one is
// the name, the others joined by "." its schema. Such a table is then left
// out as inconsistent, as every table of its source, with its name, rather
// than failing the whole policy set; in a PostgreSQL source a list is not
// a table name and is reported as such.
func dataConnectorName(n *yaml.Node, src sourceInfo) (model.TableName, bool) {
	n = deref(n)
	if src.decidable() || n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return model.TableName{}, false
	}
	parts := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c = deref(c); !isString(c) || c.Value == "" {
			return model.TableName{}, false
		}
		parts = append(parts, c.Value)
	}
	return model.TableName{Schema: strings.Join(parts[:len(parts)-1], "."), Name: parts[len(parts)-1]}, true
}

// placeEntry resolves one tracked table entry against the schema.
func (ld *loader) placeEntry(e *tableEntry) {
	src, l, keys := e.source, e.loc, e.keys
	e.name = ld.qualify(src.name, e.name)
	name := e.name
	bad := &model.Inconsistency{Kind: "table", Table: name, Source: l.source()}
	t, found := ld.tables[name]
	ok := ld.consistent(bad, func() {
		switch {
		case !src.decidable():
			ld.problemf(src.loc.key("kind"), nil,
				"table %s is in source %s of kind %s: Warden decides only PostgreSQL sources (postgres, citus, cockroach), never with another database's semantics", name, src.name, src.kind)
		case !found:
			ld.problemf(l.key("table"), keys["table"], "%s", notInSchema(name))
		}
	})
	if !ok {
		if !ld.cfg.strict {
			ld.badTables[name] = bad
		}
		return
	}
	t.Source, t.SourceKind = src.name, src.kind
	e.table = t
	ld.order = append(ld.order, e)
	ld.computedFields(name, t, src, keys["computed_fields"], l.key("computed_fields"))
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
