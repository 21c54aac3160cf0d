package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestListenerLimits: one connection holds at most --max-concurrent-streams
// calls, stalled or not (the next waits at the client), and a connection
// without calls is closed after --max-connection-idle.
func TestListenerLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConcurrentStreams = 2
	cfg.MaxConnectionIdle = 300 * time.Millisecond
	ts := startTest(t, cfg, notesPolicy(t))
	cc := ts.conn(t, "ops")
	admin := wardenv1.NewAdminServiceClient(cc)
	status1 := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		_, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
		return err
	}
	if err := status1(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Two stalled streams: reflection streams that never send.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	refl := reflectionpb.NewServerReflectionClient(cc)
	var cancels []context.CancelFunc
	for range 2 {
		sctx, scancel := context.WithCancel(ctx)
		cancels = append(cancels, scancel)
		if _, err := refl.ServerReflectionInfo(sctx); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // the streams reach the server
	if err := status1(300 * time.Millisecond); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("a third call beside two stalled streams: %v, want it held until its deadline", err)
	}
	cancels[0]()
	if err := status1(5 * time.Second); err != nil {
		t.Errorf("a call once a stream ended: %v", err)
	}
	cancels[1]()

	// Idle: the server closes the connection; the client sees it go idle.
	deadline := time.Now().Add(5 * time.Second)
	for cc.GetState() != connectivity.Idle && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := cc.GetState(); st != connectivity.Idle {
		t.Errorf("connection state %v after idling past --max-connection-idle, want IDLE (closed by the server)", st)
	}
}

func TestListenerLimitsValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	for _, mut := range []func(*Config){
		func(c *Config) { c.MaxConcurrentStreams = 0 },
		func(c *Config) { c.MaxConnections = -1 },
		func(c *Config) { c.MaxConnectionIdle = -time.Second },
	} {
		c := DefaultConfig()
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}
