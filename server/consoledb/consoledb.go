// Package consoledb holds the databases an operator gives the server for
// the console's "Try it" (serve --console-database NAME=URL, one per
// metadata source), and runs one statement at a time on one of them in a
// read-only transaction that is always rolled back, under a timeout.
//
// PostgreSQL runs it in BEGIN READ ONLY with SET LOCAL statement_timeout;
// MySQL and MariaDB in START TRANSACTION READ ONLY with the session's
// max_execution_time (MySQL) or max_statement_time (MariaDB); SQLite on a
// connection opened read-only (mode=ro) with PRAGMA query_only, the
// statement interrupted when the timeout passes. A database's URL, which
// may hold a password, is never logged or returned: Spec.Redacted is its
// printable form, and errors have the password blanked.
//
// The statement is the caller's to build, values as bind parameters; this
// package adds nothing to it. It knows nothing of gRPC: errors are *Error,
// which the server maps to statuses.
package consoledb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardenpdp/warden/policy/introspect"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// Spec is one configured database: the metadata source it serves and
// where it is.
type Spec struct {
	// Name is the metadata source's name ("default" for Hasura's first).
	Name string
	// URL is postgres://..., mysql://user:password@host:port/database
	// (MariaDB too), or sqlite:///path/to/file.db (or a file's path), as
	// `warden schema pull --database-url` takes it. It may hold a
	// password: print Redacted, never URL.
	URL string
	// Dialect follows from the URL's scheme.
	Dialect sqlgen.Dialect
}

// ParseSpec parses NAME=URL.
func ParseSpec(s string) (Spec, error) {
	name, raw, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || name == "" || raw == "" {
		return Spec{}, fmt.Errorf("want NAME=URL (a metadata source's name, then postgres://, mysql:// or sqlite:// and the rest)")
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return Spec{}, fmt.Errorf("source name %q: no spaces or control characters", name)
	}
	sp := Spec{Name: name, URL: raw}
	db, d, err := introspect.Open(raw)
	if err != nil {
		return Spec{}, fmt.Errorf("source %s: %s", name, redact(err.Error(), sp.password()))
	}
	db.Close() // nothing connected: sql.Open only checks the form
	switch d {
	case introspect.Postgres:
		sp.Dialect = sqlgen.Postgres
	case introspect.MySQL:
		sp.Dialect = sqlgen.MySQL
	case introspect.SQLite:
		sp.Dialect = sqlgen.SQLite
	default:
		return Spec{}, fmt.Errorf("source %s: no SQL dialect for database kind %q", name, d)
	}
	return sp, nil
}

// Redacted is the URL with its password, if any, replaced by xxxxx.
func (s Spec) Redacted() string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// password is the URL's password, "" when it has none.
func (s Spec) password() string {
	u, err := url.Parse(s.URL)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// Specs is a repeatable flag of NAME=URL values; one value may also hold
// several, separated by white space (the environment variable's form).
type Specs []Spec

// String lists the specs with their passwords redacted.
func (s *Specs) String() string {
	if s == nil {
		return ""
	}
	out := make([]string, len(*s))
	for i, sp := range *s {
		out[i] = sp.Name + "=" + sp.Redacted()
	}
	return strings.Join(out, " ")
}

// Set adds the NAME=URL specs of v.
func (s *Specs) Set(v string) error {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return fmt.Errorf("want NAME=URL")
	}
	for _, f := range fields {
		sp, err := ParseSpec(f)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(*s, func(o Spec) bool { return o.Name == sp.Name }) {
			return fmt.Errorf("source %s: given twice", sp.Name)
		}
		*s = append(*s, sp)
	}
	return nil
}

// Names are the specs' source names, sorted.
func (s Specs) Names() []string {
	out := make([]string, len(s))
	for i, sp := range s {
		out[i] = sp.Name
	}
	slices.Sort(out)
	return out
}

// redact blanks a password in a message.
func redact(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "xxxxx")
}

// Database is one opened database.
type Database struct {
	Name    string
	Dialect sqlgen.Dialect
	db      *sql.DB
	secret  string

	mu      sync.Mutex
	mariadb *bool // MySQL dialect: the server is MariaDB (asked once)
}

// Databases are the opened databases by source name.
type Databases struct {
	byName map[string]*Database
	names  []string
}

// Open prepares a connection pool for each spec. Nothing connects until
// the first query, so a database that is down does not keep the server
// from starting; its queries fail until it is up.
func Open(specs Specs) (*Databases, error) {
	d := &Databases{byName: map[string]*Database{}, names: specs.Names()}
	for _, sp := range specs {
		db, err := openPool(sp)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("console database %s: %w", sp.Name, err)
		}
		// A console is one person clicking: a few connections, not kept
		// open for long.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(time.Minute)
		d.byName[sp.Name] = &Database{Name: sp.Name, Dialect: sp.Dialect, db: db, secret: sp.password()}
	}
	return d, nil
}

// openPool opens the URL as `warden schema pull` does
// (introspect.Open): SQLite read-only (mode=ro), and Query sets PRAGMA
// query_only on top.
func openPool(sp Spec) (*sql.DB, error) {
	db, _, err := introspect.Open(sp.URL)
	if err != nil {
		return nil, errors.New(redact(err.Error(), sp.password()))
	}
	return db, nil
}

// Get returns the database of a metadata source.
func (d *Databases) Get(source string) (*Database, bool) {
	if d == nil {
		return nil, false
	}
	db, ok := d.byName[source]
	return db, ok
}

// Names are the configured sources, sorted.
func (d *Databases) Names() []string {
	if d == nil {
		return nil
	}
	return d.names
}

// Close closes every pool.
func (d *Databases) Close() {
	if d == nil {
		return
	}
	for _, db := range d.byName {
		db.db.Close()
	}
}

// Stage says where a query failed.
type Stage string

// The stages of a query.
const (
	// StageConnect: connecting or starting the read-only transaction.
	StageConnect Stage = "connect"
	// StageQuery: running the statement or reading its rows.
	StageQuery Stage = "query"
)

// Error is a failed query: which database, at which stage, and the
// driver's error with the URL's password blanked. Unwrap gives
// context.DeadlineExceeded when the timeout passed.
type Error struct {
	Database string
	Stage    Stage
	// Message is the database's or the driver's message.
	Message string
	// Code is the database's error code when it gave one (SQLSTATE for
	// PostgreSQL, the error number for MySQL).
	Code    string
	timeout bool
}

func (e *Error) Error() string {
	if e.timeout {
		return fmt.Sprintf("database %s: the query did not finish within its timeout", e.Database)
	}
	return fmt.Sprintf("database %s (%s): %s", e.Database, e.Stage, e.Message)
}

// Unwrap gives context.DeadlineExceeded for a query that timed out.
func (e *Error) Unwrap() error {
	if e.timeout {
		return context.DeadlineExceeded
	}
	return nil
}

// Result is what a query returned.
type Result struct {
	Columns []string
	// Rows hold each value as text (see Text); nil is SQL NULL.
	Rows [][]*string
	// Truncated: there were more rows than maxRows.
	Truncated bool
}
