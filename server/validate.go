package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Request limits that are not configurable.
const (
	// MaxSessionVariables is the most session variables a principal may state.
	MaxSessionVariables = 64
	// MaxSessionValueBytes is the longest session variable value.
	MaxSessionValueBytes = 4096
	// MaxRowIDBytes is the longest row id.
	MaxRowIDBytes = 256
	// SessionPrefix starts every session variable name.
	SessionPrefix = "x-hasura-"
	// RoleVariable names the role in the session.
	RoleVariable = "x-hasura-role"
)

// Limits bound a request; see Config.
type Limits struct {
	// MaxRows is the most rows one Check may carry.
	MaxRows int
	// StatedSession requires the principal to state the whole session, a
	// role included (`warden check` offline). Over gRPC the principal is
	// optional: the session may come from the end user's token alone, or
	// be the unauthorized role.
	StatedSession bool
}

// ValidateRequest checks the shape of a request message before any handler
// sees it. It returns nil, an InvalidArgument status with one BadRequest
// field violation per problem, or ResourceExhausted for too many rows.
// Messages it does not know pass unchecked.
func ValidateRequest(req any, lim Limits) error {
	return validateRequest(req, lim, nil)
}

// validateRequest is ValidateRequest, the values of a CheckRequest's rows
// read from wire when the codec decoded them (nil: from the Structs).
func validateRequest(req any, lim Limits, wire *wireRows) error {
	var v violations
	switch r := req.(type) {
	case *wardenv1.CheckRequest:
		if lim.MaxRows > 0 && len(r.GetRows()) > lim.MaxRows {
			return tooManyRows("rows", len(r.GetRows()), lim.MaxRows)
		}
		if n := tableRowCount(r.GetTables()); lim.MaxRows > 0 && n > lim.MaxRows {
			return tooManyRows("tables", n, lim.MaxRows)
		}
		v.principal(r.GetPrincipal(), lim.StatedSession)
		v.table("table", r.GetTable())
		v.operation(r.GetOperation())
		v.rows(r.GetRows(), r.GetOperation(), wire)
		for i, c := range r.GetColumns() {
			if c == "" {
				v.add(fmt.Sprintf("columns[%d]", i), "must not be empty")
			}
		}
		v.tables(r.GetTables())
	case *wardenv1.CheckGraphQLRequest:
		v.checkGraphQL(r, lim)
	case *wardenv1.FilterRequest:
		v.principal(r.GetPrincipal(), lim.StatedSession)
		v.table("table", r.GetTable())
		v.operation(r.GetOperation())
	case *wardenv1.QueryDatabaseRequest:
		v.principal(r.GetPrincipal(), lim.StatedSession)
		v.table("table", r.GetTable())
		if r.GetLimit() < 0 || r.GetLimit() > MaxQueryRows {
			v.add("limit", fmt.Sprintf("1 to %d rows, or 0 for %d", MaxQueryRows, DefaultQueryRows))
		}
	case *wardenv1.GetTableRegoRequest:
		v.table("table", r.GetTable())
	case *wardenv1.GetTablePermissionsRequest:
		v.table("table", r.GetTable())
	default:
		return nil
	}
	return v.err(req)
}

// validationInterceptor runs ValidateRequest; it is the last interceptor, so
// a rejected request has been logged and counted but reaches no handler.
func validationInterceptor(lim Limits) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := validateRequest(req, lim, wireRowsOf(ctx, req)); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// ResolveRole returns the role a principal asks for: principal.role, else
// the session variable x-hasura-role. Empty means none; a missing role
// never means admin.
func ResolveRole(p *wardenv1.Principal) string {
	if r := p.GetRole(); r != "" {
		return r
	}
	for k, val := range p.GetSessionVariables() {
		if strings.EqualFold(k, RoleVariable) {
			return val
		}
	}
	return ""
}

type violations []*errdetails.BadRequest_FieldViolation

func (v *violations) add(field, desc string) {
	*v = append(*v, &errdetails.BadRequest_FieldViolation{Field: field, Description: desc})
}

// plainSession says whether vars pass sessionNames without a violation,
// for the few ASCII names a call states (nearly every call), without
// sorting them or building a map; roleName is the name of x-hasura-role
// among them ("" when absent). ok is false when sessionNames must look.
func plainSession(vars map[string]string) (roleName string, ok bool) {
	if len(vars) > 8 {
		return "", false
	}
	// Names in lower case (nearly every call) cannot repeat one another in
	// another case: then no pair is compared.
	upper := false
	for name, value := range vars {
		for i := range len(name) {
			c := name[i]
			if c >= utf8.RuneSelf {
				return "", false // ToLower and EqualFold agree on ASCII only
			}
			upper = upper || 'A' <= c && c <= 'Z'
		}
		if len(name) < len(SessionPrefix) || !strings.EqualFold(name[:len(SessionPrefix)], SessionPrefix) || len(value) > MaxSessionValueBytes {
			return "", false
		}
		if strings.EqualFold(name, RoleVariable) {
			roleName = name
		}
	}
	if upper {
		for name := range vars {
			for other := range vars {
				if other != name && strings.EqualFold(other, name) {
					return "", false
				}
			}
		}
	}
	return roleName, true
}

