package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
)

func (a *app) filter(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var (
		role, table, operation, dialect, alias, output string
		session                                        listFlag
		first                                          int
		backendOnly, explain                           bool
	)
	fs := a.flagSet("filter", "[DIR] --role R --table T --operation OP [--dialect D] [flags]",
		"Prints the row filter of a role offline, exactly as the Filter RPC would\n"+
			"compute it: --output json prints {kind, sql, params, columns, limit, ...},\n"+
			"without --dialect {kind, predicate, columns, ...}: the typed predicate (and\n"+
			"an update's check, and inherited roles' column conditions) in protobuf\n"+
			"JSON; --output text prints each in one line;\n"+
			"--output proto the whole FilterResponse in protobuf JSON; text a summary.\n"+
			"Numbers are exact: integer parameters beyond ±(2^53-1) and every numeric\n"+
			"are printed as decimal strings, which the SQL casts or compares as numbers.\n"+
			"The SQL runs as-is with the printed parameters, in the caller's query\n"+
			"where the table is named by --alias (default: its qualified name).")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&role, "role", "", "the `role` (principal.role); else the session variable x-hasura-role")
	fs.Var(&session, "session", "a session variable as `name=value`, e.g. x-hasura-user-id=1 (repeatable)")
	fs.StringVar(&table, "table", "", "the `table` as schema.name, or name for schema public; source:schema.name for a name several sources track")
	fs.StringVar(&operation, "operation", "select", "select, insert, update or delete")
	fs.StringVar(&dialect, "dialect", "", "render SQL for this `dialect`: postgres, mysql or sqlite (default: the predicate only)")
	fs.StringVar(&alias, "alias", "", "the table's `alias` in the caller's query")
	fs.IntVar(&first, "first-placeholder", 1, "the `number` of the first $n placeholder (postgres)")
	fs.BoolVar(&backendOnly, "use-backend-only-permissions", false, "apply backend_only permissions")
	fs.BoolVar(&explain, "explain", false, "explain the filter: the rule as the metadata states it, and once the session is bound")
	fs.StringVar(&output, "output", "json", "output `format`: json, proto or text")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if output != "json" && output != "proto" && output != "text" {
		return usageError{fmt.Errorf("--output %q: want json, proto or text", output)}
	}
	vars, err := sessionVariables(session)
	if err != nil {
		return usageError{err}
	}
	req := &wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: role, SessionVariables: vars, UseBackendOnlyPermissions: backendOnly},
		Table:     table,
		Explain:   explain,
	}
	op, err := model.ParseOperation(operation)
	if err != nil {
		return usageError{fmt.Errorf("--operation: %w", err)}
	}
	req.Operation = server.OperationToProto(op)
	if dialect != "" {
		d, err := sqlgen.ParseDialect(dialect)
		if err != nil {
			return usageError{fmt.Errorf("--dialect: %w", err)}
		}
		req.Sql = &wardenv1.SqlOptions{Dialect: server.DialectToProto(d), TableAlias: alias, FirstPlaceholder: int32(first)}
	}
	set, err := loadSet(ctx, cfg, printProblems(a.stderr))
	if err != nil {
		return err
	}
	resp, err := server.FilterOffline(ctx, set, req, server.Limits{})
	if err != nil {
		st := server.StatusFromError(err)
		if st.Code() == codes.Internal {
			return err // offline, the operator sees the real cause
		}
		printStatus(a.stderr, st)
		return fmt.Errorf("filter: %s", st.Code())
	}
	switch output {
	case "proto":
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(b))
		return nil
	case "text":
		fmt.Fprintf(a.stdout, "role %s, %s, revision %s\n", resp.GetRole(), strings.TrimPrefix(resp.GetKind().String(), "FILTER_KIND_"), resp.GetRevision())
		if w := resp.GetSql().GetWhere(); w != nil {
			fmt.Fprintf(a.stdout, "sql: %s\nparams: %s\n", w.GetSql(), jsonText(paramsJSON(w)))
		}
		if req.Sql == nil {
			// No SQL asked for: the predicate itself, else nothing would
			// say which rows a conditional filter keeps.
			for _, t := range predicateTrees(resp) {
				fmt.Fprintf(a.stdout, "%s: %s\n", t.name, compactJSON(t.tree))
			}
		}
		fmt.Fprintf(a.stdout, "columns: %s\n", strings.Join(resp.GetColumns(), ", "))
		if cf := resp.GetComputedFields(); len(cf) > 0 {
			fmt.Fprintf(a.stdout, "computed fields: %s\n", strings.Join(cf, ", "))
		}
		if resp.Limit != nil {
			fmt.Fprintf(a.stdout, "limit: %d\n", resp.GetLimit())
		}
		if e := resp.GetExplanation(); e != nil {
			fmt.Fprintf(a.stdout, "rule:  %s\nbound: %s\n", e.GetRule(), e.GetBound())
			for _, f := range e.GetFellAway() {
				fmt.Fprintf(a.stdout, "fell away: %s\n", f)
			}
		}
		return nil
	}
	out := compactFilter(resp)
	if req.Sql == nil {
		// No SQL asked for: the trees stand for it.
		if err := out.addTrees(resp); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, string(b))
	return nil
}

