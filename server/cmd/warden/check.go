package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/permtest"
)

type checkFlags struct {
	load        server.Config // the policy set and how it loads
	role        string
	session     listFlag
	table       string
	operation   string
	rows        listFlag
	newRows     listFlag
	jsonNulls   listFlag
	existsRows  string
	columns     string
	backendOnly bool
	explain     bool
	output      string
	maxRows     int
}

func (a *app) check(ctx context.Context, args []string) error {
	f := checkFlags{load: server.DefaultConfig(), output: "text", maxRows: server.DefaultMaxRows}
	fs := a.flagSet("check", "[DIR] --role R --table T --operation OP --row JSON [flags]",
		"Decides on rows offline, exactly as the Check RPC would, and prints the\n"+
			"decisions. Row i gets the id \"i\" (from 0). --output json prints the\n"+
			"CheckResponse in the protobuf JSON form a gRPC client would see. Rules with\n"+
			"_exists read the rows of other tables from --exists-rows (without them such a\n"+
			"rule answers NEEDS_DATA). Numbers are exact: in --row, give a bigint or\n"+
			"numeric of magnitude 2^53 or more as a string (\"9223372036854775807\"); a\n"+
			"JSON number is a double, refused there as the RPC refuses it. The output\n"+
			"writes such numbers (presets, residuals) as strings.")
	registerLoadFlags(fs, &f.load)
	fs.StringVar(&f.role, "role", "", "the `role` (principal.role); else the session variable x-hasura-role")
	fs.Var(&f.session, "session", "a session variable as `name=value`, e.g. x-hasura-user-id=1 (repeatable)")
	fs.StringVar(&f.table, "table", "", "the `table` as schema.name, or name for schema public; source:schema.name for a name several sources track")
	fs.StringVar(&f.operation, "operation", "", "select, insert, update or delete")
	fs.Var(&f.rows, "row", "a row as a JSON `object`, e.g. '{\"id\": 1}' (repeatable, at least one)")
	fs.Var(&f.newRows, "new-row", "for update: the row after the change, as a JSON `object`; one per --row, in order (repeatable)")
	fs.Var(&f.jsonNulls, "json-null", "a value of --row or --new-row that is a json/jsonb column's JSON null, not SQL NULL (null in the row), by `path` as the RPC's errors name it: rows[0].values.meta, rows[0].new_values.meta, rows[1].values.author.meta (repeatable; Row.json_nulls)")
	fs.StringVar(&f.existsRows, "exists-rows", "", "a JSON or YAML `file` mapping each table an _exists rule reads (schema.name, or name for public) to its rows, e.g. {\"public.memberships\": [{\"user_id\": 1}]}")
	fs.StringVar(&f.columns, "columns", "", "comma-separated `columns` the caller wants to read or write")
	fs.BoolVar(&f.backendOnly, "use-backend-only-permissions", false, "apply backend_only permissions")
	fs.BoolVar(&f.explain, "explain", false, "explain each row's decision: the rule as a tree with each node's outcome, the row's value and the session's")
	fs.StringVar(&f.output, "output", f.output, "output `format`: text or json")
	fs.IntVar(&f.maxRows, "max-rows", f.maxRows, "most rows one check may carry, as the server's --max-rows")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if f.output != "text" && f.output != "json" {
		return usageError{fmt.Errorf("--output %q: want text or json", f.output)}
	}
	req, err := f.request()
	if err != nil {
		return usageError{err}
	}
	set, err := loadSet(ctx, f.load, printProblems(a.stderr))
	if err != nil {
		return err
	}
	resp, err := server.CheckOffline(ctx, set, req, server.Limits{MaxRows: f.maxRows})
	if err != nil {
		st := server.StatusFromError(err)
		if st.Code() == codes.Internal {
			return err // offline, the operator sees the real cause
		}
		printStatus(a.stderr, st)
		return fmt.Errorf("check: %s", st.Code())
	}
	if f.output == "json" {
		return writeProtoJSON(a.stdout, resp)
	}
	printDecisions(a.stdout, resp)
	return nil
}

// request builds the CheckRequest the flags describe. Only what the flags'
// syntax decides is checked here; the request itself is validated as the
// server does.
func (f *checkFlags) request() (*wardenv1.CheckRequest, error) {
	vars, err := sessionVariables(f.session)
	if err != nil {
		return nil, err
	}
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{
			Role:                      f.role,
			SessionVariables:          vars,
			UseBackendOnlyPermissions: f.backendOnly,
		},
		Table:   f.table,
		Explain: f.explain,
	}
	if f.operation != "" {
		op, err := model.ParseOperation(f.operation)
		if err != nil {
			return nil, fmt.Errorf("--operation: %w", err)
		}
		req.Operation = server.OperationToProto(op)
	}
	if len(f.newRows) > 0 && len(f.newRows) != len(f.rows) {
		return nil, fmt.Errorf("%d --new-row for %d --row: give one per row", len(f.newRows), len(f.rows))
	}
	for i, raw := range f.rows {
		row := &wardenv1.Row{Id: strconv.Itoa(i)}
		var err error
		if row.Values, err = jsonObject(raw); err != nil {
			return nil, fmt.Errorf("--row %d: %w", i, err)
		}
		if len(f.newRows) > 0 {
			if row.NewValues, err = jsonObject(f.newRows[i]); err != nil {
				return nil, fmt.Errorf("--new-row %d: %w", i, err)
			}
		}
		req.Rows = append(req.Rows, row)
	}
	for _, p := range f.jsonNulls {
		// rows[i].PATH: PATH goes to row i's json_nulls.
		idx, path, ok := strings.Cut(strings.TrimPrefix(p, "rows["), "].")
		i, err := strconv.Atoi(idx)
		if !strings.HasPrefix(p, "rows[") || !ok || err != nil || i < 0 || i >= len(req.Rows) {
			return nil, fmt.Errorf("--json-null %s: want rows[i].values.column or rows[i].new_values.column, i the index of a --row", p)
		}
		req.Rows[i].JsonNulls = append(req.Rows[i].JsonNulls, path)
	}
	for _, c := range strings.Split(f.columns, ",") {
		if c = strings.TrimSpace(c); c != "" {
			req.Columns = append(req.Columns, c)
		}
	}
	if f.existsRows != "" {
		if req.Tables, err = readExistsRows(f.existsRows); err != nil {
			return nil, fmt.Errorf("--exists-rows %s: %w", f.existsRows, err)
		}
	}
	return req, nil
}

