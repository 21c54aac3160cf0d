package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// The conformance case format (see conformance_test.go): reading and
// validating the case files, writing a document's policy set to disk and
// building the engine's input for a check.

// minCases keeps the suite from shrinking silently.
const minCases = 200

const conformanceDir = "testdata/conformance"

// suite is one document of a case file.
type suite struct {
	Description  string            `yaml:"description"`
	Schema       yaml.Node         `yaml:"schema"`
	Metadata     yaml.Node         `yaml:"metadata"`
	MetadataRaw  string            `yaml:"metadata_raw"`
	Files        map[string]string `yaml:"files"`
	Defaults     defaults          `yaml:"defaults"`
	LoadError    stringList        `yaml:"load_error"`
	KnownFailure string            `yaml:"known_failure"`
	Checks       []*check          `yaml:"checks"`

	// name is "file.yaml" or "file.yaml#2" for the third document.
	name string
}

type defaults struct {
	Role        string    `yaml:"role"`
	Table       string    `yaml:"table"`
	Operation   string    `yaml:"operation"`
	Session     stringMap `yaml:"session"`
	BackendOnly bool      `yaml:"backend_only"`
}

type check struct {
	Name         string               `yaml:"name"`
	Description  string               `yaml:"description"`
	Role         string               `yaml:"role"`
	Session      stringMap            `yaml:"session"`
	BackendOnly  *bool                `yaml:"backend_only"`
	Table        string               `yaml:"table"`
	Operation    string               `yaml:"operation"`
	Columns      []string             `yaml:"columns"`
	Tables       map[string]yaml.Node `yaml:"tables"`
	Rows         []*rowCase           `yaml:"rows"`
	Presets      yaml.Node            `yaml:"presets"`
	Error        *errorCase           `yaml:"error"`
	KnownFailure string               `yaml:"known_failure"`
}

type rowCase struct {
	ID             string     `yaml:"id"`
	Description    string     `yaml:"description"`
	Values         yaml.Node  `yaml:"values"`
	NewValues      yaml.Node  `yaml:"new_values"`
	JSONNulls      []string   `yaml:"json_nulls"`
	Expect         string     `yaml:"expect"`
	Missing        stringList `yaml:"missing"`
	AllowedColumns *[]string  `yaml:"allowed_columns"`
	DeniedColumns  *[]string  `yaml:"denied_columns"`
}

type errorCase struct {
	Kind     string     `yaml:"kind"`
	Missing  stringList `yaml:"missing"`
	Contains stringList `yaml:"contains"`
}

// stringList is a list of strings that may be written as one string.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// stringMap is a mapping of scalars read as text (session variables are
// text, whatever YAML would make of them).
type stringMap map[string]string

func (m *stringMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of names to values", n.Line)
	}
	out := stringMap{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: session variable %s must be a scalar", v.Line, k.Value)
		}
		out[k.Value] = v.Value
	}
	*m = out
	return nil
}

var (
	suitesOnce sync.Once
	suitesAll  []*suite
	suitesErr  error
)

// loadSuites reads and validates every case file, once per test binary.
func loadSuites(t *testing.T) []*suite {
	t.Helper()
	suitesOnce.Do(func() { suitesAll, suitesErr = readSuites(conformanceDir) })
	if suitesErr != nil {
		t.Fatal(suitesErr)
	}
	return suitesAll
}

