package security_test

import (
	"crypto/tls"
	"testing"

	"github.com/wardenpdp/warden/server/callerauth/callerauthtest"
)

func clientTLS(t *testing.T, ca *callerauthtest.CA, leaf *callerauthtest.Leaf) *tls.Config {
	t.Helper()
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if leaf != nil {
		cfg.Certificates = []tls.Certificate{leaf.TLS(t)}
	}
	return cfg
}
