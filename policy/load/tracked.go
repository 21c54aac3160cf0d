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
// functions the metadata's computed fields call: what `warden schema pull`
// reads from the database.
func TrackedFS(ctx context.Context, fsys fs.FS) (tables, functions []model.TableName, err error) {
	ld := newLoader(ctx, fsys, []Option{func(c *config) { c.tablesOnly = true }})
	ld.readMetadata(ld.findMetadata())
	if ld.err != nil {
		return nil, nil, ld.err
	}
	if len(ld.problems) > 0 {
		sortProblems(ld.problems)
		return nil, nil, &ValidationError{Problems: ld.problems}
	}
	seen := map[model.TableName]bool{}
	for _, e := range ld.order {
		seen[e.name] = true
		ld.namedTables(e.node, e.loc, seen)
	}
	if len(ld.problems) > 0 {
		sortProblems(ld.problems)
		return nil, nil, &ValidationError{Problems: ld.problems}
	}
	out := make([]model.TableName, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	for f := range ld.functionNames {
		functions = append(functions, f)
	}
	sort.Slice(functions, func(i, j int) bool { return functions[i].Less(functions[j]) })
	return out, functions, nil
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
