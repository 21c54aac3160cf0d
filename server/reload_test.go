package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/reload"
)

// blogDir writes the blog example to a directory of its own, with its
// schema moved out to another directory (as --schema FILE names it), and
// returns both paths.
func blogDir(t *testing.T) (dir, schema string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "policy")
	if err := os.CopyFS(dir, examples.Blog()); err != nil {
		t.Fatal(err)
	}
	schema = filepath.Join(t.TempDir(), "schema.yaml")
	if err := os.Rename(filepath.Join(dir, "schema.yaml"), schema); err != nil {
		t.Fatal(err)
	}
	return dir, schema
}

// dirSource loads dir with the schema file, as serve --policy DIR --schema
// FILE does.
func dirSource(dir, schema string) PolicySource {
	return PolicySource{
		Kind: SourceDirectory,
		Load: func(ctx context.Context) (*engine.Set, error) {
			p, err := load.Dir(ctx, dir, load.WithSchemaFile(schema))
			if err != nil {
				return nil, err
			}
			return engine.New(ctx, p)
		},
		Watch: []reload.Path{reload.Dir(dir), reload.File(schema)},
	}
}

// startBlog serves the blog example from a directory, watched with a
// short debounce, and returns the server and the files.
func startBlog(t *testing.T, cfg Config) (ts *testServer, dir, schema string) {
	t.Helper()
	dir, schema = blogDir(t)
	src := dirSource(dir, schema)
	set, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ReloadDebounce = 50 * time.Millisecond
	return startTest(t, cfg, set, WithPolicySource(src)), dir, schema
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// replaceFile writes name as editors do: a new file renamed over it.
func replaceFile(t *testing.T, name, content string) {
	t.Helper()
	tmp := name + ".tmp~"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitStatus polls GetStatus until ok holds, for at most 10 s.
func waitStatus(t *testing.T, admin wardenv1.AdminServiceClient, what string, ok func(*wardenv1.GetStatusResponse) bool) *wardenv1.GetStatusResponse {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := admin.GetStatus(context.Background(), &wardenv1.GetStatusRequest{})
		if err != nil {
			t.Fatalf("GetStatus: %v", err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s; status: %v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// userCheck asks whether role user of organisation 1 may select user 1.
func userCheck() *wardenv1.CheckRequest {
	v, _ := structpb.NewStruct(map[string]any{"id": 1, "org_id": 1, "name": "Ann", "email": "ann@example.com"})
	return &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{SessionVariables: map[string]string{"X-Hasura-Role": "user", "X-Hasura-Org-Id": "1", "X-Hasura-User-Id": "1"}},
		Table:     "users",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows:      []*wardenv1.Row{{Id: "1", Values: v}},
	}
}

func TestReloadOnFileChange(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	ts, dir, schema := startBlog(t, DefaultConfig())
	cc := ts.conn(t, "gateway")
	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	authz := wardenv1.NewAuthorizationServiceClient(cc)
	ctx := context.Background()

	st0, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st0.GetSourceKind() != wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_DIRECTORY || !st0.GetWatching() || st0.GetLastReload() != nil {
		t.Fatalf("status at start = %v, want a watched directory and no reload yet", st0)
	}

	// Each change is to a file the revision hashes; every step waits for a
	// new revision and then sees it in a decision.
	revs := []string{st0.GetRevision()}
	step := func(name string, change func()) {
		t.Run(name, func(t *testing.T) {
			prev := revs[len(revs)-1]
			change()
			// The set goes live a moment before its attempt is recorded.
			st := waitStatus(t, admin, "a new revision", func(st *wardenv1.GetStatusResponse) bool {
				return st.GetRevision() != prev && st.GetLastReload().GetRevision() == st.GetRevision()
			})
			if last := st.GetLastReload(); last.GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_LOADED ||
				last.GetTrigger() != reload.TriggerFileChange || last.GetRevision() != st.GetRevision() {
				t.Errorf("last reload = %v, want LOADED by a file change, revision %s", last, st.GetRevision())
			}
			if !st.GetLoadedAt().AsTime().After(st0.GetLoadedAt().AsTime()) {
				t.Errorf("loaded_at %v not after the start's %v", st.GetLoadedAt().AsTime(), st0.GetLoadedAt().AsTime())
			}
			resp, err := authz.Check(ctx, userCheck())
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetRevision() != st.GetRevision() {
				t.Errorf("Check revision %s, want the reloaded %s", resp.GetRevision(), st.GetRevision())
			}
			revs = append(revs, st.GetRevision())
		})
	}
	users := filepath.Join(dir, "databases", "default", "tables", "public_users.yaml")
	step("an !include'd table file, appended to", func() { appendFile(t, users, "# edited\n") })
	step("an !include'd table file, renamed over", func() { replaceFile(t, users, readFile(t, users)+"# replaced\n") })
	step("the schema file outside the directory", func() { appendFile(t, schema, "# schema edited\n") })
	moved := filepath.Join(dir, "databases", "default", "tables", "more", "users.yaml")
	step("a table file moved to a new subdirectory", func() {
		if err := os.MkdirAll(filepath.Dir(moved), 0o700); err != nil {
			t.Fatal(err)
		}
		replaceFile(t, moved, readFile(t, users))
		tables := filepath.Join(dir, "databases", "default", "tables", "tables.yaml")
		replaceFile(t, tables, strings.Replace(readFile(t, tables), `- "!include public_users.yaml"`, `- "!include more/users.yaml"`, 1))
	})
	// The new directory is watched too.
	step("a file in the new subdirectory", func() { appendFile(t, moved, "# edited where it moved\n") })
	distinct := map[string]bool{}
	for _, r := range revs {
		distinct[r] = true
	}
	if len(distinct) != 6 {
		t.Errorf("revisions %v: want 6 distinct", revs)
	}
}

func TestReloadBrokenChangeKeepsServing(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	ts, dir, _ := startBlog(t, DefaultConfig())
	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	health := healthpb.NewHealthClient(ts.conn(t, ""))
	ctx := context.Background()
	st0, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}

	users := filepath.Join(dir, "databases", "default", "tables", "public_users.yaml")
	good := readFile(t, users)
	// A tab where YAML wants spaces, at a known line.
	broken := strings.Replace(good, "select_permissions:\n", "select_permissions:\n\tbroken: true\n", 1)
	if broken == good {
		t.Fatal("the example changed: no select_permissions to break")
	}
	brokenLine := strings.Count(broken[:strings.Index(broken, "\tbroken")], "\n") + 1
	replaceFile(t, users, broken)

	st := waitStatus(t, admin, "a failed reload", func(st *wardenv1.GetStatusResponse) bool { return st.GetLastFailedReload() != nil })
	failed := st.GetLastFailedReload()
	if st.GetRevision() != st0.GetRevision() || !st.GetLoadedAt().AsTime().Equal(st0.GetLoadedAt().AsTime()) {
		t.Errorf("revision %s loaded %v after a broken change, want %s loaded %v still", st.GetRevision(), st.GetLoadedAt().AsTime(), st0.GetRevision(), st0.GetLoadedAt().AsTime())
	}
	if failed.GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_FAILED || failed.GetRevision() != "" || failed.GetProblemCount() < 1 {
		t.Errorf("last failed reload = %v", failed)
	}
	found := false
	for _, p := range failed.GetProblems() {
		found = found || (p.GetFile() == "databases/default/tables/public_users.yaml" && p.GetLine() == int32(brokenLine) && strings.Contains(p.GetMessage(), "syntax error"))
	}
	if !found {
		t.Errorf("problems %v: want a syntax error at public_users.yaml:%d", failed.GetProblems(), brokenLine)
	}
	if h, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health = %v, %v; want SERVING", h, err)
	}
	resp, err := authz.Check(ctx, userCheck())
	if err != nil || resp.GetRevision() != st0.GetRevision() || resp.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW {
		t.Errorf("Check after a broken change = %v, %v; want ALLOW on revision %s", resp, err, st0.GetRevision())
	}

	// Reload on demand reports the same problems; fixing the file loads,
	// and the failure stays visible as the last failed one.
	r, err := admin.Reload(ctx, &wardenv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_FAILED || r.GetPolicy().GetTrigger() != reload.TriggerAdminCall ||
		r.GetPolicy().GetProblemCount() != failed.GetProblemCount() || r.GetRevision() != st0.GetRevision() {
		t.Errorf("Reload of the broken set = %v", r)
	}
	replaceFile(t, users, good+"# fixed\n")
	st = waitStatus(t, admin, "the fixed set", func(st *wardenv1.GetStatusResponse) bool {
		return st.GetRevision() != st0.GetRevision() && st.GetLastReload().GetRevision() == st.GetRevision()
	})
	if st.GetLastReload().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_LOADED || st.GetLastFailedReload().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_FAILED {
		t.Errorf("after the fix: last %v, last failed %v", st.GetLastReload(), st.GetLastFailedReload())
	}

	t.Run("metrics count reloads by outcome", func(t *testing.T) {
		body := scrape(t, ts)
		if strings.Contains(body, `warden_policy_reloads_total{outcome="failed"} 0`) {
			t.Error("no failed reload counted")
		}
		for _, want := range []string{
			`warden_policy_reloads_total{outcome="failed"} `,
			`warden_policy_reloads_total{outcome="loaded"} 1`,
			`warden_policy_revision_info{revision="` + st.GetRevision() + `"} 1`,
			`warden_policy_last_reload_success_timestamp_seconds `,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+ts.httpAddr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Warden-Api-Key", ts.keys["scraper"])
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func TestReloadAdminCall(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	cfg := DefaultConfig()
	cfg.Watch = false // only the call reloads
	ts, dir, _ := startBlog(t, cfg)
	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	ctx := context.Background()
	st0, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st0.GetWatching() {
		t.Error("watching with --watch=false")
	}

	r, err := admin.Reload(ctx, &wardenv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_UNCHANGED || r.GetRevision() != st0.GetRevision() {
		t.Errorf("Reload with nothing changed = %v", r)
	}
	if r.GetCallerKeys().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_NOT_RELOADABLE {
		t.Errorf("caller keys without --api-keys-file: %v, want NOT_RELOADABLE", r.GetCallerKeys())
	}

	appendFile(t, filepath.Join(dir, "inherited_roles.yaml"), "# edited\n")
	r, err = admin.Reload(ctx, &wardenv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_LOADED || r.GetRevision() == st0.GetRevision() || r.GetPolicy().GetRevision() != r.GetRevision() {
		t.Errorf("Reload after a change = %v", r)
	}

	for _, caller := range []string{"checker", "gateway", "scraper"} {
		_, err := wardenv1.NewAdminServiceClient(ts.conn(t, caller)).Reload(ctx, &wardenv1.ReloadRequest{})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("Reload by %s: %v, want PermissionDenied", caller, err)
		}
	}
	if _, err := wardenv1.NewAdminServiceClient(ts.conn(t, "")).Reload(ctx, &wardenv1.ReloadRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Reload without a key: %v, want Unauthenticated", err)
	}
}

func TestReloadNotReloadable(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	ts := startTest(t, DefaultConfig(), notesPolicy(t), WithPolicySource(PolicySource{Kind: SourceEmbedded}))
	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	r, err := admin.Reload(context.Background(), &wardenv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_NOT_RELOADABLE || r.GetRevision() != "rev1" {
		t.Errorf("Reload of the embedded example = %v", r)
	}
	st, err := admin.GetStatus(context.Background(), &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetSourceKind() != wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_EMBEDDED || st.GetWatching() || st.GetLastFailedReload() != nil {
		t.Errorf("status = %v", st)
	}
}

// TestReloadUnderLoad reloads several times while Check calls run: no
// call fails, and every answer carries one of the revisions that were
// live. Run it with -race.
func TestReloadUnderLoad(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	cfg := DefaultConfig()
	cfg.Watch = false // the test decides when to reload
	ts, dir, _ := startBlog(t, cfg)
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	ctx := context.Background()

	valid := sync.Map{} // revision -> true
	valid.Store(ts.srv.current().set.Revision(), true)
	stop := make(chan struct{})
	var calls, failures atomic.Int64
	var mu sync.Mutex
	var seen []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := authz.Check(ctx, userCheck())
				calls.Add(1)
				if err != nil || resp.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW {
					failures.Add(1)
					t.Errorf("Check during reloads: %v, %v", resp, err)
					continue
				}
				mu.Lock()
				seen = append(seen, resp.GetRevision())
				mu.Unlock()
			}
		})
	}

	inherited := filepath.Join(dir, "inherited_roles.yaml")
	const reloads = 6
	for i := range reloads {
		appendFile(t, inherited, "# reload\n")
		if i%2 == 1 {
			// A broken change between good ones: it must not go live.
			appendFile(t, inherited, "\tnot yaml: [\n")
			if r := ts.srv.Reload(ctx, "test"); r.Policy.Outcome != reload.Failed {
				t.Fatalf("reload %d of a broken set: %v", i, r.Policy.Outcome)
			}
			replaceFile(t, inherited, strings.Replace(readFile(t, inherited), "\tnot yaml: [\n", "", 1))
		}
		r := ts.srv.Reload(ctx, "test")
		if r.Policy.Outcome != reload.Loaded {
			t.Fatalf("reload %d: %v (%v)", i, r.Policy.Outcome, r.Policy.Err)
		}
		valid.Store(r.Policy.Revision, true)
		time.Sleep(20 * time.Millisecond) // let calls land on this revision
	}
	close(stop)
	wg.Wait()

	if failures.Load() != 0 {
		t.Errorf("%d of %d calls failed", failures.Load(), calls.Load())
	}
	distinct := map[string]bool{}
	for _, r := range seen {
		if _, ok := valid.Load(r); !ok {
			t.Errorf("an answer on revision %s, never live", r)
		}
		distinct[r] = true
	}
	if len(distinct) < 2 {
		t.Errorf("answers saw %d revision(s) over %d reloads: the load did not overlap the swaps", len(distinct), reloads)
	}
	t.Logf("%d calls over %d reloads, %d revisions seen", calls.Load(), reloads, len(distinct))
}

// TestReloadCallerKeys rotates a key through --api-keys-file without a
// restart: the new key works once listed, both work while both are
// listed, the old one is refused from the call after its removal, and a
// broken file keeps the last good keys.
func TestReloadCallerKeys(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server and its clients stop
	oldKey, oldHash, err := callerauth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	newKey, newHash, err := callerauth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(t.TempDir(), "callers.yaml")
	entry := func(id, hash string) string {
		return "- id: " + id + "\n  hash: " + hash + "\n  level: user\n  grants: [check, trusted-session]\n"
	}
	if err := os.WriteFile(keysFile, []byte(entry("svc-old", oldHash)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Callers.APIKeysFile = keysFile
	cfg.ReloadDebounce = 50 * time.Millisecond
	ts := startTest(t, cfg, notesPolicy(t))
	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	ctx := context.Background()

	// One connection per key, kept open throughout: a removed key is
	// refused on the connection it was used on.
	clients := map[string]wardenv1.AuthorizationServiceClient{}
	check := func(key string) error {
		if clients[key] == nil {
			ts.keys[key] = key
			clients[key] = wardenv1.NewAuthorizationServiceClient(ts.conn(t, key))
		}
		_, err := clients[key].Check(ctx, &wardenv1.CheckRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}},
			Table:     "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
			Rows: []*wardenv1.Row{{Id: "1", Values: &structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewNumberValue(1), "owner_id": structpb.NewNumberValue(1)}}}},
		})
		return err
	}
	waitKeys := func(what string, prev string) string {
		t.Helper()
		st := waitStatus(t, admin, what, func(st *wardenv1.GetStatusResponse) bool {
			return st.GetLastCallerKeysReload() != nil && st.GetLastCallerKeysReload().GetFinishedAt().AsTime().String() != prev
		})
		return st.GetLastCallerKeysReload().GetFinishedAt().AsTime().String()
	}

	if err := check(oldKey); err != nil {
		t.Fatalf("the listed key: %v", err)
	}
	if err := check(newKey); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a key not listed yet: %v, want Unauthenticated", err)
	}

	replaceFile(t, keysFile, entry("svc-old", oldHash)+entry("svc-new", newHash))
	at := waitKeys("the keys file with both keys", "")
	if err := check(newKey); err != nil {
		t.Errorf("the new key, listed: %v", err)
	}
	if err := check(oldKey); err != nil {
		t.Errorf("the old key, still listed: %v", err)
	}

	replaceFile(t, keysFile, entry("svc-new", newHash))
	at = waitKeys("the keys file without the old key", at)
	if err := check(oldKey); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the removed key: %v, want Unauthenticated", err)
	}
	if err := check(newKey); err != nil {
		t.Errorf("the new key: %v", err)
	}

	for name, content := range map[string]string{
		"not YAML":      "- id: [\n",
		"an empty file": "",
		"a bad hash":    "- id: svc-new\n  hash: sha256:zz\n  level: user\n",
	} {
		t.Run("broken file: "+name, func(t *testing.T) {
			replaceFile(t, keysFile, content)
			at = waitKeys("the broken keys file", at)
			st, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if last := st.GetLastCallerKeysReload(); last.GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_FAILED || last.GetError() == "" {
				t.Errorf("last caller keys reload = %v, want FAILED with its reason", last)
			}
			if err := check(newKey); err != nil {
				t.Errorf("the last good key after a broken file: %v", err)
			}
			if err := check(oldKey); status.Code(err) != codes.Unauthenticated {
				t.Errorf("the removed key after a broken file: %v", err)
			}
		})
	}
	// A file event may come as two reloads (the second unchanged or failed
	// again): only the loaded count is exact.
	if body := scrape(t, ts); strings.Contains(body, `warden_caller_keys_reloads_total{outcome="failed"} 0`) ||
		!strings.Contains(body, `warden_caller_keys_reloads_total{outcome="loaded"} 2`) {
		t.Errorf("caller keys reload metrics:\n%s", grepLines(body, "warden_caller_keys_reloads_total"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
