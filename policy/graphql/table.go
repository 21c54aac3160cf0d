package graphql

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// TableField is what a table root field touches: the table, the kind of
// root field, and each table selection of it, the root's first.
type TableField struct {
	Table model.TableName
	// Kind is one of model.Root* ("select", "insert_one", ...).
	Kind       string
	Selections []Selection
}

// Selection is one table the field reads or writes, at a place of the
// response: the root field's own table, a relationship traversed, the
// rows a mutation returns, a nested insert, an upsert's update.
type Selection struct {
	// Path is the place in the response: response keys joined by dots
	// ("articles.author", "insert_articles.returning").
	Path  string
	Table model.TableName
	// Op is the permission that decides the rows: select for reads,
	// insert, update or delete for the mutation's own table.
	Op model.Operation
	// Relationship is the relationship traversed to reach the table; ""
	// at the root.
	Relationship string
	// Columns are the columns the selection reads (select) or sets
	// (insert, update: the columns of the input; delete: none), sorted.
	Columns []string
	// ComputedFields are the scalar computed fields the selection reads,
	// sorted (nil: none).
	ComputedFields []string
	// Aggregate: the selection aggregates the rows.
	Aggregate bool
}

// maxSelectionDepth bounds how deep relationships nest in one operation.
const maxSelectionDepth = 32

// denial is a field the role's schema does not have: a result, not an
// error.
type denial struct{ reason string }

func (d *denial) Error() string { return d.reason }

func deny(format string, args ...any) error { return &denial{fmt.Sprintf(format, args...)} }

// tableDecider decides one table root field for a role.
type tableDecider struct {
	*walk
	p    *model.Policy
	req  Request
	sels []Selection
	// presets are the remote schema argument presets of the remote
	// relationships selected (table_remote.go).
	presets []RemotePreset
	// encoded notes the primary keys a Relay response gives away in node
	// ids and cursors (relay.go); nodeRead: node's selection read its
	// table through a fragment.
	encoded  []encodedPK
	nodeRead bool
}

// decideTable decides a table root field as Hasura builds the role's
// schema: the field exists when the role has the permission its kind
// needs (Build.hs, Mutation.hs, Update/Batch.hs of Hasura), and every
// field selected, argument column and input column must exist in the
// role's types. A denial names the field Hasura would not find.
func decideTable(w *walk, p *model.Policy, req Request, opType ast.Operation, f *ast.Field, tf model.TableRootField) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: TableRootFieldKind}
	t := p.Tables[tf.Table]
	if t == nil {
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("table %s is not in the policy", tf.Table)
		return rf
	}
	d := &tableDecider{walk: w, p: p, req: req}
	rf.Table = &TableField{Table: t.Name, Kind: tf.Kind}
	rf.Decision = Allow
	rf.Reason = fmt.Sprintf("%s: role %s has the %s permission on %s (each selection's rows are Filter's answer)", tf.Kind, req.Role, tf.Op(), t.Name)
	if req.Role == model.AdminRole {
		rf.Reason = "admin may use every table root field"
	}
	d.settle(&rf, d.root(opType, f, t, tf))
	if rf.Decision == Allow && len(d.encoded) > 0 {
		rf.Reason += "; " + d.encodedNotes()
	}
	return rf
}

// settle turns the outcome of deciding a field's arguments and
// selections into its decision: no error keeps rf's allow and gives it
// the selections; a denial denies; anything else is undecided, and a
// request error is also the request's (Decide answers it).
func (d *tableDecider) settle(rf *RootField, err error) {
	var dn *denial
	var ue *undecidedError
	var oe *OperationError
	switch {
	case err == nil:
		rf.Table.Selections = d.sels
		rf.Presets = d.presets
	case errors.As(err, &dn):
		rf.Decision, rf.Reason = Deny, dn.reason
	case errors.As(err, &ue):
		rf.Decision, rf.Reason = Undecided, ue.reason
	default:
		if errors.As(err, &oe) {
			d.fail(oe)
		}
		rf.Decision, rf.Reason = Undecided, err.Error()
	}
}

