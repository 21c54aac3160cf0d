package security_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/callerauth/callerauthtest"
)

// attack is one row of the attack table.
type attack struct {
	name  string
	h     *harness
	leaf  *callerauthtest.Leaf // a client certificate (gRPC only: the gateway takes API keys)
	key   string               // caller id whose key is sent; "" none; "!wrong" a made-up key
	token string
	admin bool // call AdminService.GetStatus instead of Check
	req   *wardenv1.CheckRequest
	code  codes.Code
	// reason is the ErrorInfo reason, when the status has one.
	reason string
	// httpStatus is the gateway's answer when it is not the HTTP status
	// of code.
	httpStatus int
}

func (a attack) apiKey() string {
	switch a.key {
	case "":
		return ""
	case "!wrong":
		return "wdn_made_up_key"
	}
	return a.h.keys[a.key]
}

// grpc makes the attack over gRPC and returns the status; a response
// that comes with an error fails the test.
func (a attack) grpc(t *testing.T, req *wardenv1.CheckRequest) *status.Status {
	t.Helper()
	ctx, cancel := deadline(t)
	defer cancel()
	if k := a.apiKey(); k != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, callerauth.APIKeyMetadata, k)
	}
	if a.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+a.token)
	}
	cc := a.h.conn(t, a.leaf)
	var resp proto.Message
	var err error
	if a.admin {
		var r *wardenv1.GetStatusResponse
		r, err = wardenv1.NewAdminServiceClient(cc).GetStatus(ctx, &wardenv1.GetStatusRequest{})
		if r != nil {
			resp = r
		}
	} else {
		var r *wardenv1.CheckResponse
		r, err = wardenv1.NewAuthorizationServiceClient(cc).Check(ctx, req, grpc.MaxCallRecvMsgSize(1<<20))
		if r != nil {
			resp = r
		}
	}
	if resp != nil {
		t.Fatalf("a response came with the error: %v", resp)
	}
	return status.Convert(err)
}

// http makes the attack through the HTTP/JSON gateway, with the key in
// X-Warden-Api-Key and the token in Authorization, and returns the status
// of the JSON error body. The HTTP status must be the code's (or
// httpStatus), and the body must be an error, never a response.
func (a attack) http(t *testing.T, req *wardenv1.CheckRequest) *status.Status {
	t.Helper()
	ctx, cancel := deadline(t)
	defer cancel()
	method, path, body := http.MethodPost, "/v1/check", []byte(nil)
	if a.admin {
		method, path = http.MethodGet, "/v1/admin/status"
	} else {
		var err error
		if body, err = protojson.Marshal(req); err != nil {
			t.Fatal(err)
		}
	}
	hr, err := http.NewRequestWithContext(ctx, method, "https://"+a.h.httpAddr+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if len(body) > 0 {
		// The server answers a refused call from its headers without
		// asking for the body; a client that sends the body anyway may
		// see the connection reset before it reads that answer (the
		// server does not drain a body it refused on a connection it
		// closes). With Expect: 100-continue it waits for the answer.
		hr.Header.Set("Expect", "100-continue")
	}
	if k := a.apiKey(); k != "" {
		hr.Header.Set(callerauth.APIKeyMetadata, k)
	}
	if a.token != "" {
		hr.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.h.https(t, nil).Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := a.httpStatus
	if want == 0 {
		want = runtime.HTTPStatusFromCode(a.code)
	}
	if resp.StatusCode != want {
		t.Fatalf("HTTP %s, want %d: %s", resp.Status, want, out)
	}
	var p spb.Status
	if err := protojson.Unmarshal(out, &p); err != nil || p.GetCode() == 0 {
		t.Fatalf("the body is not an error status (%v): %s", err, out)
	}
	return status.FromProto(&p)
}

// conn dials the gRPC listener with TLS, presenting the client
// certificate if given.
func (h *harness) conn(t *testing.T, leaf *callerauthtest.Leaf) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(credentialsFor(t, h, leaf)),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}
