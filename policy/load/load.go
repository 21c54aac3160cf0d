package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
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
	strict     bool
	// namingConvention is the naming convention of a source whose
	// customization names none ("" is hasura-default).
	namingConvention string
}

// WithStrict refuses the whole set when any object is inconsistent. By
// default, as Hasura does, an inconsistent object (a permission, a
// relationship, a tracked table) is left out and listed in
// Policy.Inconsistent, and the rest of the set loads.
func WithStrict() Option { return func(c *config) { c.strict = true } }

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

// WithDefaultNamingConvention names the GraphQL naming convention of a
// source whose customization.naming_convention is not set, as Hasura's
// HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION does: "hasura-default" (the
// default) or "graphql-default". Another value leaves the table root
// fields of such sources undecided (a load note), never a load error.
func WithDefaultNamingConvention(nc string) Option {
	return func(c *config) { c.namingConvention = nc }
}

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
		// The set is refused: every problem is reported, those of
		// inconsistent objects too.
		ld.problems = append(ld.problems, ld.held...)
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
		ctx:           ctx,
		fsys:          fsys,
		cfg:           cfg,
		files:         map[string][]byte{},
		tables:        map[model.TableName]*model.Table{},
		entries:       map[model.TableName]*tableEntry{},
		computed:      map[model.TableName]map[string]bool{},
		functions:     map[model.TableName]*schemaFunction{},
		functionNames: map[model.TableName]string{},
		badComputed:   map[model.TableName]map[string]*model.Inconsistency{},
		roles:         map[string]bool{},
		nullableSet:   map[*model.Column]bool{},
		badTables:     map[model.TableName]*model.Inconsistency{},
		ambiguous:     map[model.TableName][]string{},
		schemaLoc:     map[model.TableName]loc{},
		badRels:       map[model.TableName]map[string]*model.Inconsistency{},
		badRoles:      map[string]*model.Inconsistency{},
		gql: gqlState{collections: map[string]*model.QueryCollection{}, logical: map[string]map[string]*model.LogicalModel{},
			native: map[string]*model.NativeQuery{}, nativeLocs: map[string]loc{}},
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

	tables  map[model.TableName]*model.Table
	entries map[model.TableName]*tableEntry // tracked tables, by name in their source
	pending []*tableEntry                   // tracked tables before placeTables
	order   []*tableEntry                   // tracked tables in file order
	sources []sourceInfo                    // the sources databases.yaml lists, in its order
	// ambiguous maps a name tracked in several sources to them, sorted.
	ambiguous map[model.TableName][]string
	// schemaLoc locates each table of the schema file.
	schemaLoc map[model.TableName]loc
	computed  map[model.TableName]map[string]bool // computed field names
	// functions the schema file declares; functionNames those computed
	// fields name (read without a schema, for schema pull).
	functions     map[model.TableName]*schemaFunction
	functionNames map[model.TableName]string // -> the source of the table that names it
	// badComputed holds the inconsistent computed fields, by table.
	badComputed map[model.TableName]map[string]*model.Inconsistency
	roles       map[string]bool // roles with an explicit permission
	inherit     []inheritedDecl
	// nullableSet holds columns whose nullable was written out, so that a
	// nullable primary-key column can be reported.
	nullableSet map[*model.Column]bool
	// inconsistent objects left out, in the order found, and the problems
	// that made them so (reported with the others if the set is refused).
	inconsistent []*model.Inconsistency
	held         []Problem
	// badTables are tracked tables left out; badRels relationships left out
	// (by table, then name), so that rules naming them say why.
	badTables map[model.TableName]*model.Inconsistency
	badRels   map[model.TableName]map[string]*model.Inconsistency
	badRoles  map[string]*model.Inconsistency
	// notes say which parts of the metadata were deliberately not read.
	notes []string
	// gql holds actions, query collections and the allow list (graphql.go).
	gql gqlState
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
	lay := ld.findMetadata()
	if !ld.loadSchemaFile() || ld.stopped() || lay.form == "" {
		return nil
	}
	ld.readMetadata(lay)
	if ld.stopped() {
		return nil
	}
	ld.placeTables()
	for _, e := range ld.order {
		ld.relationships(e)
	}
	for _, e := range ld.order {
		if ld.stopped() {
			return nil
		}
		ld.permissions(e)
		ld.tableConfiguration(e)
	}
	inherited := ld.resolveInherited()
	gql := ld.finishGraphQL(inherited)
	ld.tableRootFields(&gql)

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
	p := &model.Policy{Tables: ld.tables, InheritedRoles: inherited, Roles: make([]string, 0, len(roles)),
		Inconsistent: ld.inconsistent, Notes: ld.notes, GraphQL: gql}
	if len(ld.badTables) > 0 {
		p.InconsistentTables = ld.badTables
	}
	if len(ld.ambiguous) > 0 {
		p.Ambiguous = ld.ambiguous
	}
	for r := range roles {
		p.Roles = append(p.Roles, r)
	}
	sort.Strings(p.Roles)
	for _, t := range ld.tables {
		t.IndexColumns()
	}
	return p
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
	name, external := SchemaFile, false
	if ld.cfg.schemaFile != "" {
		name, external = ld.cfg.schemaFile, true
	}
	l := loc{file: name}
	if !external && !ld.exists(name) {
		if ld.err == nil {
			ld.problemf(l, nil, "schema file %s does not exist: Warden needs the tables' columns and types; write it from the database with 'warden schema pull --policy DIR --database-url URL --out DIR/%s', or name one with --schema", name, name)
		}
		return false
	}
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
	name   model.TableName
	table  *model.Table
	source sourceInfo
	loc    loc // the entry; path "" when the entry is a whole file
	node   *yaml.Node
	keys   map[string]*yaml.Node
	// gqlUnreadable: its configuration's GraphQL names could not be read
	// (tablegql.go), so its root fields are not decided.
	gqlUnreadable bool
}
