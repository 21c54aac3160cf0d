package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/tracing"
)

// authorizationService implements warden.v1.AuthorizationService.
type authorizationService struct {
	wardenv1.UnimplementedAuthorizationServiceServer
	s *Server
}

// Check decides on every row of a request the validation interceptor has
// already accepted.
func (a *authorizationService) Check(ctx context.Context, req *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error) {
	ci := callInfo{start: time.Now()}
	sess, err := a.s.resolveSession(ctx, req.GetPrincipal())
	if err != nil {
		return nil, err
	}
	ci.sess = sess
	snap := a.s.current()
	wire := wireRowsOf(ctx, req)
	in, err := checkInput(req, sess, wire)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	// The session may have taken the call's time (a webhook): decide only
	// if the caller still waits. The engine watches ctx from here on.
	if err := ctxErr(ctx); err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	start := time.Now()
	evalCtx, span := tracing.Start(ctx, "warden.evaluate")
	res, err := checkTable(evalCtx, snap.set, &in)
	span.End()
	took := time.Since(start)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	resp, err := CheckResponse(res)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	if req.GetExplain() {
		if err := explainRows(ctx, setFor(snap.set, in.Table), in, resp); err != nil {
			return nil, a.s.failFor(ctx, sess, err)
		}
	}
	table := in.Table.String()
	a.s.metrics.observeCheck(table, in.Op, roleLabel(snap.set.Policy(), res.Role), res, took)
	a.s.logCheck(ctx, ci, req, wire, table, in, res, resp)
	if a.s.logsOK(ctx) {
		logging.AddFields(ctx, logging.Fields{
			"warden.decision_id", resp.GetDecisionId(),
			"warden.revision", resp.GetRevision(),
			"warden.role", resp.GetRole(),
			"warden.table", table,
			"warden.rows", len(res.Rows),
		})
	}
	return resp, nil
}

