package session

import (
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/wardenpdp/warden/server/tracing"

	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// Limits on stated session variables (the server's request validation
// checks the same; Resolve does not rely on it).
const (
	MaxStatedVariables = 64
	MaxValueBytes      = 4096
	maxRoleBytes       = 256
)

// AdminRole is Hasura's built-in role that bypasses every rule.
const AdminRole = "admin"

// Request is what Resolve needs to know about one call.
type Request struct {
	// Caller is the authenticated caller. Required: nil is Unauthenticated.
	Caller *callerauth.Caller
	// Role is the requested role (principal.role); empty means the
	// token's default role. A stated x-hasura-role variable counts too.
	Role string
	// Variables are the session variables the caller states
	// (principal.session_variables).
	Variables map[string]string
	// BackendOnly asks for backend_only permissions.
	BackendOnly bool
	// Headers are the call's metadata, names lower-case: the end-user
	// token is read from them, and the webhook is sent them. When nil,
	// they are read from incoming, and copied only when a JWT or a
	// webhook is configured.
	Headers map[string][]string

	incoming context.Context
}

// headers are the call's metadata, all of them.
func (req Request) headers() map[string][]string {
	if req.Headers != nil || req.incoming == nil {
		return req.Headers
	}
	md, _ := metadata.FromIncomingContext(req.incoming)
	return md
}

// header is one of the call's headers, without a copy of the others.
func (req Request) header(name string) []string {
	if req.Headers != nil || req.incoming == nil {
		return req.Headers[name]
	}
	return metadata.ValueFromIncomingContext(req.incoming, name)
}

// RequestFromContext builds the Request of a gRPC call: the caller put in
// ctx by the callerauth interceptor, the principal, and the incoming
// metadata.
func RequestFromContext(ctx context.Context, p *wardenv1.Principal) Request {
	c, _ := callerauth.FromContext(ctx)
	return Request{Caller: c, Role: p.GetRole(), Variables: p.GetSessionVariables(),
		BackendOnly: p.GetUseBackendOnlyPermissions(), incoming: ctx}
}

// Option configures NewResolver.
type Option func(*options)

type options struct {
	log              *slog.Logger
	now              func() time.Time
	httpClient       *http.Client
	jwksMinInterval  time.Duration
	jwksDefaultTTL   time.Duration
	jwksMaxTTL       time.Duration
	jwksFetchTimeout time.Duration
	observe          func(call string, took time.Duration, err error)
}

// WithObserver is told how long each call to the outside took: "webhook"
// (one authentication webhook request) and "jwks" (one JWKS fetch), with
// its error. For metrics; it must not block.
func WithObserver(f func(call string, took time.Duration, err error)) Option {
	return func(o *options) { o.observe = f }
}

// WithLogger sets the logger (JWKS refresh failures, configuration
// warnings); the default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock for token times and cache freshness, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Resolver turns a request into the session the policy engine decides
// for, as Hasura would, and refuses what Hasura would refuse. It is safe
// for concurrent use.
type Resolver struct {
	jwt              *jwtVerifier
	hook             *webhook
	unauthorizedRole string
}

// NewResolver builds a resolver; cfg must validate.
func NewResolver(cfg Config, opts ...Option) (*Resolver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now,
		observe:         func(string, time.Duration, error) {},
		httpClient:      &http.Client{Transport: http.DefaultTransport},
		jwksMinInterval: cfg.JWKSMinRefreshInterval, jwksDefaultTTL: cfg.JWKSDefaultTTL,
		jwksMaxTTL: jwksMaxTTL, jwksFetchTimeout: cfg.JWKSFetchTimeout}
	for _, opt := range opts {
		opt(o)
	}
	r := &Resolver{unauthorizedRole: cfg.UnauthorizedRole}
	switch cfg.Mode() {
	case "jwt":
		jc, err := ParseJWTConfig([]byte(cfg.JWTSecret))
		if err != nil {
			return nil, err
		}
		jc.RequireExp = cfg.JWTRequireExp
		if r.jwt, err = newJWTVerifier(jc, o); err != nil {
			return nil, err
		}
	case "webhook":
		var err error
		if r.hook, err = newWebhook(cfg, o); err != nil {
			return nil, err
		}
		if u, _ := url.Parse(cfg.AuthHook); u.Scheme == "http" && !isLoopback(u.Hostname()) {
			o.log.Warn("the auth webhook is plain http: its shared secret and the end users' tokens cross the network in the clear",
				slog.String("auth_hook", u.Redacted()))
		}
	}
	return r, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Prefetch fetches the JWKS now, in JWT mode with a jwk_url, so the first
// request does not wait for it. It fails when no keys could be had.
func (r *Resolver) Prefetch(ctx context.Context) error {
	if r.jwt == nil || r.jwt.jwks == nil {
		return nil
	}
	if st := r.jwt.jwks.refresh(ctx, r.jwt.jwks.state.Load()); st == nil {
		return fmt.Errorf("no signing keys from %s", r.jwt.cfg.JWKURL)
	}
	return nil
}

// Resolve returns the session of a request, or an *Error:
//
//   - A caller below admin level may not ask for backend_only permissions
//     (PermissionDenied BACKEND_ONLY_NOT_ALLOWED), and may state x-hasura-*
//     variables only with the trusted-session grant (PermissionDenied
//     SESSION_VARIABLES_NOT_ALLOWED).
//   - With an end-user token, the session comes from the token alone (JWT
//     or webhook); stating variables as well is InvalidArgument.
//   - Without a token, a trusted-session caller's stated role and variables
//     are the session; only an admin-level caller may state role admin.
//   - Otherwise the unauthorized role, if configured, with no variables;
//     a different requested role is PermissionDenied. Else Unauthenticated
//     MISSING_TOKEN.
//
// A missing role never means admin. Variable names come out lower-case,
// with x-hasura-role set to the role.
func (r *Resolver) Resolve(ctx context.Context, req Request) (engine.Session, error) {
	c := req.Caller
	if c == nil {
		return engine.Session{}, unauthenticated(ReasonMissingCallerCredentials, "caller credentials required", nil)
	}
	role, stated, err := statedSession(req)
	if err != nil {
		return engine.Session{}, err
	}
	if req.BackendOnly && !c.IsAdmin() {
		return engine.Session{}, newError(codes.PermissionDenied, ReasonBackendOnlyNotAllowed,
			"only admin-level callers may use backend_only permissions", nil, "caller", c.ID)
	}
	if len(stated) > 0 && !c.Can(callerauth.GrantTrustedSession) {
		return engine.Session{}, newError(codes.PermissionDenied, ReasonSessionVariablesNotAllowed,
			"caller "+c.ID+" may not state session variables: it needs the trusted-session grant, or must forward the end user's token",
			nil, "caller", c.ID)
	}
	var headers map[string][]string
	if r.jwt != nil || r.hook != nil {
		headers = req.headers()
	}
	token, present, err := r.token(req, headers)
	if err != nil {
		return engine.Session{}, err
	}
	if present {
		if len(stated) > 0 {
			return engine.Session{}, newError(codes.InvalidArgument, ReasonAmbiguousSession,
				"send an end-user token or state session variables, not both", nil)
		}
		s, err := r.fromToken(ctx, token, headers, role)
		if err != nil {
			return engine.Session{}, err
		}
		s.BackendOnly = req.BackendOnly
		return s, nil
	}
	if c.Can(callerauth.GrantTrustedSession) && (role != "" || len(stated) > 0) {
		if role == "" {
			return engine.Session{}, newError(codes.InvalidArgument, ReasonRoleRequired,
				"a stated session needs a role: set principal.role", nil)
		}
		if role == AdminRole && !c.IsAdmin() {
			return engine.Session{}, newError(codes.PermissionDenied, ReasonAdminRoleNotAllowed,
				"only admin-level callers may state the admin role", nil, "caller", c.ID)
		}
		return ownSession(role, stated, req.BackendOnly), nil
	}
	if r.unauthorizedRole == "" {
		return engine.Session{}, unauthenticated(ReasonMissingToken, "an end-user token is required", nil)
	}
	if role != "" && role != r.unauthorizedRole {
		return engine.Session{}, roleNotAllowed(role, "without an end-user token only the unauthorized role may be used")
	}
	return newSession(r.unauthorizedRole, nil, req.BackendOnly), nil
}

// statedSession checks the stated variables and returns the requested role
// and the variables other than x-hasura-role, lower-cased.
func statedSession(req Request) (string, map[string]string, error) {
	// The names in map order first: a valid session (nearly every call)
	// is checked without sorting them. A request with a violation is
	// checked again in name order, so that its messages do not vary.
	role, stated, violations := checkStated(req, false)
	if len(violations) > 0 {
		role, stated, violations = checkStated(req, true)
	}
	if len(violations) > 0 {
		e := newError(codes.InvalidArgument, ReasonInvalidSessionVariables,
			"invalid principal: "+violations[0].GetField()+": "+violations[0].GetDescription(), nil)
		e.Details = append(e.Details, &errdetails.BadRequest{FieldViolations: violations})
		return "", nil, e
	}
	return role, stated, nil
}

// checkStated is statedSession's check of the names, in name order when
// sorted is set, else in map order.
func checkStated(req Request, sorted bool) (string, map[string]string, []*errdetails.BadRequest_FieldViolation) {
	c := statedCheck{role: req.Role, stated: make(map[string]string, len(req.Variables)+1)}
	if len(req.Variables) > MaxStatedVariables {
		c.violations = append(c.violations, &errdetails.BadRequest_FieldViolation{Field: "principal.session_variables",
			Description: fmt.Sprintf("%d variables; at most %d", len(req.Variables), MaxStatedVariables)})
	}
	if sorted {
		for _, name := range slices.Sorted(maps.Keys(req.Variables)) {
			c.add(name, req.Variables[name])
		}
	} else {
		for name, v := range req.Variables {
			c.add(name, v)
		}
	}
	if len(c.role) > maxRoleBytes {
		c.violations = append(c.violations, &errdetails.BadRequest_FieldViolation{Field: "principal.role",
			Description: fmt.Sprintf("%d bytes; at most %d", len(c.role), maxRoleBytes)})
	}
	return c.role, c.stated, c.violations
}

// statedCheck is checkStated's state. The map it builds has room for
// x-hasura-role (ownSession).
type statedCheck struct {
	role       string
	stated     map[string]string
	violations []*errdetails.BadRequest_FieldViolation
}

func (c *statedCheck) bad(name, desc string) {
	c.violations = append(c.violations, &errdetails.BadRequest_FieldViolation{
		Field: fmt.Sprintf("principal.session_variables[%q]", name), Description: desc})
}

func (c *statedCheck) add(name, v string) {
	lower := strings.ToLower(name)
	switch {
	case !isSessionVariable(name):
		c.bad(name, "session variable names must start with "+SessionPrefix)
	case len(v) > MaxValueBytes:
		c.bad(name, fmt.Sprintf("value is %d bytes; at most %d", len(v), MaxValueBytes))
	case lower == RoleVariable:
		if c.role != "" && c.role != v {
			c.bad(name, fmt.Sprintf("%q differs from principal.role %q", v, c.role))
		}
		c.role = v
	default:
		if _, dup := c.stated[lower]; dup {
			c.bad(name, "given twice: names are case-insensitive")
		}
		c.stated[lower] = v
	}
}

// token finds the end-user token: in JWT mode where the configuration
// says; in webhook mode an authorization or cookie header counts as one.
// headers are req's when a JWT or a webhook is configured; without them
// only the authorization header is read.
func (r *Resolver) token(req Request, headers map[string][]string) (string, bool, error) {
	switch {
	case r.jwt != nil:
		return r.jwt.token(headers)
	case r.hook != nil:
		return "", len(headers["authorization"]) > 0 || len(headers["cookie"]) > 0, nil
	}
	if len(req.header("authorization")) > 0 {
		return "", false, unauthenticated(ReasonEndUserAuthNotConfigured,
			"an end-user token was sent but this Warden verifies none (no JWT or webhook configured)", nil)
	}
	return "", false, nil
}

func (r *Resolver) fromToken(ctx context.Context, token string, headers map[string][]string, role string) (engine.Session, error) {
	if r.hook != nil {
		hctx, span := tracing.Start(ctx, "warden.session.webhook")
		a, err := r.hook.resolve(hctx, headers, role)
		endSpan(span, err)
		if err != nil {
			return engine.Session{}, err
		}
		if role != "" && role != a.role {
			return engine.Session{}, roleNotAllowed(role, "the authentication webhook did not grant the requested role")
		}
		return newSession(a.role, a.vars, false), nil
	}
	vctx, span := tracing.Start(ctx, "warden.session.jwt_verify")
	claims, err := r.jwt.verify(vctx, token)
	endSpan(span, err)
	if err != nil {
		return engine.Session{}, err
	}
	hc, err := r.jwt.hasura(claims)
	if err != nil {
		return engine.Session{}, err
	}
	if role == "" {
		role = hc.defaultRole
	}
	if !slices.Contains(hc.allowedRoles, role) {
		return engine.Session{}, roleNotAllowed(role, "the requested role is not in the token's allowed roles")
	}
	return newSession(role, hc.vars, false), nil
}

// newSession copies vars and sets x-hasura-role.
// ownSession is newSession for variables no one else holds: x-hasura-role
// is set in vars itself.
func ownSession(role string, vars map[string]string, backendOnly bool) engine.Session {
	vars[RoleVariable] = role
	return engine.Session{Role: role, Vars: vars, BackendOnly: backendOnly}
}

func newSession(role string, vars map[string]string, backendOnly bool) engine.Session {
	out := make(map[string]string, len(vars)+1)
	maps.Copy(out, vars)
	out[RoleVariable] = role
	return engine.Session{Role: role, Vars: out, BackendOnly: backendOnly}
}

// endSpan ends a span, marked as failed when err is set (its message only:
// session errors carry no token or claim values).
func endSpan(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(otelcodes.Error, err.Error())
	}
	span.End()
}
