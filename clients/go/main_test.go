package warden_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/wardenpdp/warden/clients/go/wardentest"
)

// The server every test and example talks to, started by TestMain with the
// embedded example policy set (policy/examples/blog).
var (
	// addr is the server's gRPC address.
	addr string
	// apiKey is a caller key with the check, filter and trusted-session
	// grants.
	apiKey = serviceKey.Secret
	// jwtSecret signs the end-user tokens the server accepts.
	jwtSecret = wardentest.HS256Secret()
	// server is the running server.
	server *wardentest.Server
)

// Callers the server admits.
var (
	serviceKey = wardentest.NewKey("service", "user", "check", "filter", "trusted-session")
	tokenKey   = wardentest.NewKey("token-only", "user", "check", "filter")
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cleanup, err := wardentest.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	bin, err := wardentest.BinaryPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := []string{
		"--api-keys", wardentest.APIKeysFlag(serviceKey, tokenKey),
		"--jwt-secret", wardentest.JWTConfig(jwtSecret),
	}
	server, err = wardentest.StartBinary(bin, args...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	addr = server.Addr
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n%s", err, server.Logs())
		return 1
	}
	return code
}
