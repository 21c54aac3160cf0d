package handler

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	warden "github.com/wardenpdp/warden/clients/go"
)

// alias is the table's alias in every query, as Warden is told.
const alias = "t"

// quote quotes an identifier (PostgreSQL and SQLite alike), doubling
// quotes inside it.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// tableRef is the table of a "schema.name" or "name": qualified in
// PostgreSQL, and without the public schema in SQLite, where tables are
// unqualified (as Warden renders them).
func tableRef(d warden.Dialect, table string) string {
	schema, name, ok := strings.Cut(table, ".")
	if !ok {
		schema, name = "public", table
	}
	if d == warden.SQLite && schema == "public" {
		return quote(name)
	}
	return quote(schema) + "." + quote(name)
}

// placeholder returns the n-th (from 1) bind placeholder of the dialect.
func placeholder(d warden.Dialect, n int) string {
	if d == warden.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// selectQuery is the read of the allowed columns (a column readable only
// under a condition as its CASE), of the rows the filter allows, at most
// limit of them. Arguments follow the dialect: PostgreSQL binds $n by
// number, Warden numbering the filter then the column conditions; SQLite
// binds ? in text order, the select list before the WHERE clause.
func selectQuery(d warden.Dialect, table string, columns []string, f *warden.Filter, limit int) (string, []any, error) {
	conds := make(map[string]warden.ColumnCondition, len(f.ColumnConditions))
	for _, cc := range f.ColumnConditions {
		conds[cc.Column] = cc
	}
	var list []string
	var listArgs []any
	for _, c := range columns {
		if cc, ok := conds[c]; ok {
			if cc.SQL == "" {
				return "", nil, fmt.Errorf("column %s is conditional and has no SQL", c)
			}
			list = append(list, cc.SQL+" AS "+quote(c))
			listArgs = append(listArgs, cc.Args...)
			continue
		}
		list = append(list, alias+"."+quote(c))
	}
	if f.SQL == "" {
		return "", nil, fmt.Errorf("the filter has no SQL")
	}
	q := fmt.Sprintf("SELECT %s FROM %s AS %s WHERE %s ORDER BY 1 LIMIT %d",
		strings.Join(list, ", "), tableRef(d, table), alias, f.SQL, limit)
	if d == warden.Postgres {
		return q, f.AllArgs(), nil
	}
	return q, append(listArgs, f.Args...), nil
}

// queryRows runs a query and returns its rows as JSON objects.
func queryRows(ctx context.Context, db *sql.DB, q string, args []any) ([]map[string]any, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(types))
		for i, t := range types {
			row[t.Name()] = jsonValue(vals[i], t.DatabaseTypeName())
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// maxSafeInteger is 2^53: JSON readers that hold numbers as doubles
// (JavaScript's JSON.parse) read every integer of smaller magnitude
// exactly, and round some larger ones.
const maxSafeInteger = 1 << 53

// jsonValue is a scanned value as JSON shows it: text for bytes, UTC
// RFC 3339 for times, booleans for SQLite's 0 and 1 in a BOOLEAN column,
// and integers of magnitude 2^53 or more (bigint ids) as decimal strings,
// which a reader that holds numbers as doubles does not round (numerics
// arrive from the drivers as text already).
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int64:
		if strings.EqualFold(dbType, "BOOLEAN") || strings.EqualFold(dbType, "BOOL") {
			return x != 0
		}
		if x >= maxSafeInteger || x <= -maxSafeInteger {
			return strconv.FormatInt(x, 10)
		}
	}
	return v
}

// insertRow writes the row. With check, it does so in a transaction and
// keeps the row only when the check (Warden's insert check in SQL, on
// alias t) holds for it as written; it reports whether the row was kept.
func insertRow(ctx context.Context, db *sql.DB, d warden.Dialect, table string, row map[string]any, check *warden.Fragment) (bool, error) {
	cols := sortedKeys(row)
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		names[i] = quote(c)
		marks[i] = placeholder(d, i+1)
		v, err := sqlValue(row[c])
		if err != nil {
			return false, fmt.Errorf("column %s: %w", c, err)
		}
		args[i] = v
	}
	ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", tableRef(d, table), strings.Join(names, ", "), strings.Join(marks, ", "))
	if check == nil {
		_, err := db.ExecContext(ctx, ins, args...)
		return err == nil, err
	}
	// The physical row id: ctid in PostgreSQL, rowid in SQLite.
	rowID, cast := "rowid", ""
	if d == warden.Postgres {
		rowID, cast = "ctid", "::tid"
	}
	return runTx(ctx, db, func(tx *sql.Tx) (bool, error) {
		var id any
		if err := tx.QueryRowContext(ctx, ins+" RETURNING "+rowID, args...).Scan(&id); err != nil {
			return false, err
		}
		if b, ok := id.([]byte); ok {
			id = string(b)
		}
		q := fmt.Sprintf("SELECT %s FROM %s AS %s WHERE %s.%s = %s%s", check.SQL, tableRef(d, table), alias,
			alias, rowID, placeholder(d, len(check.Args)+1), cast)
		var ok bool
		err := tx.QueryRowContext(ctx, q, append(append([]any(nil), check.Args...), id)...).Scan(&ok)
		return ok, err
	})
}

// replyValue is a value of a written row as the answer shows it: a
// number a double would not hold exactly (a bigint id beyond 2^53, a
// numeric(38,0) amount) as its decimal text, as a read shows it.
func replyValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return jsonValue(i, "")
	}
	if f, err := n.Float64(); err == nil && strconv.FormatFloat(f, 'g', -1, 64) == n.String() {
		return n
	}
	return n.String()
}

// sqlValue is a JSON value as a bind parameter: integers exact (int64),
// other numbers as their text, which the database reads for the column's
// type (a numeric(38,0) value exactly; a float64 would round it), objects
// and arrays as JSON text.
func sqlValue(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.String(), nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
		return x, nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		return string(b), err
	}
	return v, nil
}
