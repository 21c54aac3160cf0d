package load

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The layouts Hasura has written metadata in since v2.0 (and that Hasura
// v2 still reads):
//
//   - the version 3 directory: databases/databases.yaml, its sources'
//     tables/tables.yaml with !include lines, inherited_roles.yaml;
//   - the version 2 directory (Hasura 1.x, CLI config v2): tables.yaml
//     and functions.yaml at the root, one implicit PostgreSQL source;
//   - the single-file export metadata.json, of version 3 (sources) or 2
//     (tables at the top; 1 when version is absent), bare or wrapped as the
//     metadata API's export_metadata answers {resource_version, metadata};
//     or the same in YAML as metadata.yaml, which the Hasura 1.x CLI (config
//     v1) kept beside its migrations (migrations/metadata.yaml).
//
// Each may sit at the policy root or under metadata/ (a Hasura project), and
// metadata.yaml also under migrations/ (a config v1 project).

// layout is where and in which form the metadata was found.
type layout struct {
	root string
	form string // "dir3", "dir2" or "export"
	file string // the export's file name (form "export")
}

// The files that name a layout.
const (
	databasesFile = "databases/databases.yaml"
	tablesFile    = "tables.yaml"
	exportFile    = "metadata.json"
	exportYAML    = "metadata.yaml"
	versionFile   = "version.yaml"
)

// SchemaFile is the schema's name in a policy directory and in a bundle
// (policy/bundle writes a --schema file under it).
const SchemaFile = "schema.yaml"

// findMetadata finds the metadata; form "" means none was found (reported).
func (ld *loader) findMetadata() layout {
	for _, root := range []string{".", "metadata", "migrations"} {
		var forms []string
		export := ""
		for _, c := range []struct{ file, form string }{
			{databasesFile, "dir3"}, {tablesFile, "dir2"}, {exportFile, "export"}, {exportYAML, "export"},
		} {
			if root == "migrations" && c.file != exportYAML {
				// Only the config v1 CLI kept metadata there.
				continue
			}
			if !ld.exists(path.Join(root, c.file)) {
				continue
			}
			if c.form == "export" {
				if export != "" {
					ld.problemf(loc{file: path.Join(root, c.file)}, nil,
						"both %s and %s exist in %s: keep one form of the metadata", export, c.file, root)
					return layout{}
				}
				export = c.file
			}
			forms = append(forms, c.form)
		}
		if len(forms) == 0 {
			continue
		}
		version, vl, vn := ld.dirVersion(root)
		switch {
		case len(forms) == 1 && forms[0] == "export":
		case contains(forms, "export"):
			ld.problemf(loc{file: path.Join(root, export)}, nil,
				"both %s and a metadata directory exist in %s: keep one form of the metadata", export, root)
			return layout{}
		case len(forms) == 2 && version == 0:
			ld.problemf(loc{file: path.Join(root, tablesFile)}, nil,
				"both %s (metadata version 3) and %s (version 2) exist and no %s says which is meant: keep one",
				databasesFile, tablesFile, versionFile)
			return layout{}
		case len(forms) == 2 && version == 3:
			forms = []string{"dir3"}
		case len(forms) == 2 && version == 2:
			forms = []string{"dir2"}
		case version == 3 && forms[0] == "dir2":
			ld.problemf(vl, vn, "%s says version 3, but the metadata has %s (version 2) and no %s", versionFile, tablesFile, databasesFile)
			return layout{}
		case version == 2 && forms[0] == "dir3":
			ld.problemf(vl, vn, "%s says version 2, but the metadata has %s (version 3) and no %s", versionFile, databasesFile, tablesFile)
			return layout{}
		}
		return layout{root: root, form: forms[0], file: export}
	}
	if ld.err == nil {
		ld.problemf(loc{}, nil, "no Hasura metadata found: want %s (version 3), %s (version 2), %s or %s, at the policy root or under metadata/ (%s also under migrations/)%s",
			databasesFile, tablesFile, exportFile, exportYAML, exportYAML, ld.databasesHint())
	}
	return layout{}
}

// databasesHint says, for the message of metadata not found, that a
// version 3 directory is there without its databases.yaml, and names the
// files beside it that look like one (databases.yaml.template, .example):
// projects that keep their sources' connection settings out of the
// repository commit those instead, and Hasura reads only databases.yaml.
func (ld *loader) databasesHint() string {
	for _, root := range []string{".", "metadata"} {
		dir := path.Join(root, path.Dir(databasesFile))
		entries, err := fs.ReadDir(ld.fsys, dir)
		if err != nil {
			continue
		}
		var near []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasPrefix(e.Name(), path.Base(databasesFile)+".") {
				near = append(near, path.Join(dir, e.Name()))
			}
		}
		hint := fmt.Sprintf("; %s/ exists but %s does not", dir, path.Join(root, databasesFile))
		if len(near) > 0 {
			hint += fmt.Sprintf(" (beside it: %s; write %s from it, as the project's deployment does)",
				strings.Join(near, ", "), path.Join(root, databasesFile))
		}
		return hint
	}
	return ""
}

