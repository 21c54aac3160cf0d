package callerauth

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"
)

// Config is the caller-side security configuration. Every field is a flag
// (RegisterFlags) whose environment variable is WARDEN_ plus the flag name
// in upper snake case (--api-keys-file is WARDEN_API_KEYS_FILE).
type Config struct {
	// APIKeys is an inline JSON list of caller entries (--api-keys); see
	// Entry. It holds hashes, never keys.
	APIKeys string
	// APIKeysFile is a YAML or JSON file of caller entries
	// (--api-keys-file). Both may be given; ids must stay unique.
	APIKeysFile string
	// RateLimit is each caller's sustained requests per second; 0 means
	// no limit (--rate-limit).
	RateLimit float64
	// RateBurst is each caller's burst; 0 means twice RateLimit, at least
	// 1 (--rate-burst).
	RateBurst int
	// TLSCertFile and TLSKeyFile serve TLS; both or neither
	// (--tls-cert-file, --tls-key-file).
	TLSCertFile, TLSKeyFile string
	// TLSClientCAFile enables client certificates (--tls-client-ca-file).
	TLSClientCAFile string
	// TLSClientAuth is none, optional or require (--tls-client-auth).
	TLSClientAuth string
	// TLSReloadInterval bounds how often the TLS files are re-read
	// (--tls-reload-interval).
	TLSReloadInterval time.Duration
}

// DefaultConfig returns the defaults: no callers (so every call but health
// is Unauthenticated until some are configured), no rate limit, plaintext.
func DefaultConfig() Config {
	return Config{TLSReloadInterval: DefaultTLSReloadInterval}
}

// RegisterFlags binds the fields of c to flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.APIKeys, "api-keys", c.APIKeys, "caller entries as a JSON `list` of {id, hash, certificate, level, grants}; hashes from 'warden keys generate'")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", c.APIKeysFile, "YAML or JSON `file` of caller entries")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "requests per second per caller; 0 means no limit")
	fs.IntVar(&c.RateBurst, "rate-burst", c.RateBurst, "burst per caller; 0 means twice --rate-limit")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", c.TLSCertFile, "PEM certificate chain `file` to serve TLS with; reloaded on change")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", c.TLSKeyFile, "PEM private key `file` of --tls-cert-file")
	fs.StringVar(&c.TLSClientCAFile, "tls-client-ca-file", c.TLSClientCAFile, "PEM `file` of CAs for client certificates (mTLS callers)")
	fs.StringVar(&c.TLSClientAuth, "tls-client-auth", c.TLSClientAuth, "client certificates: none, optional or require (default optional with a client CA)")
	fs.DurationVar(&c.TLSReloadInterval, "tls-reload-interval", c.TLSReloadInterval, "how often, at most, TLS files are checked for changes")
}

// Validate reports every invalid field at once, without reading files.
func (c Config) Validate() error {
	var errs []error
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("--rate-limit %g: want 0 or more", c.RateLimit))
	}
	if c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("--rate-burst %d: want 0 or more", c.RateBurst))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	if c.TLSCertFile == "" && (c.TLSClientCAFile != "" || c.TLSClientAuth != "") {
		errs = append(errs, errors.New("--tls-client-ca-file and --tls-client-auth need --tls-cert-file"))
	}
	switch ClientAuth(c.TLSClientAuth) {
	case "", ClientAuthNone, ClientAuthOptional, ClientAuthRequire:
	default:
		errs = append(errs, fmt.Errorf("--tls-client-auth %q: want none, optional or require", c.TLSClientAuth))
	}
	if c.TLSReloadInterval <= 0 {
		errs = append(errs, fmt.Errorf("--tls-reload-interval %s: want a positive duration", c.TLSReloadInterval))
	}
	return errors.Join(errs...)
}

// Entries reads the caller entries from APIKeys and APIKeysFile.
func (c Config) Entries() ([]Entry, error) {
	var all []Entry
	if c.APIKeys != "" {
		es, err := ParseEntries([]byte(c.APIKeys))
		if err != nil {
			return nil, fmt.Errorf("--api-keys: %w", err)
		}
		all = append(all, es...)
	}
	if c.APIKeysFile != "" {
		es, err := LoadEntriesFile(c.APIKeysFile)
		if err != nil {
			return nil, fmt.Errorf("--api-keys-file: %w", err)
		}
		all = append(all, es...)
	}
	if err := ValidateEntries(all); err != nil {
		return nil, err
	}
	return all, nil
}

// NewAuthenticator builds the authenticator for the configured entries.
func (c Config) NewAuthenticator() (*Authenticator, error) {
	entries, err := c.Entries()
	if err != nil {
		return nil, err
	}
	return NewAuthenticator(entries)
}

// NewRateLimiter builds the per-caller rate limiter.
func (c Config) NewRateLimiter(opts ...RateLimiterOption) *RateLimiter {
	burst := c.RateBurst
	if burst == 0 {
		burst = max(1, int(2*c.RateLimit))
	}
	return NewRateLimiter(c.RateLimit, burst, opts...)
}

// NewCertReloader returns the TLS certificate reloader, or nil when TLS is
// not configured.
func (c Config) NewCertReloader(opts ...CertReloaderOption) (*CertReloader, error) {
	if c.TLSCertFile == "" {
		return nil, nil
	}
	opts = append([]CertReloaderOption{WithReloadInterval(c.TLSReloadInterval)}, opts...)
	return NewCertReloader(TLSFiles{CertFile: c.TLSCertFile, KeyFile: c.TLSKeyFile,
		ClientCAFile: c.TLSClientCAFile, ClientAuth: ClientAuth(c.TLSClientAuth)}, opts...)
}

// LogValue prints the configuration without the entries themselves.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("api_keys_inline", c.APIKeys != ""),
		slog.String("api_keys_file", c.APIKeysFile),
		slog.Float64("rate_limit", c.RateLimit),
		slog.Int("rate_burst", c.RateBurst),
		slog.String("tls_cert_file", c.TLSCertFile),
		slog.String("tls_key_file", c.TLSKeyFile),
		slog.String("tls_client_ca_file", c.TLSClientCAFile),
		slog.String("tls_client_auth", c.TLSClientAuth),
		slog.String("tls_reload_interval", c.TLSReloadInterval.String()),
	)
}
