// Package permtest runs permission test suites: YAML files beside the
// metadata that state sessions, fixture rows per table, and cases that say
// what Check decides on those rows and which of them Filter's SQL selects.
// `warden test` runs them offline with the server's own request path
// (server.CheckOffline, server.FilterOffline), or against a live server
// through the Go client; the Decider interface is the seam between them.
//
// A suite file (tests/articles.yaml):
//
//	sessions:
//	  alice: {role: user, variables: {x-hasura-user-id: 1, x-hasura-org-id: 1}}
//	fixtures:
//	  articles:
//	    - {id: 1, org_id: 1, author_id: 1, title: Hi, published: true, created_at: 2024-01-10T09:00:00Z}
//	tests:
//	  - name: a user reads her organisation's published articles
//	    session: alice
//	    table: articles
//	    check:
//	      - {row: 1, decision: allow}
//	    filter: {kind: conditional, rows: [1]}
package permtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Suite is one test file.
type Suite struct {
	// File is the path the suite was read from, as given.
	File     string
	Sessions map[string]*Session
	// Fixtures are the rows of each table, by the table's name as written
	// ("articles" or "public.articles").
	Fixtures map[string][]map[string]any
	// fixtureLines are the line of each fixture table, for errors.
	fixtureLines map[string]int
	Cases        []*Case
}

// Session is a named principal: a role and session variables stated as a
// trusted backend states them, or the Hasura claims of an end user's JWT.
type Session struct {
	Name string
	// Role is x-hasura-role; with Claims, the role asked for (else the
	// claims' x-hasura-default-role).
	Role      string
	Variables map[string]string
	// Claims are the contents of the JWT's Hasura claims namespace
	// (x-hasura-default-role, x-hasura-allowed-roles, x-hasura-user-id...).
	Claims map[string]any
	// BackendOnly is use_backend_only_permissions.
	BackendOnly bool
	Line        int
}

// Case is one test: a session, a table and an operation, and what Check
// and Filter must answer.
type Case struct {
	Name      string
	File      string
	Line      int
	Session   string
	Table     string
	Operation string
	// Columns are the columns the caller asks for (CheckRequest.columns).
	Columns []string
	Check   []*RowExpect
	Filter  *FilterExpect
	// Presets are the presets Check must return (insert, update).
	Presets map[string]any
	// Error is the gRPC status code both calls must fail with, as
	// FAILED_PRECONDITION; Message a text the status message must contain.
	Error        string
	ErrorMessage string
}

// RowExpect is what Check must decide on one row.
type RowExpect struct {
	// Row is the id (single-column primary key) of a fixture row of the
	// case's table, sent with its related fixture rows nested; Values a
	// row sent exactly as written (relationships absent unless written,
	// so that NEEDS_DATA can be tested). One of the two.
	Row    any
	Values map[string]any
	// Update gives, for an update, the values that change: the new row is
	// the row with these values.
	Update map[string]any
	// Decision is allow, deny or needs_data.
	Decision string
	// Columns, when set, are exactly the allowed columns (any order).
	Columns []string
	// Needs, when set, is exactly the missing data NEEDS_DATA names.
	Needs []string
	Line  int
}

// FilterExpect is what Filter must answer.
type FilterExpect struct {
	// Kind is always_allowed, always_denied or conditional; empty: not
	// compared.
	Kind string
	// Rows, when set, are exactly the ids of the fixture rows of the case's
	// table that the filter's SQL selects.
	Rows    []any
	HasRows bool
	// Columns, when set, are exactly the columns the role may read.
	Columns []string
	Line    int
}

// Error is a mistake in a suite file, with where it is.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ErrNoSuites is returned when the paths hold no suite file: a test run
// that tests nothing must not pass.
var ErrNoSuites = errors.New("no test suite files (*.yaml, *.yml)")

// Files lists the suite files under paths (files as given, directories
// walked for *.yaml and *.yml), sorted, from fsys when it is not nil
// (the embedded example), else from the OS.
func Files(fsys fs.FS, paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		var info fs.FileInfo
		var err error
		if fsys != nil {
			info, err = fs.Stat(fsys, p)
		} else {
			info, err = os.Stat(p)
		}
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		walk := func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := path.Ext(name)
			if !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				out = append(out, name)
			}
			return nil
		}
		if fsys != nil {
			err = fs.WalkDir(fsys, p, walk)
		} else {
			err = filepath.WalkDir(p, func(name string, d fs.DirEntry, err error) error { return walk(name, d, err) })
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", strings.Join(paths, ", "), ErrNoSuites)
	}
	return out, nil
}

// Read reads and parses suite files.
func Read(fsys fs.FS, files []string) ([]*Suite, error) {
	var out []*Suite
	for _, f := range files {
		var b []byte
		var err error
		if fsys != nil {
			b, err = fs.ReadFile(fsys, f)
		} else {
			b, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		s, err := Parse(f, b)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
