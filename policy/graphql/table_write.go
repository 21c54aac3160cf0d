package graphql

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// updateOperators are the arguments of update mutations that set columns
// (PostgreSQL's: _set, _inc and the jsonb operators).
var updateOperators = []string{"_set", "_inc", "_append", "_prepend", "_delete_key", "_delete_elem", "_delete_at_path"}

// asList reads a value where GraphQL takes a list: a list, or one value
// standing for a list of one (GraphQL's input coercion); null is empty.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// argValue resolves an argument of a field; nil when it is absent.
func (d *tableDecider) argValue(args ast.ArgumentList, name string) (any, error) {
	a := args.ForName(name)
	if a == nil {
		return nil, nil
	}
	return d.value(a.Value)
}

// insert decides the rows an insert gives (an object or a list of them,
// literal or from variables): each key is a column the insert permission
// lets the role set (presets are not in Hasura's input type) or a
// relationship to a table it may insert into (a nested insert, decided
// the same way); on_conflict needs the update permission, and its
// update_columns are columns that permission lets it set.
func (d *tableDecider) insert(t *model.Table, pm *model.Permission, objects, conflict any, path, rel, tname string, depth int) error {
	if depth > maxSelectionDepth {
		return deny("%s: nested inserts go deeper than %d", path, maxSelectionDepth)
	}
	at := len(d.sels)
	d.sels = append(d.sels, Selection{Path: path, Table: t.Name, Op: model.OpInsert, Relationship: rel})
	n := namesOf(t)
	inputType := n.typ(tname, "insert", "input")
	var set []string
	if pm != nil {
		set = settable(pm)
	}
	cols := map[string]bool{}
	for _, row := range asList(objects) {
		obj, _ := row.(map[string]any)
		for k, x := range obj {
			if col, ok := columnByField(t, k); ok {
				if pm != nil && !slices.Contains(set, col) {
					return deny("field '%s' not found in type: '%s': role %s may not insert column %s of %s%s", k, inputType, d.req.Role, col, t.Name, presetNote(pm, col))
				}
				cols[col] = true
				continue
			}
			r := t.Relationships[k]
			if r == nil || r.Function != nil {
				return deny("field '%s' not found in type: '%s'", k, inputType)
			}
			target := d.p.Tables[d.p.Resolve(r.Target, t.Source)]
			switch {
			case target == nil:
				return &undecidedError{"relationship " + r.Name + " of " + t.Name.String() + " leads to a table not in the policy"}
			case target.GraphQL != nil && target.GraphQL.NamesUnknown:
				return &undecidedError{"relationship " + r.Name + " of " + t.Name.String() + " leads to " + target.Name.String() + ", whose GraphQL field names Warden cannot tell (see the load notes)"}
			}
			tpm, err := d.perm(target, model.OpInsert, k)
			if err != nil {
				if _, ok := err.(*denial); ok {
					return deny("field '%s' not found in type: '%s': role %s has no insert permission on %s", k, inputType, d.req.Role, target.Name)
				}
				return err
			}
			nested, _ := x.(map[string]any)
			relInput := []string{"obj", "rel", "insert", "input"}
			if r.Kind == model.RelArray {
				relInput[0] = "arr"
			}
			if err := namesOf(target).checkKeys(nested, namesOf(target).typ(typeName(target), relInput...)); err != nil {
				return err
			}
			if err := d.insert(target, tpm, nested["data"], namesOf(target).arg(nested, "on_conflict"), join(path, k), r.Name, typeName(target), depth+1); err != nil {
				return err
			}
		}
	}
	d.sels[at].Columns = sortedSet(cols)
	if conflict == nil {
		return nil
	}
	onConflict := n.name("on_conflict")
	upm, err := d.perm(t, model.OpUpdate, onConflict)
	if err != nil {
		if _, ok := err.(*denial); ok {
			return deny("argument '%s' not found: role %s has no update permission on %s, so it may not upsert", onConflict, d.req.Role, t.Name)
		}
		return err
	}
	c, _ := conflict.(map[string]any)
	if len(n.names("update_columns")) > 1 && c[n.names("update_columns")[0]] != nil && c[n.names("update_columns")[1]] != nil {
		return deny("%s: both spellings of update_columns are given; a Hasura version knows one of them", onConflict)
	}
	ucols := map[string]bool{}
	for _, x := range asList(n.arg(c, "update_columns")) {
		s, _ := x.(string)
		col, ok := columnByField(t, s)
		if !ok || upm != nil && !slices.Contains(settable(upm), col) {
			return deny("value '%s' not found in enum: '%s': role %s may not update it on %s", s, n.typ(tname, "update", "column"), d.req.Role, t.Name)
		}
		ucols[col] = true
	}
	sel, err := d.readPerm(t)
	if err != nil {
		return err
	}
	if err := d.boolExp(t, sel, c["where"], n.typ(tname, "bool", "exp"), depth+1); err != nil {
		return err
	}
	d.sels = append(d.sels, Selection{Path: join(path, onConflict), Table: t.Name, Op: model.OpUpdate, Relationship: rel, Columns: sortedSet(ucols)})
	return nil
}

// presetNote says why a column is not settable when a preset sets it.
func presetNote(pm *model.Permission, col string) string {
	if _, ok := pm.Set[col]; ok {
		return " (the permission presets it)"
	}
	return ""
}

// update decides an update mutation: the columns its operators set
// (_set, _inc, ...; for update_many those of each of its updates) are
// columns the update permission lets the role set, and its where compares
// columns the select permission grants.
func (d *tableDecider) update(t *model.Table, pm, sel *model.Permission, f *ast.Field, path string, tf model.TableRootField) error {
	cols := map[string]bool{}
	n := namesOf(t)
	batch := func(get func(string) (any, error)) error {
		for _, opName := range updateOperators {
			v, err := get(n.name(opName))
			if err != nil {
				return err
			}
			obj, _ := v.(map[string]any)
			for k := range obj {
				col, ok := columnByField(t, k)
				if !ok || pm != nil && !slices.Contains(settable(pm), col) {
					note := ""
					if ok {
						note = presetNote(pm, col)
					}
					// Hasura's input types: <table>_set_input, <table>_inc_input, ...
					words := append(strings.Split(strings.TrimPrefix(opName, "_"), "_"), "input")
					return deny("field '%s' not found in type: '%s': role %s may not update it on %s%s", k, n.typ(tf.TypeName, words...), d.req.Role, t.Name, note)
				}
				cols[col] = true
			}
		}
		where, err := get("where")
		if err != nil {
			return err
		}
		return d.boolExp(t, sel, where, n.typ(tf.TypeName, "bool", "exp"), 0)
	}
	if tf.Kind == model.RootUpdateMany {
		v, err := d.argValue(f.Arguments, "updates")
		if err != nil {
			return err
		}
		for _, u := range asList(v) {
			obj, _ := u.(map[string]any)
			if err := n.checkKeys(obj, n.typ(tf.TypeName, "updates")); err != nil {
				return err
			}
			if err := batch(func(name string) (any, error) { return obj[name], nil }); err != nil {
				return err
			}
		}
	} else if err := batch(func(name string) (any, error) { return d.argValue(f.Arguments, name) }); err != nil {
		return err
	}
	d.sels = append(d.sels, Selection{Path: path, Table: t.Name, Op: model.OpUpdate, Columns: sortedSet(cols)})
	return nil
}
