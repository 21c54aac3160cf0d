package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// Defaults for the expression limits.
const (
	DefaultMaxDepth = 32
	DefaultMaxNodes = 10000
)

// Option configures loading.
type Option func(*config)

type config struct {
	schemaFile string
	maxDepth   int
	maxNodes   int
	// tablesOnly reads the metadata without a schema, only to list the
	// tables it names (TrackedTables).
	tablesOnly bool
}

// WithSchemaFile reads the schema from this file (an OS path) instead of
// schema.yaml at the policy root.
func WithSchemaFile(path string) Option { return func(c *config) { c.schemaFile = path } }

// WithMaxDepth bounds the nesting depth of a boolean expression
// (DefaultMaxDepth). A deeper expression is a load error.
func WithMaxDepth(n int) Option { return func(c *config) { c.maxDepth = n } }

// WithMaxNodes bounds the size of one boolean expression or preset, counted
// in nodes: operators, logical keys and literal values, list elements
// included (DefaultMaxNodes). A larger one is a load error.
func WithMaxNodes(n int) Option { return func(c *config) { c.maxNodes = n } }

// Dir loads the policy set in directory dir.
func Dir(ctx context.Context, dir string, opts ...Option) (*model.Policy, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load: %s is not a directory", dir)
	}
	return FS(ctx, os.DirFS(dir), dir, opts...)
}

// FS loads the policy set at the root of fsys; source names it in status and
// errors (e.g. "embedded:example"). Content problems come back together as a
// *ValidationError; I/O errors are wrapped.
func FS(ctx context.Context, fsys fs.FS, source string, opts ...Option) (*model.Policy, error) {
	ld := newLoader(ctx, fsys, opts)
	p := ld.run()
	if ld.err != nil {
		return nil, ld.err
	}
	if len(ld.problems) > 0 {
		sortProblems(ld.problems)
		return nil, &ValidationError{Problems: ld.problems}
	}
	p.Source = source
	p.Revision = revision(ld.files)
	return p, nil
}

func newLoader(ctx context.Context, fsys fs.FS, opts []Option) *loader {
	cfg := config{maxDepth: DefaultMaxDepth, maxNodes: DefaultMaxNodes}
	for _, o := range opts {
		o(&cfg)
	}
	return &loader{
		ctx:         ctx,
		fsys:        fsys,
		cfg:         cfg,
		files:       map[string][]byte{},
		tables:      map[model.TableName]*model.Table{},
		entries:     map[model.TableName]*tableEntry{},
		computed:    map[model.TableName]map[string]bool{},
		roles:       map[string]bool{},
		nullableSet: map[*model.Column]bool{},
	}
}

// loader holds the state of one load.
type loader struct {
	ctx      context.Context
	fsys     fs.FS
	cfg      config
	problems []Problem
	err      error             // first I/O error: stops the load
	files    map[string][]byte // every file read, for the revision

	tables   map[model.TableName]*model.Table
	entries  map[model.TableName]*tableEntry     // tracked tables
	order    []*tableEntry                       // tracked tables in file order
	computed map[model.TableName]map[string]bool // computed field names
	roles    map[string]bool                     // roles with an explicit permission
	inherit  []inheritedDecl
	// nullableSet holds columns whose nullable was written out, so that a
	// nullable primary-key column can be reported.
	nullableSet map[*model.Column]bool
}

func (ld *loader) stopped() bool {
	if ld.err == nil {
		if err := ld.ctx.Err(); err != nil {
			ld.err = fmt.Errorf("load: %w", err)
		}
	}
	return ld.err != nil
}

func (ld *loader) run() *model.Policy {
	metaRoot, form := ld.findMetadata()
	if !ld.loadSchemaFile() || ld.stopped() || form == "" {
		return nil
	}
	switch form {
	case "dir":
		ld.readDirLayout(metaRoot)
	case "json":
		ld.readExport(path.Join(metaRoot, "metadata.json"))
	}
	if ld.stopped() {
		return nil
	}
	for _, e := range ld.order {
		ld.relationships(e)
	}
	for _, e := range ld.order {
		if ld.stopped() {
			return nil
		}
		ld.permissions(e)
	}
	inherited := ld.resolveInherited()

	roles := map[string]bool{}
	for r := range ld.roles {
		roles[r] = true
	}
	for r, parents := range inherited {
		roles[r] = true
		for _, p := range parents {
			roles[p] = true
		}
	}
	delete(roles, model.AdminRole)
	p := &model.Policy{Tables: ld.tables, InheritedRoles: inherited, Roles: make([]string, 0, len(roles))}
	for r := range roles {
		p.Roles = append(p.Roles, r)
	}
	sort.Strings(p.Roles)
	for _, t := range ld.tables {
		t.IndexColumns()
	}
	return p
}

// findMetadata finds the metadata: databases/databases.yaml or metadata.json
// at the root, or under metadata/ (a Hasura project directory).
func (ld *loader) findMetadata() (root, form string) {
	for _, root := range []string{".", "metadata"} {
		dbFile := path.Join(root, "databases", "databases.yaml")
		jsonFile := path.Join(root, "metadata.json")
		hasDB, hasJSON := ld.exists(dbFile), ld.exists(jsonFile)
		switch {
		case hasDB && hasJSON:
			ld.problemf(loc{file: jsonFile}, nil,
				"both %s and %s exist: keep one form of the metadata", dbFile, jsonFile)
			return root, ""
		case hasDB:
			return root, "dir"
		case hasJSON:
			return root, "json"
		}
	}
	if ld.err == nil {
		ld.problemf(loc{}, nil, "no Hasura metadata found: want databases/databases.yaml or metadata.json, at the policy root or under metadata/")
	}
	return "", ""
}

func (ld *loader) exists(name string) bool {
	_, err := fs.Stat(ld.fsys, name)
	if err != nil && !os.IsNotExist(err) && ld.err == nil {
		ld.err = fmt.Errorf("load: %w", err)
	}
	return err == nil
}

// loadSchemaFile reads the schema; false means it is missing or unusable
// (reported), and loading stops there.
func (ld *loader) loadSchemaFile() bool {
	name, external := "schema.yaml", false
	if ld.cfg.schemaFile != "" {
		name, external = ld.cfg.schemaFile, true
	}
	l := loc{file: name}
	n, ok := ld.parseFile(name, external, l, nil, "schema file")
	if !ok {
		return false
	}
	return ld.schema(n, l)
}

// revision hashes every input file's path and content.
func revision(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// tableEntry is one tracked table of the metadata.
type tableEntry struct {
	name  model.TableName
	table *model.Table
	loc   loc // the entry; path "" when the entry is a whole file
	node  *yaml.Node
	keys  map[string]*yaml.Node
}
