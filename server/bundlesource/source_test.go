package bundlesource_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenpdp/warden/policy/bundle"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server/bundlesource"
)

// publisher is a bundle server as S3 or any HTTP server behaves: a quoted
// ETag per content, 304 on a matching If-None-Match.
type publisher struct {
	mu       sync.Mutex
	data     []byte
	noETag   bool
	status   int
	gets     int
	notMod   int
	lastINM  string
	rawQuery string
}

func (p *publisher) publish(data []byte) {
	p.mu.Lock()
	p.data = data
	p.mu.Unlock()
}

// seen returns the counters under the lock (the handler runs on the
// server's goroutines).
func (p *publisher) seen() (gets, notMod int, lastINM, rawQuery string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets, p.notMod, p.lastINM, p.rawQuery
}

func (p *publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets++
	p.lastINM = r.Header.Get("If-None-Match")
	p.rawQuery = r.URL.RawQuery
	if p.status != 0 {
		w.WriteHeader(p.status)
		return
	}
	if !p.noETag {
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(p.data))
		if r.Header.Get("If-None-Match") == etag {
			p.notMod++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	w.Write(p.data)
}

// policyDir copies the example policy set, with a comment added to its
// schema so that each variant has its own revision.
func policyDir(t *testing.T, variant string) string {
	t.Helper()
	src := os.DirFS("../../policy/examples/blog")
	dir := t.TempDir()
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, p), 0o755)
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if p == "schema.yaml" {
			data = append([]byte("# "+variant+"\n"), data...)
		}
		return os.WriteFile(filepath.Join(dir, p), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildBundle(t *testing.T, variant string, s *bundle.Signer) ([]byte, string) {
	t.Helper()
	b, _, err := bundle.FromDir(context.Background(), policyDir(t, variant), "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), b.Manifest.Revision
}

// live is what the server would serve: the revision activate last
// accepted, loading the bundle as serve does.
type live struct {
	mu        sync.Mutex
	revision  string
	activated int
}

func (l *live) activate(ctx context.Context, b *bundle.Bundle, from string) error {
	p, err := load.FS(ctx, b.FS(), from)
	if err != nil {
		return err
	}
	if err := b.CheckRevision(p.Revision); err != nil {
		return err
	}
	l.mu.Lock()
	l.revision = p.Revision
	l.activated++
	l.mu.Unlock()
	return nil
}

func (l *live) get() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.revision, l.activated
}

func keys(t *testing.T) (*bundle.Signer, string, *bundle.Signer) {
	t.Helper()
	gen := func() (*rsa.PrivateKey, []byte) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	k, priv := gen()
	_, otherPriv := gen()
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pubFile := filepath.Join(t.TempDir(), "bundle.pub")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := bundle.NewSigner("RS256", priv, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := bundle.NewSigner("RS256", otherPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, pubFile, other
}

func newSource(t *testing.T, url, cacheDir, pubFile string, l *live) *bundlesource.Source {
	t.Helper()
	cfg := bundlesource.DefaultConfig()
	cfg.URL, cfg.CacheDir, cfg.VerificationKeyFile = url, cacheDir, pubFile
	cfg.PollInterval = time.Second
	if err := cfg.Validate(""); err != nil {
		t.Fatal(err)
	}
	src, err := bundlesource.New(cfg, l.activate, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// poll runs one poll through the exported surface: Run with a short
// interval, stopped after the next poll.
func poll(t *testing.T, src *bundlesource.Source) bundlesource.Status {
	t.Helper()
	before := src.Status().LastPoll
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for src.Status().LastPoll.Equal(before) {
		if time.Now().After(deadline) {
			t.Fatal("no poll within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	return src.Status()
}

func TestSourceLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	signer, pubFile, otherSigner := keys(t)
	pub := &publisher{}
	ts := httptest.NewServer(pub)
	defer ts.Close()
	cache := t.TempDir()

	v1, rev1 := buildBundle(t, "v1", signer)
	pub.publish(v1)
	l := &live{}
	src := newSource(t, ts.URL+"/b.tar.gz?X-Amz-Signature=secretsig", cache, pubFile, l)
	if err := src.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rev, _ := l.get(); rev != rev1 {
		t.Fatalf("live revision %q after Start, want %q", rev, rev1)
	}
	if _, _, _, q := pub.seen(); q != "X-Amz-Signature=secretsig" {
		t.Errorf("the presigned query was not sent: %q", q)
	}
	cached, err := os.ReadFile(filepath.Join(cache, bundlesource.CacheFile))
	if err != nil || !bytes.Equal(cached, v1) {
		t.Fatalf("cache holds %d bytes (%v), want the live bundle", len(cached), err)
	}

	t.Run("unchanged: 304, nothing activated", func(t *testing.T) {
		st := poll(t, src)
		if _, notMod, inm, _ := pub.seen(); st.LastError != nil || notMod != 1 || inm == "" {
			t.Fatalf("status %+v, 304s %d, If-None-Match %q", st, notMod, inm)
		}
		if _, n := l.get(); n != 1 {
			t.Errorf("%d activations, want 1", n)
		}
	})

	v2, rev2 := buildBundle(t, "v2", signer)
	t.Run("new bundle activated and cached", func(t *testing.T) {
		pub.publish(v2)
		st := poll(t, src)
		if rev, _ := l.get(); rev != rev2 || st.Revision != rev2 || st.LastError != nil {
			t.Fatalf("live %q, status %+v; want %q", rev, st, rev2)
		}
		if cached, _ := os.ReadFile(filepath.Join(cache, bundlesource.CacheFile)); !bytes.Equal(cached, v2) {
			t.Error("cache does not hold the new bundle")
		}
	})

	for _, bad := range []struct {
		name, want string
		data       func() []byte
	}{
		{"signed by another key", "does not verify", func() []byte { d, _ := buildBundle(t, "v3", otherSigner); return d }},
		{"unsigned", "not signed", func() []byte { d, _ := buildBundle(t, "v4", nil); return d }},
		{"not a bundle", "not gzip", func() []byte { return []byte("<html>oops</html>") }},
	} {
		t.Run("refused: "+bad.name, func(t *testing.T) {
			_, before := l.get()
			refused := src.Status().Refused
			pub.publish(bad.data())
			st := poll(t, src)
			if st.LastError == nil || !strings.Contains(st.LastError.Error(), bad.want) {
				t.Fatalf("LastError %v, want %q", st.LastError, bad.want)
			}
			if rev, n := l.get(); rev != rev2 || n != before || st.Revision != rev2 || st.Refused != refused+1 {
				t.Fatalf("live %q after %d activations, status %+v; want %q kept", rev, n, st, rev2)
			}
			if cached, _ := os.ReadFile(filepath.Join(cache, bundlesource.CacheFile)); !bytes.Equal(cached, v2) {
				t.Error("a refused bundle replaced the cached one")
			}
			// Refused once: the next poll gets 304 and does not refuse it
			// again.
			if st := poll(t, src); st.Refused != refused+1 || st.LastError != nil {
				t.Errorf("second poll: %+v", st)
			}
		})
	}

	t.Run("HTTP error keeps serving", func(t *testing.T) {
		pub.mu.Lock()
		pub.status = http.StatusForbidden
		pub.mu.Unlock()
		st := poll(t, src)
		if st.LastError == nil || !strings.Contains(st.LastError.Error(), "403") || st.Revision != rev2 {
			t.Fatalf("status %+v", st)
		}
	})

	t.Run("restart with the source down starts from the cache", func(t *testing.T) {
		ts.Close()
		l2 := &live{}
		src2 := newSource(t, ts.URL+"/b.tar.gz?X-Amz-Signature=secretsig", cache, pubFile, l2)
		if err := src2.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rev, _ := l2.get(); rev != rev2 {
			t.Fatalf("started on %q, want the cached %q", rev, rev2)
		}
		st := src2.Status()
		if st.From != filepath.Join(cache, bundlesource.CacheFile) {
			t.Errorf("From %q", st.From)
		}
		if strings.Contains(fmt.Sprint(st.LastError), "secretsig") {
			t.Errorf("the presigned signature leaks into errors: %v", st.LastError)
		}
	})

	t.Run("no source and no cache: no start", func(t *testing.T) {
		src3 := newSource(t, ts.URL+"/b.tar.gz", t.TempDir(), pubFile, &live{})
		if err := src3.Start(context.Background()); err == nil {
			t.Fatal("started with nothing to serve")
		}
	})
}

// A server that sends no ETag: an unchanged body is recognised by its
// digest and not activated again.
func TestSourceWithoutETag(t *testing.T) {
	pub := &publisher{noETag: true}
	ts := httptest.NewServer(pub)
	defer ts.Close()
	v1, rev1 := buildBundle(t, "v1", nil)
	pub.publish(v1)
	l := &live{}
	src := newSource(t, ts.URL, "", "", l)
	if err := src.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	poll(t, src)
	if rev, n := l.get(); rev != rev1 || n != 1 {
		t.Fatalf("live %q after %d activations; want %q once", rev, n, rev1)
	}
	if gets, _, inm, _ := pub.seen(); gets != 2 || inm != "" {
		t.Errorf("%d GETs, If-None-Match %q", gets, inm)
	}
}

func TestSourceBoundsTheDownload(t *testing.T) {
	pub := &publisher{}
	ts := httptest.NewServer(pub)
	defer ts.Close()
	pub.publish(bytes.Repeat([]byte("x"), 4096))
	cfg := bundlesource.DefaultConfig()
	cfg.URL, cfg.MaxSize = ts.URL, 2048
	src, err := bundlesource.New(cfg, (&live{}).activate, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "--bundle-max-size") {
		t.Fatalf("Start = %v, want the size refused", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*bundlesource.Config)
		policy string
		want   string
	}{
		{"s3 scheme", func(c *bundlesource.Config) { c.URL = "s3://bucket/b.tar.gz" }, "", "http:// or https://"},
		{"with --policy", func(c *bundlesource.Config) { c.URL = "https://x/b" }, "dir", "give one source"},
		{"fast poll", func(c *bundlesource.Config) { c.URL, c.PollInterval = "https://x/b", time.Millisecond }, "", "at least 1s"},
		{"key without url", func(c *bundlesource.Config) { c.VerificationKeyFile = "k" }, "", "need --bundle-url"},
		{"query redacted", func(c *bundlesource.Config) { c.URL = "ftp://x/b?sig=secret" }, "", "REDACTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bundlesource.DefaultConfig()
			tc.edit(&c)
			err := c.Validate(tc.policy)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}
