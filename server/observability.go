package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/decisionlog"
	"github.com/wardenpdp/warden/server/tracing"
)

// DefaultRecentDecisions is how many decisions ListDecisions can return.
const DefaultRecentDecisions = 1000

// DecisionLogConfig configures the decision log: where each decision's
// event goes, what it keeps, and what it leaves out.
type DecisionLogConfig struct {
	// Sinks: stdout, file, http, otlp (--decision-log); none by default.
	Sinks []string
	// File is the file sink's path; it is rotated at FileMaxMiB, keeping
	// FileBackups rotated files.
	File        string
	FileMaxMiB  int
	FileBackups int
	// URL receives the HTTP sink's batches; Headers are added to each
	// upload ("Name: value", for a bearer token).
	URL     string
	Headers []string
	// Batch and Flush shape the HTTP sink's uploads.
	Batch int
	Flush time.Duration
	// Queue bounds each sink's queue in events; more are dropped.
	Queue int
	// KeepSessionVars and KeepColumns are the values events keep; all
	// others are masked.
	KeepSessionVars []string
	KeepColumns     []string
	// Drop rules ("role=anonymous,outcome=allow").
	Drop []string
	// Recent is how many decisions ListDecisions keeps (0: none).
	Recent int
}

// DefaultDecisionLogConfig is the decision log's configuration by default:
// no sink, the last DefaultRecentDecisions decisions kept in memory.
func DefaultDecisionLogConfig() DecisionLogConfig {
	return DecisionLogConfig{FileMaxMiB: 100, FileBackups: 5, Batch: 500, Flush: time.Second, Queue: 10000, Recent: DefaultRecentDecisions}
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag struct {
	v     *[]string
	comma bool
}

func (l listFlag) String() string {
	if l.v == nil {
		return ""
	}
	return strings.Join(*l.v, ",")
}

func (l listFlag) Set(s string) error {
	if !l.comma {
		*l.v = append(*l.v, s)
		return nil
	}
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.v = append(*l.v, p)
		}
	}
	return nil
}

// RegisterFlags binds the decision log's flags.
func (c *DecisionLogConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(listFlag{&c.Sinks, true}, "decision-log", "comma-separated decision log `sinks`: stdout (NDJSON), file, http (OPA-format gzip batches), otlp (OpenTelemetry logs, configured by OTEL_EXPORTER_OTLP_*); none by default")
	fs.StringVar(&c.File, "decision-log-file", c.File, "the file sink's `path` (NDJSON, rotated by size)")
	fs.IntVar(&c.FileMaxMiB, "decision-log-file-max-mib", c.FileMaxMiB, "rotate the file sink's file at this size in MiB")
	fs.IntVar(&c.FileBackups, "decision-log-file-backups", c.FileBackups, "rotated files the file sink keeps (0: all)")
	fs.StringVar(&c.URL, "decision-log-url", c.URL, "the HTTP sink's `URL`: batches are POSTed as gzip JSON arrays of OPA-format events")
	fs.Var(listFlag{&c.Headers, false}, "decision-log-header", "`header` added to every HTTP sink upload, \"Name: value\" (repeatable)")
	fs.IntVar(&c.Batch, "decision-log-batch", c.Batch, "most events in one HTTP sink upload")
	fs.DurationVar(&c.Flush, "decision-log-flush", c.Flush, "longest an event waits for its HTTP batch to fill")
	fs.IntVar(&c.Queue, "decision-log-queue", c.Queue, "events each sink may queue; more are dropped and counted (warden_decision_log_dropped_total), never waited for")
	fs.Var(listFlag{&c.KeepSessionVars, true}, "decision-log-keep-session-vars", "comma-separated session `variables` whose values events keep (all others are masked)")
	fs.Var(listFlag{&c.KeepColumns, true}, "decision-log-keep-columns", "comma-separated `columns` (col, or schema.table.col) whose row values events keep (all others are masked)")
	fs.Var(listFlag{&c.Drop, false}, "decision-log-drop", "drop `rule`: events matching every field are not logged, e.g. role=anonymous,outcome=allow (fields call, role, table, operation, outcome; repeatable)")
	fs.IntVar(&c.Recent, "recent-decisions", c.Recent, "decisions kept in memory for AdminService.ListDecisions and 'warden decisions tail' (0: none)")
}

