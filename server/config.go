package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server/bundlesource"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/consoledb"
	"github.com/wardenpdp/warden/server/reload"
	"github.com/wardenpdp/warden/server/session"
)

// Defaults for Config.
const (
	DefaultGRPCAddr = "127.0.0.1:7400"
	DefaultHTTPAddr = "127.0.0.1:7401"
	DefaultMaxRows  = 1000
	// DefaultStreamWorkers: enough for the concurrency a PDP sees from a
	// few clients; each idle worker costs its stack (tens of KiB).
	DefaultStreamWorkers = 128
	maxStreamWorkers     = 1 << 16
	// DefaultGCHeadroomMiB: collections become rare for a policy set of
	// tens of MiB, for at most this much more memory than Go's default.
	DefaultGCHeadroomMiB   = 256
	maxGCHeadroomMiB       = 1 << 20
	DefaultMaxRecvMsgSize  = 4 << 20
	DefaultShutdownTimeout = 10 * time.Second
	// Listener limits (gRPC): a caller cannot hold more than this.
	DefaultMaxConcurrentStreams = 256
	DefaultMaxConnections       = 4096
	DefaultMaxConnectionIdle    = 5 * time.Minute
	DefaultKeepaliveMinTime     = 10 * time.Second
	DefaultCORSMaxAge           = 10 * time.Minute
	// DefaultMessageRecvTimeout: a request of --max-recv-msg-size (4 MiB)
	// arrives within it at 400 KB/s.
	DefaultMessageRecvTimeout = 10 * time.Second
	// DefaultConsoleQueryTimeout bounds one QueryDatabase call's time in
	// the database.
	DefaultConsoleQueryTimeout = 5 * time.Second
	maxConsoleQueryTimeout     = 5 * time.Minute
)

// EnvPrefix starts the environment variable of every flag: --grpc-addr is
// WARDEN_GRPC_ADDR.
const EnvPrefix = "WARDEN_"