// sessionNames checks the names and sizes of vars in name order, and
// returns the name of x-hasura-role among them (of a name given twice in
// another case, the last).
func (v *violations) sessionNames(vars map[string]string) (roleName string) {
	seen := make(map[string]string, len(vars))
	for _, name := range sortedKeys(vars) {
		field := sessionField(name)
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, SessionPrefix) {
			v.add(field, fmt.Sprintf("session variable names must start with %q", SessionPrefix))
		}
		if prev, dup := seen[lower]; dup {
			v.add(field, fmt.Sprintf("duplicate of %q: names are case-insensitive", prev))
		}
		seen[lower] = name
		if n := len(vars[name]); n > MaxSessionValueBytes {
			v.add(field, fmt.Sprintf("value is %d bytes; at most %d", n, MaxSessionValueBytes))
		}
	}
	return seen[RoleVariable]
}

// principal checks the stated session. Without a principal, or without a
// role, the session comes from the end user's token (its default role) or
// is the unauthorized role — unless stated is set (offline): then both
// are required. A missing role never means admin.
func (v *violations) principal(p *wardenv1.Principal, stated bool) {
	if p == nil {
		if stated {
			v.add("principal", "required")
		}
		return
	}
	vars := p.GetSessionVariables()
	if len(vars) > MaxSessionVariables {
		v.add("principal.session_variables", fmt.Sprintf("%d variables; at most %d", len(vars), MaxSessionVariables))
	}
	roleName, plain := plainSession(vars)
	if !plain {
		roleName = v.sessionNames(vars)
	}
	sessionRole, hasSessionRole := vars[roleName], roleName != ""
	switch {
	case hasSessionRole && sessionRole == "":
		v.add(sessionField(roleName), "must not be empty: leave the variable out to use the default role")
	case stated && p.GetRole() == "" && sessionRole == "":
		v.add("principal.role", "required: set principal.role or the session variable "+RoleVariable)
	case p.GetRole() != "" && sessionRole != "" && p.GetRole() != sessionRole:
		v.add("principal.role", fmt.Sprintf("%q differs from the session variable %s %q", p.GetRole(), RoleVariable, sessionRole))
	}
}

func (v *violations) table(field, name string) {
	if name == "" {
		v.add(field, "required")
		return
	}
	if _, err := model.ParseTableName(name); err != nil {
		v.add(field, err.Error())
	}
}

func (v *violations) operation(op wardenv1.Operation) {
	switch op {
	case wardenv1.Operation_OPERATION_UNSPECIFIED:
		v.add("operation", "required")
	case wardenv1.Operation_OPERATION_SELECT, wardenv1.Operation_OPERATION_INSERT,
		wardenv1.Operation_OPERATION_UPDATE, wardenv1.Operation_OPERATION_DELETE:
	default:
		v.add("operation", fmt.Sprintf("unknown operation %d", op))
	}
}

func (v *violations) rows(rows []*wardenv1.Row, op wardenv1.Operation, wire *wireRows) {
	if len(rows) == 0 {
		v.add("rows", "at least one row is required")
		return
	}
	ids := make(map[string]int, len(rows))
	for i, r := range rows {
		prefix := "rows[" + strconv.Itoa(i) + "]"
		switch id := r.GetId(); {
		case id == "":
			v.add(prefix+".id", "required")
		case len(id) > MaxRowIDBytes:
			v.add(prefix+".id", fmt.Sprintf("%d bytes; at most %d", len(id), MaxRowIDBytes))
		default:
			if j, dup := ids[id]; dup {
				v.add(prefix+".id", fmt.Sprintf("duplicate of rows[%d].id", j))
			} else {
				ids[id] = i
			}
		}
		values, newValues := columnsOf(r, wire.row(i))
		if !values.present() {
			v.add(prefix+".values", "required")
		}
		if newValues.present() && op != wardenv1.Operation_OPERATION_UPDATE {
			v.add(prefix+".new_values", "only for OPERATION_UPDATE")
		}
		v.jsonValues(prefix+".values_json", r.GetValuesJson(), values)
		if len(r.GetNewValuesJson()) > 0 {
			switch {
			case op != wardenv1.Operation_OPERATION_UPDATE:
				v.add(prefix+".new_values_json", "only for OPERATION_UPDATE")
			case !newValues.present():
				v.add(prefix+".new_values_json", "needs new_values (the row after the update)")
			}
			v.jsonValues(prefix+".new_values_json", r.GetNewValuesJson(), newValues)
		}
	}
}

