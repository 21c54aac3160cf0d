package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// wireStats counts the answers compareWire compared: with their trees in
// wire form (taken) or as messages (declined), and the node kinds and
// parts of the trees taken.
type wireStats struct {
	taken, declined          int
	checks, cols             int
	exists, in, clock, other int
}

// compareWire answers req as the Filter RPC does (filterNode with wire)
// and as FilterAnswer does (the trees built as messages), and fails t
// unless the two give the same error, or responses whose wire forms are
// the same bytes: the codec's, from the trees written straight, against
// proto.Marshal's (deterministic) of the response with its trees built;
// and the response with its trees put back (materialize) equal to it.
func compareWire(t *testing.T, set *engine.Set, req *wardenv1.FilterRequest, what string, st *wireStats) {
	t.Helper()
	ctx := context.Background()
	sess := SessionFromPrincipal(req.GetPrincipal())
	want, _, _, wantErr := filterAnswer(ctx, set, req, sess, true)
	rn, _, _, err := filterNode(ctx, set, req, sess, true, true)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s: trees in wire form: error %v; as messages: %v", what, err, wantErr)
	}
	if err != nil {
		return
	}
	rn.resp.DecisionId = want.DecisionId
	if !rn.hollow() {
		st.declined++
		if !proto.Equal(&rn.resp, want) {
			t.Fatalf("%s: trees not in wire form:\n got %v\nwant %v", what, &rn.resp, want)
		}
		return
	}
	st.taken++
	wantWire, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatalf("%s: proto.Marshal: %v", what, err)
	}
	c := newHoldingCodec(RequestCaps{})
	data, err := c.Marshal(rn)
	if err != nil {
		t.Fatalf("%s: codec: %v", what, err)
	}
	got := data.Materialize()
	data.Free()
	if string(got) != string(wantWire) {
		t.Fatalf("%s: trees in wire form:\n got %x\nwant %x\n(%v)", what, got, wantWire, want)
	}
	if !rn.hollow() {
		t.Fatalf("%s: the codec put the trees back", what)
	}
	if err := rn.materialize(); err != nil {
		t.Fatalf("%s: materialize: %v", what, err)
	}
	if !proto.Equal(&rn.resp, want) {
		t.Fatalf("%s: trees put back:\n got %v\nwant %v", what, &rn.resp, want)
	}
	if want.Check != nil {
		st.checks++
	}
	st.cols += len(want.ColumnConditions)
	st.countNodes(want.Predicate)
	st.countNodes(want.Check)
	for _, cc := range want.ColumnConditions {
		st.countNodes(cc.Predicate)
	}
}

func (st *wireStats) countNodes(p *wardenv1.Predicate) {
	switch x := p.GetNode().(type) {
	case *wardenv1.Predicate_All:
		for _, it := range x.All.GetItems() {
			st.countNodes(it)
		}
	case *wardenv1.Predicate_Any:
		for _, it := range x.Any.GetItems() {
			st.countNodes(it)
		}
	case *wardenv1.Predicate_Negation:
		st.countNodes(x.Negation)
	case *wardenv1.Predicate_Exists:
		st.exists++
		st.countNodes(x.Exists.GetWhere())
	case *wardenv1.Predicate_InList:
		st.in++
	case *wardenv1.Predicate_Comparison:
		if x.Comparison.GetClock() != nil {
			st.clock++
		}
	case *wardenv1.Predicate_Constant, *wardenv1.Predicate_IsNull, nil:
	default:
		st.other++
	}
}

