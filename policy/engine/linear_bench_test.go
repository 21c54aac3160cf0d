package engine

import (
	"context"
	"strconv"
	"testing"
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
