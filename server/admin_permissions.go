package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/explain"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// GetTablePermissions lists a table's permissions as the metadata states
// them, for the console's matrix and its "rule as written" view: the kind
// of each (every row or some), an inherited role's parents, and the rule
// in Hasura's notation before any session is bound.
func (a *adminService) GetTablePermissions(ctx context.Context, req *wardenv1.GetTablePermissionsRequest) (*wardenv1.GetTablePermissionsResponse, error) {
	p := a.s.current().set.Policy()
	name, err := model.ParseTableName(req.GetTable())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "table: %v", err)
	}
	// The same refusals as every other call naming a table: an
	// inconsistent table is named as such, not reported unknown.
	if i := p.InconsistentTables[name]; i != nil {
		return nil, a.s.fail(ctx, &engine.InconsistentError{Object: i})
	}
	t, ok := p.Tables[name]
	if !ok {
		return nil, a.s.fail(ctx, &engine.UnknownTableError{Table: name})
	}
	resp := &wardenv1.GetTablePermissionsResponse{Table: t.Name.String(), Revision: p.Revision}
	roles := map[string]bool{}
	for _, op := range model.Operations {
		for role := range t.Permissions[op] {
			roles[role] = true
		}
	}
	for _, role := range sortedKeys(roles) {
		for _, op := range model.Operations {
			if perm := t.Permissions[op][role]; perm != nil {
				resp.Permissions = append(resp.Permissions, permissionToProto(perm))
			}
		}
	}
	for _, op := range model.Operations {
		for _, role := range sortedKeys(t.Inconsistent[op]) {
			resp.InconsistentPermissions = append(resp.InconsistentPermissions, inconsistencyToProto(t.Inconsistent[op][role]))
		}
	}
	return resp, nil
}

// maxStatusInconsistent bounds the inconsistent objects GetStatus lists,
// as a reload's problems are bounded: a metadata export with thousands of
// broken objects must not make every status call that large.
const maxStatusInconsistent = 100

func inconsistencyToProto(i *model.Inconsistency) *wardenv1.InconsistentObject {
	out := &wardenv1.InconsistentObject{
		Kind:        i.Kind,
		Description: i.String(),
		Name:        i.Name,
		File:        i.Source.File,
		Path:        i.Source.Path,
		Reasons:     i.Reasons,
	}
	switch i.Kind {
	case "inherited role", "remote schema", "remote schema permission":
		// No table: the description names the remote schema.
	default:
		out.Table = i.Table.String()
	}
	if i.Kind == "permission" {
		out.Operation = OperationToProto(i.Op)
	}
	return out
}

// permissionToProto writes one permission as GetTablePermissions reports
// it. A permission allows every row only when neither its filter nor its
// check constrains the row: presets and columns do not make it conditional.
func permissionToProto(perm *model.Permission) *wardenv1.TablePermission {
	out := &wardenv1.TablePermission{
		Role:              perm.Role,
		Operation:         OperationToProto(perm.Op),
		Kind:              wardenv1.PermissionKind_PERMISSION_KIND_ALWAYS_ALLOWED,
		InheritedFrom:     perm.Inherited,
		Columns:           perm.Columns,
		AllowAggregations: perm.AllowAggregations,
		BackendOnly:       perm.BackendOnly,
		ComputedFields:    perm.ComputedFields,
	}
	if len(perm.Inherited) == 0 {
		out.SourceFile, out.SourcePath = perm.Source.File, perm.Source.Path
	}
	if perm.Limit != nil {
		limit := int32(min(*perm.Limit, 1<<31-1))
		out.Limit = &limit
	}
	if perm.Op != model.OpInsert {
		out.Filter = explain.Rule(perm.Filter)
		if !always(perm.Filter) {
			out.Kind = wardenv1.PermissionKind_PERMISSION_KIND_CONDITIONAL
		}
	}
	if perm.Op == model.OpInsert || perm.Op == model.OpUpdate {
		out.Check = explain.Rule(perm.Check)
		if !always(perm.Check) {
			out.Kind = wardenv1.PermissionKind_PERMISSION_KIND_CONDITIONAL
		}
	}
	if len(perm.Set) > 0 {
		out.Set = make(map[string]string, len(perm.Set))
		for col, v := range perm.Set {
			out.Set[col] = explain.Value(v)
		}
	}
	return out
}

// always reports whether a rule holds for every row: the empty expression
// (nil stands for it where the metadata has none).
func always(e model.BoolExp) bool {
	switch e.(type) {
	case nil, model.True:
		return true
	}
	return false
}
