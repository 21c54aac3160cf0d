package policygen

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
)

// TestGeneratedPolicyLoads writes a policy set, loads it with the real
// loader and compiles it with the engine: every rule must be valid.
func TestGeneratedPolicyLoads(t *testing.T) {
	for _, n := range []int{2, 50} {
		spec, err := Generate(Config{Tables: n})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := spec.Write(dir); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		p, err := load.Dir(ctx, dir)
		if err != nil {
			t.Fatalf("tables=%d: load: %v", n, err)
		}
		if len(p.Tables) != n {
			t.Errorf("tables=%d: loaded %d tables", n, len(p.Tables))
		}
		for _, tbl := range p.Tables {
			if got := len(tbl.Permissions); got != 4 {
				t.Errorf("%s: permissions for %d operations, want 4", tbl.Name, got)
			}
			for op, byRole := range tbl.Permissions {
				if len(byRole) != len(AllRoles()) {
					t.Errorf("%s %s: %d roles, want %d", tbl.Name, op, len(byRole), len(AllRoles()))
				}
			}
		}
		if _, err := engine.New(ctx, p); err != nil {
			t.Fatalf("tables=%d: engine: %v", n, err)
		}
	}
}

// TestDeterministic: the same config writes the same bytes.
func TestDeterministic(t *testing.T) {
	read := func() map[string]string {
		spec, err := Generate(Config{Tables: 5, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := spec.Write(dir); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(path)
				rel, _ := filepath.Rel(dir, path)
				out[rel] = string(b)
			}
			return err
		})
		return out
	}
	a, b := read(), read()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("file counts %d and %d", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s differs between two runs", k)
		}
	}
}