// Config is the whole configuration of a serving Warden. Every field is a
// flag with an environment variable derived from its name (EnvName).
type Config struct {
	// GRPCAddr is the gRPC listen address (--grpc-addr).
	GRPCAddr string
	// HTTPAddr is the listen address of the metrics HTTP server (--http-addr).
	HTTPAddr string
	// Policy is the policy directory; empty means the embedded example
	// (--policy).
	Policy string
	// Schema is a schema file overriding schema.yaml in the policy
	// directory (--schema).
	Schema string
	// LogFormat is "json" or "text" (--log-format).
	LogFormat string
	// LogLevel is "debug", "info", "warn" or "error" (--log-level).
	LogLevel string
	// MaxRows is the most rows one Check may carry (--max-rows).
	MaxRows int
	// MaxRecvMsgSize is the largest request in bytes (--max-recv-msg-size).
	MaxRecvMsgSize int
	// MaxRequestValues, MaxListElements and MaxValueDepth cap what
	// decoding one request may build (--max-request-values,
	// --max-list-elements, --max-value-depth; see RequestCaps).
	MaxRequestValues int
	MaxListElements  int
	MaxValueDepth    int
	// MessageRecvTimeout bounds the time from a call's headers to its
	// whole first message (--message-recv-timeout): a caller that opens a
	// call and sends its message slowly or never is cut off with
	// DEADLINE_EXCEEDED.
	MessageRecvTimeout time.Duration
	// StreamWorkers is the number of long-lived goroutines that serve
	// gRPC calls (--stream-workers); 0 starts a goroutine per call. A
	// decision recurses deeply in OPA's evaluator, so a fresh goroutine
	// grows its stack on nearly every call; a worker keeps its stack. Calls
	// beyond the busy workers still get a goroutine each.
	StreamWorkers int
	// GCHeadroomMiB is the room, in MiB, above the live heap once the
	// policy set is loaded, that the soft memory limit and the garbage
	// collector leave (--gc-headroom-mib; see TuneMemory); 0 keeps Go's
	// GOGC and sets no limit but 90% of a cgroup's; GOMEMLIMIT and GOGC in
	// the environment win.
	GCHeadroomMiB int
	// ShutdownTimeout bounds the graceful shutdown (--shutdown-timeout).
	ShutdownTimeout time.Duration
	// MaxConcurrentStreams bounds the calls in flight on one gRPC
	// connection (--max-concurrent-streams); more wait at the client.
	MaxConcurrentStreams int
	// MaxConnections bounds the open gRPC connections
	// (--max-connections); more wait to be accepted. 0: no bound.
	MaxConnections int
	// MaxConnectionIdle closes a gRPC connection with no call in flight
	// for this long (--max-connection-idle); 0: never.
	MaxConnectionIdle time.Duration
	// MaxConnectionAge closes any gRPC connection after this long, calls
	// in flight given MaxConnectionAge/10 to finish (--max-connection-age);
	// 0: never. It spreads a fleet's clients anew after a deploy.
	MaxConnectionAge time.Duration
	// KeepaliveMinTime is the least time between a client's keepalive
	// pings; a client pinging more often, or without calls in flight, is
	// disconnected (--keepalive-min-time).
	KeepaliveMinTime time.Duration
	// MaxRuleDepth bounds the nesting of one boolean expression in the
	// policy set, at load (--max-rule-depth).
	MaxRuleDepth int
	// MaxRuleNodes bounds the size of one boolean expression or preset, in
	// nodes, at load (--max-rule-nodes).
	MaxRuleNodes int
	// Evaluator decides Check's rows (--evaluator): "native", the
	// permission's residual template evaluated in Go (OPA for what has no
	// template and for rows that lack data), or "opa", OPA's evaluator for
	// every row. Both decide alike; "" is native.
	Evaluator string
	// StrictPolicy refuses a policy set with an inconsistent object
	// (--strict); by default such objects are left out and listed.
	StrictPolicy bool
	// DefaultNamingConvention is the GraphQL naming convention of a
	// source whose customization names none (--default-naming-convention,
	// Hasura's HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION): hasura-default
	// or graphql-default. It names the table root fields CheckGraphQL
	// decides.
	DefaultNamingConvention string
	// Watch reloads the policy set and the caller keys file when their
	// files change (--watch); SIGHUP and AdminService.Reload reload either
	// way.
	Watch bool
	// ReloadDebounce is how long a changed file must stay unchanged before
	// the reload (--reload-debounce): a deploy writes several files.
	ReloadDebounce time.Duration
	// AllowNoRoles accepts a policy set in which no role has a permission
	// (--allow-no-roles): by default it is refused, since it would deny
	// every request but admin's.
	AllowNoRoles bool

	// HTTPGateway serves the HTTP/JSON gateway (/v1/...) and the console
	// (/console/) on the HTTP listener (--http-gateway).
	HTTPGateway bool
	// CORSAllowedOrigins are the browser origins that may call the gateway
	// (--cors-allowed-origins): "https://app.example.com",
	// "https://*.example.com" (any subdomain), or "*" (any origin, never
	// with credentials). Empty means no cross-origin calls.
	CORSAllowedOrigins OriginList
	// CORSAllowCredentials lets browsers send cookies and read answers of
	// credentialed requests from the allowed origins
	// (--cors-allow-credentials).
	CORSAllowCredentials bool
	// CORSMaxAge is how long a browser may cache a preflight answer
	// (--cors-max-age).
	CORSMaxAge time.Duration

	// ConsoleDatabases are the databases, one per metadata source, that
	// AdminService.QueryDatabase (the console's "Run against database")
	// may read, in a read-only transaction (--console-database NAME=URL,
	// repeatable). None by default: the feature is off. Their URLs are
	// never logged with a password nor sent to a caller.
	ConsoleDatabases consoledb.Specs
	// ConsoleQueryTimeout bounds one such query (--console-query-timeout).
	ConsoleQueryTimeout time.Duration

	// Dev is a local trial (--dev): serve generates an admin API key for
	// the run and prints it; only loopback listen addresses are accepted.
	Dev bool
	// Callers configures caller authentication: API keys, client
	// certificates, the rate limit and server TLS.
	Callers callerauth.Config
	// Sessions configures end-user session resolution: JWT, auth webhook,
	// unauthorized role.
	Sessions session.Config
	// DecisionLog configures the decision log and the recent decisions.
	DecisionLog DecisionLogConfig
	// Bundle is the policy bundle source (--bundle-url and the other
	// --bundle-* flags), instead of --policy.
	Bundle bundlesource.Config
}