func readSuites(root string) ([]*suite, error) {
	var out []*suite
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		for i := 0; ; i++ {
			s := &suite{}
			if err := dec.Decode(s); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("%s document %d: %w", rel, i+1, err)
			}
			s.name = rel
			if i > 0 {
				s.name = fmt.Sprintf("%s#%d", rel, i+1)
			}
			if err := s.validate(); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// validate checks that a document is well formed, so that a typo cannot
// turn a case into one that passes vacuously.
func (s *suite) validate() error {
	if s.Description == "" {
		return errors.New("description is required")
	}
	if s.Schema.Kind == 0 {
		return errors.New("schema is required")
	}
	forms := 0
	if s.Metadata.Kind != 0 {
		forms++
	}
	if s.MetadataRaw != "" {
		forms++
	}
	if len(s.Files) > 0 {
		forms++
	}
	if forms != 1 {
		return errors.New("exactly one of metadata, metadata_raw and files is required")
	}
	if len(s.LoadError) > 0 {
		if len(s.Checks) > 0 {
			return errors.New("a document with load_error has no checks")
		}
		return nil
	}
	if len(s.Checks) == 0 {
		return errors.New("checks (or load_error) are required")
	}
	names := map[string]bool{}
	for i, c := range s.Checks {
		if c.Name == "" {
			return fmt.Errorf("checks[%d]: name is required", i)
		}
		if names[c.Name] {
			return fmt.Errorf("check %q: name is used twice", c.Name)
		}
		names[c.Name] = true
		if c.Role == "" && s.Defaults.Role == "" {
			return fmt.Errorf("check %q: role is required", c.Name)
		}
		if c.Table == "" && s.Defaults.Table == "" {
			return fmt.Errorf("check %q: table is required", c.Name)
		}
		if c.Operation == "" && s.Defaults.Operation == "" {
			return fmt.Errorf("check %q: operation is required", c.Name)
		}
		if c.Error == nil && len(c.Rows) == 0 {
			return fmt.Errorf("check %q: rows or error are required", c.Name)
		}
		if e := c.Error; e != nil {
			switch e.Kind {
			case "missing_session_variables", "invalid_value", "unknown_table", "unknown_columns", "ambiguous_table":
			default:
				return fmt.Errorf("check %q: unknown error kind %q", c.Name, e.Kind)
			}
			if c.Presets.Kind != 0 {
				return fmt.Errorf("check %q: presets cannot be expected with an error", c.Name)
			}
		}
		ids := map[string]bool{}
		for j, r := range c.Rows {
			if r.ID == "" {
				r.ID = fmt.Sprintf("row%d", j)
			}
			if ids[r.ID] {
				return fmt.Errorf("check %q: row id %q is used twice", c.Name, r.ID)
			}
			ids[r.ID] = true
			if c.Error != nil {
				if r.Expect != "" {
					return fmt.Errorf("check %q row %s: no expect with an error", c.Name, r.ID)
				}
				continue
			}
			switch r.Expect {
			case "allow", "deny":
				if len(r.Missing) > 0 {
					return fmt.Errorf("check %q row %s: missing is for needs_data", c.Name, r.ID)
				}
			case "needs_data":
				if len(r.Missing) == 0 {
					return fmt.Errorf("check %q row %s: needs_data must name the missing data", c.Name, r.ID)
				}
			default:
				return fmt.Errorf("check %q row %s: expect must be allow, deny or needs_data, got %q", c.Name, r.ID, r.Expect)
			}
		}
	}
	return nil
}

// cases counts the cases of a document.
func (s *suite) cases() int {
	if len(s.LoadError) > 0 {
		return 1
	}
	return len(s.Checks)
}

// write writes the policy directory and the schema file of a document.
func (s *suite) write(t *testing.T) (dir, schemaFile string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "policy")
	schemaFile = filepath.Join(base, "schema.yaml")
	schema, err := yaml.Marshal(&s.Schema)
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	files := map[string][]byte{}
	switch {
	case s.MetadataRaw != "":
		files["metadata.json"] = []byte(s.MetadataRaw)
	case len(s.Files) > 0:
		for p, content := range s.Files {
			files[p] = []byte(content)
		}
	default:
		v, err := jsonValue(&s.Metadata)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		files["metadata.json"] = b
	}
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, schemaFile
}

// load loads a document's policy set.
// load loads the document strictly: an inconsistent object is a load
// error, so no case is decided with a permission left out.
func (s *suite) load(t *testing.T, opts ...load.Option) (*model.Policy, error) {
	t.Helper()
	dir, schemaFile := s.write(t)
	return load.Dir(context.Background(), dir, append([]load.Option{load.WithSchemaFile(schemaFile)}, opts...)...)
}

