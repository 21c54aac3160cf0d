package security_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
)

// TestMemoryAttackTable: requests made to cost the server memory — many
// small values, a long list, deep nesting — are refused by the decoding
// caps with their status and reason, over gRPC and the gateway, after
// their caller is known and before anything is decided; without a key
// they are refused from the headers. (The attack table of
// attack_test.go, for the attacks on memory.)
func TestMemoryAttackTable(t *testing.T) {
	h := start(t, session.DefaultConfig(), func(c *server.Config) {
		c.MaxRequestValues, c.MaxListElements, c.MaxValueDepth = 1000, 100, 8
	})
	stated := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}}
	withColumn := func(v *structpb.Value) *wardenv1.CheckRequest {
		r := selectNote(stated)
		r.Rows[0].Values.Fields["title"] = v
		return r
	}
	list := func(n int) *structpb.Value {
		l := &structpb.ListValue{}
		for range n {
			l.Values = append(l.Values, structpb.NewNullValue())
		}
		return structpb.NewListValue(l)
	}
	manyValues := selectNote(stated)
	for i := range 1200 {
		manyValues.Rows[0].Values.Fields[fmt.Sprint("c", i)] = structpb.NewNullValue()
	}

	for _, a := range []attack{
		{name: "more values than --max-request-values", h: h, key: "gateway", req: manyValues, code: codes.ResourceExhausted, reason: server.ReasonTooManyValues},
		{name: "a list longer than --max-list-elements", h: h, key: "gateway", req: withColumn(list(101)), code: codes.ResourceExhausted, reason: server.ReasonListTooLong},
		{name: "values nested deeper than --max-value-depth", h: h, key: "gateway", req: withColumn(nestedValue(8)), code: codes.InvalidArgument, reason: server.ReasonTooDeep},
		{name: "a decoding bomb without a key", h: h, req: withColumn(list(20000)), code: codes.Unauthenticated, reason: callerauth.ReasonMissingCallerCredentials},
		{name: "a decoding bomb with a key without the grant", h: h, key: "filterer", req: withColumn(list(20000)), code: codes.PermissionDenied, reason: callerauth.ReasonCallerNotPermitted},
	} {
		for _, transport := range []string{"grpc", "http"} {
			t.Run(a.name+"/"+transport, func(t *testing.T) {
				decisions, adminOK := a.h.served(t)
				var st *status.Status
				if transport == "grpc" {
					st = a.grpc(t, a.req)
				} else {
					st = a.http(t, a.req)
				}
				t.Logf("%s: %s", st.Code(), st.Message())
				if st.Code() != a.code || reasonOf(st) != a.reason {
					t.Fatalf("%s %q (%s), want %s %s", st.Code(), reasonOf(st), st.Message(), a.code, a.reason)
				}
				if d, ok := a.h.served(t); d != decisions || ok != adminOK {
					t.Fatalf("a decision was made: %d row decisions before, %d after", decisions, d)
				}
				checkDetails(t, st)
			})
		}
	}

	// A caller that opens a call and never sends its message is cut off
	// after --message-recv-timeout (gRPC; over HTTP the server's read
	// timeout, --message-recv-timeout plus 10 s, does the same).
	t.Run("message never sent/grpc", func(t *testing.T) {
		hs := start(t, session.DefaultConfig(), func(c *server.Config) { c.MessageRecvTimeout = 300 * time.Millisecond })
		decisions, _ := hs.served(t)
		ctx, cancel := deadline(t)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, callerauth.APIKeyMetadata, hs.keys["gateway"])
		began := time.Now()
		s, err := hs.conn(t, nil).NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, wardenv1.AuthorizationService_Check_FullMethodName)
		if err == nil {
			err = s.RecvMsg(new(wardenv1.CheckResponse))
		}
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("%v, want DeadlineExceeded", err)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("cut off after %s", took)
		}
		if d, _ := hs.served(t); d != decisions {
			t.Errorf("a decision was made")
		}
		if m := metric(t, hs, `warden_calls_refused_before_decode_total{reason="MESSAGE_RECV_TIMEOUT"}`); m != "1" {
			t.Errorf("cut-off calls counted: %q, want 1", m)
		}
	})
}

// metric returns the value of one series of the server's metrics ("" if
// absent).
func metric(t *testing.T, h *harness, series string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://"+h.httpAddr+"/metrics", nil)
	req.Header.Set(callerauth.APIKeyMetadata, h.keys["ops"])
	resp, err := h.https(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}
