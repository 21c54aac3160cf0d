package permtest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
)

// Decider answers Check and Filter: the server's offline path (Offline) or
// a live server (the Go client's API()). Errors are gRPC statuses.
type Decider interface {
	Check(ctx context.Context, req *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error)
	Filter(ctx context.Context, req *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error)
}

// Offline decides with a loaded policy set exactly as the server's RPCs
// do: the same validation, conversion and engine (server.CheckOffline and
// server.FilterOffline), and the server's default row limit.
type Offline struct{ Set *engine.Set }

// Check implements Decider.
func (o Offline) Check(ctx context.Context, req *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error) {
	resp, err := server.CheckOffline(ctx, o.Set, req, server.Limits{MaxRows: server.DefaultMaxRows})
	return resp, statusOf(err)
}

// Filter implements Decider.
func (o Offline) Filter(ctx context.Context, req *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error) {
	resp, err := server.FilterOffline(ctx, o.Set, req, server.Limits{})
	return resp, statusOf(err)
}

func statusOf(err error) error {
	if err == nil {
		return nil
	}
	return server.StatusFromError(err).Err()
}

// Runner runs suites.
type Runner struct {
	// Policy is the policy set the suites test: its tables name the
	// fixtures' columns and types.
	Policy  *model.Policy
	Decider Decider
	// Match, when set, selects the tests whose name it matches (--run).
	Match *regexp.Regexp
	// DatabaseURL, when set, is a PostgreSQL or MySQL server where each
	// suite's fixtures go into a scratch database (created and dropped)
	// for Filter's SQL to run in that dialect; else SQLite in memory.
	DatabaseURL string
}

// Result is the outcome of one test.
type Result struct {
	Suite string `json:"suite"`
	Name  string `json:"name"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	// Passed is false when any expectation failed or the test could not run.
	Passed bool `json:"passed"`
	// Failures are the expectations that did not hold, each with what was
	// expected and what came.
	Failures []Failure `json:"failures,omitempty"`
	// Error is why the test could not run (the fixtures' SQL failed, ...).
	Error   string        `json:"error,omitempty"`
	Elapsed time.Duration `json:"-"`
	// Calls are what the test asked, for coverage.
	Calls []Call `json:"-"`
}

// Failure is one expectation that did not hold.
type Failure struct {
	// What names the expectation: "check row 4: decision", "filter rows".
	What     string `json:"what"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	// Detail says more about the actual answer (the decision's reason).
	Detail string `json:"detail,omitempty"`
	// Explanation is, for a wrong decision, why the row got the one it
	// got: the rule's tree with each node's outcome (WriteExplanation).
	Explanation string `json:"explanation,omitempty"`
}

// Call is one decision a test asked for, for coverage: the permission
// and what it answered.
type Call struct {
	Table     model.TableName
	Operation model.Operation
	Role      string
	// Outcome is allow, deny, needs_data, always_allowed, always_denied,
	// conditional, or error.
	Outcome string
	// Leaves are the outcomes of the rule's comparisons on a Check row,
	// from its explanation.
	Leaves []Leaf
}

// Leaf is one comparison of a rule and its outcome on a row. Key names it
// by its place in the rule and what it compares, not by the session's
// value: "filter: or[1].and[0]: org_id =".
type Leaf struct {
	Key     string
	Outcome string
}

// leaves lists the comparisons of an explanation tree.
func leaves(prefix string, n *wardenv1.ExplainNode, out []Leaf) []Leaf {
	if n == nil {
		return out
	}
	switch {
	case n.GetOp() == "exists" && len(n.GetChildren()) == 0:
		return out // not a comparison: the related rows were missing or none
	case n.GetOp() == "true" || n.GetOp() == "false":
		return out // a constant: no rule to cover (an update without a check)
	}
	if len(n.GetChildren()) == 0 {
		key := prefix + n.GetOp()
		if n.GetColumn() != "" {
			key = prefix + n.GetColumn() + " " + n.GetOp()
		}
		return append(out, Leaf{Key: key, Outcome: strings.ToLower(strings.TrimPrefix(n.GetOutcome().String(), "EXPLAIN_OUTCOME_"))})
	}
	for i, c := range n.GetChildren() {
		out = leaves(fmt.Sprintf("%s%s[%d].", prefix, n.GetOp(), i), c, out)
	}
	return out
}

