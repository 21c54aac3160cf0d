package introspect

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

func sqliteTable(ctx context.Context, db *sql.DB, n model.TableName) (*Table, error) {
	t := &Table{Name: n}
	rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, n.Name)
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	type pkCol struct {
		pos  int
		name string
	}
	var pks []pkCol
	for rows.Next() {
		var c Column
		var notNull, pk int
		if err := rows.Scan(&c.Name, &c.Type, &notNull, &pk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("columns: %w", err)
		}
		c.Type = sqliteType(c.Type)
		c.Nullable = notNull == 0 && pk == 0
		if pk > 0 {
			pks = append(pks, pkCol{pk, c.Name})
		}
		t.Columns = append(t.Columns, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	if len(t.Columns) == 0 {
		return nil, ErrTableNotFound
	}
	sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	for _, p := range pks {
		t.PrimaryKey = append(t.PrimaryKey, p.name)
	}
	if t.ForeignKeys, err = sqliteForeignKeys(ctx, db, n); err != nil {
		return nil, err
	}
	return t, nil
}

func sqliteForeignKeys(ctx context.Context, db *sql.DB, n model.TableName) ([]ForeignKey, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, n.Name)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	var fk []fkRow
	for rows.Next() {
		var id int
		var to sql.NullString
		r := fkRow{ref: model.TableName{Schema: "public"}}
		if err := rows.Scan(&id, &r.ref.Name, &r.col, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		r.name = fmt.Sprint(id)
		r.refCol = to.String
		fk = append(fk, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	// REFERENCES t without columns means t's primary key.
	for i := range fk {
		if fk[i].refCol != "" {
			continue
		}
		ref, err := sqliteTable(ctx, db, fk[i].ref)
		if err != nil {
			return nil, fmt.Errorf("foreign key to %s: %w", fk[i].ref, err)
		}
		pos := 0
		for j := 0; j < i; j++ {
			if fk[j].name == fk[i].name {
				pos++
			}
		}
		if pos >= len(ref.PrimaryKey) {
			return nil, fmt.Errorf("foreign key to %s: it has no primary key column %d", fk[i].ref, pos+1)
		}
		fk[i].refCol = ref.PrimaryKey[pos]
	}
	return groupForeignKeys(fk), nil
}

// sqliteType names a declared SQLite column type as Warden's schema file
// does. SQLite's INTEGER is 64-bit, so it becomes bigint.
func sqliteType(declared string) string {
	t := strings.ToLower(strings.TrimSpace(declared))
	base := t
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	switch base {
	case "integer", "int":
		return "bigint"
	case "real", "double", "float":
		return "double precision"
	case "datetime":
		return "timestamp"
	case "json":
		return "jsonb"
	case "":
		return "blob"
	}
	return t
}
