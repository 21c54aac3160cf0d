package load

import (
	"context"
	"io/fs"
	"os"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// TrackedTables reads the metadata of the policy directory dir without a
// schema and returns, sorted, every table it names: the tracked tables,
// relationship targets named in the metadata (manual_configuration's
// remote_table, an array relationship's foreign_key_constraint_on.table)
// and _exists tables. It is what `warden schema pull` introspects; tables
// reached only through a foreign key of a tracked table are the caller's to
// add.
func TrackedTables(ctx context.Context, dir string) ([]model.TableName, error) {
	return TrackedTablesFS(ctx, os.DirFS(dir))
}

// TrackedTablesFS is TrackedTables over an fs.FS.
func TrackedTablesFS(ctx context.Context, fsys fs.FS) ([]model.TableName, error) {
	tables, _, err := TrackedFS(ctx, fsys)
	return tables, err
}

// TrackedFS returns, sorted, the tables TrackedTables names and the SQL
// functions the metadata's computed fields call or it tracks, over every source: what
// `warden schema pull` reads from the database.
func TrackedFS(ctx context.Context, fsys fs.FS) (tables, functions []model.TableName, err error) {
	sources, err := TrackedSourcesFS(ctx, fsys)
	if err != nil {
		return nil, nil, err
	}
	t, f := map[model.TableName]bool{}, map[model.TableName]bool{}
	for _, s := range sources {
		for _, n := range s.Tables {
			t[n] = true
		}
		for _, n := range s.Functions {
			f[n] = true
		}
	}
	return sortedNames(t), sortedNames(f), nil
}

// TrackedSource is what one source of the metadata names: the tables of its
// database (tracked, relationship targets, _exists tables) and the functions
// its computed fields call or that it tracks (a tracked function is decided
// from the table the schema file says it returns).
type TrackedSource struct {
	// Name and Kind of the source ("postgres" when the metadata gives none).
	Name, Kind string
	// Decidable says whether Warden decides tables of this kind (postgres,
	// citus, cockroach).
	Decidable bool
	Tables    []model.TableName
	Functions []model.TableName
}

// TrackedSourcesFS lists, in the metadata's order, every source with what
// it names; what `warden schema pull` reads from each source's database.
func TrackedSourcesFS(ctx context.Context, fsys fs.FS) ([]TrackedSource, error) {
	ld := newLoader(ctx, fsys, []Option{func(c *config) { c.tablesOnly = true }})
	ld.readMetadata(ld.findMetadata())
	if ld.err != nil {
		return nil, ld.err
	}
	if len(ld.problems) > 0 {
		sortProblems(ld.problems)
		return nil, &ValidationError{Problems: ld.problems}
	}
	var order []string
	infos := map[string]sourceInfo{}
	tables := map[string]map[model.TableName]bool{}
	addSource := func(src sourceInfo) {
		if tables[src.name] == nil {
			tables[src.name] = map[model.TableName]bool{}
			infos[src.name] = src
			order = append(order, src.name)
		}
	}
	// Every source databases.yaml lists, even one that tracks no table
	// (yet): a --database-url SOURCE=URL naming it is not a mistake.
	for _, src := range ld.sources {
		addSource(src)
	}
	for _, e := range ld.order {
		src := e.source.name
		addSource(e.source)
		tables[src][e.name] = true
		if e.source.decidable() {
			// Another kind's tables are not pulled, nor what they name.
			ld.namedTables(e.node, e.loc, tables[src])
		}
	}
	if len(ld.problems) > 0 {
		sortProblems(ld.problems)
		return nil, &ValidationError{Problems: ld.problems}
	}
	functions := map[string]map[model.TableName]bool{}
	addFunction := func(f model.TableName, src string) {
		if functions[src] == nil {
			functions[src] = map[model.TableName]bool{}
		}
		functions[src][f] = true
	}
	for f, src := range ld.functionNames {
		addFunction(f, src)
	}
	for _, d := range ld.gql.functions {
		addFunction(d.name, d.source)
	}
	out := make([]TrackedSource, 0, len(order))
	for _, src := range order {
		info := infos[src]
		out = append(out, TrackedSource{Name: src, Kind: info.kind, Decidable: info.decidable(),
			Tables: sortedNames(tables[src]), Functions: sortedNames(functions[src])})
	}
	return out, nil
}

func sortedNames(set map[model.TableName]bool) []model.TableName {
	out := make([]model.TableName, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// namedTables adds every table named under n: remote_table,
// foreign_key_constraint_on: {table: ...} and _exists: {_table: ...}.
func (ld *loader) namedTables(n *yaml.Node, l loc, seen map[model.TableName]bool) {
	n = deref(n)
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			ld.namedTables(c, l, seen)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			switch key {
			case "remote_table", "_table":
				if t, ok := ld.metaTableName(val, l.key(key)); ok {
					seen[t] = true
				}
				continue
			case "foreign_key_constraint_on":
				if v := deref(val); v != nil && v.Kind == yaml.MappingNode {
					for j := 0; j+1 < len(v.Content); j += 2 {
						if v.Content[j].Value == "table" {
							if t, ok := ld.metaTableName(v.Content[j+1], l.key(key)); ok {
								seen[t] = true
							}
						}
					}
				}
				continue
			}
			ld.namedTables(val, l, seen)
		}
	}
}
