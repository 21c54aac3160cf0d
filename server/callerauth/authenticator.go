package callerauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// APIKeyMetadata is the gRPC metadata key (and HTTP header) that carries a
// caller's API key, as the bare key: "x-warden-api-key: wdn_...". The
// "authorization" metadata is left to the end user's token, as in Hasura.
const APIKeyMetadata = "x-warden-api-key"

// Authenticator authenticates callers by API key or client certificate and
// authorizes them per gRPC method. Its identities can be replaced while it
// serves (Replace); it takes no lock per request.
type Authenticator struct {
	ids     atomic.Pointer[identities]
	methods MethodTable
}

// identities is one immutable configuration of callers.
type identities struct {
	keys  []keyIdentity
	certs map[string]*Caller // CertificateMatch.String() -> caller
}

type keyIdentity struct {
	sum    [sha256.Size]byte
	caller *Caller
}

// NewAuthenticator builds an authenticator for the entries.
func NewAuthenticator(entries []Entry) (*Authenticator, error) {
	a := &Authenticator{methods: DefaultMethods()}
	if err := a.Replace(entries); err != nil {
		return nil, err
	}
	return a, nil
}

// Replace swaps in new entries atomically; calls in flight finish with the
// caller they authenticated as. Invalid entries leave the old ones in place.
func (a *Authenticator) Replace(entries []Entry) error {
	if err := ValidateEntries(entries); err != nil {
		return err
	}
	ids := &identities{certs: map[string]*Caller{}}
	for _, e := range entries {
		c := &Caller{ID: e.ID, Level: e.Level, Grants: append([]Grant(nil), e.Grants...)}
		if e.Hash != "" {
			raw, _ := hex.DecodeString(strings.TrimPrefix(strings.ToLower(e.Hash), hashPrefix))
			k := keyIdentity{caller: withVia(c, ViaAPIKey)}
			copy(k.sum[:], raw)
			ids.keys = append(ids.keys, k)
		}
		if e.Certificate != nil {
			ids.certs[e.Certificate.String()] = withVia(c, ViaCertificate)
		}
	}
	a.ids.Store(ids)
	return nil
}

func withVia(c *Caller, v Via) *Caller {
	cc := *c
	cc.Via = v
	return &cc
}

// AuthenticateKey returns the caller whose key this is. Every configured
// hash is compared, in constant time, whatever matches.
func (a *Authenticator) AuthenticateKey(key string) (*Caller, error) {
	if key == "" || len(key) > MaxKeyBytes {
		return nil, errInvalidCredentials("invalid API key")
	}
	sum := sha256.Sum256([]byte(key))
	var found *Caller
	for _, k := range a.ids.Load().keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			found = k.caller
		}
	}
	if found == nil {
		return nil, errInvalidCredentials("invalid API key")
	}
	return found, nil
}

// AuthenticateCertificate returns the caller a verified client certificate
// maps to, by URI SAN, DNS SAN or subject CN. A certificate that maps to
// several callers is refused rather than guessed at.
func (a *Authenticator) AuthenticateCertificate(cert *x509.Certificate) (*Caller, error) {
	certs := a.ids.Load().certs
	var found *Caller
	match := func(m CertificateMatch) bool {
		c, ok := certs[m.String()]
		if !ok {
			return true
		}
		if found != nil && found != c {
			return false
		}
		found = c
		return true
	}
	ok := true
	for _, u := range cert.URIs {
		ok = ok && match(CertificateMatch{URI: u.String()})
	}
	for _, d := range cert.DNSNames {
		ok = ok && match(CertificateMatch{DNS: d})
	}
	if cert.Subject.CommonName != "" {
		ok = ok && match(CertificateMatch{CN: cert.Subject.CommonName})
	}
	switch {
	case !ok:
		return nil, errInvalidCredentials("the client certificate matches several callers")
	case found == nil:
		return nil, errInvalidCredentials("the client certificate is not mapped to a caller")
	}
	return found, nil
}

// Authenticate finds the caller of a gRPC call: the API key in the
// x-warden-api-key metadata if one is sent (a wrong key fails even when a
// good certificate is presented), else the verified client certificate.
func (a *Authenticator) Authenticate(ctx context.Context) (*Caller, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return a.authenticate(md.Get(APIKeyMetadata), verifiedLeaf(ctx))
}

func (a *Authenticator) authenticate(keys []string, cert *x509.Certificate) (*Caller, error) {
	switch {
	case len(keys) > 1:
		return nil, errInvalidCredentials("send one API key, not several")
	case len(keys) == 1:
		return a.AuthenticateKey(keys[0])
	case cert != nil:
		return a.AuthenticateCertificate(cert)
	}
	return nil, errMissingCredentials()
}

// verifiedLeaf returns the client certificate of the call's connection if
// the TLS handshake verified it against the client CA, else nil.
func verifiedLeaf(ctx context.Context) *x509.Certificate {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return nil
	}
	return info.State.VerifiedChains[0][0]
}

// Authorize checks the caller against the method's requirement.
func (a *Authenticator) Authorize(c *Caller, fullMethod string) error {
	req := a.methods.Lookup(fullMethod)
	if req.allows(c) {
		return nil
	}
	if c == nil {
		return errMissingCredentials()
	}
	return errNotPermitted(c, fullMethod, req)
}

// AuthFunc authenticates and authorizes the call in ctx and returns ctx
// carrying the Caller (FromContext). It suits go-grpc-middleware's auth
// interceptors; UnaryServerInterceptor and StreamServerInterceptor wrap it.
func (a *Authenticator) AuthFunc(ctx context.Context) (context.Context, error) {
	if c, ok := FromContext(ctx); ok && tapped(ctx) {
		// Authenticated and authorized by TapHandle, before decoding.
		logging.AddFields(ctx, logging.Fields{"warden.caller", c.ID})
		return ctx, nil
	}
	method, _ := grpc.Method(ctx)
	c, err := a.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Authorize(c, method); err != nil {
		return nil, err
	}
	logging.AddFields(ctx, logging.Fields{"warden.caller", c.ID})
	return NewContext(ctx, c), nil
}

// requiresCaller selects the calls that need a caller: all but the open
// methods (grpc.health.v1).
func (a *Authenticator) requiresCaller(_ context.Context, cm interceptors.CallMeta) bool {
	return a.methods.Lookup(cm.FullMethod()).kind != reqOpen
}

// UnaryServerInterceptor authenticates and authorizes every unary call
// except the open methods.
func (a *Authenticator) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return selector.UnaryServerInterceptor(auth.UnaryServerInterceptor(a.AuthFunc), selector.MatchFunc(a.requiresCaller))
}

// StreamServerInterceptor authenticates and authorizes every streaming
// call (server reflection among them) except the open methods.
func (a *Authenticator) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return selector.StreamServerInterceptor(auth.StreamServerInterceptor(a.AuthFunc), selector.MatchFunc(a.requiresCaller))
}

// HTTPMiddleware protects an HTTP handler (the /metrics endpoint) with the
// same callers: the X-Warden-Api-Key header or a verified client
// certificate, and the grant. It answers 401 or 403 with a short text.
func (a *Authenticator) HTTPMiddleware(g Grant, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cert *x509.Certificate
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			cert = r.TLS.VerifiedChains[0][0]
		}
		c, err := a.authenticate(r.Header.Values(APIKeyMetadata), cert)
		if err != nil {
			msg := "unauthenticated"
			if e, ok := err.(*Error); ok {
				msg = e.Message
			}
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		if !c.Can(g) {
			http.Error(w, fmt.Sprintf("caller %s lacks the %s grant", c.ID, g), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}
