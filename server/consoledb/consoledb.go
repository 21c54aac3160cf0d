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

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL
	_ "modernc.org/sqlite"             // SQLite, pure Go

	"github.com/wardenpdp/warden/policy/sqlgen"
)

// Spec is one configured database: the metadata source it serves and
// where it is.
type Spec struct {
	// Name is the metadata source's name ("default" for Hasura's first).
	Name string
	// URL is postgres://..., mysql://user:password@host:port/database
	// (MariaDB too), or sqlite:///path/to/file.db. It may hold a
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
	u, err := url.Parse(raw)
	if err != nil {
		// url's error quotes the URL, password and all.
		return Spec{}, fmt.Errorf("source %s: the URL does not parse", name)
	}
	sp := Spec{Name: name, URL: raw}
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql":
		sp.Dialect = sqlgen.Postgres
	case "mysql", "mariadb":
		sp.Dialect = sqlgen.MySQL
		if _, err := mysqlConfig(u); err != nil {
			return Spec{}, fmt.Errorf("source %s: %w", name, err)
		}
	case "sqlite", "sqlite3":
		sp.Dialect = sqlgen.SQLite
		if sqlitePath(u) == "" {
			return Spec{}, fmt.Errorf("source %s: want sqlite:///path/to/file.db (or sqlite:relative/path.db)", name)
		}
		if u.RawQuery != "" {
			return Spec{}, fmt.Errorf("source %s: a sqlite URL takes no parameters (the file is opened read-only)", name)
		}
	default:
		return Spec{}, fmt.Errorf("source %s: URL scheme %q: want postgres, mysql (MariaDB too) or sqlite", name, u.Scheme)
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

// mysqlConfig turns mysql://user:password@host:port/database?params into
// the driver's configuration (the query's parameters are the driver's
// DSN parameters).
func mysqlConfig(u *url.URL) (*mysql.Config, error) {
	c := mysql.NewConfig()
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	c.Net, c.Addr = "tcp", u.Host
	if c.Addr == "" {
		c.Addr = "127.0.0.1:3306"
	} else if u.Port() == "" {
		c.Addr += ":3306"
	}
	c.DBName = strings.TrimPrefix(u.Path, "/")
	if c.DBName == "" || strings.Contains(c.DBName, "/") {
		return nil, fmt.Errorf("want mysql://user:password@host:port/database")
	}
	dsn := c.FormatDSN()
	if u.RawQuery != "" {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + u.RawQuery
	}
	parsed, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's error may quote the DSN.
		return nil, fmt.Errorf("the URL's parameters are not the MySQL driver's")
	}
	return parsed, nil
}

// sqlitePath is the file a sqlite URL names.
func sqlitePath(u *url.URL) string {
	if u.Opaque != "" {
		return u.Opaque
	}
	return u.Host + u.Path
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

func openPool(sp Spec) (*sql.DB, error) {
	u, err := url.Parse(sp.URL)
	if err != nil {
		return nil, errors.New("the URL does not parse")
	}
	switch sp.Dialect {
	case sqlgen.Postgres:
		return sql.Open("pgx", sp.URL)
	case sqlgen.MySQL:
		c, err := mysqlConfig(u)
		if err != nil {
			return nil, err
		}
		conn, err := mysql.NewConnector(c)
		if err != nil {
			return nil, errors.New("the MySQL configuration is not usable")
		}
		return sql.OpenDB(conn), nil
	case sqlgen.SQLite:
		// SQLite's own URI: mode=ro opens the file read-only (and never
		// creates it); the driver's _query_only sets PRAGMA query_only.
		path := (&url.URL{Path: sqlitePath(u)}).EscapedPath()
		return sql.Open("sqlite", "file:"+path+"?mode=ro&_query_only=1")
	}
	return nil, fmt.Errorf("no driver for dialect %s", sp.Dialect)
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