// DefaultConfig returns the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:                DefaultGRPCAddr,
		HTTPAddr:                DefaultHTTPAddr,
		LogFormat:               "json",
		LogLevel:                "info",
		MaxRows:                 DefaultMaxRows,
		MaxRecvMsgSize:          DefaultMaxRecvMsgSize,
		MaxRequestValues:        DefaultMaxRequestValues,
		MaxListElements:         DefaultMaxListElements,
		MaxValueDepth:           DefaultMaxValueDepth,
		MessageRecvTimeout:      DefaultMessageRecvTimeout,
		StreamWorkers:           DefaultStreamWorkers,
		Watch:                   true,
		ReloadDebounce:          reload.DefaultDebounce,
		GCHeadroomMiB:           DefaultGCHeadroomMiB,
		ShutdownTimeout:         DefaultShutdownTimeout,
		MaxConcurrentStreams:    DefaultMaxConcurrentStreams,
		MaxConnections:          DefaultMaxConnections,
		MaxConnectionIdle:       DefaultMaxConnectionIdle,
		KeepaliveMinTime:        DefaultKeepaliveMinTime,
		MaxRuleDepth:            load.DefaultMaxDepth,
		MaxRuleNodes:            load.DefaultMaxNodes,
		DefaultNamingConvention: "hasura-default",
		Evaluator:               "native",
		HTTPGateway:             true,
		CORSMaxAge:              DefaultCORSMaxAge,
		ConsoleQueryTimeout:     DefaultConsoleQueryTimeout,
		Callers:                 callerauth.DefaultConfig(),
		Sessions:                session.DefaultConfig(),
		DecisionLog:             DefaultDecisionLogConfig(),
		Bundle:                  bundlesource.DefaultConfig(),
	}
}

