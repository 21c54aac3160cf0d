package session_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

type jwksFixture struct {
	clock *fakeClock
	srv   *sessiontest.JWKSServer
	r     *session.Resolver
}

func newJWKSFixture(t *testing.T, keys ...*sessiontest.Key) *jwksFixture {
	t.Helper()
	f := &jwksFixture{clock: newClock(), srv: sessiontest.NewJWKSServer(t, keys...)}
	cfg := jwtConfig(t, map[string]any{"jwk_url": f.srv.URL})
	cfg.JWKSMinRefreshInterval = 30 * time.Second
	cfg.JWKSDefaultTTL = time.Hour
	f.r = newResolver(t, cfg, session.WithClock(f.clock.Now))
	return f
}

// use resolves a token signed by k and reports the error.
func (f *jwksFixture) use(t *testing.T, k *sessiontest.Key) error {
	t.Helper()
	tok := k.Sign(t, sessiontest.Claims(f.clock.Now(), "user", []string{"user"}, nil))
	_, err := resolve(t, f.r, session.Request{Caller: checker, Headers: bearer(tok)})
	return err
}

func (f *jwksFixture) wantHits(t *testing.T, want int64, when string) {
	t.Helper()
	if got := f.srv.Hits.Load(); got != want {
		t.Fatalf("%s: %d JWKS fetches, want %d", when, got, want)
	}
}

func TestJWKSCacheControlMaxAge(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	f := newJWKSFixture(t, k)
	f.srv.SetHeader("Cache-Control", "public, max-age=300")
	if err := f.use(t, k); err != nil {
		t.Fatal(err)
	}
	f.wantHits(t, 1, "first token")
	f.clock.Add(299 * time.Second)
	if err := f.use(t, k); err != nil {
		t.Fatal(err)
	}
	f.wantHits(t, 1, "within max-age")
	f.clock.Add(2 * time.Second)
	if err := f.use(t, k); err != nil {
		t.Fatal(err)
	}
	f.wantHits(t, 2, "after max-age")
}

func TestJWKSExpiresAndDefaultTTL(t *testing.T) {
	k := sessiontest.ES256Key(t)
	f := newJWKSFixture(t, k)
	f.srv.SetHeader("Expires", f.clock.Now().Add(120*time.Second).UTC().Format(http.TimeFormat))
	if err := f.use(t, k); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(100 * time.Second)
	_ = f.use(t, k)
	f.wantHits(t, 1, "before Expires")
	f.clock.Add(21 * time.Second)
	f.srv.SetHeader("Expires", "")
	_ = f.use(t, k)
	f.wantHits(t, 2, "after Expires")
	// This response had no freshness: the default TTL (1h) applies.
	f.clock.Add(59 * time.Minute)
	_ = f.use(t, k)
	f.wantHits(t, 2, "within the default TTL")
	f.clock.Add(2 * time.Minute)
	_ = f.use(t, k)
	f.wantHits(t, 3, "after the default TTL")
}

func TestJWKSNoStoreIsRateLimited(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	f := newJWKSFixture(t, k)
	f.srv.SetHeader("Cache-Control", "no-store")
	for range 5 {
		if err := f.use(t, k); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Second)
	}
	f.wantHits(t, 1, "no-store, within the minimum interval")
	f.clock.Add(30 * time.Second)
	_ = f.use(t, k)
	f.wantHits(t, 2, "no-store, after the minimum interval")
}