// Run runs every selected test of the suites, in order.
func (r *Runner) Run(ctx context.Context, suites []*Suite) ([]*Result, error) {
	var out []*Result
	for i, s := range suites {
		sel := make([]*Case, 0, len(s.Cases))
		for _, c := range s.Cases {
			if r.Match == nil || r.Match.MatchString(c.Name) {
				sel = append(sel, c)
			}
		}
		if len(sel) == 0 {
			continue
		}
		f, err := resolveFixtures(r.Policy, s)
		if err != nil {
			return nil, err
		}
		var st fixtureDB
		switch {
		case len(f.tables) == 0:
		case r.DatabaseURL != "":
			if st, err = openServer(ctx, r.DatabaseURL, r.Policy, f); err != nil {
				return nil, fmt.Errorf("%s: %w", s.File, err)
			}
		default:
			if st, err = openSQLite(ctx, r.Policy, "s"+strconv.Itoa(i)); err != nil {
				return nil, fmt.Errorf("%s: %w", s.File, err)
			}
		}
		for _, c := range sel {
			start := time.Now()
			res := r.runCase(ctx, s, f, st, c)
			res.Elapsed = time.Since(start)
			res.Passed = len(res.Failures) == 0 && res.Error == ""
			out = append(out, res)
		}
		if st != nil {
			st.close()
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *Runner) runCase(ctx context.Context, s *Suite, f *fixtures, st fixtureDB, c *Case) *Result {
	res := &Result{Suite: s.File, Name: c.Name, File: c.File, Line: c.Line}
	tn, err := model.ParseTableName(c.Table)
	if err != nil {
		res.Error = fmt.Sprintf("table %q: %v", c.Table, err)
		return res
	}
	op, err := model.ParseOperation(c.Operation)
	if err != nil {
		res.Error = fmt.Sprintf("operation %q: %v", c.Operation, err)
		return res
	}
	principal, err := s.Sessions[c.Session].principal()
	if err != nil {
		res.Error = fmt.Sprintf("session %s: %v", c.Session, err)
		return res
	}
	call := func(outcome string, ls ...Leaf) {
		res.Calls = append(res.Calls, Call{Table: tn, Operation: op, Role: principal.GetRole(), Outcome: outcome, Leaves: ls})
	}
	fail := func(what, expected, actual, detail string) {
		res.Failures = append(res.Failures, Failure{What: what, Expected: expected, Actual: actual, Detail: detail})
	}
	t := r.Policy.Tables[tn]
	ft := f.tables[tn]

	if c.Error != "" {
		r.expectError(ctx, c, principal, tn, op, f, ft, call, fail)
		return res
	}
	if c.Check != nil || c.Presets != nil {
		r.runCheck(ctx, c, principal, tn, op, t, f, ft, call, fail, res)
	}
	if c.Filter != nil {
		r.runFilter(ctx, c, principal, tn, op, f, ft, st, call, fail, res)
	}
	return res
}

// expectError runs Filter, and Check on the table's fixture rows when
// there are any, and expects both to fail with the test's status.
func (r *Runner) expectError(ctx context.Context, c *Case, principal *wardenv1.Principal, tn model.TableName, op model.Operation, f *fixtures, ft *fixtureTable, call func(string, ...Leaf), fail func(what, exp, act, detail string)) {
	want := c.Error
	if c.ErrorMessage != "" {
		want += ": …" + c.ErrorMessage + "…"
	}
	compare := func(what string, err error) {
		if err == nil {
			call("answered")
			fail(what, want, "an answer (no error)", "")
			return
		}
		call("error")
		st := status.Convert(err)
		got := codeName(st.Code())
		if got != c.Error || !strings.Contains(st.Message(), c.ErrorMessage) {
			fail(what, want, got+": "+st.Message(), "")
		}
	}
	_, err := r.Decider.Filter(ctx, &wardenv1.FilterRequest{Principal: principal, Table: c.Table, Operation: server.OperationToProto(op)})
	compare("filter error", err)
	if ft == nil {
		return
	}
	req := &wardenv1.CheckRequest{Principal: principal, Table: c.Table, Operation: server.OperationToProto(op), Columns: c.Columns}
	for i, row := range ft.rows {
		v, err := structpb.NewStruct(f.nested(ft.table, row, nestDepth))
		if err != nil {
			fail("check error", want, "fixture row "+ft.ids[i]+": "+err.Error(), "")
			return
		}
		req.Rows = append(req.Rows, &wardenv1.Row{Id: ft.ids[i], Values: v})
	}
	req.Tables, err = f.tableRows()
	if err != nil {
		fail("check error", want, err.Error(), "")
		return
	}
	_, err = r.Decider.Check(ctx, req)
	compare("check error", err)
}

func (r *Runner) runCheck(ctx context.Context, c *Case, principal *wardenv1.Principal, tn model.TableName, op model.Operation, t *model.Table, f *fixtures, ft *fixtureTable, call func(string, ...Leaf), fail func(what, exp, act, detail string), res *Result) {
	// Fixture rows go in one request with every fixture table (for
	// _exists); rows written out in another with nothing else, so that
	// what they lack is NEEDS_DATA. Explanations give the coverage of
	// the rule's comparisons.
	base := func() *wardenv1.CheckRequest {
		return &wardenv1.CheckRequest{Principal: principal, Table: c.Table, Operation: server.OperationToProto(op), Columns: c.Columns, Explain: true}
	}
	var fromFixtures, written *wardenv1.CheckRequest
	label := make(map[*RowExpect]string, len(c.Check))
	for i, e := range c.Check {
		var values map[string]any
		req := &written
		if e.Values != nil {
			values = e.Values
			label[e] = "row " + strconv.Itoa(i+1) + " (values)"
		} else {
			id := idText(e.Row)
			if ft == nil {
				res.Error = fmt.Sprintf("line %d: row %s: there are no fixtures of %s", e.Line, id, c.Table)
				return
			}
			pos, ok := ft.byID[id]
			if !ok {
				res.Error = fmt.Sprintf("line %d: row %s: no fixture row of %s has %s %s", e.Line, id, c.Table, t.PrimaryKey[0], id)
				return
			}
			values = f.nested(ft.table, ft.rows[pos], nestDepth)
			label[e] = "row " + id
			req = &fromFixtures
		}
		row := &wardenv1.Row{Id: strconv.Itoa(i)}
		var err error
		if row.Values, err = structpb.NewStruct(values); err != nil {
			res.Error = fmt.Sprintf("line %d: %v", e.Line, err)
			return
		}
		if e.Update != nil {
			nv := make(map[string]any, len(values)+len(e.Update))
			for k, v := range values {
				nv[k] = v
			}
			for k, v := range e.Update {
				nv[k] = v
			}
			if row.NewValues, err = structpb.NewStruct(nv); err != nil {
				res.Error = fmt.Sprintf("line %d: update: %v", e.Line, err)
				return
			}
		}
		if *req == nil {
			*req = base()
		}
		(*req).Rows = append((*req).Rows, row)
	}
	if c.Check == nil {
		// presets only: ask with one empty row, as an insert would.
		written = base()
		written.Rows = []*wardenv1.Row{{Id: "0", Values: &structpb.Struct{}}}
	}
	if fromFixtures != nil {
		var err error
		if fromFixtures.Tables, err = f.tableRows(); err != nil {
			res.Error = err.Error()
			return
		}
	}
	decisions := map[string]*wardenv1.RowDecision{}
	var presets *structpb.Struct
	for _, req := range []*wardenv1.CheckRequest{fromFixtures, written} {
		if req == nil {
			continue
		}
		resp, err := r.Decider.Check(ctx, req)
		if err != nil {
			call("error")
			st := status.Convert(err)
			fail("check", "an answer", codeName(st.Code())+": "+st.Message(), "")
			return
		}
		for _, d := range resp.GetDecisions() {
			decisions[d.GetId()] = d
			ls := leaves("filter: ", d.GetExplanation().GetFilter(), nil)
			ls = leaves("check: ", d.GetExplanation().GetCheck(), ls)
			call(decisionName(d.GetDecision()), ls...)
		}
		if presets == nil {
			presets = resp.GetPresets()
		}
	}
	for i, e := range c.Check {
		d := decisions[strconv.Itoa(i)]
		if d == nil {
			fail("check "+label[e], e.Decision, "no decision for the row", "")
			continue
		}
		got := decisionName(d.GetDecision())
		if got != e.Decision {
			fail("check "+label[e]+": decision", e.Decision, got, d.GetReason())
			if x := d.GetExplanation(); x != nil {
				var b strings.Builder
				WriteExplanation(&b, strings.TrimPrefix(label[e], "row "), x)
				res.Failures[len(res.Failures)-1].Explanation = b.String()
			}
		}
		if e.Columns != nil && !sameSet(e.Columns, d.GetAllowedColumns()) {
			fail("check "+label[e]+": columns", list(e.Columns), list(d.GetAllowedColumns()), d.GetReason())
		}
		if e.Needs != nil && !sameSet(e.Needs, d.GetMissingData()) {
			fail("check "+label[e]+": needs", list(e.Needs), list(d.GetMissingData()), d.GetReason())
		}
	}
	if c.Presets != nil {
		want, err := structpb.NewStruct(c.Presets)
		if err != nil {
			res.Error = "presets: " + err.Error()
			return
		}
		got := presets.AsMap()
		if !sameJSON(want.AsMap(), got) {
			fail("check presets", jsonText(want.AsMap()), jsonText(got), "")
		}
	}
}

func (r *Runner) runFilter(ctx context.Context, c *Case, principal *wardenv1.Principal, tn model.TableName, op model.Operation, f *fixtures, ft *fixtureTable, st fixtureDB, call func(string, ...Leaf), fail func(what, exp, act, detail string), res *Result) {
	e := c.Filter
	req := &wardenv1.FilterRequest{Principal: principal, Table: c.Table, Operation: server.OperationToProto(op)}
	if e.HasRows && st != nil {
		req.Sql = &wardenv1.SqlOptions{Dialect: st.dialect(), TableAlias: alias}
	}
	resp, err := r.Decider.Filter(ctx, req)
	if err != nil {
		call("error")
		st := status.Convert(err)
		fail("filter", "an answer", codeName(st.Code())+": "+st.Message(), "")
		return
	}
	kind := strings.ToLower(strings.TrimPrefix(resp.GetKind().String(), "FILTER_KIND_"))
	call(kind)
	if e.Kind != "" && kind != e.Kind {
		fail("filter kind", e.Kind, kind, "")
	}
	if e.Columns != nil && !sameSet(e.Columns, resp.GetColumns()) {
		fail("filter columns", list(e.Columns), list(resp.GetColumns()), "")
	}
	if !e.HasRows {
		return
	}
	if ft == nil {
		res.Error = fmt.Sprintf("filter rows: there are no fixtures of %s to select from", c.Table)
		return
	}
	var got []string
	switch resp.GetKind() {
	case wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED:
		got = ft.ids
	case wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED:
	default:
		where := resp.GetSql().GetWhere()
		if where == nil {
			res.Error = "filter rows: the answer has no SQL to run over the fixtures"
			return
		}
		if got, err = selectedIDs(ctx, st, f, tn, where); err != nil {
			res.Error = "filter rows: " + err.Error()
			return
		}
	}
	want := make([]string, len(e.Rows))
	for i, id := range e.Rows {
		want[i] = idText(id)
		if _, ok := ft.byID[want[i]]; !ok {
			res.Error = fmt.Sprintf("filter rows: %s names no fixture row of %s", want[i], c.Table)
			return
		}
	}
	if !sameSet(want, got) {
		missing, extra := diff(want, got)
		var detail []string
		if len(missing) > 0 {
			detail = append(detail, "not selected: "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			detail = append(detail, "selected but not expected: "+strings.Join(extra, ", "))
		}
		if w := resp.GetSql().GetWhere(); w != nil {
			detail = append(detail, "sql: "+w.GetSql())
		}
		fail("filter rows", list(sortIDs(want, ft)), list(got), strings.Join(detail, "; "))
	}
}

// tableRows is every fixture table's rows, for CheckRequest.tables (the
// tables _exists rules read).
func (f *fixtures) tableRows() ([]*wardenv1.TableRows, error) {
	names := make([]model.TableName, 0, len(f.tables))
	for tn := range f.tables {
		names = append(names, tn)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	out := make([]*wardenv1.TableRows, 0, len(names))
	for _, tn := range names {
		tr := &wardenv1.TableRows{Table: tn.String()}
		for _, row := range f.tables[tn].rows {
			s, err := structpb.NewStruct(row)
			if err != nil {
				return nil, fmt.Errorf("fixtures %s: %w", tn, err)
			}
			tr.Rows = append(tr.Rows, s)
		}
		out = append(out, tr)
	}
	return out, nil
}

// principal is the session as CheckRequest.principal states it. Claims
// become the session Hasura derives from a JWT: the role asked for (else
// x-hasura-default-role), which x-hasura-allowed-roles must hold, and
// every other x-hasura-* claim as a variable.
func (s *Session) principal() (*wardenv1.Principal, error) {
	p := &wardenv1.Principal{Role: s.Role, SessionVariables: s.Variables, UseBackendOnlyPermissions: s.BackendOnly}
	if s.Claims == nil {
		return p, nil
	}
	vars := map[string]string{}
	var allowed []string
	for k, v := range s.Claims {
		switch lk := strings.ToLower(k); lk {
		case "x-hasura-default-role":
			if p.Role == "" {
				p.Role = sessionText(v)
			}
		case "x-hasura-allowed-roles":
			l, ok := v.([]any)
			if !ok {
				return nil, errors.New("claims: x-hasura-allowed-roles: want a list of roles")
			}
			for _, r := range l {
				allowed = append(allowed, sessionText(r))
			}
		default:
			if strings.HasPrefix(lk, "x-hasura-") {
				vars[lk] = sessionText(v)
			}
		}
	}
	if p.Role == "" {
		return nil, errors.New("claims: no x-hasura-default-role and no role")
	}
	if !slices.Contains(allowed, p.Role) {
		return nil, fmt.Errorf("claims: role %q is not in x-hasura-allowed-roles %v (the server would refuse the token's request)", p.Role, allowed)
	}
	p.SessionVariables = vars
	return p, nil
}

func decisionName(d wardenv1.Decision) string {
	return strings.ToLower(strings.TrimPrefix(d.String(), "DECISION_"))
}

var codeByName = func() map[string]codes.Code {
	m := map[string]codes.Code{}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		m[codeName(c)] = c
	}
	return m
}()

// codeName is a status code as the suites write it: FAILED_PRECONDITION.
func codeName(c codes.Code) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range c.String() {
		if r >= 'A' && r <= 'Z' && prev >= 'a' && prev <= 'z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
		prev = r
	}
	return strings.ToUpper(b.String())
}
