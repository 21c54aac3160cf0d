package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

type problemCase struct {
	Name  string            `yaml:"name"`
	Files map[string]string `yaml:"files"`
	// Append adds text to the end of base files.
	Append map[string]string `yaml:"append"`
	Want   []struct {
		File    string `yaml:"file"`
		Path    string `yaml:"path"`
		Line    int    `yaml:"line"`
		Message string `yaml:"message"`
	} `yaml:"want"`
}

func TestProblems(t *testing.T) {
	data, err := os.ReadFile("testdata/problems.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []problemCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	base := dirFS(t, "testdata/base")
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			files := map[string]string{}
			for p, c := range tc.Append {
				files[p] = string(base[p].Data) + c
			}
			for p, c := range tc.Files {
				files[p] = c
			}
			fsys := withFiles(base, files)
			// Loaded as Hasura does, every problem is either fatal or a
			// reason of an inconsistent object: nothing is lost.
			pol, err := FS(context.Background(), fsys, "test")
			var all []string
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					all = append(all, p.String())
				}
			} else if err != nil {
				t.Fatalf("non-strict load: %v", err)
			} else {
				for _, i := range pol.Inconsistent {
					all = append(all, i.Reasons...)
				}
			}
			if len(all) != len(tc.Want) {
				t.Errorf("non-strict load: got %d problems and inconsistencies, want %d:\n%s", len(all), len(tc.Want), strings.Join(all, "\n"))
			}
			for _, w := range tc.Want {
				prefix := w.File
				if w.Line != 0 {
					prefix += fmt.Sprintf(":%d", w.Line)
				}
				n := 0
				for _, a := range all {
					if strings.HasPrefix(a, prefix) && strings.Contains(a, w.Path+": ") && strings.Contains(a, w.Message) {
						n++
					}
				}
				if n == 0 {
					t.Errorf("non-strict load: no problem or inconsistency %s %s: ...%s...; have:\n%s", prefix, w.Path, w.Message, strings.Join(all, "\n"))
				}
			}

			_, err = FS(context.Background(), fsys, "test", WithStrict())
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("errors.Is(err, ErrInvalidPolicy) = false")
			}
			if len(ve.Problems) != len(tc.Want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(ve.Problems), len(tc.Want), dump(ve.Problems))
			}
			for i, w := range tc.Want {
				p := ve.Problems[i]
				if p.Source.File != w.File || p.Source.Path != w.Path || !strings.Contains(p.Message, w.Message) ||
					w.Line != 0 && p.Line != w.Line {
					t.Errorf("problem %d:\n got %s (line %d)\nwant %s: %s: ...%s... (line %d)", i, p, p.Line, w.File, w.Path, w.Message, w.Line)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%s", dump(ve.Problems))
			}
		})
	}
}

func dump(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s (line %d)\n", p, p.Line)
	}
	return b.String()
}

