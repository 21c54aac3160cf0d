package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/tracing"
)

// Filter answers which rows the principal may touch: the residual
// predicate of its permission, and on request that predicate as SQL.
func (a *authorizationService) Filter(ctx context.Context, req *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error) {
	ci := callInfo{start: time.Now()}
	sess, err := a.s.resolveSession(ctx, req.GetPrincipal())
	if err != nil {
		return nil, err
	}
	ci.sess = sess
	if err := ctxErr(ctx); err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	snap := a.s.current()
	evalCtx, span := tracing.Start(ctx, "warden.evaluate")
	// Called through the guard (slot), the answer may keep its trees
	// in their wire form for the codec (wiretrees.go), unless the codec
	// leaves every response to protobuf (benchmarks).
	slot, _ := ctx.Value(decodeSlotKey{}).(*decodeSlot)
	wire := slot != nil && !a.s.codec.protoResponses.Load()
	rn, res, _, err := filterNode(evalCtx, snap.set, req, sess, true, wire)
	span.End()
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	resp := &rn.resp
	// The table as the request names it (a function, not its table),
	// written as the rest of the API writes names.
	table := req.GetTable()
	if t, err := model.ParseTableName(table); err == nil {
		table = t.String()
	}
	a.s.metrics.observeFilter(res.Slot, table, req.GetOperation(), roleLabel(snap.set.Policy(), resp.GetRole()), resp.GetKind())
	a.s.logFilter(ctx, ci, req, resp, table)
	if a.s.logsOK(ctx) {
		logging.AddFields(ctx, logging.Fields{
			"warden.decision_id", resp.GetDecisionId(),
			"warden.revision", resp.GetRevision(),
			"warden.role", resp.GetRole(),
			"warden.table", req.GetTable(),
			"warden.filter_kind", resp.GetKind().String(),
		})
	}
	// The guard replies with rn for resp, the one answer of the call
	// that left its trees out (see decodeSlot.filter); any other has
	// them put back.
	if rn.hollow() && !slot.filter.CompareAndSwap(nil, rn) {
		if err := rn.materialize(); err != nil {
			return nil, a.s.failFor(ctx, sess, err)
		}
	}
	return resp, nil
}

// FilterOffline answers a FilterRequest against set without a server, for
// the session the principal states, exactly as the Filter RPC would
// (`warden filter`). Errors: status errors for bad requests, the engine's
// and sqlgen's typed errors otherwise (StatusFromError maps them).
func FilterOffline(ctx context.Context, set *engine.Set, req *wardenv1.FilterRequest, lim Limits) (*wardenv1.FilterResponse, error) {
	lim.StatedSession = true
	if err := ValidateRequest(req, lim); err != nil {
		return nil, err
	}
	return FilterAnswer(ctx, set, req, SessionFromPrincipal(req.GetPrincipal()))
}

// FilterAnswer computes the FilterResponse for a validated request and a
// resolved session.
func FilterAnswer(ctx context.Context, set *engine.Set, req *wardenv1.FilterRequest, sess engine.Session) (*wardenv1.FilterResponse, error) {
	// Straight from the permission's template where it can (no binding):
	// the engine's result, which may then hold no bound trees, stays
	// here.
	resp, _, _, err := filterAnswer(ctx, set, req, sess, true)
	return resp, err
}

// filterAnswer is FilterAnswer, with the engine's result and the table it
// decided on (a function's rows are its table's). With deferBind
// (FilterAnswer: the Filter RPC, `warden filter`, GraphQL) the engine
// does not bind the session's values into the permission's template
// when the result can be answered from the template
// (engine.FilterInput.DeferBinding; not with explain, which reads the
// bound trees): the API's trees and the SQL are made from the template
// and the values, and the result returned may then have no Predicate,
// Check or ColumnConditions (FilterResult.Bind fills them).
func filterAnswer(ctx context.Context, set *engine.Set, req *wardenv1.FilterRequest, sess engine.Session, deferBind bool) (*wardenv1.FilterResponse, *engine.FilterResult, model.TableName, error) {
	rn, res, table, err := filterNode(ctx, set, req, sess, deferBind, false)
	if err != nil {
		return nil, nil, table, err
	}
	return &rn.resp, res, table, nil
}

