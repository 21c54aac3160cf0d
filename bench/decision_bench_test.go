package bench

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/bench/workload"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
)

// fixture is the generated policy set (50 tables) with prepared requests,
// built once for every benchmark.
type fixture struct {
	set   *engine.Set
	users *workload.Users
	one   []*workload.Call // one row, select
	batch []*workload.Call // 100 rows, select
	any   []*workload.Call // one row, any operation
}

var shared *fixture

func setup(b *testing.B) *fixture {
	b.Helper()
	if shared != nil {
		return shared
	}
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
	f := &fixture{}
	if f.set, err = engine.New(ctx, p); err != nil {
		b.Fatal(err)
	}
	wb, err := workload.NewBuilder(spec, f.set, 1)
	if err != nil {
		b.Fatal(err)
	}
	if f.users, err = wb.Users(ctx, 100_000); err != nil {
		b.Fatal(err)
	}
	if f.one, err = wb.CheckOne(ctx, 1024, model.OpSelect); err != nil {
		b.Fatal(err)
	}
	if f.batch, err = wb.CheckBatch(ctx, 16, 100); err != nil {
		b.Fatal(err)
	}
	if f.any, err = wb.CheckOne(ctx, 1024, model.Operations...); err != nil {
		b.Fatal(err)
	}
	shared = f
	return f
}

// requests decodes n requests as the server receives them: call i with
// user i*7919 mod 100,000.
func (f *fixture) requests(b *testing.B, calls []*workload.Call, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = workload.Join(f.users, (i*7919)%f.users.N, calls[i%len(calls)])
	}
	return out
}