// compactJSON is m in protobuf JSON on one line, spaced alike whatever
// the build (protojson varies its spacing on purpose).
func compactJSON(m proto.Message) string {
	b, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, b); err != nil {
		return string(b)
	}
	return line.String()
}

// addTrees sets the predicate, an update's check and the column
// conditions, each in protobuf JSON.
func (out *filterJSON) addTrees(r *wardenv1.FilterResponse) error {
	tree := func(p *wardenv1.Predicate) (json.RawMessage, error) {
		if p == nil {
			return nil, nil
		}
		return protojson.Marshal(p)
	}
	var err error
	if out.Predicate, err = tree(r.GetPredicate()); err != nil {
		return err
	}
	if out.Check, err = tree(r.GetCheck()); err != nil {
		return err
	}
	for _, cc := range r.GetColumnConditions() {
		b, err := tree(cc.GetPredicate())
		if err != nil {
			return err
		}
		if b != nil {
			if out.ColumnPredicates == nil {
				out.ColumnPredicates = map[string]json.RawMessage{}
			}
			out.ColumnPredicates[cc.GetColumn()] = b
		}
	}
	return nil
}

// namedTree is a predicate of a FilterResponse and its name in the text
// output: predicate, check, or "column C" for a column condition.
type namedTree struct {
	name string
	tree *wardenv1.Predicate
}

// predicateTrees are the response's predicate, an update's check and the
// conditions of columns readable only where a parent's filter holds, as
// --output text prints them when no SQL was asked for.
func predicateTrees(r *wardenv1.FilterResponse) []namedTree {
	var out []namedTree
	if p := r.GetPredicate(); p != nil {
		out = append(out, namedTree{name: "predicate", tree: p})
	}
	if c := r.GetCheck(); c != nil {
		out = append(out, namedTree{name: "check", tree: c})
	}
	for _, cc := range r.GetColumnConditions() {
		if cc.GetPredicate() != nil {
			out = append(out, namedTree{name: "column " + cc.GetColumn(), tree: cc.GetPredicate()})
		}
	}
	return out
}

