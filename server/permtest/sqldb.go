package permtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/introspect"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// fixtureDB is where a filter's SQL runs over a suite's fixtures: SQLite
// in memory (sqliteDB), or a scratch database on a PostgreSQL or MySQL
// server (serverDB, --database-url).
type fixtureDB interface {
	dialect() wardenv1.SqlDialect
	// selected runs a Filter answer's WHERE over the fixtures and returns
	// the keys (fixture positions) of the table's rows it selects.
	selected(ctx context.Context, f *fixtures, tn model.TableName, where *wardenv1.SqlFragment) ([]int64, error)
	close()
}

// sqliteDB is the default: the policy's tables in SQLite in memory, the
// fixtures inserted in each query's transaction (difftest.Schema).
type sqliteDB struct {
	db     *difftest.DB
	schema *difftest.Schema
}

func (s *sqliteDB) dialect() wardenv1.SqlDialect { return wardenv1.SqlDialect_SQL_DIALECT_SQLITE }

func (s *sqliteDB) close() {
	s.schema.Close()
	s.db.Close()
}

func (s *sqliteDB) selected(ctx context.Context, f *fixtures, tn model.TableName, where *wardenv1.SqlFragment) ([]int64, error) {
	args, err := sqlArgs(where, sqlgen.SQLite)
	if err != nil {
		return nil, err
	}
	return s.schema.Query(ctx, f.canon, selectKeys(s.schema.Quote, s.schema.Table(tn), where.GetSql()), args)
}

func openSQLite(ctx context.Context, p *model.Policy, name string) (fixtureDB, error) {
	db, err := difftest.Open(ctx, sqlgen.SQLite, "ptest")
	if err != nil {
		return nil, fmt.Errorf("fixtures database (SQLite): %w", err)
	}
	s, err := db.CreateSchema(ctx, p, name)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("fixtures database (SQLite): %w", err)
	}
	return &sqliteDB{db: db, schema: s}, nil
}

const alias = "t"

func selectKeys(quote func(string) string, table, where string) string {
	return "SELECT " + quote(alias) + "." + quote(difftest.KeyColumn) + " FROM " + table + " AS " + quote(alias) + " WHERE " + where
}

// serverDB is a scratch database created on a PostgreSQL or MySQL server
// for one suite and dropped after it: Filter's SQL names the tables as
// the policy does ("public"."articles" in PostgreSQL, `articles` in the
// connection's database in MySQL), so the tables live in a database of
// their own rather than in a schema with another name.
type serverDB struct {
	d      sqlgen.Dialect
	admin  *sql.DB // the server, where the scratch database is created
	db     *sql.DB // the scratch database
	name   string
	policy *model.Policy
}

func (s *serverDB) dialect() wardenv1.SqlDialect {
	if s.d == sqlgen.Postgres {
		return wardenv1.SqlDialect_SQL_DIALECT_POSTGRES
	}
	return wardenv1.SqlDialect_SQL_DIALECT_MYSQL
}

