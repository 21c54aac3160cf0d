// Package security_test runs the attack table of Warden's security layers
// end to end against the real server (server.New, as `warden serve`
// builds it): gRPC and the HTTP/JSON gateway over TLS on 127.0.0.1, caller
// authentication and the rate limit as interceptors, session resolution
// and the policy engine in the handler, JWKS and webhook servers on
// loopback, every token signed with keys made in the test. Each attack
// must fail with an exact status and reason, and no decision may leak: no
// response comes with the error, and the server's own metrics show no
// decision made and no admin call answered.
package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/callerauth/callerauthtest"
	"github.com/wardenpdp/warden/server/session"
)

// notesPolicy is a one-table policy in Hasura's metadata layout.
var notesPolicy = fstest.MapFS{
	"schema.yaml": {Data: []byte(`tables:
  - name: public.notes
    columns:
      - {name: id, type: integer}
      - {name: owner_id, type: integer, nullable: false}
      - {name: title, type: text, nullable: false}
    primary_key: [id]
`)},
	"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  configuration: {connection_info: {database_url: postgres://ignored}}
  tables: "!include default/tables/tables.yaml"
`)},
	"databases/default/tables/tables.yaml": {Data: []byte(`- "!include public_notes.yaml"
`)},
	"databases/default/tables/public_notes.yaml": {Data: []byte(`table: {schema: public, name: notes}
select_permissions:
  - role: user
    permission:
      columns: [id, owner_id, title]
      filter: {owner_id: {_eq: X-Hasura-User-Id}}
  - role: titled
    permission:
      columns: [id, title]
      filter: {title: {_eq: X-Hasura-Title}}
  - role: anonymous
    permission:
      columns: [id]
      filter: {}
insert_permissions:
  - role: user
    permission:
      check: {owner_id: {_eq: X-Hasura-User-Id}}
      columns: [title]
      backend_only: true
`)},
}

func loadNotes(t *testing.T) *engine.Set {
	t.Helper()
	return loadPolicy(t, notesPolicy)
}

// loadPolicy loads a policy set in Hasura's metadata layout.
func loadPolicy(t *testing.T, fs fstest.MapFS) *engine.Set {
	t.Helper()
	ctx := context.Background()
	p, err := load.FS(ctx, fs, "test:policy")
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// maxRecvMsgSize is the harness's request limit; maxRows its row limit.
const (
	maxRecvMsgSize = 64 << 10
	maxRows        = 10
)

type harness struct {
	addr     string // gRPC
	httpAddr string // HTTP: metrics and the gateway
	ca       *callerauthtest.CA
	keys     map[string]string // caller id -> API key
	mtls     *callerauthtest.Leaf
	logs     *syncBuffer
	cfg      server.Config
}

// start serves the notes policy with the real server — server.New, TLS
// from files with client certificates, the callers below as --api-keys
// would configure them — and the given session configuration.
func start(t *testing.T, sessions session.Config, edit ...func(*server.Config)) *harness {
	t.Helper()
	return startPolicy(t, loadNotes(t), sessions, edit...)
}

// startPolicy is start with another policy set.
func startPolicy(t *testing.T, set *engine.Set, sessions session.Config, edit ...func(*server.Config)) *harness {
	t.Helper()
	h := &harness{ca: callerauthtest.NewCA(t, "test CA"), keys: map[string]string{}, logs: &syncBuffer{}}
	dir := t.TempDir()
	srvLeaf := h.ca.Server(t)
	cfg := server.DefaultConfig()
	cfg.MaxRecvMsgSize, cfg.MaxRows = maxRecvMsgSize, maxRows
	cfg.Callers.TLSCertFile = callerauthtest.WriteFile(t, dir, "tls.crt", srvLeaf.CertPEM)
	cfg.Callers.TLSKeyFile = callerauthtest.WriteFile(t, dir, "tls.key", srvLeaf.KeyPEM)
	cfg.Callers.TLSClientCAFile = callerauthtest.WriteFile(t, dir, "ca.crt", h.ca.PEM)
	cfg.Callers.RateLimit, cfg.Callers.RateBurst = 1000, 1000
	cfg.Sessions = sessions
	var entries []callerauth.Entry
	for _, e := range []callerauth.Entry{
		{ID: "checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}},
		{ID: "filterer", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantFilter}},
		{ID: "gateway", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck, callerauth.GrantTrustedSession}},
		{ID: "ops", Level: callerauth.LevelAdmin},
	} {
		key, hash, err := callerauth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash, h.keys[e.ID] = hash, key
		entries = append(entries, e)
	}
	h.mtls = h.ca.Client(t, callerauthtest.Identity{URIs: []string{"spiffe://test/checker"}})
	entries = append(entries, callerauth.Entry{ID: "mtls-checker", Level: callerauth.LevelUser,
		Grants: []callerauth.Grant{callerauth.GrantCheck}, Certificate: &callerauth.CertificateMatch{URI: "spiffe://test/checker"}})
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Callers.APIKeys = string(b)
	for _, e := range edit {
		e(&cfg)
	}
	h.cfg = cfg
	srv, err := server.New(cfg, set, server.WithLogger(slog.New(slog.NewJSONHandler(h.logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr, h.httpAddr = grpcLis.Addr().String(), httpLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, grpcLis, httpLis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// https is a client of the HTTP listener, over TLS, presenting leaf if
// given.
func (h *harness) https(t *testing.T, leaf *callerauthtest.Leaf) *http.Client {
	t.Helper()
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: clientTLS(t, h.ca, leaf), DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second}}
}

// served counts what the server did, from its own metrics: the row
// decisions the engine made, and the admin calls that succeeded. An attack
// must change neither.
func (h *harness) served(t *testing.T) (decisions, adminOK int) {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://"+h.httpAddr+"/metrics", nil)
	req.Header.Set(callerauth.APIKeyMetadata, h.keys["ops"])
	resp, err := h.https(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		n, _ := strconv.ParseFloat(fields[1], 64)
		switch {
		case strings.HasPrefix(line, "warden_decisions_total{"):
			decisions += int(n)
		case strings.HasPrefix(line, `grpc_server_handled_total{grpc_code="OK",grpc_method="GetStatus"`):
			adminOK += int(n)
		}
	}
	return decisions, adminOK
}

// credentialsFor is TLS trusting the test CA, with the client
// certificate if given.
func credentialsFor(t *testing.T, h *harness, leaf *callerauthtest.Leaf) credentials.TransportCredentials {
	t.Helper()
	return credentials.NewTLS(clientTLS(t, h.ca, leaf))
}

func deadline(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), 10*time.Second)
}
