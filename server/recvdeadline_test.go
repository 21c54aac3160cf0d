package server

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// trickle opens a raw HTTP/2 connection, sends a Check's headers with the
// caller's key, announces a message of 1000 bytes and sends one byte of it
// every interval, and returns the grpc-status of the trailers the server
// sends (or "" if the connection ends without).
func trickle(t *testing.T, addr, key string, interval time.Duration) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	var mu sync.Mutex // the framer's writes
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", wardenv1.AuthorizationService_Check_FullMethodName},
		{":authority", addr}, {"content-type", "application/grpc"}, {"te", "trailers"}, {callerauth.APIKeyMetadata, key}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	mu.Lock()
	err = fr.WriteSettings()
	if err == nil {
		err = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	}
	if err == nil {
		err = fr.WriteData(1, false, []byte{0, 0, 0, 0x03, 0xe8}) // a message of 1000 bytes follows
	}
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
			mu.Lock()
			err := fr.WriteData(1, false, []byte{'x'})
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return ""
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				mu.Lock()
				fr.WriteSettingsAck()
				mu.Unlock()
			}
		case *http2.MetaHeadersFrame:
			if s := f.PseudoValue("status"); s == "" || f.StreamEnded() {
				for _, hf := range f.Fields {
					if hf.Name == "grpc-status" {
						return hf.Value
					}
				}
			}
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			return ""
		}
	}
}

// TestMessageRecvTimeout: a call whose message does not arrive whole
// within --message-recv-timeout — never sent, or trickled — is cut off
// with DEADLINE_EXCEEDED, counted, and decides nothing; a stream that
// received its first message in time is not cut later, and calls that
// send their message are answered.
func TestMessageRecvTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	cfg := DefaultConfig()
	cfg.MessageRecvTimeout = timeout
	ts := startTest(t, cfg, notesPolicy(t))
	cc := ts.conn(t, "gateway")
	expired := func() float64 {
		return testutil.ToFloat64(ts.srv.metrics.refused.WithLabelValues(ReasonMessageRecvTimeout))
	}
	decisions := decisionsMade(t, ts)

	// Headers, then nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, wardenv1.AuthorizationService_Check_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	err = stream.RecvMsg(new(wardenv1.CheckResponse))
	took := time.Since(start)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a call that never sends its message: %v, want DeadlineExceeded", err)
	}
	if took < timeout || took > timeout+3*time.Second {
		t.Errorf("cut off after %s, want about %s", took, timeout)
	}

	// Headers and a message trickled a byte every 50 ms: 1000 bytes
	// would take 50 s.
	start = time.Now()
	if code := trickle(t, ts.grpcAddr, ts.keys["gateway"], 50*time.Millisecond); code != "4" {
		t.Errorf("a trickled message: grpc-status %q, want 4 (DEADLINE_EXCEEDED)", code)
	}
	if took := time.Since(start); took > timeout+3*time.Second {
		t.Errorf("the trickled call was cut off after %s, want about %s", took, timeout)
	}
	if got := expired(); got != 2 {
		t.Errorf("warden_calls_refused_before_decode_total{reason=%q} = %v, want 2", ReasonMessageRecvTimeout, got)
	}

	// A stream whose first message came in time keeps going.
	refl, err := reflectionpb.NewServerReflectionClient(ts.conn(t, "ops")).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}
	for i := range 2 {
		if err := refl.Send(list); err != nil {
			t.Fatal(err)
		}
		if _, err := refl.Recv(); err != nil {
			t.Fatalf("reflection answer %d: %v", i, err)
		}
		time.Sleep(2 * timeout)
	}
	refl.CloseSend()

	// Control: a call with its message is decided.
	resp, err := wardenv1.NewAuthorizationServiceClient(cc).Check(ctx, ownNote(user7))
	if err != nil || len(resp.GetDecisions()) != 1 {
		t.Fatalf("a call with its message: %v, %v", resp, err)
	}
	if got := decisionsMade(t, ts) - decisions; got != 1 {
		t.Errorf("%v decisions made, want only the control's 1", got)
	}
	if got := expired(); got != 2 {
		t.Errorf("calls cut off: %v, want still 2", got)
	}
}