// Validate reports every invalid field.
func (c DecisionLogConfig) Validate() error {
	var errs []error
	for _, s := range c.Sinks {
		switch s {
		case "stdout", "otlp":
		case "file":
			if c.File == "" {
				errs = append(errs, errors.New("--decision-log file: give --decision-log-file"))
			}
		case "http":
			if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("--decision-log http: --decision-log-url %q is not an http(s) URL", c.URL))
			}
		default:
			errs = append(errs, fmt.Errorf("--decision-log %q: want stdout, file, http or otlp", s))
		}
	}
	for _, h := range c.Headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			errs = append(errs, fmt.Errorf("--decision-log-header %q: want \"Name: value\"", h))
		}
	}
	for _, d := range c.Drop {
		if _, err := decisionlog.ParseDropRule(d); err != nil {
			errs = append(errs, fmt.Errorf("--decision-log-drop: %w", err))
		}
	}
	if c.Queue < 1 {
		errs = append(errs, fmt.Errorf("--decision-log-queue %d: want at least 1", c.Queue))
	}
	if c.Batch < 1 {
		errs = append(errs, fmt.Errorf("--decision-log-batch %d: want at least 1", c.Batch))
	}
	if c.FileMaxMiB < 1 {
		errs = append(errs, fmt.Errorf("--decision-log-file-max-mib %d: want at least 1", c.FileMaxMiB))
	}
	if c.Flush <= 0 {
		errs = append(errs, fmt.Errorf("--decision-log-flush %s: want a positive duration", c.Flush))
	}
	if c.Recent < 0 || c.Recent > 1<<20 {
		errs = append(errs, fmt.Errorf("--recent-decisions %d: want 0 to %d", c.Recent, 1<<20))
	}
	return errors.Join(errs...)
}