// filterNode is filterAnswer, the response in its filterResponseNode.
// With wire, the response may leave its trees out, written in their wire
// form in the node instead (wiretrees.go): for the codec only.
func filterNode(ctx context.Context, set *engine.Set, req *wardenv1.FilterRequest, sess engine.Session, deferBind, wire bool) (*filterResponseNode, *engine.FilterResult, model.TableName, error) {
	table, err := model.ParseTableName(req.GetTable())
	if err != nil {
		return nil, nil, table, withDetails(codes.InvalidArgument, "invalid table", badField("table", err.Error()))
	}
	op, err := OperationFromProto(req.GetOperation())
	if err != nil {
		return nil, nil, table, withDetails(codes.InvalidArgument, "invalid operation", badField("operation", err.Error()))
	}
	var opts *sqlgen.Options
	if o := req.GetSql(); o != nil {
		if opts, err = sqlOptions(o); err != nil {
			return nil, nil, table, err
		}
	}
	in := engine.FilterInput{Session: sess, Table: table, Op: op, DeferBinding: deferBind && !req.GetExplain()}
	res, set, table, err := filterTable(ctx, set, in)
	if err != nil {
		return nil, nil, table, err
	}
	pred, check, conds, conv, plans, err := answerTrees(res, in.DeferBinding)
	if err != nil {
		return nil, nil, table, err
	}
	if opts != nil && opts.Alias == "" && table.Schema == model.NativeSchema {
		opts.Alias = table.Name
	}
	// The columns sorted once per template when planned: the same as
	// sortedKeys(conds) when they are as many and each is one of conds'
	// (checked below, an error otherwise: never a column condition
	// dropped).
	cols := plans.sortedCols()
	if plans == nil || len(cols) != len(conds) {
		cols = sortedKeys(conds)
	}
	// The response with room for its limit: one allocation.
	rn := &filterResponseNode{}
	resp := &rn.resp
	resp.Kind, resp.Revision, resp.Role, resp.Reason = filterKindToProto(res.Kind), res.Revision, res.Role, res.Reason
	resp.Columns, resp.ComputedFields, resp.AllowAggregations = res.Columns, res.ComputedFields, res.AllowAggregations
	// The trees in their wire form when the codec's writer will write
	// the response (it leaves presets and explanations to protobuf);
	// else, or when the writer does not take them, as messages.
	inWire := wire && len(res.Presets) == 0 && !req.GetExplain() && rn.trees.write(conv, pred, check, conds, cols, plans)
	if inWire {
		resp.Predicate = treesInWire
	} else {
		if resp.Predicate, err = conv.tree(pred, plans.predPlan()); err != nil {
			return nil, nil, table, err
		}
		if check != nil {
			if resp.Check, err = conv.tree(check, plans.checkPlan()); err != nil {
				return nil, nil, table, err
			}
		}
	}
	if res.Limit != nil {
		rn.limit = int32(min(*res.Limit, int(^uint32(0)>>1)))
		resp.Limit = &rn.limit
	}
	if len(res.Presets) > 0 {
		resp.JsonNullPresets = jsonNullPresets(res.Presets)
		if resp.Presets, err = structOf(res.Presets); err != nil {
			return nil, nil, table, err
		}
	}
	if req.GetExplain() {
		resp.Explanation = filterExplanation(set, table, op, sess, res)
	}
	if len(cols) > 0 {
		cc := make([]wardenv1.ColumnCondition, len(cols))
		resp.ColumnConditions = make([]*wardenv1.ColumnCondition, len(cols))
		for i, col := range cols {
			cc[i].Column = col
			resp.ColumnConditions[i] = &cc[i]
			if inWire {
				continue
			}
			cond, ok := conds[col]
			if !ok {
				return nil, nil, table, fmt.Errorf("internal error: no condition for column %q", col)
			}
			if cc[i].Predicate, err = conv.tree(cond, plans.colPlan(col)); err != nil {
				return nil, nil, table, err
			}
		}
	}
	if opts != nil {
		opts.Role, opts.SessionVars = sess.Role, sess.Vars
		if err := renderSQL(set.Policy(), table, *opts, res, resp, cols); err != nil {
			return nil, nil, table, err
		}
	}
	if resp.DecisionId, err = NewDecisionID(); err != nil {
		return nil, nil, table, err
	}
	return rn, res, table, nil
}

