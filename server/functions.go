package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Check and Filter asked on a tracked function (one that returns rows of a
// table, policy/load/functions.go) decide as Hasura does for the
// function's root field: its rows are the returned table's, under the
// role's select permission on that table; a function the role may not call
// (exposed as a mutation, no function permission) is denied whatever the
// rows. Tables are untouched: a name that is a table is the table.

// functionTarget maps a function name to the table it returns. denied says
// why the role may not call it ("" when it may); fn is false when the name
// is not a tracked function.
func functionTarget(pol *model.Policy, name model.TableName, op model.Operation, role string) (target model.TableName, denied string, fn bool, err error) {
	f := pol.GraphQL.FunctionsByName[name]
	if f == nil {
		return name, "", false, nil
	}
	if op != model.OpSelect {
		return name, "", true, withDetails(codes.InvalidArgument,
			fmt.Sprintf("%s is a tracked function: its rows are read (operation select); ask %s on the table %s", name, op, f.Returns),
			badField("operation", fmt.Sprintf("%s on function %s: only select applies to a function's rows", op, name)))
	}
	var sel *model.Permission
	if t := pol.Tables[f.Returns]; t != nil {
		sel = t.Permissions[model.OpSelect][role]
	}
	if sel != nil && !f.Allows(role, sel) {
		denied = fmt.Sprintf("function %s is exposed as a mutation and has no permission for role %s", name, role)
	}
	return f.Returns, denied, true, nil
}

// Check and Filter asked on a native query (its root field, as the table
// "name" or "public.name") decide its rows as the rows of its logical
// model under the model's select permissions: the set of
// engine.Set.NativeQueries, whose table-like entities are named
// model.NativeTableName. A name that is also a table or a tracked
// function is refused as ambiguous.

// nativeTarget maps a native query's root field to its entity and the set
// deciding it; ok is false when name is no native query.
func nativeTarget(set *engine.Set, name model.TableName, op model.Operation, role string) (*engine.Set, model.TableName, bool, error) {
	pol := set.Policy()
	if name.Source != "" || (name.Schema != "public" && name.Schema != model.NativeSchema) || pol.GraphQL.NativeQueries[name.Name] == nil {
		return set, name, false, nil
	}
	if _, isTable := pol.Tables[name]; isTable || pol.GraphQL.FunctionsByName[name] != nil {
		return set, name, true, withDetails(codes.InvalidArgument,
			fmt.Sprintf("%s is ambiguous: it names a native query and a table or tracked function", name),
			badField("table", fmt.Sprintf("%s names both native query %s and a table or tracked function", name, name.Name)))
	}
	if op != model.OpSelect {
		return set, name, true, withDetails(codes.InvalidArgument,
			fmt.Sprintf("%s is a native query: its rows are read (operation select)", name.Name),
			badField("operation", fmt.Sprintf("%s on native query %s: only select applies to a native query's rows", op, name.Name)))
	}
	nq := pol.GraphQL.NativeQueries[name.Name]
	if lm := pol.GraphQL.LogicalModels[nq.Source][nq.Returns]; lm != nil && lm.Select[role] != nil && lm.Select[role].Filter == nil {
		return set, name, true, withDetails(codes.FailedPrecondition,
			fmt.Sprintf("native query %s: Warden does not decide the select permission of role %s on logical model %s (a filter left out as inconsistent, or an inherited role with a parent's so left out)", name.Name, role, lm.Name))
	}
	ns := set.NativeQueries()
	if ns == nil {
		return set, name, true, withDetails(codes.FailedPrecondition, fmt.Sprintf("native query %s has no rows Warden decides", name.Name))
	}
	return ns, model.NativeTableName(name.Name), true, nil
}

// checkTable decides a CheckInput, mapping a function to its table
// and a native query to its entity (in.Table is rewritten, so that
// explain and metrics see the table).
func checkTable(ctx context.Context, set *engine.Set, in *engine.CheckInput) (*engine.CheckResult, error) {
	if ns, target, ok, err := nativeTarget(set, in.Table, in.Op, in.Session.Role); ok || err != nil {
		if err != nil {
			return nil, err
		}
		in.Table = target
		return ns.Check(ctx, *in)
	}
	target, denied, _, err := functionTarget(set.Policy(), in.Table, in.Op, in.Session.Role)
	if err != nil {
		return nil, err
	}
	in.Table = target
	if denied == "" {
		return set.Check(ctx, *in)
	}
	res := &engine.CheckResult{Role: in.Session.Role, Revision: set.Revision(), Rows: make([]engine.RowResult, len(in.Rows))}
	for i, r := range in.Rows {
		res.Rows[i] = engine.RowResult{ID: r.ID, Decision: engine.Deny, Reason: denied}
	}
	return res, nil
}

// filterTable answers a FilterInput, mapping a function to its table,
// which it returns (the SQL and the explanation are the table's; the
// caller names the function call in its query with the table alias), and
// a native query to its entity, with the set deciding it (the caller
// names the wrapped native query with the table alias, by default its
// root field).
func filterTable(ctx context.Context, set *engine.Set, in engine.FilterInput) (*engine.FilterResult, *engine.Set, model.TableName, error) {
	if ns, target, ok, err := nativeTarget(set, in.Table, in.Op, in.Session.Role); ok || err != nil {
		if err != nil {
			return nil, set, in.Table, err
		}
		in.Table = target
		res, err := ns.Filter(ctx, in)
		return res, ns, target, err
	}
	target, denied, _, err := functionTarget(set.Policy(), in.Table, in.Op, in.Session.Role)
	if err != nil {
		return nil, set, in.Table, err
	}
	in.Table = target
	if denied == "" {
		res, err := set.Filter(ctx, in)
		return res, set, target, err
	}
	return &engine.FilterResult{Kind: engine.AlwaysDenied, Role: in.Session.Role, Revision: set.Revision(),
		Predicate: residual.False{}, Reason: denied}, set, target, nil
}

// setFor is the set deciding table: the native queries' set for a native
// query's entity (checkTable rewrote the request's table to it), else set.
func setFor(set *engine.Set, table model.TableName) *engine.Set {
	if ns := set.NativeQueries(); ns != nil && table.Schema == model.NativeSchema {
		return ns
	}
	return set
}