// RegisterFlags binds the fields of c to flags on fs, with c's current
// values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.GRPCAddr, "grpc-addr", c.GRPCAddr, "gRPC listen `address`")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "HTTP listen `address`: /metrics, /healthz, the HTTP/JSON gateway (/v1/...) and the console (/console/)")
	RegisterPolicyFlags(fs, &c.Policy, &c.Schema)
	RegisterRuleLimitFlags(fs, &c.MaxRuleDepth, &c.MaxRuleNodes)
	RegisterEvaluatorFlag(fs, &c.Evaluator)
	RegisterConsistencyFlags(fs, &c.StrictPolicy, &c.AllowNoRoles)
	RegisterNamingConventionFlag(fs, &c.DefaultNamingConvention)
	fs.BoolVar(&c.Watch, "watch", c.Watch, "reload the policy set (its directory, the --schema file) and --api-keys-file when their files change; SIGHUP and AdminService.Reload reload either way")
	fs.DurationVar(&c.ReloadDebounce, "reload-debounce", c.ReloadDebounce, "how long changed files must stay unchanged before a reload")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: json or text")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log `level`: debug, info, warn or error")
	fs.IntVar(&c.MaxRows, "max-rows", c.MaxRows, "most rows one Check may carry")
	fs.IntVar(&c.MaxRecvMsgSize, "max-recv-msg-size", c.MaxRecvMsgSize, "largest request in `bytes`")
	fs.IntVar(&c.MaxRequestValues, "max-request-values", c.MaxRequestValues, "most values (google.protobuf.Value, at every depth) one request may hold; checked before it is decoded")
	fs.IntVar(&c.MaxListElements, "max-list-elements", c.MaxListElements, "most elements of one list value in a request; checked before it is decoded")
	fs.IntVar(&c.MaxValueDepth, "max-value-depth", c.MaxValueDepth, "deepest nesting of values in a request (a scalar column value is 1); checked before it is decoded")
	fs.DurationVar(&c.MessageRecvTimeout, "message-recv-timeout", c.MessageRecvTimeout, "longest time from a call's headers to its whole request message; a caller slower than that gets DEADLINE_EXCEEDED")
	fs.IntVar(&c.GCHeadroomMiB, "gc-headroom-mib", c.GCHeadroomMiB, "room in `MiB` above the live heap (the loaded policy set) that the soft memory limit and the garbage collector leave; 0: Go's GOGC and no limit but 90% of a cgroup memory limit; GOMEMLIMIT and GOGC in the environment win")
	fs.IntVar(&c.StreamWorkers, "stream-workers", c.StreamWorkers, "long-lived goroutines serving gRPC calls (they keep their grown stacks); 0: a new goroutine per call")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "graceful shutdown deadline; then open calls are cut")
	fs.IntVar(&c.MaxConcurrentStreams, "max-concurrent-streams", c.MaxConcurrentStreams, "most gRPC calls in flight on one connection; more wait at the client")
	fs.IntVar(&c.MaxConnections, "max-connections", c.MaxConnections, "most open gRPC connections; more wait to be accepted (0: no bound)")
	fs.DurationVar(&c.MaxConnectionIdle, "max-connection-idle", c.MaxConnectionIdle, "close a gRPC connection without calls for this long (0: never)")
	fs.DurationVar(&c.MaxConnectionAge, "max-connection-age", c.MaxConnectionAge, "close every gRPC connection after this long, calls in flight given a tenth of it more (0: never)")
	fs.DurationVar(&c.KeepaliveMinTime, "keepalive-min-time", c.KeepaliveMinTime, "least time between a client's keepalive pings; a client pinging more often, or while idle, is disconnected")
	fs.BoolVar(&c.HTTPGateway, "http-gateway", c.HTTPGateway, "serve the HTTP/JSON gateway (POST /v1/check, ...) and the console (/console/) on --http-addr")
	fs.Var(&c.CORSAllowedOrigins, "cors-allowed-origins", "comma-separated browser `origins` that may call the gateway: https://app.example.com, https://*.example.com, or * (never with credentials); empty means none")
	fs.BoolVar(&c.CORSAllowCredentials, "cors-allow-credentials", c.CORSAllowCredentials, "let browsers make credentialed (cookie) calls from the allowed origins")
	fs.DurationVar(&c.CORSMaxAge, "cors-max-age", c.CORSMaxAge, "how long browsers may cache a CORS preflight answer")
	fs.Var(&c.ConsoleDatabases, "console-database", "`NAME=URL`: a database of the metadata source NAME that admins may query from the console (AdminService.QueryDatabase: Filter's SQL run in a read-only transaction); URL is postgres://..., mysql://user:password@host:port/database (MariaDB too) or sqlite:///path/file.db; repeatable, one per source; in the environment several separated by spaces; off by default")
	fs.DurationVar(&c.ConsoleQueryTimeout, "console-query-timeout", c.ConsoleQueryTimeout, "longest time one --console-database query may take")
	fs.BoolVar(&c.Dev, "dev", c.Dev, "local trial: generate an admin API key for this run and print it; loopback addresses only, never in production")
	c.Callers.RegisterFlags(fs)
	c.Sessions.RegisterFlags(fs)
	c.DecisionLog.RegisterFlags(fs)
	c.Bundle.RegisterFlags(fs)
}

// RegisterRuleLimitFlags binds --max-rule-depth and --max-rule-nodes,
// shared by the subcommands that load a policy set as serve does.
func RegisterRuleLimitFlags(fs *flag.FlagSet, depth, nodes *int) {
	fs.IntVar(depth, "max-rule-depth", *depth, "deepest nesting of one boolean expression in the policy set; deeper is a load error")
	fs.IntVar(nodes, "max-rule-nodes", *nodes, "most nodes in one boolean expression or preset of the policy set; more is a load error")
}

// RegisterEvaluatorFlag binds --evaluator.
func RegisterEvaluatorFlag(fs *flag.FlagSet, evaluator *string) {
	fs.StringVar(evaluator, "evaluator", *evaluator, "what decides Check's rows: native (each permission's residual, from OPA's partial evaluation at load, evaluated in Go; OPA where a permission has none and for rows that lack data) or opa (OPA's evaluator for every row); both decide alike")
}

// LoadOptions are the loader's options for the configured rule limits and
// strictness.
func (c Config) LoadOptions() []load.Option {
	opts := []load.Option{load.WithMaxDepth(c.MaxRuleDepth), load.WithMaxNodes(c.MaxRuleNodes)}
	if c.StrictPolicy {
		opts = append(opts, load.WithStrict())
	}
	if c.DefaultNamingConvention != "" {
		opts = append(opts, load.WithDefaultNamingConvention(c.DefaultNamingConvention))
	}
	return opts
}