// filterResponseNode is a FilterResponse and its limit, and the
// response's trees in their wire form when it leaves them out
// (wiretrees.go).
type filterResponseNode struct {
	resp  wardenv1.FilterResponse
	limit int32
	// mu guards trees, and the response's trees materialize puts back.
	mu    sync.Mutex
	trees treeWire
}

// answerTrees returns the trees a Filter answer is made from: the bound
// ones, or, when DeferBinding (deferred) left them unbound, the
// template's, with conv reading the template's values. A result without
// a predicate otherwise is refused (fail closed), never read as TRUE.
// plans are the template's trees' plans (nil for bound trees).
func answerTrees(res *engine.FilterResult, deferred bool) (pred, check residual.Expr, conds map[string]residual.Expr, conv predicateConv, plans *answerPlans, err error) {
	if res.Predicate != nil {
		return res.Predicate, res.Check, res.ColumnConditions, predicateConv{}, nil, nil
	}
	u := res.Unbound
	if !deferred || u == nil || u.Predicate == nil {
		return nil, nil, nil, conv, nil, errors.New("internal error: filter result without a predicate")
	}
	return u.Predicate, u.Check, u.ColumnConditions, predicateConv{params: u.Params, values: u.Values, unbound: true}, plansOf(u), nil
}

// renderSQL renders the predicate, the update check and the column
// conditions with one renderer, so that PostgreSQL placeholders number
// consecutively in that order: from the permission's SQL rendered once
// when it can (filtersql.go), else from the bound trees.
func renderSQL(p *model.Policy, table model.TableName, o sqlgen.Options, res *engine.FilterResult, resp *wardenv1.FilterResponse, cols []string) error {
	if renderSQLTemplate(p, table, o, res, resp, cols) {
		return nil
	}
	// Not from the template (not templatable for o, a value that binds
	// otherwise, the cache full): from the bound trees, bound now if
	// DeferBinding left them unbound.
	if err := res.Bind(); err != nil {
		return err
	}
	return renderSQLBound(p, table, o, res, resp, cols)
}

// renderSQLBound is renderSQL from the bound trees.
func renderSQLBound(p *model.Policy, table model.TableName, o sqlgen.Options, res *engine.FilterResult, resp *wardenv1.FilterResponse, cols []string) error {
	r, err := sqlgen.NewRenderer(p, table, o)
	if err != nil {
		return err
	}
	out := &wardenv1.SqlFilter{Dialect: DialectToProto(o.Dialect)}
	where, err := r.Render(res.Predicate)
	if err != nil {
		return err
	}
	if out.Where, err = fragmentToProto(where); err != nil {
		return err
	}
	if res.Check != nil {
		check, err := r.Render(res.Check)
		if err != nil {
			return err
		}
		if out.Check, err = fragmentToProto(check); err != nil {
			return err
		}
	}
	for i, col := range cols {
		f, err := r.Column(col, res.ColumnConditions[col])
		if err != nil {
			return err
		}
		if resp.ColumnConditions[i].Sql, err = fragmentToProto(f); err != nil {
			return err
		}
	}
	resp.Sql = out
	return nil
}

