package introspect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
)

func postgresTable(ctx context.Context, db *sql.DB, n model.TableName) (*Table, error) {
	t := &Table{Name: n}
	// An enum column's type is written schema-qualified with its labels
	// in the type's order; a domain's with its base type (format_type),
	// and the labels when the base is an enum.
	rows, err := db.QueryContext(ctx, `
		SELECT a.attname, NOT a.attnotnull,
		       CASE WHEN ty.typtype IN ('e', 'd') THEN quote_ident(tn.nspname) || '.' || quote_ident(ty.typname)
		            ELSE format_type(a.atttypid, a.atttypmod) END,
		       CASE WHEN ty.typtype = 'd' AND bt.typtype = 'e' THEN quote_ident(bn.nspname) || '.' || quote_ident(bt.typname)
		            WHEN ty.typtype = 'd' THEN format_type(ty.typbasetype, ty.typtypmod)
		            ELSE '' END,
		       COALESCE((SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)::text FROM pg_enum e
		                 WHERE e.enumtypid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END), '')
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace s ON s.oid = c.relnamespace
		JOIN pg_type ty ON ty.oid = a.atttypid
		JOIN pg_namespace tn ON tn.oid = ty.typnamespace
		LEFT JOIN pg_type bt ON bt.oid = ty.typbasetype
		LEFT JOIN pg_namespace bn ON bn.oid = bt.typnamespace
		WHERE s.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, n.Schema, n.Name)
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	for rows.Next() {
		var c Column
		var labels string
		if err := rows.Scan(&c.Name, &c.Nullable, &c.Type, &c.Base, &labels); err != nil {
			rows.Close()
			return nil, fmt.Errorf("columns: %w", err)
		}
		if labels != "" {
			if err := json.Unmarshal([]byte(labels), &c.Enum); err != nil {
				rows.Close()
				return nil, fmt.Errorf("columns: the labels of %s: %w", c.Type, err)
			}
		}
		t.Columns = append(t.Columns, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	if len(t.Columns) == 0 {
		return nil, ErrTableNotFound
	}
	pk, err := db.QueryContext(ctx, `
		SELECT a.attname
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace s ON s.oid = c.relnamespace
		CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
		WHERE i.indisprimary AND s.nspname = $1 AND c.relname = $2
		ORDER BY k.ord`, n.Schema, n.Name)
	if err != nil {
		return nil, fmt.Errorf("primary key: %w", err)
	}
	if t.PrimaryKey, err = scanStrings(pk); err != nil {
		return nil, fmt.Errorf("primary key: %w", err)
	}
	if t.ForeignKeys, err = postgresForeignKeys(ctx, db, n); err != nil {
		return nil, err
	}
	return t, nil
}

func postgresForeignKeys(ctx context.Context, db *sql.DB, n model.TableName) ([]ForeignKey, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.conname, a.attname, fs.nspname, fc.relname, fa.attname
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_namespace s ON s.oid = cl.relnamespace
		JOIN pg_class fc ON fc.oid = c.confrelid
		JOIN pg_namespace fs ON fs.oid = fc.relnamespace
		CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(col, fcol, ord)
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
		JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.fcol
		WHERE c.contype = 'f' AND s.nspname = $1 AND cl.relname = $2
		ORDER BY c.conname, k.ord`, n.Schema, n.Name)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	var fk []fkRow
	for rows.Next() {
		var r fkRow
		if err := rows.Scan(&r.name, &r.col, &r.ref.Schema, &r.ref.Name, &r.refCol); err != nil {
			rows.Close()
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		fk = append(fk, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	return groupForeignKeys(fk), nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	return out, closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
