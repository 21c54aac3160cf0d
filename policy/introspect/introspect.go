// Package introspect reads table definitions — columns with their types and
// nullability, primary keys, foreign keys — from a live PostgreSQL,
// MySQL/MariaDB or SQLite database and writes Warden's schema file, so that
// a team with a database never writes the file by hand.
package introspect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// Dialect is the kind of database.
type Dialect string

// The dialects.
const (
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
	SQLite   Dialect = "sqlite"
)

// Table is one introspected table.
type Table struct {
	Name        model.TableName
	Columns     []Column
	PrimaryKey  []string
	ForeignKeys []ForeignKey
}

// Column is one column.
type Column struct {
	Name string
	// Type is the type as the database names it; an enum or domain
	// schema-qualified (PostgreSQL).
	Type     string
	Nullable bool
	// Base is a domain's base type (PostgreSQL), "" for another type.
	Base string
	// Enum lists the labels of an enum type (or of a domain's enum base)
	// in the type's order (PostgreSQL).
	Enum []string
}

// Warnings says, per column, what Warden cannot use of the tables: a type
// on which only _is_null decides (tsvector, a range, an array of numeric,
// an interval restricted to fields, an enum whose labels it could not
// read, ...).
func Warnings(tables []Table) []string {
	var out []string
	for _, t := range tables {
		for _, c := range t.Columns {
			if len(c.Enum) > 0 {
				continue
			}
			typ, decides := c.Type, c.Type
			if c.Base != "" {
				decides = c.Base
				typ += " (a domain over " + c.Base + ")"
			}
			if load.KindOf(decides) == model.KindOpaque && load.SpatialType(decides) == "" {
				// PostGIS columns are opaque to Check but take _st_*.
				if model.OpaqueCast(c.Type) != "" {
					// Hasura's generic comparisons load, left to the
					// database (model.DatabaseOpaque).
					out = append(out, fmt.Sprintf("%s.%s: type %s: Warden decides only _is_null on it; _eq _neq _gt _lt _gte _lte _in _nin and _ceq ... _clte with a column of its type are left to the database (Check answers NEEDS_DATA), other comparisons will not load", t.Name, c.Name, typ))
					continue
				}
				out = append(out, fmt.Sprintf("%s.%s: type %s: Warden decides only _is_null on it; _ceq ... _clte with a column of its type are left to the database (Check answers NEEDS_DATA), a rule comparing it otherwise will not load", t.Name, c.Name, typ))
			}
		}
	}
	return out
}

// ForeignKey is one foreign key constraint.
type ForeignKey struct {
	Columns    []string
	RefTable   model.TableName
	RefColumns []string
}

// ErrTableNotFound is returned (wrapped) when a table the metadata names is
// not in the database.
var ErrTableNotFound = errors.New("table not found")

// ErrConnect is what a *ConnectError unwraps to (besides its cause).
var ErrConnect = errors.New("cannot connect to the database")

// ConnectError says that the database a URL names could not be reached or
// refused the connection (server down, wrong host or port, bad
// credentials, no such database, a SQLite file that does not open): not
// that a table is missing. URL has its password redacted, and so has the
// cause's text.
type ConnectError struct {
	URL string
	Err error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot connect to the database %s: %v", e.URL, e.Err)
}

// Unwrap returns ErrConnect and the cause.
func (e *ConnectError) Unwrap() []error { return []error{ErrConnect, e.Err} }

// Connect opens a database as Open does and makes sure it answers: a
// database that cannot be reached, or refuses the credentials, is a
// *ConnectError naming the URL without its password.
func Connect(ctx context.Context, rawURL string) (*sql.DB, Dialect, error) {
	db, d, err := Open(rawURL)
	if err != nil {
		return nil, "", err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", &ConnectError{URL: redact(rawURL), Err: redactedError{err, password(rawURL)}}
	}
	return db, d, nil
}

// redactedError is an error whose text has a password replaced.
type redactedError struct {
	err      error
	password string
}

func (e redactedError) Error() string {
	if e.password == "" {
		return e.err.Error()
	}
	return strings.ReplaceAll(e.err.Error(), e.password, "xxxxx")
}

func (e redactedError) Unwrap() error { return e.err }

