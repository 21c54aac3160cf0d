package warden

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Defaults of a Client.
const (
	// DefaultTimeout is the deadline of a call whose context has none.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxAttempts is how many times a call that fails with
	// Unavailable is tried in all (New only).
	DefaultMaxAttempts = 4
)

// Metadata keys the client sends.
const (
	// APIKeyHeader carries the caller's API key.
	APIKeyHeader = "x-warden-api-key"
	// AuthorizationHeader carries the end user's token as "Bearer <jwt>".
	AuthorizationHeader = "authorization"
)

// Client calls a Warden server. It is safe for concurrent use; make one
// per server and share it.
type Client struct {
	conn    *grpc.ClientConn // nil when made by NewFromConn
	authz   wardenv1.AuthorizationServiceClient
	apiKey  string
	token   string
	timeout time.Duration
}

// Option configures New and NewFromConn.
type Option func(*config)

type config struct {
	apiKey      string
	token       string
	timeout     time.Duration
	maxAttempts int
	creds       credentials.TransportCredentials
	dialOpts    []grpc.DialOption
}

// WithAPIKey authenticates the caller with an API key on every call.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithBearerToken sends an end user's token on every call whose Principal
// has no Token of its own. Most services serve many users and set
// Principal.Token per call instead.
func WithBearerToken(token string) Option { return func(c *config) { c.token = token } }

// WithTimeout sets the deadline of calls whose context has none; 0 means
// none. The default is DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRetry sets how many times in all a call failing with Unavailable is
// tried (New only; gRPC caps it at 5). 1 disables retries. The default is
// DefaultMaxAttempts.
func WithRetry(maxAttempts int) Option { return func(c *config) { c.maxAttempts = maxAttempts } }

// WithPlaintext connects without TLS (New only), for a server on loopback
// or behind a sidecar that terminates TLS.
func WithPlaintext() Option {
	return func(c *config) { c.creds = insecure.NewCredentials() }
}

// WithTLSConfig connects with TLS configured by cfg (New only), for a
// private CA or a client certificate. The default is TLS with the system's
// roots.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.creds = credentials.NewTLS(cfg) }
}

// WithDialOptions adds gRPC dial options (New only), after the client's
// own, so they win.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOpts = append(c.dialOpts, opts...) }
}

func newConfig(opts []Option) config {
	c := config{timeout: DefaultTimeout, maxAttempts: DefaultMaxAttempts}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// New connects to the Warden server at addr ("host:port", or any gRPC
// target such as "dns:///warden.internal:7400"). The connection is made
// lazily, on the first call; Close releases it.
func New(addr string, opts ...Option) (*Client, error) {
	if addr == "" {
		return nil, errors.New("warden: empty address")
	}
	cfg := newConfig(opts)
	if cfg.maxAttempts < 1 || cfg.maxAttempts > 5 {
		return nil, fmt.Errorf("warden: WithRetry(%d): want 1 to 5 attempts", cfg.maxAttempts)
	}
	creds := cfg.creds
	if creds == nil {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	dial := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(serviceConfig(cfg.maxAttempts)),
		// Fixed flow-control windows, as Warden's server sets them: no
		// BDP PING frames with each response (grpc-go's default).
		grpc.WithInitialWindowSize(1 << 20),
		grpc.WithInitialConnWindowSize(4 << 20),
	}, cfg.dialOpts...)
	conn, err := grpc.NewClient(addr, dial...)
	if err != nil {
		return nil, fmt.Errorf("warden: %w", err)
	}
	c := fromConn(conn, cfg)
	c.conn = conn
	return c, nil
}

// NewFromConn makes a client on a connection the caller owns and closes;
// the transport, retry and dial options do not apply to it.
func NewFromConn(conn grpc.ClientConnInterface, opts ...Option) *Client {
	return fromConn(conn, newConfig(opts))
}

func fromConn(conn grpc.ClientConnInterface, cfg config) *Client {
	return &Client{
		authz:   wardenv1.NewAuthorizationServiceClient(conn),
		apiKey:  cfg.apiKey,
		token:   cfg.token,
		timeout: cfg.timeout,
	}
}

// Close closes the connection New made; for a client made by NewFromConn
// it does nothing.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// API returns the generated gRPC client, for what this package does not
// wrap. Calls through it get no credentials, deadline or error conversion
// from this client.
func (c *Client) API() wardenv1.AuthorizationServiceClient { return c.authz }

// serviceConfig retries Unavailable with exponential backoff: 0.1s, 0.2s,
// 0.4s, with jitter, capped at 1s.
func serviceConfig(maxAttempts int) string {
	if maxAttempts <= 1 {
		return `{}`
	}
	return fmt.Sprintf(`{"methodConfig": [{
  "name": [{"service": "warden.v1.AuthorizationService"}, {"service": "warden.v1.AdminService"}],
  "retryPolicy": {
    "maxAttempts": %d,
    "initialBackoff": "0.1s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"]
  }
}]}`, maxAttempts)
}

// outgoing returns the context of one call: the client's deadline when ctx
// has none, the API key, and the end user's token.
func (c *Client) outgoing(ctx context.Context, p Principal) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok && c.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	var kv []string
	if c.apiKey != "" {
		kv = append(kv, APIKeyHeader, c.apiKey)
	}
	token := p.Token
	if token == "" {
		token = c.token
	}
	if token != "" {
		kv = append(kv, AuthorizationHeader, "Bearer "+strings.TrimPrefix(token, "Bearer "))
	}
	if len(kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	return ctx, cancel
}
