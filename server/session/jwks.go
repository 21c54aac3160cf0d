package session

import (
	"github.com/wardenpdp/warden/server/tracing"

	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"google.golang.org/grpc/codes"
)

// maxJWKSBytes bounds a JWKS document.
const maxJWKSBytes = 1 << 20

// jwksCache holds the keys published at a jwk_url. It refreshes them when
// their HTTP freshness (Cache-Control max-age, else Expires, else the
// default TTL) runs out, and early when a token names a key id it does not
// know, so rotated keys are picked up. Fetches are serialised and spaced
// at least minInterval apart, so a flood of tokens with made-up key ids
// costs one fetch per interval, not one per token. When a refresh fails
// the previous keys stay in use (as Hasura does) and the failure is logged.
type jwksCache struct {
	url          string
	client       *http.Client
	now          func() time.Time
	log          *slog.Logger
	minInterval  time.Duration
	defaultTTL   time.Duration
	maxTTL       time.Duration
	fetchTimeout time.Duration

	state       atomic.Pointer[jwksState]
	sem         chan struct{} // one fetch at a time
	lastAttempt atomic.Int64  // unix nanoseconds of the last completed fetch
	fetches     atomic.Int64  // completed fetches, for tests
	observe     func(string, time.Duration, error)
}

type jwksState struct {
	set     jwk.Set
	expires time.Time
}

func newJWKSCache(url string, o *options) *jwksCache {
	return &jwksCache{url: url, client: o.httpClient, now: o.now, log: o.log,
		minInterval: o.jwksMinInterval, defaultTTL: o.jwksDefaultTTL, maxTTL: o.jwksMaxTTL,
		fetchTimeout: o.jwksFetchTimeout, sem: make(chan struct{}, 1), observe: o.observe}
}

// key returns the key for a token's kid and algorithm; kid may be empty
// when the set holds exactly one key fit for alg.
func (c *jwksCache) key(ctx context.Context, kid, alg string) (jwk.Key, error) {
	st := c.state.Load()
	if st == nil || !c.now().Before(st.expires) {
		st = c.refresh(ctx, st)
	}
	if st == nil {
		return nil, newError(codes.Unavailable, ReasonJWKSUnavailable, "the signing keys of the token issuer are not available", nil)
	}
	k, err := pickKey(st.set, kid, alg)
	if err == errNoSuchKid {
		if fresh := c.refresh(ctx, st); fresh != st {
			k, err = pickKey(fresh.set, kid, alg)
		}
	}
	if err != nil {
		return nil, unauthenticated(ReasonJWTUnknownKey, "the token's signing key is not among the issuer's keys", err)
	}
	return k, nil
}

// refresh fetches the keys unless another call already replaced seen, or
// the last fetch is less than minInterval ago. It returns the keys to use.
func (c *jwksCache) refresh(ctx context.Context, seen *jwksState) *jwksState {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return c.state.Load()
	}
	defer func() { <-c.sem }()
	if cur := c.state.Load(); cur != seen {
		return cur
	}
	if last := c.lastAttempt.Load(); last != 0 && c.now().UnixNano()-last < int64(c.minInterval) {
		return seen
	}
	set, ttl, err := c.fetch(ctx)
	if err != nil && ctx.Err() != nil {
		// The caller gave up; that says nothing about the issuer, so the
		// next call may try again at once.
		return seen
	}
	c.lastAttempt.Store(c.now().UnixNano())
	c.fetches.Add(1)
	if err != nil {
		c.log.WarnContext(ctx, "fetching the JWKS failed; keeping the previous keys",
			slog.String("jwk_url", c.url), slog.Bool("have_keys", seen != nil), slog.Any("error", err))
		return seen
	}
	st := &jwksState{set: set, expires: c.now().Add(ttl)}
	c.state.Store(st)
	return st
}

func (c *jwksCache) fetch(ctx context.Context) (set jwk.Set, ttl time.Duration, err error) {
	ctx, span := tracing.Start(ctx, "warden.session.jwks_fetch")
	start := time.Now()
	defer func() {
		c.observe("jwks", time.Since(start), err)
		endSpan(span, err)
	}()
	ctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, 0, fmt.Errorf("GET %s: %s", c.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("GET %s: the JWKS is over %d bytes", c.url, maxJWKSBytes)
	}
	set, err = jwk.Parse(body)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", c.url, err)
	}
	var ok bool
	ttl, ok = freshness(resp.Header.Get("Cache-Control"), resp.Header.Get("Expires"), c.now())
	if !ok {
		ttl = c.defaultTTL
	}
	return set, min(ttl, c.maxTTL), nil
}

var errNoSuchKid = errors.New("no key with this kid")

// pickKey finds the key for kid (or the only fit key when kid is empty)
// and checks that it may verify alg: its kty must be alg's family, its
// alg (if stated) must be alg, and its use (if stated) must be sig.
// Symmetric keys are never taken from a JWKS.
func pickKey(set jwk.Set, kid, alg string) (jwk.Key, error) {
	var found jwk.Key
	if kid != "" {
		k, ok := set.LookupKeyID(kid)
		if !ok {
			return nil, errNoSuchKid
		}
		found = k
	} else {
		n := 0
		for i := range set.Len() {
			k, _ := set.Key(i)
			if keyFits(k, alg) == nil {
				found, n = k, n+1
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("the token has no kid and %d keys of the JWKS fit %s", n, alg)
		}
	}
	if err := keyFits(found, alg); err != nil {
		return nil, err
	}
	return found, nil
}

func keyFits(k jwk.Key, alg string) error {
	want, ok := jwksAlgorithms[alg]
	if !ok {
		return fmt.Errorf("algorithm %s is not accepted with a JWKS", alg)
	}
	if k.KeyType().String() != want.String() {
		return fmt.Errorf("key type %s cannot verify %s", k.KeyType(), alg)
	}
	if ka, ok := k.Algorithm(); ok && ka.String() != "" && ka.String() != alg {
		if !(isEd25519(alg) && isEd25519(ka.String())) {
			return fmt.Errorf("the key is for %s, the token says %s", ka, alg)
		}
	}
	if use, ok := k.KeyUsage(); ok && use != "" && use != "sig" {
		return fmt.Errorf("the key is for use %q, not sig", use)
	}
	return nil
}

func isEd25519(alg string) bool { return alg == "EdDSA" || alg == "Ed25519" }

// jwksAlgorithms are the algorithms accepted with a jwk_url and the key
// type each needs. HMAC is not among them: a published key is no secret.
var jwksAlgorithms = map[string]jwa.KeyType{
	"RS256": jwa.RSA(), "RS384": jwa.RSA(), "RS512": jwa.RSA(),
	"PS256": jwa.RSA(), "PS384": jwa.RSA(), "PS512": jwa.RSA(),
	"ES256": jwa.EC(), "ES384": jwa.EC(), "ES512": jwa.EC(),
	"EdDSA": jwa.OKP(), "Ed25519": jwa.OKP(),
}
