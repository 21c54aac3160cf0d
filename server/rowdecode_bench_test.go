package server

import (
	"context"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/bench/client"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// benchArticles is a Check of n rows of the example's articles (seven
// columns, the rule reading three), as a gateway sends it.
func benchArticles(b testing.TB, n int) *wardenv1.CheckRequest {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"id": i, "org_id": 1 + i%2, "author_id": 1 + i%3, "title": "Release notes 1.0",
			"body": nil, "published": i%2 == 0, "created_at": "2024-01-01T00:00:00Z"}
	}
	req := explainRequest(b, "user", wardenv1.Operation_OPERATION_SELECT, "articles", false, rows...)
	for i, r := range req.Rows {
		r.Id = fmt.Sprintf("r%d", i)
	}
	return req
}

// BenchmarkCheckGRPC measures one Check over gRPC on loopback, client and
// server in this process, of 1 and of 100 rows: the request path a caller
// pays for, decoding included. path=struct decodes rows through
// google.protobuf.Struct, path=wire straight from the wire (the default);
// compare the two from one run:
//
//	go test ./server -run '^$' -bench 'CheckGRPC|CheckDecode' -cpu 1 -count 8 | tee /tmp/rows.txt
//	go tool benchstat -col /path /tmp/rows.txt
//
// path=echo sends the same bytes to Echo (as wardenbench's baseline does):
// the transport and the interceptors with no decision, so that Check's own
// cost on the server is the difference of two lines measured in one run.
// As in wardenbench, the requests are encoded beforehand and the responses
// not decoded, the server logs errors only, and the collector is tuned as
// serve tunes it (TuneMemory: rare collections, so that idle workers keep
// their stacks as they do in the server).
func BenchmarkCheckGRPC(b *testing.B) {
	ts, g := benchServer(b, "gateway")
	for _, n := range []int{1, 100} {
		for _, path := range []string{"echo", "struct", "wire"} {
			b.Run(fmt.Sprintf("rows=%d/path=%s", n, path), func(b *testing.B) {
				ts.srv.codec.structRows.Store(path == "struct")
				defer ts.srv.codec.structRows.Store(false)
				benchInvoke(b, g, wardenv1.AuthorizationService_Check_FullMethodName, benchArticles(b, n), path == "echo")
			})
		}
	}
}

// BenchmarkCheckDecode measures what the server does with a Check's wire
// bytes before the engine decides: the codec (caps walk, unmarshal), the
// validation and the conversion to the engine's input.
func BenchmarkCheckDecode(b *testing.B) {
	codec := newHoldingCodec(DefaultConfig().requestCaps())
	sess := SessionFromPrincipal(&wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}})
	for _, n := range []int{1, 100} {
		for _, path := range []string{"struct", "wire", "values_json"} {
			b.Run(fmt.Sprintf("rows=%d/path=%s", n, path), func(b *testing.B) {
				codec.structRows.Store(path == "struct")
				req := benchArticles(b, n)
				if path == "values_json" {
					// Every column as JSON text, values empty.
					for _, r := range req.GetRows() {
						r.ValuesJson = map[string]string{}
						for k, v := range r.GetValues().GetFields() {
							text, err := protojson.Marshal(v)
							if err != nil {
								b.Fatal(err)
							}
							r.ValuesJson[k] = string(text)
						}
						r.Values = &structpb.Struct{}
					}
				}
				wire, err := proto.Marshal(req)
				if err != nil {
					b.Fatal(err)
				}
				data := mem.BufferSlice{mem.SliceBuffer(wire)}
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					// As a unary call: the codec armed for the message.
					req, slot := new(wardenv1.CheckRequest), &decodeSlot{}
					codec.armed.Store(req, slot)
					err := codec.Unmarshal(data, req)
					codec.armed.Delete(req)
					if err != nil || slot.err != nil {
						b.Fatal(err, slot.err)
					}
					if err := validateRequest(req, Limits{MaxRows: 1000}, slot.rows); err != nil {
						b.Fatal(err)
					}
					if _, err := checkInput(req, sess, slot.rows); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchCheck1 is wardenbench's check-1 row: ten columns, an object
// relationship of three and an array relationship of two rows of two.
func benchCheck1(b testing.TB, n int) *wardenv1.CheckRequest {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"id": i, "org_id": 1 + i%2, "author_id": 1 + i%3, "title": "Release notes 1.0",
			"body": "The body of the article, a few words long.", "published": i%2 == 0, "created_at": "2024-01-01T00:00:00Z",
			"updated_at": "2024-01-02T00:00:00Z", "views": 1234.5, "slug": "release-notes-1-0",
			"author":   map[string]any{"id": 1 + i%3, "name": "Ada", "org_id": 1},
			"comments": []any{map[string]any{"id": 1, "body": "nice"}, map[string]any{"id": 2, "body": "thanks"}}}
	}
	return explainRequest(b, "user", wardenv1.Operation_OPERATION_SELECT, "articles", false, rows...)
}

// BenchmarkWireRows measures the codec alone on a Check (the caps walk
// and the rows decoded from the wire), armed as for a unary call.
func BenchmarkWireRows(b *testing.B) {
	codec := newHoldingCodec(DefaultConfig().requestCaps())
	for _, shape := range []string{"articles", "check1"} {
		for _, n := range []int{1, 100} {
			b.Run(fmt.Sprintf("shape=%s/rows=%d", shape, n), func(b *testing.B) {
				req := benchArticles(b, n)
				if shape == "check1" {
					req = benchCheck1(b, n)
				}
				wire, err := proto.Marshal(req)
				if err != nil {
					b.Fatal(err)
				}
				data := mem.BufferSlice{mem.SliceBuffer(wire)}
				b.ReportAllocs()
				for b.Loop() {
					req, slot := new(wardenv1.CheckRequest), &decodeSlot{}
					codec.armed.Store(req, slot)
					err := codec.Unmarshal(data, req)
					codec.armed.Delete(req)
					if err != nil || slot.err != nil || slot.rows == nil {
						b.Fatal(err, slot.err)
					}
				}
			})
		}
	}
}

// benchInvoke measures the call of method with req over g, or, with echo,
// Echo of req's bytes: one call before the loop (the raw client discards
// responses, so a failure shows as an error there), then b.Loop, with
// the process's CPU time per call as cpu-ns/op.
func benchInvoke(b *testing.B, g *client.GRPC, method string, req proto.Message, echo bool) {
	ctx := context.Background()
	wire, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	if echo {
		if wire, err = proto.Marshal(&wardenv1.EchoRequest{Payload: wire}); err != nil {
			b.Fatal(err)
		}
		method = wardenv1.DiagnosticsService_Echo_FullMethodName
	}
	if err := g.Invoke(ctx, 0, method, mem.BufferSlice{mem.SliceBuffer(wire)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if err := g.Invoke(ctx, 0, method, mem.BufferSlice{mem.SliceBuffer(wire)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// benchServer starts the example's server for a gRPC benchmark as
// wardenbench runs it (errors logged only, the collector tuned as serve
// tunes it: rare collections, so that idle workers keep their stacks),
// and dials it with the test caller's key.
func benchServer(b *testing.B, caller string) (*testServer, *client.GRPC) {
	cfg := DefaultConfig()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	cfg.LogLevel = "error"
	ts := startTest(b, cfg, exampleSet(b))
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	b.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	TuneMemory(cfg.GCHeadroomMiB, func(string) string { return "" })
	g, err := client.DialGRPC(ts.grpcAddr, 1, ts.keys[caller])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(g.Close)
	return ts, g
}
