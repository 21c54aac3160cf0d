package load

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := diffLines(string(want), got); d != "" {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", file, d)
	}
}

// diffLines reports the first differing lines of two texts, or "".
func diffLines(a, b string) string {
	if a == b {
		return ""
	}
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(x) || i < len(y); i++ {
		var l, r string
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		if l != r {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, l, r)
		}
	}
	return "texts differ"
}

// dumpPolicy renders a policy's model (without sources) as text.
func dumpPolicy(p *model.Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "roles: %s\n", strings.Join(p.Roles, " "))
	var inh []string
	for r, parents := range p.InheritedRoles {
		inh = append(inh, r+" <- "+strings.Join(parents, " "))
	}
	sort.Strings(inh)
	fmt.Fprintf(&b, "inherited: %s\n", strings.Join(inh, "; "))
	for _, t := range p.SortedTables() {
		fmt.Fprintf(&b, "\ntable %s\n", t.Name)
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "  column %s %s (%s) nullable=%v\n", c.Name, c.Type.Kind, c.Type.Declared, c.Nullable)
		}
		fmt.Fprintf(&b, "  primary key %v\n", t.PrimaryKey)
		for _, fk := range t.ForeignKeys {
			fmt.Fprintf(&b, "  foreign key %v -> %s %v\n", fk.Columns, fk.RefTable, fk.RefColumns)
		}
		var rels []string
		for n := range t.Relationships {
			rels = append(rels, n)
		}
		sort.Strings(rels)
		for _, n := range rels {
			r := t.Relationships[n]
			fmt.Fprintf(&b, "  %s relationship %s -> %s %v\n", r.Kind, r.Name, r.Target, r.Mapping)
		}
		for _, op := range model.Operations {
			var roles []string
			for r := range t.Permissions[op] {
				roles = append(roles, r)
			}
			sort.Strings(roles)
			for _, r := range roles {
				dumpPermission(&b, t.Permissions[op][r])
			}
		}
	}
	return b.String()
}

func dumpPermission(b *strings.Builder, p *model.Permission) {
	fmt.Fprintf(b, "  %s %s\n", p.Op, p.Role)
	if p.Op != model.OpDelete {
		fmt.Fprintf(b, "    columns %v\n", p.Columns)
	}
	if len(p.ComputedFields) > 0 {
		fmt.Fprintf(b, "    computed_fields %v\n", p.ComputedFields)
	}
	if p.Filter != nil {
		fmt.Fprintf(b, "    filter %s\n", sexp(p.Filter))
	}
	if p.Check != nil {
		fmt.Fprintf(b, "    check %s\n", sexp(p.Check))
	}
	var set []string
	for c, v := range p.Set {
		set = append(set, c+"="+value(v))
	}
	sort.Strings(set)
	if len(set) > 0 {
		fmt.Fprintf(b, "    set %s\n", strings.Join(set, " "))
	}
	if p.Limit != nil {
		fmt.Fprintf(b, "    limit %d\n", *p.Limit)
	}
	if p.AllowAggregations {
		fmt.Fprintf(b, "    allow_aggregations\n")
	}
	if p.BackendOnly {
		fmt.Fprintf(b, "    backend_only\n")
	}
	if p.Inherited != nil {
		fmt.Fprintf(b, "    inherited from %v\n", p.Inherited)
	}
	var cc []string
	for c := range p.ColumnConditions {
		cc = append(cc, c)
	}
	sort.Strings(cc)
	for _, c := range cc {
		fmt.Fprintf(b, "    column %s when %s\n", c, sexp(p.ColumnConditions[c]))
	}
}
