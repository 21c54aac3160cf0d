package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/callerauth"
)

// maxWebhookBodyBytes bounds a webhook's answer.
const maxWebhookBodyBytes = 64 << 10

// webhook is Hasura's auth webhook mode: it asks a URL who the end user is.
type webhook struct {
	url          string
	post         bool
	secretHeader string // canonical form
	secret       string
	timeout      time.Duration
	maxTTL       time.Duration
	client       *http.Client
	now          func() time.Time

	cache *lru.Cache[string, hookAnswer]
	group singleflight.Group
	// observe is told each request's duration and error (metrics).
	observe func(string, time.Duration, error)
}

// hookAnswer is a webhook's 200 answer: the session it states and, in the
// cache, until when it may be reused.
type hookAnswer struct {
	role    string
	vars    map[string]string
	ttl     time.Duration
	expires time.Time
}

func newWebhook(cfg Config, o *options) (*webhook, error) {
	cache, err := lru.New[string, hookAnswer](max(1, cfg.AuthHookCacheSize))
	if err != nil {
		return nil, err
	}
	// The webhook's answer is trusted and the secret goes with every
	// request, so never follow a redirect to wherever it points.
	client := *o.httpClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &webhook{url: cfg.AuthHook, post: strings.EqualFold(cfg.AuthHookMode, "POST"),
		secretHeader: http.CanonicalHeaderKey(cfg.AuthHookSecretHeader), secret: cfg.AuthHookSecret,
		timeout: cfg.AuthHookTimeout, maxTTL: cfg.AuthHookMaxCacheTTL, client: &client, now: o.now, cache: cache, observe: o.observe}, nil
}

// droppedHeaders are never forwarded: transport and gRPC internals, the
// caller's credentials, and x-hasura-* headers (the requested role is
// forwarded from the request itself).
var droppedHeaders = map[string]bool{
	"content-type": true, "content-length": true, "te": true, "host": true, "connection": true,
	"keep-alive": true, "transfer-encoding": true, "upgrade": true, "user-agent": true,
	callerauth.APIKeyMetadata: true,
}

