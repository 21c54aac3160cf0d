package engine

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// BenchmarkCheck measures one Check of one row and of a batch of 100, on
// the hand-built policy, with one user and with 100,000 distinct users,
// with each evaluator (the ratio of the two, from one run, is what the
// native evaluator gains).
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	loaded, err := New(ctx, handPolicy(&testing.T{}))
	if err != nil {
		b.Fatal(err)
	}
	for _, ev := range []Evaluator{EvaluatorNative, EvaluatorOPA} {
		b.Run("eval="+ev.String(), func(b *testing.B) { benchCheck(b, loaded.WithEvaluator(ev)) })
	}
}

func benchCheck(b *testing.B, set *Set) {
	ctx := context.Background()
	articles := model.TableName{Schema: "public", Name: "articles"}
	for _, users := range []int{1, 100000} {
		sessions := make([]Session, users)
		for i := range sessions {
			sessions[i] = Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": strconv.Itoa(i + 1)}}
		}
		for _, rows := range []int{1, 100} {
			in := make([]Row, rows)
			for i := range in {
				in[i] = Row{ID: strconv.Itoa(i), Values: map[string]any{"id": float64(i), "author_id": float64(i % 7), "published": i%3 == 0, "title": "t"}}
			}
			b.Run(fmt.Sprintf("users=%d/rows=%d", users, rows), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				cpu0 := processCPU()
				for b.Loop() {
					_, err := set.Check(ctx, CheckInput{Session: sessions[i%users], Table: articles, Op: model.OpSelect, Rows: in})
					if err != nil {
						b.Fatal(err)
					}
					i++
				}
				// CPU time per Check: on a shared machine wall time
				// counts the waits for a core too.
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkCheckNeedsData measures a Check whose row lacks a column the
// rule reads: a partial evaluation with that column unknown, and the
// residual it leaves.
func BenchmarkCheckNeedsData(b *testing.B) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(&testing.T{}))
	if err != nil {
		b.Fatal(err)
	}
	in := CheckInput{
		Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1"}},
		Table:   model.TableName{Schema: "public", Name: "articles"}, Op: model.OpSelect,
		Rows: []Row{{ID: "r", Values: map[string]any{"id": 1.0, "title": "t"}}},
	}
	res, err := set.Check(ctx, in)
	if err != nil || res.Rows[0].Decision != NeedsData {
		b.Fatalf("want NEEDS_DATA: %+v, %v", res, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Check(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the process's user and system CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