// RegisterNamingConventionFlag binds --default-naming-convention, shared
// by the subcommands that load a policy set as serve does.
func RegisterNamingConventionFlag(fs *flag.FlagSet, nc *string) {
	fs.StringVar(nc, "default-naming-convention", *nc, "GraphQL naming `convention` of a source whose customization names none, as Hasura's HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION: hasura-default or graphql-default (it names the table root fields CheckGraphQL decides)")
}

// ValidateNamingConvention checks --default-naming-convention.
func ValidateNamingConvention(nc string) error {
	switch nc {
	case "", "hasura-default", "graphql-default":
		return nil
	}
	return fmt.Errorf("--default-naming-convention %q: want hasura-default or graphql-default", nc)
}

// RegisterConsistencyFlags binds --strict and --allow-no-roles, shared by
// the subcommands that load a policy set as serve does.
func RegisterConsistencyFlags(fs *flag.FlagSet, strict, allowNoRoles *bool) {
	fs.BoolVar(strict, "strict", *strict, "refuse the policy set when any object of its metadata is inconsistent (by default, as Hasura does, inconsistent objects are left out and listed, and requests that need one are refused)")
	fs.BoolVar(allowNoRoles, "allow-no-roles", *allowNoRoles, "accept a policy set in which no role has a permission (it denies every request but admin's)")
}

// RegisterPolicyFlags binds --policy and --schema, shared by every
// subcommand that loads a policy set.
func RegisterPolicyFlags(fs *flag.FlagSet, policy, schema *string) {
	fs.StringVar(policy, "policy", *policy, "policy `directory` (Hasura metadata); empty means the embedded example")
	fs.StringVar(schema, "schema", *schema, "schema `file`; default schema.yaml in the policy directory")
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct{ flag, addr string }{{"grpc-addr", c.GRPCAddr}, {"http-addr", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: want host:port: %w", a.flag, a.addr, err))
		}
	}
	if c.GRPCAddr == c.HTTPAddr && !strings.HasSuffix(c.GRPCAddr, ":0") {
		errs = append(errs, fmt.Errorf("--grpc-addr and --http-addr are both %q", c.GRPCAddr))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	if c.MaxRows < 1 {
		errs = append(errs, fmt.Errorf("--max-rows %d: want at least 1", c.MaxRows))
	}
	if c.StreamWorkers < 0 || c.StreamWorkers > maxStreamWorkers {
		errs = append(errs, fmt.Errorf("--stream-workers %d: want 0 to %d", c.StreamWorkers, maxStreamWorkers))
	}
	if c.GCHeadroomMiB < 0 || c.GCHeadroomMiB > maxGCHeadroomMiB {
		errs = append(errs, fmt.Errorf("--gc-headroom-mib %d: want 0 to %d", c.GCHeadroomMiB, maxGCHeadroomMiB))
	}
	for _, f := range []struct {
		flag string
		v    int
	}{{"max-request-values", c.MaxRequestValues}, {"max-list-elements", c.MaxListElements}, {"max-value-depth", c.MaxValueDepth}} {
		if f.v < 1 {
			errs = append(errs, fmt.Errorf("--%s %d: want at least 1", f.flag, f.v))
		}
	}
	if c.MessageRecvTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--message-recv-timeout %s: want a positive duration", c.MessageRecvTimeout))
	}
	if c.MaxRecvMsgSize < 1024 {
		errs = append(errs, fmt.Errorf("--max-recv-msg-size %d: want at least 1024 bytes", c.MaxRecvMsgSize))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout %s: want a positive duration", c.ShutdownTimeout))
	}
	if c.MaxConcurrentStreams < 1 || c.MaxConcurrentStreams > 1<<20 {
		errs = append(errs, fmt.Errorf("--max-concurrent-streams %d: want 1 to %d", c.MaxConcurrentStreams, 1<<20))
	}
	if c.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("--max-connections %d: want 0 (no bound) or more", c.MaxConnections))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"max-connection-idle", c.MaxConnectionIdle}, {"max-connection-age", c.MaxConnectionAge}, {"keepalive-min-time", c.KeepaliveMinTime}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("--%s %s: want 0 or a positive duration", d.flag, d.v))
		}
	}
	if c.ReloadDebounce <= 0 {
		errs = append(errs, fmt.Errorf("--reload-debounce %s: want a positive duration", c.ReloadDebounce))
	}
	if c.MaxRuleDepth < 1 {
		errs = append(errs, fmt.Errorf("--max-rule-depth %d: want at least 1", c.MaxRuleDepth))
	}
	if c.MaxRuleNodes < 1 {
		errs = append(errs, fmt.Errorf("--max-rule-nodes %d: want at least 1", c.MaxRuleNodes))
	}
	if err := ValidateNamingConvention(c.DefaultNamingConvention); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateCORS()...)
	if c.ConsoleQueryTimeout <= 0 || c.ConsoleQueryTimeout > maxConsoleQueryTimeout {
		errs = append(errs, fmt.Errorf("--console-query-timeout %s: want a positive duration up to %s", c.ConsoleQueryTimeout, maxConsoleQueryTimeout))
	}
	if c.Dev {
		for _, a := range []struct{ flag, addr string }{{"grpc-addr", c.GRPCAddr}, {"http-addr", c.HTTPAddr}} {
			if !IsLoopbackAddr(a.addr) {
				errs = append(errs, fmt.Errorf("--dev serves with a generated admin key and only on loopback: --%s %q is not a loopback address", a.flag, a.addr))
			}
		}
	}
	if err := c.Callers.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Sessions.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.DecisionLog.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Bundle.Validate(c.Policy); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// IsLoopbackAddr reports whether a listen address (host:port) binds only