// TestExampleForms loads the blog example as embedded, from its directory
// and as a metadata.json export: the models must be equal.
func TestExampleForms(t *testing.T) {
	ctx := context.Background()
	embedded, err := FS(ctx, examples.Blog(), "embedded:blog")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Dir(ctx, "../examples/blog")
	if err != nil {
		t.Fatal(err)
	}
	export, err := Dir(ctx, "testdata/blog-export", WithSchemaFile("../examples/blog/schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if embedded.Source != "embedded:blog" || dir.Source != "../examples/blog" {
		t.Errorf("sources %q, %q", embedded.Source, dir.Source)
	}
	if embedded.Revision != dir.Revision || len(embedded.Revision) != 16 {
		t.Errorf("revisions %q (embedded) and %q (dir) should be equal, 16 hex digits", embedded.Revision, dir.Revision)
	}
	if export.Revision == dir.Revision {
		t.Errorf("the export has the revision of the directory form")
	}
	perm, _ := export.Tables[tableName("articles")].Permission(model.OpSelect, "user")
	if want := (model.Source{File: "metadata.json", Path: "sources[name=default].tables[table=public.articles].select_permissions[role=user]"}); perm.Source != want {
		t.Errorf("export source %+v, want %+v", perm.Source, want)
	}
	for _, p := range []*model.Policy{embedded, dir, export} {
		stripSources(p)
	}
	if !reflect.DeepEqual(embedded, dir) {
		t.Errorf("embedded and directory forms differ:\n%s", diffLines(dumpPolicy(embedded), dumpPolicy(dir)))
	}
	if !reflect.DeepEqual(dir, export) {
		t.Errorf("directory and export forms differ:\n%s", diffLines(dumpPolicy(dir), dumpPolicy(export)))
	}
}

// TestExampleGolden pins the whole blog model; go test -update rewrites
// testdata/blog.golden.
func TestExampleGolden(t *testing.T) {
	p, err := FS(context.Background(), examples.Blog(), "embedded:blog")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/blog.golden", dumpPolicy(p))
}

// TestBaseGolden pins the fixture's model: every relationship form.
func TestBaseGolden(t *testing.T) {
	p, err := FS(context.Background(), dirFS(t, "testdata/base"), "base")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/base.golden", dumpPolicy(p))
}

// TestProjectLayout loads the fixture moved under metadata/, as in a Hasura
// project directory.
func TestProjectLayout(t *testing.T) {
	base := dirFS(t, "testdata/base")
	project := fstest.MapFS{}
	for p, f := range base {
		if p != "schema.yaml" {
			p = "metadata/" + p
		}
		project[p] = f
	}
	project["metadata/version.yaml"] = &fstest.MapFile{Data: []byte("version: 3\n")}
	project["metadata/actions.yaml"] = &fstest.MapFile{Data: []byte("actions: []\n")}
	want, err := FS(context.Background(), base, "base")
	if err != nil {
		t.Fatal(err)
	}
	got, err := FS(context.Background(), project, "project")
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := got.Tables[tableName("things")].Permission(model.OpSelect, "viewer")
	if perm.Source.File != "metadata/databases/default/tables/public_things.yaml" {
		t.Errorf("source file %q", perm.Source.File)
	}
	if d := diffLines(dumpPolicy(want), dumpPolicy(got)); d != "" {
		t.Errorf("project layout differs:\n%s", d)
	}
}

func TestRevision(t *testing.T) {
	base := dirFS(t, "testdata/base")
	load := func(fsys fs.FS) string {
		p, err := FS(context.Background(), fsys, "x")
		if err != nil {
			t.Fatal(err)
		}
		return p.Revision
	}
	r1, r2 := load(base), load(base)
	changed := load(withFiles(base, map[string]string{
		"inherited_roles.yaml": string(base["inherited_roles.yaml"].Data) + "\n# a comment\n",
	}))
	if r1 != r2 || r1 == changed {
		t.Errorf("revisions %s %s %s: want the first two equal and the third different", r1, r2, changed)
	}
}

// TestRevisionOfSchemaFile: a --schema file counts by its content, not by
// how its path is written: the same schema given by a relative or an
// absolute path, from another directory, or kept as the policy's own
// schema.yaml (as a bundle keeps it) gives one revision; another content
// another.
func TestRevisionOfSchemaFile(t *testing.T) {
	base := dirFS(t, "testdata/base")
	dir := t.TempDir()
	for name, f := range base {
		if name == "schema.yaml" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, "policy", name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "policy", name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schema := base["schema.yaml"].Data
	for _, name := range []string{"pulled.yaml", "other/schema.yaml", "edited.yaml"} {
		data := schema
		if name == "edited.yaml" {
			data = append([]byte("# edited\n"), schema...)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rev := func(schemaFile string) string {
		t.Helper()
		p, err := Dir(context.Background(), filepath.Join(dir, "policy"), WithSchemaFile(schemaFile))
		if err != nil {
			t.Fatal(err)
		}
		return p.Revision
	}
	own, err := FS(context.Background(), base, "x")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	same := map[string]string{
		"the policy's own schema.yaml": own.Revision,
		"pulled.yaml":                  rev("pulled.yaml"),
		"./pulled.yaml":                rev("./pulled.yaml"),
		"absolute pulled.yaml":         rev(filepath.Join(dir, "pulled.yaml")),
		"other/schema.yaml":            rev("other/schema.yaml"),
		"other/../pulled.yaml":         rev("other/../pulled.yaml"),
	}
	for how, r := range same {
		if r != own.Revision {
			t.Errorf("schema as %s: revision %s, want %s", how, r, own.Revision)
		}
	}
	if r := rev("edited.yaml"); r == own.Revision {
		t.Errorf("an edited schema kept the revision %s", r)
	}
}

// errFS fails to read one file.
type errFS struct {
	fs.FS
	name string
}

func (e errFS) Open(name string) (fs.File, error) {
	if name == e.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return e.FS.Open(name)
}

func TestErrors(t *testing.T) {
	base := dirFS(t, "testdata/base")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		run  func() error
		is   error
	}{
		{"missing directory", func() error { _, err := Dir(context.Background(), "testdata/nope"); return err }, fs.ErrNotExist},
		{"unreadable file", func() error {
			_, err := FS(context.Background(), errFS{base, "databases/default/tables/public_tags.yaml"}, "x")
			return err
		}, fs.ErrPermission},
		{"cancelled", func() error { _, err := FS(cancelled, base, "x"); return err }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var ve *ValidationError
			if !errors.Is(err, tc.is) || errors.As(err, &ve) {
				t.Fatalf("got %v, want an error wrapping %v that is not a ValidationError", err, tc.is)
			}
		})
	}
}

func TestValidationErrorString(t *testing.T) {
	e := &ValidationError{Problems: []Problem{
		{Source: model.Source{File: "a.yaml", Path: "x.y"}, Line: 3, Message: "first"},
		{Source: model.Source{File: "b.yaml"}, Message: "second"},
		{Message: "third"},
	}}
	want := "a.yaml:3: x.y: first\nb.yaml: second\nthird"
	if e.Error() != want {
		t.Fatalf("got %q, want %q", e.Error(), want)
	}
}

func TestPermissions(t *testing.T) {
	files := map[string]string{"databases/default/tables/public_tags.yaml": `
table: tags
computed_fields:
  - name: x
    definition:
      function: {schema: public, name: tag_x}
      table_argument: null
      session_argument: null
    comment: ""
select_permissions:
  - role: a
    comment: every column, no rows limit beyond 0
    permission:
      columns: "*"
      filter: {}
      limit: 0
      computed_fields: [x]
      query_root_fields: [select]
      subscription_root_fields: []
insert_permissions:
  - role: a
    permission:
      check: {label: {_is_null: false}}
      set: {label: X-Hasura-Label, id: "42", thing_id: 1.0}
      backend_only: true
update_permissions:
  - role: a
    permission: {columns: [label, id, label], filter: {id: 1}, set: {}}
delete_permissions:
  - role: a
    permission: {filter: {}, backend_only: false}
`}
	p, err := FS(context.Background(), withFiles(dirFS(t, "testdata/base"), files), "x")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, op := range model.Operations {
		perm, ok := p.Tables[tableName("tags")].Permission(op, "a")
		if !ok {
			t.Fatalf("no %s permission", op)
		}
		dumpPermission(&b, perm)
	}
	want := `  select a
    columns [id label thing_id]
    computed_fields [x]
    filter true
    limit 0
  insert a
    columns [id label thing_id]
    check (_is_null label false)
    set id=42 label=$x-hasura-label:text thing_id=1
    backend_only
  update a
    columns [id label]
    filter (_eq id 1)
    check true
  delete a
    filter true
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestExportJSON checks JSON that YAML parsers reject: tab indentation and
// the \/ escape.
func TestExportJSON(t *testing.T) {
	base := dirFS(t, "testdata/base")
	files := map[string]string{
		"databases/databases.yaml": "",
		"metadata.json": "{\n\t\"version\": 3,\n\t\"sources\": [{\"name\": \"d\", \"tables\": [{\n\t\t\"table\": \"tags\",\n" +
			"\t\t\"select_permissions\": [{\"role\": \"v\", \"permission\": {\"columns\": [\"label\"], " +
			"\"filter\": {\"label\": {\"_like\": \"a\\/b\\u00e9%\"}}}}]}]}]\n}\n",
	}
	p, err := FS(context.Background(), withFiles(base, files), "x")
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := p.Tables[tableName("tags")].Permission(model.OpSelect, "v")
	if got := sexp(perm.Filter); got != `(_like label "a/bé%")` {
		t.Errorf("filter %s", got)
	}
}

// TestInheritedRoleWithInconsistentOwnPermission: an inherited role whose
// own permission is inconsistent is refused there; it never falls back to
// its parents' (wider) permission.
func TestInheritedRoleWithInconsistentOwnPermission(t *testing.T) {
	files := map[string]string{
		"databases/default/tables/public_tags.yaml": `
table: tags
select_permissions:
  - role: user
    permission: {columns: "*", filter: {}}
  - role: restricted
    permission: {columns: [id], filter: {nope: {_eq: 1}}}
update_permissions:
  - role: user
    permission: {columns: [label], filter: {}}
`,
		"inherited_roles.yaml": "- {role_name: restricted, role_set: [user]}\n",
	}
	p, err := FS(context.Background(), withFiles(dirFS(t, "testdata/base"), files), "x")
	if err != nil {
		t.Fatal(err)
	}
	tags := p.Tables[tableName("tags")]
	if perm, ok := tags.Permission(model.OpSelect, "restricted"); ok {
		t.Fatalf("restricted's inconsistent select permission was replaced by its parents': %+v", perm)
	}
	if tags.Inconsistent[model.OpSelect]["restricted"] == nil {
		t.Errorf("restricted's select permission is not listed as inconsistent")
	}
	// Where the role has no permission of its own, it still inherits.
	if _, ok := tags.Permission(model.OpUpdate, "restricted"); !ok {
		t.Errorf("restricted did not inherit user's update permission")
	}
}