// CheckOffline answers a CheckRequest against set without a server: it
// validates the request and decides exactly as the Check RPC does, for
// the session the principal states (there is no caller and no token
// offline, so the principal and its role are required). Errors are status
// errors for bad requests and the engine's typed errors otherwise;
// StatusFromError gives the status the RPC would return.
func CheckOffline(ctx context.Context, set *engine.Set, req *wardenv1.CheckRequest, lim Limits) (*wardenv1.CheckResponse, error) {
	lim.StatedSession = true
	if err := ValidateRequest(req, lim); err != nil {
		return nil, err
	}
	in, err := CheckInput(req, SessionFromPrincipal(req.GetPrincipal()))
	if err != nil {
		return nil, err
	}
	res, err := checkTable(ctx, set, &in)
	if err != nil {
		return nil, err
	}
	resp, err := CheckResponse(res)
	if err != nil || !req.GetExplain() {
		return resp, err
	}
	if err := explainRows(ctx, setFor(set, in.Table), in, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// CheckInput converts a validated request to the engine's input, for the
// resolved session.
func CheckInput(req *wardenv1.CheckRequest, sess engine.Session) (engine.CheckInput, error) {
	return checkInput(req, sess, nil)
}

// checkInput is CheckInput, the rows' values read from wire when the
// codec decoded them (nil: from the Structs).
func checkInput(req *wardenv1.CheckRequest, sess engine.Session, wire *wireRows) (engine.CheckInput, error) {
	table, err := model.ParseTableName(req.GetTable())
	if err != nil {
		return engine.CheckInput{}, status.Errorf(codes.InvalidArgument, "table: %v", err)
	}
	op, err := OperationFromProto(req.GetOperation())
	if err != nil {
		return engine.CheckInput{}, err
	}
	in := engine.CheckInput{
		Session: sess,
		Table:   table,
		Op:      op,
		Rows:    make([]engine.Row, len(req.GetRows())),
		Columns: req.GetColumns(),
	}
	if in.Session.Role == "" {
		// Never reached: resolution and validation always give a role.
		return engine.CheckInput{}, status.Error(codes.InvalidArgument, "principal.role: required")
	}
	var bad violations
	for i, r := range req.GetRows() {
		values, newValues := columnsOf(r, wire.row(i))
		if values.wire && len(r.GetJsonNulls()) == 0 && len(r.GetValuesJson()) == 0 && len(r.GetNewValuesJson()) == 0 {
			// As decoded, no map made: the engine reads the Objects.
			in.Rows[i] = engine.Row{ID: r.GetId(), Fields: values.o, NewFields: newValues.o}
			if in.Rows[i].Fields == nil {
				in.Rows[i].Fields = engine.Object{}
			}
			continue
		}
		in.Rows[i] = engine.Row{ID: r.GetId(), Values: values.asMap()}
		if newValues.present() {
			in.Rows[i].New = newValues.asMap()
		}
		// values_json: exact JSON (ValidateRequest has read it once).
		for _, j := range []struct {
			into  map[string]any
			from  map[string]string
			field string
		}{{in.Rows[i].Values, r.GetValuesJson(), "values_json"}, {in.Rows[i].New, r.GetNewValuesJson(), "new_values_json"}} {
			for col, text := range j.from {
				v, err := ParseJSONValue(text)
				if err != nil || j.into == nil {
					return engine.CheckInput{}, status.Errorf(codes.InvalidArgument, "rows[%d].%s[%s]: %v", i, j.field, col, err)
				}
				j.into[col] = v
			}
		}
		if len(r.GetJsonNulls()) > 0 {
			roots := map[string]any{"values": in.Rows[i].Values}
			if in.Rows[i].New != nil {
				roots["new_values"] = in.Rows[i].New
			}
			bad = append(bad, markJSONNulls(roots, r.GetJsonNulls(), fmt.Sprintf("rows[%d].json_nulls", i))...)
		}
	}
	for ti, t := range req.GetTables() {
		name, err := model.ParseTableName(t.GetTable())
		if err != nil {
			return engine.CheckInput{}, status.Errorf(codes.InvalidArgument, "tables: %v", err)
		}
		if in.Tables == nil {
			in.Tables = make(map[model.TableName][]map[string]any, len(req.GetTables()))
		}
		// A table given with no rows is known to have none: not absent.
		rows := make([]map[string]any, 0, len(t.GetRows()))
		list := make([]any, 0, len(t.GetRows()))
		for _, row := range t.GetRows() {
			m := row.AsMap()
			rows = append(rows, m)
			list = append(list, m)
		}
		if len(t.GetJsonNulls()) > 0 {
			bad = append(bad, markJSONNulls(map[string]any{"rows": list}, t.GetJsonNulls(), fmt.Sprintf("tables[%d].json_nulls", ti))...)
		}
		in.Tables[name] = rows // each table once: ValidateRequest refuses a repeat
	}
	if len(bad) > 0 {
		return engine.CheckInput{}, bad.jsonNullsErr()
	}
	return in, nil
}

// SessionFromPrincipal is the session a principal states, taken as it is:
// for `warden check` offline, where the person at the command line is the
// trusted caller. The server resolves sessions with session.Resolver.
// The role comes from ResolveRole; session variable names are
// lower-cased, and the role is in the session as x-hasura-role, as in
// Hasura.
func SessionFromPrincipal(p *wardenv1.Principal) engine.Session {
	vars := make(map[string]string, len(p.GetSessionVariables())+1)
	for k, v := range p.GetSessionVariables() {
		vars[strings.ToLower(k)] = v
	}
	role := ResolveRole(p)
	if role != "" {
		vars[RoleVariable] = role
	}
	return engine.Session{Role: role, Vars: vars, BackendOnly: p.GetUseBackendOnlyPermissions()}
}

// CheckResponse converts the engine's result to the RPC's response, with a
// new decision id. The Check RPC and `warden check --output json` both use
// it, so the command line prints what the RPC returns.
func CheckResponse(res *engine.CheckResult) (*wardenv1.CheckResponse, error) {
	id, err := NewDecisionID()
	if err != nil {
		return nil, err
	}
	resp := &wardenv1.CheckResponse{
		Decisions:  make([]*wardenv1.RowDecision, len(res.Rows)),
		Role:       res.Role,
		Revision:   res.Revision,
		DecisionId: id,
	}
	// The decisions in one allocation rather than one each.
	decisions := make([]wardenv1.RowDecision, len(res.Rows))
	for i, r := range res.Rows {
		d, err := decisionToProto(r.Decision)
		if err != nil {
			return nil, fmt.Errorf("row %q: %w", r.ID, err)
		}
		rd := &decisions[i]
		rd.Id, rd.Decision, rd.Reason = r.ID, d, r.Reason
		rd.AllowedColumns, rd.DeniedColumns, rd.MissingData = r.AllowedColumns, r.DeniedColumns, r.MissingData
		resp.Decisions[i] = rd
		if r.Residual != nil {
			if resp.Decisions[i].Residual, err = PredicateToProto(r.Residual); err != nil {
				return nil, fmt.Errorf("row %q: residual: %w", r.ID, err)
			}
		}
		if r.CheckResidual != nil {
			if resp.Decisions[i].CheckResidual, err = PredicateToProto(r.CheckResidual); err != nil {
				return nil, fmt.Errorf("row %q: check residual: %w", r.ID, err)
			}
		}
	}
	if len(res.Presets) > 0 {
		// Integers beyond 2^53 travel as strings, as the API documents.
		resp.JsonNullPresets = jsonNullPresets(res.Presets)
		presets, err := structOf(res.Presets)
		if err != nil {
			return nil, err // structOf's error names the presets
		}
		resp.Presets = presets
	}
	return resp, nil
}

// ctxErr is ctx.Err(), but DeadlineExceeded for a call past its deadline
// even when the context says Canceled (grpc-go closes a stream at its
// deadline by cancelling it, and that may come first).
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if deadline, ok := ctx.Deadline(); err != nil && ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return err
}

// NewDecisionID returns a UUIDv7: unique, and time-ordered, so decision log
// entries sort by time.
func NewDecisionID() (string, error) {
	// Random bits from uuid's pool (decisionIDRandPool).
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("decision id: %w", err)
	}
	return id.String(), nil
}