// jsonValues checks a row's values_json (or new_values_json): one JSON
// document per column, nested at most MaxJSONDepth levels, for a column
// that values (or new_values) does not also give.
func (v *violations) jsonValues(field string, m map[string]string, values rowColumns) {
	if len(m) == 0 {
		return
	}
	for _, col := range slices.Sorted(maps.Keys(m)) {
		f := field + "[" + col + "]"
		if values.has(col) {
			v.add(f, "the column is also in values; give it once")
			continue
		}
		if _, err := ParseJSONValue(m[col]); err != nil {
			v.add(f, err.Error())
		}
	}
}

// MaxJSONDepth is the deepest nesting of a value in values_json.
const MaxJSONDepth = 64

// ParseJSONValue reads one JSON document exactly (numbers as
// json.Number), nested at most MaxJSONDepth levels.
func ParseJSONValue(s string) (any, error) {
	if v, ok := jsonScalar(s); ok {
		return v, nil
	}
	return decodeJSONValue(s)
}

// jsonScalar reads the documents most columns of values_json are — a
// number, true, false, null, or an ASCII string without escapes, with
// JSON's white space around — as decodeJSONValue does, without its
// decoder; ok is false for anything else.
func jsonScalar(s string) (v any, ok bool) {
	t := strings.Trim(s, " \t\n\r")
	switch t {
	case "":
		return nil, false
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	if t[0] == '"' {
		if len(t) < 2 || t[len(t)-1] != '"' {
			return nil, false
		}
		in := t[1 : len(t)-1]
		for i := range len(in) {
			if c := in[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
				return nil, false
			}
		}
		return in, true
	}
	if !model.IsJSONNumber(t) {
		return nil, false
	}
	return json.Number(t), true
}

// decodeJSONValue is ParseJSONValue with encoding/json's decoder.
func decodeJSONValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: more than one value")
	}
	if jsonDepth(out) > MaxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", MaxJSONDepth)
	}
	return out, nil
}

func jsonDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	case map[string]any:
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	}
	return 0
}

// tables checks the rows of other tables given for _exists.
func (v *violations) tables(tables []*wardenv1.TableRows) {
	seen := make(map[model.TableName]int, len(tables))
	for i, t := range tables {
		prefix := "tables[" + strconv.Itoa(i) + "]"
		if t.GetTable() == "" {
			v.add(prefix+".table", "required")
		} else if name, err := model.ParseTableName(t.GetTable()); err != nil {
			v.add(prefix+".table", err.Error())
		} else if j, dup := seen[name]; dup {
			v.add(prefix+".table", fmt.Sprintf("%s is also tables[%d]; give each table once", name, j))
		} else {
			seen[name] = i
		}
		for j, row := range t.GetRows() {
			if row == nil {
				v.add(fmt.Sprintf("%s.rows[%d]", prefix, j), "required")
			}
		}
	}
}

func tableRowCount(tables []*wardenv1.TableRows) int {
	n := 0
	for _, t := range tables {
		n += len(t.GetRows())
	}
	return n
}

// err turns the violations into an InvalidArgument status, or nil.
func (v violations) err(req any) error {
	if len(v) == 0 {
		return nil
	}
	msg := fmt.Sprintf("invalid %T: %s: %s", req, v[0].GetField(), v[0].GetDescription())
	msg = strings.Replace(msg, "*wardenv1.", "", 1)
	if len(v) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(v)-1)
	}
	return withDetails(codes.InvalidArgument, msg, &errdetails.BadRequest{FieldViolations: v})
}

// tooManyRows is ResourceExhausted for a request over the row limit.
func tooManyRows(field string, n, limit int) error {
	desc := fmt.Sprintf("%d rows; at most %d per request", n, limit)
	return withDetails(codes.ResourceExhausted,
		fmt.Sprintf("%d rows in %s; at most %d per request", n, field, limit),
		&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{Subject: field, Description: desc}}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}}},
	)
}

// sessionField is the field path of one session variable in a request, as
// the engine writes it too: principal.session_variables[x-hasura-user-id].
func sessionField(name string) string {
	return "principal.session_variables[" + name + "]"
}

// withDetails builds a status error with details.
func withDetails(code codes.Code, msg string, details ...protoDetail) error {
	return newStatus(code, msg, details...).Err()
}