// readExistsRows reads the rows of other tables, for _exists rules, from
// a JSON or YAML file: an object mapping each table to a list of row
// objects. They become CheckRequest.tables, sorted by table; the request's
// validation then checks them as the RPC does.
func readExistsRows(path string) ([]*wardenv1.TableRows, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string][]map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("want an object mapping each table to a list of row objects: %w", err)
	}
	names := make([]string, 0, len(doc))
	for name := range doc {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]*wardenv1.TableRows, 0, len(names))
	for _, name := range names {
		tr := &wardenv1.TableRows{Table: name}
		for i, row := range doc[name] {
			if row == nil {
				return nil, fmt.Errorf("%s[%d]: want a row object, got null", name, i)
			}
			st, err := structpb.NewStruct(plainYAML(row).(map[string]any))
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", name, i, err)
			}
			tr.Rows = append(tr.Rows, st)
		}
		out = append(out, tr)
	}
	return out, nil
}

// plainYAML turns what YAML decodes into JSON values: a timestamp into its
// RFC 3339 text, integers into float64 when they are exact in one and
// into their decimal text otherwise (as a bigint beyond 2^53 must be sent).
func plainYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plainYAML(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plainYAML(e)
		}
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case int:
		if x > 1<<53 || x < -(1<<53) {
			return strconv.Itoa(x)
		}
		return float64(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return v
}

// sessionVariables parses repeated --session name=value flags.
func sessionVariables(kvs []string) (map[string]string, error) {
	vars := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--session %q: want name=value", kv)
		}
		vars[k] = v
	}
	return vars, nil
}

func jsonObject(raw string) (*structpb.Struct, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("want a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("want a JSON object, got null")
	}
	return structpb.NewStruct(m)
}

// writeProtoJSON prints a message in the canonical protobuf JSON form
// (as grpcurl shows it), indented.
func writeProtoJSON(w io.Writer, m *wardenv1.CheckResponse) error {
	b, err := protojson.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

func printDecisions(w io.Writer, resp *wardenv1.CheckResponse) {
	fmt.Fprintf(w, "role %s, revision %s, decision %s\n", resp.GetRole(), resp.GetRevision(), resp.GetDecisionId())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tDECISION\tREASON\tCOLUMNS")
	for _, d := range resp.GetDecisions() {
		var parts []string
		if len(d.GetAllowedColumns()) > 0 {
			parts = append(parts, strings.Join(d.GetAllowedColumns(), ","))
		}
		if len(d.GetDeniedColumns()) > 0 {
			parts = append(parts, "(denied: "+strings.Join(d.GetDeniedColumns(), ",")+")")
		}
		if len(d.GetMissingData()) > 0 {
			parts = append(parts, "(needs: "+strings.Join(d.GetMissingData(), ",")+")")
		}
		cols := strings.Join(parts, " ")
		decision := strings.TrimPrefix(d.GetDecision().String(), "DECISION_")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.GetId(), decision, d.GetReason(), cols)
	}
	tw.Flush()
	for _, d := range resp.GetDecisions() {
		if e := d.GetExplanation(); e != nil {
			fmt.Fprintln(w)
			permtest.WriteExplanation(w, d.GetId(), e)
		}
	}
	if p := resp.GetPresets(); len(p.GetFields()) > 0 {
		b, _ := json.Marshal(p.AsMap())
		fmt.Fprintf(w, "presets: %s\n", b)
	}
}

// printStatus prints a gRPC status with its details, as a caller of the
// RPC would receive it.
func printStatus(w io.Writer, st *status.Status) {
	fmt.Fprintf(w, "%s: %s\n", st.Code(), st.Message())
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fmt.Fprintf(w, "  field %s: %s\n", v.GetField(), v.GetDescription())
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				fmt.Fprintf(w, "  %s %s: %s\n", strings.ToLower(v.GetType()), v.GetSubject(), v.GetDescription())
			}
		case *errdetails.QuotaFailure:
			for _, v := range d.GetViolations() {
				fmt.Fprintf(w, "  %s: %s\n", v.GetSubject(), v.GetDescription())
			}
		}
	}
}
