package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/graphql"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// MaxGraphQLQueryBytes bounds CheckGraphQLRequest.query, as a GraphQL
// server bounds its request bodies.
const MaxGraphQLQueryBytes = 64 << 10

// maxOperationNameBytes bounds CheckGraphQLRequest.operation_name.
const maxOperationNameBytes = 1024

// checkGraphQL checks the shape of a CheckGraphQLRequest; the document
// itself is parsed by the handler (a syntax error is INVALID_ARGUMENT on
// the query field there).
func (v *violations) checkGraphQL(r *wardenv1.CheckGraphQLRequest, lim Limits) {
	v.principal(r.GetPrincipal(), lim.StatedSession)
	switch q := r.GetQuery(); {
	case q == "":
		v.add("query", "required")
	case len(q) > MaxGraphQLQueryBytes:
		v.add("query", fmt.Sprintf("%d bytes; at most %d", len(q), MaxGraphQLQueryBytes))
	}
	if n := len(r.GetOperationName()); n > maxOperationNameBytes {
		v.add("operation_name", fmt.Sprintf("%d bytes; at most %d", n, maxOperationNameBytes))
	}
	if o := r.GetSql(); o != nil {
		// Checked here, not only when a selection's filter is rendered:
		// a bad request is bad whatever the fields decide.
		if o.GetTableAlias() != "" {
			v.add("sql.table_alias", "must be empty: each table selection's SQL names its own table")
		}
		if o.GetDialect() == wardenv1.SqlDialect_SQL_DIALECT_UNSPECIFIED {
			v.add("sql.dialect", "required when sql is set: SQL_DIALECT_POSTGRES, SQL_DIALECT_MYSQL or SQL_DIALECT_SQLITE")
		}
		if o.GetFirstPlaceholder() < 0 {
			v.add("sql.first_placeholder", "must not be negative")
		}
	}
}

// CheckGraphQL decides a GraphQL operation: its action root fields and
// the allow list (policy/graphql).
func (a *authorizationService) CheckGraphQL(ctx context.Context, req *wardenv1.CheckGraphQLRequest) (*wardenv1.CheckGraphQLResponse, error) {
	sess, err := a.s.resolveSession(ctx, req.GetPrincipal())
	if err != nil {
		return nil, err
	}
	resp, err := GraphQLAnswer(ctx, a.s.current().set, req, sess)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	if a.s.logsOK(ctx) {
		logging.AddFields(ctx, logging.Fields{
			"warden.decision_id", resp.GetDecisionId(),
			"warden.revision", resp.GetRevision(),
			"warden.role", resp.GetRole(),
			"warden.graphql_operation", resp.GetOperationType() + " " + resp.GetOperationName(),
			"warden.decision", resp.GetDecision().String(),
		})
	}
	return resp, nil
}

// GraphQLAnswer decides a validated request for a resolved session: the
// RPC and `warden graphql` both use it.
func GraphQLAnswer(ctx context.Context, set *engine.Set, req *wardenv1.CheckGraphQLRequest, sess engine.Session) (*wardenv1.CheckGraphQLResponse, error) {
	pol := set.Policy()
	res, err := graphql.Decide(pol, graphql.Request{
		Role: sess.Role, Vars: sess.Vars,
		Query: req.GetQuery(), OperationName: req.GetOperationName(),
		EnforceAllowList: req.GetEnforceAllowList(),
		Variables:        req.GetVariables().AsMap(),
		BackendOnly:      sess.BackendOnly,
		Relay:            req.GetRelay(),
	})
	if err != nil {
		// A remote schema preset the session cannot give:
		// FAILED_PRECONDITION or INVALID_ARGUMENT, as for a rule.
		var mv *graphql.MissingSessionVariablesError
		var sv *graphql.SessionValueError
		switch {
		case errors.As(err, &mv):
			return nil, &engine.MissingSessionVariablesError{Names: mv.Names}
		case errors.As(err, &sv):
			return nil, &engine.InvalidValueError{Field: "principal.session_variables[" + sv.Variable + "]", Reason: sv.Reason}
		}
		return nil, graphQLRequestError(err)
	}
	resp, err := GraphQLResponse(res)
	if err != nil {
		return nil, err
	}
	if err := tableFilters(ctx, set, req.GetSql(), sess, res, resp); err != nil {
		return nil, err
	}
	resp.Role, resp.Revision = sess.Role, pol.Revision
	return resp, nil
}

// tableFilters gives each table selection of an allowed root field
// Filter's answer for its table, operation and the session, with SQL when
// the request asks for it: the same answer the Filter RPC gives.
func tableFilters(ctx context.Context, set *engine.Set, sql *wardenv1.SqlOptions, sess engine.Session, res *graphql.Result, resp *wardenv1.CheckGraphQLResponse) error {
	for i, f := range res.RootFields {
		if f.Table == nil {
			continue
		}
		for j, s := range f.Table.Selections {
			fr, err := FilterAnswer(ctx, set, &wardenv1.FilterRequest{Table: s.Table.String(), Operation: OperationToProto(s.Op), Sql: sql}, sess)
			if err != nil {
				return err
			}
			resp.RootFields[i].Table.Selections[j].Filter = fr
		}
	}
	return nil
}

