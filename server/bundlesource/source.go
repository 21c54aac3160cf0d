package bundlesource

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wardenpdp/warden/policy/bundle"
)

// CacheFile is the name of the last good bundle under the cache directory.
const CacheFile = "bundle.tar.gz"

// Activate loads a verified bundle's policy set and swaps it in. An error
// refuses the bundle; the set live before keeps serving. from says where
// the bundle came from (the redacted URL, or the cache file), for logs.
type Activate func(ctx context.Context, b *bundle.Bundle, from string) error

// Status is what the source last did, for status reports.
type Status struct {
	// Revision is the live bundle's manifest revision; From where it came.
	Revision, From string
	// ETag is the ETag of the live bundle's response ("" from the cache or
	// a server that sends none).
	ETag string
	// LastPoll is the last poll's time; LastError its error, nil when it
	// found the bundle unchanged or activated a new one.
	LastPoll  time.Time
	LastError error
	// Refused counts the bundles refused since start.
	Refused int
}

// Source fetches the bundle at a URL and activates each new one.
type Source struct {
	onFail   func(context.Context, error)
	cfg      Config
	verifier *bundle.Verifier
	client   *http.Client
	activate Activate
	log      *slog.Logger
	url      string // redacted, for logs

	mu     sync.Mutex
	status Status
	// seen identifies the last response processed, activated or refused,
	// so that an unchanged or refused bundle is neither fetched nor
	// refused again: etag is sent as If-None-Match, digest compared when
	// the server sends no ETag.
	etag   string
	digest [sha256.Size]byte
}

// Option configures a Source.
type Option func(*Source)

// WithFailureHandler is told each poll that fails after Start (a bundle
// that cannot be downloaded, is refused by verification, or whose
// activation fails), with its error, so that it can be reported beyond the
// log (the server's reload status).
func WithFailureHandler(f func(context.Context, error)) Option {
	return func(s *Source) { s.onFail = f }
}

// WithHTTPClient replaces the HTTP client (e.g. for a proxy or custom CA).
// The fetch timeout applies through each request's context.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.client = c } }

// New makes the source of cfg (cfg.Validate first), reading the
// verification key. activate is called with each new verified bundle.
func New(cfg Config, activate Activate, log *slog.Logger, opts ...Option) (*Source, error) {
	s := &Source{cfg: cfg, activate: activate, log: log, url: redact(cfg.URL), client: &http.Client{}}
	for _, o := range opts {
		o(s)
	}
	if cfg.VerificationKeyFile != "" {
		key, err := os.ReadFile(cfg.VerificationKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--bundle-verification-key: %w", err)
		}
		if s.verifier, err = bundle.NewVerifier(cfg.VerificationAlg, bytes.TrimRight(key, "\r\n"), cfg.VerificationKeyID, ""); err != nil {
			return nil, fmt.Errorf("--bundle-verification-key: %w", err)
		}
	}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("--bundle-cache-dir: %w", err)
		}
	}
	return s, nil
}

// Status returns what the source last did.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Start activates the first bundle: the one at the URL, or, when it cannot
// be fetched or is refused, the cached one. It fails when neither goes
// live: serve does not start without a policy set.
func (s *Source) Start(ctx context.Context) error {
	remoteErr := s.poll(ctx)
	if remoteErr == nil && s.Status().Revision != "" {
		return nil
	}
	if remoteErr == nil {
		remoteErr = errors.New("no bundle")
	}
	if s.cfg.CacheDir == "" {
		return fmt.Errorf("bundle %s: %w (no --bundle-cache-dir to start from)", s.url, remoteErr)
	}
	cacheErr := s.fromCache(ctx)
	if cacheErr != nil {
		return fmt.Errorf("bundle %s: %w; and the cached bundle: %w", s.url, remoteErr, cacheErr)
	}
	s.log.WarnContext(ctx, "bundle source unavailable: serving the cached bundle until it answers",
		slog.String("url", s.url), slog.String("revision", s.Status().Revision), slog.Any("error", remoteErr))
	return nil
}