func TestJWKSRotationRefreshesOnUnknownKid(t *testing.T) {
	k1 := sessiontest.RSA(t, "RS256", "k1")
	k2 := sessiontest.RSA(t, "RS256", "k2")
	f := newJWKSFixture(t, k1)
	f.srv.SetHeader("Cache-Control", "max-age=86400")
	if err := f.use(t, k1); err != nil {
		t.Fatal(err)
	}
	f.srv.SetKeys(t, k1, k2)
	// Right after a fetch an unknown kid does not fetch again.
	s, err := resolve(t, f.r, session.Request{Caller: checker, Headers: bearer(k2.Sign(t, sessiontest.Claims(f.clock.Now(), "user", []string{"user"}, nil)))})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonJWTUnknownKey)
	f.wantHits(t, 1, "unknown kid within the minimum interval")
	f.clock.Add(31 * time.Second)
	if err := f.use(t, k2); err != nil {
		t.Fatalf("rotated key after the minimum interval: %v", err)
	}
	f.wantHits(t, 2, "unknown kid after the minimum interval")
	if err := f.use(t, k1); err != nil {
		t.Fatal(err)
	}
	f.wantHits(t, 2, "known kid")
}

func TestJWKSNoRefreshStorm(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	f := newJWKSFixture(t, k)
	f.srv.SetHeader("Cache-Control", "max-age=3600")
	if err := f.use(t, k); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	var wg sync.WaitGroup
	forger := sessiontest.RSA(t, "RS256", "")
	for i := range 200 {
		tok := forger.Sign(t, sessiontest.Claims(f.clock.Now(), "user", []string{"user"}, nil), map[string]any{"kid": fmt.Sprintf("made-up-%d", i)})
		wg.Go(func() {
			s, err := f.r.Resolve(context.Background(), session.Request{Caller: checker, Headers: bearer(tok)})
			if s.Role != "" || err == nil {
				t.Errorf("a forged kid resolved: %+v", s)
			}
		})
	}
	wg.Wait()
	f.wantHits(t, 2, "200 tokens with made-up kids")
}

func TestJWKSConcurrentFirstFetch(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	f := newJWKSFixture(t, k)
	tok := k.Sign(t, sessiontest.Claims(f.clock.Now(), "user", []string{"user"}, nil))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := f.r.Resolve(context.Background(), session.Request{Caller: checker, Headers: bearer(tok)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.wantHits(t, 1, "50 concurrent first tokens")
}

func TestJWKSUnavailable(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	f := newJWKSFixture(t, k)
	f.srv.SetStatus(http.StatusInternalServerError)
	if err := f.r.Prefetch(context.Background()); err == nil {
		t.Fatal("Prefetch succeeded against a failing JWKS")
	}
	tok := k.Sign(t, sessiontest.Claims(f.clock.Now(), "user", []string{"user"}, nil))
	s, err := resolve(t, f.r, session.Request{Caller: checker, Headers: bearer(tok)})
	wantError(t, s, err, codes.Unavailable, session.ReasonJWKSUnavailable)
	f.wantHits(t, 1, "retries wait for the minimum interval")
	f.srv.SetStatus(http.StatusOK)
	f.srv.SetHeader("Cache-Control", "max-age=60")
	f.clock.Add(31 * time.Second)
	if err := f.use(t, k); err != nil {
		t.Fatalf("after the JWKS came back: %v", err)
	}
	// Later the JWKS fails again: the keys outlive their freshness rather
	// than locking every user out.
	f.srv.SetStatus(http.StatusBadGateway)
	f.clock.Add(2 * time.Minute)
	if err := f.use(t, k); err != nil {
		t.Fatalf("stale keys were not kept: %v", err)
	}
	f.wantHits(t, 3, "one failed refresh")
}

func TestJWKSPinnedType(t *testing.T) {
	k := sessiontest.RSA(t, "RS256", "k1")
	ps := sessiontest.RSA(t, "PS256", "k2")
	srv := sessiontest.NewJWKSServer(t, k, ps)
	clock := newClock()
	r := newResolver(t, jwtConfig(t, map[string]any{"jwk_url": srv.URL, "type": "RS256"}), session.WithClock(clock.Now))
	ok := k.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user"}, nil))
	if _, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(ok)}); err != nil {
		t.Fatal(err)
	}
	s, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(ps.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user"}, nil)))})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonJWTAlgNotAllowed)
}