// forwardHeaders picks the headers the webhook sees, lower-case, values
// with control characters dropped, plus x-hasura-role when a role is
// requested.
func (w *webhook) forwardHeaders(headers map[string][]string, role string) map[string][]string {
	fwd := make(map[string][]string, len(headers)+1)
	for k, vals := range headers {
		k = strings.ToLower(k)
		if droppedHeaders[k] || strings.HasPrefix(k, ":") || strings.HasPrefix(k, "grpc-") ||
			strings.HasSuffix(k, "-bin") || strings.HasPrefix(k, "proxy-") || isSessionVariable(k) ||
			http.CanonicalHeaderKey(k) == w.secretHeader {
			continue
		}
		for _, v := range vals {
			if validHeaderValue(v) {
				fwd[k] = append(fwd[k], v)
			}
		}
	}
	if role != "" && validHeaderValue(role) {
		fwd[RoleVariable] = []string{role}
	}
	return fwd
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// cacheKey hashes everything the webhook is sent, so one answer is reused
// only for the same question.
func cacheKey(fwd map[string][]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(fwd)) {
		fmt.Fprintf(h, "%d:%s", len(k), k)
		for _, v := range fwd[k] {
			fmt.Fprintf(h, "%d:%s", len(v), v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resolve asks the webhook (or its cache) for the session of these
// headers. Identical questions in flight share one call. The call runs
// under its own deadline, so one caller giving up does not fail the
// others; each caller still returns as soon as its own context ends.
func (w *webhook) resolve(ctx context.Context, headers map[string][]string, role string) (hookAnswer, error) {
	fwd := w.forwardHeaders(headers, role)
	key := cacheKey(fwd)
	if a, ok := w.cache.Get(key); ok && w.now().Before(a.expires) {
		return a, nil
	}
	ch := w.group.DoChan(key, func() (any, error) {
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.timeout)
		defer cancel()
		a, err := w.call(callCtx, fwd)
		if err == nil && a.ttl > 0 {
			a.expires = w.now().Add(a.ttl)
			w.cache.Add(key, a)
		}
		return a, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return hookAnswer{}, r.Err
		}
		return r.Val.(hookAnswer), nil
	case <-ctx.Done():
		return hookAnswer{}, ctxError(ctx)
	}
}

func hookUnavailable(reason, msg string, cause error) *Error {
	return newError(codes.Unavailable, reason, msg, cause)
}

// call makes one webhook request and reads its answer.
func (w *webhook) call(ctx context.Context, fwd map[string][]string) (hookAnswer, error) {
	var req *http.Request
	var err error
	if w.post {
		flat := make(map[string]string, len(fwd))
		for k, vals := range fwd {
			flat[http.CanonicalHeaderKey(k)] = strings.Join(vals, ", ")
		}
		body, _ := json.Marshal(map[string]any{"headers": flat})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
		if err == nil {
			for k, vals := range fwd {
				for _, v := range vals {
					req.Header.Add(k, v)
				}
			}
		}
	}
	if err != nil {
		return hookAnswer{}, hookUnavailable(ReasonWebhookUnavailable, "the authentication webhook is unavailable", err)
	}
	if w.secret != "" {
		req.Header.Set(w.secretHeader, w.secret)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	w.observe("webhook", time.Since(start), err)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", w.timeout, err)
		}
		return hookAnswer{}, hookUnavailable(ReasonWebhookUnavailable, "the authentication webhook is unavailable", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookBodyBytes+1))
	if err != nil {
		return hookAnswer{}, hookUnavailable(ReasonWebhookUnavailable, "the authentication webhook is unavailable", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return hookAnswer{}, unauthenticated(ReasonWebhookDenied, "the authentication webhook refused the request", nil)
	case http.StatusForbidden:
		return hookAnswer{}, newError(codes.PermissionDenied, ReasonWebhookDenied, "the authentication webhook refused the request", nil)
	default:
		return hookAnswer{}, hookUnavailable(ReasonWebhookUnavailable, "the authentication webhook is unavailable",
			fmt.Errorf("webhook answered %s", resp.Status))
	}
	if len(body) > maxWebhookBodyBytes {
		return hookAnswer{}, hookUnavailable(ReasonWebhookInvalidResponse, "the authentication webhook answered invalid data",
			fmt.Errorf("answer over %d bytes", maxWebhookBodyBytes))
	}
	a, err := w.parse(body, resp.Header)
	if err != nil {
		return hookAnswer{}, hookUnavailable(ReasonWebhookInvalidResponse, "the authentication webhook answered invalid data", err)
	}
	return a, nil
}

// parse reads a 200 answer: a JSON object of X-Hasura-* values with
// X-Hasura-Role among them, and optionally Cache-Control or Expires (in
// the object, as Hasura reads them, else in the HTTP headers).
func (w *webhook) parse(body []byte, h http.Header) (hookAnswer, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return hookAnswer{}, fmt.Errorf("answer is not a JSON object: %w", err)
	}
	for k, v := range obj {
		if strings.EqualFold(k, RoleVariable) {
			// A role is one name: an array or a number is not one.
			if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
				return hookAnswer{}, errors.New("X-Hasura-Role must be a non-empty string")
			}
		}
	}
	vars, err := sessionVariables(obj)
	if err != nil {
		return hookAnswer{}, err
	}
	role := vars[RoleVariable]
	if role == "" {
		return hookAnswer{}, errors.New("answer has no X-Hasura-Role")
	}
	var cc, exp string
	for k, v := range obj {
		s, _ := v.(string)
		switch strings.ToLower(k) {
		case "cache-control":
			cc = s
		case "expires":
			exp = s
		}
	}
	if cc == "" && exp == "" {
		cc, exp = h.Get("Cache-Control"), h.Get("Expires")
	}
	ttl, _ := freshness(cc, exp, w.now())
	return hookAnswer{role: role, vars: vars, ttl: min(ttl, w.maxTTL)}, nil
}