// Run polls until ctx is done.
func (s *Source) Run(ctx context.Context) {
	for {
		// ±10%: replicas started together drift apart.
		wait := time.Duration(float64(s.cfg.PollInterval) * (0.9 + 0.2*rand.Float64()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := s.poll(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "bundle not activated; the live policy set keeps serving",
				slog.String("url", s.url), slog.String("live_revision", s.Status().Revision), slog.Any("error", err))
			if s.onFail != nil {
				s.onFail(ctx, err)
			}
		}
	}
}

// poll fetches the bundle once and activates it when it is new.
func (s *Source) poll(ctx context.Context) (err error) {
	defer func() {
		s.mu.Lock()
		s.status.LastPoll, s.status.LastError = time.Now(), err
		s.mu.Unlock()
	}()
	data, etag, err := s.fetch(ctx)
	if err != nil || data == nil {
		return err
	}
	digest := sha256.Sum256(data)
	s.mu.Lock()
	same := digest == s.digest
	s.etag, s.digest = etag, digest
	s.mu.Unlock()
	if same {
		return nil
	}
	if err := s.load(ctx, data, s.url, etag); err != nil {
		s.mu.Lock()
		s.status.Refused++
		s.mu.Unlock()
		return err
	}
	if s.cfg.CacheDir != "" {
		if err := writeAtomic(filepath.Join(s.cfg.CacheDir, CacheFile), data); err != nil {
			// Serving goes on; only a restart without the source
			// would miss it.
			s.log.ErrorContext(ctx, "the live bundle could not be kept in --bundle-cache-dir", slog.Any("error", err))
		}
	}
	return nil
}

// fetch downloads the bundle; nil data means unchanged (304).
func (s *Source) fetch(ctx context.Context) (data []byte, etag string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("fetch: %w", redactErr(err))
	}
	s.mu.Lock()
	if s.etag != "" {
		req.Header.Set("If-None-Match", s.etag)
	}
	s.mu.Unlock()
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fetch: %w", redactErr(err))
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, "", nil
	case http.StatusOK:
	default:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, "", fmt.Errorf("fetch: HTTP %s", resp.Status)
	}
	if resp.ContentLength > s.cfg.MaxSize {
		return nil, "", fmt.Errorf("fetch: %d bytes, more than --bundle-max-size %d", resp.ContentLength, s.cfg.MaxSize)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("fetch: %w", redactErr(err))
	}
	if int64(len(data)) > s.cfg.MaxSize {
		return nil, "", fmt.Errorf("fetch: more than --bundle-max-size %d bytes", s.cfg.MaxSize)
	}
	return data, resp.Header.Get("ETag"), nil
}

// load verifies, reads and activates a bundle.
func (s *Source) load(ctx context.Context, data []byte, from, etag string) error {
	opts := []bundle.ReadOption{bundle.WithMaxSize(s.cfg.MaxSize)}
	if s.verifier != nil {
		opts = append(opts, bundle.WithVerifier(s.verifier))
	}
	b, err := bundle.Read(bytes.NewReader(data), opts...)
	if err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	if err := s.activate(ctx, b, from); err != nil {
		return fmt.Errorf("refused: revision %s: %w", b.Manifest.Revision, err)
	}
	s.mu.Lock()
	s.status.Revision, s.status.From, s.status.ETag = b.Manifest.Revision, from, etag
	s.mu.Unlock()
	s.log.InfoContext(ctx, "bundle activated", slog.String("from", from), slog.String("revision", b.Manifest.Revision),
		slog.String("etag", etag), slog.String("signed_by", b.KeyID))
	return nil
}

// fromCache activates the cached bundle, verified and loaded again: the
// verification key may have changed since it was written.
func (s *Source) fromCache(ctx context.Context) error {
	name := filepath.Join(s.cfg.CacheDir, CacheFile)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxSize+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > s.cfg.MaxSize {
		return fmt.Errorf("%s: more than --bundle-max-size %d bytes", name, s.cfg.MaxSize)
	}
	return s.load(ctx, data, name, "")
}

// writeAtomic writes data to name through a temporary file renamed over
// it, synced, and the directory synced after the rename: after a crash the
// cache holds the old bundle or the new one, whole.
func writeAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// redactErr takes the URL (with a presigned signature in its query) out
// of an HTTP client error.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redact(ue.URL), ue.Err)
	}
	return err
}