// TestTreeWireAsConv: a template tree written in wire form, with its
// plan or without, is the bytes proto.Marshal (deterministic) writes for
// the tree predicateConv builds; where conv fails the writer declines.
// Random trees as TestTreePlanAsSearch's: every node kind, values of
// every kind (clock words, lists, maps, text not in UTF-8), JSON
// columns, Params without a value.
func TestTreeWireAsConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	st := &wireStats{}
	failed := 0
	for i := range 20000 {
		e, params, values := randomTemplate(rng)
		conv := predicateConv{params: params, values: values, unbound: true}
		want, wantErr := conv.tree(e, planTree(e, params))
		var plans *answerPlans
		if i%2 == 0 {
			plans = &answerPlans{pred: planTree(e, params)}
		}
		var tw treeWire
		ok := tw.write(conv, e, nil, nil, nil, plans)
		if wantErr != nil {
			if ok {
				t.Fatalf("case %d: %#v with %v = %v: written; conv fails: %v", i, e, params, values, wantErr)
			}
			failed++
			continue
		}
		if !ok {
			st.declined++
			continue
		}
		st.taken++
		wb, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
		if err != nil {
			t.Fatalf("case %d: proto.Marshal: %v", i, err)
		}
		if string(tw.pred) != string(wb) {
			t.Fatalf("case %d: %#v with %v = %v:\n got %x\nwant %x\n(%v)", i, e, params, values, tw.pred, wb, want)
		}
		st.countNodes(want)
	}
	t.Logf("%d failed, %+v", failed, *st)
	if st.taken < 2000 || st.declined < 1000 || failed < 1000 {
		t.Errorf("%d trees written, %d declined, %d failing: the generator no longer covers each", st.taken, st.declined, failed)
	}
	if st.exists == 0 || st.in == 0 || st.clock == 0 || st.other > 0 {
		t.Errorf("trees written: %+v", *st)
	}
}

// TestFilterTreesWireAsProtobuf: the Filter RPC's answers, their trees
// written straight in wire form, are the bytes proto.Marshal writes for
// FilterAnswer's, with the trees built as messages, for the answers of
// generated policies (every rule, the generator's sessions and
// recombined or malformed ones, with and without SQL, each dialect); the
// trees are in wire form for most, with checks, column conditions,
// relationships and in-lists among them (clock words: TestTreeWireAsConv);
// and an answer the writer does not take (presets, an explanation, JSON
// values) has its trees as messages.
func TestFilterTreesWireAsProtobuf(t *testing.T) {
	st := &wireStats{}
	for seed := range uint64(60) {
		lim := difftest.DefaultLimits
		lim.Database = seed%3 == 1
		lim.SessionComputed = seed%3 == 2
		compareWireCase(t, difftest.Generate(seed+1, lim), rand.New(rand.NewPCG(seed, 3)), st)
	}
	t.Logf("%+v", *st)
	if st.taken < 2000 || st.taken < 2*st.declined || st.declined == 0 {
		t.Errorf("trees in wire form for %d answers, as messages for %d: want most in wire form, some not", st.taken, st.declined)
	}
	if st.checks == 0 || st.cols == 0 || st.exists == 0 || st.in == 0 {
		t.Errorf("answers in wire form without checks, column conditions, relationships or in-lists: %+v", *st)
	}
	if st.other > 0 {
		t.Errorf("%d nodes of kinds the writer does not take in trees in wire form", st.other)
	}
}

// FuzzFilterTreesWire is TestFilterTreesWireAsProtobuf on policy sets
// the fuzzer's bytes generate.
//
//	go test ./server -run - -fuzz FuzzFilterTreesWire
func FuzzFilterTreesWire(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint64(1))
	f.Add([]byte("warden filter trees in wire form"), uint64(8))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		lim := difftest.DefaultLimits
		lim.Database = seed%2 == 1
		lim.SessionComputed = seed%3 == 1
		c := difftest.GenerateFrom(difftest.NewByteSource(data), lim)
		compareWireCase(t, c, rand.New(rand.NewPCG(seed, 5)), &wireStats{})
	})
}