// filterJSON is the compact form of a FilterResponse that `warden filter
// --output json` prints.
type filterJSON struct {
	Kind      string          `json:"kind"`
	Role      string          `json:"role"`
	SQL       string          `json:"sql,omitempty"`
	Params    []any           `json:"params"`
	Predicate json.RawMessage `json:"predicate,omitempty"` // without --dialect
	Check     json.RawMessage `json:"check,omitempty"`     // without --dialect, update only
	// Without --dialect: the condition of each column readable only where
	// a parent's filter holds (inherited roles), by column.
	ColumnPredicates  map[string]json.RawMessage `json:"column_predicates,omitempty"`
	CheckSQL          string                     `json:"check_sql,omitempty"`
	CheckParams       []any                      `json:"check_params,omitempty"`
	Columns           []string                   `json:"columns"`
	ComputedFields    []string                   `json:"computed_fields,omitempty"`
	ColumnSQL         map[string]any             `json:"column_sql,omitempty"`
	Limit             *int32                     `json:"limit"`
	AllowAggregations bool                       `json:"allow_aggregations"`
	Presets           map[string]any             `json:"presets,omitempty"`
	Revision          string                     `json:"revision"`
	Explanation       *explainJSON               `json:"explanation,omitempty"`
}

// explainJSON is FilterResponse.explanation in --output json.
type explainJSON struct {
	Rule     string   `json:"rule"`
	Bound    string   `json:"bound"`
	FellAway []string `json:"fell_away,omitempty"`
}

func compactFilter(r *wardenv1.FilterResponse) filterJSON {
	out := filterJSON{
		Kind:              strings.TrimPrefix(r.GetKind().String(), "FILTER_KIND_"),
		Role:              r.GetRole(),
		Params:            []any{},
		Columns:           r.GetColumns(),
		ComputedFields:    r.GetComputedFields(),
		Limit:             r.Limit,
		AllowAggregations: r.GetAllowAggregations(),
		Revision:          r.GetRevision(),
	}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	if e := r.GetExplanation(); e != nil {
		out.Explanation = &explainJSON{Rule: e.GetRule(), Bound: e.GetBound(), FellAway: e.GetFellAway()}
	}
	if w := r.GetSql().GetWhere(); w != nil {
		out.SQL, out.Params = w.GetSql(), paramsJSON(w)
	}
	if c := r.GetSql().GetCheck(); c != nil {
		out.CheckSQL, out.CheckParams = c.GetSql(), paramsJSON(c)
	}
	for _, cc := range r.GetColumnConditions() {
		if cc.GetSql() == nil {
			continue
		}
		if out.ColumnSQL == nil {
			out.ColumnSQL = map[string]any{}
		}
		out.ColumnSQL[cc.GetColumn()] = map[string]any{"sql": cc.GetSql().GetSql(), "params": paramsJSON(cc.GetSql())}
	}
	if p := r.GetPresets(); len(p.GetFields()) > 0 {
		out.Presets = p.AsMap()
	}
	return out
}

func paramsJSON(f *wardenv1.SqlFragment) []any {
	out := make([]any, 0, len(f.GetParameters()))
	for _, p := range f.GetParameters() {
		out = append(out, paramJSON(p))
	}
	return out
}

func paramJSON(p *wardenv1.SqlParameter) any {
	switch v := p.GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		return v.Text
	case *wardenv1.SqlParameter_Integer:
		return exactInteger(v.Integer)
	case *wardenv1.SqlParameter_Boolean:
		return v.Boolean
	case *wardenv1.SqlParameter_Real:
		return v.Real
	case *wardenv1.SqlParameter_Array:
		out := make([]any, 0, len(v.Array.GetElements()))
		for _, e := range v.Array.GetElements() {
			out = append(out, paramJSON(e))
		}
		return out
	}
	return nil
}

// maxSafeInteger is 2^53: JSON readers that hold numbers as doubles
// (JavaScript, jq, most others) read every integer of smaller magnitude
// exactly, and round some larger ones.
const maxSafeInteger = 1 << 53

// exactInteger is an integer parameter as --output json prints it: a JSON
// number when every reader reads it exactly, else its decimal text (as
// protobuf JSON writes every int64), which PostgreSQL's $n::bigint and
// MySQL's and SQLite's integer comparisons read exactly.
func exactInteger(i int64) any {
	if i > -maxSafeInteger && i < maxSafeInteger {
		return i
	}
	return strconv.FormatInt(i, 10)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
