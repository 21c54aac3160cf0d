package server

import (
	"fmt"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
)

// BenchmarkObserveCheck counts one-row Checks spread over 1,000
// permissions (50 tables, 5 roles, 4 operations, as wardenbench's policy
// set), through each permission's Slot and, as for a result no
// permission decided, through the labels alone.
func BenchmarkObserveCheck(b *testing.B) {
	type perm struct {
		table, role string
		op          model.Operation
		slot        *engine.Slot
	}
	var perms []perm
	for t := range 50 {
		for r := range 5 {
			for op := model.OpSelect; op <= model.OpDelete; op++ {
				perms = append(perms, perm{fmt.Sprintf("public.table_%d", t), fmt.Sprintf("role_%d", r), op, &engine.Slot{}})
			}
		}
	}
	rows := []engine.RowResult{{Decision: engine.Allow}}
	for _, via := range []string{"slot", "labels"} {
		b.Run("via="+via, func(b *testing.B) {
			m := newMetrics(func() float64 { return 0 }, func() string { return "" })
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := &perms[(i*7919)%len(perms)]
				res := engine.CheckResult{Rows: rows}
				if via == "slot" {
					res.Slot = p.slot
				}
				m.observeCheck(p.table, p.op, p.role, &res, 0)
				i++
			}
		})
	}
}
