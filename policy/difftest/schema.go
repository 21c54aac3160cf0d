package difftest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// This file loads arbitrary rows of a whole policy set into a database,
// for tests other than TestDifferential (the conformance suite run through
// Filter's SQL, policy/conformance_sql_test.go). Unlike Load, the column
// types follow the declared ones as closely as each dialect allows (the
// declared type itself in PostgreSQL), and values that a dialect cannot
// hold with PostgreSQL's meaning are reported by StoreError and ParamError
// instead of being stored approximately.

// KeyColumn is the column CreateSchema adds to every table: the identity
// of a row, an integer the caller chooses. No policy column may have this
// name.
const KeyColumn = "_wdt_key"

// SetMaxIdleConns sets how many idle connections the pool keeps, for
// callers that run many short transactions at once.
func (d *DB) SetMaxIdleConns(n int) { d.db.SetMaxIdleConns(n) }

// Schema is the tables of a policy set, created empty in schemas of their
// own (PostgreSQL), databases of their own (MariaDB) or a fresh in-memory
// database with attached ones (SQLite). Rows are only ever inserted inside
// Query's transaction, which is rolled back, so the tables stay empty.
type Schema struct {
	Dialect sqlgen.Dialect
	// Schemas maps each schema of the policy to the one holding its
	// tables, for sqlgen.Options.
	Schemas map[string]string
	policy  *model.Policy
	db      *sql.DB
	drop    func()
}

var safeName = regexp.MustCompile(`^[a-z0-9_]{1,20}$`)

// CreateSchema creates the tables of p; name (lower-case letters, digits
// and _, at most 20) tells apart the schemas a run creates at once.
func (d *DB) CreateSchema(ctx context.Context, p *model.Policy, name string) (*Schema, error) {
	if !safeName.MatchString(name) {
		return nil, fmt.Errorf("difftest: schema name %q: want [a-z0-9_]{1,20}", name)
	}
	s := &Schema{Dialect: d.Dialect, Schemas: map[string]string{}, policy: p, db: d.db, drop: func() {}}
	seen := map[string]bool{}
	var schemas []string
	for tn := range p.Tables {
		if k := SchemaKey(tn); !seen[k] {
			seen[k] = true
			schemas = append(schemas, k)
		}
	}
	sort.Strings(schemas)
	var drops []string
	s.drop = func() {
		for _, stmt := range drops {
			s.db.ExecContext(context.WithoutCancel(ctx), stmt)
		}
	}
	if d.Dialect == sqlgen.SQLite {
		db, err := openSQLite()
		if err != nil {
			return nil, err
		}
		s.db = db
		s.drop = func() { db.Close() }
	}
	for i, schema := range schemas {
		n := fmt.Sprintf("wcs_%s_%s_%d", d.run, name, i)
		var stmt string
		switch d.Dialect {
		case sqlgen.Postgres:
			stmt = "CREATE SCHEMA " + d.quote(n)
			drops = append(drops, "DROP SCHEMA "+d.quote(n)+" CASCADE")
		case sqlgen.MySQL:
			stmt = "CREATE DATABASE " + d.quote(n) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
			drops = append(drops, "DROP DATABASE "+d.quote(n))
		case sqlgen.SQLite:
			if schema == "public" {
				n = ""
				break
			}
			n = fmt.Sprintf("s%d", i)
			stmt = "ATTACH DATABASE ':memory:' AS " + d.quote(n)
		}
		s.Schemas[schema] = n
		if stmt == "" {
			continue
		}
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %s: %w", d.Dialect, stmt, err)
		}
	}
	if d.Dialect == sqlgen.Postgres && usesCitext(p) {
		// Once per database; a concurrent run may create it first.
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'citext'").Scan(&n); err == nil && n == 0 {
			_, _ = s.db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS citext")
		}
	}
	if d.Dialect == sqlgen.Postgres && usesCanon(p, model.CanonLtree) {
		// As citext: once per database.
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'ltree'").Scan(&n); err == nil && n == 0 {
			_, _ = s.db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS ltree")
		}
	}
	types, err := s.createTypes(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, t := range p.SortedTables() {
		cols := []string{s.Quote(KeyColumn) + " BIGINT PRIMARY KEY"}
		for _, c := range t.Columns {
			if c.Name == KeyColumn {
				s.Close()
				return nil, fmt.Errorf("difftest: %s has a column named %s", t.Name, KeyColumn)
			}
			typ, err := StorageType(d.Dialect, c)
			if t, ok := types[c]; ok {
				typ, err = t, nil
			}
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
			cols = append(cols, s.Quote(c.Name)+" "+typ)
		}
		ddl := "CREATE TABLE " + s.Table(t.Name) + " (" + strings.Join(cols, ", ") + ")"
		if _, err := s.db.ExecContext(ctx, ddl); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %s: %w", d.Dialect, ddl, err)
		}
	}
	return s, nil
}