// compareWireCase runs compareWire for every rule of c and each of its
// sessions, as given and with variables set at random to values of
// another kind or malformed, with SQL in a random dialect or without, an
// explanation at times.
func compareWireCase(t *testing.T, c *difftest.Case, r *rand.Rand, st *wireStats) {
	t.Helper()
	set, err := engine.New(context.Background(), c.Policy)
	if err != nil {
		t.Fatalf("seed %d: engine.New: %v", c.Seed, err)
	}
	dialects := []wardenv1.SqlDialect{wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, wardenv1.SqlDialect_SQL_DIALECT_MYSQL, wardenv1.SqlDialect_SQL_DIALECT_SQLITE}
	extra := []string{"{}", "null", "", "{not valid", "[]", "{\"a\":null}", "{NULL}", "9007199254740993", "1.5", "-0", "1e400", "naïve", "\xff"}
	for ri, rule := range c.Rules {
		for si, vars := range c.Sessions[rule.Key()] {
			for variant := range 3 {
				v := vars
				if variant > 0 {
					v = maps.Clone(vars)
					for _, k := range slices.Sorted(maps.Keys(v)) {
						if r.IntN(3) == 0 {
							v[k] = extra[r.IntN(len(extra))]
						}
					}
				}
				req := &wardenv1.FilterRequest{
					Principal: &wardenv1.Principal{Role: rule.Role, SessionVariables: v},
					Table:     rule.Table.String(), Operation: OperationToProto(rule.Op),
					Explain: r.IntN(20) == 0,
				}
				if (si+variant)%3 != 0 {
					req.Sql = &wardenv1.SqlOptions{Dialect: dialects[r.IntN(3)]}
				}
				compareWire(t, set, req, fmt.Sprintf("seed %d rule %d session %d variant %d", c.Seed, ri, si, variant), st)
			}
		}
	}
}

