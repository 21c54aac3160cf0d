package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/reload"
)

// metrics lives on a registry of its own, so that several servers in one
// process (tests) never collide and nothing global is touched.
type metrics struct {
	registry     *prometheus.Registry
	grpc         *grpcprom.ServerMetrics
	decisions    *prometheus.CounterVec
	checkSeconds *prometheus.HistogramVec
	filters      *prometheus.CounterVec
	refused      *prometheus.CounterVec
	// The decision log's sinks.
	logDropped *prometheus.CounterVec
	logWritten *prometheus.CounterVec
	logQueue   *prometheus.GaugeVec
	// Calls session resolution makes: the webhook, the JWKS.
	sessionCalls *prometheus.HistogramVec

	policyReloads     *prometheus.CounterVec
	keysReloads       *prometheus.CounterVec
	policyLastSuccess prometheus.Gauge

	// counted holds the children of decisions and filters already looked
	// up, by counterKey: a request finds its counter with one map lookup
	// instead of the vector's label validation, hashing and lock. Its keys
	// are the policy's tables, operations, role labels and outcomes, so it
	// stays as small as the vectors themselves.
	counted sync.Map
	// checkTimes holds checkSeconds' child for each operation.
	checkTimes [model.OpDelete + 1]prometheus.Observer
}

// counterKey names one child of decisions (vec 0) or filters (vec 1).
type counterKey struct {
	vec                      uint8
	table, op, role, outcome string
}

// counter returns the child of decisions or filters for key, looked up in
// the vector once.
func (m *metrics) counter(k counterKey) prometheus.Counter {
	if c, ok := m.counted.Load(k); ok {
		return c.(prometheus.Counter)
	}
	vec := m.decisions
	if k.vec == 1 {
		vec = m.filters
	}
	c := vec.WithLabelValues(k.table, k.op, k.role, k.outcome)
	m.counted.Store(k, c)
	return c
}

// newMetrics makes the metrics; inconsistent counts the inconsistent
// objects of the policy set served, revision names it.
func newMetrics(inconsistent func() float64, revision func() string) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(
			grpcprom.WithServerHandlingTimeHistogram(
				grpcprom.WithHistogramBuckets([]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}),
			),
		),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_decisions_total",
			Help: "Row decisions made by Check, by table, operation, role (the policy's roles and admin; any other is \"other\") and decision (allow, deny, needs_data).",
		}, []string{"table", "operation", "role", "decision"}),
		checkSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_check_duration_seconds",
			Help:    "Time the policy engine took to decide one Check request (all its rows), by operation.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}, []string{"operation"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_calls_refused_before_decode_total",
			Help: "Calls refused before their message was read, over gRPC and through the HTTP gateway: from their headers (no or a wrong caller credential, a caller without the grant, or over its rate limit), or because the message did not arrive within --message-recv-timeout; by reason (MISSING_CALLER_CREDENTIALS, INVALID_CALLER_CREDENTIALS, CALLER_NOT_PERMITTED, RATE_LIMITED, MESSAGE_RECV_TIMEOUT, ...). The interceptors' metrics and log do not see them.",
		}, []string{"reason"}),
		filters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_filters_total",
			Help: "Filter answers, by table, operation, role (as for warden_decisions_total) and kind (always_allowed, always_denied, conditional).",
		}, []string{"table", "operation", "role", "kind"}),
		logDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_decision_log_dropped_total",
			Help: "Decision-log events a sink lost, by sink and reason: queue_full (the sink's queue was full; the request did not wait) or write_failed (given up after retries).",
		}, []string{"sink", "reason"}),
		logWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_decision_log_written_total",
			Help: "Decision-log events a sink delivered, by sink.",
		}, []string{"sink"}),
		sessionCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_session_call_duration_seconds",
			Help:    "Time of the calls session resolution makes, by call (webhook: one authentication webhook request; jwks: one JWKS fetch) and outcome (ok, error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"call", "outcome"}),
		logQueue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "warden_decision_log_queue_depth",
			Help: "Decision-log events waiting in a sink's queue, by sink.",
		}, []string{"sink"}),
		policyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_policy_reloads_total",
			Help: "Attempts to reload the policy set, by outcome: loaded (a new revision serves), unchanged, failed (the previous revision keeps serving), not_reloadable.",
		}, []string{"outcome"}),
		keysReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_caller_keys_reloads_total",
			Help: "Attempts to reload the caller keys file (--api-keys-file), by outcome: loaded, unchanged, failed (the previous keys stay valid), not_reloadable.",
		}, []string{"outcome"}),
		policyLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "warden_policy_last_reload_success_timestamp_seconds",
			Help: "When the policy set last loaded successfully (at start, or a reload that loaded or found it unchanged), in Unix seconds.",
		}),
	}
	for op := model.OpSelect; op <= model.OpDelete; op++ {
		m.checkTimes[op] = m.checkSeconds.WithLabelValues(op.String())
	}
	for _, o := range []reload.Outcome{reload.Loaded, reload.Unchanged, reload.Failed} {
		// Present at 0 from the start, so that rate() and alerts on
		// failures see the first one.
		m.policyReloads.WithLabelValues(o.String())
		m.keysReloads.WithLabelValues(o.String())
	}
	m.registry.MustRegister(
		m.refused,
		m.filters,
		m.logDropped,
		m.logWritten,
		m.logQueue,
		m.sessionCalls,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "warden_filter_partial_evaluations_total",
			Help: "Filter requests answered by a partial evaluation at request time because the rule could not be templated (expected 0; every rule Warden compiles today is templated).",
		}, func() float64 { return float64(engine.FilterPartialEvaluations()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "warden_policy_inconsistent_objects",
			Help: "Objects of the served policy set's metadata left out as inconsistent (permissions, relationships, tables, inherited roles); requests that need one answer FAILED_PRECONDITION.",
		}, inconsistent),
		m.policyReloads,
		m.keysReloads,
		m.policyLastSuccess,
		revisionInfo{revision},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.grpc,
		m.decisions,
		m.checkSeconds,
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// decisionLabels are the decision label values, indexed by engine.Decision:
// "unspecified", "allow", "deny", "needs_data".
var decisionLabels = func() (l [engine.NeedsData + 1]string) {
	for d := range l {
		l[d] = strings.ToLower(engine.Decision(d).String())
	}
	return l
}()

