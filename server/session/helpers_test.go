package session_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
)

var (
	checker = &callerauth.Caller{ID: "checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}}
	trusted = &callerauth.Caller{ID: "gateway", Level: callerauth.LevelUser,
		Grants: []callerauth.Grant{callerauth.GrantCheck, callerauth.GrantTrustedSession}}
	admin = &callerauth.Caller{ID: "ops", Level: callerauth.LevelAdmin}
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_750_000_000, 0)} }

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

func newResolver(t *testing.T, cfg session.Config, opts ...session.Option) *session.Resolver {
	t.Helper()
	r, err := session.NewResolver(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func jwtConfig(t *testing.T, m map[string]any) session.Config {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c := session.DefaultConfig()
	c.JWTSecret = string(b)
	return c
}

func bearer(tok string) map[string][]string {
	return map[string][]string{"authorization": {"Bearer " + tok}}
}

// wantError asserts the exact code and ErrorInfo reason, and that no
// session came out.
func wantError(t *testing.T, s engine.Session, err error, code codes.Code, reason string) {
	t.Helper()
	if s.Role != "" || s.Vars != nil || s.BackendOnly {
		t.Errorf("a session leaked out with the error: %+v", s)
	}
	if err == nil {
		t.Fatalf("no error, want %s %s", code, reason)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%T %v is not a status", err, err)
	}
	if st.Code() != code {
		t.Fatalf("code %s (%s), want %s %s", st.Code(), st.Message(), code, reason)
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if info.GetReason() != reason || info.GetDomain() != callerauth.ErrorDomain {
				t.Fatalf("reason %s/%s (%s), want %s", info.GetDomain(), info.GetReason(), st.Message(), reason)
			}
			return
		}
	}
	t.Fatalf("no ErrorInfo in %s", st.Message())
}

func resolve(t *testing.T, r *session.Resolver, req session.Request) (engine.Session, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Resolve(ctx, req)
}
