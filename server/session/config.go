package session

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Defaults for Config.
const (
	DefaultAuthHookMode           = "GET"
	DefaultAuthHookSecretHeader   = "X-Warden-Auth-Hook-Secret"
	DefaultAuthHookTimeout        = 3 * time.Second
	DefaultAuthHookCacheSize      = 10000
	DefaultAuthHookMaxCacheTTL    = 10 * time.Minute
	DefaultJWKSMinRefreshInterval = 30 * time.Second
	DefaultJWKSDefaultTTL         = time.Hour
	DefaultJWKSFetchTimeout       = 5 * time.Second
	// jwksMaxTTL caps any freshness a JWKS response claims.
	jwksMaxTTL = 24 * time.Hour
)

// Config is how end-user sessions are resolved, in Hasura's terms. Every
// field is a flag (RegisterFlags); its environment variable is WARDEN_
// plus the flag name in upper snake case (--jwt-secret is
// WARDEN_JWT_SECRET, as HASURA_GRAPHQL_JWT_SECRET is Hasura's).
type Config struct {
	// JWTSecret is Hasura's JWT configuration JSON (--jwt-secret). A
	// secret: never printed.
	JWTSecret string
	// AuthHook is the auth webhook URL (--auth-hook). JWTSecret and
	// AuthHook exclude each other, as in Hasura.
	AuthHook string
	// AuthHookMode is GET or POST (--auth-hook-mode).
	AuthHookMode string
	// AuthHookSecret is sent to the webhook in AuthHookSecretHeader on
	// every call, so the webhook can refuse anyone but Warden
	// (--auth-hook-secret). Required with AuthHook. A secret.
	AuthHookSecret string
	// AuthHookSecretHeader names that header (--auth-hook-secret-header).
	AuthHookSecretHeader string
	// AuthHookTimeout bounds one webhook call (--auth-hook-timeout).
	AuthHookTimeout time.Duration
	// AuthHookCacheSize is the most webhook answers kept
	// (--auth-hook-cache-size).
	AuthHookCacheSize int
	// AuthHookMaxCacheTTL caps how long an answer is reused, whatever its
	// Cache-Control says (--auth-hook-max-cache-ttl).
	AuthHookMaxCacheTTL time.Duration
	// UnauthorizedRole is the role of requests without a token
	// (--unauthorized-role); empty means they are Unauthenticated.
	UnauthorizedRole string
	// JWKSMinRefreshInterval spaces JWKS fetches
	// (--jwks-min-refresh-interval).
	JWKSMinRefreshInterval time.Duration
	// JWKSDefaultTTL is how long keys are kept when the JWKS response has
	// no Cache-Control max-age or Expires (--jwks-default-ttl).
	JWKSDefaultTTL time.Duration
	// JWKSFetchTimeout bounds one JWKS fetch (--jwks-fetch-timeout).
	JWKSFetchTimeout time.Duration
	// JWTRequireExp refuses tokens without an exp claim
	// (--jwt-require-exp); by default, as in Hasura, such a token never
	// expires.
	JWTRequireExp bool
}

// DefaultConfig returns the defaults: no end-user authentication (only
// trusted sessions), webhook and JWKS settings ready for when one is set.
func DefaultConfig() Config {
	return Config{
		AuthHookMode:           DefaultAuthHookMode,
		AuthHookSecretHeader:   DefaultAuthHookSecretHeader,
		AuthHookTimeout:        DefaultAuthHookTimeout,
		AuthHookCacheSize:      DefaultAuthHookCacheSize,
		AuthHookMaxCacheTTL:    DefaultAuthHookMaxCacheTTL,
		JWKSMinRefreshInterval: DefaultJWKSMinRefreshInterval,
		JWKSDefaultTTL:         DefaultJWKSDefaultTTL,
		JWKSFetchTimeout:       DefaultJWKSFetchTimeout,
	}
}

