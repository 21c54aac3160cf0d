package warden

import (
	"context"
	"fmt"
	"strconv"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Operation is what a principal wants to do to a table's rows.
type Operation = wardenv1.Operation

// The operations.
const (
	Select = wardenv1.Operation_OPERATION_SELECT
	Insert = wardenv1.Operation_OPERATION_INSERT
	Update = wardenv1.Operation_OPERATION_UPDATE
	Delete = wardenv1.Operation_OPERATION_DELETE
)

// Effect is the decision on one row.
type Effect = wardenv1.Decision

// The effects.
const (
	// Allow: the operation is allowed on the row.
	Allow = wardenv1.Decision_DECISION_ALLOW
	// Deny: it is not.
	Deny = wardenv1.Decision_DECISION_DENY
	// NeedsData: the rule reads data the request did not carry (a related
	// row, or rows of another table for _exists); RowDecision.MissingData
	// names it.
	NeedsData = wardenv1.Decision_DECISION_NEEDS_DATA
)

// Principal says who is asking: an end user's token, or a session the
// caller states because it is trusted to.
type Principal struct {
	// Token is the end user's JWT, sent as "authorization: Bearer <Token>"
	// metadata; Warden verifies it and takes the session from its claims.
	Token string
	// Role is the requested role (x-hasura-role); with a Token, one of the
	// token's allowed roles, empty for its default role.
	Role string
	// Session holds x-hasura-* session variables stated directly, for
	// callers with the trusted-session grant.
	Session map[string]string
	// BackendOnly applies backend_only permissions (trusted callers only).
	BackendOnly bool
}

func (p Principal) proto() *wardenv1.Principal {
	return &wardenv1.Principal{Role: p.Role, SessionVariables: p.Session, UseBackendOnlyPermissions: p.BackendOnly}
}

// Row is one row to decide on.
type Row struct {
	// ID identifies the row in the decision; empty means its position
	// ("0", "1", ...).
	ID string
	// Values are the row's columns by name: the current row for select,
	// update and delete, the proposed row for insert. Related rows may be
	// nested under a relationship's name. See NewStruct for the Go types
	// accepted.
	Values map[string]any
	// NewValues is, for update, the row after the change.
	NewValues map[string]any
}

// CheckRequest asks for a decision on one or many rows of one table.
type CheckRequest struct {
	Principal Principal
	// Table is "schema.name", or "name" for schema public.
	Table     string
	Operation Operation
	// Rows to decide on: at least one, at most the server's --max-rows
	// (1000 by default).
	Rows []Row
	// Columns the caller wants to read or write; a row is allowed only if
	// every one is. Empty means no column requirement.
	Columns []string
	// Related holds rows of other tables that rules with _exists read, by
	// table.
	Related map[string][]map[string]any
	// Explain asks for each row's explanation (RowDecision.Explanation):
	// why the row got its decision, the rule node by node.
	Explain bool
}

// RowDecision is the decision on one row.
type RowDecision struct {
	// ID is the row's ID, as sent (or its position).
	ID     string
	Effect Effect
	// Reason says why, for people and logs.
	Reason string
	// AllowedColumns are the columns the role may read or write, sorted.
	AllowedColumns []string
	// DeniedColumns are the requested columns that are not allowed.
	DeniedColumns []string
	// MissingData names what a NeedsData decision lacks: columns
	// ("published"), paths in related rows ("author.org_id") or tables
	// ("public.memberships").
	MissingData []string
	// Residual is, for NeedsData, what remains of the filter once the data
	// sent is known: a predicate on the missing data. CheckResidual is the
	// same for the check (insert, update).
	Residual, CheckResidual *wardenv1.Predicate
	// Explanation, when the request asked for it, is the role's rule
	// evaluated on the row: each node with its outcome, each comparison
	// with the row's value and the session's.
	Explanation *wardenv1.Explanation
}

// Allowed reports whether the operation is allowed on the row.
func (d RowDecision) Allowed() bool { return d.Effect == Allow }

// CheckResult is the answer to a Check: one decision per row, in request
// order.
type CheckResult struct {
	Decisions []RowDecision
	// Role is the role the decision was made for.
	Role string
	// Presets are the column values (Hasura "set") the caller must write on
	// insert and update, session variables substituted.
	Presets map[string]any
	// Revision identifies the policy set that decided.
	Revision string
	// DecisionID identifies this decision in Warden's decision log.
	DecisionID string
}

// Allowed reports whether every row is allowed.
func (r *CheckResult) Allowed() bool {
	for _, d := range r.Decisions {
		if !d.Allowed() {
			return false
		}
	}
	return len(r.Decisions) > 0
}

// Decision returns the decision on the row with the given ID.
func (r *CheckResult) Decision(id string) (RowDecision, bool) {
	for _, d := range r.Decisions {
		if d.ID == id {
			return d, true
		}
	}
	return RowDecision{}, false
}

// CheckRow decides on one row; the result has one decision.
func (c *Client) CheckRow(ctx context.Context, p Principal, table string, op Operation, values map[string]any) (*CheckResult, error) {
	return c.Check(ctx, CheckRequest{Principal: p, Table: table, Operation: op, Rows: []Row{{Values: values}}})
}

// Check decides on every row of the request.
func (c *Client) Check(ctx context.Context, req CheckRequest) (*CheckResult, error) {
	pb, err := req.proto()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.outgoing(ctx, req.Principal)
	defer cancel()
	resp, err := c.authz.Check(ctx, pb)
	if err != nil {
		return nil, fromStatus(err)
	}
	return checkResult(resp), nil
}

func (req CheckRequest) proto() (*wardenv1.CheckRequest, error) {
	pb := &wardenv1.CheckRequest{
		Principal: req.Principal.proto(),
		Table:     req.Table,
		Operation: req.Operation,
		Columns:   req.Columns,
		Rows:      make([]*wardenv1.Row, len(req.Rows)),
		Explain:   req.Explain,
	}
	for i, r := range req.Rows {
		id := r.ID
		if id == "" {
			id = strconv.Itoa(i)
		}
		row := &wardenv1.Row{Id: id}
		var err error
		if row.Values, err = NewStruct(r.Values); err != nil {
			return nil, fmt.Errorf("warden: rows[%d].values: %w", i, err)
		}
		if r.NewValues != nil {
			if row.NewValues, err = NewStruct(r.NewValues); err != nil {
				return nil, fmt.Errorf("warden: rows[%d].new_values: %w", i, err)
			}
		}
		row.JsonNulls = jsonNullPaths(nil, "values", r.Values)
		if r.NewValues != nil {
			row.JsonNulls = jsonNullPaths(row.JsonNulls, "new_values", r.NewValues)
		}
		pb.Rows[i] = row
	}
	for _, table := range sortedKeys(req.Related) {
		tr := &wardenv1.TableRows{Table: table}
		for j, r := range req.Related[table] {
			s, err := NewStruct(r)
			if err != nil {
				return nil, fmt.Errorf("warden: related[%s][%d]: %w", table, j, err)
			}
			tr.Rows = append(tr.Rows, s)
			tr.JsonNulls = jsonNullPaths(tr.JsonNulls, "rows["+strconv.Itoa(j)+"]", r)
		}
		pb.Tables = append(pb.Tables, tr)
	}
	return pb, nil
}

func checkResult(resp *wardenv1.CheckResponse) *CheckResult {
	r := &CheckResult{
		Role:       resp.GetRole(),
		Presets:    presetsOf(resp),
		Revision:   resp.GetRevision(),
		DecisionID: resp.GetDecisionId(),
		Decisions:  make([]RowDecision, len(resp.GetDecisions())),
	}
	for i, d := range resp.GetDecisions() {
		r.Decisions[i] = RowDecision{
			ID:             d.GetId(),
			Effect:         d.GetDecision(),
			Reason:         d.GetReason(),
			AllowedColumns: d.GetAllowedColumns(),
			DeniedColumns:  d.GetDeniedColumns(),
			MissingData:    d.GetMissingData(),
			Residual:       d.GetResidual(),
			CheckResidual:  d.GetCheckResidual(),
			Explanation:    d.GetExplanation(),
		}
	}
	return r
}

// presetsOf is the presets of a response, a JSON null as JSONNull.
func presetsOf(resp *wardenv1.CheckResponse) map[string]any {
	p := resp.GetPresets().AsMap()
	for _, k := range resp.GetJsonNullPresets() {
		p[k] = JSONNull
	}
	return p
}
