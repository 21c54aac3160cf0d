package sqlgen_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestNumbersExactAgainstDatabases: bigint values at the ends of the
// 64-bit range and numeric(38,0) values select exactly their rows in each
// database. PostgreSQL casts to numeric; MySQL casts to DECIMAL(65,s) of
// the value's scale (DECIMAL(65,30) would clamp a 38-digit value to
// 35 nines); SQLite casts decimal text to NUMERIC, an INTEGER when whole
// and 64-bit, as the column holds it (a double parameter,
// 9223372036854775807 being the double 9223372036854775808, would match
// no row). SQLite's NUMERIC affinity holds a 38-digit value as a double:
// there, and only there, 12345678901234567890123456789012345677 and
// ...678 are one value, as the database itself has them.
func TestNumbersExactAgainstDatabases(t *testing.T) {
	for _, d := range sqlgen.Dialects {
		t.Run(d.String(), func(t *testing.T) { numbersExact(t, d) })
	}
}

func numbersExact(t *testing.T, d sqlgen.Dialect) {
	table := fmt.Sprintf("numbers_%d", os.Getpid())
	db := numbersDB(t, d)
	ddl := "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, n BIGINT, amt NUMERIC(38,0))"
	if d == sqlgen.MySQL {
		ddl = strings.Replace(ddl, "NUMERIC(38,0)", "DECIMAL(38,0)", 1)
	}
	for _, stmt := range []string{
		ddl,
		"INSERT INTO " + table + ` VALUES (0, 9223372036854775807, '9223372036854775807'), (1, 9223372036854775806, '9223372036854775806'),
			(2, -9223372036854775808, '-9223372036854775808'), (3, -9223372036854775807, '12345678901234567890123456789012345678'),
			(4, 0, '12345678901234567890123456789012345677')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE " + table) })
	intK, numK := model.KindInteger, model.KindNumeric
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: table}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: intK}},
		{Name: "n", Type: model.Type{Declared: "bigint", Kind: intK}, Nullable: true},
		{Name: "amt", Type: model.Type{Declared: "numeric(38,0)", Kind: numK}, Nullable: true},
	}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	col := func(name string, k model.Kind) residual.Column { return residual.Column{Name: name, Kind: k} }
	num := func(k model.Kind, s string) residual.Value { return residual.Value{V: json.Number(s), Kind: k} }
	list := func(k model.Kind, s ...string) residual.Value {
		l := make([]any, len(s))
		for i, x := range s {
			l[i] = json.Number(x)
		}
		return residual.Value{V: l, Kind: k}
	}
	// SQLite holds rows 3 and 4's amounts as one double.
	sqliteOne := func(want, sqlite []int64) []int64 {
		if d == sqlgen.SQLite {
			return sqlite
		}
		return want
	}
	tests := []struct {
		expr residual.Expr
		want []int64
	}{
		{residual.Compare{Op: residual.Eq, Left: col("n", intK), Right: num(intK, "9223372036854775807")}, []int64{0}},
		{residual.Compare{Op: residual.Eq, Left: col("n", intK), Right: num(intK, "-9223372036854775808")}, []int64{2}},
		{residual.Compare{Op: residual.Gt, Left: col("n", intK), Right: num(intK, "9223372036854775806")}, []int64{0}},
		{residual.In{Column: col("n", intK), List: list(intK, "9223372036854775806", "-9223372036854775807")}, []int64{1, 3}},
		{residual.Compare{Op: residual.Eq, Left: col("amt", numK), Right: num(numK, "9223372036854775807")}, []int64{0}},
		{residual.Compare{Op: residual.Eq, Left: col("amt", numK), Right: num(numK, "-9223372036854775808")}, []int64{2}},
		{residual.Compare{Op: residual.Gte, Left: col("amt", numK), Right: num(numK, "9223372036854775807")}, []int64{0, 3, 4}},
		{residual.In{Column: col("amt", numK), List: list(numK, "9223372036854775806", "12345678901234567890123456789012345678")}, sqliteOne([]int64{1, 3}, []int64{1, 3, 4})},
		{residual.Compare{Op: residual.Eq, Left: col("amt", numK), Right: num(numK, "12345678901234567890123456789012345677")}, sqliteOne([]int64{4}, []int64{3, 4})},
		{residual.Compare{Op: residual.Gt, Left: col("amt", numK), Right: num(numK, "12345678901234567890123456789012345677")}, sqliteOne([]int64{3}, nil)},
		{residual.Compare{Op: residual.Lt, Left: col("amt", numK), Right: num(numK, "-9223372036854775807")}, []int64{2}},
	}
	for _, tc := range tests {
		r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: d, Alias: "t"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Render(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", residual.String(tc.expr), err)
		}
		for _, a := range f.Args {
			if _, ok := a.(float64); ok {
				t.Errorf("%s: a float64 parameter in %#v", residual.String(tc.expr), f.Args)
			}
		}
		q := "SELECT id FROM " + table + " AS t WHERE " + f.SQL + " ORDER BY id"
		if d == sqlgen.MySQL {
			q = strings.ReplaceAll(q, `"`, "`")
		}
		rows, err := db.Query(q, f.Args...)
		if err != nil {
			t.Fatalf("%s: %v", f.SQL, err)
		}
		var got []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s\n%s %#v\nrows %v, want %v", residual.String(tc.expr), f.SQL, f.Args, got, tc.want)
		}
	}
}

// numbersDB opens the test database of d (SQLite in memory). An
// unreachable server skips, except under CI=true.
func numbersDB(t *testing.T, d sqlgen.Dialect) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", ":memory:"
	switch d {
	case sqlgen.Postgres:
		driver, dsn = "pgx", difftest.PostgresDSN
	case sqlgen.MySQL:
		driver, dsn = "mysql", difftest.MariaDBDSN
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s unreachable: %v", d, err)
		}
		t.Skipf("%s unreachable: %v", d, err)
	}
	return db
}

// TestMySQLDecimalBeyond65Digits: a numeric value no DECIMAL holds is
// unsupported in MySQL, never clamped.
func TestMySQLDecimalBeyond65Digits(t *testing.T) {
	numK := model.KindNumeric
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "t"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
		{Name: "amt", Type: model.Type{Declared: "numeric", Kind: numK}, Nullable: true},
	}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	// At load time, a literal of the rule.
	lit := func(v any) *model.Permission {
		return &model.Permission{Role: "user", Op: model.OpSelect, Filter: model.Compare{Column: tbl.Columns[1], Op: model.OpIn, Value: model.Literal{V: v}}}
	}
	for _, tc := range []struct {
		v    any
		errs int
	}{
		{[]any{json.Number("1"), json.Number(strings.Repeat("9", 66))}, 1},
		{json.Number(strings.Repeat("9", 65)), 0},
	} {
		tbl.Permissions = map[model.Operation]map[string]*model.Permission{model.OpSelect: {"user": lit(tc.v)}}
		if errs := sqlgen.Validate(p, sqlgen.MySQL); len(errs) != tc.errs || tc.errs > 0 && !strings.Contains(errs[0].Error(), "more than 65 digits") {
			t.Errorf("Validate of %v: %v, want %d error(s)", tc.v, errs, tc.errs)
		}
		if errs := sqlgen.Validate(p, sqlgen.Postgres); len(errs) != 0 {
			t.Errorf("Validate of %v for postgres: %v", tc.v, errs)
		}
	}

	for _, tc := range []struct {
		n, want string
	}{
		{strings.Repeat("9", 65), "DECIMAL(65,0)"},
		{"0." + strings.Repeat("1", 30), "DECIMAL(65,30)"},
		{"1e-40", "DECIMAL(65,30)"}, // rounded, as a DECIMAL(65,30) column rounds it
		{"1.5e2", "DECIMAL(65,0)"},
		{"-12.250", "DECIMAL(65,2)"},
		{strings.Repeat("9", 66), ""},
		{"1e65", ""},
		{strings.Repeat("9", 60) + ".123456", ""},
	} {
		r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: sqlgen.MySQL})
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Render(residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "amt", Kind: numK}, Right: residual.Value{V: json.Number(tc.n), Kind: numK}})
		if tc.want == "" {
			if !errors.Is(err, sqlgen.ErrUnsupported) {
				t.Errorf("%s: %v %v, want unsupported", tc.n, f.SQL, err)
			}
			continue
		}
		if err != nil || !strings.Contains(f.SQL, "CAST(? AS "+tc.want+")") {
			t.Errorf("%s: %s %v, want a cast to %s", tc.n, f.SQL, err, tc.want)
		}
	}
}

// TestSQLiteNumericAnyAffinity: SQLite numerics compare as numbers with a
// column of no declared type (values stored as they came, INTEGER or
// REAL) and with a TEXT column, where a bare text parameter would compare
// as text (or never equal an INTEGER).
func TestSQLiteNumericAnyAffinity(t *testing.T) {
	db := numbersDB(t, sqlgen.SQLite)
	for _, stmt := range []string{
		`CREATE TABLE u (id INTEGER PRIMARY KEY, a, x TEXT)`,
		`INSERT INTO u VALUES (1, 10, '10'), (2, 9, '9'), (3, 9223372036854775807, '9223372036854775807'), (4, 1.5, '1.5')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	numK := model.KindNumeric
	tbl := &model.Table{Name: model.TableName{Schema: "public", Name: "u"}, Columns: []*model.Column{
		{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}},
		{Name: "a", Type: model.Type{Declared: "numeric", Kind: numK}, Nullable: true},
		{Name: "x", Type: model.Type{Declared: "numeric", Kind: numK}, Nullable: true},
	}}
	tbl.IndexColumns()
	p := &model.Policy{Tables: map[model.TableName]*model.Table{tbl.Name: tbl}}
	for _, tc := range []struct {
		col, op, v string
		want       []int64
	}{
		{"a", "=", "10", []int64{1}},
		{"a", ">", "9", []int64{1, 3}},
		{"a", "=", "9223372036854775807", []int64{3}},
		{"a", "=", "1.50", []int64{4}},
		{"x", ">", "9", []int64{1, 3}}, // as text, "10" < "9"
		{"x", "=", "9223372036854775807", []int64{3}},
		{"x", "<", "2", []int64{4}},
	} {
		op := map[string]residual.CmpOp{"=": residual.Eq, ">": residual.Gt, "<": residual.Lt}[tc.op]
		e := residual.Compare{Op: op, Left: residual.Column{Name: tc.col, Kind: numK}, Right: residual.Value{V: json.Number(tc.v), Kind: numK}}
		r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: sqlgen.SQLite, Alias: "t"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Render(e)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT id FROM u AS t WHERE "+f.SQL+" ORDER BY id", f.Args...)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		rows.Close()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s %s: %s %#v: rows %v, want %v", tc.col, tc.op, tc.v, f.SQL, f.Args, got, tc.want)
		}
	}
}
