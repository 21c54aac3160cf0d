package engine

import (
	"context"
	"strconv"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// BenchmarkLoadAndOfOrs measures New on linearPolicy: its select rule ANDs
// ors two-way ORs (and its insert check is shaped like a real-world one).
// ors=1 is the baseline of the same run; with the helpers inlined by
// partial evaluation, ors=12 took seconds (2^12 conjunctions), kept out
// it costs about what ors=1 does plus the rule's own size.
func BenchmarkLoadAndOfOrs(b *testing.B) {
	ctx := context.Background()
	for _, ors := range []int{1, 4, 8, 12} {
		p := linearPolicy(b, ors)
		b.Run("ors="+strconv.Itoa(ors), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckNeedsDataAndOfOrs measures a Check of one row that lacks
// both columns the ORs of linearPolicy's select rule read: a partial
// evaluation per request. ors=1 is the baseline; with the helpers inlined,
// its answer had 2^ors queries.
func BenchmarkCheckNeedsDataAndOfOrs(b *testing.B) {
	ctx := context.Background()
	for _, ors := range []int{1, 12} {
		set, err := New(ctx, linearPolicy(b, ors))
		if err != nil {
			b.Fatal(err)
		}
		in := CheckInput{Session: Session{Role: "ands", Vars: linearSession}, Table: linearArticles, Op: model.OpSelect,
			Rows: []Row{{ID: "1", Values: map[string]any{"title": "x"}}}}
		b.Run("ors="+strconv.Itoa(ors), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := set.Check(ctx, in)
				if err != nil || res.Rows[0].Decision != NeedsData || res.Rows[0].Residual == nil {
					b.Fatal(err, res)
				}
			}
		})
	}
}
