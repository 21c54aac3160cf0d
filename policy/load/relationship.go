package load

import (
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// relationships resolves a table entry's object and array relationships.
func (ld *loader) relationships(e *tableEntry) {
	t := e.table
	for _, kind := range []model.RelKind{model.RelObject, model.RelArray} {
		key := kind.String() + "_relationships"
		l := e.loc.key(key)
		items, _ := ld.list(e.keys[key], l, key)
		for i, it := range items {
			el := l.index(i)
			k, _ := ld.object(it, el, "relationship", []string{"name", "using"}, []string{"comment"})
			if k == nil {
				continue
			}
			name, ok := ld.str(k["name"], el.key("name"), "relationship name")
			if !ok {
				continue
			}
			el = l.sel("name", name)
			if _, dup := t.Relationships[name]; dup || ld.badRels[t.Name][name] != nil {
				ld.problemf(el.key("name"), k["name"], "relationship %s is defined twice on %s", name, t.Name)
				continue
			}
			bad := &model.Inconsistency{Kind: "relationship", Table: t.Name, Name: name, Source: el.source()}
			var r *model.Relationship
			if ld.consistent(bad, func() {
				if _, clash := t.Column(name); clash {
					ld.problemf(el.key("name"), k["name"], "relationship %s has the name of a column of %s", name, t.Name)
					return
				}
				r = ld.relationship(t, kind, name, k["using"], el.key("using"))
				if r != nil && ld.tables[r.Target] != nil && ld.tables[r.Target].Source == "" {
					// Hasura relates tracked tables only: the relationship
					// depends on its target (DRRemoteTable) and is
					// inconsistent without it.
					ld.problemf(el.key("using"), k["using"], "relationship %s of %s leads to %s, which the metadata does not track: Hasura relates tracked tables only (\"table %s does not exist\"); track it in the metadata", name, t.Name, r.Target, r.Target)
					r = nil
				}
			}) && r != nil {
				t.Relationships[name] = r
			} else if r == nil && !ld.cfg.strict {
				if ld.badRels[t.Name] == nil {
					ld.badRels[t.Name] = map[string]*model.Inconsistency{}
				}
				ld.badRels[t.Name][name] = bad
			}
		}
	}
}

func (ld *loader) relationship(t *model.Table, kind model.RelKind, name string, n *yaml.Node, l loc) *model.Relationship {
	k, _ := ld.object(n, l, "using", []string{"foreign_key_constraint_on", "manual_configuration"}, nil)
	if k == nil {
		return nil
	}
	fk, manual := k["foreign_key_constraint_on"], k["manual_configuration"]
	switch {
	case fk != nil && manual != nil:
		ld.problemf(l, n, "using must have exactly one of foreign_key_constraint_on and manual_configuration")
	case fk != nil:
		return ld.fkRelationship(t, kind, name, fk, l.key("foreign_key_constraint_on"))
	case manual != nil:
		return ld.manualRelationship(t, kind, name, manual, l.key("manual_configuration"))
	default:
		ld.problemf(l, n, "using must have foreign_key_constraint_on or manual_configuration")
	}
	return nil
}

// fkRelationship resolves foreign_key_constraint_on: a column of this table
// ("col", [cols], {column}, {columns}) whose foreign key gives the target,
// or {table, column(s)}: the target's columns that reference this table.
func (ld *loader) fkRelationship(t *model.Table, kind model.RelKind, name string, n *yaml.Node, l loc) *model.Relationship {
	var cols []string
	var remote *model.Table
	n = deref(n)
	if n != nil && n.Kind == yaml.MappingNode {
		k, _ := ld.object(n, l, "foreign_key_constraint_on", []string{"table", "column", "columns"}, nil)
		if k == nil {
			return nil
		}
		switch {
		case k["column"] != nil && k["columns"] != nil:
			ld.problemf(l, n, "give column or columns, not both")
			return nil
		case k["column"] != nil:
			c, ok := ld.str(k["column"], l.key("column"), "column")
			if !ok {
				return nil
			}
			cols = []string{c}
		case k["columns"] != nil:
			var ok bool
			if cols, ok = ld.strList(k["columns"], l.key("columns"), "columns"); !ok {
				return nil
			}
		}
		if k["table"] != nil {
			tn, ok := ld.metaTableName(k["table"], l.key("table"))
			if !ok {
				return nil
			}
			tn = ld.qualify(t.Source, tn)
			if remote, ok = ld.tables[tn]; !ok {
				ld.problemf(l.key("table"), k["table"], "%s", notInSchema(tn))
				return nil
			}
		}
	} else if n != nil && n.Kind == yaml.SequenceNode {
		// A list of this table's columns: a composite foreign key, as
		// Hasura reads it (a column or a non-empty list of them).
		var ok bool
		if cols, ok = ld.strList(n, l, "foreign_key_constraint_on"); !ok {
			return nil
		}
	} else {
		c, ok := ld.str(n, l, "foreign_key_constraint_on")
		if !ok {
			return nil
		}
		cols = []string{c}
	}
	if len(cols) == 0 {
		ld.problemf(l, n, "foreign_key_constraint_on needs column or columns")
		return nil
	}
	if remote == nil && kind == model.RelArray {
		ld.problemf(l, n, "an array relationship names the referencing table: foreign_key_constraint_on: {table: ..., column: ...}")
		return nil
	}
	owner := t
	if remote != nil {
		owner = remote
	}
	for _, c := range cols {
		if _, ok := owner.Column(c); !ok {
			ld.problemf(l, n, "%q is not a column of %s (columns: %s)", c, owner.Name, columnList(owner))
			return nil
		}
	}
	var found []model.ForeignKey
	for _, fk := range owner.ForeignKeys {
		// A foreign key references a table of its own database: t's source.
		if sameSet(fk.Columns, cols) && (remote == nil || ld.qualify(t.Source, fk.RefTable.Unqualified()) == t.Name) {
			found = append(found, fk)
		}
	}
	switch {
	case len(found) == 0 && remote == nil:
		ld.problemf(l, n, "relationship %s: the schema has no foreign key on %s (%s)", name, t.Name, strings.Join(cols, ", "))
		return nil
	case len(found) == 0:
		ld.problemf(l, n, "relationship %s: the schema has no foreign key on %s (%s) referencing %s", name, remote.Name, strings.Join(cols, ", "), t.Name)
		return nil
	case len(found) > 1:
		ld.problemf(l, n, "relationship %s: several foreign keys on %s (%s); use manual_configuration", name, owner.Name, strings.Join(cols, ", "))
		return nil
	}
	fk := found[0]
	r := &model.Relationship{Name: name, Kind: kind, Target: ld.qualify(t.Source, fk.RefTable.Unqualified())}
	for i := range fk.Columns {
		r.Mapping = append(r.Mapping, model.ColumnPair{Local: fk.Columns[i], Remote: fk.RefColumns[i]})
	}
	if remote != nil {
		r.Target = remote.Name
		for i := range r.Mapping {
			r.Mapping[i] = model.ColumnPair{Local: fk.RefColumns[i], Remote: fk.Columns[i]}
		}
	}
	return r
}

// manualRelationship resolves {remote_table, column_mapping: {local: remote}}.
func (ld *loader) manualRelationship(t *model.Table, kind model.RelKind, name string, n *yaml.Node, l loc) *model.Relationship {
	k, _ := ld.object(n, l, "manual_configuration", []string{"remote_table", "column_mapping"}, []string{"insertion_order"})
	if k == nil {
		return nil
	}
	tn, ok := ld.metaTableName(k["remote_table"], l.key("remote_table"))
	if !ok {
		return nil
	}
	tn = ld.qualify(t.Source, tn)
	target, ok := ld.tables[tn]
	if !ok {
		ld.problemf(l.key("remote_table"), k["remote_table"], "%s", notInSchema(tn))
		return nil
	}
	ml := l.key("column_mapping")
	fields, ok := ld.fields(k["column_mapping"], ml, "column_mapping")
	if !ok {
		return nil
	}
	if len(fields) == 0 {
		ld.problemf(ml, k["column_mapping"], "column_mapping is empty")
		return nil
	}
	r := &model.Relationship{Name: name, Kind: kind, Target: tn}
	good := true
	for _, f := range fields {
		lc, ok := t.Column(f.key)
		if !ok {
			ld.problemf(ml.key(f.key), f.keyNode, "%q is not a column of %s (columns: %s)", f.key, t.Name, columnList(t))
			good = false
			continue
		}
		rn, ok := ld.str(f.val, ml.key(f.key), "remote column")
		if !ok {
			good = false
			continue
		}
		rc, ok := target.Column(rn)
		if !ok {
			ld.problemf(ml.key(f.key), f.val, "%q is not a column of %s (columns: %s)", rn, target.Name, columnList(target))
			good = false
			continue
		}
		if lc.Type.Kind != rc.Type.Kind && !model.Joinable(lc.Type.Kind, rc.Type.Kind) {
			// Hasura accepts it (it does not check a manual
			// relationship's types) and every query through it then
			// fails in the database; here it is left out as inconsistent,
			// so that no permission reads rows through a join no
			// database runs alike.
			lt, rt := typeLabel(lc), typeLabel(rc)
			ld.problemf(ml.key(f.key), f.val, "cannot join %s.%s (%s) with %s.%s (%s): the types differ (Hasura accepts this relationship, but PostgreSQL cannot compare %s with %s, so Hasura's queries through it fail)",
				t.Name, lc.Name, lt, target.Name, rc.Name, rt, lt, rt)
			good = false
			continue
		}
		r.Mapping = append(r.Mapping, model.ColumnPair{Local: lc.Name, Remote: rc.Name})
	}
	if !good {
		return nil
	}
	return r
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func columnList(t *model.Table) string { return strings.Join(t.ColumnNames(), ", ") }

func relationshipList(t *model.Table) string {
	names := make([]string, 0, len(t.Relationships))
	for n := range t.Relationships {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
