package server

import (
	"context"
	"testing"

	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/bench/workload"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// BenchmarkRenderSQL is the SQL share of BenchmarkFilterPath's answers
// (bench): the predicate's, check's and column conditions' SQL for
// PostgreSQL from the bound trees (path=bound) and from the permission's
// SQL rendered once (path=template).
//
//	go test ./server -run - -bench BenchmarkRenderSQL -benchmem -cpu 1
func BenchmarkRenderSQL(b *testing.B) {
	ctx := context.Background()
	spec, err := policygen.Generate(policygen.Config{Tables: 50})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := spec.Write(dir); err != nil {
		b.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	type call struct {
		table model.TableName
		o     sqlgen.Options
		res   *engine.FilterResult
		resp  *wardenv1.FilterResponse
		cols  []string
	}
	const n = 4096
	calls := make([]call, 0, n)
	tables := set.Policy().SortedTables()
	templated := 0
	for i := range n {
		t := tables[i%len(tables)]
		role := policygen.AllRoles()[i%len(policygen.AllRoles())]
		sess := engine.Session{Role: role, Vars: workload.SessionVars(1 + (i*7919)%100_000)}
		req := &wardenv1.FilterRequest{Table: t.Name.String(), Operation: wardenv1.Operation_OPERATION_SELECT,
			Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}}
		resp, res, table, err := filterAnswer(ctx, set, req, sess, false)
		if err != nil {
			b.Fatal(err)
		}
		o := sqlgen.Options{Dialect: sqlgen.Postgres, Role: sess.Role, SessionVars: sess.Vars}
		c := call{table: table, o: o, res: res, resp: resp, cols: sortedKeys(res.ColumnConditions)}
		if renderSQLTemplate(p, c.table, c.o, c.res, c.resp, c.cols) {
			templated++
		}
		calls = append(calls, c)
	}
	b.Logf("%d of %d answers from the template", templated, n)
	for _, path := range []struct {
		name string
		fn   func(*model.Policy, model.TableName, sqlgen.Options, *engine.FilterResult, *wardenv1.FilterResponse, []string) error
	}{{"bound", renderSQLBound}, {"template", renderSQL}} {
		b.Run("path="+path.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c := &calls[i%n]
				if err := path.fn(p, c.table, c.o, c.res, c.resp, c.cols); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
