package load

import (
	"sort"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// Computed fields: Hasura's SQL functions of a row, which rules read like
// columns. The metadata defines them on a table entry ({name, definition:
// {function, table_argument, session_argument}}); the schema file declares
// the functions with what they return (schemaFunctions).

// schemaFunction is a function the schema file declares.
type schemaFunction struct {
	// typ is the scalar result type; setof the table of a set-returning
	// function (nil for a scalar one).
	typ   model.Type
	setof *model.TableName
}

// schemaFunctions reads the schema file's functions: {name, returns: type
// (with base and enum as a column has them) | setof: table}.
func (ld *loader) schemaFunctions(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "functions")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "schema function", []string{"name", "returns", "base", "enum", "setof"}, nil)
		if k == nil {
			continue
		}
		name, ok := ld.tableName(k["name"], el.key("name"))
		if !ok {
			continue
		}
		el = l.sel("name", name.String())
		if ld.functions[name] != nil {
			ld.problemf(el, it, "function %s is declared twice in the schema", name)
			continue
		}
		f := &schemaFunction{}
		switch {
		case (k["returns"] == nil) == (k["setof"] == nil):
			ld.problemf(el, it, "function %s needs exactly one of returns (a type) and setof (a table)", name)
			continue
		case k["setof"] != nil:
			t, ok := ld.tableName(k["setof"], el.key("setof"))
			if !ok {
				continue
			}
			f.setof = &t
		default:
			typ, ok := ld.str(k["returns"], el.key("returns"), "return type")
			if !ok {
				continue
			}
			if f.typ, ok = ld.columnType(typ, k, el, "the result of "+name.String()); !ok {
				continue
			}
		}
		ld.functions[name] = f
	}
}

// computedFields reads a table entry's computed fields. Each that resolves
// to a scalar function of the schema becomes a pseudo-column of the table
// (Table.Computed); one whose function is missing is inconsistent, and the
// rules that read it with it. Without a schema (TrackedTables) only the
// functions' names are kept, for schema pull.
func (ld *loader) computedFields(table model.TableName, t *model.Table, src sourceInfo, n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "computed_fields")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "computed field", []string{"name", "definition"}, []string{"comment"})
		if k == nil {
			continue
		}
		name, ok := ld.str(k["name"], el.key("name"), "computed field name")
		if !ok {
			continue
		}
		el = l.sel("name", name)
		if t != nil {
			if _, clash := t.Column(name); clash {
				ld.problemf(el.key("name"), k["name"], "computed field %s has the name of a column of %s", name, t.Name)
				continue
			}
		}
		if ld.computed[table][name] {
			ld.problemf(el.key("name"), k["name"], "computed field %s is defined twice on %s", name, table)
			continue
		}
		if ld.computed[table] == nil {
			ld.computed[table] = map[string]bool{}
		}
		ld.computed[table][name] = true
		dl := el.key("definition")
		d, _ := ld.object(k["definition"], dl, "computed field definition",
			[]string{"function", "table_argument", "session_argument"}, nil)
		switch {
		case k["definition"] == nil:
			ld.problemf(el, it, "computed field %s needs a definition", name)
			continue
		case d == nil:
			continue
		case d["function"] == nil:
			ld.problemf(dl, k["definition"], "the definition of computed field %s needs a function", name)
			continue
		}
		fn, ok := ld.metaTableName(d["function"], dl.key("function"))
		if !ok {
			continue
		}
		cf := &model.ComputedField{Name: name, Function: fn}
		for key, dst := range map[string]*string{"table_argument": &cf.TableArgument, "session_argument": &cf.SessionArgument} {
			if d[key] != nil {
				if v, ok := ld.str(d[key], dl.key(key), key); ok {
					*dst = v
				}
			}
		}
		if ld.cfg.tablesOnly {
			ld.functionNames[fn] = src.name
			continue
		}
		bad := &model.Inconsistency{Kind: "computed field", Table: table, Name: name, Source: el.source()}
		good := ld.consistent(bad, func() {
			f := ld.functions[fn]
			switch {
			case f == nil:
				ld.problemf(dl.key("function"), d["function"],
					"function %s of computed field %s is not in the schema file ('warden schema pull' writes the functions computed fields name)", fn, name)
			case f.setof != nil:
				target, ok := ld.tables[ld.qualify(src.name, *f.setof)]
				if !ok {
					ld.problemf(dl.key("function"), d["function"], "function %s of computed field %s returns rows of %s, which is not in the schema", fn, name, *f.setof)
					return
				}
				// Read in rules like an array relationship: EXISTS over
				// the function's rows.
				t.Relationships[name] = &model.Relationship{Name: name, Kind: model.RelArray, Target: target.Name, Function: cf}
			default:
				if t.Computed == nil {
					t.Computed = map[string]*model.Column{}
				}
				t.Computed[name] = &model.Column{Name: name, Type: f.typ, Nullable: true, Computed: cf}
			}
		})
		if !good {
			if ld.badComputed[table] == nil {
				ld.badComputed[table] = map[string]*model.Inconsistency{}
			}
			ld.badComputed[table][name] = bad
		}
	}
}

// permComputedFields reads a select permission's computed_fields: names of
// the table's computed fields, sorted without duplicates.
func (ld *loader) permComputedFields(t *model.Table, n *yaml.Node, l loc, ok *bool) []string {
	names, good := ld.strList(n, l, "computed_fields")
	if !good {
		*ok = false
		return nil
	}
	set := map[string]bool{}
	for i, name := range names {
		switch {
		case !ld.computed[t.Name][name]:
			ld.problemf(l.index(i), elem(n, i), "%q is not a computed field of %s", name, t.Name)
			*ok = false
		case ld.badComputed[t.Name][name] != nil:
			ld.problemf(l.index(i), elem(n, i), "computed field %s of %s is inconsistent (%s)", name, t.Name, ld.badComputed[t.Name][name].Source)
			*ok = false
		case t.Relationships[name] != nil && t.Relationships[name].Function != nil:
			// Hasura's buildSelPermInfo refuses it (NotSupported), the
			// permission inconsistent: the field follows the select
			// permission on the table it returns.
			ld.problemf(l.index(i), elem(n, i), "select permissions on computed field %s are auto-derived from the permissions on its returning table %s and cannot be specified manually", name, t.Relationships[name].Target)
			*ok = false
		default:
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
