package server

import (
	"context"
	"testing"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// BenchmarkCheckOffline measures Check through the server's request path
// on 10 rows of the example, without and with explanations: without, the
// only cost of explain is testing the flag (compare explain=false with the
// same benchmark on main); with, the price of asking.
func BenchmarkCheckOffline(b *testing.B) {
	set := exampleSet(b)
	ctx := context.Background()
	var rows []map[string]any
	for i := range 10 {
		rows = append(rows, map[string]any{"id": i, "org_id": 1 + i%2, "author_id": 1 + i%3, "title": "t", "published": i%2 == 0, "created_at": "2024-01-01T00:00:00Z"})
	}
	for _, explain := range []bool{false, true} {
		name := "explain=false"
		if explain {
			name = "explain=true"
		}
		b.Run(name, func(b *testing.B) {
			req := explainRequest(b, "user", wardenv1.Operation_OPERATION_SELECT, "articles", explain, rows...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CheckOffline(ctx, set, req, Limits{MaxRows: 100}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
