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

// checkTable decides a CheckInput, mapping a function to its table
// (in.Table is rewritten, so that explain and metrics see the table).
func checkTable(ctx context.Context, set *engine.Set, in *engine.CheckInput) (*engine.CheckResult, error) {
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
// caller names the function call in its query with the table alias).
func filterTable(ctx context.Context, set *engine.Set, in engine.FilterInput) (*engine.FilterResult, model.TableName, error) {
	target, denied, _, err := functionTarget(set.Policy(), in.Table, in.Op, in.Session.Role)
	if err != nil {
		return nil, in.Table, err
	}
	in.Table = target
	if denied == "" {
		res, err := set.Filter(ctx, in)
		return res, target, err
	}
	return &engine.FilterResult{Kind: engine.AlwaysDenied, Role: in.Session.Role, Revision: set.Revision(),
		Predicate: residual.False{}, Reason: denied}, target, nil
}