// sqlOptions checks and converts the request's SQL options.
func sqlOptions(o *wardenv1.SqlOptions) (*sqlgen.Options, error) {
	var v violations
	var d sqlgen.Dialect
	switch o.GetDialect() {
	case wardenv1.SqlDialect_SQL_DIALECT_POSTGRES:
		d = sqlgen.Postgres
	case wardenv1.SqlDialect_SQL_DIALECT_MYSQL:
		d = sqlgen.MySQL
	case wardenv1.SqlDialect_SQL_DIALECT_SQLITE:
		d = sqlgen.SQLite
	default:
		v.add("sql.dialect", "required when sql is set: SQL_DIALECT_POSTGRES, SQL_DIALECT_MYSQL or SQL_DIALECT_SQLITE")
	}
	if o.GetFirstPlaceholder() < 0 {
		v.add("sql.first_placeholder", "must not be negative")
	}
	if len(o.GetTableAlias()) > 128 {
		v.add("sql.table_alias", "at most 128 bytes")
	}
	if strings.IndexFunc(o.GetTableAlias(), unicode.IsControl) >= 0 || !utf8.ValidString(o.GetTableAlias()) {
		v.add("sql.table_alias", "a name without control characters (NUL, newline, ...), in UTF-8")
	}
	if err := v.err(o); err != nil {
		return nil, err
	}
	return &sqlgen.Options{Dialect: d, Alias: o.GetTableAlias(), FirstPlaceholder: int(o.GetFirstPlaceholder())}, nil
}

// filterStatus maps, for StatusFromError, the errors only Filter returns
// (nil for others): a dialect that cannot express an
// operator is FailedPrecondition naming both.
func filterStatus(err error) *status.Status {
	var untranslatable *residual.TranslateError
	if errors.As(err, &untranslatable) {
		return newStatus(codes.FailedPrecondition, "this rule's row filter cannot be computed: "+untranslatable.Error(),
			errorInfo("FILTER_UNSUPPORTED"))
	}
	var unsupported *sqlgen.UnsupportedError
	if errors.As(err, &unsupported) {
		return newStatus(codes.FailedPrecondition, unsupported.Error(),
			errorInfo("SQL_UNSUPPORTED", "operator", unsupported.Op, "dialect", unsupported.Dialect.String()),
			&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{
				Type:        "SQL_DIALECT",
				Subject:     unsupported.Dialect.String(),
				Description: unsupported.Error(),
			}}})
	}
	return nil
}

func badField(field, desc string) protoDetail {
	return &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}}}
}

func filterKindToProto(k engine.FilterKind) wardenv1.FilterKind {
	switch k {
	case engine.AlwaysAllowed:
		return wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED
	case engine.AlwaysDenied:
		return wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED
	case engine.Conditional:
		return wardenv1.FilterKind_FILTER_KIND_CONDITIONAL
	}
	return wardenv1.FilterKind_FILTER_KIND_UNSPECIFIED
}

// DialectToProto converts a SQL dialect to the API enum.
func DialectToProto(d sqlgen.Dialect) wardenv1.SqlDialect {
	switch d {
	case sqlgen.Postgres:
		return wardenv1.SqlDialect_SQL_DIALECT_POSTGRES
	case sqlgen.MySQL:
		return wardenv1.SqlDialect_SQL_DIALECT_MYSQL
	case sqlgen.SQLite:
		return wardenv1.SqlDialect_SQL_DIALECT_SQLITE
	}
	return wardenv1.SqlDialect_SQL_DIALECT_UNSPECIFIED
}

// fragmentToProto converts rendered SQL and its arguments.
func fragmentToProto(f sqlgen.Fragment) (*wardenv1.SqlFragment, error) {
	return fragmentInto(f, nil)
}

