// Package workload builds the requests of a load test once, before the
// clock starts: every gRPC request as protobuf bytes, and the same question
// for OPA's server as JSON bytes, so that sending one costs the load
// generator no encoding.
//
// A request is two byte segments sent back to back: the user's (the
// principal's session variables) and the call's (role, table, operation,
// rows or SQL options). Protobuf merges repeated occurrences of a message
// field, so the two principal fragments form one principal on the server;
// this lets 100,000 users share the encoded rows instead of encoding
// 100,000 copies. OPA requests are cut the same way around the session
// document.
package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// gRPC methods the calls use.
const (
	MethodCheck  = "/warden.v1.AuthorizationService/Check"
	MethodFilter = "/warden.v1.AuthorizationService/Filter"
	MethodEcho   = "/warden.v1.DiagnosticsService/Echo"
)

// Kind says which RPC a call makes.
type Kind int

// The kinds of call.
const (
	Check Kind = iota + 1
	Filter
)

// Call is one prepared request, without its user.
type Call struct {
	Kind   Kind
	Method string
	// Body is the encoded request minus the user's session variables.
	Body mem.Buffer
	// Rows is how many rows the call decides on (Filter: 1).
	Rows  int
	Role  string
	Table model.TableName
	Op    model.Operation
	// OPA is the same question for OPA's server.
	OPA OPACall
}

// OPACall is a request to OPA's REST API: POST Path with the body
// Pre + the user's session document + Post.
type OPACall struct {
	Path      string
	Pre, Post []byte
	// Form says how the answer reads: a boolean (data), a list of
	// booleans (batch) or partial-evaluation queries (compile).
	Form OPAForm
}

// OPAForm is the shape of an OPA answer.
type OPAForm int

// The OPA answer forms.
const (
	// OPAData: {"result": true} or {} (undefined: deny).
	OPAData OPAForm = iota + 1
	// OPABatch: {"result": [true, false, ...]}, one per row.
	OPABatch
	// OPACompile: {"result": {"queries": [...]}}.
	OPACompile
)

// Users holds the per-user segments of N distinct users: user i (from 0)
// has x-hasura-user-id i+1.
type Users struct {
	N int
	// Proto[i] encodes CheckRequest{principal: {session_variables}};
	// FilterRequest has the same field number, so it prefixes both.
	Proto []mem.Buffer
	// OPASession[i] is the JSON of input.session for OPA.
	OPASession [][]byte
}

// SessionVars returns the session variables of user id (1-based): the
// user, one of 20 organisations, three of 60 teams and a status list.
func SessionVars(id int) map[string]string {
	t := id % policygen.TeamCount
	statuses := [...]string{"{open,pending}", "{open}", "{draft,open,pending,approved}"}
	return map[string]string{
		policygen.VarUserID:   strconv.Itoa(id),
		policygen.VarOrgID:    strconv.Itoa(1 + id%policygen.OrgCount),
		policygen.VarTeamIDs:  fmt.Sprintf("{%d,%d,%d}", 1+t, 1+(t+7)%policygen.TeamCount, 1+(t+13)%policygen.TeamCount),
		policygen.VarStatuses: statuses[id%len(statuses)],
	}
}

// Builder makes calls that fit a generated policy set.
type Builder struct {
	spec   *policygen.Spec
	set    *engine.Set
	rng    *rand.Rand
	tables []*model.Table // by spec index
}

// NewBuilder returns a builder for spec, whose files set was loaded from.
// The engine is used only to build OPA's input documents (engine.Replay),
// so that OPA is asked exactly what Warden's engine evaluates.
func NewBuilder(spec *policygen.Spec, set *engine.Set, seed uint64) (*Builder, error) {
	b := &Builder{spec: spec, set: set, rng: rand.New(rand.NewPCG(seed, 7))}
	for _, t := range spec.Tables {
		mt, ok := set.Policy().Tables[model.TableName{Schema: "public", Name: t.Name}]
		if !ok {
			return nil, fmt.Errorf("workload: table %s is not in the loaded policy", t.Qualified())
		}
		b.tables = append(b.tables, mt)
	}
	return b, nil
}

