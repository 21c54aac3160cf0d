package callerauth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRateLimiterTokenBucket(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := callerauth.NewRateLimiter(2, 3, callerauth.WithRateLimiterClock(clock.Now))
	a := &callerauth.Caller{ID: "a", Level: callerauth.LevelUser}
	b := &callerauth.Caller{ID: "b", Level: callerauth.LevelUser}
	for i := range 3 {
		if err := l.Allow(a); err != nil {
			t.Fatalf("request %d of the burst: %v", i, err)
		}
	}
	err := l.Allow(a)
	st := wantStatus(t, err, codes.ResourceExhausted, callerauth.ReasonRateLimited)
	var retry *errdetails.RetryInfo
	var quota *errdetails.QuotaFailure
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.QuotaFailure:
			quota = d
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != 500*time.Millisecond {
		t.Fatalf("RetryInfo = %v, want 500ms (one token at 2/s)", retry)
	}
	if quota == nil || quota.GetViolations()[0].GetSubject() != "caller:a" {
		t.Fatalf("QuotaFailure = %v", quota)
	}
	// A refused request takes no token: after the advertised delay one
	// request passes.
	if err := l.Allow(b); err != nil {
		t.Fatalf("caller b is limited by caller a's bucket: %v", err)
	}
	clock.Add(500 * time.Millisecond)
	if err := l.Allow(a); err != nil {
		t.Fatalf("after the retry delay: %v", err)
	}
	if err := l.Allow(a); err == nil {
		t.Fatal("bucket refilled faster than its rate")
	}
	if err := l.Allow(nil); err != nil {
		t.Fatalf("a call without a caller is limited: %v", err)
	}
	if err := callerauth.NewRateLimiter(0, 0).Allow(a); err != nil {
		t.Fatalf("rate 0 should mean no limit: %v", err)
	}
}

func TestRateLimitInterceptor(t *testing.T) {
	a, keys := testCallers(t)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	lim := callerauth.NewRateLimiter(1, 2, callerauth.WithRateLimiterClock(clock.Now))
	addr, s := startServer(t, a, serverOpts{limiter: lim})
	cc := dial(t, addr, nil)
	authz := wardenv1.NewAuthorizationServiceClient(cc)
	ctx := withKeys(context.Background(), keys["checker"])
	for range 2 {
		if _, err := authz.Check(ctx, &wardenv1.CheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.reached.Load()
	resp, err := authz.Check(ctx, &wardenv1.CheckRequest{})
	wantStatus(t, err, codes.ResourceExhausted, callerauth.ReasonRateLimited)
	if resp != nil || s.reached.Load() != before {
		t.Fatal("a rate-limited call reached the handler")
	}
	// Unauthenticated calls fail authentication first and never spend a
	// caller's tokens; health is neither authenticated nor limited.
	_, err = authz.Check(context.Background(), &wardenv1.CheckRequest{})
	wantStatus(t, err, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials)
	for range 5 {
		if _, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health is limited: %v", err)
		}
	}
	clock.Add(time.Second)
	if _, err := authz.Check(ctx, &wardenv1.CheckRequest{}); err != nil {
		t.Fatalf("after a second: %v", err)
	}
}