// dirVersion reads version.yaml of a metadata directory: 0 when it is
// absent or unreadable (reported).
func (ld *loader) dirVersion(root string) (int, loc, *yaml.Node) {
	file := path.Join(root, versionFile)
	l := loc{file: file}
	if !ld.exists(file) {
		return 0, l, nil
	}
	n, ok := ld.parseFile(file, false, l, nil, "file")
	if !ok || n == nil {
		return 0, l, n
	}
	fields, _ := ld.fields(n, l, "version.yaml")
	for _, f := range fields {
		if f.key == "version" {
			switch v := deref(f.val); {
			case v != nil && v.Value == "2":
				return 2, l.key("version"), f.val
			case v != nil && v.Value == "3":
				return 3, l.key("version"), f.val
			default:
				ld.problemf(l.key("version"), f.val, "metadata version %s is not supported: want 2 or 3", describe(f.val))
			}
		}
	}
	return 0, l, n
}

// readMetadata reads the metadata in the form found.
func (ld *loader) readMetadata(lay layout) {
	switch lay.form {
	case "dir3":
		ld.readDirLayout(lay.root)
	case "dir2":
		ld.readDir2Layout(lay.root)
	case "export":
		ld.readExport(path.Join(lay.root, lay.file))
	}
	if lay.form == "dir3" || lay.form == "dir2" {
		ld.readGraphQLFiles(lay.root)
		if lay.form == "dir2" {
			ld.readDir2Functions(lay.root)
		}
		ld.noteRootFiles(lay.root)
	}
}

// readDir2Layout reads the version 2 directory: tables.yaml (entries inline
// or included) in one PostgreSQL source named default, as Hasura migrates
// it.
func (ld *loader) readDir2Layout(root string) {
	file := path.Join(root, tablesFile)
	l := loc{file: file}
	n, ok := ld.parseFile(file, false, l, nil, "file")
	if !ok {
		return
	}
	ld.sourceTables(n, l, defaultSource)
}

// defaultSource is the source of version 2 metadata.
var defaultSource = sourceInfo{name: "default", kind: "postgres"}

// rootFileNotes says, for each Hasura file of a metadata directory that
// Warden reads nothing from, why; a file that holds nothing (a missing
// file, [] or {}) is not mentioned.
var rootFileNotes = map[string]string{
	"cron_triggers.yaml":   "cron triggers: they do not restrict rows",
	"rest_endpoints.yaml":  "REST endpoints: they do not restrict rows",
	"api_limits.yaml":      "API limits: they do not restrict rows",
	"network.yaml":         "network settings: they do not restrict rows",
	"metrics_config.yaml":  "metrics settings: they do not restrict rows",
	"opentelemetry.yaml":   "OpenTelemetry settings: they do not restrict rows",
	"backend_configs.yaml": "backend settings: they do not restrict rows",
}

func (ld *loader) noteRootFiles(root string) {
	names := make([]string, 0, len(rootFileNotes))
	for name := range rootFileNotes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		file := path.Join(root, name)
		if !ld.exists(file) {
			continue
		}
		data, found := ld.readFileUntracked(file)
		if !found || blankYAML(data) {
			continue
		}
		ld.notef("%s: %s", file, rootFileNotes[name])
	}
}

// blankYAML says whether a file holds nothing: no value, an empty list, or
// an object of such (actions.yaml's {actions: [], custom_types: {...: []}}).
func blankYAML(data []byte) bool {
	var v any
	if yaml.Unmarshal(data, &v) != nil {
		return false
	}
	return blankValue(v, 0)
}