// fragmentInto is fragmentToProto building the fragment in out (a new
// one when nil), which must be empty.
func fragmentInto(f sqlgen.Fragment, out *wardenv1.SqlFragment) (*wardenv1.SqlFragment, error) {
	if out == nil {
		out = &wardenv1.SqlFragment{}
	}
	out.Sql, out.Parameters = f.SQL, make([]*wardenv1.SqlParameter, len(f.Args))
	nodes := make([]paramNode, len(f.Args))
	for i, a := range f.Args {
		p, err := nodes[i].of(a)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		out.Parameters[i] = p
	}
	return out, nil
}

// paramNode is a SqlParameter and its oneof wrappers, made with one
// allocation (a fragment's parameters, an array's elements: one for
// all) and built in place.
type paramNode struct {
	p   wardenv1.SqlParameter
	txt wardenv1.SqlParameter_Text
	i   wardenv1.SqlParameter_Integer
	b   wardenv1.SqlParameter_Boolean
}

func (n *paramNode) text(v string) *wardenv1.SqlParameter {
	n.txt.Text = v
	n.p.Value = &n.txt
	return &n.p
}

func (n *paramNode) integer(v int64) *wardenv1.SqlParameter {
	n.i.Integer = v
	n.p.Value = &n.i
	return &n.p
}

func (n *paramNode) boolean(v bool) *wardenv1.SqlParameter {
	n.b.Boolean = v
	n.p.Value = &n.b
	return &n.p
}

// of converts one of sqlgen's arguments. Numbers are exact, an int64 or
// decimal text: sqlgen renders no double, and one would be an error here
// rather than a rounded parameter.
func (n *paramNode) of(a any) (*wardenv1.SqlParameter, error) {
	switch v := a.(type) {
	case string:
		return n.text(v), nil
	case int64:
		return n.integer(v), nil
	case int:
		return n.integer(int64(v)), nil
	case bool:
		return n.boolean(v), nil
	case json.Number:
		return n.text(v.String()), nil
	case []string:
		return n.array(len(v), func(e *paramNode, i int) (*wardenv1.SqlParameter, error) { return e.text(v[i]), nil })
	case []int64:
		return n.array(len(v), func(e *paramNode, i int) (*wardenv1.SqlParameter, error) { return e.integer(v[i]), nil })
	case []bool:
		return n.array(len(v), func(e *paramNode, i int) (*wardenv1.SqlParameter, error) { return e.boolean(v[i]), nil })
	case []any:
		return n.array(len(v), func(e *paramNode, i int) (*wardenv1.SqlParameter, error) { return e.of(v[i]) })
	}
	return nil, fmt.Errorf("unexpected SQL argument type %T", a)
}

// array is an array parameter of n elements, element i made by elem.
func (n *paramNode) array(size int, elem func(e *paramNode, i int) (*wardenv1.SqlParameter, error)) (*wardenv1.SqlParameter, error) {
	// The array and its oneof wrapper in one allocation.
	an := &arrayNode{}
	arr := &an.arr
	arr.Elements = make([]*wardenv1.SqlParameter, size)
	nodes := make([]paramNode, size)
	for i := range size {
		p, err := elem(&nodes[i], i)
		if err != nil {
			return nil, err
		}
		arr.Elements[i] = p
	}
	an.w.Array = arr
	n.p.Value = &an.w
	return &n.p, nil
}

// arrayNode is an array parameter's SqlArray and oneof wrapper.
type arrayNode struct {
	w   wardenv1.SqlParameter_Array
	arr wardenv1.SqlArray
}

// structOf converts presets to a Struct. Its error starts "presets: ", so
// callers return it as it is.
// jsonNullPresets lists the presets that are a json or jsonb column's JSON
// null (null in the presets' Struct, as SQL NULL is), sorted.
func jsonNullPresets(m map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		if model.IsJSONNull(m[k]) {
			out = append(out, k)
		}
	}
	return out
}

func structOf(m map[string]any) (*structpb.Struct, error) {
	v, err := protoValue(m)
	if err != nil {
		return nil, fmt.Errorf("presets: %w", err)
	}
	return v.GetStructValue(), nil
}