// the loopback interface: localhost, 127.0.0.0/8 or ::1. An empty host
// (":7400") binds every interface.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LogValue prints the configuration for the startup log line. It holds no
// secret: API keys are configured as hashes only, and the JWT configuration
// and the webhook secret are redacted by session.Config's LogValue.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grpc_addr", c.GRPCAddr),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("policy", c.Policy),
		slog.String("schema", c.Schema),
		slog.Bool("watch", c.Watch),
		slog.String("reload_debounce", c.ReloadDebounce.String()),
		slog.String("log_format", c.LogFormat),
		slog.String("log_level", c.LogLevel),
		slog.Int("max_rows", c.MaxRows),
		slog.Int("max_recv_msg_size", c.MaxRecvMsgSize),
		slog.Int("max_request_values", c.MaxRequestValues),
		slog.Int("max_list_elements", c.MaxListElements),
		slog.Int("max_value_depth", c.MaxValueDepth),
		slog.String("message_recv_timeout", c.MessageRecvTimeout.String()),
		slog.Int("stream_workers", c.StreamWorkers),
		slog.Int("gc_headroom_mib", c.GCHeadroomMiB),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.Int("max_rule_depth", c.MaxRuleDepth),
		slog.Int("max_rule_nodes", c.MaxRuleNodes),
		slog.Bool("http_gateway", c.HTTPGateway),
		slog.Any("cors_allowed_origins", []string(c.CORSAllowedOrigins)),
		slog.Bool("cors_allow_credentials", c.CORSAllowCredentials),
		slog.String("cors_max_age", c.CORSMaxAge.String()),
		slog.String("console_databases", c.ConsoleDatabases.String()),
		slog.String("console_query_timeout", c.ConsoleQueryTimeout.String()),
		slog.Bool("dev", c.Dev),
		slog.Any("callers", c.Callers),
		slog.Any("sessions", c.Sessions),
		slog.Any("bundle", c.Bundle),
	)
}

// EnvName is the environment variable of a flag: "grpc-addr" ->
// "WARDEN_GRPC_ADDR".
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv sets every flag of fs that was not given on the command line
// from its environment variable, if that is set: flags win over the
// environment, the environment over defaults. Call it after fs.Parse.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || getenv == nil {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err))
		}
	})
	return errors.Join(errs...)
}

// ParseLogLevel parses a slog level name.
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}

// NewLogger builds the logger the configuration asks for, writing to w.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	level, err := ParseLogLevel(c.LogLevel)
	if err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// requestCaps are the configured caps on decoding one request.
func (c Config) requestCaps() RequestCaps {
	return RequestCaps{MaxValues: c.MaxRequestValues, MaxListElements: c.MaxListElements, MaxDepth: c.MaxValueDepth}
}