// enumLabels are an API enum's values as labels, by value: the name
// without its prefix, lower-cased ("OPERATION_SELECT" is "select").
type enumLabels []string

func newEnumLabels(names map[int32]string, prefix string) enumLabels {
	var l enumLabels
	for v, name := range names {
		if v < 0 || v > 255 {
			continue // of falls back to the number's text
		}
		for len(l) <= int(v) {
			l = append(l, "")
		}
		l[v] = strings.ToLower(strings.TrimPrefix(name, prefix))
	}
	return l
}

// of is v's label; a value the enum does not name is its number, as the
// enum's String gives it.
func (l enumLabels) of(v int32) string {
	if v >= 0 && int(v) < len(l) && l[v] != "" {
		return l[v]
	}
	return strconv.Itoa(int(v))
}

var (
	operationLabels  = newEnumLabels(wardenv1.Operation_name, "OPERATION_")
	filterKindLabels = newEnumLabels(wardenv1.FilterKind_name, "FILTER_KIND_")
	dialectLabels    = newEnumLabels(wardenv1.SqlDialect_name, "SQL_DIALECT_")
)

// observeCheck records one answered Check: its rows are counted per
// decision first, so the counter is looked up once per decision, not per row.
func (m *metrics) observeCheck(table string, op model.Operation, role string, res *engine.CheckResult, took time.Duration) {
	o := op.String()
	if op >= model.OpSelect && op <= model.OpDelete {
		m.checkTimes[op].Observe(took.Seconds())
	} else {
		m.checkSeconds.WithLabelValues(o).Observe(took.Seconds())
	}
	var n [len(decisionLabels)]int
	for _, r := range res.Rows {
		d := r.Decision
		if d < 0 || int(d) >= len(n) {
			d = 0 // its String is "UNSPECIFIED", as for 0
		}
		n[d]++
	}
	pc := m.permCountersOf(res.Slot, table, o, role)
	for d, c := range n {
		if c == 0 {
			continue
		}
		if pc == nil {
			m.counter(counterKey{0, table, o, role, decisionLabels[d]}).Add(float64(c))
			continue
		}
		ctr := pc.byDecision[d].Load()
		if ctr == nil {
			ctr = &counterRef{m.counter(counterKey{0, table, o, role, decisionLabels[d]})}
			pc.byDecision[d].Store(ctr)
		}
		ctr.c.Add(float64(c))
	}
}

