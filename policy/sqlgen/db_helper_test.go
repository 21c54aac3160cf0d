package sqlgen_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// loadCase loads c into the database of dialect d for the test, closed and
// dropped when it ends. An unreachable database skips the test, or fails
// it under CI (CI=true), where every database must be there.
func loadCase(ctx context.Context, t *testing.T, d sqlgen.Dialect, run string, c *difftest.Case) *difftest.Store {
	t.Helper()
	db, err := difftest.Open(ctx, d, run+strconv.Itoa(os.Getpid()))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s unreachable: %v", d, err)
		}
		t.Skipf("%s unreachable: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := db.Load(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
