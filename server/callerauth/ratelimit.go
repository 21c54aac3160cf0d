package callerauth

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// RateLimiter gives every caller its own token bucket: rate requests per
// second on average, bursts of up to burst. Calls without a caller in
// their context (health checks) are not limited. Buckets are kept per
// caller ID; callers come from the configuration, so their number is
// bounded.
type RateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// RateLimiterOption configures NewRateLimiter.
type RateLimiterOption func(*RateLimiter)

// WithRateLimiterClock sets the clock, for tests.
func WithRateLimiterClock(now func() time.Time) RateLimiterOption {
	return func(l *RateLimiter) { l.now = now }
}

// NewRateLimiter limits every caller to perSecond requests per second with
// bursts of burst. perSecond <= 0 means no limit.
func NewRateLimiter(perSecond float64, burst int, opts ...RateLimiterOption) *RateLimiter {
	l := &RateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), now: time.Now, buckets: map[string]*rate.Limiter{}}
	if perSecond <= 0 {
		l.limit = rate.Inf
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

func (l *RateLimiter) bucket(id string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[id] = b
	}
	return b
}

// Allow takes one token from the caller's bucket. When the bucket is
// empty it takes nothing and returns a ResourceExhausted *Error with the
// time until a token is available as RetryInfo.
func (l *RateLimiter) Allow(c *Caller) error {
	if c == nil || l.limit == rate.Inf {
		return nil
	}
	now := l.now()
	r := l.bucket(c.ID).ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	r.CancelAt(now)
	// Round up to whole milliseconds so a client that waits exactly the
	// delay finds a token.
	delay = time.Duration(math.Ceil(float64(delay)/float64(time.Millisecond))) * time.Millisecond
	return &Error{Code: codes.ResourceExhausted, Reason: ReasonRateLimited,
		Message:    "rate limit exceeded for caller " + c.ID + "; retry after " + delay.String(),
		Metadata:   map[string]string{"caller": c.ID},
		RetryDelay: delay}
}

// UnaryServerInterceptor limits unary calls; put it after authentication.
func (l *RateLimiter) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := l.allowCtx(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor limits the start of streaming calls.
func (l *RateLimiter) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := l.allowCtx(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

func (l *RateLimiter) allowCtx(ctx context.Context) error {
	c, ok := FromContext(ctx)
	if !ok || tapped(ctx) {
		// No caller, or TapHandle counted the call already.
		return nil
	}
	return l.Allow(c)
}