func decisionToProto(d engine.Decision) (wardenv1.Decision, error) {
	switch d {
	case engine.Allow:
		return wardenv1.Decision_DECISION_ALLOW, nil
	case engine.Deny:
		return wardenv1.Decision_DECISION_DENY, nil
	case engine.NeedsData:
		return wardenv1.Decision_DECISION_NEEDS_DATA, nil
	}
	return wardenv1.Decision_DECISION_UNSPECIFIED, fmt.Errorf("engine returned unknown decision %d", int(d))
}

// OperationFromProto converts an operation; UNSPECIFIED and unknown values
// are InvalidArgument.
func OperationFromProto(op wardenv1.Operation) (model.Operation, error) {
	switch op {
	case wardenv1.Operation_OPERATION_SELECT:
		return model.OpSelect, nil
	case wardenv1.Operation_OPERATION_INSERT:
		return model.OpInsert, nil
	case wardenv1.Operation_OPERATION_UPDATE:
		return model.OpUpdate, nil
	case wardenv1.Operation_OPERATION_DELETE:
		return model.OpDelete, nil
	}
	return 0, status.Errorf(codes.InvalidArgument, "operation: unknown operation %v", op)
}

// OperationToProto converts an operation.
func OperationToProto(op model.Operation) wardenv1.Operation {
	switch op {
	case model.OpSelect:
		return wardenv1.Operation_OPERATION_SELECT
	case model.OpInsert:
		return wardenv1.Operation_OPERATION_INSERT
	case model.OpUpdate:
		return wardenv1.Operation_OPERATION_UPDATE
	case model.OpDelete:
		return wardenv1.Operation_OPERATION_DELETE
	}
	return wardenv1.Operation_OPERATION_UNSPECIFIED
}

// decisionIDRandPool: a decision id's random bits come from a pool that
// uuid fills from crypto/rand in batches, instead of a read of crypto/rand
// for each id (a twelfth of a Filter's handler). A decision id is an
// identifier the caller is given and the decision log records, not a
// secret, so the pool being on the heap does not matter. Set before any
// goroutine can make a UUID: uuid's switch is not safe to flip later.
func init() { uuid.EnableRandPool() }