// TestFilterReplyThroughTheGuard: through the guard, the Filter handler
// replies with its answer's node, trees in wire form, which the codec
// writes as FilterAnswer's answer; an interceptor reading the reply as a
// proto.Message reads it whole; a second answer in the same call (an
// interceptor calling the handler again) has its trees as messages. The
// server's answers over gRPC and through the HTTP gateway are
// FilterAnswer's.
func TestFilterReplyThroughTheGuard(t *testing.T) {
	ts := startTest(t, DefaultConfig(), exampleSet(t))
	req := &wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table:     "articles", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES},
	}
	want, err := FilterAnswer(context.Background(), ts.srv.current().set, req, SessionFromPrincipal(req.GetPrincipal()))
	if err != nil {
		t.Fatal(err)
	}
	codec := ts.srv.codec
	filter := guardedFilter(t, ts, req)
	same := func(what string, m proto.Message) {
		t.Helper()
		got := proto.Clone(m).(*wardenv1.FilterResponse)
		got.DecisionId = want.DecisionId
		if !proto.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	written := func(what string, reply any) {
		t.Helper()
		data, err := codec.Marshal(reply)
		if err != nil {
			t.Fatalf("%s: codec: %v", what, err)
		}
		got := &wardenv1.FilterResponse{}
		if err := proto.Unmarshal(data.Materialize(), got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		data.Free()
		same(what+" as written", got)
	}

	reply, err := filter(nil)
	if err != nil {
		t.Fatal(err)
	}
	rn, ok := reply.(*filterResponseNode)
	if !ok || !rn.hollow() {
		t.Fatalf("reply %T, not an answer with its trees in wire form", reply)
	}
	written("reply", reply)
	if !rn.hollow() {
		t.Error("the codec put the trees back")
	}

	// An interceptor reads the reply as a proto.Message (as grpc-go's
	// binary log and stats handlers may after it): whole.
	reader := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err == nil {
			m, ok := resp.(proto.Message)
			if !ok {
				t.Fatalf("reply %T, not a proto.Message", resp)
			}
			same("read by an interceptor", m)
		}
		return resp, err
	}
	if reply, err = filter(reader); err != nil {
		t.Fatal(err)
	}
	if reply.(*filterResponseNode).hollow() {
		t.Error("read, the reply still has its trees in wire form")
	}
	written("read reply", reply)

	// Twice in one call: one reply with its trees in wire form, the
	// other with messages; both whole.
	var first any
	twice := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		var err error
		if first, err = h(ctx, req); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
	second, err := filter(twice)
	if err != nil {
		t.Fatal(err)
	}
	fr, ok := first.(*filterResponseNode)
	if !ok || !fr.hollow() {
		t.Fatalf("first reply %T, not an answer with its trees in wire form", first)
	}
	sr, ok := second.(*wardenv1.FilterResponse)
	if !ok {
		t.Fatalf("second reply %T, not a FilterResponse", second)
	}
	same("second answer", sr)
	written("first answer", first)
	written("second answer", second)

	got, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "ops")).Filter(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	same("over gRPC", got)
	body, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hreq, err := http.NewRequest("POST", "http://"+ts.httpAddr+"/v1/filter", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("X-Warden-Api-Key", ts.keys["ops"])
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer hresp.Body.Close()
	js, err := io.ReadAll(hresp.Body)
	if err != nil || hresp.StatusCode != http.StatusOK {
		t.Fatalf("gateway: %d %s %v", hresp.StatusCode, js, err)
	}
	got = &wardenv1.FilterResponse{}
	if err := protojson.Unmarshal(js, got); err != nil {
		t.Fatal(err)
	}
	same("through the gateway", got)
}

// BenchmarkFilterTreesWire measures the tree writer alone (treeWire.write)
// on the answers of generated policy sets that it takes, as the Filter
// RPC calls it: from the permission's template, the session's values
// unbound.
//
//	go test ./server -run '^$' -bench FilterTreesWire -benchmem -cpu 1 -count 6
func BenchmarkFilterTreesWire(b *testing.B) {
	ctx := context.Background()
	type call struct {
		pred, check residual.Expr
		conds       map[string]residual.Expr
		conv        predicateConv
		cols        []string
		plans       *answerPlans
	}
	var calls []call
	for seed := range uint64(30) {
		c := difftest.Generate(seed+1, difftest.DefaultLimits)
		set, err := engine.New(ctx, c.Policy)
		if err != nil {
			b.Fatal(err)
		}
		for _, rule := range c.Rules {
			for _, vars := range c.Sessions[rule.Key()] {
				in := engine.FilterInput{Session: SessionFromPrincipal(&wardenv1.Principal{Role: rule.Role, SessionVariables: vars}),
					Table: rule.Table, Op: rule.Op, DeferBinding: true}
				res, _, _, err := filterTable(ctx, set, in)
				if err != nil {
					continue
				}
				pred, check, conds, conv, plans, err := answerTrees(res, true)
				if err != nil || len(res.Presets) > 0 {
					continue
				}
				cols := plans.sortedCols()
				if plans == nil || len(cols) != len(conds) {
					cols = sortedKeys(conds)
				}
				var t treeWire
				if t.write(conv, pred, check, conds, cols, plans) {
					calls = append(calls, call{pred, check, conds, conv, cols, plans})
				}
			}
		}
	}
	if len(calls) < 100 {
		b.Fatalf("the writer took %d answers: want 100 or more", len(calls))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := &calls[i%len(calls)]
		var t treeWire
		if !t.write(c.conv, c.pred, c.check, c.conds, c.cols, c.plans) {
			b.Fatal("declined")
		}
	}
}

// TestCloseMsg: a message written with openMsg and closeMsg is the bytes
// protowire writes for it, at every length whose varint takes one byte
// more, after a prefix and nested in another message.
func TestCloseMsg(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 300, 16383, 16384, 16385, 70000} {
		content := bytes.Repeat([]byte{0xab}, n)
		prefix := []byte{1, 2, 3}
		b, s := openMsg(slices.Clone(prefix), 4)
		b = closeMsg(append(b, content...), s)
		want := protowire.AppendBytes(protowire.AppendTag(slices.Clone(prefix), 4, protowire.BytesType), content)
		if !bytes.Equal(b, want) {
			t.Fatalf("length %d: closeMsg wrote %d bytes, want %d (or other bytes)", n, len(b), len(want))
		}
		// Nested: the inner message closed first, then the outer.
		b, outer := openMsg(nil, 2)
		b, inner := openMsg(b, 1)
		b = closeMsg(closeMsg(append(b, content...), inner), outer)
		want = protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType),
			protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), content))
		if !bytes.Equal(b, want) {
			t.Fatalf("length %d nested: closeMsg wrote %d bytes, want %d (or other bytes)", n, len(b), len(want))
		}
	}
}
