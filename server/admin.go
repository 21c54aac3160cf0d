package server

import (
	"cmp"
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// adminService implements warden.v1.AdminService from the live policy set.
// Only admin-level callers reach it (callerauth.DefaultMethods).
type adminService struct {
	wardenv1.UnimplementedAdminServiceServer
	s *Server
}

func (a *adminService) GetStatus(context.Context, *wardenv1.GetStatusRequest) (*wardenv1.GetStatusResponse, error) {
	snap := a.s.current()
	p := snap.set.Policy()
	return &wardenv1.GetStatusResponse{
		Revision:   snap.set.Revision(),
		Source:     p.Source,
		LoadedAt:   timestamppb.New(snap.loadedAt),
		TableCount: int32(len(p.Tables)),
		RoleCount:  int32(len(roles(p))),
		Version:    a.s.version,
	}, nil
}

func (a *adminService) ListTables(context.Context, *wardenv1.ListTablesRequest) (*wardenv1.ListTablesResponse, error) {
	p := a.s.current().set.Policy()
	resp := &wardenv1.ListTablesResponse{}
	for _, t := range p.SortedTables() {
		resp.Tables = append(resp.Tables, tableToProto(t))
	}
	return resp, nil
}

func (a *adminService) ListRoles(context.Context, *wardenv1.ListRolesRequest) (*wardenv1.ListRolesResponse, error) {
	return &wardenv1.ListRolesResponse{Roles: roles(a.s.current().set.Policy())}, nil
}

func (a *adminService) GetTableRego(ctx context.Context, req *wardenv1.GetTableRegoRequest) (*wardenv1.GetTableRegoResponse, error) {
	set := a.s.current().set
	name, err := model.ParseTableName(req.GetTable())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "table: %v", err)
	}
	mods, err := set.TableModules(name)
	if err != nil {
		return nil, a.s.fail(ctx, err)
	}
	resp := &wardenv1.GetTableRegoResponse{Revision: set.Revision()}
	for _, m := range mods {
		resp.Modules = append(resp.Modules, &wardenv1.RegoModule{Path: m.Path, Source: m.Source})
	}
	slices.SortFunc(resp.Modules, func(x, y *wardenv1.RegoModule) int { return cmp.Compare(x.GetPath(), y.GetPath()) })
	return resp, nil
}

// roles lists admin and every role of the policy, sorted, with the parents
// of inherited roles.
func roles(p *model.Policy) []*wardenv1.Role {
	names := append([]string{model.AdminRole}, p.Roles...)
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]*wardenv1.Role, len(names))
	for i, n := range names {
		out[i] = &wardenv1.Role{Name: n, RoleSet: p.InheritedRoles[n]}
	}
	return out
}

func tableToProto(t *model.Table) *wardenv1.Table {
	out := &wardenv1.Table{Name: t.Name.String(), PrimaryKey: t.PrimaryKey}
	for _, c := range t.Columns {
		out.Columns = append(out.Columns, &wardenv1.Column{Name: c.Name, Type: c.Type.Declared, Nullable: c.Nullable})
	}
	out.Relationships = sortedKeys(t.Relationships)
	ops := map[string][]wardenv1.Operation{}
	for _, op := range model.Operations {
		for role := range t.Permissions[op] {
			ops[role] = append(ops[role], OperationToProto(op))
		}
	}
	for _, role := range sortedKeys(ops) {
		out.Roles = append(out.Roles, &wardenv1.RolePermissions{Role: role, Operations: ops[role]})
	}
	return out
}
