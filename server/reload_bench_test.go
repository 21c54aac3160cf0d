package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenpdp/warden/server/reload"
)

// BenchmarkReload measures one reload of the blog example from its
// directory: load, validate, compile, swap. Each iteration changes a file,
// so that every reload loads a new revision (unchanged=true reloads the
// same files: the whole load and compile, without the swap).
func BenchmarkReload(b *testing.B) {
	for _, unchanged := range []bool{false, true} {
		name := "changed"
		if unchanged {
			name = "unchanged"
		}
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "policy")
			if err := os.CopyFS(dir, os.DirFS("../policy/examples/blog")); err != nil {
				b.Fatal(err)
			}
			src := dirSource(dir, filepath.Join(dir, "schema.yaml"))
			set, err := src.Load(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.Callers.APIKeys = `[{"id":"ops","hash":"sha256:` + zeros64 + `","level":"admin"}]`
			srv, err := New(cfg, set, WithPolicySource(src))
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			inherited := filepath.Join(dir, "inherited_roles.yaml")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				want := reload.Unchanged
				if !unchanged {
					b.StopTimer()
					f, err := os.OpenFile(inherited, os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = f.WriteString("#\n")
					f.Close()
					b.StartTimer()
					want = reload.Loaded
				}
				if r := srv.Reload(ctx, "bench"); r.Policy.Outcome != want {
					b.Fatalf("outcome %v (%v), want %v", r.Policy.Outcome, r.Policy.Err, want)
				}
			}
		})
	}
}

const zeros64 = "0000000000000000000000000000000000000000000000000000000000000000"