// Users encodes n users' segments.
func (b *Builder) Users(ctx context.Context, n int) (*Users, error) {
	u := &Users{N: n, Proto: make([]mem.Buffer, n), OPASession: make([][]byte, n)}
	first := b.spec.Tables[0]
	probe := engine.CheckInput{
		Table: model.TableName{Schema: "public", Name: first.Name},
		Op:    mustOp(policygen.AllVarsOp),
		Rows:  []engine.Row{{ID: "0", Values: map[string]any{}}},
	}
	enc := proto.MarshalOptions{Deterministic: true}
	for i := range n {
		vars := SessionVars(i + 1)
		pb, err := enc.Marshal(&wardenv1.CheckRequest{Principal: &wardenv1.Principal{SessionVariables: vars}})
		if err != nil {
			return nil, err
		}
		u.Proto[i] = mem.SliceBuffer(pb)

		// The session document of the permission that reads every
		// variable is a superset of what any rule reads.
		probe.Session = engine.Session{Role: policygen.AllVarsRole, Vars: vars}
		rq, err := b.set.Replay(ctx, probe)
		if err != nil {
			return nil, fmt.Errorf("workload: session of user %d: %w", i+1, err)
		}
		if len(rq) != 1 || len(rq[0]) == 0 {
			return nil, fmt.Errorf("workload: permission %s %s of role %s has no query", probe.Table, probe.Op, policygen.AllVarsRole)
		}
		doc, _ := rq[0][0].Input.(map[string]any)
		if u.OPASession[i], err = json.Marshal(doc["session"]); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// CheckOne makes n calls of one row each, on random tables, roles and
// operations drawn from ops.
func (b *Builder) CheckOne(ctx context.Context, n int, ops ...model.Operation) ([]*Call, error) {
	out := make([]*Call, n)
	roles := policygen.AllRoles()
	for i := range out {
		ti := b.rng.IntN(len(b.tables))
		c, err := b.check(ctx, ti, roles[b.rng.IntN(len(roles))], ops[b.rng.IntN(len(ops))], 1)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// CheckBatch makes n select calls of rows rows each, on one random table
// and role per call.
func (b *Builder) CheckBatch(ctx context.Context, n, rows int) ([]*Call, error) {
	out := make([]*Call, n)
	roles := policygen.AllRoles()
	for i := range out {
		c, err := b.check(ctx, b.rng.IntN(len(b.tables)), roles[b.rng.IntN(len(roles))], model.OpSelect, rows)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// Filter makes one select Filter call, with SQL for PostgreSQL, for every
// table and role, in random order.
func (b *Builder) Filter() ([]*Call, error) {
	var out []*Call
	for ti := range b.tables {
		for _, role := range policygen.AllRoles() {
			c, err := b.filter(ti, role)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	b.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// Mix draws n calls from the pools with the given weights (a pool with
// weight 0 or no calls is skipped).
func (b *Builder) Mix(n int, pools [][]*Call, weights []int) []*Call {
	total := 0
	for i, w := range weights {
		if len(pools[i]) > 0 {
			total += w
		}
	}
	out := make([]*Call, 0, n)
	for len(out) < n && total > 0 {
		x := b.rng.IntN(total)
		for i, w := range weights {
			if len(pools[i]) == 0 {
				continue
			}
			if x < w {
				out = append(out, pools[i][b.rng.IntN(len(pools[i]))])
				break
			}
			x -= w
		}
	}
	return out
}

func mustOp(s string) model.Operation {
	op, err := model.ParseOperation(s)
	if err != nil {
		panic(err)
	}
	return op
}

// opProto converts an operation for a request. (Not server's
// OperationToProto: the load generator should not need the server package
// to build.)
func opProto(op model.Operation) wardenv1.Operation {
	switch op {
	case model.OpSelect:
		return wardenv1.Operation_OPERATION_SELECT
	case model.OpInsert:
		return wardenv1.Operation_OPERATION_INSERT
	case model.OpUpdate:
		return wardenv1.Operation_OPERATION_UPDATE
	case model.OpDelete:
		return wardenv1.Operation_OPERATION_DELETE
	}
	return wardenv1.Operation_OPERATION_UNSPECIFIED
}

// Join returns the request bytes of call c for user u: for tests and for
// checking answers, never on the measured path.
func Join(u *Users, user int, c *Call) []byte {
	return append(append([]byte(nil), u.Proto[user].ReadOnlyData()...), c.Body.ReadOnlyData()...)
}

// OPABody returns the OPA request body of call c for user u.
func OPABody(u *Users, user int, c *Call) []byte {
	out := append([]byte(nil), c.OPA.Pre...)
	out = append(out, u.OPASession[user]...)
	return append(out, c.OPA.Post...)
}