func (s *serverDB) quote(id string) string {
	if s.d == sqlgen.MySQL {
		return "`" + strings.ReplaceAll(id, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

func (s *serverDB) table(tn model.TableName) string {
	if s.d == sqlgen.MySQL {
		return s.quote(tn.Name)
	}
	return s.quote(tn.Schema) + "." + s.quote(tn.Name)
}

func (s *serverDB) close() {
	if s.db != nil {
		s.db.Close()
	}
	_, _ = s.admin.ExecContext(context.Background(), "DROP DATABASE "+s.quote(s.name))
	s.admin.Close()
}

// openServer connects to the server of rawURL, creates a scratch database
// with the policy's tables and inserts the fixtures.
func openServer(ctx context.Context, rawURL string, p *model.Policy, f *fixtures) (fixtureDB, error) {
	admin, d, err := introspect.Connect(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	s := &serverDB{admin: admin, policy: p}
	switch d {
	case introspect.Postgres:
		s.d = sqlgen.Postgres
	case introspect.MySQL:
		s.d = sqlgen.MySQL
	default:
		admin.Close()
		return nil, errors.New("--database-url: want postgres:// or mysql:// (SQLite is the default, in memory)")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		admin.Close()
		return nil, err
	}
	s.name = "warden_test_" + hex.EncodeToString(b[:])
	ddl := "CREATE DATABASE " + s.quote(s.name)
	if s.d == sqlgen.MySQL {
		ddl += " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	}
	if _, err := admin.ExecContext(ctx, ddl); err != nil {
		admin.Close()
		return nil, fmt.Errorf("fixtures database: %s: %w", ddl, err)
	}
	if s.db, err = openScratch(rawURL, s.d, s.name); err != nil {
		s.close()
		return nil, err
	}
	if err := s.create(ctx, f); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// openScratch opens the scratch database on the same server as rawURL.
func openScratch(rawURL string, d sqlgen.Dialect, name string) (*sql.DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if d == sqlgen.Postgres {
		u.Path = "/" + name
		return sql.Open("pgx", u.String())
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.DBName = "tcp", u.Host, u.User.Username(), name
	if u.Port() == "" {
		cfg.Addr += ":3306"
	}
	cfg.Passwd, _ = u.User.Password()
	return sql.Open("mysql", cfg.FormatDSN())
}

// create makes the policy's tables (with difftest.KeyColumn, the row's
// position among the fixtures) and inserts the fixtures.
func (s *serverDB) create(ctx context.Context, f *fixtures) error {
	schemas := map[string]bool{}
	for _, t := range s.policy.SortedTables() {
		if s.d == sqlgen.MySQL && t.Name.Schema != "public" {
			return fmt.Errorf("fixtures database: %s: MySQL takes the tables of schema public only", t.Name)
		}
		if s.d == sqlgen.Postgres && t.Name.Schema != "public" && !schemas[t.Name.Schema] {
			schemas[t.Name.Schema] = true
			if _, err := s.db.ExecContext(ctx, "CREATE SCHEMA "+s.quote(t.Name.Schema)); err != nil {
				return fmt.Errorf("fixtures database: schema %s: %w", t.Name.Schema, err)
			}
		}
		cols := []string{s.quote(difftest.KeyColumn) + " BIGINT PRIMARY KEY"}
		types := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			typ, err := difftest.StorageType(s.d, c)
			if err != nil {
				return fmt.Errorf("fixtures database: %s.%s: %w", t.Name, c.Name, err)
			}
			types[i] = typ
			cols = append(cols, s.quote(c.Name)+" "+typ)
		}
		ddl := "CREATE TABLE " + s.table(t.Name) + " (" + strings.Join(cols, ", ") + ")"
		if _, err := s.db.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("fixtures database: %s: %w", ddl, err)
		}
		rows := f.canon[t.Name]
		if len(rows) == 0 {
			continue
		}
		names := []string{s.quote(difftest.KeyColumn)}
		for _, c := range t.Columns {
			names = append(names, s.quote(c.Name))
		}
		var tuples []string
		var args []any
		for _, r := range rows {
			args = append(args, r[difftest.KeyColumn])
			ph := []string{s.placeholder(len(args), "")}
			for i, c := range t.Columns {
				v, err := s.store(c, r[c.Name])
				if err != nil {
					return fmt.Errorf("fixtures %s: %s: %w", t.Name, c.Name, err)
				}
				args = append(args, v)
				ph = append(ph, s.placeholder(len(args), strings.Split(types[i], " ")[0]))
			}
			tuples = append(tuples, "("+strings.Join(ph, ", ")+")")
		}
		ins := "INSERT INTO " + s.table(t.Name) + " (" + strings.Join(names, ", ") + ") VALUES " + strings.Join(tuples, ", ")
		if _, err := s.db.ExecContext(ctx, ins, args...); err != nil {
			return fmt.Errorf("fixtures %s: inserting the rows: %w", t.Name, err)
		}
	}
	return nil
}

func (s *serverDB) placeholder(n int, typ string) string {
	if s.d == sqlgen.MySQL {
		return "?"
	}
	if typ == "" {
		return "$" + strconv.Itoa(n)
	}
	return "$" + strconv.Itoa(n) + "::" + typ
}

// store converts a canonical value to what the driver stores: numbers as
// their text (PostgreSQL casts it to the column's type; MySQL converts
// it), booleans as 1 or 0 in MySQL, timestamps without T and Z in MySQL,
// jsonb as its JSON text.
func (s *serverDB) store(c *model.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if c.Type.Kind == model.KindJSONB {
		b, err := json.Marshal(v)
		return string(b), err
	}
	switch x := v.(type) {
	case json.Number:
		if s.d == sqlgen.MySQL && c.Type.Kind == model.KindInteger {
			return strconv.ParseInt(string(x), 10, 64)
		}
		return string(x), nil
	case bool:
		if s.d == sqlgen.MySQL {
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
		return x, nil
	case string:
		if s.d == sqlgen.MySQL && (c.Type.Kind == model.KindTimestamp || c.Type.Kind == model.KindTimestamptz) {
			return strings.TrimSuffix(strings.Replace(x, "T", " ", 1), "Z"), nil
		}
		return x, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func (s *serverDB) selected(ctx context.Context, f *fixtures, tn model.TableName, where *wardenv1.SqlFragment) ([]int64, error) {
	args, err := sqlArgs(where, s.d)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, selectKeys(s.quote, s.table(tn), where.GetSql()), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, rows.Err()
}

// sqlArgs are a Filter fragment's parameters as database/sql arguments.
func sqlArgs(where *wardenv1.SqlFragment, d sqlgen.Dialect) ([]any, error) {
	args := make([]any, len(where.GetParameters()))
	for i, p := range where.GetParameters() {
		v, err := sqlArg(p, d)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		args[i] = v
	}
	return args, nil
}

// sqlArg is one Filter parameter as a database/sql argument; an array (a
// PostgreSQL parameter only) becomes a slice of its elements' type.
func sqlArg(p *wardenv1.SqlParameter, d sqlgen.Dialect) (any, error) {
	switch v := p.GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		return v.Text, nil
	case *wardenv1.SqlParameter_Integer:
		return v.Integer, nil
	case *wardenv1.SqlParameter_Boolean:
		return v.Boolean, nil
	case *wardenv1.SqlParameter_Real:
		return v.Real, nil
	case *wardenv1.SqlParameter_Array:
		if d != sqlgen.Postgres {
			return nil, fmt.Errorf("an array parameter, which only PostgreSQL takes, for %s", d)
		}
		els := v.Array.GetElements()
		var ints []int64
		var texts []string
		var bools []bool
		for _, e := range els {
			switch x := e.GetValue().(type) {
			case *wardenv1.SqlParameter_Integer:
				ints = append(ints, x.Integer)
			case *wardenv1.SqlParameter_Text:
				texts = append(texts, x.Text)
			case *wardenv1.SqlParameter_Boolean:
				bools = append(bools, x.Boolean)
			default:
				return nil, fmt.Errorf("array element %T", x)
			}
		}
		switch {
		case len(ints) == len(els) && len(els) > 0:
			return ints, nil
		case len(bools) == len(els) && len(els) > 0:
			return bools, nil
		case len(texts) == len(els):
			if texts == nil {
				texts = []string{}
			}
			return texts, nil
		}
		return nil, errors.New("an array of mixed element types")
	}
	return nil, fmt.Errorf("unknown parameter %T", p.GetValue())
}
