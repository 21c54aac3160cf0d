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
	m.observeFilter("public.articles", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_CONDITIONAL)
	m.observeFilter("public.articles", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_CONDITIONAL)
	m.observeFilter("public.articles", wardenv1.Operation_OPERATION_DELETE, "other", wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED)
	m.observeFilter("public.tags", wardenv1.Operation_OPERATION_SELECT, "user", wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED)
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
	if _, kept := enumLabels.Load(enumKey{"OPERATION_", int32(wardenv1.Operation_OPERATION_SELECT)}); !kept {
		t.Fatal("a named enum value was not kept")
	}
	// An unnamed enum value is labelled by its number and not kept.
	if l := enumLabel(wardenv1.Operation(77), "OPERATION_"); l != "77" {
		t.Fatalf("label of an unnamed operation: %q", l)
	}
	if _, kept := enumLabels.Load(enumKey{"OPERATION_", 77}); kept {
		t.Fatal("an unnamed enum value was kept")
	}
}
