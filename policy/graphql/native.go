package graphql

import (
	"errors"
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
// among its columns; its where, order_by and distinct_on arguments are
// over the logical model's fields (native_args.go). An allowed field carries its rows as a table
// selection of the native query's entity (model.NativeTableName), which
// Filter answers on (its filter over the logical model's fields, and for
// an inherited role the conditions of the columns its parents grant
// differently, as for a table); a filter Warden does not have (left out
// as inconsistent, or an inherited role's parent's so left out) leaves a
// field whose rows it restricts undecided.

// decideNative decides a native query root field; ok is false when f is
// none.
func decideNative(w *walk, p *model.Policy, req Request, op ast.Operation, f *ast.Field) (RootField, bool) {
	role := req.Role
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
	if set := f.SelectionSet; len(set) == 0 {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("%s needs a selection of fields", nq.RootField)
		return rf, true
	}
	nd := &nativeDecider{tableDecider: &tableDecider{walk: w, p: p, req: req}}
	d, why := worse(nd.read(nq, lm, sel, f.SelectionSet, f.Alias, "", 0))(nd.nativeArgs(lm, f.Arguments, 0))
	switch {
	case d != Allow:
		rf.Decision, rf.Reason = d, why
	case sel.Filter != nil:
		rf.Decision = Allow
		rf.Reason = fmt.Sprintf("native query %s: role %s may select the fields selected of logical model %s, on the rows of its select permission (Filter on %s gives the row filter)", nq.RootField, role, lm.Name, model.NativeTableName(nq.RootField))
		if sel.AllRows {
			rf.Reason = fmt.Sprintf("native query %s: role %s may select every row of logical model %s and the fields selected", nq.RootField, role, lm.Name)
		}
		if len(nd.sels) > 1 {
			rf.Reason += "; each relationship's rows are under its target's select permission (its selection's Filter)"
		}
		rf.Table = &TableField{Table: model.NativeTableName(nq.RootField), Kind: model.RootSelect, Selections: nd.sels}
		rf.Presets = nd.presets
	case !sel.AllRows:
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("native query %s: the select permission of role %s on logical model %s filters its rows, and Warden does not decide it (a filter left out as inconsistent, or an inherited role with a parent's so left out)", nq.RootField, role, lm.Name)
	case len(nd.sels) > 1:
		// Every row, but no compiled filter to carry the relationships'
		// selections with (an inherited role with a parent whose filter
		// was left out as inconsistent).
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("native query %s: role %s sees every row of logical model %s, but Warden does not compile its permission (a parent's filter left out as inconsistent), so the relationships selected cannot be listed with Filter's answer", nq.RootField, role, lm.Name)
	default:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("native query %s: role %s may select every row of logical model %s and the fields selected", nq.RootField, role, lm.Name)
	}
	return rf, true
}

// nativeDecider decides the selections of a native query's rows: its
// fields, and its relationships (to native queries, decided here, and to
// tables, decided by the table decider), recording each selection.
type nativeDecider struct {
	*tableDecider
}

// read checks the fields selected from a native query's rows at path
// (reached through relationship rel, "" at the root) and records its
// selection. The type of a native query with relationships is named
// after its root field (Hasura's nativeQuerySelectionSet), otherwise
// after its logical model: a fragment may be on either.
func (d *nativeDecider) read(nq *model.NativeQuery, lm *model.LogicalModel, sel *model.LogicalSelect, set ast.SelectionSet, path, rel string, depth int) (Decision, string) {
	if depth > maxSelectionDepth {
		return Deny, fmt.Sprintf("%s: relationships nest deeper than %d", path, maxSelectionDepth)
	}
	at := len(d.sels)
	d.sels = append(d.sels, Selection{Path: path, Table: model.NativeTableName(nq.RootField), Op: model.OpSelect, Relationship: rel})
	cols := map[string]bool{}
	dec, why := d.selection(nq, lm, sel, set, path, depth, 0, cols)
	d.sels[at].Columns = slices.Sorted(maps.Keys(cols))
	return dec, why
}

// selection checks one selection set (fragments expanded) of the
// native query's type. The columns selected are added to cols.
func (d *nativeDecider) selection(nq *model.NativeQuery, lm *model.LogicalModel, sel *model.LogicalSelect, set ast.SelectionSet, path string, depth, frag int, cols map[string]bool) (Decision, string) {
	if frag > maxFragmentDepth {
		return Deny, fmt.Sprintf("fragments in the selection of %s nest deeper than %d (a cycle?)", nq.RootField, maxFragmentDepth)
	}
	onType := func(cond string) bool {
		return cond == "" || cond == lm.Name || len(nq.Relationships) > 0 && cond == nq.RootField
	}
	result, reason := Allow, ""
	for _, s := range set {
		// @skip and @include first, and the operation's field budget, as
		// collect applies them to a table's selections.
		var dirs ast.DirectiveList
		switch s := s.(type) {
		case *ast.Field:
			dirs = s.Directives
		case *ast.InlineFragment:
			dirs = s.Directives
		case *ast.FragmentSpread:
			dirs = s.Directives
		}
		in, err := d.included(dirs)
		if err != nil {
			d.fail(err)
			return Undecided, err.Error()
		}
		if !in {
			continue
		}
		var dec Decision
		var why string
		switch s := s.(type) {
		case *ast.Field:
			if d.budget <= 0 {
				err := &OperationError{"query", fmt.Sprintf("the operation has more than %d fields (fragments expanded)", MaxFields)}
				d.fail(err)
				return Undecided, err.Error()
			}
			d.budget--
			if nr := nq.RelationshipDefs[s.Name]; nr != nil && s.Name != "__typename" && !containsRole(sel.Columns, s.Name) {
				dec, why = d.relationship(nq, nr, s, join(path, s.Alias), depth)
				break
			}
			dec, why = nativeField(nq, lm, sel, s.Name)
			if dec == Allow && s.Name != "__typename" {
				cols[s.Name] = true
			}
		case *ast.InlineFragment:
			if !onType(s.TypeCondition) {
				return Deny, fmt.Sprintf("a fragment on %s cannot apply to %s (at %s)", s.TypeCondition, lm.Name, nq.RootField)
			}
			dec, why = d.selection(nq, lm, sel, s.SelectionSet, path, depth, frag+1, cols)
		case *ast.FragmentSpread:
			if s.Definition == nil || !onType(s.Definition.TypeCondition) || s.Definition.TypeCondition == "" {
				return Deny, fmt.Sprintf("fragment %s does not apply to %s (at %s)", s.Name, lm.Name, nq.RootField)
			}
			dec, why = d.selection(nq, lm, sel, s.Definition.SelectionSet, path, depth, frag+1, cols)
		}
		switch dec {
		case Deny:
			return dec, why
		case Undecided:
			result, reason = dec, why
		}
	}
	return result, reason
}

// relationship decides a relationship of a native query selected at
// path, as Hasura's nativeQueryRelationshipField builds it: to a native
// query, the field exists when the role has a select permission on the
// target's logical model (its rows under that permission's filter); to a
// table, when the role has a select permission on the table (decided as
// a table relationship). The join fields need not be selectable.
func (d *nativeDecider) relationship(nq *model.NativeQuery, nr *model.NativeRelationship, f *ast.Field, path string, depth int) (Decision, string) {
	role := d.req.Role
	notFound := func(why string, args ...any) (Decision, string) {
		return Deny, fmt.Sprintf("field '%s' not found in type: '%s': %s", f.Name, nq.RootField, fmt.Sprintf(why, args...))
	}
	if nr.Unread != "" {
		return Undecided, fmt.Sprintf("%s is a relationship of native query %s whose definition Warden could not read (%s)", nr.Name, nq.RootField, nr.Unread)
	}
	if nr.NativeQuery == "" {
		t := d.p.Tables[d.p.Resolve(nr.Table, nq.Source)]
		if t == nil {
			return Undecided, fmt.Sprintf("relationship %s of native query %s leads to %s, which is not in the policy", nr.Name, nq.RootField, nr.Table)
		}
		err := func() error {
			tsel, err := d.perm(t, model.OpSelect, f.Name)
			var dn *denial
			if errors.As(err, &dn) {
				return deny("field '%s' not found in type: '%s': role %s has no select permission on %s, the target of relationship %s", f.Name, nq.RootField, role, t.Name, nr.Name)
			} else if err != nil {
				return err
			}
			tname := typeName(t)
			if nr.Kind == model.RelArray {
				if err := d.where(t, tsel, f.Arguments, tname+"_bool_exp", depth+1); err != nil {
					return err
				}
				if err := d.orderBy(t, tsel, f.Arguments, tname, depth+1); err != nil {
					return err
				}
			}
			return d.tableDecider.read(t, tsel, f.SelectionSet, path, nr.Name, tname, depth+1)
		}()
		return decisionOf(d.tableDecider, err)
	}
	target := d.p.GraphQL.NativeQueries[nr.NativeQuery]
	var lm *model.LogicalModel
	if target != nil {
		lm = d.p.GraphQL.LogicalModels[target.Source][target.Returns]
	}
	if lm == nil {
		return Undecided, fmt.Sprintf("relationship %s of native query %s leads to native query %s, which is not in the policy", nr.Name, nq.RootField, nr.NativeQuery)
	}
	tsel := lm.Select[role]
	if tsel == nil {
		return notFound("role %s has no select permission on logical model %s, which native query %s (the target of relationship %s) returns", role, lm.Name, target.RootField, nr.Name)
	}
	if len(f.SelectionSet) == 0 {
		return Deny, fmt.Sprintf("%s needs a selection of fields", path)
	}
	// The arguments: those of the target's rows on an array
	// relationship, none of them on an object relationship.
	args, argsWhy := objectArgs(f)
	if nr.Kind == model.RelArray {
		args, argsWhy = d.nativeArgs(lm, f.Arguments, depth+1)
	}
	if tsel.Filter == nil {
		return worse(Undecided, fmt.Sprintf("relationship %s of native query %s: the select permission of role %s on logical model %s filters its rows, and Warden does not decide it", nr.Name, nq.RootField, role, lm.Name))(args, argsWhy)
	}
	return worse(d.read(target, lm, tsel, f.SelectionSet, path, nr.Name, depth+1))(args, argsWhy)
}

// worse returns the stricter of two decisions with its reason: a denial
// over an undecided one over an allow (the first of equals).
func worse(d1 Decision, why1 string) func(Decision, string) (Decision, string) {
	return func(d2 Decision, why2 string) (Decision, string) {
		if strictness(d2) > strictness(d1) {
			return d2, why2
		}
		return d1, why1
	}
}

func strictness(d Decision) int {
	switch d {
	case Deny:
		return 2
	case Undecided:
		return 1
	}
	return 0
}

// decisionOf turns the outcome of a table read into a decision, as
// settle does for a table root field.
func decisionOf(d *tableDecider, err error) (Decision, string) {
	var dn *denial
	var ue *undecidedError
	var oe *OperationError
	switch {
	case err == nil:
		return Allow, ""
	case errors.As(err, &dn):
		return Deny, dn.reason
	case errors.As(err, &ue):
		return Undecided, ue.reason
	case errors.As(err, &oe):
		d.fail(oe)
	}
	return Undecided, err.Error()
}

func nativeField(nq *model.NativeQuery, lm *model.LogicalModel, sel *model.LogicalSelect, name string) (Decision, string) {
	switch {
	case name == "__typename" || containsRole(sel.Columns, name):
		return Allow, ""
	case containsRole(nq.Relationships, name):
		return Undecided, fmt.Sprintf("%s is a relationship of native query %s, which Warden could not read", name, nq.RootField)
	case containsRole(lm.Fields, name):
		return Deny, fmt.Sprintf("field %s of logical model %s is not among the columns the role may select", name, lm.Name)
	}
	return Deny, fmt.Sprintf("logical model %s has no field %s", lm.Name, name)
}
