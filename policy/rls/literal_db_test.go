package rls_test

import (
	"context"
	"testing"

	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestQuoteLiteral: a policy's own values reach the DDL as literals; the
// server must read back exactly the text, whatever
// standard_conforming_strings says.
func TestQuoteLiteral(t *testing.T) {
	if _, err := sqlgen.QuoteLiteral("a\x00b"); err == nil {
		t.Error("a NUL was quoted; no literal can hold it")
	}
	if _, err := sqlgen.QuoteLiteral("\xff"); err == nil {
		t.Error("invalid UTF-8 was quoted")
	}
	ctx := context.Background()
	db := openPG(ctx, t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, scs := range []string{"on", "off"} {
		if _, err := conn.ExecContext(ctx, "SET standard_conforming_strings = "+scs); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"", "plain", "it's", `back\slash`, `\'; DROP TABLE x; --`, "''", `\\`, "line\nbreak", "ünï€ode", "$warden$"} {
			q, err := sqlgen.QuoteLiteral(s)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			var got string
			if err := conn.QueryRowContext(ctx, "SELECT "+q+"::text").Scan(&got); err != nil {
				t.Fatalf("standard_conforming_strings=%s: SELECT %s: %v", scs, q, err)
			}
			if got != s {
				t.Errorf("standard_conforming_strings=%s: %s reads %q, want %q", scs, q, got, s)
			}
		}
	}
}
