// Package sessiontest signs end-user tokens and serves JWKS documents and
// auth webhooks for tests. Every key is generated per test from
// crypto/rand; nothing here is fit for production.
package sessiontest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Key is a signing key with its algorithm and key id.
type Key struct {
	Alg     string // JWS alg: HS256, RS256, ES256, EdDSA, ...
	Kid     string
	Private any // []byte for HMAC
	Public  any // []byte for HMAC
}

// HMAC returns an HMAC key of the algorithm's minimum length.
func HMAC(t testing.TB, alg string) *Key {
	t.Helper()
	n := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg]
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	secret := []byte(base64.RawURLEncoding.EncodeToString(b))[:n]
	return &Key{Alg: alg, Private: secret, Public: secret}
}

// RSA returns a 2048-bit RSA key for alg (RS256, PS256, ...).
func RSA(t testing.TB, alg, kid string) *Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Alg: alg, Kid: kid, Private: k, Public: &k.PublicKey}
}

// EC returns an ECDSA key for ES256, ES384 or ES512.
func EC(t testing.TB, alg, kid string) *Key {
	t.Helper()
	curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Alg: alg, Kid: kid, Private: k, Public: &k.PublicKey}
}

// Ed25519 returns an Ed25519 key (alg EdDSA).
func Ed25519(t testing.TB, kid string) *Key {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Alg: "EdDSA", Kid: kid, Private: priv, Public: pub}
}

// PublicPEM is the public key as a PEM "PUBLIC KEY" block.
func (k *Key) PublicPEM(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Sign signs the claims with the key; extra protected headers are added
// (a "kid" header is added when the key has one).
func (k *Key) Sign(t testing.TB, claims map[string]any, extra ...map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return k.SignPayload(t, payload, extra...)
}

// SignPayload signs raw payload bytes.
func (k *Key) SignPayload(t testing.TB, payload []byte, extra ...map[string]any) string {
	t.Helper()
	hdrs := jws.NewHeaders()
	if k.Kid != "" {
		_ = hdrs.Set(jws.KeyIDKey, k.Kid)
	}
	for _, m := range extra {
		for name, v := range m {
			if err := hdrs.Set(name, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	alg, ok := jwa.LookupSignatureAlgorithm(k.Alg)
	if !ok {
		t.Fatalf("unknown alg %s", k.Alg)
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, k.Private, jws.WithProtectedHeaders(hdrs)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// JWK is the public key as a JWK with kid, alg and use set.
func (k *Key) JWK(t testing.TB) jwk.Key {
	t.Helper()
	key, err := jwk.Import(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	if k.Kid != "" {
		_ = key.Set(jwk.KeyIDKey, k.Kid)
	}
	_ = key.Set(jwk.AlgorithmKey, k.Alg)
	_ = key.Set(jwk.KeyUsageKey, "sig")
	return key
}

// Unsigned builds a token by hand from a header and claims, with the
// signature given (empty for alg "none").
func Unsigned(t testing.TB, header, claims map[string]any, sig []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

// HMACWithHeader builds a token with the given header, HMAC-SHA256-signed
// with secret: the classic key-confusion forgery, where the secret is an
// RSA public key's PEM and the header claims RS256 or HS256.
func HMACWithHeader(t testing.TB, header, claims map[string]any, secret []byte) string {
	t.Helper()
	unsigned := Unsigned(t, header, claims, nil)
	signingInput := unsigned[:strings.LastIndexByte(unsigned, '.')]
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Claims returns registered claims valid around now plus Hasura's claims
// in the default namespace.
func Claims(now time.Time, defaultRole string, allowed []string, vars map[string]any) map[string]any {
	hasura := map[string]any{"x-hasura-default-role": defaultRole, "x-hasura-allowed-roles": allowed}
	maps.Copy(hasura, vars)
	return map[string]any{
		"sub": "user-1", "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"https://hasura.io/jwt/claims": hasura,
	}
}

// JWKSServer serves a JWKS on 127.0.0.1 and counts the fetches.
type JWKSServer struct {
	*httptest.Server
	Hits atomic.Int64

	mu      sync.Mutex
	keys    []jwk.Key
	headers http.Header
	status  int
	delay   time.Duration
}

// NewJWKSServer serves the keys' public halves.
func NewJWKSServer(t testing.TB, keys ...*Key) *JWKSServer {
	t.Helper()
	s := &JWKSServer{headers: http.Header{}, status: http.StatusOK}
	s.SetKeys(t, keys...)
	s.Server = newLoopbackServer(t, http.HandlerFunc(s.serve))
	return s
}

func (s *JWKSServer) serve(w http.ResponseWriter, _ *http.Request) {
	s.Hits.Add(1)
	s.mu.Lock()
	set := jwk.NewSet()
	for _, k := range s.keys {
		_ = set.AddKey(k)
	}
	h, status, delay := s.headers.Clone(), s.status, s.delay
	s.mu.Unlock()
	time.Sleep(delay)
	maps.Copy(w.Header(), h)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(set)
}

// SetKeys replaces the published keys.
func (s *JWKSServer) SetKeys(t testing.TB, keys ...*Key) {
	t.Helper()
	var jwks []jwk.Key
	for _, k := range keys {
		jwks = append(jwks, k.JWK(t))
	}
	s.SetJWKs(jwks...)
}

// SetJWKs replaces the published keys with hand-made ones.
func (s *JWKSServer) SetJWKs(keys ...jwk.Key) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

// SetHeader sets a response header (Cache-Control, Expires).
func (s *JWKSServer) SetHeader(name, value string) {
	s.mu.Lock()
	s.headers.Set(name, value)
	s.mu.Unlock()
}

// SetStatus makes the server answer with status (500 to fail).
func (s *JWKSServer) SetStatus(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

func newLoopbackServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &httptest.Server{Listener: lis, Config: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Webhook is an auth webhook on 127.0.0.1 whose answer a test sets.
type Webhook struct {
	*httptest.Server
	Hits atomic.Int64

	mu      sync.Mutex
	handler http.HandlerFunc
	last    *http.Request
	body    []byte
}

// NewWebhook serves h.
func NewWebhook(t testing.TB, h http.HandlerFunc) *Webhook {
	t.Helper()
	w := &Webhook{handler: h}
	w.Server = newLoopbackServer(t, http.HandlerFunc(w.serve))
	return w
}

func (wh *Webhook) serve(w http.ResponseWriter, r *http.Request) {
	wh.Hits.Add(1)
	body := make([]byte, 0, 512)
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	wh.mu.Lock()
	wh.last, wh.body = r, body
	h := wh.handler
	wh.mu.Unlock()
	h(w, r)
}

// Set replaces the handler.
func (wh *Webhook) Set(h http.HandlerFunc) {
	wh.mu.Lock()
	wh.handler = h
	wh.mu.Unlock()
}

// Last returns the last request's headers and body.
func (wh *Webhook) Last() (http.Header, []byte) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if wh.last == nil {
		return nil, nil
	}
	return wh.last.Header.Clone(), wh.body
}

// JSON answers status with v as JSON.
func JSON(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
}

// ES256Key returns an ES256 key with kid "es1".
func ES256Key(t testing.TB) *Key { return EC(t, "ES256", "es1") }
