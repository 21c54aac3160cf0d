package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// dirFS reads a testdata directory into a MapFS that cases can change.
func dirFS(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(dir), p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withFiles copies base and applies overrides; an empty content deletes.
func withFiles(base fstest.MapFS, files map[string]string) fstest.MapFS {
	out := fstest.MapFS{}
	for p, f := range base {
		out[p] = f
	}
	for p, c := range files {
		if c == "" {
			delete(out, p)
			continue
		}
		out[p] = &fstest.MapFile{Data: []byte(c)}
	}
	return out
}

// baseLoader loads testdata/base and keeps the loader, so that tests can
// parse expressions against its tables.
func baseLoader(t testing.TB, opts ...Option) *loader {
	t.Helper()
	ld := newLoader(context.Background(), dirFS(t, "testdata/base"), opts)
	ld.run()
	if ld.err != nil || len(ld.problems) > 0 {
		t.Fatalf("base fixture: %v %v", ld.err, ld.problems)
	}
	return ld
}

// parseExpr parses src (YAML) as a boolean expression on table, at
// "f: filter".
func parseExpr(t testing.TB, ld *loader, table, src string) (model.BoolExp, []Problem) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("bad test expression %q: %v", src, err)
	}
	name, err := model.ParseTableName(table)
	if err != nil {
		t.Fatal(err)
	}
	ld.problems = nil
	e := ld.boolExp(deref(&doc), loc{file: "f", path: "filter"}, ld.tables[name])
	return e, ld.problems
}

// sexp renders an expression compactly for assertions.
func sexp(e model.BoolExp) string {
	switch x := e.(type) {
	case nil:
		return "<nil>"
	case model.True:
		return "true"
	case model.False:
		return "false"
	case model.And:
		return "(and" + sexps(x.Items) + ")"
	case model.Or:
		return "(or" + sexps(x.Items) + ")"
	case model.Not:
		return "(not " + sexp(x.Item) + ")"
	case model.Exists:
		return fmt.Sprintf("(exists %s %s)", x.Table, sexp(x.Where))
	case model.RelExists:
		return fmt.Sprintf("(%s %s %s->%s %s)", x.Relationship.Kind, x.Relationship.Name, x.From, x.Relationship.Target, sexp(x.Where))
	case model.Compare:
		return fmt.Sprintf("(%s %s %s)", x.Op, x.Column.Name, value(x.Value))
	}
	return fmt.Sprintf("<%T>", e)
}

func sexps(items []model.BoolExp) string {
	var b strings.Builder
	for _, i := range items {
		b.WriteString(" " + sexp(i))
	}
	return b.String()
}

func value(v model.Value) string {
	switch x := v.(type) {
	case model.Literal:
		b, _ := json.Marshal(x.V)
		return string(b)
	case model.SessionVar:
		s := "$" + x.Name + ":" + x.Kind.String()
		if x.Array {
			s += "[]"
		}
		return s
	case model.ColumnRef:
		if x.Root {
			return "$." + x.Column.Name
		}
		return "@" + x.Column.Name
	}
	return fmt.Sprintf("<%T>", v)
}

// problemStrings renders problems as "file: path: message".
func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	sort.Strings(out)
	return out
}

// stripSources clears what differs between two forms of the same policy.
func stripSources(p *model.Policy) {
	p.Source, p.Revision = "", ""
	for _, t := range p.Tables {
		for _, m := range t.Permissions {
			for _, perm := range m {
				perm.Source = model.Source{}
			}
		}
	}
}

func tableName(s string) model.TableName {
	n, err := model.ParseTableName(s)
	if err != nil {
		panic(err)
	}
	return n
}
