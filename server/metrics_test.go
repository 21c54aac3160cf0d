package server

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func TestObserveCheckCountsRowsPerDecision(t *testing.T) {
	m := newMetrics(func() float64 { return 0 }, func() string { return "" })
	table := model.TableName{Schema: "public", Name: "articles"}
	res := &engine.CheckResult{Rows: []engine.RowResult{
		{Decision: engine.Allow}, {Decision: engine.Deny}, {Decision: engine.Allow},
		{Decision: engine.NeedsData}, {Decision: engine.Allow}, {Decision: engine.Decision(99)},
	}}
	m.observeCheck(table.String(), model.OpSelect, "user", res, 0)
	m.observeCheck(table.String(), model.OpSelect, "user", &engine.CheckResult{Rows: res.Rows[:1]}, 0)
	want := `
# HELP warden_decisions_total Row decisions made by Check, by table, operation, role (the policy's roles and admin; any other is \"other\") and decision (allow, deny, needs_data).
# TYPE warden_decisions_total counter
warden_decisions_total{decision="allow",operation="select",role="user",table="public.articles"} 4
warden_decisions_total{decision="deny",operation="select",role="user",table="public.articles"} 1
warden_decisions_total{decision="needs_data",operation="select",role="user",table="public.articles"} 1
warden_decisions_total{decision="unspecified",operation="select",role="user",table="public.articles"} 1
`
	if err := testutil.CollectAndCompare(m.decisions, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestObserveFilterLabels(t *testing.T) {
	m := newMetrics(func() float64 { return 0 }, func() string { return "" })
	m.observeFilter(nil, "public.articles", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_CONDITIONAL)
	m.observeFilter(nil, "public.articles", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_CONDITIONAL)
	m.observeFilter(nil, "public.articles", wardenv1.Operation_OPERATION_DELETE, "other", wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED)
	m.observeFilter(nil, "public.tags", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED)
	want := `
# HELP warden_filters_total Filter answers, by table, operation, role (as for warden_decisions_total) and kind (always_allowed, always_denied, conditional).
# TYPE warden_filters_total counter
warden_filters_total{kind="always_allowed",operation="select",role="user",table="public.tags"} 1
warden_filters_total{kind="always_denied",operation="delete",role="other",table="public.articles"} 1
warden_filters_total{kind="conditional",operation="select",role="user",table="public.articles"} 2
`
	if err := testutil.CollectAndCompare(m.filters, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	// Every named value as its enum's String gives it; another as its
	// number.
	for _, l := range []struct {
		labels enumLabels
		names  map[int32]string
		prefix string
	}{{operationLabels, wardenv1.Operation_name, "OPERATION_"}, {filterKindLabels, wardenv1.FilterKind_name, "FILTER_KIND_"}, {dialectLabels, wardenv1.SqlDialect_name, "SQL_DIALECT_"}} {
		for v, name := range l.names {
			if got, want := l.labels.of(v), strings.ToLower(strings.TrimPrefix(name, l.prefix)); got != want {
				t.Errorf("%s: label %q, want %q", name, got, want)
			}
		}
		if got := l.labels.of(77); got != "77" {
			t.Errorf("%s77: label %q", l.prefix, got)
		}
		if got := l.labels.of(-3); got != "-3" {
			t.Errorf("%s-3: label %q", l.prefix, got)
		}
	}
}

// A permission's Slot keeps its counters: the counts are those of the
// lookup by labels, for each server that shares the set, and for labels
// the slot's counters were not made for.
func TestObserveCheckThroughSlot(t *testing.T) {
	slot := &engine.Slot{}
	rows := []engine.RowResult{{Decision: engine.Allow}, {Decision: engine.Deny}, {Decision: engine.Allow}}
	m1 := newMetrics(func() float64 { return 0 }, func() string { return "" })
	m2 := newMetrics(func() float64 { return 0 }, func() string { return "" })
	for range 3 {
		for _, m := range []*metrics{m1, m2} {
			m.observeCheck("public.articles", model.OpSelect, "user", &engine.CheckResult{Rows: rows, Slot: slot}, 0)
		}
		m1.observeCheck("public.tags", model.OpSelect, "user", &engine.CheckResult{Rows: rows[:1], Slot: slot}, 0)
	}
	m2.observeCheck("public.articles", model.OpSelect, "user", &engine.CheckResult{Rows: rows[1:2], Slot: slot}, 0)
	head := `
# HELP warden_decisions_total Row decisions made by Check, by table, operation, role (the policy's roles and admin; any other is \"other\") and decision (allow, deny, needs_data).
# TYPE warden_decisions_total counter
`
	for _, c := range []struct {
		m    *metrics
		want string
	}{{m1, `warden_decisions_total{decision="allow",operation="select",role="user",table="public.articles"} 6
warden_decisions_total{decision="allow",operation="select",role="user",table="public.tags"} 3
warden_decisions_total{decision="deny",operation="select",role="user",table="public.articles"} 3
`}, {m2, `warden_decisions_total{decision="allow",operation="select",role="user",table="public.articles"} 6
warden_decisions_total{decision="deny",operation="select",role="user",table="public.articles"} 4
`}} {
		if err := testutil.CollectAndCompare(c.m.decisions, strings.NewReader(head+c.want)); err != nil {
			t.Error(err)
		}
	}
	if pc, ok := slot.Load().(*permCounters); !ok || pc.byDecision[engine.Allow].Load() == nil {
		t.Errorf("the slot holds %v, want the counters it was used for", slot.Load())
	}
}

// Check and Filter of one permission share its Slot: the operation
// labels agree, so neither falls back to the lookup.
func TestObserveFilterThroughSlot(t *testing.T) {
	m := newMetrics(func() float64 { return 0 }, func() string { return "" })
	slot := &engine.Slot{}
	m.observeCheck("public.articles", model.OpUpdate, "user", &engine.CheckResult{Rows: []engine.RowResult{{Decision: engine.Allow}}, Slot: slot}, 0)
	for range 2 {
		m.observeFilter(slot, "public.articles", wardenv1.Operation_OPERATION_UPDATE, "user", wardenv1.FilterKind_FILTER_KIND_CONDITIONAL)
	}
	m.observeFilter(slot, "public.articles", wardenv1.Operation_OPERATION_UPDATE, "user", wardenv1.FilterKind(7))
	pc, ok := slot.Load().(*permCounters)
	if !ok || pc.byFilterKind[wardenv1.FilterKind_FILTER_KIND_CONDITIONAL].Load() == nil || pc.byDecision[engine.Allow].Load() == nil {
		t.Fatalf("the slot holds %#v, want Check's and Filter's counters", slot.Load())
	}
	want := `
# HELP warden_filters_total Filter answers, by table, operation, role (as for warden_decisions_total) and kind (always_allowed, always_denied, conditional).
# TYPE warden_filters_total counter
warden_filters_total{kind="7",operation="update",role="user",table="public.articles"} 1
warden_filters_total{kind="conditional",operation="update",role="user",table="public.articles"} 2
`
	if err := testutil.CollectAndCompare(m.filters, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