func decode(b *testing.B, raw [][]byte) []*wardenv1.CheckRequest {
	out := make([]*wardenv1.CheckRequest, len(raw))
	for i, r := range raw {
		out[i] = &wardenv1.CheckRequest{}
		if err := proto.Unmarshal(r, out[i]); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func inputs(b *testing.B, reqs []*wardenv1.CheckRequest) []engine.CheckInput {
	out := make([]engine.CheckInput, len(reqs))
	for i, r := range reqs {
		in, err := server.CheckInput(r, server.SessionFromPrincipal(r.GetPrincipal()))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = in
	}
	return out
}

// runStage runs the sub-benchmark name over fn(0), fn(1), ... fn(n-1),
// round and round.
func runStage(b *testing.B, name string, n int, fn func(i int) error) {
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := fn(i % n); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkCheckEngine is engine.Set.Check alone, on inputs already
// converted: the evaluation, with each evaluator, which first must agree on
// every input.
func BenchmarkCheckEngine(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		calls []*workload.Call
	}{{"rows=1/op=select", f.one}, {"rows=1/op=any", f.any}, {"rows=100/op=select", f.batch}} {
		ins := inputs(b, decode(b, f.requests(b, c.calls, 1024)))
		for _, in := range ins {
			if _, err, disagree := enginetest.CheckBoth(ctx, f.set, in); err != nil || disagree != nil {
				b.Fatalf("%s %s role %s: error %v; %v", in.Table, in.Op, in.Session.Role, err, disagree)
			}
		}
		objs := objectInputs(ins)
		for _, ev := range []engine.Evaluator{engine.EvaluatorNative, engine.EvaluatorOPA} {
			set := f.set.WithEvaluator(ev)
			for _, form := range []struct {
				name string
				ins  []engine.CheckInput
			}{{"maps", ins}, {"objects", objs}} {
				b.Run(c.name+"/eval="+ev.String()+"/form="+form.name, func(b *testing.B) {
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						if _, err := set.Check(ctx, form.ins[i%len(form.ins)]); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
			}
		}
	}
}

// BenchmarkCheckEngineCache is the native one-row Check of
// BenchmarkCheckEngine over 4096 inputs (most of the generated set's
// permissions, random users), each asked once in turn (repeat=1: its
// permission cold in the caches when its turn comes, as in a server) or 64
// times in a row (repeat=64: the same inputs, warm after the first). Each
// input's row is read through first, so that the row's own cache misses
// are not counted as the engine's; "walk" is that reading alone.
func BenchmarkCheckEngineCache(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	objs := objectInputs(inputs(b, decode(b, f.requests(b, f.one, 4096))))
	set := f.set.WithEvaluator(engine.EvaluatorNative)
	sink := 0
	for _, c := range []struct {
		name   string
		repeat int
		check  bool
	}{{"repeat=64", 64, true}, {"repeat=1", 1, true}, {"repeat=1/walk", 1, false}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				in := objs[(i/c.repeat)%len(objs)]
				for _, r := range in.Rows {
					sink += walkValue(r.Fields)
				}
				if c.check {
					if _, err := set.Check(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
		})
	}
	_ = sink
}

// objectInputs are ins with their rows as the server's decoder gives
// them: Objects, not maps.
func objectInputs(ins []engine.CheckInput) []engine.CheckInput {
	objs := make([]engine.CheckInput, len(ins))
	for i, in := range ins {
		objs[i] = in
		objs[i].Rows = make([]engine.Row, len(in.Rows))
		for j, r := range in.Rows {
			objs[i].Rows[j] = engine.Row{ID: r.ID, Fields: engine.ObjectOf(r.Values)}
		}
	}
	return objs
}

// walkValue reads every name and string of v, and returns their length.
func walkValue(v any) int {
	n := 0
	switch x := v.(type) {
	case engine.Object:
		for _, f := range x {
			n += len(f.Name) + walkValue(f.Value)
		}
	case []any:
		for _, e := range x {
			n += walkValue(e)
		}
	case string:
		n += len(x)
	}
	return n
}

// BenchmarkCheckPath is everything the server does for a Check but the
// transport, by stage: decode the bytes, validate, convert to the
// engine's input, decide, convert the result and encode it.
func BenchmarkCheckPath(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	lim := server.Limits{MaxRows: server.DefaultMaxRows}
	// The server resolves the session the principal states for an
	// admin-level caller (session.Resolver); SessionFromPrincipal is that
	// without the caller check.
	sess := func(r *wardenv1.CheckRequest) engine.Session { return server.SessionFromPrincipal(r.GetPrincipal()) }
	for _, c := range []struct {
		name  string
		calls []*workload.Call
	}{{"rows=1", f.one}, {"rows=100", f.batch}} {
		raw := f.requests(b, c.calls, 1024)
		reqs := decode(b, raw)
		ins := inputs(b, reqs)
		results := make([]*engine.CheckResult, len(ins))
		for i, in := range ins {
			var err error
			if results[i], err = f.set.Check(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		stage := func(name string, fn func(i int) error) { runStage(b, c.name+"/stage="+name, len(raw), fn) }
		stage("decode", func(i int) error { return proto.Unmarshal(raw[i], &wardenv1.CheckRequest{}) })
		stage("validate", func(i int) error { return server.ValidateRequest(reqs[i], lim) })
		stage("convert", func(i int) error { _, err := server.CheckInput(reqs[i], sess(reqs[i])); return err })
		stage("decide", func(i int) error { _, err := f.set.Check(ctx, ins[i]); return err })
		opa := f.set.WithEvaluator(engine.EvaluatorOPA)
		stage("decide-opa", func(i int) error { _, err := opa.Check(ctx, ins[i]); return err })
		stage("respond", func(i int) error {
			resp, err := server.CheckResponse(results[i])
			if err == nil {
				_, err = proto.Marshal(resp)
			}
			return err
		})
		stage("all", func(i int) error {
			req := &wardenv1.CheckRequest{}
			if err := proto.Unmarshal(raw[i], req); err != nil {
				return err
			}
			if err := server.ValidateRequest(req, lim); err != nil {
				return err
			}
			in, err := server.CheckInput(req, sess(req))
			if err != nil {
				return err
			}
			res, err := f.set.Check(ctx, in)
			if err != nil {
				return err
			}
			resp, err := server.CheckResponse(res)
			if err != nil {
				return err
			}
			_, err = proto.Marshal(resp)
			return err
		})
	}
}

// BenchmarkFilterPath is everything the server does for a Filter with SQL
// for PostgreSQL but the transport and the interceptors: decode the
// request, answer it (the engine's Filter, the predicate tree, the SQL, a
// decision id) and encode the response; "engine" is the engine's share.
func BenchmarkFilterPath(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	const n = 4096
	raw := make([][]byte, n)
	reqs := make([]*wardenv1.FilterRequest, n)
	ins := make([]engine.FilterInput, n)
	tables := f.set.Policy().SortedTables()
	for i := range n {
		t := tables[i%len(tables)]
		role := policygen.AllRoles()[i%len(policygen.AllRoles())]
		vars := workload.SessionVars(1 + (i*7919)%100_000)
		req := &wardenv1.FilterRequest{
			Principal: &wardenv1.Principal{Role: role, SessionVariables: vars},
			Table:     t.Name.String(), Operation: wardenv1.Operation_OPERATION_SELECT,
			Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES},
		}
		var err error
		if raw[i], err = proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
		reqs[i] = req
		ins[i] = engine.FilterInput{Session: server.SessionFromPrincipal(req.GetPrincipal()), Table: t.Name, Op: model.OpSelect}
	}
	resps := make([]*wardenv1.FilterResponse, n)
	for i, req := range reqs {
		var err error
		if resps[i], err = server.FilterAnswer(ctx, f.set, req, ins[i].Session); err != nil {
			b.Fatal(err)
		}
	}
	stage := func(name string, fn func(i int) error) { runStage(b, "stage="+name, n, fn) }
	stage("decode", func(i int) error { return proto.Unmarshal(raw[i], &wardenv1.FilterRequest{}) })
	stage("engine", func(i int) error { _, err := f.set.Filter(ctx, ins[i]); return err })
	stage("answer", func(i int) error { _, err := server.FilterAnswer(ctx, f.set, reqs[i], ins[i].Session); return err })
	stage("encode", func(i int) error { _, err := proto.Marshal(resps[i]); return err })
	stage("all", func(i int) error {
		req := &wardenv1.FilterRequest{}
		if err := proto.Unmarshal(raw[i], req); err != nil {
			return err
		}
		resp, err := server.FilterAnswer(ctx, f.set, req, server.SessionFromPrincipal(req.GetPrincipal()))
		if err == nil {
			_, err = proto.Marshal(resp)
		}
		return err
	})
}
