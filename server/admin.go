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
	"github.com/wardenpdp/warden/server/reload"
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
	policy := a.s.policy.Status()
	resp := &wardenv1.GetStatusResponse{
		Revision:                snap.set.Revision(),
		Source:                  p.Source,
		LoadedAt:                timestamppb.New(snap.loadedAt),
		TableCount:              int32(len(p.Tables)),
		RoleCount:               int32(len(roles(p))),
		Version:                 a.s.version,
		SourceKind:              sourceKindToProto(a.s.source.Kind),
		InconsistentObjectCount: int32(len(p.Inconsistent)),
		Watching:                a.s.watchingPolicy.Load(),
		LastReload:              attemptToProto(policy.Last),
		LastFailedReload:        attemptToProto(policy.LastFailed),
		QueryDatabases:          a.s.consoleDBs.Names(),
	}
	for _, i := range p.Inconsistent[:min(len(p.Inconsistent), maxStatusInconsistent)] {
		resp.InconsistentObjects = append(resp.InconsistentObjects, inconsistencyToProto(i))
	}
	if a.s.policyTests != nil {
		resp.PolicyTests = a.s.policyTests()
	}
	if a.s.cfg.Callers.APIKeysFile != "" {
		keys := a.s.keys.Status()
		resp.CallerKeysLoadedAt = timestamppb.New(keys.LoadedAt)
		resp.LastCallerKeysReload = attemptToProto(keys.Last)
	}
	return resp, nil
}

// Reload reloads now and answers with the outcome: a failed reload is an
// answer (the previous set keeps serving), not an error. The reload runs
// to its end even if the caller goes away, so that its outcome is
// recorded whole.
func (a *adminService) Reload(ctx context.Context, _ *wardenv1.ReloadRequest) (*wardenv1.ReloadResponse, error) {
	r := a.s.Reload(context.WithoutCancel(ctx), reload.TriggerAdminCall)
	return &wardenv1.ReloadResponse{
		Policy:     attemptToProto(&r.Policy),
		CallerKeys: attemptToProto(&r.CallerKeys),
		Revision:   a.s.current().set.Revision(),
	}, nil
}

// maxReportedProblems bounds the problems one ReloadAttempt carries.
const maxReportedProblems = 100

func attemptToProto(a *reload.Attempt) *wardenv1.ReloadAttempt {
	if a == nil {
		return nil
	}
	out := &wardenv1.ReloadAttempt{
		FinishedAt: timestamppb.New(a.FinishedAt),
		Outcome:    outcomeToProto(a.Outcome),
		Revision:   a.Revision,
		Trigger:    a.Trigger,
		Error:      reloadError(a.Err),
	}
	problems := reloadProblems(a.Err)
	out.ProblemCount = int32(len(problems)) //nolint:gosec // bounded by the policy's size
	for _, p := range problems[:min(len(problems), maxReportedProblems)] {
		out.Problems = append(out.Problems, &wardenv1.PolicyProblem{
			File: p.Source.File, Line: int32(p.Line), Path: p.Source.Path, Message: p.Message, //nolint:gosec // a line number
		})
	}
	return out
}

func outcomeToProto(o reload.Outcome) wardenv1.ReloadOutcome {
	switch o {
	case reload.Loaded:
		return wardenv1.ReloadOutcome_RELOAD_OUTCOME_LOADED
	case reload.Unchanged:
		return wardenv1.ReloadOutcome_RELOAD_OUTCOME_UNCHANGED
	case reload.Failed:
		return wardenv1.ReloadOutcome_RELOAD_OUTCOME_FAILED
	case reload.NotReloadable:
		return wardenv1.ReloadOutcome_RELOAD_OUTCOME_NOT_RELOADABLE
	}
	return wardenv1.ReloadOutcome_RELOAD_OUTCOME_UNSPECIFIED
}

func sourceKindToProto(k SourceKind) wardenv1.PolicySourceKind {
	switch k {
	case SourceEmbedded:
		return wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_EMBEDDED
	case SourceDirectory:
		return wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_DIRECTORY
	case SourceBundle:
		return wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_BUNDLE
	}
	return wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_UNSPECIFIED
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
