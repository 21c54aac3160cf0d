package decisionlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// WriterSink writes one JSON event per line (NDJSON).
type WriterSink struct {
	name string
	w    io.Writer
	buf  bytes.Buffer
}

// NewWriterSink writes NDJSON to w (os.Stdout, say).
func NewWriterSink(name string, w io.Writer) *WriterSink { return &WriterSink{name: name, w: w} }

// NewFileSink writes NDJSON to path, rotated when it reaches maxMiB
// (lumberjack: the rotated files are kept beside it, at most backups of
// them; 0 keeps all).
func NewFileSink(path string, maxMiB, backups int) *WriterSink {
	return &WriterSink{name: "file", w: &lumberjack.Logger{Filename: path, MaxSize: maxMiB, MaxBackups: backups}}
}

func (s *WriterSink) Name() string { return s.name }

// MaxBatch lets one write carry many lines.
func (s *WriterSink) MaxBatch() int { return 256 }

func (s *WriterSink) Write(_ context.Context, batch []*Event) error {
	s.buf.Reset()
	for _, e := range batch {
		// MarshalJSON directly: json.Encoder would re-scan its output.
		b, err := e.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.DecisionID, err)
		}
		s.buf.Write(b)
		s.buf.WriteByte('\n')
	}
	_, err := s.w.Write(s.buf.Bytes())
	return err
}

func (s *WriterSink) Close(context.Context) error {
	if c, ok := s.w.(io.Closer); ok {
		if _, isFile := s.w.(*lumberjack.Logger); isFile {
			return c.Close()
		}
	}
	return nil
}

// HTTPSink posts batches as a gzip-compressed JSON array of events (OPA's
// decision-log upload: POST, Content-Type application/json,
// Content-Encoding gzip), retrying a failed upload with exponential
// backoff. What it cannot deliver after its retries is dropped and
// counted; the bounded queue in front of it is the buffer.
type HTTPSink struct {
	URL     string
	Headers http.Header
	Client  *http.Client
	// Batch is the most events per upload (default 500); FlushEvery the
	// longest an event waits for its batch to fill (default 1 s).
	Batch      int
	FlushEvery time.Duration
	// Retries after the first attempt (default 5), waiting MinBackoff,
	// doubling up to MaxBackoff (defaults 100 ms and 10 s).
	Retries                int
	MinBackoff, MaxBackoff time.Duration

	once sync.Once
	stop chan struct{}
}

func (s *HTTPSink) init() {
	s.once.Do(func() {
		if s.Client == nil {
			s.Client = &http.Client{Timeout: 10 * time.Second}
		}
		if s.Batch <= 0 {
			s.Batch = 500
		}
		if s.FlushEvery <= 0 {
			s.FlushEvery = time.Second
		}
		if s.Retries == 0 {
			s.Retries = 5
		}
		if s.MinBackoff <= 0 {
			s.MinBackoff = 100 * time.Millisecond
		}
		if s.MaxBackoff <= 0 {
			s.MaxBackoff = 10 * time.Second
		}
		s.stop = make(chan struct{})
	})
}

func (s *HTTPSink) Name() string { return "http" }

func (s *HTTPSink) MaxBatch() int { s.init(); return s.Batch }

// FlushInterval makes the queue wait for a batch to fill.
func (s *HTTPSink) FlushInterval() time.Duration { s.init(); return s.FlushEvery }

// errPermanent marks an upload the receiver refused for good (a 4xx
// other than 408 and 429): retrying would not help.
var errPermanent = errors.New("refused by the receiver")

func (s *HTTPSink) Write(ctx context.Context, batch []*Event) error {
	s.init()
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	_, _ = zw.Write([]byte{'['})
	for i, e := range batch {
		b, err := e.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.DecisionID, err)
		}
		if i > 0 {
			_, _ = zw.Write([]byte{','})
		}
		_, _ = zw.Write(b)
	}
	_, _ = zw.Write([]byte{']'})
	if err := zw.Close(); err != nil {
		return err
	}
	wait := s.MinBackoff
	var err error
	for attempt := 0; ; attempt++ {
		if err = s.post(ctx, body.Bytes()); err == nil || errors.Is(err, errPermanent) || attempt == s.Retries {
			return err
		}
		select {
		case <-time.After(wait):
		case <-s.stop:
			return fmt.Errorf("closing: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, s.MaxBackoff)
	}
}

func (s *HTTPSink) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	for k, vs := range s.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return errors.New("receiver answered " + strconv.Itoa(resp.StatusCode))
	default:
		return fmt.Errorf("%w: it answered %d", errPermanent, resp.StatusCode)
	}
}

// Close stops waiting between retries: a batch being retried is given up.
func (s *HTTPSink) Close(context.Context) error {
	s.init()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	return nil
}
