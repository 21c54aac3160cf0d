package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/wardenpdp/warden/policy/bundle"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// fleetPoll is the replicas' --bundle-poll-interval in the fleet test.
const fleetPoll = 2 * time.Second

// bundleServer publishes one bundle over HTTP as an object store does: a
// quoted ETag of the content, 304 on a matching If-None-Match.
type bundleServer struct {
	mu   sync.Mutex
	data []byte
}

func (b *bundleServer) publish(data []byte) {
	b.mu.Lock()
	b.data = data
	b.mu.Unlock()
}

func (b *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	data := b.data
	b.mu.Unlock()
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(data))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Write(data)
}

// replica is one `warden serve` process.
type replica struct {
	cmd      *exec.Cmd
	grpcAddr string
	logs     *syncBuffer
	done     chan error
}

func (r *replica) stop(t *testing.T) {
	t.Helper()
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		t.Errorf("replica %s did not stop within 20s of SIGTERM", r.grpcAddr)
	}
}

// startReplica runs the binary with args and waits for its gRPC address in
// its log.
func startReplica(t *testing.T, bin string, args ...string) *replica {
	t.Helper()
	r := &replica{logs: &syncBuffer{}, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	pr, pw := io.Pipe()
	r.cmd.Stderr = pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.logs.Write([]byte(line + "\n"))
			var l struct{ Msg string }
			if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Msg, "grpc listening on ") {
				select {
				case addr <- strings.TrimPrefix(l.Msg, "grpc listening on "):
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := r.cmd.Wait()
		pw.Close()
		r.done <- err
	}()
	t.Cleanup(func() { r.stop(t) })
	select {
	case r.grpcAddr = <-addr:
	case err := <-r.done:
		t.Fatalf("replica exited before listening: %v\n%s", err, r.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("replica did not listen within 30s\n%s", r.logs)
	}
	return r
}

// wardenBinary is $WARDEN_BIN, or the binary built from this package.
func wardenBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("WARDEN_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "warden")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// variantDir copies the example policy set with a comment in its schema:
// each variant has its own revision and the same rules.
func variantDir(t *testing.T, variant string) string {
	t.Helper()
	src := os.DirFS("../../../policy/examples/blog")
	dir := t.TempDir()
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if err == nil {
				err = os.MkdirAll(filepath.Join(dir, p), 0o755)
			}
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err == nil && p == "schema.yaml" {
			data = append([]byte("# "+variant+"\n"), data...)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, p), data, 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func fleetBundle(t *testing.T, variant string, s *bundle.Signer) ([]byte, string) {
	t.Helper()
	b, _, err := bundle.FromDir(context.Background(), variantDir(t, variant), "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), b.Manifest.Revision
}

// TestFleet runs three replicas of the built binary on one bundle source,
// with a round-robin client under steady Check and Filter load: a new
// bundle is served by every replica within two poll intervals without a
// failed call; a badly signed and a broken bundle are refused by all;
// a replica restarted while the source is down serves its cached bundle.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the fleet test builds and runs three server processes")
	}
	bin := wardenBinary(t)
	start := time.Now()

	rsaKey := func() (*rsa.PrivateKey, []byte) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	key, priv := rsaKey()
	_, otherPriv := rsaKey()
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(t.TempDir(), "bundle.pub")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	signer, err := bundle.NewSigner("RS256", priv, "")
	if err != nil {
		t.Fatal(err)
	}
	otherSigner, err := bundle.NewSigner("RS256", otherPriv, "")
	if err != nil {
		t.Fatal(err)
	}

	v1, rev1 := fleetBundle(t, "v1", signer)
	v2, rev2 := fleetBundle(t, "v2", signer)
	badlySigned, _ := fleetBundle(t, "v3", otherSigner)
	// Signed with the right key, but its schema does not load.
	var brokenBuf bytes.Buffer
	if err := bundle.Write(&brokenBuf, &bundle.Bundle{
		Manifest: bundle.Manifest{Revision: "0123456789abcdef", Roots: []string{bundle.Root}, Metadata: map[string]any{bundle.FormatKey: bundle.Format}},
		Files:    map[string][]byte{"schema.yaml": []byte("tables: [oops\n"), "databases/databases.yaml": []byte("[]\n")},
	}, signer); err != nil {
		t.Fatal(err)
	}

	src := &bundleServer{}
	src.publish(v1)
	ts := httptest.NewServer(src)
	defer ts.Close()

	apiKey, hash, err := callerauth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keysJSON, _ := json.Marshal([]callerauth.Entry{{ID: "ops", Hash: hash, Level: callerauth.LevelAdmin}})
	flags := func(cacheDir string) []string {
		return []string{"--api-keys", string(keysJSON), "--bundle-url", ts.URL + "/warden.tar.gz",
			"--bundle-poll-interval", fleetPoll.String(), "--bundle-cache-dir", cacheDir,
			"--bundle-verification-key", pubFile}
	}
	caches := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	replicas := make([]*replica, 3)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { replicas[i] = startReplica(t, bin, flags(caches[i])...) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("three replicas listening after %s", time.Since(start).Round(time.Millisecond))

	dial := func(target string, opts ...grpc.DialOption) *grpc.ClientConn {
		conn, err := grpc.NewClient(target, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(keyCreds(apiKey)))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	rb := manual.NewBuilderWithScheme("fleet")
	var addrs []resolver.Address
	for _, r := range replicas {
		addrs = append(addrs, resolver.Address{Addr: r.grpcAddr})
	}
	rb.InitialState(resolver.State{Addresses: addrs})
	balanced := wardenv1.NewAuthorizationServiceClient(dial("fleet:///replicas", grpc.WithResolvers(rb),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`)))

	checkReq := articlesRequest(t)
	filterReq := &wardenv1.FilterRequest{Principal: checkReq.GetPrincipal(), Table: "public.articles", Operation: wardenv1.Operation_OPERATION_SELECT}

	// revisionOf asks one replica (not through the balancer).
	direct := make([]wardenv1.AuthorizationServiceClient, len(replicas))
	for i, r := range replicas {
		direct[i] = wardenv1.NewAuthorizationServiceClient(dial(r.grpcAddr))
	}
	revisionOf := func(c wardenv1.AuthorizationServiceClient) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.Check(ctx, checkReq)
		if err != nil {
			return "error: " + err.Error()
		}
		return resp.GetRevision()
	}
	for i, c := range direct {
		if got := revisionOf(c); got != rev1 {
			t.Fatalf("replica %d answers by %q, want %s", i, got, rev1)
		}
	}

	// Steady load through the balancer, Check and Filter in turn.
	var calls, failures atomic.Int64
	var firstFailure atomic.Value
	var perReplica sync.Map // peer address -> *atomic.Int64
	loadCtx, stopLoad := context.WithCancel(context.Background())
	var load sync.WaitGroup
	for w := range 4 {
		load.Go(func() {
			for i := 0; loadCtx.Err() == nil; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				var err error
				var p peer.Peer
				if (i+w)%2 == 0 {
					var resp *wardenv1.CheckResponse
					resp, err = balanced.Check(ctx, checkReq, grpc.Peer(&p))
					if err == nil && len(resp.GetDecisions()) != 2 {
						err = fmt.Errorf("Check answered %d rows, want 2", len(resp.GetDecisions()))
					}
				} else {
					_, err = balanced.Filter(ctx, filterReq, grpc.Peer(&p))
				}
				cancel()
				calls.Add(1)
				if p.Addr != nil {
					n, _ := perReplica.LoadOrStore(p.Addr.String(), new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
				}
				if err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	defer func() { stopLoad(); load.Wait() }()
	time.Sleep(300 * time.Millisecond)

	// A new bundle: every replica answers by it within two poll intervals.
	published := time.Now()
	src.publish(v2)
	switched := make([]time.Duration, len(replicas))
	for i, c := range direct {
		for revisionOf(c) != rev2 {
			if time.Since(published) > 2*fleetPoll {
				t.Fatalf("replica %d still answers by %s %s after publishing %s\n%s", i, revisionOf(c), 2*fleetPoll, rev2, replicas[i].logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		switched[i] = time.Since(published)
	}
	t.Logf("each replica answered by the new revision after %v (poll interval %s)", switched, fleetPoll)
	time.Sleep(300 * time.Millisecond)
	stopLoad()
	load.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d calls failed during the switch; first: %v", n, calls.Load(), firstFailure.Load())
	}
	spread := map[string]int64{}
	perReplica.Range(func(k, v any) bool { spread[k.(string)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d calls through the round-robin balancer, %d failed; by replica: %v", calls.Load(), failures.Load(), spread)
	for i, r := range replicas {
		if spread[r.grpcAddr] == 0 {
			t.Errorf("replica %d (%s) got no call from the balancer: %v", i, r.grpcAddr, spread)
		}
	}

	// A badly signed bundle, then a broken one: every replica refuses it
	// and keeps serving rev2.
	for _, bad := range []struct {
		name, logs, status string
		data               []byte
	}{
		{"badly signed", "does not verify", "does not verify", badlySigned},
		{"broken", "is invalid", "syntax error", brokenBuf.Bytes()},
	} {
		src.publish(bad.data)
		deadline := time.Now().Add(2*fleetPoll + time.Second)
		for i, r := range replicas {
			for !strings.Contains(r.logs.String(), bad.logs) {
				if time.Now().After(deadline) {
					t.Fatalf("%s bundle: replica %d logged no refusal (%q) within two poll intervals\n%s", bad.name, i, bad.logs, r.logs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := revisionOf(direct[i]); got != rev2 {
				t.Errorf("%s bundle: replica %d answers by %q, want %s kept", bad.name, i, got, rev2)
			}
			// The reload core records the refusal: GetStatus's last failed
			// reload says why, for a bundle that does not verify too.
			st, err := wardenv1.NewAdminServiceClient(dial(r.grpcAddr)).GetStatus(t.Context(), &wardenv1.GetStatusRequest{})
			if err != nil {
				t.Fatal(err)
			}
			lf := st.GetLastFailedReload()
			if why := lf.GetError() + fmt.Sprint(lf.GetProblems()); lf.GetTrigger() != triggerBundle || !strings.Contains(why, bad.status) {
				t.Errorf("%s bundle: replica %d GetStatus last failed reload = %v, want the bundle poll saying %q", bad.name, i, lf, bad.status)
			}
		}
	}

	// The reload core reports it: the bundle is the source, the last
	// reload a bundle poll, the broken bundle the last failed one; an
	// admin reload finds the live bundle unchanged.
	admin := wardenv1.NewAdminServiceClient(dial(replicas[1].grpcAddr))
	st, err := admin.GetStatus(t.Context(), &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetRevision() != rev2 || st.GetSourceKind() != wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_BUNDLE ||
		st.GetLastReload().GetTrigger() != triggerBundle || st.GetLastFailedReload().GetTrigger() != triggerBundle {
		t.Errorf("GetStatus: %v", st)
	}
	if r, err := admin.Reload(t.Context(), &wardenv1.ReloadRequest{}); err != nil || r.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_UNCHANGED || r.GetRevision() != rev2 {
		t.Errorf("Reload = %v, %v; want unchanged at %s", r, err, rev2)
	}

	// The source goes down; a replica restarts and serves its cached
	// bundle (rev2: the refused ones never reached the cache).
	ts.Close()
	replicas[0].stop(t)
	restarted := startReplica(t, bin, flags(caches[0])...)
	if got := revisionOf(wardenv1.NewAuthorizationServiceClient(dial(restarted.grpcAddr))); got != rev2 {
		t.Errorf("restarted replica answers by %q, want the cached %s\n%s", got, rev2, restarted.logs)
	}
	if !strings.Contains(restarted.logs.String(), "serving the cached bundle") {
		t.Errorf("restarted replica does not say it serves the cached bundle:\n%s", restarted.logs)
	}
	t.Logf("fleet test took %s after the build", time.Since(start).Round(time.Millisecond))
}
