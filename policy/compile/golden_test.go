package compile_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/load"
)

var update = flag.Bool("update", false, "rewrite the .rego.golden files")

// TestGolden compiles every testdata/<case>.yaml (Hasura table entries, or
// {tables, inherited_roles}, over the shared testdata/schema.yaml) and
// compares the Rego with testdata/<case>.rego.golden. Every golden is also
// compiled by OPA's strict compiler.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		if name == "schema" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := writePolicy(t, file, schema)
			p, err := load.Dir(context.Background(), dir)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			mods, err := compile.Compile(p)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			strictCompile(t, mods)
			var got strings.Builder
			for _, m := range mods {
				if m.Package == compile.LibPackage {
					continue
				}
				got.WriteString("# ---- " + m.Path + "\n")
				got.WriteString(m.Source)
			}
			checkGolden(t, "testdata/"+name+".rego.golden", got.String())
		})
	}
	t.Run("lib", func(t *testing.T) {
		lib := compile.LibModule()
		strictCompile(t, []compile.Module{lib})
		checkGolden(t, "testdata/lib.rego.golden", lib.Source)
	})
}

// writePolicy writes a case as a metadata.json export plus the schema.
func writePolicy(t *testing.T, file string, schema []byte) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	tables, inherited := doc, any([]any{})
	if m, ok := doc.(map[string]any); ok {
		tables, inherited = m["tables"], m["inherited_roles"]
		if inherited == nil {
			inherited = []any{}
		}
	}
	meta := map[string]any{
		"version":         3,
		"sources":         []any{map[string]any{"name": "default", "kind": "postgres", "tables": tables}},
		"inherited_roles": inherited,
	}
	js, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), schema, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func strictCompile(t *testing.T, mods []compile.Module) {
	t.Helper()
	parsed := map[string]*ast.Module{}
	hasLib := false
	for _, m := range mods {
		hasLib = hasLib || m.Package == compile.LibPackage
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", m.Path, err)
		}
		parsed[m.Path] = pm
	}
	if !hasLib {
		lib := compile.LibModule()
		parsed[lib.Path] = ast.MustParseModuleWithOpts(lib.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(parsed); c.Failed() {
		t.Fatalf("OPA strict compiler: %v", c.Errors)
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy/compile -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./policy/compile -update and review the diff):\n%s", path, got)
	}
}
