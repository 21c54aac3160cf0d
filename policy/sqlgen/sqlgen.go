// Package sqlgen renders a bound residual predicate (package residual) as a
// parameterised SQL boolean expression for PostgreSQL, MySQL/MariaDB or
// SQLite, for a caller to AND into the WHERE clause of its own query.
//
// Values only ever reach the database as bind parameters ($n for
// PostgreSQL, ? for MySQL and SQLite); identifiers come only from the
// loaded schema (and the caller's table alias) and are quoted for the
// dialect. The rendered expression means what the Rego means, NULLs
// included: Rego's two-valued logic is kept under NOT, text compares byte
// by byte, and pattern operators reproduce the Go regular expression the
// Rego evaluates. What a dialect cannot express is an *UnsupportedError,
// never dropped from the filter; Validate finds those in a policy set at
// load time. The per-dialect decisions are listed in doc.go.
//
// One exception to bind parameters: for PostgreSQL row-level security
// (package rls), Options.Session renders a template's session variables as
// reads of the session inside the database, and the rules' own values as
// typed literals quoted by QuoteLiteral, since DDL takes no parameters.
// Values of a request never reach that SQL.
package sqlgen

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wardenpdp/warden/policy/model"
)

// Dialect is a SQL flavour.
type Dialect int

// The dialects.
const (
	Postgres Dialect = iota + 1
	// MySQL is MySQL 8 and MariaDB 10.6 or later.
	MySQL
	SQLite
)

// Dialects lists every dialect.
var Dialects = []Dialect{Postgres, MySQL, SQLite}

// String returns "postgres", "mysql" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("dialect(%d)", int(d))
}

// ParseDialect parses a dialect name: postgres (or postgresql), mysql (or
// mariadb), sqlite.
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(s) {
	case "postgres", "postgresql", "pg":
		return Postgres, nil
	case "mysql", "mariadb":
		return MySQL, nil
	case "sqlite", "sqlite3":
		return SQLite, nil
	}
	return 0, fmt.Errorf("unknown SQL dialect %q (want postgres, mysql or sqlite)", s)
}

// Options says how to render.
type Options struct {
	Dialect Dialect
	// Alias is the root table's name in the caller's query; empty means
	// the qualified table name.
	Alias string
	// FirstPlaceholder is the number of the first $n placeholder
	// (PostgreSQL); 0 means 1.
	FirstPlaceholder int
	// Schemas maps a schema of the policy to the schema (PostgreSQL),
	// database (MySQL) or attached database (SQLite) that holds its tables;
	// "" means unqualified. Schemas absent from the map: as named for
	// PostgreSQL; for MySQL and SQLite "public" is unqualified and others
	// as named.
	//
	// For a table named with its source (a name several sources of the
	// metadata track), "source:schema" is looked up first, then "schema".
	Schemas map[string]string
	// Role and SessionVars are the request's session (variable names
	// lower-cased), passed as Hasura passes it to computed fields that take
	// it (session_argument): a json object of the variables with
	// x-hasura-role. Without a role such a computed field cannot be
	// rendered.
	Role        string
	SessionVars map[string]string
	// Session, for PostgreSQL only, renders the session variables of a
	// template (residual.Param on the right of a comparison) as reads of
	// the session inside the database, for row-level security policies,
	// which cannot take bind parameters. Nil: a Param is an error.
	Session *SessionRead
}