// functionSelections decides the selection set of an allowed tracked
// function's field as a read of the table it returns, under the role's
// select permission there (its columns, relationships, where and
// order_by; the aggregate field as an aggregate), and lists the
// selections for Filter.
func functionSelections(w *walk, p *model.Policy, req Request, f *ast.Field, fn *model.TrackedFunction, rf RootField) RootField {
	t := p.Tables[fn.Returns]
	if rf.Decision != Allow || t == nil {
		return rf
	}
	d := &tableDecider{walk: w, p: p, req: req}
	kind, aggregate := "function", f.Name == fn.AggregateField && f.Name != fn.RootField
	if aggregate {
		kind = "function_aggregate"
	}
	rf.Table = &TableField{Table: t.Name, Kind: kind}
	d.settle(&rf, func() error {
		if t.GraphQL != nil && t.GraphQL.NamesUnknown {
			return &undecidedError{fmt.Sprintf("%s: function %s returns rows of %s, whose GraphQL field names Warden cannot tell (see the load notes)", f.Name, fn.Name, t.Name)}
		}
		sel, err := d.perm(t, model.OpSelect, f.Name)
		if err != nil {
			return err
		}
		tname := typeName(t)
		if err := namesOf(t).checkArgs(f.Name, f.Arguments); err != nil {
			return err
		}
		if err := d.where(t, sel, f.Arguments, namesOf(t).typ(tname, "bool", "exp"), 0); err != nil {
			return err
		}
		if err := d.orderBy(t, sel, f.Arguments, tname, 0); err != nil {
			return err
		}
		if aggregate {
			return d.aggregate(t, sel, f.SelectionSet, f.Alias, "", tname, 0)
		}
		return d.read(t, sel, f.SelectionSet, f.Alias, "", tname, 0)
	}())
	return rf
}

// undecidedError is a permission Warden cannot decide on (left out as
// inconsistent).
type undecidedError struct{ reason string }

func (e *undecidedError) Error() string { return e.reason }

// perm returns the role's permission for op on t: nil and no error for
// admin, a denial when the role has none (or a backend_only one without
// the backend-only request), undecided when it is inconsistent.
func (d *tableDecider) perm(t *model.Table, op model.Operation, field string) (*model.Permission, error) {
	role := d.req.Role
	if role == model.AdminRole {
		return nil, nil
	}
	if i := t.Inconsistent[op][role]; i != nil {
		return nil, &undecidedError{fmt.Sprintf("%s: the %s is inconsistent and left out: %s", field, i, strings.Join(i.Reasons, "; "))}
	}
	pm := t.Permissions[op][role]
	switch {
	case pm == nil:
		return nil, deny("field '%s' not found: role %s has no %s permission on %s", field, role, op, t.Name)
	case pm.BackendOnly && !d.req.BackendOnly:
		return nil, deny("field '%s' not found: the %s permission of role %s on %s is backend_only (x-hasura-use-backend-only-permissions)", field, op, role, t.Name)
	}
	return pm, nil
}

// root decides the root field itself, then its arguments and selections.
func (d *tableDecider) root(opType ast.Operation, f *ast.Field, t *model.Table, tf model.TableRootField) error {
	op := tf.Op()
	pm, err := d.perm(t, op, f.Name)
	if err != nil {
		return err
	}
	var sel *model.Permission
	needSelect := op == model.OpSelect || tf.Kind == model.RootInsertOne || strings.HasSuffix(tf.Kind, "_by_pk")
	if needSelect {
		if sel, err = d.perm(t, model.OpSelect, f.Name); err != nil {
			return err
		}
	} else if sel, err = d.readPerm(t); err != nil {
		return err
	}
	if op == model.OpSelect {
		if visible := visibleOf(sel, opType); sel != nil && visible != nil && !visible[tf.Kind] {
			return deny("field '%s' not found in type: '%s_root': the select permission of role %s on %s leaves %s out of its %s_root_fields", f.Name, opType, d.req.Role, t.Name, tf.Kind, opType)
		}
	}
	if tf.Kind == model.RootSelectAggregate && sel != nil && !sel.AllowAggregations {
		return deny("field '%s' not found in type: '%s_root': the select permission of role %s on %s does not allow aggregations", f.Name, opType, d.req.Role, t.Name)
	}
	if strings.HasSuffix(tf.Kind, "_by_pk") {
		if len(t.PrimaryKey) == 0 {
			return deny("field '%s' not found: %s has no primary key", f.Name, t.Name)
		}
		for _, c := range t.PrimaryKey {
			if !readable(sel, c) {
				return deny("field '%s' not found: role %s may not select primary key column %s of %s", f.Name, d.req.Role, c, t.Name)
			}
		}
	}
	if op == model.OpUpdate && pm != nil && len(settable(pm)) == 0 {
		return deny("field '%s' not found: the update permission of role %s on %s lets it set no column", f.Name, d.req.Role, t.Name)
	}
	// Arguments and selections are read by the names of the table's
	// naming convention (naming.go).
	n, key := namesOf(t), f.Alias
	if err := n.checkArgs(f.Name, f.Arguments); err != nil {
		return err
	}
	boolExpType := n.typ(tf.TypeName, "bool", "exp")
	switch tf.Kind {
	case model.RootSelect, model.RootSelectStream:
		if err := d.where(t, sel, f.Arguments, boolExpType, 0); err != nil {
			return err
		}
		if err := d.cursor(t, sel, f.Arguments, tf.TypeName); err != nil {
			return err
		}
		if err := d.orderBy(t, sel, f.Arguments, tf.TypeName, 0); err != nil {
			return err
		}
		return d.read(t, sel, f.SelectionSet, key, "", tf.TypeName, 0)
	case model.RootSelectByPk:
		return d.read(t, sel, f.SelectionSet, key, "", tf.TypeName, 0)
	case model.RootSelectAggregate:
		if err := d.where(t, sel, f.Arguments, boolExpType, 0); err != nil {
			return err
		}
		if err := d.orderBy(t, sel, f.Arguments, tf.TypeName, 0); err != nil {
			return err
		}
		return d.aggregate(t, sel, f.SelectionSet, key, "", tf.TypeName, 0)
	case model.RootInsert, model.RootInsertOne:
		arg := "objects"
		if tf.Kind == model.RootInsertOne {
			arg = "object"
		}
		objects, err := d.argValue(f.Arguments, arg)
		if err != nil {
			return err
		}
		conflict, err := d.argValue(f.Arguments, n.name("on_conflict"))
		if err != nil {
			return err
		}
		if err := d.insert(t, pm, objects, conflict, key, "", tf.TypeName, 0); err != nil {
			return err
		}
	case model.RootUpdate, model.RootUpdateByPk, model.RootUpdateMany:
		if err := d.update(t, pm, sel, f, key, tf); err != nil {
			return err
		}
	case model.RootDelete, model.RootDeleteByPk:
		d.sels = append(d.sels, Selection{Path: key, Table: t.Name, Op: model.OpDelete, Columns: []string{}})
		if err := d.where(t, sel, f.Arguments, boolExpType, 0); err != nil {
			return err
		}
	}
	if tf.Kind == model.RootInsertOne || strings.HasSuffix(tf.Kind, "_by_pk") {
		return d.read(t, sel, f.SelectionSet, key, "", tf.TypeName, 0)
	}
	return d.mutationOutput(t, sel, f.SelectionSet, key, tf.TypeName)
}