// createTypes creates, in PostgreSQL, the enum types and domains that
// columns are declared with (in the schema that holds the tables of the
// type's schema), and returns those columns' types. Elsewhere an enum
// column is a MariaDB ENUM of its labels (compared bytewise) or SQLite
// text, and a domain column its base type's column.
func (s *Schema) createTypes(ctx context.Context) (map[*model.Column]string, error) {
	out := map[*model.Column]string{}
	made := map[string]string{}
	for _, t := range s.policy.SortedTables() {
		for _, c := range t.Columns {
			e := c.Type.Enum
			if s.Dialect == sqlgen.MySQL && e != nil {
				labels := make([]string, len(e.Labels))
				for i, l := range e.Labels {
					labels[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(l, `\`, `\\`), "'", "''") + "'"
				}
				out[c] = "ENUM(" + strings.Join(labels, ", ") + ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
				continue
			}
			if s.Dialect != sqlgen.Postgres || e == nil && c.Type.Base == "" {
				continue
			}
			schema, name, err := splitType(c.Type.Declared)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
			mapped, ok := s.Schemas[schema]
			if !ok {
				return nil, fmt.Errorf("difftest: %s.%s: type %s is in a schema that holds no table", t.Name, c.Name, c.Type.Declared)
			}
			typ := s.Quote(mapped) + "." + s.Quote(name)
			out[c] = typ
			if made[typ] != "" {
				continue
			}
			var ddl string
			switch {
			case c.Type.Base != "" && e != nil:
				return nil, fmt.Errorf("difftest: %s.%s: a domain over an enum is not generated", t.Name, c.Name)
			case c.Type.Base != "":
				base := c.Type.Base
				if !pgTypeName.MatchString(base) {
					return nil, fmt.Errorf("difftest: base type %q is not a plain PostgreSQL type name", base)
				}
				if c.Type.Kind == model.KindText && !strings.HasPrefix(base, "citext") {
					base += ` COLLATE "und-x-icu"`
				}
				ddl = "CREATE DOMAIN " + typ + " AS " + base
			default:
				labels := make([]string, len(e.Labels))
				for i, l := range e.Labels {
					labels[i] = "'" + strings.ReplaceAll(l, "'", "''") + "'"
				}
				ddl = "CREATE TYPE " + typ + " AS ENUM (" + strings.Join(labels, ", ") + ")"
			}
			made[typ] = ddl
			if _, err := s.db.ExecContext(ctx, ddl); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", s.Dialect, ddl, err)
			}
		}
	}
	return out, nil
}

// splitType splits a generated type name, schema.name, both plain.
func splitType(decl string) (string, string, error) {
	schema, name, ok := strings.Cut(decl, ".")
	if !ok || !safeName.MatchString(schema) || !safeName.MatchString(name) {
		return "", "", fmt.Errorf("difftest: type %q: want schema.name, both [a-z0-9_]", decl)
	}
	return schema, name, nil
}

// usesCanon says whether a column of p has the canonical-text type canon.
func usesCanon(p *model.Policy, canon string) bool {
	for _, t := range p.Tables {
		for _, c := range t.Columns {
			if c.Type.Canon == canon {
				return true
			}
		}
	}
	return false
}

// usesCitext says whether a column of p is declared citext, which
// PostgreSQL has only with the citext extension (without it, creating the
// table fails and says so).
func usesCitext(p *model.Policy) bool {
	for _, t := range p.Tables {
		for _, c := range t.Columns {
			if strings.HasPrefix(declType(c), "citext") || strings.HasPrefix(strings.ToLower(c.Type.Base), "citext") {
				return true
			}
		}
	}
	return false
}

// Close drops the schemas (databases) created.
func (s *Schema) Close() { s.drop() }

// Quote quotes an identifier for the dialect.
func (s *Schema) Quote(id string) string { return (&DB{Dialect: s.Dialect}).quote(id) }

// Table is the qualified, quoted name of a policy table.
func (s *Schema) Table(t model.TableName) string {
	if n := s.Schemas[SchemaKey(t)]; n != "" {
		return s.Quote(n) + "." + s.Quote(t.Name)
	}
	return s.Quote(t.Name)
}

// Query inserts rows (per table, column values in the canonical form of
// their kind plus KeyColumn, an int64; absent columns are NULL) in a
// transaction, runs query, which selects one integer column, and rolls
// the transaction back. Values should pass StoreError first.
func (s *Schema) Query(ctx context.Context, rows map[model.TableName][]map[string]any, query string, args []any) ([]int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	names := make([]model.TableName, 0, len(rows))
	for tn := range rows {
		names = append(names, tn)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	for _, tn := range names {
		t, ok := s.policy.Tables[tn]
		if !ok {
			return nil, fmt.Errorf("difftest: unknown table %s", tn)
		}
		if len(rows[tn]) == 0 {
			continue
		}
		cols := []string{s.Quote(KeyColumn)}
		for _, c := range t.Columns {
			cols = append(cols, s.Quote(c.Name))
		}
		var tuples []string
		var vals []any
		for _, r := range rows[tn] {
			key, ok := r[KeyColumn].(int64)
			if !ok {
				return nil, fmt.Errorf("difftest: a row of %s has no int64 %s", tn, KeyColumn)
			}
			ph := make([]string, 0, len(cols))
			vals = append(vals, key)
			ph = append(ph, s.placeholder(len(vals)))
			for _, c := range t.Columns {
				v, err := s.store(c, r[c.Name])
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", tn, c.Name, err)
				}
				vals = append(vals, v)
				ph = append(ph, s.placeholder(len(vals)))
			}
			tuples = append(tuples, "("+strings.Join(ph, ", ")+")")
		}
		ins := "INSERT INTO " + s.Table(tn) + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(tuples, ", ")
		if _, err := tx.ExecContext(ctx, ins, vals...); err != nil {
			return nil, fmt.Errorf("%s: %s %v: %w", s.Dialect, ins, vals, err)
		}
	}
	res, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []int64
	for res.Next() {
		var k int64
		if err := res.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, res.Err()
}

func (s *Schema) placeholder(n int) string {
	if s.Dialect == sqlgen.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// declType is the lower-cased declared type with single spaces.
func declType(c *model.Column) string {
	return strings.Join(strings.Fields(strings.ToLower(c.Type.Declared)), " ")
}

var (
	pgTypeName  = regexp.MustCompile(`^[a-z][a-z0-9_ ]*(\([0-9]+(, ?[0-9]+)?\))?( [a-z ]+)?(\[\])*$`)
	typeArgs    = regexp.MustCompile(`^([a-z][a-z0-9 ]*?) ?\(([0-9]+)(?:, ?([0-9]+))?\)`)
	floatTypes  = map[string]bool{"real": true, "float4": true, "double precision": true, "float8": true, "float": true}
	textLenType = map[string]bool{"varchar": true, "character varying": true, "char": true, "character": true, "bpchar": true}
)

// typeArgs returns the base name and the arguments of a declared type:
// numeric(10,2) is numeric, 10, 2; scale is -1 without one.
func typeParams(decl string) (base string, n, scale int) {
	m := typeArgs.FindStringSubmatch(decl)
	if m == nil {
		return decl, 0, -1
	}
	n, _ = strconv.Atoi(m[2])
	scale = -1
	if m[3] != "" {
		scale, _ = strconv.Atoi(m[3])
	}
	return m[1], n, scale
}

// isFloat says a numeric column holds binary floating point.
func isFloat(c *model.Column) bool {
	base, _, _ := typeParams(declType(c))
	return floatTypes[base]
}

// decimalType returns the precision and scale of numeric(p,s) or
// numeric(p) (scale 0); ok is false for an unconstrained numeric.
func decimalType(c *model.Column) (p, s int, ok bool) {
	base, n, scale := typeParams(declType(c))
	if base != "numeric" && base != "decimal" || n == 0 {
		return 0, 0, false
	}
	return n, max(scale, 0), true
}

// textLength is the length limit of varchar(n) and character(n), 0 for
// none; a bare character (char) is character(1), as in PostgreSQL.
func textLength(c *model.Column) int {
	decl := declType(c)
	if decl == "character" || decl == "char" {
		return 1
	}
	base, n, _ := typeParams(decl)
	if textLenType[base] {
		return n
	}
	return 0
}

// StorageType is the column type CreateSchema gives a column. PostgreSQL
// gets the declared type (text types with a non-bytewise ICU collation,
// citext as is), so that the database means what Hasura means. MariaDB
// and SQLite get the closest type of the column's kind, text with a case-
// and accent-insensitive collation (as in Load) so that only a rendering
// that compares bytes passes.
func StorageType(d sqlgen.Dialect, c *model.Column) (string, error) {
	decl := declType(c)
	k := c.Type.Kind
	switch d {
	case sqlgen.Postgres:
		if c.Type.Spatial != "" {
			// A scratch schema has no PostGIS: only _is_null is decided
			// through SQL here (policy's TestPostGIS runs the _st_*
			// SQL in a database with the extension).
			return "text", nil
		}
		if !pgTypeName.MatchString(decl) {
			return "", fmt.Errorf("difftest: declared type %q is not a plain PostgreSQL type name", c.Type.Declared)
		}
		if k == model.KindText && c.Type.Canon == "" && !strings.HasPrefix(decl, "citext") {
			decl += ` COLLATE "und-x-icu"`
		}
		return decl, nil
	case sqlgen.MySQL:
		const ci = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
		switch k {
		case model.KindInteger:
			return "BIGINT", nil
		case model.KindNumeric:
			if isFloat(c) {
				return "DOUBLE", nil
			}
			if p, s, ok := decimalType(c); ok {
				return fmt.Sprintf("DECIMAL(%d,%d)", p, s), nil
			}
			return "DECIMAL(65,30)", nil
		case model.KindText:
			if n := textLength(c); n > 0 {
				// character(n) too: the canonical value has its padding
				// trimmed, and bytes compare as PostgreSQL's bpchar does.
				return fmt.Sprintf("VARCHAR(%d)", n) + ci, nil
			}
			return "TEXT" + ci, nil
		case model.KindBoolean:
			return "BOOLEAN", nil
		case model.KindUUID:
			return "CHAR(36)" + ci, nil
		case model.KindDate:
			return "DATE", nil
		case model.KindTimestamp, model.KindTimestamptz:
			return "DATETIME(6)", nil
		case model.KindJSONB:
			return "JSON", nil
		case model.KindOpaque:
			// Only ever tested for NULL.
			return "TEXT" + ci, nil
		}
	case sqlgen.SQLite:
		switch k {
		case model.KindInteger, model.KindBoolean:
			return "INTEGER", nil
		case model.KindNumeric:
			return "REAL", nil
		case model.KindText, model.KindUUID:
			return "TEXT COLLATE NOCASE", nil
		case model.KindDate, model.KindTimestamp, model.KindTimestamptz, model.KindJSONB, model.KindOpaque:
			return "TEXT", nil
		}
	}
	return "", fmt.Errorf("difftest: no %s type for a %s column (%s)", d, k, c.Type.Declared)
}

// ErrNotRepresentable is wrapped by the errors of StoreError and
// ParamError.
var ErrNotRepresentable = errors.New("not representable with PostgreSQL's meaning")

func notRepresentable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotRepresentable, fmt.Sprintf(format, args...))
}

// StoreError says why a column of the dialect cannot hold v (canonical)
// with the value PostgreSQL would hold for the declared type: a numeric
// beyond DECIMAL(65,30) (MariaDB) or not exactly a float64 (SQLite, and
// double precision everywhere), a value numeric(p,s) would round, text
// longer than varchar(n). nil means it can.
func StoreError(d sqlgen.Dialect, c *model.Column, v any) error {
	if v == nil {
		return nil
	}
	switch c.Type.Kind {
	case model.KindText:
		s, _ := v.(string)
		if n := textLength(c); n > 0 && utf8.RuneCountInString(s) > n {
			return notRepresentable("%q is longer than %s", s, c.Type.Declared)
		}
		if d == sqlgen.Postgres && strings.ContainsRune(s, 0) {
			return notRepresentable("PostgreSQL text cannot hold NUL")
		}
		if d == sqlgen.MySQL && len(s) > 65535 {
			return notRepresentable("longer than MariaDB's TEXT")
		}
	case model.KindNumeric:
		n, _ := v.(json.Number)
		if p, s, ok := decimalType(c); ok {
			if err := fitsDecimal(string(n), p, s); err != nil {
				return err
			}
		}
		return numericParam(d, c, string(n))
	}
	return nil
}

// ParamError says why a bind parameter sqlgen renders for a value v
// compared with column c does not compare with PostgreSQL's meaning in
// the dialect: MariaDB casts numerics to DECIMAL(65,s), s the value's
// scale up to 30 (checked here as DECIMAL(65,30), which is stricter),
// SQLite compares them as float64 in a REAL column, and so does every
// dialect for a double precision column. nil means it compares exactly.
func ParamError(d sqlgen.Dialect, c *model.Column, v any) error {
	if c.Type.Kind != model.KindNumeric || v == nil {
		return nil
	}
	n, _ := v.(json.Number)
	return numericParam(d, c, string(n))
}

func numericParam(d sqlgen.Dialect, c *model.Column, n string) error {
	switch {
	case d == sqlgen.SQLite || isFloat(c):
		bits := 64
		if b, _, _ := typeParams(declType(c)); b == "real" || b == "float4" {
			bits = 32
		}
		return floatExact(n, bits)
	case d == sqlgen.MySQL:
		return fitsDecimal(n, 65, 30)
	}
	return nil
}

// floatExact: a decimal that is the shortest representation of its
// nearest float keeps every comparison with another such decimal, which
// an approximated one does not (0.1000000000000000055 and 0.1 are one
// float64).
func floatExact(n string, bits int) error {
	f, err := strconv.ParseFloat(n, bits)
	if err != nil || math.IsInf(f, 0) {
		return notRepresentable("%s is out of range for a float%d", n, bits)
	}
	want, ok := new(big.Rat).SetString(n)
	got, ok2 := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, bits))
	if !ok || !ok2 || want.Cmp(got) != 0 {
		return notRepresentable("%s is not exactly a float%d (it reads as %s)", n, bits, strconv.FormatFloat(f, 'g', -1, bits))
	}
	return nil
}

// fitsDecimal: DECIMAL(p,s) holds n without rounding.
func fitsDecimal(n string, p, s int) error {
	r, ok := new(big.Rat).SetString(n)
	if !ok {
		return notRepresentable("%q is not a number", n)
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)))
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	if !scaled.IsInt() || new(big.Int).Abs(scaled.Num()).Cmp(limit) >= 0 {
		return notRepresentable("%s does not fit DECIMAL(%d,%d)", n, p, s)
	}
	return nil
}

// store converts a canonical value to the parameter the dialect stores.
func (s *Schema) store(c *model.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	k := c.Type.Kind
	if k == model.KindJSONB || k == model.KindOpaque && !isString(v) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	switch x := v.(type) {
	case json.Number:
		switch {
		case k == model.KindInteger:
			return strconv.ParseInt(string(x), 10, 64)
		case s.Dialect == sqlgen.SQLite:
			return strconv.ParseFloat(string(x), 64)
		case s.Dialect == sqlgen.MySQL && isFloat(c):
			return strconv.ParseFloat(string(x), 64)
		}
		return string(x), nil
	case bool:
		if s.Dialect == sqlgen.Postgres {
			return x, nil
		}
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		if c.Type.Canon != "" {
			// A key (interval, timetz, money) as PostgreSQL's text.
			return model.CanonPG(c.Type, x)
		}
		if s.Dialect == sqlgen.MySQL && (k == model.KindTimestamp || k == model.KindTimestamptz) {
			return strings.TrimSuffix(strings.Replace(x, "T", " ", 1), "Z"), nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("difftest: %v (%T) is not a canonical %s value", v, v, k)
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// SchemaKey is the key of a table's schema in Schema.Schemas (and
// sqlgen.Options.Schemas): "source:schema" for a table named with its
// source, whose source has a schema of its own, else "schema".
func SchemaKey(t model.TableName) string {
	if t.Source != "" {
		return t.Source + ":" + t.Schema
	}
	return t.Schema
}
