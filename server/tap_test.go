package server

import (
	"context"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// rawCodec sends bytes encoded once, so that the client costs the test
// process nothing per call.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)      { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error { return nil }
func (rawCodec) Name() string                       { return "proto" }

// TestRefusedBeforeDecode: a call without a caller, or from a caller
// without the grant, is refused from its headers; its message, a Check of
// almost 4 MB that decodes to about twenty times that, is never read into
// the server's memory, let alone decoded. A caller with the grant gets
// past, and its request is decoded and answered.
func TestRefusedBeforeDecode(t *testing.T) {
	cfg := DefaultConfig()
	// Caps high enough that the request with the grant is decoded.
	cfg.MaxRequestValues, cfg.MaxListElements = 1<<20, 1<<20
	ts := startTest(t, cfg, notesPolicy(t))
	nulls := make([]any, 900_000)
	row, err := structpb.NewStruct(map[string]any{"id": 1, "tags": nulls})
	if err != nil {
		t.Fatal(err)
	}
	big, err := proto.Marshal(&wardenv1.CheckRequest{Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}}, Rows: []*wardenv1.Row{{Id: "r", Values: row}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(big) < 3<<20 || len(big) > 4<<20 {
		t.Fatalf("the request is %d bytes, want between 3 and 4 MiB", len(big))
	}
	ctx := context.Background()
	call := func(cc *grpc.ClientConn) error {
		return cc.Invoke(ctx, "/warden.v1.AuthorizationService/Check", big, new([]byte), grpc.ForceCodec(rawCodec{}))
	}
	anonymous, scraper := ts.conn(t, ""), ts.conn(t, "scraper")
	// Warm up: connections, pools.
	_ = call(anonymous)
	_ = call(scraper)

	const n = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		if err := call(anonymous); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("keyless call: %v, want Unauthenticated", err)
		}
		if err := call(scraper); status.Code(err) != codes.PermissionDenied {
			t.Fatalf("call without the check grant: %v, want PermissionDenied", err)
		}
	}
	runtime.ReadMemStats(&after)
	// Reading one message alone would allocate its 3+ MiB; decoding it,
	// some 60 MiB. Refused from the headers, 2n calls cost the process
	// (client and server) a few KiB each.
	t.Logf("%d refused calls allocated %d KiB", 2*n, (after.TotalAlloc-before.TotalAlloc)>>10)
	if got := after.TotalAlloc - before.TotalAlloc; got > 2*n*(256<<10) {
		t.Errorf("%d refused calls allocated %d KiB, want under %d KiB: the messages were read or decoded", 2*n, got>>10, 2*n*256)
	}
	if got := testutil.ToFloat64(ts.srv.metrics.refused.WithLabelValues("MISSING_CALLER_CREDENTIALS")); got < n {
		t.Errorf("refused before decoding, missing credentials: %v, want at least %d", got, n)
	}

	// The caller with the grant gets past the headers: the request is
	// read, decoded and decided (tags is not a column of notes).
	if err := call(ts.conn(t, "gateway")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("call with the grant: %v, want InvalidArgument (decoded, then refused for its row)", err)
	}
}