func blankValue(v any, depth int) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if depth > 2 || !blankValue(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// notef records a note: a part of the metadata deliberately not read, and
// why.
func (ld *loader) notef(format string, args ...any) {
	ld.notes = append(ld.notes, fmt.Sprintf(format, args...))
}

// Top-level keys of the single-file export, by what Warden does with them.
var (
	exportV3Keys = []string{"version", "sources", "inherited_roles"}
	exportV2Keys = []string{"version", "tables", "functions"}
	// exportOtherKeys are read by Hasura and play no part in table
	// permissions: each non-empty one is noted.
	exportOtherKeys = map[string]string{
		"cron_triggers":   "cron triggers: they do not restrict rows",
		"rest_endpoints":  "REST endpoints: they do not restrict rows",
		"api_limits":      "API limits: they do not restrict rows",
		"metrics_config":  "metrics settings: they do not restrict rows",
		"network":         "network settings: they do not restrict rows",
		"backend_configs": "backend settings: they do not restrict rows",
		"opentelemetry":   "OpenTelemetry settings: they do not restrict rows",
		"query_templates": "query templates (Hasura 1.0 betas): not read",
	}
)

// readExport reads the single-file export: {resource_version, metadata}
// (the metadata API's export_metadata), or the metadata object itself, of
// version 3 (sources), 2 or 1 (tables at the top).
func (ld *loader) readExport(file string) {
	l := loc{file: file}
	n, ok := ld.parseFile(file, false, l, nil, "file")
	if !ok {
		return
	}
	if n == nil {
		ld.problemf(l, nil, "%s is empty: it holds no Hasura metadata", file)
		return
	}
	fields, ok := ld.fields(n, l, "the metadata export")
	if !ok && fields == nil {
		return
	}
	if wrapped := fieldNamed(fields, "metadata"); wrapped != nil {
		// The metadata API's answer: resource_version beside the metadata.
		for _, f := range fields {
			if f.key != "metadata" && f.key != "resource_version" {
				ld.problemf(l.key(f.key), f.keyNode, "unknown key %q beside metadata (the export_metadata answer has resource_version and metadata)", f.key)
			}
		}
		l = l.key("metadata")
		if fields, ok = ld.fields(wrapped.val, l, "metadata"); !ok && fields == nil {
			return
		}
	}
	version := 0
	if v := fieldNamed(fields, "version"); v != nil {
		switch n := deref(v.val); {
		case n != nil && (n.Value == "1" || n.Value == "2" || n.Value == "3") && n.Tag == "!!int":
			version = int(n.Value[0] - '0')
		default:
			ld.problemf(l.key("version"), v.val, "metadata version %s is not supported: want 1, 2 or 3", describe(v.val))
			return
		}
	}
	switch {
	case version == 3 || version == 0 && fieldNamed(fields, "sources") != nil:
		version = 3
	case version == 0 && fieldNamed(fields, "tables") != nil:
		version = 1
	case version == 0:
		ld.problemf(l, n, "%s holds no Hasura metadata: want version and sources (version 3) or tables (version 2)", file)
		return
	}
	known := exportV3Keys
	if version < 3 {
		known = exportV2Keys
	}
	for _, f := range fields {
		fl := l.key(f.key)
		switch {
		case f.key == "sources" && version == 3:
			items, _ := ld.list(f.val, fl, "sources")
			for i, it := range items {
				ld.source(it, fl, fl.index(i))
			}
		case f.key == "tables" && version < 3:
			ld.sourceTables(f.val, fl, defaultSource)
		case f.key == "inherited_roles" && version == 3:
			ld.readInherited(f.val, fl)
		case f.key == "actions":
			ld.readActions(f.val, fl)
		case f.key == "custom_types":
			ld.readCustomTypes(f.val)
		case f.key == "remote_schemas":
			ld.readRemoteSchemas(f.val, fl)
		case f.key == "query_collections":
			ld.readCollections(f.val, fl)
		case f.key == "allowlist":
			ld.readAllowList(f.val, fl)
		case f.key == "graphql_schema_introspection":
			ld.readIntrospection(f.val, fl)
		case f.key == "functions" && version < 3:
			ld.readFunctions(f.val, fl, defaultSource.name)
		case contains(known, f.key):
		case exportOtherKeys[f.key] != "":
			if !blankNode(f.val) {
				ld.notef("%s: %s", fl.source(), exportOtherKeys[f.key])
			}
		case f.key == "tables" || f.key == "functions":
			ld.problemf(fl, f.keyNode, "%s at the top level is the metadata version 2 form, but the export says version 3 (tables go under sources)", f.key)
		case f.key == "sources" || f.key == "inherited_roles":
			ld.problemf(fl, f.keyNode, "%s is metadata version 3, but the export says version %d", f.key, version)
		default:
			ld.problemf(fl, f.keyNode, "unknown key %q in the metadata export (is this Hasura metadata?)", f.key)
		}
	}
}

func fieldNamed(fields []field, key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// blankNode says whether a value is null, [] or {}.
func blankNode(n *yaml.Node) bool {
	n = deref(n)
	return isNull(n) || (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && len(n.Content) == 0
}

// noteList notes a list of objects Warden does not read (inline or an
// !include), when it has any.
func (ld *loader) noteList(n *yaml.Node, l loc, why string) {
	if inc, ok := includePath(n); ok {
		file := path.Join(path.Dir(l.file), inc)
		if data, found := ld.readFileUntracked(file); !found || blankYAML(data) {
			return
		}
	} else if blankNode(n) {
		return
	}
	ld.notef("%s: %s", l.source(), why)
}