// permCounters are the decisions and filters counters of one permission, kept in its
// engine.Slot: a Check finds them without hashing its labels (the
// counted map's lookup was 2% of the server's CPU per Check). Each is
// looked up in counted at its first use, so that no series appears
// before its first decision.
type permCounters struct {
	m               *metrics
	table, op, role string
	byDecision      [len(decisionLabels)]atomic.Pointer[counterRef]
	// byFilterKind: the filters counters, by FilterKind.
	byFilterKind [4]atomic.Pointer[counterRef]
}

type counterRef struct{ c prometheus.Counter }

// permCountersOf returns the counters slot keeps for these labels, made
// when the slot holds none. Nil when there is no slot, or when it holds
// another server's counters (tests run several servers on one set), or
// counters of other labels (a table the request spells otherwise): those
// calls count through counted.
func (m *metrics) permCountersOf(slot *engine.Slot, table, op, role string) *permCounters {
	if slot == nil {
		return nil
	}
	if pc, ok := slot.Load().(*permCounters); ok {
		if pc.m == m && pc.table == table && pc.op == op && pc.role == role {
			return pc
		}
		return nil
	}
	pc := &permCounters{m: m, table: table, op: op, role: role}
	slot.Store(pc)
	return pc
}

// observeFilter records one answered Filter.
// slot is the deciding permission's, as for observeCheck.
func (m *metrics) observeFilter(slot *engine.Slot, table string, op wardenv1.Operation, role string, kind wardenv1.FilterKind) {
	o, k := operationLabels.of(int32(op)), filterKindLabels.of(int32(kind))
	pc := m.permCountersOf(slot, table, o, role)
	if pc == nil || kind < 0 || int(kind) >= len(pc.byFilterKind) {
		m.counter(counterKey{1, table, o, role, k}).Inc()
		return
	}
	ctr := pc.byFilterKind[kind].Load()
	if ctr == nil {
		ctr = &counterRef{m.counter(counterKey{1, table, o, role, k})}
		pc.byFilterKind[kind].Store(ctr)
	}
	ctr.c.Inc()
}

// Dropped, Written and QueueDepth make metrics the decision log's Stats.
func (m *metrics) Dropped(sink, reason string, n int) {
	m.logDropped.WithLabelValues(sink, reason).Add(float64(n))
}

func (m *metrics) Written(sink string, n int) { m.logWritten.WithLabelValues(sink).Add(float64(n)) }

func (m *metrics) QueueDepth(sink string, n int) { m.logQueue.WithLabelValues(sink).Set(float64(n)) }

// refusedBeforeDecode counts a call refused before its message was read:
// by callerauth.TapHandle, the gateway's callerFirst, or the receive
// deadline.
func (m *metrics) refusedBeforeDecode(reason string) {
	m.refused.WithLabelValues(reason).Inc()
}

// observeSessionCall records one call of session resolution.
func (m *metrics) observeSessionCall(call string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.sessionCalls.WithLabelValues(call, outcome).Observe(took.Seconds())
}

// policyReloaded records one attempt to reload the policy set.
func (m *metrics) policyReloaded(a reload.Attempt) {
	m.policyReloads.WithLabelValues(a.Outcome.String()).Inc()
	if a.Outcome == reload.Loaded || a.Outcome == reload.Unchanged {
		m.policyLastSuccess.Set(float64(a.FinishedAt.UnixNano()) / 1e9)
	}
}

// keysReloaded records one attempt to reload the caller keys.
func (m *metrics) keysReloaded(a reload.Attempt) {
	m.keysReloads.WithLabelValues(a.Outcome.String()).Inc()
}

// revisionInfo is warden_policy_revision_info: 1, labelled with the
// revision served, read at each scrape.
type revisionInfo struct{ revision func() string }

var revisionInfoDesc = prometheus.NewDesc("warden_policy_revision_info",
	"The revision of the policy set served, as a label; always 1.", []string{"revision"}, nil)

func (r revisionInfo) Describe(ch chan<- *prometheus.Desc) { ch <- revisionInfoDesc }

func (r revisionInfo) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(revisionInfoDesc, prometheus.GaugeValue, 1, r.revision())
}
