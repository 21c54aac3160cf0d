package difftest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // MariaDB / MySQL
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL
	_ "modernc.org/sqlite"             // SQLite, pure Go

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// Addresses of the databases the test runs against.
const (
	PostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&synchronous_commit=off"
	MariaDBDSN  = "root@tcp(127.0.0.1:3306)/test?charset=utf8mb4&parseTime=false&multiStatements=false"
)

// DB is a database of one dialect holding generated cases, each in its own
// schema (PostgreSQL), database (MariaDB) or in-memory database (SQLite).
type DB struct {
	Dialect sqlgen.Dialect
	db      *sql.DB
	run     string
	// citext: PostgreSQL has the citext extension (citext columns are
	// created as citext, else as text: Filter's SQL does not depend on it).
	citext bool
	// close ends what the connection needs beyond itself (a scratch
	// database, WithPostGIS).
	close func()
}

// Open connects to the database of a dialect; run names this test run in
// the schemas it creates.
func Open(ctx context.Context, d sqlgen.Dialect, run string) (*DB, error) {
	var db *sql.DB
	var err error
	switch d {
	case sqlgen.Postgres:
		db, err = sql.Open("pgx", PostgresDSN)
	case sqlgen.MySQL:
		db, err = sql.Open("mysql", MariaDBDSN)
	case sqlgen.SQLite:
		db, err = openSQLite()
	}
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, err
	}
	out := &DB{Dialect: d, db: db, run: run}
	if d == sqlgen.Postgres {
		out.citext = ensureCitext(ctx, db)
	}
	return out, nil
}

// ensureCitext creates PostgreSQL's citext extension if it is missing (a
// concurrent run may create it first) and reports whether it is there.
func ensureCitext(ctx context.Context, db *sql.DB) bool {
	has := func() bool {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'citext'").Scan(&n)
		return err == nil && n > 0
	}
	if has() {
		return true
	}
	_, _ = db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS citext")
	return has()
}

func openSQLite() (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err == nil {
		db.SetMaxOpenConns(1) // one connection: one in-memory database
	}
	return db, err
}

// Close closes the connection.
func (d *DB) Close() error {
	err := d.db.Close()
	if d.close != nil {
		d.close()
	}
	return err
}

// WithPostGIS returns a PostgreSQL connection to a scratch database of the
// run's own with the postgis and citext extensions, for cases with
// geometry columns (dbops.go): PostGIS stays out of the shared database.
// Its Close drops the database; d must stay open until then.
func (d *DB) WithPostGIS(ctx context.Context) (*DB, error) {
	if d.Dialect != sqlgen.Postgres {
		return nil, fmt.Errorf("difftest: PostGIS is PostgreSQL's")
	}
	name := "wdt_gis_" + d.run
	if !safeName.MatchString(strings.TrimPrefix(name, "wdt_gis_")) {
		return nil, fmt.Errorf("difftest: run name %q", d.run)
	}
	if _, err := d.db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("postgres: CREATE DATABASE %s: %w", name, err)
	}
	drop := func() {
		_, _ = d.db.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	db, err := sql.Open("pgx", strings.Replace(PostgresDSN, "/test?", "/"+name+"?", 1))
	if err == nil {
		_, err = db.ExecContext(ctx, "CREATE EXTENSION postgis")
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		drop()
		return nil, fmt.Errorf("postgres: CREATE EXTENSION postgis (apt-get install postgresql-15-postgis-3): %w", err)
	}
	out := &DB{Dialect: d.Dialect, db: db, run: d.run, close: drop}
	out.citext = ensureCitext(ctx, db)
	return out, nil
}

// Store is one case loaded into a database.
type Store struct {
	*DB
	// Schemas maps the policy's schema to the one holding the tables, for
	// sqlgen.Options.
	Schemas map[string]string
	drop    func()
}

// Close drops the case's tables.
func (s *Store) Close() { s.drop() }

