// Package bundlesource keeps a serving Warden on the policy bundle
// published at a URL: it fetches the bundle (policy/bundle) from any
// HTTP(S) server or S3-compatible object store, polls it with
// If-None-Match, verifies its signature against the configured key, hands
// it to the server to load and swap in, and keeps the last bundle that went
// live on local disk, so that a replica restarting while the source is down
// serves what it served before.
//
// A bundle that fails to download, to verify or to load is refused: it is
// logged and counted, and the bundle already live keeps serving.
//
// S3: a bucket object is fetched over plain HTTPS, from a public (or
// network-restricted, e.g. VPC-endpoint) bucket or through a presigned URL;
// S3 answers If-None-Match with 304 as any HTTP server does. Request
// signing (SigV4) is not built in: it would bring the AWS SDK into the
// binary for one GET, and a presigned URL or a bucket policy covers it.
package bundlesource

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/wardenpdp/warden/policy/bundle"
)

// Defaults.
const (
	DefaultPollInterval = 30 * time.Second
	DefaultFetchTimeout = 60 * time.Second
	DefaultAlgorithm    = "RS256"
)

// Config is the bundle source of serve: the --bundle-* flags.
type Config struct {
	// URL is the bundle's http:// or https:// URL (--bundle-url); empty:
	// no bundle, serve loads --policy.
	URL string
	// PollInterval is the time between two polls (--bundle-poll-interval);
	// each wait is drawn within ±10% of it, so that a fleet does not poll
	// in step.
	PollInterval time.Duration
	// FetchTimeout bounds one download (--bundle-fetch-timeout).
	FetchTimeout time.Duration
	// CacheDir keeps the last bundle that went live (--bundle-cache-dir);
	// empty: none is kept, and a replica cannot start while the source is
	// down.
	CacheDir string
	// MaxSize bounds the bundle, compressed and uncompressed, in bytes
	// (--bundle-max-size).
	MaxSize int64
	// VerificationKeyFile holds the key that must have signed the bundle
	// (--bundle-verification-key): a PEM public key or certificate, or an
	// HMAC secret. Empty: signatures are not checked and unsigned bundles
	// are accepted.
	VerificationKeyFile string
	// VerificationAlg is the key's JWS algorithm
	// (--bundle-verification-alg); a signature with another is refused.
	VerificationAlg string
	// VerificationKeyID is the key id the signature must name
	// (--bundle-verification-key-id).
	VerificationKeyID string
}

// DefaultConfig is the configuration with its defaults.
func DefaultConfig() Config {
	return Config{
		PollInterval:      DefaultPollInterval,
		FetchTimeout:      DefaultFetchTimeout,
		MaxSize:           bundle.DefaultMaxSize,
		VerificationAlg:   DefaultAlgorithm,
		VerificationKeyID: bundle.DefaultKeyID,
	}
}

// Enabled says whether serve takes its policy set from a bundle.
func (c Config) Enabled() bool { return c.URL != "" }

// RegisterFlags binds the fields of c to flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "bundle-url", c.URL, "serve the policy bundle at this http(s) `URL` ('warden bundle build'; an S3 object through a presigned URL or a readable bucket), polled with If-None-Match; instead of --policy")
	fs.DurationVar(&c.PollInterval, "bundle-poll-interval", c.PollInterval, "time between two polls of --bundle-url (each within ±10%)")
	fs.DurationVar(&c.FetchTimeout, "bundle-fetch-timeout", c.FetchTimeout, "bound on one download of the bundle")
	fs.StringVar(&c.CacheDir, "bundle-cache-dir", c.CacheDir, "`directory` keeping the last bundle that went live; a replica that restarts while --bundle-url is down starts from it")
	fs.Int64Var(&c.MaxSize, "bundle-max-size", c.MaxSize, "largest bundle in `bytes`, compressed and uncompressed")
	fs.StringVar(&c.VerificationKeyFile, "bundle-verification-key", c.VerificationKeyFile, "`file` with the key bundles must be signed with: a PEM public key or certificate, or the HMAC secret; unsigned bundles are then refused")
	fs.StringVar(&c.VerificationAlg, "bundle-verification-alg", c.VerificationAlg, "JWS `algorithm` of --bundle-verification-key (a signature by another is refused)")
	fs.StringVar(&c.VerificationKeyID, "bundle-verification-key-id", c.VerificationKeyID, "key `id` a bundle's signature must name ('warden bundle build --signing-key-id')")
}

// Validate reports every invalid field at once. policy is serve's
// --policy: a bundle replaces it, and both at once is a mistake.
func (c Config) Validate(policy string) error {
	if !c.Enabled() {
		if c.VerificationKeyFile != "" || c.CacheDir != "" {
			return errors.New("--bundle-verification-key and --bundle-cache-dir need --bundle-url")
		}
		return nil
	}
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("--bundle-url: %w", err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("--bundle-url %q: want an http:// or https:// URL (for S3, the object's HTTPS URL or a presigned one)", redact(c.URL)))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("--bundle-url %q: no host", redact(c.URL)))
	}
	if policy != "" {
		errs = append(errs, fmt.Errorf("--bundle-url and --policy %s: give one source of the policy set", policy))
	}
	if c.PollInterval < time.Second {
		errs = append(errs, fmt.Errorf("--bundle-poll-interval %s: want at least 1s", c.PollInterval))
	}
	if c.FetchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--bundle-fetch-timeout %s: want a positive duration", c.FetchTimeout))
	}
	if c.MaxSize < 1024 {
		errs = append(errs, fmt.Errorf("--bundle-max-size %d: want at least 1024 bytes", c.MaxSize))
	}
	return errors.Join(errs...)
}

// LogValue prints the configuration without the URL's query, which holds
// a presigned URL's signature.
func (c Config) LogValue() slog.Value {
	if !c.Enabled() {
		return slog.GroupValue(slog.Bool("enabled", false))
	}
	return slog.GroupValue(
		slog.String("url", redact(c.URL)),
		slog.String("poll_interval", c.PollInterval.String()),
		slog.String("cache_dir", c.CacheDir),
		slog.Bool("verify", c.VerificationKeyFile != ""),
		slog.String("verification_alg", c.VerificationAlg),
		slog.String("verification_key_id", c.VerificationKeyID),
	)
}

// redact drops a URL's query and user info: a presigned URL's signature
// and credentials stay out of logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}
