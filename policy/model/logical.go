package model

import "sort"

// LogicalModel is a logical model of a source (logical_models): the type
// of the rows its native queries return, with select permissions like a
// table's. Warden decides a native query's root field (policy/graphql),
// and Check and Filter on its rows through NativePolicy.
type LogicalModel struct {
	Name   string
	Source string
	// SourceKind is the kind of its source (postgres, ...).
	SourceKind string
	// Fields in declaration order.
	Fields []string
	// Columns are the fields of a scalar type, typed, in declaration
	// order: the columns a filter may read (fields whose type is another
	// logical model or an array are not columns).
	Columns []*Column
	// Select holds the select permission of each role, inherited roles
	// resolved.
	Select map[string]*LogicalSelect
}

// LogicalSelect is a role's select permission on a logical model.
type LogicalSelect struct {
	// Columns the role may select.
	Columns []string
	// AllRows says the filter is empty ({}, or an inherited role with a
	// parent whose filter is): the role sees every row.
	AllRows bool
	// InheritedFrom names the parents of an inherited role's permission.
	InheritedFrom []string
	// Filter is the permission's row filter over the model's columns; nil
	// when Warden cannot decide it (an inherited role with a parent whose
	// filter was left out as inconsistent).
	Filter BoolExp
	// ColumnConditions is set for inherited roles, as a table's select
	// permission's: a column not every parent grants unconditionally maps
	// to the OR of the granting parents' conditions (Hasura nulls the
	// cell where none holds).
	ColumnConditions map[string]BoolExp
}

// NativeQuery is a native query (native_queries): a root field returning
// rows of a logical model.
type NativeQuery struct {
	RootField string
	Source    string
	// Returns names the logical model (of Source).
	Returns string
	// Relationships are the names of its object and array relationships;
	// RelationshipDefs the same by name, with their targets.
	Relationships    []string
	RelationshipDefs map[string]*NativeRelationship
}

// NativeRelationship is an object or array relationship of a native
// query (using: {column_mapping, remote_native_query | remote_table}).
type NativeRelationship struct {
	Name string
	Kind RelKind
	// NativeQuery names the target native query (remote_native_query);
	// else Table is the target table (remote_table) of the native
	// query's source.
	NativeQuery string
	Table       TableName
	// Mapping pairs a field of the native query's logical model with a
	// column (field) of the target.
	Mapping []ColumnPair
	// Unread says why Warden could not read using ("" when it could): a
	// relationship selected then is undecided.
	Unread string
}

// NativeSchema is the schema of the table-like entities NativePolicy
// builds: one per native query, named by its root field.
const NativeSchema = "native_query"

// NativeTableName names the table-like entity of a native query.
func NativeTableName(rootField string) TableName {
	return TableName{Schema: NativeSchema, Name: rootField}
}

// NativePolicy returns a policy whose tables are the native queries of p,
// each a table-like entity (NativeTableName) whose columns are its
// logical model's columns and whose select permissions are the model's
// (the roles whose filter Warden decides): Check and Filter on a native
// query's rows decide as on a table's. It is a policy apart, so that
// what walks p.Tables (rls, listings, the console) never meets these
// entities. p's tables are in it without their permissions, for the
// filters that read them (_exists). nil when p has no native query.
func (p *Policy) NativePolicy() *Policy {
	if len(p.GraphQL.NativeQueries) == 0 {
		return nil
	}
	out := &Policy{Tables: make(map[TableName]*Table, len(p.Tables)+len(p.GraphQL.NativeQueries)), InheritedRoles: p.InheritedRoles,
		Roles: p.Roles, Source: p.Source, Revision: p.Revision, Ambiguous: p.Ambiguous}
	for name, t := range p.Tables {
		c := *t
		c.Permissions, c.Inconsistent = map[Operation]map[string]*Permission{}, nil
		out.Tables[name] = &c
	}
	for name, nq := range p.GraphQL.NativeQueries {
		lm := p.GraphQL.LogicalModels[nq.Source][nq.Returns]
		if lm == nil {
			continue
		}
		t := &Table{Name: NativeTableName(name), Columns: lm.Columns, Relationships: map[string]*Relationship{},
			Permissions: map[Operation]map[string]*Permission{OpSelect: {}}, Source: nq.Source, SourceKind: lm.SourceKind}
		for role, sel := range lm.Select {
			if sel.Filter == nil {
				continue
			}
			cols := make([]string, 0, len(sel.Columns))
			for _, c := range sel.Columns {
				if _, ok := t.Column(c); ok {
					cols = append(cols, c)
				}
			}
			sort.Strings(cols)
			var conds map[string]BoolExp
			for c, cond := range sel.ColumnConditions {
				if _, ok := t.Column(c); ok {
					if conds == nil {
						conds = map[string]BoolExp{}
					}
					conds[c] = cond
				}
			}
			t.Permissions[OpSelect][role] = &Permission{Role: role, Op: OpSelect, Columns: cols, Filter: sel.Filter, Inherited: sel.InheritedFrom, ColumnConditions: conds}
		}
		t.IndexColumns()
		out.Tables[t.Name] = t
	}
	return out
}