// Load creates the tables of a case in a schema (database) of their own,
// or a fresh in-memory database for SQLite, and inserts its rows.
func (d *DB) Load(ctx context.Context, c *Case) (*Store, error) {
	schema := fmt.Sprintf("wdt_%s_%d", d.run, c.Seed)
	st := &Store{DB: d, Schemas: map[string]string{"public": schema}, drop: func() {}}
	var stmt string
	switch d.Dialect {
	case sqlgen.Postgres:
		stmt = "CREATE SCHEMA " + schema
		st.drop = func() { d.db.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE") }
	case sqlgen.MySQL:
		stmt = "CREATE DATABASE " + schema + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
		st.drop = func() { d.db.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE "+schema) }
	case sqlgen.SQLite:
		db, err := openSQLite()
		if err != nil {
			return nil, err
		}
		st.DB = &DB{Dialect: d.Dialect, db: db, run: d.run, citext: d.citext}
		st.drop = func() { db.Close() }
		st.Schemas["public"] = ""
	}
	if stmt != "" {
		if _, err := d.db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.Dialect, stmt, err)
		}
	}
	o := sqlgen.Options{Dialect: d.Dialect, Schemas: st.Schemas}
	if err := st.DB.createTypes(ctx, o, c.Policy); err != nil {
		st.Close()
		return nil, err
	}
	for _, t := range c.Policy.SortedTables() {
		if err := st.DB.create(ctx, o, t, c.Rows[t.Name]); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

func (d *DB) quote(s string) string {
	if d.Dialect == sqlgen.MySQL {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (d *DB) table(o sqlgen.Options, t model.TableName) string {
	if s := o.Schemas[SchemaKey(t)]; s != "" {
		return d.quote(s) + "." + d.quote(t.Name)
	}
	return d.quote(t.Name)
}

// columnType is the storage type of a kind. Text columns get a case- and
// accent-insensitive collation where the dialect has one, so that only a
// rendering that forces byte comparison passes.
func (d *DB) columnType(k model.Kind) string {
	switch d.Dialect {
	case sqlgen.Postgres:
		if k == model.KindInteger {
			return "bigint"
		}
		return k.String()
	case sqlgen.MySQL:
		return map[model.Kind]string{
			model.KindInteger: "BIGINT", model.KindNumeric: "DECIMAL(30,6)",
			model.KindText:    "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
			model.KindBoolean: "BOOLEAN", model.KindUUID: "CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
			model.KindDate: "DATE", model.KindTimestamp: "DATETIME(6)", model.KindTimestamptz: "DATETIME(6)",
			model.KindJSONB: "JSON",
		}[k]
	}
	return map[model.Kind]string{
		model.KindInteger: "INTEGER", model.KindNumeric: "REAL", model.KindText: "TEXT COLLATE NOCASE",
		model.KindBoolean: "INTEGER", model.KindUUID: "TEXT COLLATE NOCASE", model.KindDate: "TEXT",
		model.KindTimestamp: "TEXT", model.KindTimestamptz: "TEXT", model.KindJSONB: "TEXT",
	}[k]
}

// userType names, in PostgreSQL, the enum type or domain of a column (in
// the case's schema), "" for another column.
func (d *DB) userType(o sqlgen.Options, c *model.Column) string {
	if d.Dialect != sqlgen.Postgres || c.Type.Enum == nil && c.Type.Base == "" {
		return ""
	}
	schema, name, ok := strings.Cut(c.Type.Declared, ".")
	if !ok {
		return ""
	}
	return d.table(o, model.TableName{Schema: schema, Name: name})
}

// createTypes creates, in PostgreSQL, the enum types and domains the
// case's columns are declared with: CREATE TYPE ... AS ENUM, CREATE
// DOMAIN ... AS its base type (citext where the database has it).
func (d *DB) createTypes(ctx context.Context, o sqlgen.Options, p *model.Policy) error {
	made := map[string]bool{}
	for _, t := range p.SortedTables() {
		for _, c := range t.Columns {
			typ := d.userType(o, c)
			if typ == "" || made[typ] {
				continue
			}
			made[typ] = true
			var ddl string
			switch {
			case c.Type.Enum != nil:
				labels := make([]string, len(c.Type.Enum.Labels))
				for i, l := range c.Type.Enum.Labels {
					labels[i] = "'" + strings.ReplaceAll(l, "'", "''") + "'"
				}
				ddl = "CREATE TYPE " + typ + " AS ENUM (" + strings.Join(labels, ", ") + ")"
			case c.Type.Fold && d.citext:
				ddl = "CREATE DOMAIN " + typ + " AS citext"
			case c.Type.Kind == model.KindText:
				ddl = "CREATE DOMAIN " + typ + ` AS text COLLATE "und-x-icu"`
			default:
				ddl = "CREATE DOMAIN " + typ + " AS " + c.Type.Base
			}
			if _, err := d.db.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("%s: %s: %w", d.Dialect, ddl, err)
			}
		}
	}
	return nil
}

// storedType is the type a column is stored as: its enum type or domain
// (PostgreSQL), a MariaDB ENUM of its labels (compared bytewise), the
// declared type of an opaque column (PostgreSQL; text elsewhere), or the
// storage type of its kind.
func (d *DB) storedType(o sqlgen.Options, c *model.Column) string {
	if typ := d.userType(o, c); typ != "" {
		return typ
	}
	switch {
	case d.Dialect == sqlgen.MySQL && c.Type.Enum != nil:
		labels := make([]string, len(c.Type.Enum.Labels))
		for i, l := range c.Type.Enum.Labels {
			labels[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(l, `\`, `\\`), "'", "''") + "'"
		}
		return "ENUM(" + strings.Join(labels, ", ") + ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	case (c.Type.Kind == model.KindOpaque || c.Type.Canon != "") && d.Dialect == sqlgen.Postgres:
		return c.Type.Declared
	case c.Type.Kind == model.KindOpaque || c.Type.Canon != "":
		return "TEXT"
	}
	return d.columnType(c.Type.Kind)
}

func (d *DB) create(ctx context.Context, o sqlgen.Options, t *model.Table, rows []map[string]any) error {
	cols := make([]string, len(t.Columns))
	names := make([]string, len(t.Columns))
	types := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		types[i] = d.storedType(o, c)
		cols[i] = d.quote(c.Name) + " " + types[i]
		// character(n) of an odd n is stored as such (PostgreSQL pads it,
		// MariaDB strips the padding on read), of an even n as text:
		// Filter's SQL must not depend on the stored type.
		char := c.Type.PadSpace && c.Type.Length%2 == 1
		switch {
		case c.Type.Enum != nil || c.Type.Base != "" || c.Type.Kind == model.KindOpaque || c.Type.Canon != "":
		case d.Dialect == sqlgen.Postgres && c.Type.Fold && d.citext:
			cols[i] = d.quote(c.Name) + " citext" // its own =, <, ~ and LIKE ignore case
		case d.Dialect == sqlgen.Postgres && char:
			cols[i] = d.quote(c.Name) + fmt.Sprintf(` character(%d) COLLATE "und-x-icu"`, c.Type.Length)
		case d.Dialect == sqlgen.Postgres && c.Type.Kind == model.KindText:
			cols[i] += ` COLLATE "und-x-icu"` // not byte order: 'a' < 'B'
		case d.Dialect == sqlgen.MySQL && char:
			cols[i] = d.quote(c.Name) + fmt.Sprintf(" CHAR(%d) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", c.Type.Length)
		}
		if c.Name == "id" {
			cols[i] += " PRIMARY KEY"
		}
		names[i] = d.quote(c.Name)
	}
	ddl := "CREATE TABLE " + d.table(o, t.Name) + " (" + strings.Join(cols, ", ") + ")"
	if _, err := d.db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Dialect, ddl, err)
	}
	if len(rows) == 0 {
		return nil
	}
	// One statement for all rows.
	var tuples []string
	var args []any
	for _, r := range rows {
		p := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			v := r[c.Name]
			if sp, ok := v.(string); ok && c.Type.Canon != "" {
				// A key of an interval, timetz or money value as
				// PostgreSQL's text: the generator's other spelling of
				// it, else model.CanonPG's.
				if keyedStorage[sp] != "" {
					v = keyedStorage[sp]
				} else if pg, err := model.CanonPG(c.Type, sp); err == nil {
					v = pg
				}
			}
			args = append(args, d.storage(c.Type.Kind, v))
			p[i] = "?"
			if d.Dialect == sqlgen.Postgres {
				p[i] = "$" + strconv.Itoa(len(args)) + "::" + types[i]
			}
		}
		tuples = append(tuples, "("+strings.Join(p, ", ")+")")
	}
	ins := "INSERT INTO " + d.table(o, t.Name) + " (" + strings.Join(names, ", ") + ") VALUES " + strings.Join(tuples, ", ")
	if _, err := d.db.ExecContext(ctx, ins, args...); err != nil {
		return fmt.Errorf("%s: %s %v: %w", d.Dialect, ins, args, err)
	}
	return nil
}

// storage converts a canonical value to what the dialect stores.
func (d *DB) storage(k model.Kind, v any) any {
	if v == nil {
		return nil
	}
	if k == model.KindJSONB {
		b, _ := json.Marshal(v)
		return string(b)
	}
	switch x := v.(type) {
	case json.Number:
		switch {
		case d.Dialect == sqlgen.Postgres:
			return string(x)
		case k == model.KindInteger:
			i, _ := strconv.ParseInt(string(x), 10, 64)
			return i
		case d.Dialect == sqlgen.SQLite:
			f, _ := strconv.ParseFloat(string(x), 64)
			return f
		}
		return string(x)
	case bool:
		if d.Dialect == sqlgen.Postgres {
			return strconv.FormatBool(x)
		}
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		if d.Dialect == sqlgen.MySQL && (k == model.KindTimestamp || k == model.KindTimestamptz) {
			return strings.TrimSuffix(strings.Replace(x, "T", " ", 1), "Z")
		}
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// IDs runs a query that selects ids (and optionally more integer
// columns) and returns the rows.
func (d *DB) IDs(ctx context.Context, query string, args []any) ([][]int64, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]int64
	for rows.Next() {
		vals := make([]int64, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}