// build loads a document that must load and builds its engine set.
func (s *suite) build(t *testing.T) *engine.Set {
	t.Helper()
	p, err := s.load(t, load.WithStrict())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	return set
}

// jsonValue converts a YAML node to the value encoding/json would decode
// from the same document: numbers become float64.
func jsonValue(n *yaml.Node) (any, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func jsonObject(n *yaml.Node, what string) (map[string]any, error) {
	v, err := jsonValue(n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", what)
	}
	return m, nil
}

// input builds the engine's CheckInput for a check.
func (s *suite) input(c *check) (engine.CheckInput, error) {
	d := s.Defaults
	role, table, op, sess := c.Role, c.Table, c.Operation, c.Session
	if role == "" {
		role = d.Role
	}
	if table == "" {
		table = d.Table
	}
	if op == "" {
		op = d.Operation
	}
	if sess == nil {
		sess = d.Session
	}
	backendOnly := d.BackendOnly
	if c.BackendOnly != nil {
		backendOnly = *c.BackendOnly
	}
	tn, err := model.ParseTableName(table)
	if err != nil {
		return engine.CheckInput{}, err
	}
	o, err := model.ParseOperation(op)
	if err != nil {
		return engine.CheckInput{}, err
	}
	vars := make(map[string]string, len(sess))
	for k, v := range sess {
		vars[strings.ToLower(k)] = v
	}
	in := engine.CheckInput{
		Session: engine.Session{Role: role, Vars: vars, BackendOnly: backendOnly},
		Table:   tn,
		Op:      o,
		Columns: c.Columns,
	}
	for _, r := range c.Rows {
		values, err := jsonObject(&r.Values, "row "+r.ID+" values")
		if err != nil {
			return in, err
		}
		if values == nil {
			values = map[string]any{}
		}
		newValues, err := jsonObject(&r.NewValues, "row "+r.ID+" new_values")
		if err != nil {
			return in, err
		}
		roots := map[string]any{"values": values}
		if newValues != nil {
			roots["new_values"] = newValues
		}
		for _, p := range r.JSONNulls {
			if err := engine.MarkJSONNull(roots, p); err != nil {
				return in, fmt.Errorf("row %s json_nulls %s: %w", r.ID, p, err)
			}
		}
		in.Rows = append(in.Rows, engine.Row{ID: r.ID, Values: values, New: newValues})
	}
	if len(c.Tables) > 0 {
		in.Tables = map[model.TableName][]map[string]any{}
		for name, node := range c.Tables {
			tn, err := model.ParseTableName(name)
			if err != nil {
				return in, err
			}
			v, err := jsonValue(&node)
			if err != nil {
				return in, fmt.Errorf("tables[%s]: %w", name, err)
			}
			list, ok := v.([]any)
			if !ok && v != nil {
				return in, fmt.Errorf("tables[%s] must be a list of rows", name)
			}
			rows := []map[string]any{}
			for i, el := range list {
				m, ok := el.(map[string]any)
				if !ok {
					return in, fmt.Errorf("tables[%s][%d] must be an object", name, i)
				}
				rows = append(rows, m)
			}
			in.Tables[tn] = rows
		}
	}
	return in, nil
}

// resolved names the tables of in as the policy has them
// (model.Policy.Resolve), for the suites that look tables up in the policy
// themselves rather than through the engine.
func resolved(p *model.Policy, in engine.CheckInput) engine.CheckInput {
	in.Table = p.Resolve(in.Table, "")
	t, ok := p.Tables[in.Table]
	if !ok || len(in.Tables) == 0 {
		return in
	}
	tables := make(map[model.TableName][]map[string]any, len(in.Tables))
	for n, rows := range in.Tables {
		tables[p.Resolve(n, t.Source)] = rows
	}
	in.Tables = tables
	return in
}
