package graphql

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// Native queries (native_queries of a source): a root field returning
// rows of a logical model, under the logical model's select permission
// as a table's rows are under the table's. The role's schema has the
// field when it has that permission, and the fields selected must be
// among its columns. An allowed field carries its rows as a table
// selection of the native query's entity (model.NativeTableName), which
// Filter answers on (its filter over the logical model's fields); a
// filter Warden does not decide (an inherited role whose parents grant
// different columns) leaves a field whose rows it restricts undecided.

// decideNative decides a native query root field; ok is false when f is
// none.
func decideNative(p *model.Policy, role string, op ast.Operation, f *ast.Field) (RootField, bool) {
	nq := p.GraphQL.NativeQueries[f.Name]
	if nq == nil || op == ast.Mutation {
		return RootField{}, false
	}
	// The naming convention changes none of the names read here: Hasura
	// names the field by root_field_name as written
	// (Hasura.NativeQuery.Schema, getNativeQueryName) and the logical
	// model's fields by their names as written
	// (Hasura.LogicalModel.Schema, G.mkName of the field), under
	// graphql-default too; the arguments (args, where, orderBy, ...) are
	// not read.
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: NativeQueryField}
	lm := p.GraphQL.LogicalModels[nq.Source][nq.Returns]
	if role == model.AdminRole {
		rf.Decision, rf.Reason = Allow, "admin may use every native query"
		return rf, true
	}
	var sel *model.LogicalSelect
	if lm != nil {
		sel = lm.Select[role]
	}
	if sel == nil {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("native query %s returns logical model %s, on which role %s has no select permission", nq.RootField, nq.Returns, role)
		return rf, true
	}
	cols := map[string]bool{}
	d, why := nativeSelection(nq, lm, sel, f.SelectionSet, 0, cols)
	switch {
	case d != Allow:
		rf.Decision, rf.Reason = d, why
	case sel.Filter != nil:
		rf.Decision = Allow
		rf.Reason = fmt.Sprintf("native query %s: role %s may select the fields selected of logical model %s, on the rows of its select permission (Filter on %s gives the row filter)", nq.RootField, role, lm.Name, model.NativeTableName(nq.RootField))
		if sel.AllRows {
			rf.Reason = fmt.Sprintf("native query %s: role %s may select every row of logical model %s and the fields selected", nq.RootField, role, lm.Name)
		}
		name := model.NativeTableName(nq.RootField)
		rf.Table = &TableField{Table: name, Kind: model.RootSelect, Selections: []Selection{{
			Path: f.Alias, Table: name, Op: model.OpSelect, Columns: slices.Sorted(maps.Keys(cols))}}}
	case !sel.AllRows:
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("native query %s: the select permission of role %s on logical model %s filters its rows, and Warden does not decide it (an inherited role whose parents grant different columns, or a filter left out as inconsistent)", nq.RootField, role, lm.Name)
	default:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("native query %s: role %s may select every row of logical model %s and the fields selected", nq.RootField, role, lm.Name)
	}
	return rf, true
}

// nativeSelection checks the fields selected from the logical model.
// The columns selected are added to cols.
func nativeSelection(nq *model.NativeQuery, lm *model.LogicalModel, sel *model.LogicalSelect, set ast.SelectionSet, depth int, cols map[string]bool) (Decision, string) {
	if depth > maxFragmentDepth {
		return Deny, fmt.Sprintf("fragments in the selection of %s nest deeper than %d (a cycle?)", nq.RootField, maxFragmentDepth)
	}
	if set == nil && depth == 0 {
		return Deny, fmt.Sprintf("%s needs a selection of fields", nq.RootField)
	}
	result, reason := Allow, ""
	for _, s := range set {
		var d Decision
		var why string
		switch s := s.(type) {
		case *ast.Field:
			d, why = nativeField(nq, lm, sel, s.Name)
			if d == Allow && s.Name != "__typename" {
				cols[s.Name] = true
			}
		case *ast.InlineFragment:
			if s.TypeCondition != "" && s.TypeCondition != lm.Name {
				return Deny, fmt.Sprintf("a fragment on %s cannot apply to %s (at %s)", s.TypeCondition, lm.Name, nq.RootField)
			}
			d, why = nativeSelection(nq, lm, sel, s.SelectionSet, depth+1, cols)
		case *ast.FragmentSpread:
			if s.Definition == nil || s.Definition.TypeCondition != lm.Name {
				return Deny, fmt.Sprintf("fragment %s does not apply to %s (at %s)", s.Name, lm.Name, nq.RootField)
			}
			d, why = nativeSelection(nq, lm, sel, s.Definition.SelectionSet, depth+1, cols)
		}
		switch d {
		case Deny:
			return d, why
		case Undecided:
			result, reason = d, why
		}
	}
	return result, reason
}

func nativeField(nq *model.NativeQuery, lm *model.LogicalModel, sel *model.LogicalSelect, name string) (Decision, string) {
	switch {
	case name == "__typename" || containsRole(sel.Columns, name):
		return Allow, ""
	case containsRole(nq.Relationships, name):
		return Undecided, fmt.Sprintf("%s is a relationship of native query %s, which Warden does not decide yet", name, nq.RootField)
	case containsRole(lm.Fields, name):
		return Deny, fmt.Sprintf("field %s of logical model %s is not among the columns the role may select", name, lm.Name)
	}
	return Deny, fmt.Sprintf("logical model %s has no field %s", lm.Name, name)
}