// RegisterFlags binds the fields of c to flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.JWTSecret, "jwt-secret", c.JWTSecret, "Hasura JWT configuration `JSON` ({\"type\",\"key\"} or {\"jwk_url\"}, claims_namespace, audience, issuer, ...)")
	fs.BoolVar(&c.JWTRequireExp, "jwt-require-exp", c.JWTRequireExp, "refuse end-user tokens without an exp claim (by default, as in Hasura, such a token never expires)")
	fs.StringVar(&c.AuthHook, "auth-hook", c.AuthHook, "auth webhook `URL` (Hasura webhook mode); excludes --jwt-secret")
	fs.StringVar(&c.AuthHookMode, "auth-hook-mode", c.AuthHookMode, "auth webhook `method`: GET or POST")
	fs.StringVar(&c.AuthHookSecret, "auth-hook-secret", c.AuthHookSecret, "shared `secret` sent to the auth webhook on every call; required with --auth-hook")
	fs.StringVar(&c.AuthHookSecretHeader, "auth-hook-secret-header", c.AuthHookSecretHeader, "`header` that carries --auth-hook-secret")
	fs.DurationVar(&c.AuthHookTimeout, "auth-hook-timeout", c.AuthHookTimeout, "deadline of one auth webhook call; past it the request fails with UNAVAILABLE")
	fs.IntVar(&c.AuthHookCacheSize, "auth-hook-cache-size", c.AuthHookCacheSize, "most auth webhook answers cached (per Cache-Control/Expires)")
	fs.DurationVar(&c.AuthHookMaxCacheTTL, "auth-hook-max-cache-ttl", c.AuthHookMaxCacheTTL, "longest an auth webhook answer is reused")
	fs.StringVar(&c.UnauthorizedRole, "unauthorized-role", c.UnauthorizedRole, "`role` for requests without an end-user token; empty means UNAUTHENTICATED")
	fs.DurationVar(&c.JWKSMinRefreshInterval, "jwks-min-refresh-interval", c.JWKSMinRefreshInterval, "least time between two fetches of jwk_url (unknown kid, expiry, failure)")
	fs.DurationVar(&c.JWKSDefaultTTL, "jwks-default-ttl", c.JWKSDefaultTTL, "how long JWKS keys are kept when the response has no Cache-Control or Expires")
	fs.DurationVar(&c.JWKSFetchTimeout, "jwks-fetch-timeout", c.JWKSFetchTimeout, "deadline of one fetch of jwk_url")
}

// Validate reports every invalid field at once, the JWT configuration
// included.
func (c Config) Validate() error {
	var errs []error
	if c.JWTSecret != "" && c.AuthHook != "" {
		errs = append(errs, errors.New("--jwt-secret and --auth-hook exclude each other"))
	}
	if c.JWTSecret != "" {
		if _, err := ParseJWTConfig([]byte(c.JWTSecret)); err != nil {
			errs = append(errs, fmt.Errorf("--jwt-secret: %w", err))
		}
	}
	if c.AuthHook != "" {
		if u, err := url.Parse(c.AuthHook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("--auth-hook: want an http(s) URL"))
		}
		if c.AuthHookSecret == "" {
			errs = append(errs, errors.New("--auth-hook-secret is required with --auth-hook, so the webhook can tell Warden's calls from anyone else's"))
		}
		if m := strings.ToUpper(c.AuthHookMode); m != "GET" && m != "POST" {
			errs = append(errs, fmt.Errorf("--auth-hook-mode %q: want GET or POST", c.AuthHookMode))
		}
		if c.AuthHookSecretHeader == "" || !validHeaderName(c.AuthHookSecretHeader) {
			errs = append(errs, fmt.Errorf("--auth-hook-secret-header %q: want a header name", c.AuthHookSecretHeader))
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"auth-hook-timeout", c.AuthHookTimeout}, {"jwks-min-refresh-interval", c.JWKSMinRefreshInterval},
		{"jwks-default-ttl", c.JWKSDefaultTTL}, {"jwks-fetch-timeout", c.JWKSFetchTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("--%s %s: want a positive duration", d.flag, d.v))
		}
	}
	if c.AuthHookMaxCacheTTL < 0 {
		errs = append(errs, fmt.Errorf("--auth-hook-max-cache-ttl %s: want 0 (no caching) or more", c.AuthHookMaxCacheTTL))
	}
	if c.AuthHookCacheSize < 1 {
		errs = append(errs, fmt.Errorf("--auth-hook-cache-size %d: want at least 1", c.AuthHookCacheSize))
	}
	if strings.EqualFold(c.UnauthorizedRole, "admin") {
		errs = append(errs, errors.New("--unauthorized-role must not be admin"))
	}
	return errors.Join(errs...)
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// Mode names the end-user authentication mode: "jwt", "webhook" or "none".
func (c Config) Mode() string {
	switch {
	case c.JWTSecret != "":
		return "jwt"
	case c.AuthHook != "":
		return "webhook"
	}
	return "none"
}

// LogValue prints the configuration with its secrets left out: of the JWT
// configuration only the type and the JWKS URL, of the webhook URL no
// user information.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("mode", c.Mode()), slog.String("unauthorized_role", c.UnauthorizedRole)}
	if cfg, err := ParseJWTConfig([]byte(c.JWTSecret)); err == nil {
		attrs = append(attrs, slog.String("jwt_type", cfg.Type), slog.String("jwk_url", cfg.JWKURL),
			slog.String("jwt_issuer", cfg.Issuer), slog.Any("jwt_audience", cfg.Audience))
	}
	if c.AuthHook != "" {
		hook := "(invalid URL)"
		if u, err := url.Parse(c.AuthHook); err == nil {
			hook = u.Redacted()
		}
		attrs = append(attrs, slog.String("auth_hook", hook), slog.String("auth_hook_mode", c.AuthHookMode),
			slog.Bool("auth_hook_secret_set", c.AuthHookSecret != ""), slog.String("auth_hook_secret_header", c.AuthHookSecretHeader),
			slog.String("auth_hook_timeout", c.AuthHookTimeout.String()))
	}
	return slog.GroupValue(attrs...)
}
