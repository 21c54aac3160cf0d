package engine

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/sqlgen"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestAndOfOrsGolden writes what linearPolicy's two rules become, for
// review: the compiled Rego (helpers any_N and exists_N), then Filter's
// SQL in every dialect with its parameters, 12 ORs as 12 ORs, each EXISTS
// once. testdata/and_of_ors.sql.golden; -update rewrites it.
func TestAndOfOrsGolden(t *testing.T) {
	set := newLinearSet(t, 12, false)
	var b strings.Builder
	for _, m := range set.Modules() {
		if m.Table == linearArticles {
			fmt.Fprintf(&b, "# ---- %s\n%s\n", m.Path, m.Source)
		}
	}
	for _, rule := range linearRules {
		for _, d := range sqlgen.Dialects {
			res, sql := renderFilter(t, set, rule.role, rule.op, d)
			r, err := sqlgen.NewRenderer(set.Policy(), linearArticles, sqlgen.Options{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			f, err := r.Render(res.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "# ---- %s %s, %s (%d bytes)\n%s\n-- %v\n\n", rule.role, rule.op, d, len(sql), sql, f.Args)
		}
	}
	got := b.String()
	const path = "testdata/and_of_ors.sql.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy/engine -run TestAndOfOrsGolden -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./policy/engine -update and review the diff):\n%s", path, got)
	}
}
