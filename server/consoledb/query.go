package consoledb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardenpdp/warden/policy/sqlgen"
)

// Database error codes that mean the statement ran out of time.
const (
	pgQueryCanceled         = "57014" // statement_timeout
	mysqlMaxExecutionTime   = 3024    // max_execution_time exceeded
	mariadbMaxStatementTime = 1969    // max_statement_time exceeded
)

// Query runs stmt with args in a read-only transaction that it rolls
// back, and returns at most maxRows rows (Truncated when there were
// more), all within timeout. The statement is the caller's: values only
// as args.
func (d *Database) Query(ctx context.Context, stmt string, args []any, maxRows int, timeout time.Duration) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	setup, err := d.timeoutSetting(ctx, timeout)
	if err != nil {
		return nil, d.fail(ctx, StageConnect, err)
	}
	// PostgreSQL: BEGIN READ ONLY; MySQL: START TRANSACTION READ ONLY.
	// SQLite takes no such option: its connection is read-only.
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: d.Dialect != sqlgen.SQLite})
	if err != nil {
		return nil, d.fail(ctx, StageConnect, err)
	}
	defer tx.Rollback() //nolint:errcheck // nothing was written; a failed rollback ends the connection
	if setup != "" {
		if _, err := tx.ExecContext(ctx, setup); err != nil {
			return nil, d.fail(ctx, StageConnect, err)
		}
	}
	rows, err := tx.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, d.fail(ctx, StageQuery, err)
	}
	defer rows.Close()
	res := &Result{}
	if res.Columns, err = rows.Columns(); err != nil {
		return nil, d.fail(ctx, StageQuery, err)
	}
	vals := make([]any, len(res.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(res.Rows) == maxRows {
			res.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, d.fail(ctx, StageQuery, err)
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			row[i] = Text(v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail(ctx, StageQuery, err)
	}
	return res, nil
}

// timeoutSetting is the statement that bounds the query's time inside
// the database, run first in the transaction: the context's deadline
// also cancels it from here, but a database that stops by itself frees
// its resources at once. SQLite has none (the context interrupts it):
// there the statement is PRAGMA query_only, on a connection that is
// read-only already.
func (d *Database) timeoutSetting(ctx context.Context, timeout time.Duration) (string, error) {
	ms := max(timeout.Milliseconds(), 1)
	switch d.Dialect {
	case sqlgen.Postgres:
		return fmt.Sprintf("SET LOCAL statement_timeout = %d", ms), nil
	case sqlgen.MySQL:
		maria, err := d.isMariaDB(ctx)
		if err != nil {
			return "", err
		}
		if maria {
			return fmt.Sprintf("SET SESSION max_statement_time = %.3f", float64(ms)/1000), nil
		}
		return fmt.Sprintf("SET SESSION max_execution_time = %d", ms), nil
	case sqlgen.SQLite:
		return "PRAGMA query_only = 1", nil
	}
	return "", nil
}

// isMariaDB asks the server once whether it is MariaDB, whose statement
// timeout differs from MySQL's.
func (d *Database) isMariaDB(ctx context.Context) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mariadb != nil {
		return *d.mariadb, nil
	}
	var v string
	if err := d.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return false, err
	}
	maria := strings.Contains(strings.ToLower(v), "mariadb")
	d.mariadb = &maria
	return maria, nil
}

// fail wraps a driver's error as *Error, the password blanked.
func (d *Database) fail(ctx context.Context, stage Stage, err error) error {
	e := &Error{Database: d.Name, Stage: stage, Message: err.Error()}
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	switch {
	case errors.As(err, &pg):
		e.Message, e.Code = pg.Message, pg.Code
		e.timeout = pg.Code == pgQueryCanceled
	case errors.As(err, &my):
		e.Message, e.Code = my.Message, strconv.Itoa(int(my.Number))
		e.timeout = my.Number == mysqlMaxExecutionTime || my.Number == mariadbMaxStatementTime
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.timeout = true
	}
	e.Message = redact(e.Message, d.secret)
	return e
}

// Text writes a value a driver scanned as text: nil for NULL; integers
// in decimal (exact); floats in the shortest form that reads back;
// booleans true or false; times in RFC 3339; bytes as they are when
// UTF-8, else \x and hex (PostgreSQL's bytea form).
func Text(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case []byte:
		if utf8.Valid(x) {
			s = string(x)
		} else {
			s = `\x` + hex.EncodeToString(x)
		}
	case int64:
		s = strconv.FormatInt(x, 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int:
		s = strconv.Itoa(x)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		s = x.Format(time.RFC3339Nano)
	default:
		if b, err := json.Marshal(x); err == nil {
			s = string(b)
		} else {
			s = fmt.Sprint(x)
		}
	}
	return &s
}
