package introspect_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/introspect"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// reachable says whether a local server answers; under CI=true it must.
func reachable(t *testing.T, driver, dsn string) bool {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable (%v), and under CI=true nothing that could run is skipped", driver, err)
	}
	return err == nil
}

func TestConnectFailure(t *testing.T) {
	port := closedPort(t)
	missing := filepath.Join(t.TempDir(), "missing.db")
	tests := []struct {
		name   string
		url    string
		shown  string // the URL as the error names it
		server [2]string
	}{
		{name: "postgres down", url: fmt.Sprintf("postgres://postgres:s3cret-pw@127.0.0.1:%d/test", port),
			shown: fmt.Sprintf("postgres://postgres:xxxxx@127.0.0.1:%d/test", port)},
		{name: "mysql down", url: fmt.Sprintf("mysql://root:s3cret-pw@127.0.0.1:%d/test", port),
			shown: fmt.Sprintf("mysql://root:xxxxx@127.0.0.1:%d/test", port)},
		{name: "sqlite file missing", url: missing, shown: missing},
		{name: "postgres bad credentials", url: "postgres://no_such_role:s3cret-pw@127.0.0.1:5432/test?sslmode=disable",
			shown:  "postgres://no_such_role:xxxxx@127.0.0.1:5432/test?sslmode=disable",
			server: [2]string{"pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"}},
		{name: "mysql bad credentials", url: "mysql://no_such_user:s3cret-pw@127.0.0.1:3306/test",
			shown:  "mysql://no_such_user:xxxxx@127.0.0.1:3306/test",
			server: [2]string{"mysql", "root@tcp(127.0.0.1:3306)/test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.server[0] != "" && !reachable(t, tt.server[0], tt.server[1]) {
				t.Skipf("%s is not reachable on 127.0.0.1: skipping", tt.server[0])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, _, err := introspect.Connect(ctx, tt.url)
			if err == nil {
				db.Close()
				t.Fatal("connected")
			}
			var ce *introspect.ConnectError
			if !errors.Is(err, introspect.ErrConnect) || !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *ConnectError", err, err)
			}
			msg := err.Error()
			if ce.URL != tt.shown || !strings.HasPrefix(msg, "cannot connect to the database "+tt.shown+": ") {
				t.Errorf("err = %q, want it to name %s", msg, tt.shown)
			}
			if strings.Contains(msg, "s3cret-pw") || strings.Contains(msg, "not found") {
				t.Errorf("err = %q shows the password or speaks of a missing table", msg)
			}
		})
	}
}
