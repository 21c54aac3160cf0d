package callerauth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ClientAuth says whether the server asks for client certificates.
type ClientAuth string

// The client certificate modes.
const (
	// ClientAuthNone asks for no client certificate.
	ClientAuthNone ClientAuth = "none"
	// ClientAuthOptional verifies a client certificate if one is sent, so
	// callers may use an API key or a certificate. The default when a
	// client CA is configured.
	ClientAuthOptional ClientAuth = "optional"
	// ClientAuthRequire refuses connections without a valid client
	// certificate.
	ClientAuthRequire ClientAuth = "require"
)

// TLSFiles names the server's certificate files.
type TLSFiles struct {
	// CertFile is the PEM certificate chain, leaf first.
	CertFile string
	// KeyFile is the PEM private key of the leaf.
	KeyFile string
	// ClientCAFile is the PEM bundle of CAs that sign client certificates;
	// empty means no client certificates.
	ClientCAFile string
	// ClientAuth is none, optional or require; empty means optional with
	// a client CA and none without.
	ClientAuth ClientAuth
}

// DefaultTLSReloadInterval is how often, at most, the files are read again
// to see whether they changed.
const DefaultTLSReloadInterval = 10 * time.Second

// CertReloader serves the certificate in TLSFiles and picks up changes to
// any of the files (a renewed certificate, a rotated client CA) without a
// restart: at most once per interval, the first handshake after the
// interval reads the files again and, when their content changed and
// parses, swaps the new configuration in. A change that does not parse
// (a key written before its certificate) keeps the old one and is retried.
// There is no goroutine to stop.
type CertReloader struct {
	files    TLSFiles
	mode     tls.ClientAuthType
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	cur       atomic.Pointer[tlsState]
	checking  sync.Mutex
	lastCheck atomic.Int64 // unix nanoseconds
}

type tlsState struct {
	sum    [sha256.Size]byte
	config *tls.Config
}

// CertReloaderOption configures NewCertReloader.
type CertReloaderOption func(*CertReloader)

// WithReloadInterval sets how often the files are checked; default
// DefaultTLSReloadInterval.
func WithReloadInterval(d time.Duration) CertReloaderOption {
	return func(r *CertReloader) { r.interval = d }
}

// WithTLSClock sets the clock, for tests.
func WithTLSClock(now func() time.Time) CertReloaderOption {
	return func(r *CertReloader) { r.now = now }
}

// WithTLSLogger logs reloads and failed reloads; the default discards.
func WithTLSLogger(l *slog.Logger) CertReloaderOption {
	return func(r *CertReloader) { r.log = l }
}

// NewCertReloader loads the files; they must be valid now.
func NewCertReloader(files TLSFiles, opts ...CertReloaderOption) (*CertReloader, error) {
	r := &CertReloader{files: files, interval: DefaultTLSReloadInterval, now: time.Now,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(r)
	}
	if files.CertFile == "" || files.KeyFile == "" {
		return nil, errors.New("tls: both a certificate file and a key file are required")
	}
	switch files.ClientAuth {
	case "":
		r.mode = tls.NoClientCert
		if files.ClientCAFile != "" {
			r.mode = tls.VerifyClientCertIfGiven
		}
	case ClientAuthNone:
		r.mode = tls.NoClientCert
	case ClientAuthOptional:
		r.mode = tls.VerifyClientCertIfGiven
	case ClientAuthRequire:
		r.mode = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tls: client auth %q: want none, optional or require", files.ClientAuth)
	}
	if r.mode != tls.NoClientCert && files.ClientCAFile == "" {
		return nil, fmt.Errorf("tls: client auth %s needs a client CA file", files.ClientAuth)
	}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files now and swaps in their content if it changed. It
// reports whether it did. Call it on SIGHUP, say; handshakes also call it
// once per interval.
func (r *CertReloader) Reload() (bool, error) {
	r.checking.Lock()
	defer r.checking.Unlock()
	return r.reload()
}

func (r *CertReloader) reload() (bool, error) {
	r.lastCheck.Store(r.now().UnixNano())
	certPEM, err := os.ReadFile(r.files.CertFile)
	if err != nil {
		return false, fmt.Errorf("tls: %w", err)
	}
	keyPEM, err := os.ReadFile(r.files.KeyFile)
	if err != nil {
		return false, fmt.Errorf("tls: %w", err)
	}
	var caPEM []byte
	if r.files.ClientCAFile != "" {
		if caPEM, err = os.ReadFile(r.files.ClientCAFile); err != nil {
			return false, fmt.Errorf("tls: %w", err)
		}
	}
	h := sha256.New()
	for _, b := range [][]byte{certPEM, keyPEM, caPEM} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if old := r.cur.Load(); old != nil && old.sum == sum {
		return false, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("tls: %s and %s: %w", r.files.CertFile, r.files.KeyFile, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   r.mode,
		MinVersion:   tls.VersionTLS12,
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return false, fmt.Errorf("tls: %s holds no PEM certificate", r.files.ClientCAFile)
		}
		cfg.ClientCAs = pool
	}
	r.cur.Store(&tlsState{sum: sum, config: cfg})
	return true, nil
}

// maybeReload reloads if the interval has passed since the last check and
// no other handshake is checking already.
func (r *CertReloader) maybeReload() {
	if r.now().UnixNano()-r.lastCheck.Load() < int64(r.interval) {
		return
	}
	if !r.checking.TryLock() {
		return
	}
	defer r.checking.Unlock()
	if r.now().UnixNano()-r.lastCheck.Load() < int64(r.interval) {
		return
	}
	changed, err := r.reload()
	switch {
	case err != nil:
		r.log.Warn("tls files changed but do not load; serving the previous certificate", slog.Any("error", err))
	case changed:
		r.log.Info("tls files reloaded", slog.String("cert_file", r.files.CertFile))
	}
}

// ServerConfig returns the tls.Config to serve with: each handshake gets
// the current certificate and client CAs. The ALPN protocols default to
// "h2" (gRPC, for credentials.NewTLS); pass "h2", "http/1.1" for an HTTP
// server such as the metrics endpoint.
func (r *CertReloader) ServerConfig(nextProtos ...string) *tls.Config {
	if len(nextProtos) == 0 {
		nextProtos = []string{"h2"}
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			r.maybeReload()
			cfg := r.cur.Load().config.Clone()
			cfg.NextProtos = nextProtos
			return cfg, nil
		},
	}
}