// newDecisionLog builds the logger, or nil when nothing would read its
// events (no sink, no recent decisions kept).
func (s *Server) newDecisionLog(c DecisionLogConfig) (*decisionlog.Logger, error) {
	if len(c.Sinks) == 0 && c.Recent == 0 {
		return nil, nil
	}
	cfg := decisionlog.Config{
		Mask:      decisionlog.Mask{SessionVars: c.KeepSessionVars, Columns: c.KeepColumns},
		QueueSize: c.Queue,
		Recent:    c.Recent,
		Stats:     s.metrics,
		Log:       s.log,
	}
	if c.Recent == 0 {
		cfg.Recent = -1
	}
	for _, d := range c.Drop {
		r, err := decisionlog.ParseDropRule(d)
		if err != nil {
			return nil, err
		}
		cfg.Drop = append(cfg.Drop, r)
	}
	for _, name := range c.Sinks {
		switch name {
		case "stdout":
			cfg.Sinks = append(cfg.Sinks, decisionlog.NewWriterSink("stdout", os.Stdout))
		case "file":
			cfg.Sinks = append(cfg.Sinks, decisionlog.NewFileSink(c.File, c.FileMaxMiB, c.FileBackups))
		case "http":
			h := http.Header{}
			for _, kv := range c.Headers {
				k, v, _ := strings.Cut(kv, ":")
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			cfg.Sinks = append(cfg.Sinks, &decisionlog.HTTPSink{URL: c.URL, Headers: h, Batch: c.Batch, FlushEvery: c.Flush})
		case "otlp":
			sink, err := decisionlog.NewOTLPSink(context.Background(), tracing.Resource(s.version))
			if err != nil {
				return nil, err
			}
			cfg.Sinks = append(cfg.Sinks, sink)
		}
	}
	return decisionlog.New(cfg), nil
}

// callInfo is what the decision log needs of a call beyond its answer.
type callInfo struct {
	start time.Time
	sess  engine.Session
}

// logCheck records a Check's decision. req's rows give the values the
// mask keeps.
func (s *Server) logCheck(ctx context.Context, ci callInfo, req *wardenv1.CheckRequest, wire *wireRows, table string, in engine.CheckInput, res *engine.CheckResult, resp *wardenv1.CheckResponse) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("warden.table", table),
			attribute.String("warden.operation", in.Op.String()),
			attribute.String("warden.role", res.Role),
			attribute.String("warden.revision", res.Revision),
			attribute.String("warden.decision_id", resp.GetDecisionId()),
			attribute.Int("warden.rows", len(res.Rows)),
			attribute.String("warden.decision", checkOutcome(res)),
		)
	}
	if s.decisions == nil {
		return
	}
	e := s.newEvent(ctx, ci, decisionlog.CallCheck, resp.GetDecisionId(), res.Revision, res.Role, table, in.Op.String())
	e.Rows = make([]decisionlog.Row, len(res.Rows))
	for i, r := range res.Rows {
		e.Rows[i] = decisionlog.Row{
			ID: r.ID, Decision: decisionLabels[decisionIndex(r.Decision)], Reason: r.Reason,
			DeniedColumns: r.DeniedColumns, MissingData: r.MissingData,
		}
	}
	var rows decisionlog.RowValues // none read unless the mask keeps a column (an allocation fewer)
	if s.decisions.KeepsRowValues() {
		rows = requestRows{req.GetRows(), wire}
	}
	s.decisions.Log(e, ci.sess.Vars, rows)
}

// logFilter records a Filter's answer.
// table is the request's table as the API writes names.
func (s *Server) logFilter(ctx context.Context, ci callInfo, req *wardenv1.FilterRequest, resp *wardenv1.FilterResponse, table string) {
	kind := filterKindLabels.of(int32(resp.GetKind()))
	op := operationLabels.of(int32(req.GetOperation()))
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("warden.table", table),
			attribute.String("warden.operation", op),
			attribute.String("warden.role", resp.GetRole()),
			attribute.String("warden.revision", resp.GetRevision()),
			attribute.String("warden.decision_id", resp.GetDecisionId()),
			attribute.String("warden.filter_kind", kind),
		)
	}
	if s.decisions == nil {
		return
	}
	e := s.newEvent(ctx, ci, decisionlog.CallFilter, resp.GetDecisionId(), resp.GetRevision(), resp.GetRole(), table, op)
	e.FilterKind = kind
	if sql := resp.GetSql(); sql != nil {
		e.SQL = sql.GetWhere().GetSql()
		e.Dialect = dialectLabels.of(int32(req.GetSql().GetDialect()))
	}
	s.decisions.Log(e, ci.sess.Vars, nil)
}

func (s *Server) newEvent(ctx context.Context, ci callInfo, call decisionlog.Call, id, rev, role, table, op string) *decisionlog.Event {
	e := &decisionlog.Event{
		DecisionID: id, Timestamp: ci.start, Revision: rev, Call: call,
		Role: role, Table: table, Operation: op, Latency: time.Since(ci.start),
	}
	if c, ok := callerauth.FromContext(ctx); ok {
		e.CallerID, e.CallerLevel = c.ID, c.Level.String()
	}
	e.TraceID, e.SpanID = traceIDs(ctx)
	return e
}