// SessionRead says how SQL reads a session variable inside the database:
// Schema.Function(Setting, name) returns its text, and raises an error
// when it is not set, so that a missing variable fails the statement
// rather than compare with NULL (under NOT, NULL IS NOT TRUE would hold).
// The text is cast to the column's type, as Check coerces it.
type SessionRead struct {
	Schema, Function string
	// Setting is the name of the setting that holds the session's json
	// (request.jwt.claims).
	Setting string
	// Path, when not nil, is where the session's variables are inside
	// the setting's json (the keys of jsonb's #> operator: the Hasura
	// namespace "https://hasura.io/jwt/claims" inside PostgREST's
	// claims), passed as a third argument, '{}' for the top level. Nil
	// calls Function with two arguments.
	Path []string
	// List, when not empty, is the function in Schema that parses a
	// list variable's text as Check does (model.ParseArrayLiteral: a
	// one-dimensional array literal, no NULL element), returning text[]
	// and raising an error on what Check rejects. Empty: a list variable
	// is not read inside the database.
	List string
	// Timestamptz, when not empty, is the function in Schema that reads a
	// timestamptz as Check does (TimestamptzFunctionSQL): without an
	// offset as UTC, not in the session's TimeZone. Empty: a timestamptz
	// variable is not read inside the database.
	Timestamptz string
	// Labels, when not empty, is the function in Schema that checks
	// values against an enum's labels as Check does
	// (LabelsFunctionSQL); Enums holds the policy's enum types by name
	// (model.Enum.String(), residual.Param.Enum). Either missing: a
	// variable compared with an enum column is not read inside the
	// database.
	Labels string
	Enums  map[string]*model.Enum
	// JSON, when not empty, is the function in Schema that returns the
	// session as the json object Hasura passes a computed field that
	// takes it (session_argument), as Options.SessionVars and Role are
	// passed outside row-level security: JSON(setting, path, role)
	// (SessionJSON). Empty: such a computed field is not called.
	JSON string
	// Fold, when not empty, is the function in Schema that lower-cases
	// text as Check lower-cases a citext value (FoldFunctionSQL). Empty:
	// a variable compared with a citext column is not read inside the
	// database.
	Fold string
	// CaseFold, when not empty, is the function in Schema that maps text
	// to its simple case-folding orbits (CaseFoldFunctionSQL), for
	// _ilike with a session pattern. Empty: such a pattern is not read
	// inside the database.
	CaseFold string
}

// Fragment is rendered SQL with its bind parameters, in placeholder order.
// Parameter values are int64, string, bool, or (PostgreSQL arrays) []int64,
// []string, []bool; every string parameter may be sent as text.
type Fragment struct {
	SQL  string
	Args []any
}

// ErrUnsupported is returned, wrapped in *UnsupportedError, for an operator
// a dialect cannot express with the meaning the policy gives it.
var ErrUnsupported = errors.New("not expressible in this SQL dialect")

// UnsupportedError names the operator and the dialect that cannot express
// it, and why.
type UnsupportedError struct {
	// Op is the Hasura operator ("_similar"), or the operator and the
	// column kind ("_eq on jsonb").
	Op      string
	Dialect Dialect
	Reason  string
	// Construct says Op names something other than an operator: a
	// computed field's call, a join.
	Construct bool
}

func (e *UnsupportedError) Error() string {
	what := "operator " + e.Op
	if e.Construct {
		what = e.Op
	}
	msg := fmt.Sprintf("%s cannot be rendered in SQL dialect %s", what, e.Dialect)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Unwrap returns ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// quoteIdent quotes an identifier for d, doubling the quote character.
func quoteIdent(d Dialect, s string) (string, error) {
	if s == "" || strings.ContainsRune(s, 0) {
		return "", fmt.Errorf("sqlgen: invalid identifier %q", s)
	}
	if d == MySQL {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`", nil
	}
	q, _ := model.QuoteIdentPG(s) // s is neither empty nor holds NUL
	return q, nil
}

// QuoteIdent quotes an identifier for d, doubling the quote character.
func QuoteIdent(d Dialect, s string) (string, error) { return quoteIdent(d, s) }

// QuoteLiteral renders s as a PostgreSQL string literal, as the server's
// quote_literal does: quotes doubled, and with a backslash the E'...' form
// with backslashes doubled, so that the text means s whatever
// standard_conforming_strings says. For DDL, which takes no parameters.
func QuoteLiteral(s string) (string, error) {
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return "", fmt.Errorf("sqlgen: %q cannot be a string literal", s)
	}
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.ContainsRune(s, '\\') {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q, nil
}

// TableRef renders a table's qualified name, its schema mapped as o says.
func (o Options) TableRef(t model.TableName) (string, error) { return o.tableRef(t) }

// tableRef renders a table's qualified name.
func (o Options) tableRef(t model.TableName) (string, error) {
	schema, ok := o.Schemas[t.Source+":"+t.Schema]
	if !ok || t.Source == "" {
		schema, ok = o.Schemas[t.Schema]
	}
	if !ok {
		schema = t.Schema
		if o.Dialect != Postgres && t.Schema == "public" {
			schema = ""
		}
	}
	name, err := quoteIdent(o.Dialect, t.Name)
	if err != nil {
		return "", err
	}
	if schema == "" {
		return name, nil
	}
	s, err := quoteIdent(o.Dialect, schema)
	if err != nil {
		return "", err
	}
	return s + "." + name, nil
}