// readPerm is the select permission a mutation's where and returning
// are built from, as Hasura builds them: nil for admin, noRead when the
// role has none; an inconsistent one is undecided, never taken for none.
func (d *tableDecider) readPerm(t *model.Table) (*model.Permission, error) {
	pm, err := d.perm(t, model.OpSelect, "returning")
	var dn *denial
	if errors.As(err, &dn) {
		return noRead, nil
	}
	return pm, err
}

// noRead stands for "no select permission" where nil means admin: it
// grants no column, computed field or aggregation.
var noRead = &model.Permission{Op: model.OpSelect}

// visibleOf returns the root fields a select permission shows on a root
// (nil: all).
func visibleOf(p *model.Permission, op ast.Operation) map[string]bool {
	if p == nil {
		return nil
	}
	if op == ast.Subscription {
		return p.SubscriptionRootFields
	}
	return p.QueryRootFields
}

// readable says whether a select permission (nil: admin) lets the role
// read a column.
func readable(p *model.Permission, col string) bool {
	return p == nil || p != noRead && slices.Contains(p.Columns, col)
}

// settable returns the columns an insert or update permission lets the
// role set: its columns without the presets, which Hasura takes out of
// the input type.
func settable(p *model.Permission) []string {
	out := make([]string, 0, len(p.Columns))
	for _, c := range p.Columns {
		if _, preset := p.Set[c]; !preset {
			out = append(out, c)
		}
	}
	return out
}

// columnByField finds the column a GraphQL field name stands for.
func columnByField(t *model.Table, name string) (string, bool) {
	if t.GraphQL == nil || len(t.GraphQL.ColumnNames) == 0 {
		if _, ok := t.Column(name); ok {
			return name, true
		}
		return "", false
	}
	for _, c := range t.Columns {
		if t.ColumnField(c.Name) == name {
			return c.Name, true
		}
	}
	return "", false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// typeName is a table's GraphQL type name, for messages that name types
// as Hasura does: the one load worked out, else its GraphQL name.
func typeName(t *model.Table) string {
	if t.GraphQL != nil && t.GraphQL.TypeName != "" {
		return t.GraphQL.TypeName
	}
	if t.GraphQL != nil && t.GraphQL.CustomName != "" {
		return t.GraphQL.CustomName
	}
	if t.Name.Schema != "public" {
		return t.Name.Schema + "_" + t.Name.Name
	}
	return t.Name.Name
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