// traceIDs are the call's trace and span ids: its span's when tracing is
// on, else those of the W3C traceparent the caller sent.
func traceIDs(ctx context.Context) (traceID, spanID string) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String(), sc.SpanID().String()
	}
	tp := metadata.ValueFromIncomingContext(ctx, "traceparent") // no copy of the metadata
	if len(tp) == 0 {
		return "", ""
	}
	// version-traceid-parentid-flags, lower-case hex (W3C Trace Context).
	parts := strings.Split(tp[0], "-")
	if len(parts) < 4 || len(parts[1]) != 32 || len(parts[2]) != 16 {
		return "", ""
	}
	tid, err1 := trace.TraceIDFromHex(parts[1])
	sid, err2 := trace.SpanIDFromHex(parts[2])
	if err1 != nil || err2 != nil {
		return "", ""
	}
	return tid.String(), sid.String()
}

// requestRows reads kept row values from the request as the caller sent
// them: from the rows' Structs, or the values the codec decoded from the
// wire (wire, when not nil).
type requestRows struct {
	rows []*wardenv1.Row
	wire *wireRows
}

func (r requestRows) Value(i int, col string) (any, bool) {
	if i >= len(r.rows) {
		return nil, false
	}
	values, _ := columnsOf(r.rows[i], r.wire.row(i))
	return values.value(col)
}

func decisionIndex(d engine.Decision) int {
	if d < 0 || int(d) >= len(decisionLabels) {
		return 0
	}
	return int(d)
}

// checkOutcome is a Check's outcome in one word (as the decision log's).
func checkOutcome(res *engine.CheckResult) string {
	if len(res.Rows) == 0 {
		return ""
	}
	d := res.Rows[0].Decision
	for _, r := range res.Rows[1:] {
		if r.Decision != d {
			return "mixed"
		}
	}
	return decisionLabels[decisionIndex(d)]
}

// ListDecisions returns the recent decisions.
func (a *adminService) ListDecisions(_ context.Context, req *wardenv1.ListDecisionsRequest) (*wardenv1.ListDecisionsResponse, error) {
	if req.GetCall() != "" && req.GetCall() != "check" && req.GetCall() != "filter" {
		return nil, withDetails(codes.InvalidArgument, "invalid call", badField("call", "want check or filter"))
	}
	if req.GetLimit() < 0 {
		return nil, withDetails(codes.InvalidArgument, "invalid limit", badField("limit", "want 0 (all kept) or more"))
	}
	events := a.s.decisions.Recent(decisionlog.Query{
		Role: req.GetRole(), Table: req.GetTable(), Outcome: req.GetOutcome(),
		Call: decisionlog.Call(req.GetCall()), After: req.GetAfterSequence(), Limit: int(req.GetLimit()),
	})
	resp := &wardenv1.ListDecisionsResponse{Decisions: make([]*wardenv1.DecisionRecord, len(events))}
	for i, e := range events {
		d := &wardenv1.DecisionRecord{
			Sequence: e.Sequence, DecisionId: e.DecisionID, Time: timestamppb.New(e.Timestamp),
			Revision: e.Revision, Call: string(e.Call), Caller: e.CallerID, CallerLevel: e.CallerLevel,
			Role: e.Role, Table: e.Table, Operation: e.Operation, Outcome: e.Outcome(),
			Sql: e.SQL, Dialect: e.Dialect, LatencyUs: e.Latency.Microseconds(), TraceId: e.TraceID,
			SessionVariables: e.SessionNames, Session: e.Session,
		}
		for _, r := range e.Rows {
			d.Rows = append(d.Rows, &wardenv1.DecisionRecordRow{
				Id: r.ID, Decision: r.Decision, Reason: r.Reason,
				DeniedColumns: r.DeniedColumns, MissingData: r.MissingData,
			})
		}
		resp.Decisions[i] = d
	}
	return resp, nil
}

// roleLabel bounds the role label of the metrics to the policy's roles
// (and admin): any other role a token names is "other".
func roleLabel(p *model.Policy, role string) string {
	if role == model.AdminRole || slices.Contains(p.Roles, role) {
		return role
	}
	if _, ok := p.InheritedRoles[role]; ok {
		return role
	}
	return "other"
}
