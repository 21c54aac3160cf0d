package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/wardenpdp/warden/policy/examples"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/reload"
)

// runAsMainEnv makes the test binary run main() instead of the tests: the
// signal test runs `warden serve` as a process of its own, so that SIGHUP
// reaches one server and nothing else.
const runAsMainEnv = "WARDEN_TEST_RUN_AS_MAIN"

// copyBlog writes the blog example to a directory of the test's.
func copyBlog(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policy")
	if err := os.CopyFS(dir, examples.Blog()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func appendTo(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// waitForStatus polls GetStatus until ok holds, for at most 20 s.
func waitForStatus(t *testing.T, admin wardenv1.AdminServiceClient, what string, ok func(*wardenv1.GetStatusResponse) bool) *wardenv1.GetStatusResponse {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := admin.GetStatus(context.Background(), &wardenv1.GetStatusRequest{})
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s; status %v, %v", what, st, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestServeReloadsOnSIGHUP runs `warden serve --watch=false` as a process
// and sends it SIGHUP: the changed policy set goes live, the process keeps
// serving, and SIGTERM still stops it cleanly.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	dir := copyBlog(t)
	keys, keysFlag := apiKeys(t)
	cmd := exec.Command(os.Args[0], "serve", "--policy", dir, "--watch=false",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--api-keys", keysFlag, "--log-format", "json")
	cmd.Env = append(os.Environ(), runAsMainEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs strings.Builder
	addr := make(chan string, 1)
	go func() {
		// Read the log to its end (the pipe must not fill up), taking the
		// gRPC address from the "grpc listening" line.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, "grpc listening on ") {
				addr <- rec.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	var grpcAddr string
	select {
	case grpcAddr = <-addr:
	case err := <-exited:
		t.Fatalf("serve exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not listen within 60s")
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(keyCreds(keys["ops"])))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := wardenv1.NewAdminServiceClient(conn)
	st0 := waitForStatus(t, admin, "the server", func(*wardenv1.GetStatusResponse) bool { return true })
	if st0.GetWatching() {
		t.Errorf("watching with --watch=false")
	}

	appendTo(t, filepath.Join(dir, "databases", "default", "tables", "public_articles.yaml"), "# edited\n")
	// Not watching: nothing changes until the signal.
	time.Sleep(300 * time.Millisecond)
	if st := waitForStatus(t, admin, "the status", func(*wardenv1.GetStatusResponse) bool { return true }); st.GetRevision() != st0.GetRevision() {
		t.Fatalf("revision changed without a signal or a watch: %s", st.GetRevision())
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The set goes live a moment before its attempt is recorded: wait for both.
	st := waitForStatus(t, admin, "the reload on SIGHUP", func(st *wardenv1.GetStatusResponse) bool {
		return st.GetRevision() != st0.GetRevision() && st.GetLastReload() != nil
	})
	if last := st.GetLastReload(); last.GetTrigger() != reload.TriggerSignal || last.GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_LOADED {
		t.Errorf("last reload = %v, want LOADED on a signal", last)
	}

	// A second SIGHUP with nothing changed: unchanged, still serving.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitForStatus(t, admin, "the unchanged reload", func(s *wardenv1.GetStatusResponse) bool {
		return s.GetLastReload().GetOutcome() == wardenv1.ReloadOutcome_RELOAD_OUTCOME_UNCHANGED && s.GetRevision() == st.GetRevision()
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
}

// TestServeDevEmbeddedNotWatched: the embedded example has nothing to
// watch or reload, and says so.
func TestServeDevEmbeddedNotWatched(t *testing.T) {
	r := startServer(t)
	st, err := r.admin().GetStatus(context.Background(), &wardenv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetSourceKind() != wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_EMBEDDED || st.GetWatching() {
		t.Errorf("status of the embedded example = %v", st)
	}
	resp, err := r.admin().Reload(context.Background(), &wardenv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetPolicy().GetOutcome() != wardenv1.ReloadOutcome_RELOAD_OUTCOME_NOT_RELOADABLE || resp.GetRevision() != st.GetRevision() {
		t.Errorf("Reload of the embedded example = %v", resp)
	}
}

// TestServeWatchesPolicyDir: serve --policy DIR reloads a changed file by
// itself, and reports the problems of a broken one without loading it.
func TestServeWatchesPolicyDir(t *testing.T) {
	dir := copyBlog(t)
	r := startServer(t, "--policy", dir, "--reload-debounce", "50ms")
	st0 := waitForStatus(t, r.admin(), "the server", func(*wardenv1.GetStatusResponse) bool { return true })
	if st0.GetSourceKind() != wardenv1.PolicySourceKind_POLICY_SOURCE_KIND_DIRECTORY || !st0.GetWatching() {
		t.Fatalf("status = %v, want a watched directory", st0)
	}
	appendTo(t, filepath.Join(dir, "schema.yaml"), "# edited\n")
	st := waitForStatus(t, r.admin(), "the reload", func(st *wardenv1.GetStatusResponse) bool { return st.GetRevision() != st0.GetRevision() })

	appendTo(t, filepath.Join(dir, "inherited_roles.yaml"), "\tbroken\n")
	failed := waitForStatus(t, r.admin(), "the failed reload", func(st *wardenv1.GetStatusResponse) bool { return st.GetLastFailedReload() != nil })
	if failed.GetRevision() != st.GetRevision() || failed.GetLastFailedReload().GetProblemCount() == 0 ||
		failed.GetLastFailedReload().GetProblems()[0].GetFile() != "inherited_roles.yaml" {
		t.Errorf("after a broken change: %v", failed)
	}
	if !strings.Contains(r.stderr.String(), `"msg":"policy problem"`) || !strings.Contains(r.stderr.String(), "inherited_roles.yaml") {
		t.Errorf("the problem is not logged:\n%s", r.stderr)
	}
}
