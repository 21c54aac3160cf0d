package introspect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

func mysqlTable(ctx context.Context, db *sql.DB, n model.TableName) (*Table, error) {
	t := &Table{Name: n}
	rows, err := db.QueryContext(ctx, `
		SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, n.Name)
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	for rows.Next() {
		var c Column
		var colType, dataType, nullable string
		if err := rows.Scan(&c.Name, &colType, &dataType, &nullable); err != nil {
			rows.Close()
			return nil, fmt.Errorf("columns: %w", err)
		}
		c.Type = mysqlType(colType, dataType)
		c.Nullable = nullable == "YES"
		t.Columns = append(t.Columns, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	if len(t.Columns) == 0 {
		return nil, ErrTableNotFound
	}
	pk, err := db.QueryContext(ctx, `
		SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
		ORDER BY ORDINAL_POSITION`, n.Name)
	if err != nil {
		return nil, fmt.Errorf("primary key: %w", err)
	}
	if t.PrimaryKey, err = scanStrings(pk); err != nil {
		return nil, fmt.Errorf("primary key: %w", err)
	}
	if t.ForeignKeys, err = mysqlForeignKeys(ctx, db, n); err != nil {
		return nil, err
	}
	return t, nil
}

func mysqlForeignKeys(ctx context.Context, db *sql.DB, n model.TableName) ([]ForeignKey, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
		FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		  AND REFERENCED_TABLE_NAME IS NOT NULL AND REFERENCED_TABLE_SCHEMA = DATABASE()
		ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION`, n.Name)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	var fk []fkRow
	for rows.Next() {
		r := fkRow{ref: model.TableName{Schema: "public"}}
		if err := rows.Scan(&r.name, &r.col, &r.ref.Name, &r.refCol); err != nil {
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

// mysqlType names a MySQL/MariaDB column type as Warden's schema file does.
// A type Warden does not support is written as MySQL names it, and loading
// the schema reports it.
func mysqlType(colType, dataType string) string {
	colType, dataType = strings.ToLower(colType), strings.ToLower(dataType)
	unsigned := strings.Contains(colType, "unsigned")
	switch dataType {
	case "tinyint":
		if strings.HasPrefix(colType, "tinyint(1)") {
			return "boolean"
		}
		return "smallint"
	case "smallint":
		if unsigned {
			return "integer"
		}
		return "smallint"
	case "mediumint":
		return "integer"
	case "int", "integer":
		if unsigned {
			return "bigint"
		}
		return "integer"
	case "bigint":
		if unsigned {
			return "numeric"
		}
		return "bigint"
	case "decimal", "numeric":
		return "numeric"
	case "float":
		return "real"
	case "double", "real":
		return "double precision"
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return "text"
	case "date":
		return "date"
	case "datetime", "timestamp":
		return "timestamp"
	case "json":
		return "jsonb"
	case "uuid":
		return "uuid"
	case "bit":
		if colType == "bit(1)" {
			return "boolean"
		}
	}
	return dataType
}
