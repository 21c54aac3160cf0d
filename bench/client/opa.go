package client

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// OPA posts prepared bodies to OPA's REST API over keep-alive HTTP/1.1
// connections. It skips http.Client (redirects, cookies, timeouts per
// request) and goes to the Transport directly.
type OPA struct {
	base      *url.URL
	transport *http.Transport
	header    http.Header

	mu   sync.Mutex
	urls map[string]*url.URL
}

// NewOPA returns a client for the OPA server at addr (host:port), keeping
// up to conns idle connections.
func NewOPA(addr string, conns int) (*OPA, error) {
	base, err := url.Parse("http://" + addr)
	if err != nil {
		return nil, err
	}
	return &OPA{
		base: base,
		transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:          conns,
			MaxIdleConnsPerHost:   conns,
			IdleConnTimeout:       time.Minute,
			DisableCompression:    true,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		header: http.Header{"Content-Type": {"application/json"}},
		urls:   map[string]*url.URL{},
	}, nil
}

// URL returns the parsed URL of path, parsed once and shared read-only.
func (o *OPA) URL(path string) *url.URL {
	o.mu.Lock()
	defer o.mu.Unlock()
	u, ok := o.urls[path]
	if !ok {
		u = &url.URL{Scheme: o.base.Scheme, Host: o.base.Host, Path: path}
		o.urls[path] = u
	}
	return u
}

// Post sends pre + mid + post to u and reads the answer into w (nil:
// discard). A status other than 200 is *HTTPError.
func (o *OPA) Post(ctx context.Context, u *url.URL, pre, mid, post []byte, w io.Writer) error {
	body := &segReader{segs: [3][]byte{pre, mid, post}}
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        o.header,
		Body:          body,
		ContentLength: int64(len(pre) + len(mid) + len(post)),
		Host:          u.Host,
	}
	if ctx != context.Background() {
		req = req.WithContext(ctx)
	}
	resp, err := o.transport.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		io.Copy(&b, io.LimitReader(resp.Body, 512))
		io.Copy(io.Discard, resp.Body)
		return &HTTPError{Status: resp.StatusCode, Body: b.String()}
	}
	if w == nil {
		w = io.Discard
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// Get fetches path and returns the status.
func (o *OPA) Get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.base.String()+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := o.transport.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Close closes idle connections.
func (o *OPA) Close() { o.transport.CloseIdleConnections() }

// segReader reads three byte slices in turn.
type segReader struct {
	segs [3][]byte
	i    int
}

func (r *segReader) Read(p []byte) (int, error) {
	n := 0
	for r.i < len(r.segs) && n < len(p) {
		c := copy(p[n:], r.segs[r.i])
		r.segs[r.i] = r.segs[r.i][c:]
		n += c
		if len(r.segs[r.i]) == 0 {
			r.i++
		}
	}
	if n == 0 && r.i == len(r.segs) {
		return 0, io.EOF
	}
	return n, nil
}

func (r *segReader) Close() error { return nil }
