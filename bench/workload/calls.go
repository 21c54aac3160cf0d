package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Helper is a Rego module the load generator adds to the Rego that
// `warden compile` emits, for the OPA questions that need more than one
// rule query: a row of an update (filter and check), and a batch of rows in
// one request, the fair equivalent of one Check of many rows (one HTTP
// request; every row evaluated by the same rules a single-row query
// evaluates, with the row as input.row). There is one per table and
// operation, so that every data reference is static, OPA's best case.
type Helper struct {
	Path   string // file path, e.g. wardenbench/public/tasks/select.rego
	Source string
}

// Helpers returns the helper modules for every table and operation of p.
func Helpers(p *model.Policy) []Helper {
	var out []Helper
	for _, t := range p.SortedTables() {
		for _, op := range model.Operations {
			if len(t.Permissions[op]) == 0 {
				continue
			}
			pkg := compile.PackagePath(t.Name, op)
			var b strings.Builder
			fmt.Fprintf(&b, "# Added by the Warden load generator; not part of Warden's output.\n")
			fmt.Fprintf(&b, "package %s\n\n", helperPackage(pkg))
			b.WriteString("# row is true when every rule Check evaluates holds for input.row.\n")
			b.WriteString("row if {\n\tevery rule in input.bench.rules {\n\t\tholds(rule)\n\t}\n}\n\n")
			b.WriteString("# rows holds one decision per element of input.rows, in order. Each row\n")
			b.WriteString("# gets an input of its own (with input as ...): patching input.row in the\n")
			b.WriteString("# whole input would copy every row for every row.\n")
			b.WriteString("rows := [allowed(r) | some r in input.rows]\n\n")
			b.WriteString("allowed(r) if {\n\tevery rule in input.bench.rules {\n")
			b.WriteString("\t\tholds(rule) with input as {\"row\": r, \"new_row\": r, \"session\": input.session, \"tables\": input.tables, \"bench\": input.bench}\n")
			b.WriteString("\t}\n} else := false\n")
			for _, rule := range rulesOf(op) {
				fmt.Fprintf(&b, "\nholds(%q) if data.%s.%s[input.bench.role]\n", rule, pkg, rule)
			}
			out = append(out, Helper{Path: "wardenbench/" + t.Name.Schema + "/" + t.Name.Name + "/" + op.String() + ".rego", Source: b.String()})
		}
	}
	return out
}

// rulesOf lists the rules a permission of op may have.
func rulesOf(op model.Operation) []string {
	switch op {
	case model.OpInsert:
		return []string{compile.RuleCheck}
	case model.OpUpdate:
		return []string{compile.RuleFilter, compile.RuleCheck}
	}
	return []string{compile.RuleFilter}
}

// helperPackage is the package of a helper: warden.tables.x.y.op becomes
// wardenbench.x.y.op.
func helperPackage(pkg string) string {
	return "wardenbench" + strings.TrimPrefix(pkg, compile.PackagePrefix)
}

// check makes one Check call on table ti with n rows.
func (b *Builder) check(ctx context.Context, ti int, role string, op model.Operation, n int) (*Call, error) {
	t := b.tables[ti]
	spec := b.spec.Tables[ti]
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{Role: role},
		Table:     t.Name.String(),
		Operation: opProto(op),
		Rows:      make([]*wardenv1.Row, n),
	}
	rows := make([]engine.Row, n)
	for i := range rows {
		id := strconv.Itoa(i)
		rows[i] = engine.Row{ID: id, Values: writable(t, op, role, b.row(spec))}
		s, err := structpb.NewStruct(rows[i].Values)
		if err != nil {
			return nil, err
		}
		req.Rows[i] = &wardenv1.Row{Id: id, Values: s}
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil, err
	}
	c := &Call{Kind: Check, Method: MethodCheck, Body: mem.SliceBuffer(body), Rows: n, Role: role, Table: t.Name, Op: op}

	// OPA is asked with the input documents Warden's engine builds.
	rq, err := b.set.Replay(ctx, engine.CheckInput{
		Session: engine.Session{Role: role, Vars: SessionVars(1)},
		Table:   t.Name, Op: op, Rows: rows,
	})
	if err != nil {
		return nil, fmt.Errorf("workload: replay %s %s %s: %w", t.Name, op, role, err)
	}
	var rules []string
	docs := make([]map[string]any, n)
	for i, qs := range rq {
		if len(qs) == 0 {
			return nil, fmt.Errorf("workload: %s %s role %s evaluates no rule", t.Name, op, role)
		}
		var rs []string
		for _, q := range qs {
			if want := compile.RuleRef(t.Name, op, q.Rule, role); q.Query != want {
				return nil, fmt.Errorf("workload: replay query %s, want %s", q.Query, want)
			}
			rs = append(rs, q.Rule)
		}
		if i == 0 {
			rules = rs
		} else if strings.Join(rs, ",") != strings.Join(rules, ",") {
			return nil, fmt.Errorf("workload: rows of one %s call evaluate different rules", t.Name)
		}
		doc, ok := qs[0].Input.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("workload: replay input is %T", qs[0].Input)
		}
		docs[i] = doc
	}
	bench := map[string]any{"schema": t.Name.Schema, "table": t.Name.Name, "op": op.String(), "role": role, "rules": rules}
	switch {
	case n == 1 && len(rules) == 1:
		// The Data API on the rule itself, as a caller of OPA would ask.
		c.OPA = OPACall{Path: dataPath(t.Name, op, rules[0], role), Form: OPAData}
		c.OPA.Pre, c.OPA.Post, err = around(map[string]any{
			"row": docs[0]["row"], "new_row": docs[0]["new_row"], "tables": docs[0]["tables"],
		})
	case n == 1:
		c.OPA = OPACall{Path: helperPath(t.Name, op, "row"), Form: OPAData}
		c.OPA.Pre, c.OPA.Post, err = around(map[string]any{
			"row": docs[0]["row"], "new_row": docs[0]["new_row"], "tables": docs[0]["tables"], "bench": bench,
		})
	default:
		list := make([]any, n)
		for i, d := range docs {
			list[i] = d["row"]
		}
		c.OPA = OPACall{Path: helperPath(t.Name, op, "rows"), Form: OPABatch}
		c.OPA.Pre, c.OPA.Post, err = around(map[string]any{"rows": list, "tables": docs[0]["tables"], "bench": bench})
	}
	return c, err
}

