// Package decisionlog records every Check and Filter decision: one event
// per call, masked, filtered by drop rules, kept in a bounded in-memory
// ring for AdminService.ListDecisions, and handed to sinks (NDJSON to
// stdout or a size-rotated file, HTTP batches in OPA's decision-log
// format, OTLP logs).
//
// The request path never waits on a sink: Log masks the event, appends it
// to the ring and offers it to each sink's own bounded queue without
// blocking. A full queue drops the event for that sink and counts the
// drop; a sink that is down costs a counter, not latency. Each sink has
// its own goroutine, so a slow sink never holds back another.
package decisionlog

import (
	"encoding/json"
	"time"
)

// Call is the RPC an event records.
type Call string

const (
	CallCheck  Call = "check"
	CallFilter Call = "filter"
)

// Row is one row's outcome in a Check event.
type Row struct {
	ID       string `json:"id"`
	Decision string `json:"decision"` // allow, deny, needs_data
	Reason   string `json:"reason,omitempty"`
	// DeniedColumns and MissingData are names, never values.
	DeniedColumns []string `json:"denied_columns,omitempty"`
	MissingData   []string `json:"missing_data,omitempty"`
	// Values are the row's values of the columns the keep list names; the
	// others are erased (their paths are in Event.Erased).
	Values map[string]any `json:"values,omitempty"`
}

// Event is one decision: the call, who asked, what was decided, on which
// revision. Its JSON form is OPA's decision-log event where the two meet
// (decision_id, timestamp, path, input, result, requested_by, labels,
// bundles, metrics, trace_id, span_id, erased), so receivers built for
// OPA's decision logs take it; Warden's own fields are beside them.
type Event struct {
	// Sequence orders the events of one process (1, 2, ...); tail -f
	// follows it.
	Sequence    uint64
	DecisionID  string
	Timestamp   time.Time
	Revision    string
	Call        Call
	CallerID    string
	CallerLevel string
	Role        string
	Table       string
	Operation   string
	// SessionNames are the session's variable names, sorted; Session
	// holds the values of those the keep list names (the others are
	// erased: their paths are in Erased).
	SessionNames []string
	Session      map[string]string
	// Rows: Check's rows in request order.
	Rows []Row
	// Filter's answer: its kind (always_allowed, always_denied,
	// conditional), the SQL text without its parameters and its dialect.
	FilterKind string
	SQL        string
	Dialect    string
	// Latency is the server's time on the call, session resolution
	// included.
	Latency time.Duration
	TraceID string
	SpanID  string
	// Erased lists the JSON pointers (into this event) of values left out
	// by masking, as OPA's "erased".
	Erased []string
}

// Outcome is the event's outcome as one word: for Check, the rows'
// decision when they all agree, else "mixed"; for Filter, its kind.
func (e *Event) Outcome() string {
	if e.Call == CallFilter {
		return e.FilterKind
	}
	if len(e.Rows) == 0 {
		return ""
	}
	d := e.Rows[0].Decision
	for _, r := range e.Rows[1:] {
		if r.Decision != d {
			return "mixed"
		}
	}
	return d
}

// opaEvent is the JSON an event is written as.
type opaEvent struct {
	Labels     map[string]string `json:"labels"`
	DecisionID string            `json:"decision_id"`
	TraceID    string            `json:"trace_id,omitempty"`
	SpanID     string            `json:"span_id,omitempty"`
	Path       string            `json:"path"`
	Input      opaInput          `json:"input"`
	Result     opaResult         `json:"result"`
	RequestBy  string            `json:"requested_by"`
	Timestamp  string            `json:"timestamp"`
	Metrics    opaMetrics        `json:"metrics"`
	Bundles    opaBundles        `json:"bundles"`
	Erased     []string          `json:"erased,omitempty"`
	// Warden's own.
	Sequence    uint64 `json:"sequence"`
	Revision    string `json:"revision"`
	CallerLevel string `json:"caller_level,omitempty"`
}

type opaMetrics struct {
	ServerHandlerNS int64 `json:"timer_server_handler_ns"`
}

type opaBundles struct {
	Warden struct {
		Revision string `json:"revision"`
	} `json:"warden"`
}

type opaInput struct {
	Call      Call              `json:"call"`
	Role      string            `json:"role"`
	Table     string            `json:"table"`
	Operation string            `json:"operation"`
	Session   map[string]string `json:"session,omitempty"`
	Variables []string          `json:"session_variables,omitempty"`
	Rows      []opaInputRow     `json:"rows,omitempty"`
	Dialect   string            `json:"dialect,omitempty"`
}

type opaInputRow struct {
	ID     string         `json:"id"`
	Values map[string]any `json:"values,omitempty"`
}

type opaResult struct {
	Outcome    string      `json:"outcome"`
	Rows       []opaResRow `json:"rows,omitempty"`
	FilterKind string      `json:"filter_kind,omitempty"`
	SQL        string      `json:"sql,omitempty"`
}

type opaResRow struct {
	ID            string   `json:"id"`
	Decision      string   `json:"decision"`
	Reason        string   `json:"reason,omitempty"`
	DeniedColumns []string `json:"denied_columns,omitempty"`
	MissingData   []string `json:"missing_data,omitempty"`
}

// MarshalJSON writes the event in OPA's decision-log shape: path is
// warden/<call>, input the request as Warden saw it (masked), result the
// answer, bundles.warden.revision the revision, metrics.timer_server_handler_ns
// the latency.
func (e *Event) MarshalJSON() ([]byte, error) {
	o := opaEvent{
		Labels:      labels,
		DecisionID:  e.DecisionID,
		TraceID:     e.TraceID,
		SpanID:      e.SpanID,
		Path:        "warden/" + string(e.Call),
		RequestBy:   e.CallerID,
		Timestamp:   e.Timestamp.UTC().Format(time.RFC3339Nano),
		Metrics:     opaMetrics{ServerHandlerNS: e.Latency.Nanoseconds()},
		Erased:      e.Erased,
		Sequence:    e.Sequence,
		Revision:    e.Revision,
		CallerLevel: e.CallerLevel,
		Input: opaInput{
			Call: e.Call, Role: e.Role, Table: e.Table, Operation: e.Operation,
			Session: e.Session, Variables: e.SessionNames, Dialect: e.Dialect,
		},
		Result: opaResult{Outcome: e.Outcome(), FilterKind: e.FilterKind, SQL: e.SQL},
	}
	o.Bundles.Warden.Revision = e.Revision
	if len(e.Rows) > 0 {
		o.Input.Rows = make([]opaInputRow, len(e.Rows))
		o.Result.Rows = make([]opaResRow, len(e.Rows))
		for i, r := range e.Rows {
			o.Input.Rows[i] = opaInputRow{ID: r.ID, Values: r.Values}
			o.Result.Rows[i] = opaResRow{ID: r.ID, Decision: r.Decision, Reason: r.Reason, DeniedColumns: r.DeniedColumns, MissingData: r.MissingData}
		}
	}
	return json.Marshal(o)
}

// labels are OPA's labels of every event: the app, and the process's
// instance id and version (SetLabels).
var labels = map[string]string{"app": "warden"}

// SetLabels sets the labels every event carries (call it once, at start,
// before any event is written): id names this replica, version its build.
func SetLabels(id, version string) {
	labels = map[string]string{"app": "warden", "id": id, "version": version}
}