// CheckGraphQLOffline answers a CheckGraphQLRequest against set without a
// server, for the session the principal states (its role required), as
// the RPC would (`warden graphql`).
func CheckGraphQLOffline(ctx context.Context, set *engine.Set, req *wardenv1.CheckGraphQLRequest, lim Limits) (*wardenv1.CheckGraphQLResponse, error) {
	lim.StatedSession = true
	if err := ValidateRequest(req, lim); err != nil {
		return nil, err
	}
	return GraphQLAnswer(ctx, set, req, SessionFromPrincipal(req.GetPrincipal()))
}

// graphQLRequestError is INVALID_ARGUMENT naming the field at fault: a
// document that does not parse, or an operation that cannot be chosen.
func graphQLRequestError(err error) error {
	field := "query"
	var oe *graphql.OperationError
	if errors.As(err, &oe) && oe.Field != "" {
		field = oe.Field
	}
	return withDetails(codes.InvalidArgument, "invalid CheckGraphQLRequest: "+field+": "+err.Error(),
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: err.Error()}}})
}

// GraphQLResponse converts the decision to the RPC's response, with a new
// decision id.
func GraphQLResponse(res *graphql.Result) (*wardenv1.CheckGraphQLResponse, error) {
	id, err := NewDecisionID()
	if err != nil {
		return nil, err
	}
	out := &wardenv1.CheckGraphQLResponse{
		Decision:      operationDecision(res.Decision),
		OperationType: res.OperationType,
		OperationName: res.OperationName,
		DecisionId:    id,
		AllowList: &wardenv1.AllowListResult{
			Allowed: res.AllowList.Allowed, Collection: res.AllowList.Collection,
			QueryName: res.AllowList.QueryName, Reason: res.AllowList.Reason,
		},
	}
	for _, f := range res.RootFields {
		d := &wardenv1.RootFieldDecision{
			ResponseKey: f.ResponseKey, Name: f.Name, Kind: rootFieldKind(f.Kind),
			Decision: operationDecision(f.Decision), Reason: f.Reason,
			SessionVariables: f.SessionVariables, Namespace: f.Namespace,
		}
		if err := remoteFieldResponse(d, f); err != nil {
			return nil, err
		}
		if f.Table != nil {
			d.Table = &wardenv1.TableRootField{Table: f.Table.Table.String(), Kind: f.Table.Kind}
			for _, s := range f.Table.Selections {
				d.Table.Selections = append(d.Table.Selections, &wardenv1.TableSelection{
					Path: s.Path, Table: s.Table.String(), Operation: OperationToProto(s.Op),
					Relationship: s.Relationship, Columns: s.Columns, ComputedFields: s.ComputedFields, Aggregate: s.Aggregate,
				})
			}
		}
		out.RootFields = append(out.RootFields, d)
	}
	return out, nil
}

func operationDecision(d graphql.Decision) wardenv1.OperationDecision {
	switch d {
	case graphql.Allow:
		return wardenv1.OperationDecision_OPERATION_DECISION_ALLOW
	case graphql.Deny:
		return wardenv1.OperationDecision_OPERATION_DECISION_DENY
	}
	// Anything else is undecided, never an allow.
	return wardenv1.OperationDecision_OPERATION_DECISION_UNDECIDED
}

func rootFieldKind(k graphql.FieldKind) wardenv1.RootFieldKind {
	switch k {
	case graphql.ActionField:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_ACTION
	case graphql.IntrospectionField:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_INTROSPECTION
	case graphql.FunctionField:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_FUNCTION
	case graphql.TableRootFieldKind:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_TABLE
	case graphql.RemoteSchemaField:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_REMOTE_SCHEMA
	case graphql.NativeQueryField:
		return wardenv1.RootFieldKind_ROOT_FIELD_KIND_NATIVE_QUERY
	}
	return wardenv1.RootFieldKind_ROOT_FIELD_KIND_UNSPECIFIED
}

// remoteFieldResponse adds a remote schema field's schema and presets.
func remoteFieldResponse(out *wardenv1.RootFieldDecision, f graphql.RootField) error {
	out.RemoteSchema = f.RemoteSchema
	for _, p := range f.Presets {
		v, err := structpb.NewValue(p.Value)
		if err != nil {
			return fmt.Errorf("remote preset %s of %s: %w", p.Argument, p.Field, err)
		}
		out.RemotePresets = append(out.RemotePresets, &wardenv1.RemotePreset{
			Path: p.Path, Field: p.Field, Argument: p.Argument, Value: v, SessionVariables: p.SessionVariables,
		})
	}
	return nil
}