// filter makes one select Filter call with SQL for PostgreSQL.
func (b *Builder) filter(ti int, role string) (*Call, error) {
	t := b.tables[ti]
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(&wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: role},
		Table:     t.Name.String(),
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql:       &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "t", FirstPlaceholder: 1},
	})
	if err != nil {
		return nil, err
	}
	c := &Call{Kind: Filter, Method: MethodFilter, Body: mem.SliceBuffer(body), Rows: 1, Role: role, Table: t.Name, Op: model.OpSelect}
	query, err := json.Marshal(compile.RuleRef(t.Name, model.OpSelect, compile.RuleFilter, role) + " == true")
	if err != nil {
		return nil, err
	}
	c.OPA = OPACall{
		Path: "/v1/compile",
		Pre:  []byte(`{"query":` + string(query) + `,"unknowns":["input.row"],"input":{"session":`),
		Post: []byte(`}}`),
		Form: OPACompile,
	}
	return c, nil
}

// around encodes {"input": {fields..., "session": <user's>}} and returns
// the bytes before and after the session document.
func around(fields map[string]any) (pre, post []byte, err error) {
	inner, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, err
	}
	// inner is {...}; append ,"session": before its closing brace.
	pre = append([]byte(`{"input":`), inner[:len(inner)-1]...)
	pre = append(pre, `,"session":`...)
	return pre, []byte(`}}`), nil
}

// dataPath is the Data API path of a rule for a role.
func dataPath(t model.TableName, op model.Operation, rule, role string) string {
	return restPath(append(strings.Split(compile.PackagePrefix, "."), t.Schema, t.Name, op.String(), rule, role))
}

// helperPath is the Data API path of a helper rule.
func helperPath(t model.TableName, op model.Operation, rule string) string {
	return restPath([]string{"wardenbench", t.Schema, t.Name, op.String(), rule})
}

func restPath(segs []string) string {
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/v1/data/" + strings.Join(segs, "/")
}

// row makes the values of one row of t, with the related rows its rules
// read: the parent's owner and team, two children's owners.
func (b *Builder) row(t *policygen.Table) map[string]any {
	r := b.rng
	parent := float64(1 + r.IntN(1_000_000))
	v := map[string]any{
		"id":         float64(1 + r.IntN(1_000_000)),
		"org_id":     float64(1 + r.IntN(policygen.OrgCount)),
		"owner_id":   float64(b.owner()),
		"team_id":    float64(1 + r.IntN(policygen.TeamCount)),
		"parent_id":  parent,
		"status":     policygen.Statuses[r.IntN(len(policygen.Statuses))],
		"published":  r.IntN(2) == 0,
		"amount":     float64(r.IntN(1_000_000)) / 100,
		"title":      "item " + strconv.Itoa(r.IntN(100_000)),
		"created_at": fmt.Sprintf("2026-%02d-%02dT%02d:%02d:00Z", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60)),
	}
	if t.Parent != nil {
		v[policygen.RelParent] = map[string]any{"id": parent, "owner_id": float64(b.owner()), "team_id": float64(1 + r.IntN(policygen.TeamCount))}
	}
	if t.Child != nil {
		v[policygen.RelChildren] = []any{
			map[string]any{"id": float64(1 + r.IntN(1_000_000)), "owner_id": float64(b.owner())},
			map[string]any{"id": float64(1 + r.IntN(1_000_000)), "owner_id": float64(b.owner())},
		}
	}
	return v
}

// owner is user 1 (the single user of the small scenarios) for a third of
// the rows, and any of 100,000 users otherwise.
func (b *Builder) owner() int {
	if b.rng.IntN(3) == 0 {
		return 1
	}
	return 1 + b.rng.IntN(100_000)
}

// writable keeps of an insert's row the columns the role may write, as a
// client writes rows: no column outside the permission's, none it presets.
func writable(t *model.Table, op model.Operation, role string, row map[string]any) map[string]any {
	perm := t.Permissions[op][role]
	if op != model.OpInsert || perm == nil {
		return row
	}
	for k := range row {
		if _, col := t.Column(k); col && (perm.Set[k] != nil || !slices.Contains(perm.Columns, k)) {
			delete(row, k)
		}
	}
	return row
}
