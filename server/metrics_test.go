package server

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
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
