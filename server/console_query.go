package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/consoledb"
)

// The rows one QueryDatabase call returns.
const (
	DefaultQueryRows = 50
	MaxQueryRows     = 500
)

// ErrorInfo reasons of QueryDatabase.
const (
	ReasonNoConsoleDatabase = "NO_CONSOLE_DATABASE"
	ReasonDatabaseError     = "DATABASE_ERROR"
)

// defaultSource is the database of the tables no source of the metadata
// tracks (a schema file alone): Hasura's first source's name.
const defaultSource = "default"

// QueryDatabase runs Filter (select) for the session, then the rows it
// selects in the table's source database, read-only (package consoledb).
// The caller is an admin (the whole AdminService is), authenticated and
// counted against its rate limit before this message was decoded.
func (a *adminService) QueryDatabase(ctx context.Context, req *wardenv1.QueryDatabaseRequest) (*wardenv1.QueryDatabaseResponse, error) {
	dbs := a.s.consoleDBs
	if len(dbs.Names()) == 0 {
		return nil, newStatus(codes.FailedPrecondition, "no database is configured for the console: serve --console-database NAME=URL",
			errorInfo(ReasonNoConsoleDatabase)).Err()
	}
	sess, err := a.s.resolveSession(ctx, req.GetPrincipal())
	if err != nil {
		return nil, err
	}
	snap := a.s.current()
	freq := &wardenv1.FilterRequest{Principal: req.GetPrincipal(), Table: req.GetTable(), Operation: wardenv1.Operation_OPERATION_SELECT}
	// The table's source, and so its database and dialect, is known once
	// Filter has resolved the name: ask without SQL first, render after.
	fresp, res, table, err := filterAnswer(ctx, snap.set, freq, sess, false)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	pol := snap.set.Policy()
	source := defaultSource
	if t, ok := pol.Table(table); ok && t.Source != "" {
		source = t.Source
	}
	db, ok := dbs.Get(source)
	if !ok {
		return nil, a.s.failFor(ctx, sess, newStatus(codes.FailedPrecondition,
			fmt.Sprintf("no database is configured for source %s of table %s (configured: %s)", source, table, strings.Join(dbs.Names(), ", ")),
			errorInfo(ReasonNoConsoleDatabase, "source", source, "table", table.String())).Err())
	}
	opts := sqlgen.Options{Dialect: db.Dialect, Role: sess.Role, SessionVars: sess.Vars}
	if err := renderSQL(pol, table, opts, res, fresp, sortedKeys(res.ColumnConditions)); err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	limit := int(req.GetLimit())
	if limit == 0 {
		limit = DefaultQueryRows
	}
	if res.Limit != nil {
		limit = min(limit, *res.Limit)
	}
	resp := &wardenv1.QueryDatabaseResponse{Filter: fresp, Database: db.Name, Limit: int32(limit)}
	logging.AddFields(ctx, logging.Fields{"warden.table", table.String(), "warden.role", res.Role,
		"warden.filter_kind", fresp.GetKind().String(), "warden.console_database", db.Name})
	if res.Kind == engine.AlwaysDenied || len(res.Columns) == 0 || limit == 0 {
		return resp, nil // nothing to read
	}
	stmt, args, err := selectStatement(pol, table, opts, res, limit)
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	resp.Sql = stmt
	frag, err := fragmentToProto(sqlgen.Fragment{SQL: stmt, Args: args})
	if err != nil {
		return nil, a.s.failFor(ctx, sess, err)
	}
	resp.Parameters = frag.Parameters
	rows, err := db.Query(ctx, stmt, args, limit, a.s.cfg.ConsoleQueryTimeout)
	if err != nil {
		return nil, queryStatus(err, a.s.cfg.ConsoleQueryTimeout.String())
	}
	resp.Columns, resp.Truncated = rows.Columns, rows.Truncated
	for _, r := range rows.Rows {
		row := &wardenv1.QueryRow{Values: make([]*wardenv1.QueryValue, len(r))}
		for i, v := range r {
			if v == nil {
				row.Values[i] = &wardenv1.QueryValue{IsNull: true}
			} else {
				row.Values[i] = &wardenv1.QueryValue{Text: *v}
			}
		}
		resp.Rows = append(resp.Rows, row)
	}
	return resp, nil
}

// selectStatement builds SELECT <readable columns> FROM <table> WHERE
// <filter> LIMIT limit+1 with one renderer, in the statement's order, so
// that placeholders (numbered or not) and args agree. A column an
// inherited role reads only where some parent's filter holds is CASE WHEN
// that filter THEN the column END, as Hasura nullifies it. Every
// identifier is quoted by sqlgen; every value is an arg.
func selectStatement(pol *model.Policy, table model.TableName, o sqlgen.Options, res *engine.FilterResult, limit int) (string, []any, error) {
	r, err := sqlgen.NewRenderer(pol, table, o)
	if err != nil {
		return "", nil, err
	}
	var args []any
	readable := slices.Clone(res.Columns)
	if t, ok := pol.Table(table); ok { // the table's order, not the alphabet's
		slices.SortStableFunc(readable, func(a, b string) int { return cmp.Compare(columnIndex(t, a), columnIndex(t, b)) })
	}
	cols := make([]string, len(readable))
	for i, c := range readable {
		name, err := sqlgen.QuoteIdent(o.Dialect, c)
		if err != nil {
			return "", nil, err
		}
		cond, ok := res.ColumnConditions[c]
		if !ok {
			cols[i] = name
			continue
		}
		f, err := r.Column(c, cond)
		if err != nil {
			return "", nil, err
		}
		cols[i] = f.SQL + " AS " + name
		args = append(args, f.Args...)
	}
	where, err := r.Render(res.Predicate)
	if err != nil {
		return "", nil, err
	}
	args = append(args, where.Args...)
	from, err := o.TableRef(table)
	if err != nil {
		return "", nil, err
	}
	stmt := "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE " + where.SQL + " LIMIT " + strconv.Itoa(limit+1)
	return stmt, args, nil
}

// columnIndex is a column's place in its table (after all, if unknown).
func columnIndex(t *model.Table, name string) int {
	i := slices.IndexFunc(t.Columns, func(c *model.Column) bool { return c.Name == name })
	if i < 0 {
		return len(t.Columns)
	}
	return i
}

// queryStatus maps a database's error: past the timeout
// DEADLINE_EXCEEDED, failing to connect UNAVAILABLE, else
// FAILED_PRECONDITION with the database's message and code (the caller
// is an admin, and the message is about the admin's own database; the
// URL's password is blanked by consoledb).
func queryStatus(err error, timeout string) error {
	var e *consoledb.Error
	if !errors.As(err, &e) {
		return newStatus(codes.Internal, internalMessage).Err()
	}
	info := errorInfo(ReasonDatabaseError, "database", e.Database, "stage", string(e.Stage))
	if e.Code != "" {
		info.Metadata["code"] = e.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newStatus(codes.DeadlineExceeded, fmt.Sprintf("database %s: the query did not finish within %s (--console-query-timeout)", e.Database, timeout), info).Err()
	case e.Stage == consoledb.StageConnect:
		return newStatus(codes.Unavailable, e.Error(), info).Err()
	}
	return newStatus(codes.FailedPrecondition, e.Error(), info, &errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{
		Type: ReasonDatabaseError, Subject: e.Database, Description: e.Message,
	}}}).Err()
}