// password is the password of a URL, or "".
func password(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// Open opens a database from a URL: postgres:// or postgresql:// (pgx),
// mysql://user:pass@host:port/db (go-sql-driver/mysql), or sqlite://PATH or
// a plain file path (modernc.org/sqlite, opened read-only).
func Open(rawURL string) (*sql.DB, Dialect, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err := sql.Open("pgx", rawURL)
		return db, Postgres, err
	case strings.HasPrefix(rawURL, "mysql://"):
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, "", fmt.Errorf("database URL: %w", err)
		}
		cfg := mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		if cfg.DBName == "" {
			return nil, "", errors.New("database URL: mysql:// needs a database name (mysql://user@host:3306/db)")
		}
		db, err := sql.Open("mysql", cfg.FormatDSN())
		return db, MySQL, err
	case strings.Contains(rawURL, "://") && !strings.HasPrefix(rawURL, "sqlite://") && !strings.HasPrefix(rawURL, "file:"):
		return nil, "", fmt.Errorf("database URL %q: want postgres://, mysql://, sqlite:// or a SQLite file", redact(rawURL))
	}
	path := strings.TrimPrefix(rawURL, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	return db, SQLite, err
}

// redact drops the password of a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Tables introspects the named tables. For MySQL and SQLite, which have no
// schemas in PostgreSQL's sense, every table name's schema must be "public"
// (the connected database). A table the database does not have is left out
// and returned in missing (the loader then reports it as an inconsistent
// object, as Hasura does). Foreign keys to tables outside the list are
// dropped, so that the schema file is self-contained.
func Tables(ctx context.Context, db *sql.DB, d Dialect, names []model.TableName) (tables []Table, missing []model.TableName, err error) {
	var out []Table
	want := map[model.TableName]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, n := range names {
		var t *Table
		var err error
		switch d {
		case Postgres:
			t, err = postgresTable(ctx, db, n)
		case MySQL, SQLite:
			if n.Schema != "public" {
				return nil, nil, fmt.Errorf("table %s: %s has no schemas; the metadata must name tables in schema public", n, d)
			}
			if d == MySQL {
				t, err = mysqlTable(ctx, db, n)
			} else {
				t, err = sqliteTable(ctx, db, n)
			}
		default:
			return nil, nil, fmt.Errorf("unknown dialect %q", d)
		}
		if errors.Is(err, ErrTableNotFound) {
			missing = append(missing, n)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("table %s: %w", n, err)
		}
		kept := t.ForeignKeys[:0]
		for _, fk := range t.ForeignKeys {
			if want[fk.RefTable] {
				kept = append(kept, fk)
			}
		}
		t.ForeignKeys = kept
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name.Less(out[j].Name) })
	return out, missing, nil
}

// WithReferenced adds to names the tables that their foreign keys
// reference (one level), so that object relationships declared by foreign
// key resolve.
func WithReferenced(ctx context.Context, db *sql.DB, d Dialect, names []model.TableName) ([]model.TableName, error) {
	seen := map[model.TableName]bool{}
	for _, n := range names {
		seen[n] = true
	}
	out := append([]model.TableName(nil), names...)
	for _, n := range names {
		var fks []ForeignKey
		var err error
		switch d {
		case Postgres:
			fks, err = postgresForeignKeys(ctx, db, n)
		case MySQL:
			fks, err = mysqlForeignKeys(ctx, db, n)
		case SQLite:
			fks, err = sqliteForeignKeys(ctx, db, n)
		}
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", n, err)
		}
		for _, fk := range fks {
			if !seen[fk.RefTable] {
				seen[fk.RefTable] = true
				out = append(out, fk.RefTable)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out, nil
}

// groupForeignKeys turns (constraint, column, ref column) rows, ordered by
// constraint and position, into foreign keys.
type fkRow struct {
	name, col, refCol string
	ref               model.TableName
}

func groupForeignKeys(rows []fkRow) []ForeignKey {
	var out []ForeignKey
	last := ""
	for _, r := range rows {
		if r.name != last || len(out) == 0 {
			out = append(out, ForeignKey{RefTable: r.ref})
			last = r.name
		}
		fk := &out[len(out)-1]
		fk.Columns = append(fk.Columns, r.col)
		fk.RefColumns = append(fk.RefColumns, r.refCol)
	}
	return out
}
